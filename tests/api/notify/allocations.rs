//! notifications_per_day and feed_actions_per_day: counted per sender across gateways, all
//! or nothing, visible through admin.getAllocation and the admin API.

use super::*;

#[tokio::test]
async fn allocations_hold_across_two_gateways() {
    let redis = RedisServer::start();
    let section = redis_section(&redis.url());
    let limits = |t: String| {
        t.replace(
            "daily_request_limit = 10",
            "daily_request_limit = 10\ndaily_notification_limit = 3\ndaily_feed_limit = 2",
        )
    };
    let one = spawn_with_config(test_config(&section, limits), None).await;
    let two = spawn_with_config(test_config(&section, limits), None).await;
    one.seed_profiles(APP_KEY).await;
    let session = one.session(1001).await;
    let s = session.as_str();
    assert_eq!(notify(&one, s, "1002,1003").await.body, "\"1002,1003\"");
    // One left: two recipients are refused whole, on the other gateway too.
    let a = notify(&two, s, "1002,1003").await;
    assert_eq!(a.error_code(), Some(4), "{}", a.body);
    assert!(a
        .body
        .starts_with(r#"{"error_code":4,"error_msg":"Application request limit reached""#));
    assert_eq!(notify(&two, s, "1002").await.body, "\"1002\"");
    assert_eq!(notify(&one, s, "1003").await.error_code(), Some(4));
    // Stories: two a day.
    for (app, ok) in [(&one, true), (&two, true), (&one, false)] {
        next_ids(app);
        let a = app
            .call_method(
                &session,
                "feed.publishActionOfUser",
                "JSON",
                &[("title", "played")],
            )
            .await;
        if ok {
            assert_eq!(a.body, "[true]");
        } else {
            assert_eq!(a.error_code(), Some(341), "{}", a.body);
            assert!(a.body.contains("Feed action request limit reached"));
        }
    }
    // Requests are counted apart.
    next_ids(&two);
    let a = two.send_request(&session, "1002", &[]).await;
    assert!(a.error_code().is_none(), "{}", a.body);
    let (_, alloc) = two
        .admin(
            reqwest::Method::GET,
            "/admin/v1/apps/app1/users/1001/allocation",
            None,
        )
        .await;
    assert_eq!(alloc["used"], 1, "{alloc}");
    assert_eq!(
        alloc["notifications"],
        serde_json::json!({"limit": 3, "used": 3, "remaining": 0})
    );
    assert_eq!(
        alloc["feed_actions"],
        serde_json::json!({"limit": 2, "used": 2, "remaining": 0})
    );
    for (point, want) in [
        ("notifications_per_day", "3"),
        ("feed_actions_per_day", "2"),
    ] {
        next_ids(&one);
        let a = one
            .call_method(
                &session,
                "admin.getAllocation",
                "JSON",
                &[("integration_point_name", point)],
            )
            .await;
        assert_eq!(a.body, want);
    }
}

/// Each test handle counts call_ids on its own; calls through either gateway must keep
/// rising, as one client's would.
fn next_ids(app: &TestApp) {
    static SEQUENCE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = SEQUENCE.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    app.call_ids
        .store(n * 10, std::sync::atomic::Ordering::SeqCst);
}

async fn notify(app: &TestApp, session: &str, to: &str) -> Answer {
    next_ids(app);
    app.call_method(
        session,
        "notifications.send",
        "JSON",
        &[("to_ids", to), ("notification", "hi")],
    )
    .await
}
