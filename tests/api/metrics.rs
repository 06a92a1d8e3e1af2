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

/// Consumer groups are made by every gateway that starts; the second one is answered
/// BUSYGROUP for each partition. That is Redis saying "already there", not a failure, so it
/// must not count as a Redis error (it used to: 256 "errors" for a healthy second gateway).
#[tokio::test]
async fn a_second_gateway_on_the_same_redis_reports_no_redis_errors() {
    let redis = RedisServer::start();
    let socket = redis.socket().display().to_string();
    // Redis' own count of XGROUP CREATE calls, and of those it answered with an error.
    let xgroup_calls = || {
        let out = std::process::Command::new("redis-cli")
            .args(["-s", &socket, "INFO", "commandstats"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let line = text
            .lines()
            .find(|l| l.starts_with("cmdstat_xgroup|create:") || l.starts_with("cmdstat_xgroup:"))
            .unwrap_or("")
            .to_string();
        let field = |name: &str| -> u64 {
            line.split([':', ','])
                .find_map(|kv| kv.strip_prefix(name))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        (field("calls="), field("failed_calls="))
    };
    let dir = tempfile::tempdir().unwrap();
    let mut gateways = Vec::new();
    let mut ports = Vec::new();
    for n in 0..2 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let toml = format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\n\n{}\n[outbox]\nworkers = 1\n\n[[app]]\napi_key = \"{APP_KEY}\"\nsecret = \"{APP_SECRET}\"\ncallback_url = \"http://apps.example.com/a/\"\n",
            redis_section(&redis.url())
        );
        let path = dir.path().join(format!("gateway{n}.toml"));
        std::fs::write(&path, toml).unwrap();
        gateways.push(Process::start(&path, port).await);
        ports.push(port);
        // The gateway's worker makes (or meets) one group per partition when it starts.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while xgroup_calls().0 < 16 * (n as u64 + 1) {
            assert!(
                std::time::Instant::now() < deadline,
                "worker {n} made no groups"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
    // The second gateway was answered BUSYGROUP for every partition.
    assert_eq!(xgroup_calls(), (32, 16));
    let client = reqwest::Client::new();
    for port in &ports {
        let text = client
            .get(format!("http://127.0.0.1:{port}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(text.contains("fbbridge_outbox_messages"), "{text}");
        assert_eq!(
            value_of(&text, "fbbridge_redis_errors_total"),
            0.0,
            "gateway on {port}:\n{text}"
        );
    }
    drop(gateways);
}

/// With `metrics_listen`, `/metrics` (and, when asked, the admin API) live on an internal
/// address only; the public listener answers 404 for them.
#[tokio::test]
async fn metrics_and_admin_on_a_separate_internal_listener() {
    let app = spawn_app_with(Backend::Memory, |t| {
        t.replace(
            "workers = 2\n",
            "workers = 2\nmetrics_listen = \"127.0.0.1:0\"\nadmin_on_metrics_listen = true\n",
        )
    })
    .await;
    let internal = format!(
        "http://127.0.0.1:{}",
        app.metrics_port.expect("an internal port")
    );
    let status = |url: String| {
        let client = app.client.clone();
        async move {
            client
                .get(url)
                .bearer_auth(ADMIN_TOKEN)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(status(format!("{internal}/metrics")).await, 200);
    assert_eq!(status(format!("{internal}/admin/v1/outbox")).await, 200);
    assert_eq!(status(format!("{internal}/healthz")).await, 200);
    assert_eq!(status(format!("{internal}/restserver.php")).await, 404);
    assert_eq!(status(format!("{}/metrics", app.address)).await, 404);
    assert_eq!(
        status(format!("{}/admin/v1/outbox", app.address)).await,
        404
    );
    assert_eq!(status(format!("{}/healthz", app.address)).await, 200);
    assert_eq!(status(format!("{}/restserver.php", app.address)).await, 200);
}
