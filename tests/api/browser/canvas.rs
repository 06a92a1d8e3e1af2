//! The canvas invite flow in headless Chromium at phone width: the sandbox launch, the
//! app's FBML invite page with the friend selector, the confirmation page, and the app's
//! thank-you page with the `ids[]` it received. Screenshots: `target/screenshots/canvas-*.png`.

use super::*;
use crate::helpers::container::Container;
use crate::helpers::fbml_app::FbmlApp;

#[tokio::test]
async fn the_canvas_invite_flow_in_a_real_browser() {
    let fbml = FbmlApp::start().await;
    let snippet = fbml.config(10);
    // The browser follows the gateway's own URLs, so its public URL must be reachable.
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
    app.seed_profiles("canvasapp").await;
    let browser = Browser::start().await;
    browser
        .c()
        .goto(&format!(
            "{}/sandbox/canvasapp/launch/1001?path=invite.php",
            app.address
        ))
        .await
        .unwrap();
    browser
        .c()
        .find(Locator::Css("form.fbb-request-form"))
        .await
        .unwrap();
    let labels = browser
        .c()
        .find_all(Locator::Css(".fbb-friends label"))
        .await
        .unwrap();
    assert_eq!(labels.len(), 3, "1002, 1003 and 1004");
    let pwned: Value = browser
        .c()
        .execute("return typeof window.__pwned", vec![])
        .await
        .unwrap();
    assert_eq!(pwned, "undefined");
    browser.screenshot("canvas-invite").await;
    browser.choose_friends(&["1002", "1004"]).await;
    browser.click("button.fbb-send").await;
    browser
        .wait_for_url(&format!("http://127.0.0.1:{port}/send_req.php"))
        .await;
    let heading = browser.text_of("h1").await;
    assert_eq!(heading, "Sliced Bread: send 2 sandwich invitations?");
    browser.screenshot("canvas-confirm").await;
    browser.click("#fbb-send").await;
    browser
        .wait_for_url(&format!(
            "http://127.0.0.1:{port}/canvas/canvasapp/_fbb/done"
        ))
        .await;
    let thanks = browser.text_of(".fbb-success h2").await;
    assert_eq!(thanks, "You invited 2 friends");
    browser.screenshot("canvas-thanks").await;

    // A hostile page: nothing in it runs, even when its links and buttons are clicked.
    browser
        .c()
        .goto(&format!(
            "{}/sandbox/canvasapp/launch/1001?path=hostile.php",
            app.address
        ))
        .await
        .unwrap();
    browser.c().find(Locator::Css(".fbb-name")).await.unwrap();
    if let Ok(link) = browser.c().find(Locator::Id("j")).await {
        let _ = link.click().await;
    }
    if let Ok(button) = browser.c().find(Locator::Id("f")).await {
        let _ = button.click().await;
    }
    let pwned: Value = browser
        .c()
        .execute("return typeof window.__pwned", vec![])
        .await
        .unwrap();
    assert_eq!(pwned, "undefined", "no payload ran");
    browser.stop().await;

    let call = fbml
        .calls
        .lock()
        .unwrap()
        .iter()
        .rev()
        .find(|c| c.path == "thanks.php")
        .cloned()
        .unwrap();
    assert!(call.fb_sig_valid, "{call:?}");
    assert_eq!(call.all("ids[]"), vec!["1002", "1004"]);
    let (status, allocation) = app
        .admin(
            reqwest::Method::GET,
            "/admin/v1/apps/canvasapp/users/1001/allocation",
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(allocation["used"], 2);
    for uid in [1002, 1004] {
        assert_eq!(
            app.wait_inbox("canvasapp", uid, 1).await["items"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }
}
