//! The social graph and quota counters on Redis. Each user's view (friends with their
//! flags, the profiles they may see, when it was synced) lives in that user's partition,
//! so a call reads one partition; every change is written on both sides of a friendship,
//! each side in its own partition, and the own side last so that a crash half-way leaves a
//! view that is refreshed again.

use std::collections::HashMap;

use futures_util::{stream, TryStreamExt};

use super::decode::{corrupt, first_word};
use super::{scripts, RedisStore};
use crate::domain::profile::alias_candidate;
use crate::domain::*;
use crate::store::ops::*;
use crate::store::traits::*;
use crate::store::StoreError;

type Res<T> = Result<T, StoreError>;

/// Writes into other users' partitions in flight at once.
const FAN_OUT: usize = 16;

fn flag(b: bool) -> &'static str {
    if b {
        "1"
    } else {
        "0"
    }
}

/// `{uses_app, synced, n, friend, flag, ..., uid, profile, ...}` (after the leading "OK").
fn parse_view(user: Uid, reply: &[String]) -> Res<GraphView> {
    let bad = || corrupt("graph view reply has the wrong shape");
    let uses_app = reply.first().ok_or_else(bad)? == "1";
    let synced_at_ms = match reply.get(1).ok_or_else(bad)?.as_str() {
        "" => None,
        t => Some(t.parse().map_err(|_| bad())?),
    };
    let n: usize = reply.get(2).ok_or_else(bad)?.parse().map_err(|_| bad())?;
    let friend_part = reply.get(3..3 + 2 * n).ok_or_else(bad)?;
    let mut friends: Vec<(Uid, bool)> = friend_part
        .chunks(2)
        .filter_map(|c| Uid::parse(&c[0]).map(|u| (u, c[1] == "1")))
        .collect();
    friends.sort_unstable();
    let mut profiles = HashMap::new();
    for pair in reply[3 + 2 * n..].chunks(2) {
        if let (Some(uid), Some(json)) = (Uid::parse(&pair[0]), pair.get(1)) {
            let profile: Profile = serde_json::from_str(json).map_err(corrupt)?;
            profiles.insert(uid, profile);
        }
    }
    Ok(GraphView {
        user,
        uses_app,
        friends,
        profiles,
        synced_at_ms,
    })
}

fn profile_json(p: &Profile) -> String {
    serde_json::to_string(p).expect("profiles serialise")
}

impl RedisStore {
    async fn own_profile_json(&self, api_key: &ApiKey, uid: Uid) -> Res<Option<String>> {
        self.query(
            ::redis::cmd("HGET")
                .arg(self.shared.keys.profiles(api_key, uid))
                .arg(uid.get()),
        )
        .await
    }

    async fn friend_uids(&self, api_key: &ApiKey, uid: Uid) -> Res<Vec<Uid>> {
        let raw: Vec<String> = self
            .query(::redis::cmd("HKEYS").arg(self.shared.keys.friends(api_key, uid)))
            .await?;
        Ok(raw.iter().filter_map(|u| Uid::parse(u)).collect())
    }

    /// Sets `profiles[owner][about] = json` (or deletes it) in `owner`'s partition.
    async fn copy_profile(
        &self,
        api_key: &ApiKey,
        owner: Uid,
        about: Uid,
        json: Option<&str>,
    ) -> Res<()> {
        let key = self.shared.keys.profiles(api_key, owner);
        match json {
            Some(j) => {
                let _: i64 = self
                    .query(::redis::cmd("HSET").arg(key).arg(about.get()).arg(j))
                    .await?;
            }
            None => {
                let _: i64 = self
                    .query(::redis::cmd("HDEL").arg(key).arg(about.get()))
                    .await?;
            }
        }
        Ok(())
    }
}

impl Graph for RedisStore {
    async fn app_users(&self, api_key: &ApiKey, uids: &[Uid]) -> Res<Vec<Uid>> {
        let mut users = Vec::new();
        for uid in uids {
            let v: Option<String> = self
                .query(::redis::cmd("GET").arg(self.shared.keys.installed(api_key, *uid)))
                .await?;
            if v.as_deref() == Some("1") {
                users.push(*uid);
            }
        }
        Ok(users)
    }

    async fn set_friends(&self, api_key: &ApiKey, uid: Uid, friends: &[Uid]) -> Res<()> {
        let keys = &self.shared.keys;
        let own = keys.friends(api_key, uid);
        let old = self.friend_uids(api_key, uid).await?;
        for gone in old.iter().filter(|g| !friends.contains(g)) {
            let _: i64 = self
                .query(
                    ::redis::cmd("HDEL")
                        .arg(keys.friends(api_key, *gone))
                        .arg(uid.get()),
                )
                .await?;
            self.copy_profile(api_key, *gone, uid, None).await?;
            self.copy_profile(api_key, uid, *gone, None).await?;
        }
        let installed = self.app_users(api_key, &[uid]).await?.contains(&uid);
        let friends_installed = self.app_users(api_key, friends).await?;
        let _: i64 = self.query(::redis::cmd("DEL").arg(&own)).await?;
        let mine = self.own_profile_json(api_key, uid).await?;
        for f in friends {
            let _: i64 = self
                .query(
                    ::redis::cmd("HSET")
                        .arg(&own)
                        .arg(f.get())
                        .arg(flag(friends_installed.contains(f))),
                )
                .await?;
            let _: i64 = self
                .query(
                    ::redis::cmd("HSET")
                        .arg(keys.friends(api_key, *f))
                        .arg(uid.get())
                        .arg(flag(installed)),
                )
                .await?;
            let theirs = self.own_profile_json(api_key, *f).await?;
            self.copy_profile(api_key, uid, *f, theirs.as_deref())
                .await?;
            self.copy_profile(api_key, *f, uid, mine.as_deref()).await?;
        }
        Ok(())
    }

    async fn set_installed(&self, api_key: &ApiKey, uid: Uid, installed: bool) -> Res<()> {
        let keys = &self.shared.keys;
        let key = keys.installed(api_key, uid);
        if installed {
            let _: () = self.query(::redis::cmd("SET").arg(&key).arg("1")).await?;
        } else {
            let _: i64 = self.query(::redis::cmd("DEL").arg(&key)).await?;
        }
        for f in self.friend_uids(api_key, uid).await? {
            let _: i64 = self
                .query(
                    ::redis::cmd("HSET")
                        .arg(keys.friends(api_key, f))
                        .arg(uid.get())
                        .arg(flag(installed)),
                )
                .await?;
        }
        Ok(())
    }

    async fn set_profile(&self, api_key: &ApiKey, uid: Uid, profile: &Profile) -> Res<()> {
        let json = profile_json(profile);
        let friends = self.friend_uids(api_key, uid).await?;
        stream::iter(friends.into_iter().map(Ok))
            .try_for_each_concurrent(FAN_OUT, |f| {
                let json = &json;
                async move { self.copy_profile(api_key, f, uid, Some(json)).await }
            })
            .await?;
        self.copy_profile(api_key, uid, uid, Some(&json)).await
    }

    async fn profile(&self, api_key: &ApiKey, uid: Uid) -> Res<Option<Profile>> {
        match self.own_profile_json(api_key, uid).await? {
            None => Ok(None),
            Some(j) => serde_json::from_str(&j).map(Some).map_err(corrupt),
        }
    }

    async fn gated_view(
        &self,
        gate: &CallGate,
        with_profiles: bool,
    ) -> Res<Result<GraphView, GateRefusal>> {
        let inv = scripts::gate_view(&self.shared.keys, gate, with_profiles);
        let reply: Vec<String> = self.run_script(&inv).await?;
        match first_word(&reply) {
            "OK" => parse_view(gate.session.uid(), &reply[1..]).map(Ok),
            "SESSION" => Ok(Err(GateRefusal::Session)),
            "CALLID" => Ok(Err(GateRefusal::CallId)),
            "REPLAY" => Ok(Err(GateRefusal::Replay)),
            other => Err(corrupt(format!("gate_view answered {other}"))),
        }
    }

    async fn view(&self, api_key: &ApiKey, uid: Uid, with_profiles: bool) -> Res<GraphView> {
        let inv = scripts::view(&self.shared.keys, api_key, uid, with_profiles);
        let reply: Vec<String> = self.run_script(&inv).await?;
        match first_word(&reply) {
            "OK" => parse_view(uid, &reply[1..]),
            other => Err(corrupt(format!("view answered {other}"))),
        }
    }

    async fn replace_graph(&self, snap: &GraphSnapshot) -> Res<()> {
        let api = &snap.api_key;
        let uid = snap.user.uid;
        let keys = &self.shared.keys;
        let old = self.friend_uids(api, uid).await?;
        let gone: Vec<Uid> = old
            .into_iter()
            .filter(|o| !snap.friends.iter().any(|f| f.uid == *o))
            .collect();
        stream::iter(gone.into_iter().map(Ok))
            .try_for_each_concurrent(FAN_OUT, |g| async move {
                let _: i64 = self
                    .query(
                        ::redis::cmd("HDEL")
                            .arg(keys.friends(api, g))
                            .arg(uid.get()),
                    )
                    .await?;
                self.copy_profile(api, g, uid, None).await
            })
            .await?;
        stream::iter(snap.friends.iter().filter(|f| f.uid != uid).map(Ok))
            .try_for_each_concurrent(FAN_OUT, |f| async move {
                let inv = scripts::graph_link(keys, api, &snap.user, f);
                self.run_script::<i64>(&inv).await.map(|_| ())
            })
            .await?;
        let inv = scripts::graph_replace(keys, snap);
        self.run_script::<i64>(&inv).await.map(|_| ())
    }

    async fn alias(&self, api_key: &ApiKey, platform_id: &str) -> Res<Uid> {
        let keys = &self.shared.keys;
        let fwd = keys.alias(api_key, platform_id);
        let known: Option<String> = self.query(::redis::cmd("GET").arg(&fwd)).await?;
        if let Some(k) = known {
            return Uid::parse(&k).ok_or_else(|| corrupt(format!("alias {k}")));
        }
        for probe in 0..ALIAS_PROBES {
            let candidate = alias_candidate(api_key.as_str(), platform_id, probe);
            let owner_key = keys.alias_owner(api_key, candidate);
            // The owner record decides: the first platform id to claim a candidate keeps it.
            let _: Option<String> = self
                .query(
                    ::redis::cmd("SET")
                        .arg(&owner_key)
                        .arg(platform_id)
                        .arg("NX"),
                )
                .await?;
            let owner: Option<String> = self.query(::redis::cmd("GET").arg(&owner_key)).await?;
            if owner.as_deref() != Some(platform_id) {
                continue;
            }
            let _: Option<String> = self
                .query(::redis::cmd("SET").arg(&fwd).arg(candidate.get()).arg("NX"))
                .await?;
            let stored: Option<String> = self.query(::redis::cmd("GET").arg(&fwd)).await?;
            return stored
                .as_deref()
                .and_then(Uid::parse)
                .ok_or_else(|| corrupt("alias vanished while being written"));
        }
        Err(corrupt(format!(
            "no free alias for a platform id after {ALIAS_PROBES} probes"
        )))
    }

    async fn platform_id(&self, api_key: &ApiKey, alias: Uid) -> Res<Option<String>> {
        self.query(::redis::cmd("GET").arg(self.shared.keys.alias_owner(api_key, alias)))
            .await
    }
}

impl Quotas for RedisStore {
    async fn quota_used(&self, api_key: &ApiKey, uid: Uid, counter: &str) -> Res<u32> {
        let v: Option<u32> = self
            .query(::redis::cmd("GET").arg(self.shared.keys.quota(api_key, uid, counter)))
            .await?;
        Ok(v.unwrap_or(0))
    }
}
