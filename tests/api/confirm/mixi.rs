//! mixi pages: requestShareApp, completion, errors, framing.

use super::*;

fn mixi_app(t: String) -> String {
    t.replace(
        "callback_url = \"http://apps.example.com/mixi/\"\nplatform = \"mixi\"",
        "callback_url = \"http://apps.example.com/mixi/\"\napp_id = \"4242\"\nplatform = \"mixi\"\ncontainer_scripts = [\"http://127.0.0.1:9/opensocial.js\"]",
    )
}

async fn mixi_pending(app: &TestApp) -> String {
    app.seed_graph("mixiapp").await;
    let (session, _) = app.session_in("mixiapp", 1001).await;
    let content = "Take <b>this</b> flower! <fb:req-choice url=\"http://apps.example.com/mixi/gift?id=7\" label=\"Accept\"/>";
    let extra = [
        ("type", "gift"),
        ("content", content),
        ("image", "http://img.example/flower.gif"),
    ];
    let ans = app
        .send_request_as("mixiapp", "mixisecret", &session, "1002,1003", &extra)
        .await;
    ans.json().as_str().unwrap().to_string()
}

#[tokio::test]
async fn mixi_page_and_completion() {
    let app = spawn_app_with(Backend::Redis, mixi_app).await;
    let url = mixi_pending(&app).await;
    let (status, headers, html) = get(&app, &local(&app, &url)).await;
    assert_eq!(status, 200);
    let csp = &headers["content-security-policy"];
    assert!(csp.contains("script-src 'nonce-"), "{csp}");
    assert!(csp.contains("http://127.0.0.1:9/opensocial.js"), "{csp}");
    assert!(
        csp.contains(
            "frame-ancestors https://mixi.jp https://*.mixi.jp https://*.mixi-platform.com"
        ),
        "the mixi page runs in the gadget's frame, and only there: {csp}"
    );
    assert!(!headers.contains_key("x-frame-options"), "{headers:?}");
    assert!(
        html.contains("<script src=\"http://127.0.0.1:9/opensocial.js\"></script>"),
        "{html}"
    );
    assert!(html.contains("opensocial.requestShareApp(recipients, null"));
    let json_start = html.find("id=\"fbb-request\"").unwrap();
    let json_start = json_start + html[json_start..].find('>').unwrap() + 1;
    let json_end = json_start + html[json_start..].find("</script>").unwrap();
    let data: Value = serde_json::from_str(&html[json_start..json_end]).unwrap();
    assert_eq!(data["recipients"], serde_json::json!(["1002", "1003"]));
    assert_eq!(data["body"], "Take this flower!");
    assert_eq!(
        data["url"],
        "http://mixi.jp/run_appli.pl?id=4242&appParams=gift%3Fid%3D7"
    );
    assert_eq!(
        data["mobile_url"],
        "http://ma.mixi.net/4242/?url=http%3A%2F%2Fapps.example.com%2Fmixi%2Fgift%3Fid%3D7"
    );
    assert_eq!(data["image"], "http://img.example/flower.gif");
    assert_eq!(data["image_mime"], "image/gif");
    assert_eq!(data["invite"], false);
    assert_eq!(data["description"], "gift");

    // The plain Send is not for mixi.
    let fields = form_fields(&html, "fbb-back");
    let send = with(&form_fields(&html, "fbb-cancel"), &[("action", "send")]);
    assert_eq!(post(&app, "/send_req.php", &send).await.0, 400);

    let done = with(
        &fields,
        &[
            ("outcome", "sent"),
            ("recipientIds", "1002"),
            ("requestId", "req-123"),
        ],
    );
    let (status, location, _) = post(&app, "/send_req.php/complete", &done).await;
    assert_eq!(status, 303);
    assert_eq!(location, "http://apps.example.com/mixi/?sent=1");
    let v = app.request_view("mixiapp", &url).await;
    assert_eq!(v["status"], "sent");
    assert_eq!(v["platform_request_id"], "req-123");
    assert_eq!(v["recipients"][0]["state"], "delivered");
    assert_eq!(v["recipients"][1]["state"], "dropped");
    let (_, alloc) = app
        .admin(
            reqwest::Method::GET,
            "/admin/v1/apps/mixiapp/users/1001/allocation",
            None,
        )
        .await;
    assert_eq!(
        alloc["used"], 1,
        "the recipient left out in mixi's dialog is refunded"
    );
    assert_eq!(post(&app, "/send_req.php/complete", &done).await.0, 409);
}

#[tokio::test]
async fn mixi_error_sends_the_user_back_with_sent_0() {
    let app = spawn_app_with(Backend::Redis, mixi_app).await;
    let url = mixi_pending(&app).await;
    let (_, _, html) = get(&app, &local(&app, &url)).await;
    let fields = form_fields(&html, "fbb-back");
    let bad = with(
        &fields,
        &[
            ("outcome", "sent"),
            ("recipientIds", "x<y"),
            ("requestId", "r"),
        ],
    );
    assert_eq!(post(&app, "/send_req.php/complete", &bad).await.0, 400);
    let failed = with(&fields, &[("outcome", "error"), ("error_code", "401")]);
    let (status, location, _) = post(&app, "/send_req.php/complete", &failed).await;
    assert_eq!(status, 303);
    assert_eq!(location, "http://apps.example.com/mixi/?sent=0");
    let v = app.request_view("mixiapp", &url).await;
    assert_eq!(v["status"], "cancelled");
    assert_eq!(v["recipients"][0]["detail"], "mixi error 401");
    let (_, alloc) = app
        .admin(
            reqwest::Method::GET,
            "/admin/v1/apps/mixiapp/users/1001/allocation",
            None,
        )
        .await;
    assert_eq!(alloc["used"], 0);
}

#[tokio::test]
async fn complete_is_only_for_mixi_apps() {
    let (app, session) = setup().await;
    let url = pending(&app, &session, &[]).await;
    let (_, _, html) = get(&app, &local(&app, &url)).await;
    let fields = with(
        &form_fields(&html, "fbb-send"),
        &[
            ("outcome", "sent"),
            ("recipientIds", "1002"),
            ("requestId", "r"),
        ],
    );
    assert_eq!(post(&app, "/send_req.php/complete", &fields).await.0, 400);
}

/// Inside mixi's gadget a refusal must show as a page, not as a blocked frame; everywhere
/// else no page of the gateway may be framed at all.
#[tokio::test]
async fn only_mixi_pages_and_their_refusals_may_be_framed_and_only_by_mixi() {
    let app = spawn_app_with(Backend::Redis, mixi_app).await;
    let url = mixi_pending(&app).await;
    let tampered = local(&app, &url).replace("&t=", "&t=0");
    let (status, headers, _) = get(&app, &tampered).await;
    assert_eq!(status, 403);
    let csp = &headers["content-security-policy"];
    assert!(
        csp.contains(
            "frame-ancestors https://mixi.jp https://*.mixi.jp https://*.mixi-platform.com"
        ),
        "{csp}"
    );
    assert!(!headers.contains_key("x-frame-options"));

    // The same refusal for a sandbox app, an incomplete link, and the sandbox inbox: never
    // framed, whatever the browser understands of CSP.
    app.seed_graph(APP_KEY).await;
    let session = app.session(1001).await;
    let sandbox_url = app.send_request(&session, "1004", &[]).await.json();
    let sandbox_tampered = local(&app, sandbox_url.as_str().unwrap()).replace("&t=", "&t=0");
    for page in [
        sandbox_tampered,
        format!("{}/send_req.php?from=1", app.address),
        format!("{}/sandbox/{APP_KEY}/inbox/1002", app.address),
    ] {
        let (_, headers, _) = get(&app, &page).await;
        assert!(
            headers["content-security-policy"].contains("frame-ancestors 'none'"),
            "{page}: {headers:?}"
        );
        assert_eq!(headers["x-frame-options"], "DENY", "{page}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{page}");
    }
}
