//! One conformance suite, run against both store backends.

use std::time::Duration;

use fbbridge::config::StoreSettings;
use fbbridge::domain::*;
use fbbridge::store::*;

use crate::helpers::RedisServer;

mod backends;
mod graph;

mod mixi;
mod outbox;
mod publish;
use self::outbox::{claim_all, outbox_conformance};

fn uid(n: u64) -> Uid {
    Uid::new(n).unwrap()
}

fn api(s: &str) -> ApiKey {
    ApiKey::parse(s).unwrap()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

async fn session<S: Store>(store: &S, api_key: &ApiKey, user: u64, ttl_ms: i64) -> SessionKey {
    let key = SessionKey::mint(uid(user));
    store
        .put_session(
            &key,
            &SessionRecord {
                api_key: api_key.clone(),
                uid: uid(user),
                expires_at_ms: now() + ttl_ms,
            },
            Duration::from_millis(ttl_ms.max(1) as u64),
        )
        .await
        .unwrap();
    key
}

fn gate(api_key: &ApiKey, session: &SessionKey, call_id: Option<&str>) -> CallGate {
    CallGate {
        api_key: api_key.clone(),
        session: session.clone(),
        call_id: call_id.map(|c| CallId::parse(c).unwrap()),
        replay_guard: None,
        now_ms: now(),
    }
}

fn unsequenced(api_key: &ApiKey, session: &SessionKey, signature: &str) -> CallGate {
    CallGate {
        replay_guard: Some(signature.to_string()),
        ..gate(api_key, session, None)
    }
}

fn op(
    api_key: &ApiKey,
    session: &SessionKey,
    call_id: &str,
    to: &[u64],
    direct: bool,
) -> SendRequestOp {
    SendRequestOp {
        gate: gate(api_key, session, Some(call_id)),
        recipients: to.iter().map(|u| uid(*u)).collect(),
        known_app_users: vec![],
        recipients_resolved: false,
        quota_day: "20261122".into(),
        quota_limit: 5,
        request: NewRequest {
            id: rand::random::<u64>() >> 11,
            kind: "event".into(),
            content: "hi <b>there</b>".into(),
            image: Some("http://img.example/i.png".into()),
            invite: true,
            token_hash: "ab".repeat(32),
            created_at_ms: now(),
            expires_at_ms: now() + 3_600_000,
        },
        direct_delivery: direct,
    }
}

pub async fn conformance<S: Store>(store: S) {
    let a = api("appA");
    let b = api("appB");
    store.ping().await.unwrap();
    graph::graph_conformance(&store).await;

    // Sessions and call_ids.
    let s = session(&store, &a, 1001, 60_000).await;
    assert_eq!(
        store.gate_call(&gate(&a, &s, Some("1.5"))).await.unwrap(),
        Ok(())
    );
    assert_eq!(
        store.gate_call(&gate(&a, &s, Some("1.50"))).await.unwrap(),
        Err(GateRefusal::CallId)
    );
    assert_eq!(
        store.gate_call(&gate(&a, &s, Some("1.49"))).await.unwrap(),
        Err(GateRefusal::CallId)
    );
    assert_eq!(store.gate_call(&gate(&a, &s, None)).await.unwrap(), Ok(()));
    assert_eq!(
        store
            .gate_call(&gate(&a, &s, Some("1.500001")))
            .await
            .unwrap(),
        Ok(())
    );
    assert_eq!(
        store.gate_call(&gate(&b, &s, Some("99"))).await.unwrap(),
        Err(GateRefusal::Session)
    );
    let unknown = SessionKey::mint(uid(1001));
    assert_eq!(
        store.gate_call(&gate(&a, &unknown, None)).await.unwrap(),
        Err(GateRefusal::Session)
    );
    // Calls without call_id: the same signature is answered once per session.
    let once = unsequenced(&a, &s, "0123abcd");
    assert_eq!(store.gate_call(&once).await.unwrap(), Ok(()));
    assert_eq!(
        store.gate_call(&once).await.unwrap(),
        Err(GateRefusal::Replay)
    );
    assert_eq!(
        store
            .gate_call(&unsequenced(&a, &s, "0123abce"))
            .await
            .unwrap(),
        Ok(())
    );
    let other_session = session(&store, &a, 1001, 60_000).await;
    assert_eq!(
        store
            .gate_call(&unsequenced(&a, &other_session, "0123abcd"))
            .await
            .unwrap(),
        Ok(()),
        "remembered per session"
    );
    let expired = session(&store, &a, 1001, 1).await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(
        store.gate_call(&gate(&a, &expired, None)).await.unwrap(),
        Err(GateRefusal::Session)
    );

    // Graph: 1001 uses the app, friends with 1002 (uses it) and 1004 (does not).
    for u in [1001, 1002] {
        store.set_installed(&a, uid(u), true).await.unwrap();
    }
    store
        .set_friends(&a, uid(1001), &[uid(1002), uid(1004)])
        .await
        .unwrap();
    assert_eq!(
        store
            .app_users(&a, &[uid(1002), uid(1004), uid(1001)])
            .await
            .unwrap(),
        vec![uid(1002), uid(1001)]
    );
    assert!(store.app_users(&b, &[uid(1002)]).await.unwrap().is_empty());

    // Pending request.
    let pending = op(&a, &s, "10", &[1002, 1004], true);
    assert_eq!(
        store.send_request(&pending).await.unwrap(),
        Ok(SendOutcome::Pending)
    );
    let rec = store
        .get_request(&a, uid(1001), pending.request.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rec.status, RequestStatus::Pending);
    assert_eq!(rec.kind, "event");
    assert_eq!(rec.content, "hi <b>there</b>");
    assert_eq!(rec.image.as_deref(), Some("http://img.example/i.png"));
    assert!(rec.invite);
    assert_eq!(rec.token_hash, "ab".repeat(32));
    assert_eq!(
        rec.recipients.iter().map(|r| r.uid).collect::<Vec<_>>(),
        vec![uid(1002), uid(1004)]
    );
    assert!(rec
        .recipients
        .iter()
        .all(|r| r.state == DeliveryState::Pending));
    assert_eq!(rec.status_at(rec.expires_at_ms + 1), RequestStatus::Expired);
    assert_eq!(
        store.quota_used(&a, uid(1001), "20261122").await.unwrap(),
        2
    );
    // The same call_id again: refused, nothing changes.
    let replay = op(&a, &s, "10", &[1002], true);
    assert_eq!(
        store.send_request(&replay).await.unwrap(),
        Err(SendRefusal::Gate(GateRefusal::CallId))
    );
    assert!(store
        .get_request(&a, uid(1001), replay.request.id)
        .await
        .unwrap()
        .is_none());
    // Same id again: refused before anything is written.
    let mut taken = op(&a, &s, "11", &[1002], true);
    taken.request.id = pending.request.id;
    assert_eq!(
        store.send_request(&taken).await.unwrap(),
        Err(SendRefusal::IdTaken)
    );
    assert_eq!(
        store.gate_call(&gate(&a, &s, Some("11"))).await.unwrap(),
        Ok(())
    );

    // Direct delivery when every recipient uses the app, only if the platform can.
    let no_direct = op(&a, &s, "12", &[1002], false);
    assert_eq!(
        store.send_request(&no_direct).await.unwrap(),
        Ok(SendOutcome::Pending)
    );
    let direct = op(&a, &s, "13", &[1002], true);
    assert_eq!(
        store.send_request(&direct).await.unwrap(),
        Ok(SendOutcome::Queued)
    );
    let rec = store
        .get_request(&a, uid(1001), direct.request.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rec.status, RequestStatus::Sent);
    assert_eq!(rec.recipients[0].state, DeliveryState::Queued);
    assert_eq!(
        store.quota_used(&a, uid(1001), "20261122").await.unwrap(),
        4
    );

    // Strangers: first resolve (nothing written, call_id not spent), then decide.
    let mut stranger = op(&a, &s, "14", &[1002, 3001], true);
    assert_eq!(
        store.send_request(&stranger).await.unwrap(),
        Err(SendRefusal::Unresolved(vec![uid(3001)]))
    );
    stranger.recipients_resolved = true;
    assert_eq!(
        store.send_request(&stranger).await.unwrap(),
        Err(SendRefusal::InvalidUser)
    );
    // The invalid-user refusal spent call_id 14 but no quota.
    assert_eq!(
        store.gate_call(&gate(&a, &s, Some("14"))).await.unwrap(),
        Err(GateRefusal::CallId)
    );
    assert_eq!(
        store.quota_used(&a, uid(1001), "20261122").await.unwrap(),
        4
    );
    let mut app_user = op(&a, &s, "15", &[3001], true);
    store.set_installed(&a, uid(3001), true).await.unwrap();
    app_user.known_app_users = store.app_users(&a, &[uid(3001)]).await.unwrap();
    app_user.recipients_resolved = true;
    assert_eq!(
        store.send_request(&app_user).await.unwrap(),
        Ok(SendOutcome::Queued)
    );

    // Quota: 5 used of 5; all or nothing.
    let over = op(&a, &s, "16", &[1002], true);
    assert_eq!(
        store.send_request(&over).await.unwrap(),
        Err(SendRefusal::Quota { used: 5 })
    );
    assert_eq!(
        store.quota_used(&a, uid(1001), "20261122").await.unwrap(),
        5
    );
    assert_eq!(
        store.quota_used(&a, uid(1001), "20261123").await.unwrap(),
        0
    );

    // Deliveries: two queued (1002 for `direct`, 3001 for `app_user`).
    let mut claimed = Vec::new();
    for _ in 0..50 {
        claimed.extend(store.claim_deliveries("w1", 10).await.unwrap());
        if claimed.len() >= 2 {
            break;
        }
        store.wait_for_deliveries(Duration::from_millis(20)).await;
    }
    claimed.sort_by_key(|d| d.to);
    assert_eq!(claimed.len(), 2, "{claimed:?}");
    assert_eq!(
        (claimed[0].to, claimed[0].id),
        (uid(1002), direct.request.id)
    );
    assert_eq!(
        (claimed[1].to, claimed[1].id),
        (uid(3001), app_user.request.id)
    );
    assert!(
        store.claim_deliveries("w2", 10).await.unwrap().is_empty(),
        "claimed twice"
    );
    let item = InboxItem {
        item: InboxItemKind::Request,
        api_key: "appA".into(),
        from: "1001".into(),
        request_id: direct.request.id.to_string(),
        kind: "event".into(),
        content: "hi".into(),
        image: None,
        invite: false,
        received_at: "2026-11-22T00:00:00Z".into(),
    };
    store.deliver_to_inbox(&claimed[0], &item).await.unwrap();
    store.deliver_to_inbox(&claimed[0], &item).await.unwrap();
    assert_eq!(
        store.inbox(&a, uid(1002)).await.unwrap(),
        vec![item.clone()]
    );
    assert!(store.inbox(&b, uid(1002)).await.unwrap().is_empty());
    store
        .complete_delivery(&claimed[0], DeliveryState::Delivered, "")
        .await
        .unwrap();
    store
        .complete_delivery(&claimed[1], DeliveryState::Dropped, "not installed")
        .await
        .unwrap();
    let rec = store
        .get_request(&a, uid(1001), direct.request.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rec.recipients[0].state, DeliveryState::Delivered);
    let rec = store
        .get_request(&a, uid(1001), app_user.request.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rec.recipients[0].state, DeliveryState::Dropped);
    assert_eq!(rec.recipients[0].detail, "not installed");
    assert!(store.claim_deliveries("w1", 10).await.unwrap().is_empty());

    // Friendship is symmetric and replaceable; flags follow installs.
    let s2 = session(&store, &a, 1004, 60_000).await;
    let back = op(&a, &s2, "1", &[1001], true);
    assert_eq!(
        store.send_request(&back).await.unwrap(),
        Ok(SendOutcome::Queued)
    );
    store
        .set_friends(&a, uid(1001), &[uid(1002)])
        .await
        .unwrap();
    let mut gone = op(&a, &s2, "2", &[1001], true);
    gone.recipients_resolved = true;
    // 1001 is no longer 1004's friend but still uses the app; unresolved until looked up.
    assert_eq!(
        store.send_request(&gone).await.unwrap(),
        Err(SendRefusal::InvalidUser)
    );
    store.set_installed(&a, uid(1002), false).await.unwrap();
    let to_1002 = op(&a, &s, "20", &[1002], true);
    let mut to_1002 = to_1002;
    to_1002.quota_day = "20261124".into();
    assert_eq!(
        store.send_request(&to_1002).await.unwrap(),
        Ok(SendOutcome::Pending)
    );
    assert!(store
        .get_request(&b, uid(1001), to_1002.request.id)
        .await
        .unwrap()
        .is_none());
    outbox_conformance(&store, &a, &s).await;
    publish::publish_conformance(&store).await;
    mixi::mixi_conformance(&store).await;
}
