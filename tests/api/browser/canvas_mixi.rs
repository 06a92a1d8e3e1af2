//! The canvas request form on mixi in Chromium: an alphanumeric mixi viewer (a numeric
//! alias), the confirmation page calling the `requestShareApp` test double, and the app's
//! action told only the recipients mixi's dialog chose.

use fbbridge::domain::ApiKey;
use fbbridge::store::Graph;

use super::*;
use crate::helpers::container::Container;
use crate::helpers::fbml_app::{sign_entry, FbmlApp};

#[tokio::test]
async fn the_canvas_request_form_on_mixi_in_a_real_browser() {
    let fbml = FbmlApp::start().await;
    let double_port = spawn_app_server().await;
    let snippet = fbml
        .config(10)
        .replace("api_key = \"canvasapp\"", "api_key = \"mixicanvas\"\nplatform = \"mixi\"")
        .replace("app_id = \"12000129\"", &format!("app_id = \"4242\"\ncontainer_scripts = [\"http://127.0.0.1:{double_port}/opensocial-double.js\"]"))
        .replace("timeout_ms = 1000", "timeout_ms = 1000\nconsumer_key = \"mixi.jp\"\nconsumer_secret = \"mixi-cs\"");
    let port = Container::reserve_port();
    let app = spawn_app_with(Backend::Redis, move |t| {
        t.replace(
            "listen = \"127.0.0.1:0\"",
            &format!("listen = \"127.0.0.1:{port}\""),
        )
        .replace(
            "http://gateway.example",
            &format!("http://127.0.0.1:{port}"),
        ) + &snippet
    })
    .await;
    let api = ApiKey::parse("mixicanvas").unwrap();
    let ann = app.store.alias(&api, "m_ann").await.unwrap();
    app.befriend("mixicanvas", ann.get(), &[1002, 1004]).await;
    app.set_profile("mixicanvas", 1002, json!({"name": "Alice Smith"}))
        .await;
    app.set_profile("mixicanvas", 1004, json!({"name": "Carol King"}))
        .await;

    let now = chrono::Utc::now().timestamp().to_string();
    let url = sign_entry(
        &format!("http://127.0.0.1:{port}/canvas/mixicanvas/invite.php"),
        &[
            ("opensocial_viewer_id", "m_ann"),
            ("opensocial_owner_id", "m_ann"),
            ("opensocial_app_id", "4242"),
            ("oauth_consumer_key", "mixi.jp"),
            ("oauth_nonce", "mixi-nonce-1"),
            ("oauth_timestamp", &now),
        ],
        "mixi-cs",
    );
    let browser = Browser::start().await;
    browser.c().goto(&url).await.unwrap();
    browser.choose_friends(&["1002", "1004"]).await;
    assert_eq!(
        fbml.last().get("fb_sig_user"),
        Some(ann.to_string().as_str()),
        "the alias is the uid"
    );
    browser.click("button.fbb-send").await;
    browser
        .wait_for_url(&format!("http://127.0.0.1:{port}/send_req.php"))
        .await;
    browser.screenshot("canvas-mixi-confirm").await;
    browser.click("#fbb-share").await;
    let calls: Value = browser
        .c()
        .execute("return window.__shareCalls", vec![])
        .await
        .unwrap();
    assert_eq!(
        calls[0]["recipients"],
        json!({"idSpec": {"USER_ID": ["1002", "1004"]}})
    );
    browser
        .c()
        .execute(
            "window.__respond({recipientIds: ['1004'], requestId: 'mixi-req-7'})",
            vec![],
        )
        .await
        .unwrap();
    browser
        .wait_for_url(&format!(
            "http://127.0.0.1:{port}/canvas/mixicanvas/_fbb/done"
        ))
        .await;
    let thanks = browser.text_of(".fbb-success h2").await;
    assert_eq!(thanks, "You invited 1 friends");
    browser.screenshot("canvas-mixi-thanks").await;
    browser.stop().await;
    let call = fbml.last();
    assert!(call.fb_sig_valid);
    assert_eq!(
        call.all("ids[]"),
        vec!["1004"],
        "only whom mixi's dialog sent to"
    );
}
