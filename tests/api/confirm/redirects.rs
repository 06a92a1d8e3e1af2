//! Redirects stay inside the app.

use super::*;

#[tokio::test]
async fn redirects_stay_inside_the_app() {
    let app = spawn_app_with(Backend::Redis, |t| {
        t.replace("daily_request_limit = 10", "daily_request_limit = 100")
    })
    .await;
    app.seed_graph(APP_KEY).await;
    let session = app.session(1001).await;
    let cases: Vec<(String, &str)> = vec![
        (
            "&next=%2Fgame%2Fplay%3Fx%3D1".into(),
            "http://apps.example.com/slicedbread/game/play?x=1&sent=1",
        ),
        (
            "&next=game%2Fplay%3Fx%3D1".into(),
            "http://apps.example.com/slicedbread/game/play?x=1&sent=1",
        ),
        (
            "&canvas".into(),
            "http://apps.example.com/slicedbread/canvas/?sent=1",
        ),
        (
            "&canvas=1&next=level2".into(),
            "http://apps.example.com/slicedbread/canvas/level2?sent=1",
        ),
        (
            "&next=http%3A%2F%2Fevil.example%2F".into(),
            "http://apps.example.com/slicedbread/?sent=1",
        ),
        (
            "&next=%2F%2Fevil.example".into(),
            "http://apps.example.com/slicedbread/?sent=1",
        ),
        (
            "&next=%2F%5Cevil.example".into(),
            "http://apps.example.com/slicedbread/?sent=1",
        ),
        (
            "&next=..%2F..%2Fevil".into(),
            "http://apps.example.com/slicedbread/?sent=1",
        ),
        (
            "&next=%252e%252e%2Fevil".into(),
            "http://apps.example.com/slicedbread/?sent=1",
        ),
        (
            "&next=javascript%3Aalert(1)".into(),
            "http://apps.example.com/slicedbread/?sent=1",
        ),
        (
            "&next=x%0D%0ALocation%3A%20http%3A%2F%2Fevil.example".into(),
            "http://apps.example.com/slicedbread/?sent=1",
        ),
    ];
    for (suffix, expected) in cases {
        let url = pending(&app, &session, &[("to_ids", "1004")]).await;
        let (status, _, html) = get(&app, &format!("{}{suffix}", local(&app, &url))).await;
        assert_eq!(status, 200, "{suffix}");
        let fields = with(&form_fields(&html, "fbb-send"), &[("action", "send")]);
        let (status, location, _) = post(&app, "/send_req.php", &fields).await;
        assert_eq!(status, 303, "{suffix}");
        assert_eq!(location, expected, "{suffix}");
        // Forging next in the POST itself is no way out either.
        let url = pending(&app, &session, &[("to_ids", "1004")]).await;
        let (_, _, html) = get(&app, &local(&app, &url)).await;
        let forged = with(
            &form_fields(&html, "fbb-cancel"),
            &[("action", "cancel"), ("next", "https://evil.example/")],
        );
        let (_, location, _) = post(&app, "/send_req.php", &forged).await;
        assert_eq!(location, "http://apps.example.com/slicedbread/?sent=0");
    }
}
