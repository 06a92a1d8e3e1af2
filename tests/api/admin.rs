//! The admin API: authentication, shapes, and symmetric friendship.

use crate::helpers::*;
use serde_json::json;

#[tokio::test]
async fn admin_needs_the_bearer_token() {
    let app = spawn_app_with(Backend::Memory, |t| t).await;
    let url = format!("{}/admin/v1/apps/app1/users/1001/allocation", app.address);
    let none = app.client.get(&url).send().await.unwrap();
    assert_eq!(none.status().as_u16(), 401);
    let wrong = app
        .client
        .get(&url)
        .bearer_auth("test-admin-tokem")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    let right = app
        .client
        .get(&url)
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(right.status().as_u16(), 200);
}

#[tokio::test]
async fn admin_is_off_without_a_token() {
    let app = spawn_app_with(Backend::Memory, |t| {
        t.replace("admin_token = \"test-admin-token\"\n", "")
    })
    .await;
    let res = app
        .client
        .post(format!("{}/admin/v1/sessions", app.address))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({"api_key": "app1", "uid": "1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 404);
}

#[tokio::test]
async fn sessions_and_their_shape() {
    let app = spawn_app().await;
    let (status, body) = app
        .admin(
            reqwest::Method::POST,
            "/admin/v1/sessions",
            Some(json!({"api_key": "app1", "uid": 1001, "ttl_secs": 600})),
        )
        .await;
    assert_eq!(status, 201);
    assert!(body["session_key"].as_str().unwrap().ends_with("-1001"));
    assert_eq!(body["session_secret"].as_str().unwrap().len(), 32);
    assert_eq!(body["uid"], "1001");
    let expires = chrono::DateTime::parse_from_rfc3339(body["expires"].as_str().unwrap()).unwrap();
    let left = expires.timestamp() - chrono::Utc::now().timestamp();
    assert!((590..=601).contains(&left), "{left}");

    for (bad, code) in [
        (json!({"api_key": "nope", "uid": "1"}), 404),
        (json!({"api_key": "app1", "uid": "x"}), 400),
        (json!({"api_key": "app1", "uid": "0"}), 400),
        (json!({"api_key": "app1"}), 400),
        (json!({"api_key": "app1", "uid": "1", "ttl_secs": 0}), 400),
        (json!({"api_key": "app1", "uid": "1", "ttl_secs": 59}), 400),
        (
            json!({"api_key": "app1", "uid": "1", "ttl_secs": 2_592_001}),
            400,
        ),
        (
            json!({"api_key": "app1", "uid": "1", "ttl_secs": 10_000_000_000_000u64}),
            400,
        ),
        (
            json!({"api_key": "app1", "uid": "1", "ttl_secs": u64::MAX}),
            400,
        ),
    ] {
        let (status, body) = app
            .admin(
                reqwest::Method::POST,
                "/admin/v1/sessions",
                Some(bad.clone()),
            )
            .await;
        assert_eq!(status, code, "{bad} -> {body}");
        assert!(body["error"].is_string());
    }
}

#[tokio::test]
async fn friendship_is_symmetric_and_replaceable() {
    let app = spawn_app().await;
    app.install(APP_KEY, 1001).await;
    app.befriend(APP_KEY, 1001, &[1002, 1003]).await;
    // 1002 never set friends, yet 1001 is theirs now.
    let (s1002, _) = app.session_in(APP_KEY, 1002).await;
    let ans = app.send_request(&s1002, "1001", &[]).await;
    assert_eq!(ans.body, "\"\"", "1001 uses the app: sent at once");
    // Replacing 1001's friends drops 1002 on both sides.
    app.befriend(APP_KEY, 1001, &[1003]).await;
    let ans = app.send_request(&s1002, "1001", &[]).await;
    assert_eq!(ans.body, "\"\"", "still an app user, so still allowed");
    app.admin(
        reqwest::Method::PUT,
        "/admin/v1/apps/app1/users/1001/installed",
        Some(json!({"installed": false})),
    )
    .await;
    let ans = app.send_request(&s1002, "1001", &[]).await;
    assert_eq!(ans.error_code(), Some(110), "{}", ans.body);

    let (status, _) = app
        .admin(
            reqwest::Method::PUT,
            "/admin/v1/apps/app1/users/1001/friends",
            Some(json!({"friends": ["1001"]})),
        )
        .await;
    assert_eq!(status, 400);
    let (status, _) = app
        .admin(
            reqwest::Method::PUT,
            "/admin/v1/apps/app1/users/1001/friends",
            Some(json!({"friend": []})),
        )
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn allocation_shape() {
    let app = spawn_app_with(Backend::Redis, |t| {
        t.replace(
            "daily_request_limit = 10",
            "daily_request_limit = 5\nday_starts_utc_offset = \"+09:00\"",
        )
    })
    .await;
    app.seed_graph(APP_KEY).await;
    let session = app.session(1001).await;
    app.send_request(&session, "1002,1004", &[]).await;
    let (status, body) = app
        .admin(
            reqwest::Method::GET,
            "/admin/v1/apps/app1/users/1001/allocation",
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["limit"], 5);
    assert_eq!(body["used"], 2);
    assert_eq!(body["remaining"], 3);
    let resets = body["resets_at"].as_str().unwrap();
    assert!(resets.ends_with("T00:00:00+09:00"), "{resets}");
    let resets = chrono::DateTime::parse_from_rfc3339(resets).unwrap();
    let wait = resets.timestamp() - chrono::Utc::now().timestamp();
    assert!((0..=86_400).contains(&wait));
}

#[tokio::test]
async fn unknown_requests_and_apps() {
    let app = spawn_app().await;
    for (path, code) in [
        ("/admin/v1/apps/app1/requests/1001/42", 404),
        ("/admin/v1/apps/nope/requests/1001/42", 404),
        ("/admin/v1/apps/app1/requests/x/42", 400),
        ("/admin/v1/apps/app1/requests/1001/x", 400),
    ] {
        let (status, _) = app.admin(reqwest::Method::GET, path, None).await;
        assert_eq!(status, code, "{path}");
    }
}

#[tokio::test]
async fn health_and_readiness() {
    let app = spawn_app().await;
    for path in ["/healthz", "/readyz"] {
        let res = app
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200, "{path}");
    }
}
