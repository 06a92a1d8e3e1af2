//! Platform `mixi`: requests are made in the browser with `opensocial.requestShareApp`;
//! this module builds the URLs mixi's dialog is given.
//!
//! Invariant: the URLs lead to the app on mixi (`run_appli.pl`, and `ma.mixi.net` for
//! phones); a path is carried only when it lies inside the app's own URLs.

use super::url::{percent_encode, with_query};
use crate::domain::App;

/// mixi's URL and MOBILE_URL: `run_appli.pl` of the app, with the first choice's path
/// inside the app as `appParams` (a choice outside the app's own URLs is not carried).
pub fn urls(app: &App, choice: Option<&str>) -> (String, String) {
    let inside = choice.and_then(|url| {
        [&app.callback_url, &app.canvas_url]
            .into_iter()
            .find_map(|base| url.strip_prefix(base.as_str()).map(|rest| (rest, url)))
    });
    let mut pc = with_query("http://mixi.jp/run_appli.pl", "id", &app.app_id);
    let mut mobile = format!("http://ma.mixi.net/{}/", percent_encode(&app.app_id));
    if let Some((rest, full)) = inside {
        if !rest.is_empty() {
            pc = with_query(&pc, "appParams", rest);
        }
        mobile = with_query(&mobile, "url", full);
    }
    (pc, mobile)
}
