//! The social graph in memory: one truth per app (friendships, flags, profiles), from
//! which each user's view is cut; the same answers as the Redis copies kept in step.

use std::collections::HashMap;

use super::{advance, gate, MemoryStore};
use crate::domain::profile::alias_candidate;
use crate::domain::*;
use crate::store::ops::*;
use crate::store::traits::*;
use crate::store::StoreError;

type Res<T> = Result<T, StoreError>;

impl MemoryStore {
    fn view_locked(
        inner: &super::Inner,
        api_key: &ApiKey,
        uid: Uid,
        with_profiles: bool,
    ) -> GraphView {
        let me = (api_key.clone(), uid);
        let mut friends: Vec<(Uid, bool)> = inner
            .friends
            .get(&me)
            .map(|f| f.iter().map(|(u, a)| (*u, *a)).collect())
            .unwrap_or_default();
        friends.sort_unstable();
        let mut profiles = HashMap::new();
        if with_profiles {
            for u in std::iter::once(uid).chain(friends.iter().map(|(f, _)| *f)) {
                if let Some(p) = inner.profiles.get(&(api_key.clone(), u)) {
                    profiles.insert(u, p.clone());
                }
            }
        }
        GraphView {
            user: uid,
            uses_app: inner.installed.contains(&me),
            friends,
            profiles,
            synced_at_ms: inner.synced.get(&me).copied(),
        }
    }
}

impl Graph for MemoryStore {
    async fn app_users(&self, api_key: &ApiKey, uids: &[Uid]) -> Res<Vec<Uid>> {
        let inner = self.lock();
        Ok(uids
            .iter()
            .filter(|u| inner.installed.contains(&(api_key.clone(), **u)))
            .copied()
            .collect())
    }

    async fn set_friends(&self, api_key: &ApiKey, uid: Uid, friends: &[Uid]) -> Res<()> {
        let mut inner = self.lock();
        let me = (api_key.clone(), uid);
        let old: Vec<Uid> = inner
            .friends
            .get(&me)
            .map(|f| f.keys().copied().collect())
            .unwrap_or_default();
        for gone in old.iter().filter(|u| !friends.contains(u)) {
            if let Some(f) = inner.friends.get_mut(&(api_key.clone(), *gone)) {
                f.remove(&uid);
            }
        }
        let i_use = inner.installed.contains(&me);
        let mine: HashMap<Uid, bool> = friends
            .iter()
            .map(|f| (*f, inner.installed.contains(&(api_key.clone(), *f))))
            .collect();
        inner.friends.insert(me, mine);
        for f in friends {
            inner
                .friends
                .entry((api_key.clone(), *f))
                .or_default()
                .insert(uid, i_use);
        }
        Ok(())
    }

    async fn set_installed(&self, api_key: &ApiKey, uid: Uid, installed: bool) -> Res<()> {
        let mut inner = self.lock();
        let me = (api_key.clone(), uid);
        if installed {
            inner.installed.insert(me.clone());
        } else {
            inner.installed.remove(&me);
        }
        let friends: Vec<Uid> = inner
            .friends
            .get(&me)
            .map(|f| f.keys().copied().collect())
            .unwrap_or_default();
        for f in friends {
            inner
                .friends
                .entry((api_key.clone(), f))
                .or_default()
                .insert(uid, installed);
        }
        Ok(())
    }

    async fn set_profile(&self, api_key: &ApiKey, uid: Uid, profile: &Profile) -> Res<()> {
        self.lock()
            .profiles
            .insert((api_key.clone(), uid), profile.clone());
        Ok(())
    }

    async fn profile(&self, api_key: &ApiKey, uid: Uid) -> Res<Option<Profile>> {
        Ok(self.lock().profiles.get(&(api_key.clone(), uid)).cloned())
    }

    async fn gated_view(
        &self,
        g: &CallGate,
        with_profiles: bool,
    ) -> Res<Result<GraphView, GateRefusal>> {
        let mut inner = self.lock();
        if let Err(refusal) = gate(&mut inner, g) {
            return Ok(Err(refusal));
        }
        advance(&mut inner, g);
        Ok(Ok(Self::view_locked(
            &inner,
            &g.api_key,
            g.session.uid(),
            with_profiles,
        )))
    }

    async fn view(&self, api_key: &ApiKey, uid: Uid, with_profiles: bool) -> Res<GraphView> {
        Ok(Self::view_locked(&self.lock(), api_key, uid, with_profiles))
    }

    async fn replace_graph(&self, snap: &GraphSnapshot) -> Res<()> {
        let mut inner = self.lock();
        let api = &snap.api_key;
        let uid = snap.user.uid;
        let me = (api.clone(), uid);
        let new: HashMap<Uid, bool> = snap
            .friends
            .iter()
            .filter(|p| p.uid != uid)
            .map(|p| (p.uid, p.uses_app))
            .collect();
        let old: Vec<Uid> = inner
            .friends
            .get(&me)
            .map(|f| f.keys().copied().collect())
            .unwrap_or_default();
        for gone in old.iter().filter(|u| !new.contains_key(u)) {
            if let Some(f) = inner.friends.get_mut(&(api.clone(), *gone)) {
                f.remove(&uid);
            }
        }
        for person in std::iter::once(&snap.user).chain(&snap.friends) {
            let key = (api.clone(), person.uid);
            if person.uses_app {
                inner.installed.insert(key.clone());
            } else {
                inner.installed.remove(&key);
            }
            inner.profiles.insert(key, person.profile.clone());
        }
        for f in new.keys() {
            inner
                .friends
                .entry((api.clone(), *f))
                .or_default()
                .insert(uid, snap.user.uses_app);
        }
        inner.friends.insert(me.clone(), new);
        inner.synced.insert(me, snap.synced_at_ms);
        Ok(())
    }

    async fn alias(&self, api_key: &ApiKey, platform_id: &str) -> Res<Uid> {
        let mut inner = self.lock();
        let fwd = (api_key.clone(), platform_id.to_string());
        if let Some(uid) = inner.aliases.get(&fwd) {
            return Ok(*uid);
        }
        for probe in 0..ALIAS_PROBES {
            let candidate = alias_candidate(api_key.as_str(), platform_id, probe);
            let owner_key = (api_key.clone(), candidate);
            match inner.alias_owners.get(&owner_key) {
                Some(owner) if owner != platform_id => continue,
                _ => {
                    inner
                        .alias_owners
                        .insert(owner_key, platform_id.to_string());
                    inner.aliases.insert(fwd, candidate);
                    return Ok(candidate);
                }
            }
        }
        Err(StoreError::Corrupt(format!(
            "no free alias for a platform id after {ALIAS_PROBES} probes"
        )))
    }

    async fn platform_id(&self, api_key: &ApiKey, alias: Uid) -> Res<Option<String>> {
        Ok(self
            .lock()
            .alias_owners
            .get(&(api_key.clone(), alias))
            .cloned())
    }
}
