//! A story published on mixi reaches mixi from its actor's next canvas page: the page's
//! script calls the `requestCreateActivity` test double in Chromium with the title, at most
//! 3 media items, at most 2 recipients and the app's `run_appli.pl`; the notification sent
//! to a friend is shown at the top of the friend's next page.

use super::*;
use crate::helpers::container::Container;
use crate::helpers::fbml_app::mixi_entry;
use crate::helpers::fbml_app::FbmlApp;
use crate::notify::mixi::{mixi_app, notify_and_publish, MIXI_KEY};

#[tokio::test]
async fn mixi_stories_are_posted_by_the_actors_next_page() {
    let fbml = FbmlApp::start().await;
    let double_port = spawn_app_server().await;
    let snippet = mixi_app(
        &fbml,
        &format!("http://127.0.0.1:{double_port}/opensocial-double.js"),
    );
    let port = Container::reserve_port();
    let app = spawn_app_with(Backend::Redis, move |t| {
        t.replace(
            "listen = \"127.0.0.1:0\"",
            &format!("listen = \"127.0.0.1:{port}\""),
        ) + &snippet
    })
    .await;
    notify_and_publish(&app).await;
    let base = format!("http://127.0.0.1:{port}");
    let browser = Browser::start().await;
    browser
        .c()
        .goto(&mixi_entry(&base, MIXI_KEY, "1001", "index.php"))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    let calls = loop {
        let calls: Value = browser
            .c()
            .execute("return window.__activityCalls || []", vec![])
            .await
            .unwrap();
        if !calls.as_array().unwrap().is_empty() || Instant::now() > deadline {
            break calls;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    browser.screenshot("mixi-activity-posted").await;
    assert_eq!(
        calls,
        json!([{
            "priority": "HIGH",
            "activity": {
                "TITLE": "Ann Lee baked bread with User 1002, User 1003 and User 1004",
                "URL": "http://mixi.jp/run_appli.pl?id=4242",
                "RECIPIENTS": ["1002", "1003"],
                "MEDIA_ITEMS": [
                    {"mediaItem": {"mime": "image/png", "url": "http://img.example/1.png"}},
                    {"mediaItem": {"mime": "image/png", "url": "http://img.example/2.png"}},
                    {"mediaItem": {"mime": "image/png", "url": "http://img.example/3.png"}},
                ],
            },
        }])
    );
    browser
        .c()
        .goto(&mixi_entry(&base, MIXI_KEY, "1002", "index.php"))
        .await
        .unwrap();
    let notice = browser.text_of(".fbb-notice").await;
    assert_eq!(notice, "Ann Lee watered your garden");
    browser.screenshot("mixi-notice").await;
    browser.stop().await;
}
