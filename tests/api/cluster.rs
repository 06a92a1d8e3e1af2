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
    crate::legacy_errors::error_102_unknown_foreign_malformed_or_expired_session_on(
        Backend::Cluster,
    )
    .await;
    crate::legacy_errors::error_103_call_id_not_greater_or_malformed_on(Backend::Cluster).await;
    crate::legacy_errors::error_110_recipient_neither_friend_nor_app_user_on(Backend::Cluster)
        .await;
    crate::legacy_errors::error_4_daily_limit_reached_on(Backend::Cluster).await;
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
    crate::delivery::a_permanent_500_is_dead_lettered_alone_on(Backend::Cluster).await;
}

#[tokio::test]
async fn two_gateways_share_a_cluster() {
    let cluster = RedisCluster::start();
    crate::resilience::two_gateways_share(&cluster.store_section()).await;
}
