//! Fault tests: a confirmed request survives a gateway SIGKILL and a Redis restart, and is
//! delivered exactly once. Each test prints its counts (confirmed, delivered, duplicated,
//! lost).
//!
//! The platform call timeout is long here on purpose: a call that times out may have been
//! taken by the platform and is retried (at-least-once), which is not what these tests are
//! about; under a loaded test machine a 2 s timeout can fire on a healthy container.

use std::collections::HashMap;
use std::time::Duration;

use fbbridge::store::prelude::*;

use crate::helpers::container::{Behaviour, Container};
use crate::helpers::*;

const APP: &str = "mob";

pub(crate) fn gateway_toml(
    port: u16,
    redis_url: &str,
    container_port: u16,
    workers: usize,
) -> String {
    format!(
        r#"
[server]
listen = "127.0.0.1:{port}"
public_url = "http://gateway.example"
admin_token = "{ADMIN_TOKEN}"

[store]
backend = "redis"
url = "{redis_url}"
partitions = 16
timeout_ms = 500

[outbox]
workers = {workers}
retry_schedule_secs = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
reclaim_idle_secs = 10
http_timeout_ms = 5000

[[app]]
api_key = "{APP}"
secret = "{APP}-secret"
app_id = "12000129"
callback_url = "http://apps.example.com/game/"
daily_request_limit = 100
platform = "mobage"
[app.upstream]
endpoint = "http://127.0.0.1:{container_port}"
consumer_key = "ck"
consumer_secret = "cs"
pair_window_secs = 1
"#
    )
}

async fn seed(app: &TestApp) -> String {
    for uid in [1001, 1002, 1003, 1004] {
        app.install(APP, uid).await;
    }
    app.befriend(APP, 1001, &[1002, 1003, 1004]).await;
    app.session_in(APP, 1001).await.0
}

/// `n` requests to 1002, 1003 and 1004, each with its own content ("Round k").
async fn confirm_rounds(app: &TestApp, session: &str, n: usize) -> usize {
    let secret = format!("{APP}-secret");
    for k in 0..n {
        let content = format!("Round {k}");
        let extra = [("type", "round"), ("content", content.as_str())];
        let ans = app
            .send_request_as(APP, &secret, session, "1002,1003,1004", &extra)
            .await;
        assert_eq!(ans.body, "\"\"", "queued without confirmation");
    }
    n * 3
}

/// (delivered distinct, duplicated, lost) of `confirmed` messages (or activities: each is
/// told apart by its path, recipient and title), once the container has had time to take
/// them all.
pub(crate) async fn tally(c: &Container, confirmed: usize) -> (usize, usize, usize) {
    c.wait_accepted(confirmed).await;
    // A little longer, so that a duplicate would have time to show.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut seen: HashMap<(String, String, String), usize> = HashMap::new();
    for r in c.accepted() {
        *seen
            .entry((
                r.path.clone(),
                r.recipient.clone(),
                r.body["title"].as_str().unwrap_or("").to_string(),
            ))
            .or_default() += 1;
    }
    let delivered = seen.len();
    let duplicated: usize = seen.values().map(|n| n - 1).sum();
    (delivered, duplicated, confirmed.saturating_sub(delivered))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_killed_right_after_confirming() {
    let redis = RedisServer::start_with(&["--appendonly", "yes", "--appendfsync", "always"]);
    let dir = tempfile::tempdir().unwrap();
    let container_port = Container::reserve_port();
    let (port_a, port_b) = (Container::reserve_port(), Container::reserve_port());
    let config_a = dir.path().join("a.toml");
    let config_b = dir.path().join("b.toml");
    std::fs::write(
        &config_a,
        gateway_toml(port_a, &redis.url(), container_port, 1),
    )
    .unwrap();
    std::fs::write(
        &config_b,
        gateway_toml(port_b, &redis.url(), container_port, 1),
    )
    .unwrap();

    // Gateway A confirms while the container is down, so its deliveries are queued, in
    // flight or waiting for a retry when it is killed.
    let a = Process::start(&config_a, port_a).await;
    let remote_a = TestApp::remote(port_a);
    let session = seed(&remote_a).await;
    let confirmed = confirm_rounds(&remote_a, &session, 6).await;
    a.sigkill();

    let c = Container::start_on(container_port, "ck", "cs", Behaviour::default()).await;
    let _b = Process::start(&config_b, port_b).await;
    let (delivered, duplicated, lost) = tally(&c, confirmed).await;
    println!("gateway SIGKILL: confirmed {confirmed}, delivered {delivered}, duplicated {duplicated}, lost {lost}");
    assert_eq!((delivered, duplicated, lost), (confirmed, 0, 0));
    assert_eq!(c.violations(), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_killed_before_any_worker_ran() {
    let redis = RedisServer::start_with(&["--appendonly", "yes", "--appendfsync", "always"]);
    let dir = tempfile::tempdir().unwrap();
    let c = Container::start("ck", "cs", Behaviour::default()).await;
    let (port_a, port_b) = (Container::reserve_port(), Container::reserve_port());
    let config_a = dir.path().join("a.toml");
    let config_b = dir.path().join("b.toml");
    std::fs::write(&config_a, gateway_toml(port_a, &redis.url(), c.port, 0)).unwrap();
    std::fs::write(&config_b, gateway_toml(port_b, &redis.url(), c.port, 1)).unwrap();
    let a = Process::start(&config_a, port_a).await;
    let remote_a = TestApp::remote(port_a);
    let session = seed(&remote_a).await;
    let confirmed = confirm_rounds(&remote_a, &session, 5).await;
    a.sigkill();
    assert!(c.received().is_empty());
    // A separate `fbbridge worker` process takes over the queued deliveries.
    let _ = port_b;
    let _b = Process::worker(&config_b);
    let (delivered, duplicated, lost) = tally(&c, confirmed).await;
    println!("gateway SIGKILL, then `fbbridge worker`: confirmed {confirmed}, delivered {delivered}, duplicated {duplicated}, lost {lost}");
    assert_eq!((delivered, duplicated, lost), (confirmed, 0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restarted_between_confirmation_and_delivery() {
    let redis = RedisServer::start_with(&["--appendonly", "yes", "--appendfsync", "always"]);
    let container_port = Container::reserve_port();
    let mut config = test_config(&redis_section(&redis.url()), |t| {
        t.replace(
            "[outbox]\nworkers = 1",
            "[outbox]\nworkers = 1\nretry_schedule_secs = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\nreclaim_idle_secs = 10\nhttp_timeout_ms = 5000",
        ) + &format!(
            "\n[[app]]\napi_key = \"{APP}\"\nsecret = \"{APP}-secret\"\ncallback_url = \"http://apps.example.com/game/\"\ndaily_request_limit = 100\nplatform = \"mobage\"\n[app.upstream]\nendpoint = \"http://127.0.0.1:{container_port}\"\nconsumer_key = \"ck\"\nconsumer_secret = \"cs\"\npair_window_secs = 1\n"
        )
    });
    config.store.timeout_ms = 500;
    let mut app = spawn_with_config(config, Some(redis)).await;
    let session = seed(&app).await;
    let confirmed = confirm_rounds(&app, &session, 6).await;

    // Redis dies (SIGKILL) and comes back from its append-only file.
    app.redis.as_mut().unwrap().restart();
    let c = Container::start_on(container_port, "ck", "cs", Behaviour::default()).await;
    let (delivered, duplicated, lost) = tally(&c, confirmed).await;
    println!("Redis restart: confirmed {confirmed}, delivered {delivered}, duplicated {duplicated}, lost {lost}");
    assert_eq!((delivered, duplicated, lost), (confirmed, 0, 0));
    // And the gateway carries on with the same session (kept in the AOF too).
    let more = confirm_rounds(&app, &session, 1).await;
    assert_eq!(
        c.wait_accepted(confirmed + more).await.len(),
        confirmed + more
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_hands_back_the_batch() {
    let redis = RedisServer::start_with(&["--appendonly", "yes", "--appendfsync", "always"]);
    let slow = Behaviour {
        delay: Duration::from_millis(300),
        ..Default::default()
    };
    let c = Container::start("ck", "cs", slow).await;
    let config = |redis_url: &str| {
        let mut config = test_config(&redis_section(redis_url), |t| {
            t.replace(
                "[outbox]\nworkers = 1",
                "[outbox]\nworkers = 1\nreclaim_idle_secs = 60\nhttp_timeout_ms = 10000",
            ) + &format!(
                "\n[[app]]\napi_key = \"{APP}\"\nsecret = \"{APP}-secret\"\ncallback_url = \"http://apps.example.com/game/\"\ndaily_request_limit = 100\nplatform = \"mobage\"\n[app.upstream]\nendpoint = \"{}\"\nconsumer_key = \"ck\"\nconsumer_secret = \"cs\"\npair_window_secs = 1\n",
                c.endpoint()
            )
        });
        config.store.timeout_ms = 1000;
        config
    };
    let (app, stopper) = spawn_stoppable(config(&redis.url()), None).await;
    let session = seed(&app).await;
    // Nine messages, one worker, 300 ms an answer: most of the batch is still in hand.
    let confirmed = confirm_rounds(&app, &session, 3).await;
    c.wait_accepted(1).await;
    stopper.stop().await;
    let counts = app.store.outbox_counts().await.unwrap();
    assert_eq!(
        counts.in_flight, 0,
        "nothing left claimed by the stopped worker: {counts:?}"
    );
    let sent_before = c.accepted().len();
    assert!(
        sent_before < confirmed,
        "the test stopped too late to hand anything back"
    );
    // A new gateway (reclaim would take 60 s) delivers the rest at once.
    let (_again, _stopper) = spawn_stoppable(config(&redis.url()), None).await;
    let (delivered, duplicated, lost) = tally(&c, confirmed).await;
    println!("graceful shutdown: confirmed {confirmed}, delivered by the first gateway {sent_before}, delivered {delivered}, duplicated {duplicated}, lost {lost}");
    assert_eq!((delivered, duplicated, lost), (confirmed, 0, 0));
}
