//! The suite on each backend, and a delivery taken by a worker that died reclaimed by another.

use super::*;

#[tokio::test]
async fn memory_backend_conforms() {
    conformance(MemoryStore::new()).await;
}

#[tokio::test]
async fn redis_backend_conforms() {
    let redis = RedisServer::start();
    let settings = StoreSettings {
        backend: fbbridge::config::StoreBackend::Redis,
        url: redis.url(),
        partitions: 8,
        ..StoreSettings::default()
    };
    conformance(RedisStore::new(&settings).unwrap()).await;
}

#[tokio::test]
async fn redis_reclaims_what_a_dead_worker_took() {
    let redis = RedisServer::start();
    let settings = StoreSettings {
        backend: fbbridge::config::StoreBackend::Redis,
        url: redis.url(),
        partitions: 4,
        ..StoreSettings::default()
    };
    let store = RedisStore::new(&settings).unwrap();
    store.set_reclaim_idle(Duration::from_millis(200));
    let a = api("appA");
    store.set_installed(&a, uid(1002), true).await.unwrap();
    store
        .set_friends(&a, uid(1001), &[uid(1002)])
        .await
        .unwrap();
    let s = session(&store, &a, 1001, 60_000).await;
    assert_eq!(
        store
            .send_request(&op(&a, &s, "1", &[1002], true))
            .await
            .unwrap(),
        Ok(SendOutcome::Queued)
    );
    let taken = claim_all(&store, "dies", 1).await;
    assert_eq!(taken.len(), 1);
    // The worker "dies": never completes. Another takes it over once it is idle long enough.
    let reclaimed = claim_all(&store, "survivor", 1).await;
    assert_eq!(reclaimed.len(), 1);
    assert_eq!(reclaimed[0].handle, taken[0].handle);
    store
        .complete_delivery(&reclaimed[0], DeliveryState::Delivered, "")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(store
        .claim_deliveries("third", 10)
        .await
        .unwrap()
        .is_empty());
}
