//! mixi: a notification waits for its recipient's next canvas page and is shown once at its
//! top; a story waits for its actor's next canvas page, which posts it with
//! `opensocial.requestCreateActivity` (title, at most 3 images, at most 2 recipients, the
//! app's `run_appli.pl`).

use super::*;
use crate::helpers::fbml_app::{mixi_entry, FbmlApp, SECRET};

pub const MIXI_KEY: &str = "mixicanvas";

/// A mixi canvas app served by `fbml`, whose container scripts come from `script`.
pub fn mixi_app(fbml: &FbmlApp, script: &str) -> String {
    fbml.config(10)
        .replace(
            "api_key = \"canvasapp\"",
            &format!("api_key = \"{MIXI_KEY}\"\nplatform = \"mixi\""),
        )
        .replace(
            "app_id = \"12000129\"",
            &format!("app_id = \"4242\"\ncontainer_scripts = [\"{script}\"]"),
        )
        .replace(
            "timeout_ms = 1000",
            "timeout_ms = 1000\nconsumer_key = \"mixi.jp\"\nconsumer_secret = \"mixi-cs\"",
        )
}

/// 1001 notifies 1002 and publishes a story about 1002 and 1003, in the mixi app.
pub async fn notify_and_publish(app: &TestApp) {
    for uid in [1001, 1002, 1003] {
        app.install(MIXI_KEY, uid).await;
    }
    app.befriend(MIXI_KEY, 1001, &[1002, 1003, 1004]).await;
    app.set_profile(MIXI_KEY, 1001, serde_json::json!({"name": "Ann Lee"}))
        .await;
    let (session, _) = app.session_in(MIXI_KEY, 1001).await;
    let call = |method: &'static str, extra: Vec<(&'static str, &'static str)>| {
        let session = session.clone();
        async move {
            app.call_method_as(MIXI_KEY, SECRET, &session, method, "JSON", &extra)
                .await
        }
    };
    let a = call(
        "notifications.send",
        vec![
            ("to_ids", "1002"),
            ("notification", "Ann Lee watered your <b>garden</b>"),
        ],
    )
    .await;
    assert_eq!(a.body, "\"1002\"");
    let a = call(
        "feed.publishTemplatizedAction",
        vec![
            ("title_template", "{actor} baked bread with {target}"),
            ("target_ids", "1002,1003,1004"),
            ("image_1", "http://img.example/1.png"),
            ("image_1_link", "http://apps.example.com/x/bakery?day=2"),
            ("image_2", "http://img.example/2.png"),
            ("image_3", "http://img.example/3.png"),
            ("image_4", "http://img.example/4.png"),
        ],
    )
    .await;
    assert_eq!(a.body, "[true]");
    wait_outbox_empty(app).await;
}

async fn page(app: &TestApp, viewer: &str) -> (String, String) {
    let res = app
        .client
        .get(mixi_entry(&app.address, MIXI_KEY, viewer, "index.php"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    (csp, res.text().await.unwrap())
}

#[tokio::test]
async fn mixi_pages_show_notices_and_post_stories() {
    let fbml = FbmlApp::start().await;
    let snippet = mixi_app(&fbml, "http://127.0.0.1:9/opensocial.js");
    let app = spawn_app_with(Backend::Redis, move |t| t + &snippet).await;
    notify_and_publish(&app).await;

    // 1002's next page shows the notification at its top, sanitised, once.
    let (csp, html) = page(&app, "1002").await;
    assert!(
        html.contains(
            "<div class=\"fbb-notice\" role=\"status\">Ann Lee watered your <b>garden</b></div>"
        ),
        "{html}"
    );
    assert!(
        !csp.contains("script-src"),
        "no script without a story: {csp}"
    );
    let (_, again) = page(&app, "1002").await;
    assert!(
        !again.contains("class=\"fbb-notice\""),
        "shown once: {again}"
    );

    // 1001's next page posts the story with mixi's own dialog.
    let (csp, html) = page(&app, "1001").await;
    assert!(!html.contains("class=\"fbb-notice\""));
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|s| s.split('\'').next())
        .expect("a script nonce");
    assert!(csp.contains("http://127.0.0.1:9/opensocial.js"), "{csp}");
    assert!(
        html.contains(&format!("<script nonce=\"{nonce}\">")),
        "{html}"
    );
    assert!(html.contains("opensocial.requestCreateActivity"));
    let data = html
        .split("var stories = ")
        .nth(1)
        .and_then(|s| s.split(";\n").next())
        .unwrap();
    let stories: Value = serde_json::from_str(data).unwrap();
    assert_eq!(
        stories,
        serde_json::json!([{
            "title": "Ann Lee baked bread with User 1002, User 1003 and User 1004",
            "url": "http://mixi.jp/run_appli.pl?id=4242",
            "recipients": ["1002", "1003"],
            "media": [
                {"url": "http://img.example/1.png", "mime": "image/png"},
                {"url": "http://img.example/2.png", "mime": "image/png"},
                {"url": "http://img.example/3.png", "mime": "image/png"},
            ],
        }])
    );
    let (csp, html) = page(&app, "1001").await;
    assert!(!html.contains("requestCreateActivity") && !csp.contains("script-src"));
}
