//! Every store key name, in one place.
//!
//! Invariants:
//! - All keys of one (app, user) carry the hash tag `{P}`, P = partition(api_key, uid), so
//!   one script may touch all of them on Redis Cluster.
//! - The partition function is FNV-1a 64 over `api_key`, a NUL byte and the decimal uid,
//!   modulo the configured partition count. It must never change for a deployment: keys
//!   written under one function would not be found under another.
//! - Key parts are ApiKeys (`[A-Za-z0-9_-]`), decimal numbers and hex, so `:` separates
//!   safely.
//! - Schema 2 added profiles (`p`), sync times (`gs`), aliases (`al`, `ao`), entry nonces
//!   (`no`) and canvas sessions (`cs`).
//! - Schema 3 made a record a string made once (`r`: status and JSON, with `k` for
//!   notifications and stories and `sj` for a story) plus a hash of its changes (`rs`; a
//!   mixi request's own clean-up state is its `r:{from}`), and added allocation counters
//!   `q:..:nYYYYMMDD` and `q:..:fYYYYMMDD`, template bundles (`tb`), sandbox feeds
//!   (`feed`), mixi's notices and activities waiting for a canvas page (`mn`, `ma`), each
//!   list with its seen-set, and the requests mixi holds per recipient (`mh`).
//! - Schema 4 packed an outbox entry into one field (`d`: api, from, id, to, attempt),
//!   from five: XADD with ten arguments cost a sixth of a sendRequest's Redis time.

use crate::domain::{ApiKey, SessionKey, Uid, UserList};

#[derive(Clone, Debug)]
pub struct Keys {
    prefix: String,
    partitions: u16,
}

/// The layout of the keys below. A change of layout bumps it, and gateways refuse to start
/// on a Redis written with another (see [`Keys::schema`]): nothing is migrated silently.
pub const SCHEMA_VERSION: u32 = 4;

/// The consumer group every delivery worker joins.
pub const OUTBOX_GROUP: &str = "workers";

impl Keys {
    pub fn new(prefix: &str, partitions: u16) -> Self {
        Self {
            prefix: prefix.to_string(),
            partitions: partitions.max(1),
        }
    }

    pub fn partitions(&self) -> u16 {
        self.partitions
    }

    pub fn partition(&self, api_key: &ApiKey, uid: Uid) -> u16 {
        self.partition_of_decimal(api_key, itoa::Buffer::new().format(uid.get()))
    }

    fn partition_of_decimal(&self, api_key: &ApiKey, uid: &str) -> u16 {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let mut feed = |bytes: &[u8]| {
            for &b in bytes {
                hash ^= u64::from(b);
                hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
            }
        };
        feed(api_key.as_str().as_bytes());
        feed(&[0]);
        feed(uid.as_bytes());
        (hash % u64::from(self.partitions)) as u16
    }

    /// The partition of a platform id's alias record: the same FNV-1a over `api_key`, a
    /// NUL byte and the platform id's bytes.
    pub fn platform_id_partition(&self, api_key: &ApiKey, platform_id: &str) -> u16 {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for &b in api_key
            .as_str()
            .as_bytes()
            .iter()
            .chain([0u8].iter())
            .chain(platform_id.as_bytes())
        {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        (hash % u64::from(self.partitions)) as u16
    }

    fn tag(&self, api_key: &ApiKey, uid: Uid) -> String {
        self.tag_of(self.partition(api_key, uid))
    }

    pub fn tag_of(&self, partition: u16) -> String {
        let mut n = itoa::Buffer::new();
        [self.prefix.as_str(), "{", n.format(partition), "}"].concat()
    }

    /// `TAG:KIND:API_KEY:UID` then `suffix`, the shape of every per-user key. Built by
    /// concatenation: keys are made on every call, and the formatter costs several times
    /// more.
    fn user_key(&self, kind: &str, api_key: &ApiKey, uid: Uid, suffix: &[&str]) -> String {
        let mut n = itoa::Buffer::new();
        let uid = n.format(uid.get());
        let mut p = itoa::Buffer::new();
        let partition = p.format(self.partition_of_decimal(api_key, uid));
        let head = [
            self.prefix.as_str(),
            "{",
            partition,
            "}:",
            kind,
            ":",
            api_key.as_str(),
            ":",
            uid,
        ];
        let len = head.iter().chain(suffix).map(|s| s.len()).sum();
        let mut key = String::with_capacity(len);
        for part in head.iter().chain(suffix) {
            key.push_str(part);
        }
        key
    }

    /// `TAG:KIND:SESSION_KEY`, in the partition of the session's user.
    fn session_key(&self, kind: &str, api_key: &ApiKey, session: &SessionKey) -> String {
        [
            self.tag(api_key, session.uid()).as_str(),
            ":",
            kind,
            ":",
            session.as_str(),
        ]
        .concat()
    }

    /// Hash: api, uid, exp (ms), hw (sortable call_id high-water mark).
    pub fn session(&self, api_key: &ApiKey, session: &SessionKey) -> String {
        self.session_key("s", api_key, session)
    }

    /// Hash: friend uid -> "1" when that friend uses the app, else "0".
    pub fn friends(&self, api_key: &ApiKey, uid: Uid) -> String {
        self.user_key("f", api_key, uid, &[])
    }

    /// Hash: uid -> profile JSON, for the user and each friend: the profiles this user may
    /// see, kept in this user's partition (written on both sides when either changes).
    pub fn profiles(&self, api_key: &ApiKey, uid: Uid) -> String {
        self.user_key("p", api_key, uid, &[])
    }

    /// String: when this user's view was last copied from the platform (ms).
    pub fn graph_synced(&self, api_key: &ApiKey, uid: Uid) -> String {
        self.user_key("gs", api_key, uid, &[])
    }

    /// String: the alias (legacy uid) of a platform id that is not a uid itself. The
    /// platform id is hex-encoded, so any id is a safe key part.
    pub fn alias(&self, api_key: &ApiKey, platform_id: &str) -> String {
        format!(
            "{}:al:{api_key}:{}",
            self.tag_of(self.platform_id_partition(api_key, platform_id)),
            hex::encode(platform_id)
        )
    }

    /// String: the platform id an alias stands for (the alias's owner, set if absent).
    pub fn alias_owner(&self, api_key: &ApiKey, alias: Uid) -> String {
        self.user_key("ao", api_key, alias, &[])
    }

    /// String, present while an entry nonce is remembered (hex nonce).
    pub fn nonce(&self, api_key: &ApiKey, nonce: &str) -> String {
        format!(
            "{}:no:{api_key}:{}",
            self.tag_of(self.platform_id_partition(api_key, nonce)),
            hex::encode(nonce)
        )
    }

    /// String `session_key|expires_ms`: the canvas bridge's session of a user, expiring with it.
    pub fn canvas_session(&self, api_key: &ApiKey, uid: Uid) -> String {
        self.user_key("cs", api_key, uid, &[])
    }

    /// String "1" while the user uses the app.
    pub fn installed(&self, api_key: &ApiKey, uid: Uid) -> String {
        self.user_key("i", api_key, uid, &[])
    }

    /// Counter of one allocation on one quota day: `counter` is YYYYMMDD in the app's zone
    /// for requests (recipients invited), `nYYYYMMDD` for notifications (recipients) and
    /// `fYYYYMMDD` for feed stories (`Allowance::counter`).
    pub fn quota(&self, api_key: &ApiKey, uid: Uid, counter: &str) -> String {
        self.user_key("q", api_key, uid, &[":", counter])
    }

    /// Hash: template bundle id -> bundle JSON, one per app (in the partition of the app's
    /// name), at most `BUNDLE_LIMIT` fields; no TTL (bundles are the app's configuration).
    pub fn bundles(&self, api_key: &ApiKey) -> String {
        format!(
            "{}:tb:{api_key}",
            self.tag_of(self.platform_id_partition(api_key, ""))
        )
    }

    /// Sorted set of a partition's pending requests (`api:from:id`), scored by when their
    /// confirmation page expires: what the expiry sweeper gives back.
    pub fn expiring(&self, partition: u16) -> String {
        [self.tag_of(partition).as_str(), ":expiring"].concat()
    }

    pub fn expiring_of(&self, api_key: &ApiKey, from: Uid) -> String {
        self.expiring(self.partition(api_key, from))
    }

    /// Sorted set: signatures of the session's calls without call_id (scored by time),
    /// expiring with the session (made with it, with a placeholder member `""`), at most
    /// `REPLAY_MEMORY` of them (trimmed on calls made in a millisecond ending in 0).
    pub fn replays(&self, api_key: &ApiKey, session: &SessionKey) -> String {
        self.session_key("sig", api_key, session)
    }

    /// String `STATUS JSON`: one record of one sender (a request, a notification or a
    /// story), made once with its time to live: the status it was made with, then what
    /// was sent (`k`, `ty`, `co`, `im`, `inv`, `ca`, `ex`, `th`, `qd`, `rc`, `sj`; numbers as
    /// strings). See `lua/record_fn.lua`.
    pub fn request(&self, api_key: &ApiKey, from: Uid, id: u64) -> String {
        self.user_key("r", api_key, from, &[":", itoa::Buffer::new().format(id)])
    }

    /// Hash: what changed on a record since it was made (`st`, `sa`, `pr`, `r:UID`,
    /// `d:UID`, `l:UID`), made by the first change and expiring with the record.
    pub fn request_changes(&self, api_key: &ApiKey, from: Uid, id: u64) -> String {
        self.user_key("rs", api_key, from, &[":", itoa::Buffer::new().format(id)])
    }

    /// List of a sender's latest request ids, newest first.
    pub fn request_index(&self, api_key: &ApiKey, from: Uid) -> String {
        self.user_key("ri", api_key, from, &[])
    }

    /// Stream of deliveries queued by the senders of this partition: one field `d` per
    /// entry, `API_KEY FROM ID TO ATTEMPT` (space-separated; none of them holds a space).
    pub fn outbox(&self, partition: u16) -> String {
        [self.tag_of(partition).as_str(), ":outbox"].concat()
    }

    pub fn outbox_of(&self, api_key: &ApiKey, from: Uid) -> String {
        self.outbox(self.partition(api_key, from))
    }

    /// Sorted set of deliveries waiting for a retry or a rate window (score: due ms).
    pub fn delayed(&self, partition: u16) -> String {
        [self.tag_of(partition).as_str(), ":delayed"].concat()
    }

    /// List of dead-letter JSON items of a partition, newest first.
    pub fn dead(&self, partition: u16) -> String {
        [self.tag_of(partition).as_str(), ":dead"].concat()
    }

    /// A rate window: present while the window is taken.
    pub fn rate_window(&self, key: &crate::domain::RateKey) -> String {
        match key {
            crate::domain::RateKey::Pair { api_key, from, to } => self.user_key(
                "win",
                api_key,
                *from,
                &[":", itoa::Buffer::new().format(to.get())],
            ),
            crate::domain::RateKey::Recipient { api_key, to } => {
                self.user_key("win", api_key, *to, &[])
            }
            crate::domain::RateKey::Activity { api_key, actor } => {
                self.user_key("win-act", api_key, *actor, &[])
            }
        }
    }

    /// Hash `from:id` -> until (ms): the requests mixi holds for this recipient, until each
    /// is deleted (expiring with the longest of them).
    pub fn mixi_held(&self, api_key: &ApiKey, uid: Uid) -> String {
        self.user_key("mh", api_key, uid, &[])
    }

    /// List of JSON inbox items, newest first.
    pub fn inbox(&self, api_key: &ApiKey, uid: Uid) -> String {
        self.user_key("inbox", api_key, uid, &[])
    }

    /// A per-user list the outbox fills (`UserList`), newest first, expiring when
    /// untouched for the list's TTL: `inbox`, `feed`, `mn` (mixi notices), `ma` (mixi
    /// activities).
    pub fn user_list(&self, list: UserList, api_key: &ApiKey, uid: Uid) -> String {
        match list {
            UserList::Inbox => self.inbox(api_key, uid),
            UserList::Feed => self.user_key("feed", api_key, uid, &[]),
            UserList::MixiNotices => self.user_key("mn", api_key, uid, &[]),
            UserList::MixiActivities => self.user_key("ma", api_key, uid, &[]),
        }
    }

    /// The list's seen-set (sorted set of `from:id`, as [`Keys::inbox_seen`]).
    pub fn user_list_seen(&self, list: UserList, api_key: &ApiKey, uid: Uid) -> String {
        match list {
            UserList::Inbox => self.inbox_seen(api_key, uid),
            other => format!("{}-seenz", self.user_list(other, api_key, uid)),
        }
    }

    /// Sorted set of `from:id` put into the inbox (scored by arrival), so a redelivery
    /// adds nothing; it keeps the newest `2 x INBOX_LIMIT`, bounded like the inbox itself.
    pub fn inbox_seen(&self, api_key: &ApiKey, uid: Uid) -> String {
        self.user_key("inbox-seenz", api_key, uid, &[])
    }

    /// Pub/sub channel on which scripts announce new deliveries (not a key: no slot).
    /// Hash: `schema` (the layout version) and `partitions` (the partition count) this
    /// Redis was set up with; written once by the first gateway, checked by every other.
    pub fn schema(&self) -> String {
        format!("{}schema", self.prefix)
    }

    pub fn wakeup_channel(&self) -> String {
        format!("{}outbox-wakeup", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_sender_one_tag() {
        let keys = Keys::new("fbb:", 128);
        let api = ApiKey::parse("app").unwrap();
        let uid = Uid::new(1001).unwrap();
        let session = SessionKey::mint(uid);
        let tag = format!("fbb:{{{}}}", keys.partition(&api, uid));
        for key in [
            keys.session(&api, &session),
            keys.friends(&api, uid),
            keys.quota(&api, uid, "20261122"),
            keys.request(&api, uid, 7),
            keys.outbox_of(&api, uid),
        ] {
            assert!(key.starts_with(&tag), "{key}");
        }
    }

    #[test]
    fn partitions_spread() {
        let keys = Keys::new("p:", 16);
        let api = ApiKey::parse("app").unwrap();
        let used: std::collections::HashSet<u16> = (1..200)
            .map(|u| keys.partition(&api, Uid::new(u).unwrap()))
            .collect();
        assert!(used.len() >= 14);
        assert!(used.iter().all(|p| *p < 16));
    }
}
