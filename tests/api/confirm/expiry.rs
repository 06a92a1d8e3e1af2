//! Expired pages, and the quota an unconfirmed page gives back.

use super::*;

#[tokio::test]
async fn expired_pages_are_refused() {
    let app = spawn_app_with(Backend::Redis, |t| {
        t.replace("expiry_secs = 3600", "expiry_secs = 1")
    })
    .await;
    app.seed_graph(APP_KEY).await;
    let session = app.session(1001).await;
    let url = pending(&app, &session, &[]).await;
    let (_, _, html) = get(&app, &local(&app, &url)).await;
    let fields = with(&form_fields(&html, "fbb-send"), &[("action", "send")]);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (status, _, body) = get(&app, &local(&app, &url)).await;
    assert_eq!(status, 410, "{body}");
    assert!(body.contains("expired"));
    assert_eq!(post(&app, "/send_req.php", &fields).await.0, 410);
    assert_eq!(view(&app, &url).await["status"], "expired");
}
