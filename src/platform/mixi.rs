//! Platform `mixi`: requests are made in the browser with `opensocial.requestShareApp`,
//! activities with `opensocial.requestCreateActivity` (seed 002); this module builds what
//! mixi's dialogs are given.
//!
//! Invariant: the URLs lead to the app on mixi (`run_appli.pl`, and `ma.mixi.net` for
//! phones); a path is carried only when it lies inside the app's own URLs.

use super::url::{percent_encode, with_query};
use crate::domain::{fbml, App, MixiActivity, Story};

/// mixi's URL and MOBILE_URL: `run_appli.pl` of the app, with the first choice's path
/// inside the app (its URLs, or an old `apps.facebook.com/{canvas_name}/` link) as
/// `appParams`; a choice outside the app's own URLs is not carried.
pub fn urls(app: &App, choice: Option<&str>) -> (String, String) {
    let mut pc = with_query("http://mixi.jp/run_appli.pl", "id", &app.app_id);
    let mut mobile = format!("http://ma.mixi.net/{}/", percent_encode(&app.app_id));
    if let Some(rest) = choice.and_then(|url| app.path_inside(url)) {
        if !rest.is_empty() {
            pc = with_query(&pc, "appParams", rest);
        }
        mobile = with_query(&mobile, "url", &format!("{}{rest}", app.callback_url));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::load_str;

    fn app(platform: &str) -> App {
        load_str(
            &format!(
                r#"
[store]
backend = "memory"
[[app]]
api_key = "k"
secret = "s"
app_id = "4242"
callback_url = "http://apps.example.com/bread/"
canvas_url = "http://sb.sp.app.mbga.jp/game/4242/play"
{platform}
[app.canvas]
canvas_name = "bread"
"#
            ),
            Vec::new(),
        )
        .unwrap()
        .apps
        .remove(0)
    }

    /// `notify.md`: an old `apps.facebook.com/{canvas_name}/PATH` link is PATH in the app,
    /// on every platform.
    #[test]
    fn old_facebook_links_lead_into_the_app() {
        let old = "http://apps.facebook.com/bread/garden.php?x=1";
        let mixi = app("platform = \"mixi\"");
        assert_eq!(
            mixi.path_inside("HTTPS://Apps.Facebook.com/bread/a"),
            Some("a")
        );
        assert_eq!(mixi.path_inside("http://apps.facebook.com/other/a"), None);
        assert_eq!(
            urls(&mixi, Some(old)),
            (
                "http://mixi.jp/run_appli.pl?id=4242&appParams=garden.php%3Fx%3D1".to_string(),
                "http://ma.mixi.net/4242/?url=http%3A%2F%2Fapps.example.com%2Fbread%2Fgarden.php%3Fx%3D1".to_string()
            )
        );
        let content = format!("Water it! <fb:req-choice url=\"{old}\" label=\"Go\"/>");
        let mobage = app("");
        assert_eq!(
            super::super::mobage::urls(&mobage, &content),
            (
                "http://sb.sp.app.mbga.jp/game/4242/play?appParams=garden.php%3Fx%3D1".to_string(),
                "http://apps.example.com/bread/garden.php?x=1".to_string()
            )
        );
        let body = super::super::opensocial::message_body(
            &mobage,
            &content,
            "1002",
            "http://gw.example/canvas/k/",
        );
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            body["urls"][0]["value"],
            "http://gw.example/canvas/k/garden.php?x=1"
        );
    }
}
