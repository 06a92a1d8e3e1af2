//! Every input that becomes state is bounded in time: no key lives forever but the
//! documented ones.

use super::*;

/// Every input that becomes state is bounded in time: after a mixed workload, the only keys
/// without a TTL are the documented ones: per partition the outbox stream, its delayed set,
/// its dead letters (capped at 1,000) and the pending requests by expiry (emptied by the
/// sweeper); the schema record; the apps' template bundles (at most 100 an app); and the
/// social graph that operators write (friendships, who uses the app), which is the apps'
/// data, not a cache.
#[tokio::test]
async fn after_a_mixed_workload_no_key_lives_forever_except_the_documented_ones() {
    let app = spawn_app().await;
    app.seed_graph(APP_KEY).await;
    let session = app.session(1001).await;
    // Direct deliveries (app users), a confirmation page left pending, one cancelled,
    // a refused call, an allocation read, deliveries into sandbox inboxes.
    assert_eq!(
        app.send_request(&session, "1002,1003", &[]).await.body,
        "\"\""
    );
    let pending = app.send_request(&session, "1004", &[]).await;
    assert!(pending.body.contains("send_req.php"), "{}", pending.body);
    assert_eq!(
        app.send_request(&session, "99999", &[]).await.error_code(),
        Some(110)
    );
    let _ = app
        .call_signed(
            &[
                ("method", "admin.getAllocation"),
                ("api_key", APP_KEY),
                ("session_key", &session),
                ("call_id", &app.next_call_id()),
                ("integration_point_name", "requests_remaining"),
            ],
            APP_SECRET,
        )
        .await;
    // A notification, a template bundle and a story.
    let notified = app
        .call_method(
            &session,
            "notifications.send",
            "JSON",
            &[("to_ids", "1002"), ("notification", "hi")],
        )
        .await;
    assert_eq!(notified.body, "\"1002\"");
    let bundle = app
        .call_method(
            &session,
            "feed.registerTemplateBundle",
            "JSON",
            &[("one_line_story_templates", r#"["{*actor*} played"]"#)],
        )
        .await
        .body;
    let story = app
        .call_method(
            &session,
            "feed.publishUserAction",
            "JSON",
            &[("template_bundle_id", &bundle)],
        )
        .await;
    assert_eq!(story.body, "[true]");
    app.wait_inbox(APP_KEY, 1003, 1).await;
    app.wait_inbox(APP_KEY, 1002, 2).await;
    let socket = app.redis.as_ref().unwrap().socket().display().to_string();
    let cli = |args: &[&str]| {
        let out = std::process::Command::new("redis-cli")
            .args(["-s", &socket])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let keys = cli(&["--scan"]);
    let mut forever = Vec::new();
    for key in keys.lines() {
        if cli(&["TTL", key]).trim() == "-1" {
            forever.push(key.to_string());
        }
    }
    let documented = |k: &str| {
        k == "fbb:schema"
            || k.ends_with(":outbox")
            || k.ends_with(":delayed")
            || k.ends_with(":dead")
            || k.ends_with(":expiring")
            || k.contains(":f:")
            || k.contains(":i:")
            || k.contains(":tb:")
    };
    let undocumented: Vec<&String> = forever.iter().filter(|k| !documented(k)).collect();
    println!(
        "{} keys, {} without a TTL, all documented: {}",
        keys.lines().count(),
        forever.len(),
        undocumented.is_empty()
    );
    assert!(
        undocumented.is_empty(),
        "keys that never expire: {undocumented:?}"
    );
    assert!(
        keys.lines().any(|k| k.contains(":s:")),
        "the workload made sessions: {keys}"
    );
}
