//! The outbox part of the conformance suite: claims, retries, dead letters, rate windows, inboxes.

use super::*;

pub(super) async fn claim_all<S: Store>(store: &S, consumer: &str, n: usize) -> Vec<Delivery> {
    let mut got = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while got.len() < n && std::time::Instant::now() < deadline {
        got.extend(store.claim_deliveries(consumer, 10).await.unwrap());
        if got.len() < n {
            store.wait_for_deliveries(Duration::from_millis(50)).await;
        }
    }
    got
}

pub(super) fn counts(pending: u64, scheduled: u64, in_flight: u64, dead: u64) -> OutboxCounts {
    OutboxCounts {
        pending,
        scheduled,
        in_flight,
        dead,
    }
}

/// Retries, dead letters, rate windows and counts.
pub(super) async fn outbox_conformance<S: Store>(store: &S, a: &ApiKey, s: &SessionKey) {
    // Settle what earlier steps left queued.
    for d in claim_all(store, "w0", 1).await {
        store
            .complete_delivery(&d, DeliveryState::Delivered, "")
            .await
            .unwrap();
    }
    assert_eq!(store.outbox_counts().await.unwrap(), counts(0, 0, 0, 0));
    store.set_installed(a, uid(1002), true).await.unwrap();
    // The newest request (by creation time, in ms) is this one.
    tokio::time::sleep(Duration::from_millis(3)).await;
    let mut queued = op(a, s, "30", &[1002], true);
    queued.quota_day = "20261130".into();
    assert_eq!(
        store.send_request(&queued).await.unwrap(),
        Ok(SendOutcome::Queued)
    );
    let d = claim_all(store, "w1", 1).await.remove(0);
    assert_eq!(d.attempt, 0);
    assert_eq!(store.outbox_counts().await.unwrap(), counts(0, 0, 1, 0));

    // A retry waits for its time, then comes back with its attempt count.
    let due = now() + 300;
    store
        .reschedule_delivery(&d, due, 1, "retrying after: 500")
        .await
        .unwrap();
    assert_eq!(store.outbox_counts().await.unwrap(), counts(0, 1, 0, 0));
    assert!(
        store.claim_deliveries("w1", 10).await.unwrap().is_empty(),
        "not before its time"
    );
    let rec = store
        .get_request(a, uid(1001), d.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rec.recipients[0].state, DeliveryState::Queued);
    assert_eq!(rec.recipients[0].detail, "retrying after: 500");
    let again = claim_all(store, "w2", 1).await;
    assert_eq!(again.len(), 1);
    assert!(now() >= due);
    let again = &again[0];
    assert_eq!((again.id, again.to, again.attempt), (d.id, d.to, 1));

    // Giving up: dead on the request and in the dead letters.
    store.dead_letter(again, "500 boom", now()).await.unwrap();
    let rec = store
        .get_request(a, uid(1001), d.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rec.recipients[0].state, DeliveryState::Dead);
    assert_eq!(rec.recipients[0].detail, "500 boom");
    let dead = store.dead_letters(10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(
        (
            dead[0].recipient.as_str(),
            dead[0].attempts,
            dead[0].last_error.as_str()
        ),
        ("1002", 2, "500 boom")
    );
    assert_eq!(dead[0].id, d.id.to_string());
    assert_eq!(store.outbox_counts().await.unwrap(), counts(0, 0, 0, 1));

    // Rate windows: taken once, then busy until released or expired.
    let pair = RateKey::Pair {
        api_key: a.clone(),
        from: uid(1001),
        to: uid(1002),
    };
    let other = RateKey::Recipient {
        api_key: a.clone(),
        to: uid(1002),
    };
    assert_eq!(
        store
            .take_rate_window(&pair, Duration::from_secs(60))
            .await
            .unwrap(),
        None
    );
    let wait = store
        .take_rate_window(&pair, Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    assert!(
        wait > Duration::from_secs(58) && wait <= Duration::from_secs(60),
        "{wait:?}"
    );
    assert_eq!(
        store
            .take_rate_window(&other, Duration::from_millis(100))
            .await
            .unwrap(),
        None
    );
    store.release_rate_window(&pair).await.unwrap();
    assert_eq!(
        store
            .take_rate_window(&pair, Duration::from_secs(60))
            .await
            .unwrap(),
        None
    );
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(
        store
            .take_rate_window(&other, Duration::from_millis(100))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.recent_requests(a, uid(1001), 1).await.unwrap(),
        vec![queued.request.id]
    );
}
