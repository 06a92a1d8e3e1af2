//! mixi's request clean-up: a settled request mixi holds is deleted (a delivery to its own
//! sender) once every recipient it reached launched the app, or when its time comes; once,
//! whichever comes first.

use super::*;

async fn held_request<S: Store>(store: &S, a: &ApiKey, cleanup_at_ms: i64) -> RequestRecord {
    store
        .set_friends(a, uid(1001), &[uid(1002), uid(1003), uid(1004)])
        .await
        .unwrap();
    let s = session(store, a, 1001, 60_000).await;
    let pending = op(a, &s, "1", &[1002, 1003, 1004], false);
    assert_eq!(
        store.send_request(&pending).await.unwrap(),
        Ok(SendOutcome::Pending)
    );
    let record = store
        .get_request(a, uid(1001), pending.request.id)
        .await
        .unwrap()
        .unwrap();
    let settled = Settlement::Mixi {
        platform_request_id: "req-1".into(),
        chosen: vec![uid(1002), uid(1003)],
        cleanup_at_ms: Some(cleanup_at_ms),
    };
    assert_eq!(
        store
            .settle_request(&record, &settled, now())
            .await
            .unwrap(),
        SettleOutcome::Settled { refunded: 1 }
    );
    for r in [1002, 1003] {
        store
            .hold_for_recipient(a, uid(r), uid(1001), record.id, cleanup_at_ms)
            .await
            .unwrap();
    }
    store
        .get_request(a, uid(1001), record.id)
        .await
        .unwrap()
        .unwrap()
}

pub(super) async fn mixi_conformance<S: Store>(store: &S) {
    // Every recipient launches: the deletion is queued once.
    let a = api("appM");
    let r = held_request(store, &a, now() + 3_600_000).await;
    assert_eq!(r.cleanup, Some(DeliveryState::Pending));
    assert_eq!(
        store.take_held(&a, uid(1002)).await.unwrap(),
        vec![(uid(1001), r.id)]
    );
    assert!(store.take_held(&a, uid(1002)).await.unwrap().is_empty());
    assert!(!store
        .recipient_launched(&a, uid(1001), r.id, uid(1002))
        .await
        .unwrap());
    assert!(
        !store
            .recipient_launched(&a, uid(1001), r.id, uid(1004))
            .await
            .unwrap(),
        "1004 was not chosen in mixi's dialog: not waited for, not enough"
    );
    assert!(store
        .recipient_launched(&a, uid(1001), r.id, uid(1003))
        .await
        .unwrap());
    assert!(!store
        .recipient_launched(&a, uid(1001), r.id, uid(1003))
        .await
        .unwrap());
    let claimed = claim_all(store, "mw", 1).await;
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].to, claimed[0].from, "a delivery to the sender");
    assert_eq!((claimed[0].id, claimed[0].to), (r.id, uid(1001)));
    store
        .complete_delivery(&claimed[0], DeliveryState::Delivered, "")
        .await
        .unwrap();
    let done = store
        .get_request(&a, uid(1001), r.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.cleanup, Some(DeliveryState::Delivered));
    assert!(
        done.recipients.iter().all(|x| x.uid != uid(1001)),
        "the clean-up is no recipient"
    );
    assert!(store
        .due_expiries(now() + 7_200_000, 100)
        .await
        .unwrap()
        .iter()
        .all(|(_, _, id)| *id != r.id));

    // Its time comes first: the sweeper queues it, and a launch after adds nothing.
    let b = api("appN");
    let r = held_request(store, &b, now() - 1).await;
    let due = store.due_expiries(now(), 100).await.unwrap();
    assert!(due.contains(&(b.clone(), uid(1001), r.id)), "{due:?}");
    assert_eq!(store.expire_request(&r, now()).await.unwrap(), None);
    for u in [1002, 1003] {
        assert!(!store
            .recipient_launched(&b, uid(1001), r.id, uid(u))
            .await
            .unwrap());
    }
    let claimed = claim_all(store, "mw", 1).await;
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].to, claimed[0].from, "a delivery to the sender");
    store
        .dead_letter(&claimed[0], "Graph API answered 400", now())
        .await
        .unwrap();
    let r = store
        .get_request(&b, uid(1001), r.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.cleanup, Some(DeliveryState::Dead));
    assert_eq!(r.status, RequestStatus::Sent);
    assert!(store.claim_deliveries("mw", 10).await.unwrap().is_empty());
}
