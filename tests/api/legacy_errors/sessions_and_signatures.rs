//! Errors 104, 102 and 103: signatures, sessions, call_ids.

use super::*;

#[tokio::test]
async fn error_104_bad_or_missing_signature() {
    let app = spawn_app().await;
    let session = app.session(1001).await;
    check_error(&app, 104, "Incorrect signature", |c, v| {
        call(
            APP_KEY,
            "wrong-secret",
            SEND,
            Some(&session),
            Some(c),
            &[],
            v,
        )
    })
    .await;
    check_error(&app, 104, "Incorrect signature", |c, v| {
        let mut p = call(APP_KEY, APP_SECRET, SEND, Some(&session), Some(c), &[], v);
        p.pop(); // no sig at all
        p
    })
    .await;
    // ss=1 means the session secret; the app secret is then wrong.
    check_error(&app, 104, "Incorrect signature", |c, v| {
        call(
            APP_KEY,
            APP_SECRET,
            SEND,
            Some(&session),
            Some(c),
            &[("ss", "1")],
            v,
        )
    })
    .await;
}

#[tokio::test]
async fn error_102_unknown_foreign_malformed_or_expired_session() {
    error_102_unknown_foreign_malformed_or_expired_session_on(Backend::Redis).await;
}

pub async fn error_102_unknown_foreign_malformed_or_expired_session_on(backend: Backend) {
    let app = spawn_app_with(backend, |t| t).await;
    let (other_apps_session, _) = app.session_in("nocallid", 1001).await;
    for session in [
        "0123456789abcdef0123456789abcdef-1001",
        other_apps_session.as_str(),
        "garbage",
    ] {
        check_error(
            &app,
            102,
            "Session key invalid or no longer valid",
            |c, v| {
                call(
                    APP_KEY,
                    APP_SECRET,
                    SEND,
                    Some(session),
                    Some(c),
                    &[("to_ids", "1002"), ("type", "x"), CONTENT],
                    v,
                )
            },
        )
        .await;
    }
    // No session at all.
    check_error(
        &app,
        102,
        "Session key invalid or no longer valid",
        |c, v| {
            call(
                APP_KEY,
                APP_SECRET,
                SEND,
                None,
                Some(c),
                &[("to_ids", "1002"), ("type", "x"), CONTENT],
                v,
            )
        },
    )
    .await;
    // Expired (an app whose sessions last one second; a session asked for through the admin
    // API lasts at least a minute).
    let (status, body) = app
        .admin(
            reqwest::Method::POST,
            "/admin/v1/sessions",
            Some(serde_json::json!({"api_key": "brief", "uid": "1001"})),
        )
        .await;
    assert_eq!(status, 201);
    let short = body["session_key"].as_str().unwrap().to_string();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    check_error(
        &app,
        102,
        "Session key invalid or no longer valid",
        |c, v| {
            call(
                "brief",
                "briefsecret",
                SEND,
                Some(&short),
                Some(c),
                &[("to_ids", "1002"), ("type", "x"), CONTENT],
                v,
            )
        },
    )
    .await;
}

#[tokio::test]
async fn error_103_call_id_not_greater_or_malformed() {
    error_103_call_id_not_greater_or_malformed_on(Backend::Redis).await;
}

pub async fn error_103_call_id_not_greater_or_malformed_on(backend: Backend) {
    let app = spawn_app_with(backend, |t| t).await;
    app.seed_graph(APP_KEY).await;
    let session = app.session(1001).await;
    let first = app
        .call_signed(
            &[
                ("method", "photos.get"),
                ("api_key", APP_KEY),
                ("session_key", &session),
                ("call_id", "1795376183.1118"),
                ("format", "JSON"),
            ],
            APP_SECRET,
        )
        .await;
    assert_eq!(first.error_code(), Some(3), "{}", first.body);
    for stale in ["1795376183.1118", "1795376183.11", "1795376183", "2"] {
        check_error(&app, 103, "Invalid call_id", |_, v| {
            call(
                APP_KEY,
                APP_SECRET,
                SEND,
                Some(&session),
                Some(stale),
                &[("to_ids", "1002"), ("type", "x"), CONTENT],
                v,
            )
        })
        .await;
    }
    for malformed in ["abc", "-5", "1e12", ""] {
        check_error(&app, 103, "Invalid call_id", |_, v| {
            call(
                APP_KEY,
                APP_SECRET,
                SEND,
                Some(&session),
                Some(malformed),
                &[("to_ids", "1002"), ("type", "x"), CONTENT],
                v,
            )
        })
        .await;
    }
    // Exact decimals: one ten-thousandth more is accepted.
    let later = app
        .call_signed(
            &[
                ("method", "photos.get"),
                ("api_key", APP_KEY),
                ("session_key", &session),
                ("call_id", "1795376183.11181"),
                ("format", "JSON"),
            ],
            APP_SECRET,
        )
        .await;
    assert_eq!(later.error_code(), Some(3), "{}", later.body);
}
