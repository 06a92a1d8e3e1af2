//! Stories in the sandbox: the actor's feed as JSON and as a page, filled from templates
//! with the actor's and targets' names, escaped, and each story there once.

use super::*;

#[tokio::test]
async fn the_sandbox_feed_shows_each_story_once() {
    let (app, session) = seeded().await;
    let bundle = register(
        &app,
        &session,
        r#"["{*actor*} fed {*target*} a {*food*}.","{*actor*} fed a {*food*}."]"#,
    )
    .await;
    let a = app
        .call_method(
            &session,
            "feed.publishUserAction",
            "JSON",
            &[
                ("template_bundle_id", &bundle),
                (
                    "template_data",
                    r#"{"food":"<i>sandwich</i>","images":[{"src":"http://img.example/s.png","href":"http://apps.example.com/slicedbread/s"}]}"#,
                ),
                ("target_ids", "[1004,1002]"),
                ("body_general", "Yum <script>x()</script>"),
            ],
        )
        .await;
    assert_eq!(a.body, "[true]");
    let a = app
        .call_method(
            &session,
            "feed.publishUserAction",
            "JSON",
            &[
                ("template_bundle_id", &bundle),
                ("template_data", r#"{"food":"pie"}"#),
            ],
        )
        .await;
    assert_eq!(a.body, "[true]", "no target: the first covered template");
    let feed = wait_json(&app, &format!("/sandbox/{APP_KEY}/feed/1001"), |v| {
        items(v) >= 2
    })
    .await;
    assert_eq!(feed["uid"], "1001");
    let newest = &feed["items"][0];
    assert_eq!(newest["title"], "Ann Lee fed a pie.");
    let first = &feed["items"][1];
    assert_eq!(
        first["title"],
        "Ann Lee fed Carol &lt;b&gt;King&lt;/b&gt; and Alice Smith a <i>sandwich</i>."
    );
    assert_eq!(first["body"], "Yum <script>x()</script>");
    assert_eq!(first["targets"], serde_json::json!(["1004", "1002"]));
    assert_eq!(
        first["images"],
        serde_json::json!([{"src": "http://img.example/s.png", "href": "http://apps.example.com/slicedbread/s"}])
    );
    assert!(first["created_at"].as_str().unwrap().ends_with('Z'));
    let res = app
        .client
        .get(format!("{}/sandbox/{APP_KEY}/feed/1001", app.address))
        .send()
        .await
        .unwrap();
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    let html = res.text().await.unwrap();
    assert!(html.contains("stories of Ann Lee"), "{html}");
    assert!(
        html.contains(
            "Ann Lee fed Carol &lt;b&gt;King&lt;/b&gt; and Alice Smith a <i>sandwich</i>."
        ),
        "{html}"
    );
    assert!(!html.contains("<script>x()"), "{html}");
    wait_outbox_empty(&app).await;
    assert_eq!(
        items(&wait_json(&app, &format!("/sandbox/{APP_KEY}/feed/1001"), |_| true).await),
        2
    );
    // Nobody else's feed has them; another app's does not either.
    assert_eq!(
        items(&wait_json(&app, &format!("/sandbox/{APP_KEY}/feed/1002"), |_| true).await),
        0
    );
    let res = app
        .client
        .get(format!("{}/sandbox/nosuchapp/feed/1001", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 404);
}
