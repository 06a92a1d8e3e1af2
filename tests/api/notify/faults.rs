//! Notifications and stories are never lost and never sent twice: the container down and
//! back, a gateway SIGKILLed with deliveries queued, and Redis restarted from its AOF.
//! Each test prints its counts (published, delivered, duplicated, lost).

use super::*;
use crate::faults::tally;
use crate::helpers::container::{Behaviour, Container};

const APP: &str = "mob";

/// The fault tests' gateway (`crate::faults`), with room for notifications and stories and
/// Mobage's activity window at 1 s.
fn gateway_toml(port: u16, redis_url: &str, container_port: u16) -> String {
    crate::faults::gateway_toml(port, redis_url, container_port, 1)
        .replace(
            "daily_request_limit = 100",
            "daily_request_limit = 100\ndaily_notification_limit = 100\ndaily_feed_limit = 100",
        )
        .replace(
            "pair_window_secs = 1",
            "pair_window_secs = 1\nactivity_window_secs = 1",
        )
}

/// `rounds` notifications to 1002 and 1003 and as many stories of 1001, each with its own
/// text; how many messages and activities that makes.
async fn publish_rounds(app: &TestApp, rounds: usize) -> usize {
    for uid in [1001, 1002, 1003] {
        app.install(APP, uid).await;
    }
    app.befriend(APP, 1001, &[1002, 1003]).await;
    let (session, _) = app.session_in(APP, 1001).await;
    let secret = format!("{APP}-secret");
    for k in 0..rounds {
        let text = format!("Round {k}");
        let a = app
            .call_method_as(
                APP,
                &secret,
                &session,
                "notifications.send",
                "JSON",
                &[("to_ids", "1002,1003"), ("notification", &text)],
            )
            .await;
        assert_eq!(a.body, "\"1002,1003\"");
        let a = app
            .call_method_as(
                APP,
                &secret,
                &session,
                "feed.publishActionOfUser",
                "JSON",
                &[("title", &text)],
            )
            .await;
        assert_eq!(a.body, "[true]");
    }
    rounds * 3
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn container_down_then_back() {
    let redis = RedisServer::start();
    let container_port = Container::reserve_port();
    let config =
        fbbridge::config::load_str(&gateway_toml(0, &redis.url(), container_port), Vec::new())
            .unwrap();
    let app = spawn_with_config(config, Some(redis)).await;
    let published = publish_rounds(&app, 4).await;
    // Every attempt so far was refused at the door; they wait for their retry.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let c = Container::start_on(container_port, "ck", "cs", Behaviour::default()).await;
    let (delivered, duplicated, lost) = tally(&c, published).await;
    println!("container down, then back: published {published}, delivered {delivered}, duplicated {duplicated}, lost {lost}");
    assert_eq!((delivered, duplicated, lost), (published, 0, 0));
    assert_eq!(c.violations(), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_killed_then_redis_restarted() {
    let mut redis = RedisServer::start_with(&["--appendonly", "yes", "--appendfsync", "always"]);
    let dir = tempfile::tempdir().unwrap();
    let container_port = Container::reserve_port();
    let (port_a, port_b) = (Container::reserve_port(), Container::reserve_port());
    let config_a = dir.path().join("a.toml");
    let config_b = dir.path().join("b.toml");
    std::fs::write(
        &config_a,
        gateway_toml(port_a, &redis.url(), container_port),
    )
    .unwrap();
    std::fs::write(
        &config_b,
        gateway_toml(port_b, &redis.url(), container_port),
    )
    .unwrap();
    // Gateway A publishes while the container is down, then dies with it all queued.
    let a = Process::start(&config_a, port_a).await;
    let published = publish_rounds(&TestApp::remote(port_a), 4).await;
    a.sigkill();
    // Redis dies too, and comes back from its append-only file.
    redis.restart();
    let c = Container::start_on(container_port, "ck", "cs", Behaviour::default()).await;
    let _b = Process::start(&config_b, port_b).await;
    let (delivered, duplicated, lost) = tally(&c, published).await;
    println!("gateway SIGKILL and Redis restart: published {published}, delivered {delivered}, duplicated {duplicated}, lost {lost}");
    assert_eq!((delivered, duplicated, lost), (published, 0, 0));
    assert_eq!(c.violations(), (0, 0));
}
