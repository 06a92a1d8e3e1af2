//! Notifications and stories: the allocation taken all or nothing with the record and its
//! deliveries; per-user lists filled once per record; template bundles bounded per app.

use super::*;
use fbbridge::domain::story::{StoryImage, TemplateBundle};

fn publish_op(a: &ApiKey, from: u64, to: &[u64], limit: u32, message: MessageKind) -> PublishOp {
    PublishOp {
        api_key: a.clone(),
        from: uid(from),
        id: rand::random::<u64>() >> 11,
        message,
        kind: "user_to_user".into(),
        content: "Ann fed your <b>cat</b>".into(),
        story: (message == MessageKind::Story).then(|| Story {
            title: "Ann fed a cat".into(),
            body: "Yum".into(),
            images: vec![StoryImage {
                src: "http://i.example/cat.png".into(),
                href: None,
            }],
            targets: vec![1002],
        }),
        recipients: to.iter().map(|u| uid(*u)).collect(),
        quota: Some(QuotaTake {
            counter: "n20261122".into(),
            limit,
            amount: to.len() as u32,
        }),
        created_at_ms: now(),
    }
}

pub(super) async fn publish_conformance<S: Store>(store: &S) {
    let a = api("appP");
    let b = api("appQ");
    // All or nothing against the allocation, on its own counter.
    let first = publish_op(&a, 1001, &[1002, 1003], 3, MessageKind::Notification);
    assert_eq!(store.publish(&first).await.unwrap(), Ok(()));
    let over = publish_op(&a, 1001, &[1002, 1003], 3, MessageKind::Notification);
    assert_eq!(
        store.publish(&over).await.unwrap(),
        Err(PublishRefusal::Quota { used: 2 })
    );
    assert!(store
        .get_request(&a, uid(1001), over.id)
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        store.quota_used(&a, uid(1001), "n20261122").await.unwrap(),
        2
    );
    assert_eq!(
        store.quota_used(&a, uid(1001), "20261122").await.unwrap(),
        0
    );
    assert_eq!(
        store.publish(&first).await.unwrap(),
        Err(PublishRefusal::IdTaken),
        "an id is never reused"
    );
    let rec = store
        .get_request(&a, uid(1001), first.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rec.message, MessageKind::Notification);
    assert_eq!(rec.status, RequestStatus::Sent);
    assert_eq!(rec.content, first.content);
    assert!(rec
        .recipients
        .iter()
        .all(|r| r.state == DeliveryState::Queued));
    // A story, not counted here, keeps its story.
    let mut story = publish_op(&a, 1001, &[1001], 0, MessageKind::Story);
    story.quota = None;
    assert_eq!(store.publish(&story).await.unwrap(), Ok(()));
    let rec = store
        .get_request(&a, uid(1001), story.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rec.message, MessageKind::Story);
    assert_eq!(rec.story, story.story);

    // One delivery per recipient, then released.
    let claimed = claim_all(store, "pw", 3).await;
    let mut got: Vec<(u64, u64)> = claimed.iter().map(|d| (d.id, d.to.get())).collect();
    got.sort();
    let mut want = vec![(first.id, 1002), (first.id, 1003), (story.id, 1001)];
    want.sort();
    assert_eq!(got, want);

    // Lists: once per (list, sender, record), per app, emptied by take.
    let to_1002 = claimed.iter().find(|d| d.to == uid(1002)).unwrap();
    for _ in 0..2 {
        store
            .deliver_to_list(UserList::MixiNotices, to_1002, "{\"n\":1}")
            .await
            .unwrap();
    }
    store
        .deliver_to_list(UserList::Feed, to_1002, "{\"f\":1}")
        .await
        .unwrap();
    assert_eq!(
        store
            .list_items(UserList::MixiNotices, &a, uid(1002))
            .await
            .unwrap(),
        vec!["{\"n\":1}"]
    );
    assert!(store
        .list_items(UserList::MixiNotices, &b, uid(1002))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store
            .take_list(UserList::MixiNotices, &a, uid(1002))
            .await
            .unwrap(),
        vec!["{\"n\":1}"]
    );
    assert!(store
        .take_list(UserList::MixiNotices, &a, uid(1002))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store
            .list_items(UserList::Feed, &a, uid(1002))
            .await
            .unwrap(),
        vec!["{\"f\":1}"],
        "lists are apart"
    );
    for d in &claimed {
        store
            .complete_delivery(d, DeliveryState::Delivered, "")
            .await
            .unwrap();
    }
    let rec = store
        .get_request(&a, uid(1001), first.id)
        .await
        .unwrap()
        .unwrap();
    assert!(rec
        .recipients
        .iter()
        .all(|r| r.state == DeliveryState::Delivered));
    // A story's one delivery goes to its actor, and is recorded as such (not as a
    // request's clean-up, which is also addressed to the sender).
    let rec = store
        .get_request(&a, uid(1001), story.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rec.recipients.len(), 1);
    assert_eq!(rec.recipients[0].state, DeliveryState::Delivered);
    assert_eq!(rec.cleanup, None);

    // Bundles: per app, at most BUNDLE_LIMIT, re-registering an id is not a new one.
    let bundle = TemplateBundle::parse(r#"["{*actor*} played"]"#, None, None, None).unwrap();
    for id in 1..=BUNDLE_LIMIT as u64 {
        assert!(store.register_bundle(&a, id, &bundle).await.unwrap());
    }
    assert!(!store.register_bundle(&a, 9999, &bundle).await.unwrap());
    assert!(store.register_bundle(&a, 1, &bundle).await.unwrap());
    assert_eq!(store.bundle(&a, 7).await.unwrap(), Some(bundle.clone()));
    assert_eq!(store.bundle(&b, 7).await.unwrap(), None);
    assert!(store.register_bundle(&b, 9999, &bundle).await.unwrap());
}
