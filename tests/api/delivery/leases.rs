//! Two workers on slow containers: leases keep every message exactly once.

use super::*;

/// Two gateways (one delivery worker each) on one Redis, a container that takes 1.2 s per
/// message, and `reclaim_idle_secs = 3`: the first worker's batch outlasts the reclaim
/// delay, so the second takes over what the first has not reached yet. Each message must
/// still reach the container exactly once.
async fn leases_keep_slow_batches_exactly_once(platform: &str, upstream_extra: &str) {
    let redis = RedisServer::start();
    let slow = Behaviour {
        delay: Duration::from_millis(1200),
        ..Default::default()
    };
    let c = Container::start("ck", "cs", slow).await;
    let app_toml = platform_app("slow", platform, &c.endpoint(), upstream_extra)
        .replace("platform = ", "daily_request_limit = 100\nplatform = ");
    let config = || {
        test_config(&redis_section(&redis.url()), |t| {
            t.replace(
                "[outbox]\nworkers = 1",
                "[outbox]\nworkers = 1\nreclaim_idle_secs = 3\nhttp_timeout_ms = 1500\nretry_schedule_secs = [1, 1, 1, 1, 1]",
            ) + &app_toml
        })
    };
    let one = spawn_with_config(config(), None).await;
    let _two = spawn_with_config(config(), None).await;
    // Eight friends who play: one request is a batch of 8 messages, 9.6 s of sending.
    let friends: Vec<u64> = (1002..=1009).collect();
    for uid in std::iter::once(1001).chain(friends.iter().copied()) {
        one.install("slow", uid).await;
    }
    one.befriend("slow", 1001, &friends).await;
    let session = one.session_in("slow", 1001).await.0;
    let to: Vec<String> = friends.iter().map(|f| f.to_string()).collect();
    let mut sent = 0;
    for round in 0..2 {
        let content = format!("Round {round} <fb:req-choice url=\"http://apps.example.com/game/r{round}\" label=\"Go\"/>");
        let ans = send(&one, "slow", &session, &to.join(","), &content, &[]).await;
        assert_eq!(ans.body, "\"\"", "queued at once: {}", ans.body);
        sent += friends.len();
    }
    c.wait_accepted(sent).await;
    // Past another reclaim delay, so that a late duplicate would show.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let received = c.received();
    let mut seen = std::collections::HashMap::new();
    for r in &received {
        *seen
            .entry((r.recipient.clone(), r.body.to_string()))
            .or_insert(0) += 1;
    }
    let duplicated: usize = seen.values().map(|n| n - 1).sum();
    println!(
        "{platform} leases: sent {sent}, POSTs {}, distinct {}, duplicated {duplicated}",
        received.len(),
        seen.len()
    );
    assert_eq!((received.len(), seen.len(), duplicated), (sent, sent, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opensocial_slow_batches_are_sent_exactly_once_by_two_workers() {
    leases_keep_slow_batches_exactly_once("opensocial", "").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mobage_slow_batches_are_sent_exactly_once_by_two_workers() {
    leases_keep_slow_batches_exactly_once(
        "mobage",
        "pair_window_secs = 0\nrecipient_window_secs = 0",
    )
    .await;
}
