//! `/metrics` in Prometheus text format.

use crate::helpers::*;

fn value_of(text: &str, series: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(series))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_count_calls_latency_and_outbox() {
    let app = spawn_app().await;
    app.seed_graph(APP_KEY).await;
    let session = app.session(1001).await;
    let scrape = || async {
        let res = app
            .client
            .get(format!("{}/metrics", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200);
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4"));
        res.text().await.unwrap()
    };
    let ok = r#"fbbridge_legacy_requests_total{method="notifications.sendRequest",code="0"}"#;
    let refused =
        r#"fbbridge_legacy_requests_total{method="notifications.sendRequest",code="110"}"#;
    let before = scrape().await;
    app.send_request(&session, "1004", &[]).await;
    app.send_request(&session, "1002", &[]).await;
    app.send_request(&session, "9999", &[]).await;
    let after = scrape().await;
    assert_eq!(value_of(&after, ok) - value_of(&before, ok), 2.0, "{after}");
    assert_eq!(value_of(&after, refused) - value_of(&before, refused), 1.0);
    assert!(after.contains("fbbridge_legacy_request_duration_seconds_bucket{method=\"notifications.sendRequest\",le=\"0.01\"}"), "{after}");
    assert!(
        after.contains("fbbridge_outbox_messages{state=\"dead\"}"),
        "{after}"
    );
    app.wait_inbox(APP_KEY, 1002, 1).await;
    let later = scrape().await;
    assert!(
        later.contains(r#"fbbridge_deliveries_total{platform="sandbox",outcome="delivered"}"#),
        "{later}"
    );
}
