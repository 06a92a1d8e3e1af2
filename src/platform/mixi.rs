//! Platform `mixi`: requests are made in the browser with `opensocial.requestShareApp`,
//! activities with `opensocial.requestCreateActivity` (seed 002); this module builds what
//! mixi's dialogs are given.
//!
//! Invariant: the URLs lead to the app on mixi (`run_appli.pl`, and `ma.mixi.net` for
//! phones); a path is carried only when it lies inside the app's own URLs.

use super::url::{percent_encode, with_query};
use crate::domain::{fbml, App, MixiActivity, Story};

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

/// Images an activity may carry (seed 002).
pub const ACTIVITY_MEDIA: usize = 3;

/// A story as mixi's `requestCreateActivity` takes it: plain-text title, at most 3 images,
/// the given recipients (mixi ids, at most 2), and the app's `run_appli.pl` URL with the
/// first image link inside the app as deep state.
pub fn activity(app: &App, story: &Story, recipients: Vec<String>) -> MixiActivity {
    let link = story.images.iter().find_map(|i| i.href.as_deref());
    MixiActivity {
        title: fbml::plain_text(&story.title),
        media: story
            .images
            .iter()
            .take(ACTIVITY_MEDIA)
            .map(|i| i.src.clone())
            .collect(),
        recipients: recipients.into_iter().take(2).collect(),
        url: urls(app, link).0,
    }
}
