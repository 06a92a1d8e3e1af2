//! Errors 3, 100, 110, 4 and 2: methods, parameters, recipients, quotas, Redis down.

use super::*;

#[tokio::test]
async fn error_3_unknown_method() {
    let app = spawn_app().await;
    let session = app.session(1001).await;
    check_error(&app, 3, "Unknown method", |c, v| {
        call(
            APP_KEY,
            APP_SECRET,
            "facebook.photos.get",
            Some(&session),
            Some(c),
            &[],
            v,
        )
    })
    .await;
    // The prefix is matched case-sensitively after stripping it.
    check_error(&app, 3, "Unknown method", |c, v| {
        call(
            APP_KEY,
            APP_SECRET,
            "notifications.sendrequest",
            Some(&session),
            Some(c),
            &[],
            v,
        )
    })
    .await;
    check_error(&app, 3, "Unknown method", |c, v| {
        call(APP_KEY, APP_SECRET, "", None, Some(c), &[], v)
    })
    .await;
}

#[tokio::test]
async fn error_100_missing_or_malformed_parameters() {
    let app = spawn_app().await;
    app.seed_graph(APP_KEY).await;
    let session = app.session(1001).await;
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![("type", "x"), CONTENT],
        vec![("to_ids", ""), ("type", "x"), CONTENT],
        vec![("to_ids", "1002,abc"), ("type", "x"), CONTENT],
        vec![("to_ids", "[1002,"), ("type", "x"), CONTENT],
        vec![
            ("to_ids", "1,2,3,4,5,6,7,8,9,10,11"),
            ("type", "x"),
            CONTENT,
        ],
        vec![("to_ids", "1002"), CONTENT],
        vec![("to_ids", "1002"), ("type", "x")],
        vec![
            ("to_ids", "1002"),
            ("type", "x"),
            CONTENT,
            ("invite", "maybe"),
        ],
        vec![
            ("to_ids", "1002"),
            ("type", "x"),
            CONTENT,
            ("image", "javascript:alert(1)"),
        ],
    ];
    for extra in &cases {
        check_error(&app, 100, "Invalid parameter", |c, v| {
            call(APP_KEY, APP_SECRET, SEND, Some(&session), Some(c), extra, v)
        })
        .await;
    }
    // call_id is required for this app.
    check_error(&app, 100, "Invalid parameter", |_, v| {
        call(
            APP_KEY,
            APP_SECRET,
            SEND,
            Some(&session),
            None,
            &[("to_ids", "1002"), ("type", "x"), CONTENT],
            v,
        )
    })
    .await;
    check_error(&app, 100, "Invalid parameter", |c, v| {
        call(
            APP_KEY,
            APP_SECRET,
            "admin.getAllocation",
            None,
            Some(c),
            &[("integration_point_name", "nope")],
            v,
        )
    })
    .await;
}

#[tokio::test]
async fn error_100_for_bodies_that_cannot_be_read() {
    let app = spawn_app_with(Backend::Memory, |t| t).await;
    // Too large: answered, not reset; the query string is echoed.
    let big = "x".repeat(20_000);
    let res = app
        .client
        .post(format!(
            "{}/restserver.php?format=JSON&method=m",
            app.address
        ))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("content={big}"))
        .send()
        .await
        .unwrap();
    let ans = answer(res).await;
    assert_eq!(ans.status, 200);
    assert_eq!(
        ans.body,
        r#"{"error_code":100,"error_msg":"Invalid parameter","request_args":[{"key":"format","value":"JSON"},{"key":"method","value":"m"}]}"#
    );
    // A multipart body that breaks off.
    let res = app
        .client
        .post(format!("{}/restserver.php?format=json", app.address))
        .header("content-type", "multipart/form-data; boundary=zz")
        .body("--zz\r\nContent-Disposition: form-data; name=\"api_key\"\r\n\r\napp1")
        .send()
        .await
        .unwrap();
    let ans = answer(res).await;
    assert_eq!(ans.status, 200);
    assert_eq!(
        ans.body,
        r#"{"error_code":100,"error_msg":"Invalid parameter","request_args":[{"key":"format","value":"json"}]}"#
    );
}

#[tokio::test]
async fn error_110_recipient_neither_friend_nor_app_user() {
    error_110_recipient_neither_friend_nor_app_user_on(Backend::Redis).await;
}

pub async fn error_110_recipient_neither_friend_nor_app_user_on(backend: Backend) {
    let app = spawn_app_with(backend, |t| t).await;
    app.seed_graph(APP_KEY).await;
    let session = app.session(1001).await;
    for to in ["9999", "1002,9999", "1001"] {
        check_error(&app, 110, "Invalid user id", |c, v| {
            call(
                APP_KEY,
                APP_SECRET,
                SEND,
                Some(&session),
                Some(c),
                &[("to_ids", to), ("type", "x"), CONTENT],
                v,
            )
        })
        .await;
    }
    // Nothing was taken from the quota by refused calls.
    let (_, alloc) = app
        .admin(
            reqwest::Method::GET,
            "/admin/v1/apps/app1/users/1001/allocation",
            None,
        )
        .await;
    assert_eq!(alloc["used"], 0);
}

#[tokio::test]
async fn error_4_daily_limit_reached() {
    error_4_daily_limit_reached_on(Backend::Redis).await;
}

pub async fn error_4_daily_limit_reached_on(backend: Backend) {
    let app = spawn_app_with(backend, |t| t).await;
    app.seed_graph(APP_KEY).await;
    let session = app.session(1001).await;
    for _ in 0..3 {
        let ans = app.send_request(&session, "1002,1003,1004", &[]).await;
        assert!(ans.error_code().is_none(), "{}", ans.body);
    }
    check_error(&app, 4, "Application request limit reached", |c, v| {
        call(
            APP_KEY,
            APP_SECRET,
            SEND,
            Some(&session),
            Some(c),
            &[("to_ids", "1002,1003"), ("type", "x"), CONTENT],
            v,
        )
    })
    .await;
    // All or nothing: 9 used, the refused calls took nothing, one more still fits.
    let (_, alloc) = app
        .admin(
            reqwest::Method::GET,
            "/admin/v1/apps/app1/users/1001/allocation",
            None,
        )
        .await;
    assert_eq!(alloc["used"], 9);
    assert_eq!(alloc["remaining"], 1);
    let ans = app.send_request(&session, "1004", &[]).await;
    assert!(ans.error_code().is_none(), "{}", ans.body);
    let ans = app.send_request(&session, "1002", &[]).await;
    assert_eq!(ans.error_code(), Some(4));
}

#[tokio::test]
async fn error_2_when_redis_is_down_then_recovery_without_restart() {
    let mut app = spawn_app().await;
    app.seed_graph(APP_KEY).await;
    let session = app.session(1001).await;
    let ok = app.send_request(&session, "1004", &[]).await;
    assert!(ok.error_code().is_none(), "{}", ok.body);

    app.redis.as_mut().unwrap().stop();
    let started = std::time::Instant::now();
    check_error(&app, 2, "Service temporarily unavailable", |c, v| {
        call(
            APP_KEY,
            APP_SECRET,
            SEND,
            Some(&session),
            Some(c),
            &[("to_ids", "1004"), ("type", "x"), CONTENT],
            v,
        )
    })
    .await;
    // Seven calls, each bounded by the 300 ms store timeout.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(7),
        "{:?}",
        started.elapsed()
    );
    let ready = app
        .client
        .get(format!("{}/readyz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status().as_u16(), 503);

    // Redis returns (empty: no persistence in this test); the same gateway serves again.
    app.redis.as_mut().unwrap().restart();
    let mut recovered = false;
    for _ in 0..50 {
        let ready = app
            .client
            .get(format!("{}/readyz", app.address))
            .send()
            .await
            .unwrap();
        if ready.status().as_u16() == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(recovered, "gateway never saw Redis again");
    app.seed_graph(APP_KEY).await;
    let session = app.session(1001).await;
    let ans = app.send_request(&session, "1004", &[]).await;
    assert!(ans.error_code().is_none(), "{}", ans.body);
}
