//! The mixi page in a real browser, with a requestShareApp test double.

use super::*;

async fn mixi_page(app: &TestApp) -> String {
    app.seed_graph("mixiapp").await;
    let (session, _) = app.session_in("mixiapp", 1001).await;
    let content = "Please take this bunch of flowers! <fb:req-choice url=\"http://apps.example.com/mixi/gift?id=7\" label=\"Accept\"/>";
    let extra = [
        ("type", "flower"),
        ("content", content),
        ("image", "http://127.0.0.1:9/flower.gif"),
        ("invite", "1"),
    ];
    let ans = app
        .send_request_as("mixiapp", "mixisecret", &session, "1002,1004", &extra)
        .await;
    local(app, ans.json().as_str().unwrap())
}

#[tokio::test]
async fn mixi_request_share_app_in_a_real_browser() {
    let (app, app_port) = setup().await;
    let url = mixi_page(&app).await;
    let browser = Browser::start().await;
    browser.c().goto(&url).await.unwrap();
    browser.screenshot("confirm-mixi").await;
    browser
        .c()
        .find(Locator::Id("fbb-share"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let calls: Value = browser
        .c()
        .execute("return window.__shareCalls", vec![])
        .await
        .unwrap();
    assert_eq!(calls.as_array().unwrap().len(), 1, "{calls}");
    let call = &calls[0];
    let p = &call["params"];
    assert_eq!(
        call["recipients"],
        json!({"idSpec": {"USER_ID": ["1002", "1004"]}})
    );
    assert_eq!(call["reason"], Value::Null);
    assert_eq!(
        p["TARGET_USERS"],
        json!({"idSpec": {"USER_ID": ["1002", "1004"]}})
    );
    assert_eq!(p["BODY"], "Please take this bunch of flowers!");
    assert_eq!(
        p["IMAGE"],
        json!({"mediaItem": {"mime": "image/gif", "url": "http://127.0.0.1:9/flower.gif"}})
    );
    assert_eq!(p["URL"], "http://mixi.jp/run_appli.pl?id=4242");
    assert_eq!(p["MOBILE_URL"], "http://ma.mixi.net/4242/");
    assert_eq!(p["FILTER_TYPE"], "not_joined_only");
    assert_eq!(p["DESCRIPTION"], "flower");

    browser
        .c()
        .execute(
            "window.__respond({recipientIds: ['1004'], requestId: 'mixi-req-42'})",
            vec![],
        )
        .await
        .unwrap();
    let landed = browser
        .wait_for_url(&format!("http://127.0.0.1:{app_port}/"))
        .await;
    assert_eq!(landed, format!("http://127.0.0.1:{app_port}/mixi/?sent=1"));
    let v = app.request_view("mixiapp", &url).await;
    assert_eq!(v["status"], "sent");
    assert_eq!(v["platform_request_id"], "mixi-req-42");
    assert_eq!(v["recipients"][1]["state"], "delivered");
    assert_eq!(v["recipients"][0]["state"], "dropped");
    browser.stop().await;
}

#[tokio::test]
async fn mixi_insufficient_scope_is_said_plainly() {
    let (app, app_port) = setup().await;
    let url = mixi_page(&app).await;
    let browser = Browser::start().await;
    browser.c().goto(&url).await.unwrap();
    browser
        .c()
        .find(Locator::Id("fbb-share"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .c()
        .execute("window.__respondError(401)", vec![])
        .await
        .unwrap();
    let status = browser.c().find(Locator::Id("fbb-status")).await.unwrap();
    assert!(status.is_displayed().await.unwrap());
    let text = status.text().await.unwrap();
    assert!(text.contains("mixi_apps2"), "{text}");
    browser.screenshot("mixi-insufficient-scope").await;
    browser
        .c()
        .find(Locator::Id("fbb-back"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let landed = browser
        .wait_for_url(&format!("http://127.0.0.1:{app_port}/"))
        .await;
    assert_eq!(landed, format!("http://127.0.0.1:{app_port}/mixi/?sent=0"));
    let v = app.request_view("mixiapp", &url).await;
    assert_eq!(v["status"], "cancelled");
    browser.stop().await;
}
