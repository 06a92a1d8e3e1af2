//! The demo's invite flow as a newcomer sees it after `cargo run --release`: the launch
//! URL the banner prints, the demo app's FBML invite page, the confirmation page, and
//! "You invited 2 friends"; then the invited friend follows the invitation from her inbox,
//! and the inviter finds a notification and the friend's feed a story. Screenshots (phone
//! width): `target/screenshots/demo-*.png`.

use super::*;
use crate::helpers::container::Container;

#[tokio::test]
async fn the_demo_invite_flow_in_a_real_browser() {
    let port = Container::reserve_port();
    let config = fbbridge::demo::config(vec![(
        "FBBRIDGE__SERVER__LISTEN".into(),
        format!("127.0.0.1:{port}"),
    )])
    .unwrap();
    let seeded = config.clone();
    let app = spawn_with_config(config, None).await;
    fbbridge::demo::seed(&app.store, &seeded).await.unwrap();
    let browser = Browser::start().await;
    browser
        .c()
        .goto(&format!(
            "http://127.0.0.1:{port}/sandbox/demo-app/launch/1001?path=invite.php"
        ))
        .await
        .unwrap();
    let legend = browser.text_of(".fbb-selector legend").await;
    assert_eq!(legend, "Invite your friends to Sliced Bread");
    browser.screenshot("demo-invite").await;
    browser.choose_friends(&["1002", "1004"]).await;
    browser.screenshot("demo-invite-chosen").await;
    browser.click("button.fbb-send").await;
    browser
        .wait_for_url(&format!("http://127.0.0.1:{port}/send_req.php"))
        .await;
    let heading = browser.text_of("h1").await;
    assert_eq!(heading, "Sliced Bread (demo): send 2 sandwich invitations?");
    browser.screenshot("demo-confirm").await;
    browser.click("#fbb-send").await;
    browser
        .wait_for_url(&format!(
            "http://127.0.0.1:{port}/canvas/demo-app/_fbb/done"
        ))
        .await;
    let thanks = browser.text_of(".fbb-success h2").await;
    assert_eq!(thanks, "You invited 2 friends");
    browser.screenshot("demo-thanks").await;
    let inbox = app.wait_inbox("demo-app", 1004, 1).await;
    assert_eq!(inbox["items"].as_array().unwrap().len(), 1);

    // Carol follows the invitation from her inbox: the old apps.facebook.com button
    // launches the app for her, and the app tells Ann and publishes a story.
    browser
        .c()
        .goto(&format!(
            "http://127.0.0.1:{port}/sandbox/demo-app/inbox/1004"
        ))
        .await
        .unwrap();
    browser.screenshot("demo-carol-inbox").await;
    browser.click("a.choice").await;
    browser
        .wait_for_url(&format!(
            "http://127.0.0.1:{port}/canvas/demo-app/accept.php"
        ))
        .await;
    let welcome = browser.text_of(".fbb-success h2").await;
    assert_eq!(welcome, "Welcome to Sliced Bread!");
    browser.screenshot("demo-carol-welcome").await;
    let ann = app.wait_inbox("demo-app", 1001, 1).await;
    assert_eq!(ann["items"][0]["item"], "notification", "{ann}");
    browser
        .c()
        .goto(&format!(
            "http://127.0.0.1:{port}/sandbox/demo-app/inbox/1001"
        ))
        .await
        .unwrap();
    let headline = browser.text_of(".headline span").await;
    assert_eq!(headline, "Notification from Carol King");
    browser.screenshot("demo-ann-notified").await;
    browser
        .c()
        .goto(&format!(
            "http://127.0.0.1:{port}/sandbox/demo-app/feed/1004"
        ))
        .await
        .unwrap();
    let story = browser.text_of(".story .title").await;
    assert_eq!(story, "Carol King joined Sliced Bread, invited by Ann Lee.");
    browser.screenshot("demo-carol-feed").await;
    browser.stop().await;
}
