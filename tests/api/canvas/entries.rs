//! Entries: signed by an independent signer, tampered, replayed, foreign; two gateways.

use super::*;
use crate::helpers::fbml_app::sign_entry;

#[tokio::test]
async fn unsigned_tampered_or_foreign_entries_are_refused() {
    let (app, fbml) = setup(10).await;
    let url = entry(&app, 1001, "").await;
    for bad in [
        url.replace("opensocial_viewer_id=1001", "opensocial_viewer_id=1002"),
        url.replace("opensocial_app_id=12000129", "opensocial_app_id=999"),
        url.split('?').next().unwrap().to_string(),
        format!("{}?fbb_t=forged.token", url.split('?').next().unwrap()),
    ] {
        let (status, _, body) = get(&app, &bad).await;
        assert_eq!(status, 401, "{bad}: {body}");
    }
    assert!(
        fbml.calls.lock().unwrap().is_empty(),
        "nothing reached the app"
    );
    // Another app's canvas, or an app without one.
    let (status, _, _) = get(&app, &format!("{}/canvas/app1/", app.address)).await;
    assert_eq!(status, 404);
    let (status, _, _) = get(&app, &format!("{}/sandbox/app1/launch/1001", app.address)).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn two_gateways_share_nonces_and_tokens() {
    let fbml = FbmlApp::start().await;
    let snippet = fbml.config(10);
    let redis = RedisServer::start();
    let config = test_config(&redis_section(&redis.url()), |t| t + &snippet);
    let second_config = config.clone();
    let a = spawn_with_config(config, Some(redis)).await;
    a.seed_profiles(KEY).await;
    let b = spawn_with_config(second_config, None).await;
    let url = entry(&a, 1001, "").await;
    let (status, _, html) = get(&a, &url).await;
    assert_eq!(status, 200);
    let (status, _, _) = get(&b, &url).await;
    assert_eq!(status, 401, "the nonce is spent on every gateway");
    let link = html[..html.find(">Invite friends<").unwrap()]
        .rsplit("href=\"")
        .next()
        .unwrap()
        .to_string();
    let link = unescape(&link[..link.find('"').unwrap()]);
    let (status, _, page) = get(&b, &link).await;
    assert_eq!(
        status, 200,
        "a token from one gateway works on another: {page}"
    );
}

/// An entry of `signedapp`'s index page for 1001, signed by the test's own signer.
fn container_entry(
    app: &TestApp,
    secret: &str,
    timestamp: i64,
    nonce: &str,
    app_id: &str,
) -> String {
    let ts = timestamp.to_string();
    local(
        app,
        &sign_entry(
            "http://gateway.example/canvas/signedapp/index.php",
            &[
                ("ref", "home"),
                ("opensocial_viewer_id", "1001"),
                ("opensocial_owner_id", "1001"),
                ("opensocial_app_id", app_id),
                ("oauth_consumer_key", "container-ck"),
                ("oauth_nonce", nonce),
                ("oauth_timestamp", &ts),
            ],
            secret,
        ),
    )
}

#[tokio::test]
async fn container_entries_signed_elsewhere_are_checked() {
    let fbml = FbmlApp::start().await;
    let snippet = fbml.config(10).replace("api_key = \"canvasapp\"", "api_key = \"signedapp\"").replace(
        "timeout_ms = 1000",
        "timeout_ms = 1000\nconsumer_key = \"container-ck\"\nconsumer_secret = \"container-cs\"",
    );
    let app = spawn_app_with(Backend::Redis, |t| t + &snippet).await;
    let now = chrono::Utc::now().timestamp();
    let ok = container_entry(&app, "container-cs", now, "n-1", "12000129");
    let (status, _, body) = get(&app, &ok).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        fbml.last().query,
        "ref=home",
        "only the app's own query is forwarded"
    );
    // Whole seconds on both sides, and the gateway's clock read a moment later: 3 s past
    // the 300 s window, so that a second boundary crossed meanwhile cannot let one in.
    let now = chrono::Utc::now().timestamp();
    for (why, url) in [
        ("replayed nonce", ok.clone()),
        (
            "wrong key",
            container_entry(&app, "not-the-secret", now, "n-2", "12000129"),
        ),
        (
            "stale timestamp",
            container_entry(&app, "container-cs", now - 303, "n-3", "12000129"),
        ),
        (
            "future timestamp",
            container_entry(&app, "container-cs", now + 303, "n-4", "12000129"),
        ),
        (
            "wrong app id",
            container_entry(&app, "container-cs", now, "n-5", "999"),
        ),
    ] {
        let (status, _, _) = get(&app, &url).await;
        assert_eq!(status, 401, "{why}");
    }
}
