//! The graph's part of the conformance suite: views in one read, profiles copied both
//! ways, snapshots from a platform, aliases; the same answers on every backend.

use std::collections::HashMap;

use super::*;

fn profile(name: &str) -> Profile {
    Profile {
        name: Some(name.to_string()),
        pic_square: Some(format!("http://img.example/{name}.png")),
        ..Profile::default()
    }
}

fn person(n: u64, uses_app: bool, name: &str) -> Person {
    Person {
        uid: uid(n),
        uses_app,
        profile: profile(name),
    }
}

pub async fn graph_conformance<S: Store>(store: &S) {
    let a = api("graphA");
    let b = api("graphB");
    store.set_installed(&a, uid(1), true).await.unwrap();
    store.set_installed(&a, uid(2), true).await.unwrap();
    store
        .set_profile(&a, uid(1), &profile("one"))
        .await
        .unwrap();
    store
        .set_profile(&a, uid(2), &profile("two"))
        .await
        .unwrap();
    store
        .set_friends(&a, uid(1), &[uid(2), uid(3)])
        .await
        .unwrap();

    let v = store.view(&a, uid(1), true).await.unwrap();
    assert!(v.uses_app);
    assert_eq!(v.friends, vec![(uid(2), true), (uid(3), false)]);
    assert_eq!(v.profiles.get(&uid(1)), Some(&profile("one")));
    assert_eq!(v.profiles.get(&uid(2)), Some(&profile("two")));
    assert_eq!(v.synced_at_ms, None);
    // Without profiles, nothing of them is read.
    assert!(store
        .view(&a, uid(1), false)
        .await
        .unwrap()
        .profiles
        .is_empty());
    // Both sides: 2 sees 1 (and 1's profile) without any write of its own.
    let two = store.view(&a, uid(2), true).await.unwrap();
    assert_eq!(two.friends, vec![(uid(1), true)]);
    assert_eq!(two.profiles.get(&uid(1)), Some(&profile("one")));
    // A changed profile reaches the friends' views.
    store
        .set_profile(&a, uid(1), &profile("uno"))
        .await
        .unwrap();
    let two = store.view(&a, uid(2), true).await.unwrap();
    assert_eq!(two.profiles.get(&uid(1)), Some(&profile("uno")));
    assert_eq!(
        store.profile(&a, uid(1)).await.unwrap(),
        Some(profile("uno"))
    );
    assert_eq!(store.profile(&a, uid(9)).await.unwrap(), None);
    // Unfriending removes the edge and the copies on both sides.
    store.set_friends(&a, uid(1), &[uid(3)]).await.unwrap();
    let two = store.view(&a, uid(2), true).await.unwrap();
    assert!(two.friends.is_empty());
    assert_eq!(two.profiles.get(&uid(1)), None);
    assert_eq!(
        store
            .view(&a, uid(1), true)
            .await
            .unwrap()
            .profiles
            .get(&uid(2)),
        None
    );
    // Another app sees none of it.
    let other = store.view(&b, uid(1), true).await.unwrap();
    assert!(other.friends.is_empty() && other.profiles.is_empty() && !other.uses_app);

    // The gate and the view in one operation.
    let s = session(store, &a, 1, 60_000).await;
    let v = store
        .gated_view(&gate(&a, &s, Some("10")), true)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v.friends, vec![(uid(3), false)]);
    assert_eq!(
        store
            .gated_view(&gate(&a, &s, Some("10")), false)
            .await
            .unwrap(),
        Err(GateRefusal::CallId)
    );
    assert_eq!(
        store
            .gated_view(&gate(&b, &s, Some("11")), false)
            .await
            .unwrap(),
        Err(GateRefusal::Session)
    );
    let replayed = unsequenced(&a, &s, "sig-graph");
    assert!(store.gated_view(&replayed, false).await.unwrap().is_ok());
    assert_eq!(
        store.gated_view(&replayed, false).await.unwrap(),
        Err(GateRefusal::Replay)
    );

    // A platform's snapshot replaces the view and writes both sides.
    let snap = GraphSnapshot {
        api_key: a.clone(),
        user: person(1, true, "one"),
        friends: vec![person(4, true, "four"), person(5, false, "five")],
        synced_at_ms: 1_800_000_000_000,
    };
    store.replace_graph(&snap).await.unwrap();
    let v = store.view(&a, uid(1), true).await.unwrap();
    assert_eq!(v.friends, vec![(uid(4), true), (uid(5), false)]);
    assert_eq!(v.synced_at_ms, Some(1_800_000_000_000));
    let names: HashMap<Uid, Option<String>> = v
        .profiles
        .iter()
        .map(|(u, p)| (*u, p.name.clone()))
        .collect();
    assert_eq!(names.len(), 3);
    assert_eq!(names[&uid(5)].as_deref(), Some("five"));
    let four = store.view(&a, uid(4), true).await.unwrap();
    assert_eq!(four.friends, vec![(uid(1), true)]);
    assert!(
        four.uses_app,
        "the platform's hasApp is the friend's own flag"
    );
    assert_eq!(
        four.profiles.get(&uid(1)).and_then(|p| p.name.as_deref()),
        Some("one")
    );
    assert!(
        store
            .view(&a, uid(3), false)
            .await
            .unwrap()
            .friends
            .is_empty(),
        "3 is no longer a friend"
    );
    assert_eq!(
        store.app_users(&a, &[uid(4), uid(5)]).await.unwrap(),
        vec![uid(4)]
    );

    // Aliases: stable, distinct, mapped back, per app.
    let x = store.alias(&a, "mixi-x").await.unwrap();
    let y = store.alias(&a, "mixi:y/ü").await.unwrap();
    assert_ne!(x, y);
    assert!(x.get() >= fbbridge::domain::profile::ALIAS_BASE);
    assert_eq!(store.alias(&a, "mixi-x").await.unwrap(), x);
    assert_eq!(
        store.platform_id(&a, x).await.unwrap().as_deref(),
        Some("mixi-x")
    );
    assert_eq!(
        store.platform_id(&a, y).await.unwrap().as_deref(),
        Some("mixi:y/ü")
    );
    assert_eq!(store.platform_id(&b, x).await.unwrap(), None);
    assert_ne!(store.alias(&b, "mixi-x").await.unwrap(), x);
}
