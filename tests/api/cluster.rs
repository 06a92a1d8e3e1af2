//! The same store, legacy, confirmation and delivery behaviour on a 3-master Redis Cluster
//! started by the harness (`redis-server --cluster-enabled yes`, `redis-cli --cluster create`).

use fbbridge::config::{StoreBackend, StoreSettings};
use fbbridge::store::RedisStore;

use crate::helpers::*;

#[tokio::test]
async fn store_conforms_on_a_cluster() {
    let cluster = RedisCluster::start();
    let settings = StoreSettings {
        backend: StoreBackend::Redis,
        cluster_urls: cluster.urls(),
        partitions: 16,
        ..StoreSettings::default()
    };
    let store = RedisStore::new(&settings).unwrap();
    store
        .check_schema()
        .await
        .expect("the schema record is written");
    crate::store_conformance::conformance(store).await;
    // Another partition count is refused on a cluster as on one server.
    let other = RedisStore::new(&StoreSettings {
        partitions: 32,
        ..settings
    })
    .unwrap();
    let refused = other.check_schema().await.unwrap_err().to_string();
    assert!(refused.starts_with("store.partitions:"), "{refused}");
}

#[tokio::test]
async fn legacy_errors_on_a_cluster() {
    crate::legacy_errors::sessions_and_signatures::error_102_unknown_foreign_malformed_or_expired_session_on(
        Backend::Cluster,
    )
    .await;
    crate::legacy_errors::sessions_and_signatures::error_103_call_id_not_greater_or_malformed_on(
        Backend::Cluster,
    )
    .await;
    crate::legacy_errors::parameters_and_limits::error_110_recipient_neither_friend_nor_app_user_on(Backend::Cluster)
        .await;
    crate::legacy_errors::parameters_and_limits::error_4_daily_limit_reached_on(Backend::Cluster)
        .await;
}

#[tokio::test]
async fn send_request_on_a_cluster() {
    crate::send_request::non_users_get_a_confirmation_url_with_an_unguessable_token_on(
        Backend::Cluster,
    )
    .await;
    crate::send_request::app_users_are_sent_at_once_with_an_empty_answer_on(Backend::Cluster).await;
    crate::send_request::an_app_user_who_is_not_a_friend_may_receive_on(Backend::Cluster).await;
    crate::send_request::session_secret_signing_with_ss_and_for_desktop_apps_on(Backend::Cluster)
        .await;
}

#[tokio::test]
async fn confirmation_pages_on_a_cluster() {
    crate::confirm::send_delivers_and_redirects_to_the_app_on(Backend::Cluster).await;
    crate::confirm::cancel_refunds_the_quota_on(Backend::Cluster).await;
    crate::confirm::concurrent_submits_settle_once_on(Backend::Cluster).await;
}

#[tokio::test]
async fn delivery_on_a_cluster() {
    crate::delivery::mobage_one_signed_post_per_recipient_on(Backend::Cluster).await;
    crate::delivery::a_503_twice_then_202_on(Backend::Cluster).await;
    crate::delivery::failures::a_permanent_500_is_dead_lettered_alone_on(Backend::Cluster).await;
}

#[tokio::test]
async fn two_gateways_share_a_cluster() {
    let cluster = RedisCluster::start();
    crate::resilience::two_gateways_share(&cluster.store_section()).await;
}

/// A Redis Cluster with one replica per master; a master is SIGKILLed under load and its
/// replica promoted. Meanwhile calls that need the dead master's slots answer error 2
/// (never a hang or another error), and the same gateway recovers without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_master_failover_answers_error_2_then_recovers() {
    let mut cluster = RedisCluster::start_with_replicas(1);
    // Replicas in sync before anything is killed.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let synced = cluster
            .ports
            .iter()
            .filter(|p| {
                let out = std::process::Command::new("redis-cli")
                    .args(["-p", &p.to_string(), "INFO", "replication"])
                    .output()
                    .unwrap();
                String::from_utf8_lossy(&out.stdout).contains("master_link_status:up")
            })
            .count();
        if synced == 3 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "replicas never synced"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let app = spawn_with_config(test_config(&cluster.store_section(), |t| t), None).await;
    let mut sessions = Vec::new();
    for uid in 1001..=1016 {
        sessions.push(app.session(uid).await);
    }
    let victim = *cluster
        .masters()
        .iter()
        .find(|p| **p != cluster.ports[0])
        .expect("a master to kill");
    let started = std::time::Instant::now();
    let mut killed_at = None;
    let mut errors_2 = 0;
    let mut last_failure: Option<std::time::Duration> = None;
    let mut calls = 0;
    while started.elapsed() < std::time::Duration::from_secs(25) {
        if killed_at.is_none() && started.elapsed() > std::time::Duration::from_secs(2) {
            cluster.kill(victim);
            killed_at = Some(std::time::Instant::now());
        }
        for session in &sessions {
            let call_id = app.next_call_id();
            let ans = app
                .call_signed(
                    &[
                        ("method", "admin.getAllocation"),
                        ("api_key", APP_KEY),
                        ("session_key", session),
                        ("call_id", &call_id),
                        ("format", "JSON"),
                        ("integration_point_name", "requests_remaining"),
                    ],
                    APP_SECRET,
                )
                .await;
            calls += 1;
            match ans.error_code() {
                None => assert_eq!(ans.body, "10"),
                Some(2) => {
                    errors_2 += 1;
                    let since = killed_at.expect("no error before the kill").elapsed();
                    last_failure = Some(since);
                }
                Some(other) => panic!("error {other} during the failover: {}", ans.body),
            }
        }
    }
    let recovered = last_failure.unwrap_or_default();
    println!(
        "failover: master {victim} killed; {calls} calls, {errors_2} answered error 2, the last {recovered:?} after the kill, every call after that answered"
    );
    assert!(errors_2 > 0, "the failover was felt");
    assert!(
        recovered < std::time::Duration::from_secs(10),
        "{recovered:?}"
    );
}
