//! A user's profile as the legacy user table exposes it, and the social graph one user sees.
//!
//! Invariants:
//! - A [`Profile`] holds only what a platform or an operator gave; a field with no value is
//!   `None` and is answered as an empty value, never invented.
//! - [`GraphView`] is what one user may see: themselves and their friends. Everything the
//!   legacy methods answer about other users is filtered through [`GraphView::visible`].
//! - [`UserField`] is the closed list of the user table's fields; any other name is refused
//!   at the boundary.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::ids::Uid;

/// The profile fields fbbridge stores (what `PUT .../profile` and the People API give).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pic_square: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pic: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pic_small: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pic_big: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_url: Option<String>,
}

/// Longest value kept for one profile field.
pub const MAX_PROFILE_FIELD: usize = 2048;

impl Profile {
    fn fields_mut(&mut self) -> [&mut Option<String>; 10] {
        [
            &mut self.name,
            &mut self.first_name,
            &mut self.last_name,
            &mut self.pic_square,
            &mut self.pic,
            &mut self.pic_small,
            &mut self.pic_big,
            &mut self.sex,
            &mut self.locale,
            &mut self.profile_url,
        ]
    }

    /// Trims every field, drops empty ones, cuts over-long ones (at a char boundary), and
    /// keeps picture and profile URLs only when they are http(s): a profile is shown on
    /// pages, so nothing else may reach an `src` or `href`.
    pub fn normalised(mut self) -> Self {
        for field in self.fields_mut() {
            if let Some(v) = field.take() {
                let mut v = v.trim().to_string();
                if v.len() > MAX_PROFILE_FIELD {
                    let mut cut = MAX_PROFILE_FIELD;
                    while !v.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    v.truncate(cut);
                }
                if !v.is_empty() {
                    *field = Some(v);
                }
            }
        }
        for url in [
            &mut self.pic_square,
            &mut self.pic,
            &mut self.pic_small,
            &mut self.pic_big,
            &mut self.profile_url,
        ] {
            if url.as_deref().is_some_and(|u| !is_http_url(u)) {
                *url = None;
            }
        }
        self
    }

    /// The value of a stored text field, if it is one.
    pub fn text(&self, field: UserField) -> Option<&str> {
        match field {
            UserField::Name => self.name.as_deref(),
            UserField::FirstName => self.first_name.as_deref(),
            UserField::LastName => self.last_name.as_deref(),
            UserField::PicSquare => self.pic_square.as_deref(),
            UserField::Pic => self.pic.as_deref(),
            UserField::PicSmall => self.pic_small.as_deref(),
            UserField::PicBig => self.pic_big.as_deref(),
            UserField::Sex => self.sex.as_deref(),
            UserField::Locale => self.locale.as_deref(),
            UserField::ProfileUrl => self.profile_url.as_deref(),
            _ => None,
        }
    }

    /// The name to show on a page: `name`, else first and last name.
    pub fn display_name(&self) -> Option<String> {
        if let Some(n) = &self.name {
            return Some(n.clone());
        }
        let parts: Vec<&str> = [self.first_name.as_deref(), self.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }

    /// The square picture to show on a page (`pic_square`, else the small one).
    pub fn picture(&self) -> Option<&str> {
        self.pic_square.as_deref().or(self.pic_small.as_deref())
    }
}

fn is_http_url(u: &str) -> bool {
    let lower = u.to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://"))
        && !u.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// How a field of the user table is typed on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    Uid,
    Text,
    Bool,
    /// A list (`list="true"` in XML), with its item element name.
    List(&'static str),
    /// A struct or number fbbridge has no value for: always empty.
    Other,
}

macro_rules! user_fields {
    ($($variant:ident => $name:literal : $kind:expr),* $(,)?) => {
        /// A field of the legacy `user` table (`legacy-shapes.md`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum UserField { $($variant),* }

        impl UserField {
            pub const ALL: &'static [UserField] = &[$(UserField::$variant),*];

            pub fn parse(name: &str) -> Option<Self> {
                match name { $($name => Some(UserField::$variant),)* _ => None }
            }

            pub fn name(self) -> &'static str {
                match self { $(UserField::$variant => $name),* }
            }

            pub fn kind(self) -> FieldKind {
                match self { $(UserField::$variant => $kind),* }
            }
        }
    };
}

user_fields! {
    Uid => "uid": FieldKind::Uid,
    FirstName => "first_name": FieldKind::Text,
    LastName => "last_name": FieldKind::Text,
    Name => "name": FieldKind::Text,
    PicSmall => "pic_small": FieldKind::Text,
    PicBig => "pic_big": FieldKind::Text,
    PicSquare => "pic_square": FieldKind::Text,
    Pic => "pic": FieldKind::Text,
    Affiliations => "affiliations": FieldKind::List("affiliation"),
    ProfileUrl => "profile_url": FieldKind::Text,
    ProfileUpdateTime => "profile_update_time": FieldKind::Other,
    Timezone => "timezone": FieldKind::Other,
    Religion => "religion": FieldKind::Other,
    Birthday => "birthday": FieldKind::Other,
    Sex => "sex": FieldKind::Text,
    HometownLocation => "hometown_location": FieldKind::Other,
    MeetingSex => "meeting_sex": FieldKind::List("sex"),
    MeetingFor => "meeting_for": FieldKind::List("seeking"),
    RelationshipStatus => "relationship_status": FieldKind::Other,
    SignificantOtherId => "significant_other_id": FieldKind::Other,
    Political => "political": FieldKind::Other,
    CurrentLocation => "current_location": FieldKind::Other,
    Activities => "activities": FieldKind::Other,
    Interests => "interests": FieldKind::Other,
    Music => "music": FieldKind::Other,
    Tv => "tv": FieldKind::Other,
    Movies => "movies": FieldKind::Other,
    Books => "books": FieldKind::Other,
    Quotes => "quotes": FieldKind::Other,
    AboutMe => "about_me": FieldKind::Other,
    HsInfo => "hs_info": FieldKind::Other,
    EducationHistory => "education_history": FieldKind::List("education_info"),
    WorkHistory => "work_history": FieldKind::List("work_info"),
    NotesCount => "notes_count": FieldKind::Other,
    WallCount => "wall_count": FieldKind::Other,
    Status => "status": FieldKind::Other,
    IsAppUser => "is_app_user": FieldKind::Bool,
    HasAddedApp => "has_added_app": FieldKind::Bool,
    Locale => "locale": FieldKind::Text,
    EmailHashes => "email_hashes": FieldKind::List("email_hashes_elt"),
    Username => "username": FieldKind::Other,
    ProxiedEmail => "proxied_email": FieldKind::Other,
    BirthdayDate => "birthday_date": FieldKind::Other,
    Website => "website": FieldKind::Other,
}

/// One user as seen by another: uid, whether they use the app, their profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    pub uid: Uid,
    pub uses_app: bool,
    pub profile: Profile,
}

/// The part of the graph one user may see: themselves and their friends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphView {
    pub user: Uid,
    pub uses_app: bool,
    /// Friends with their uses-the-app flag, in ascending uid order.
    pub friends: Vec<(Uid, bool)>,
    /// Profiles of the user and their friends (when asked for; absent ones are unknown).
    pub profiles: HashMap<Uid, Profile>,
    /// When the graph was last copied from the platform (ms); `None` when never.
    pub synced_at_ms: Option<i64>,
}

impl GraphView {
    pub fn is_friend(&self, uid: Uid) -> bool {
        self.friends.binary_search_by_key(&uid, |(f, _)| *f).is_ok()
    }

    /// The session user and their friends are visible; nobody else is.
    pub fn visible(&self, uid: Uid) -> bool {
        uid == self.user || self.is_friend(uid)
    }

    pub fn uses_app(&self, uid: Uid) -> Option<bool> {
        if uid == self.user {
            return Some(self.uses_app);
        }
        self.friends
            .binary_search_by_key(&uid, |(f, _)| *f)
            .ok()
            .map(|i| self.friends[i].1)
    }

    pub fn friend_uids(&self) -> impl Iterator<Item = Uid> + '_ {
        self.friends.iter().map(|(f, _)| *f)
    }

    pub fn app_user_friends(&self) -> impl Iterator<Item = Uid> + '_ {
        self.friends.iter().filter(|(_, a)| *a).map(|(f, _)| *f)
    }

    /// A visible user as a [`Person`] (empty profile when none is known).
    pub fn person(&self, uid: Uid) -> Option<Person> {
        let uses_app = self.uses_app(uid)?;
        Some(Person {
            uid,
            uses_app,
            profile: self.profiles.get(&uid).cloned().unwrap_or_default(),
        })
    }
}

/// A platform user id that is not itself a legacy uid gets a numeric alias from this range,
/// which is disjoint from the ids used unchanged (decimal integers below 2^53).
pub const ALIAS_BASE: u64 = 1 << 53;

/// The legacy uid a platform id maps to without any alias: a decimal integer below 2^53.
pub fn direct_uid(platform_id: &str) -> Option<Uid> {
    Uid::parse(platform_id).filter(|u| u.get() < ALIAS_BASE)
}

/// The `probe`-th candidate alias of a platform id: derived from the id alone, so every
/// gateway proposes the same one; the store decides with a set-if-absent who owns it.
pub fn alias_candidate(app_scope: &str, platform_id: &str, probe: u32) -> Uid {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(app_scope.as_bytes());
    h.update([0]);
    h.update(platform_id.as_bytes());
    h.update(probe.to_be_bytes());
    let digest = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    // 2^53 .. 2^53 + 2^62: fits a signed 64-bit integer, as PHP and SQL columns need.
    let offset = u64::from_be_bytes(first) >> 2;
    Uid::new(ALIAS_BASE + offset).expect("never zero")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_parse_and_name_round_trip() {
        for f in UserField::ALL {
            assert_eq!(UserField::parse(f.name()), Some(*f));
        }
        assert_eq!(UserField::parse("password"), None);
        assert_eq!(UserField::MeetingSex.kind(), FieldKind::List("sex"));
    }

    #[test]
    fn normalising_drops_unsafe_urls_and_blanks() {
        let p = Profile {
            name: Some("  Alice ".into()),
            last_name: Some("   ".into()),
            pic_square: Some("javascript:alert(1)".into()),
            pic: Some("https://img.example/a.png".into()),
            ..Profile::default()
        }
        .normalised();
        assert_eq!(p.name.as_deref(), Some("Alice"));
        assert_eq!(p.last_name, None);
        assert_eq!(p.pic_square, None);
        assert_eq!(p.picture(), None);
        assert_eq!(p.pic.as_deref(), Some("https://img.example/a.png"));
    }

    #[test]
    fn aliases_are_stable_and_out_of_the_direct_range() {
        let a = alias_candidate("app", "abc123", 0);
        assert_eq!(a, alias_candidate("app", "abc123", 0));
        assert_ne!(a, alias_candidate("app", "abc123", 1));
        assert_ne!(a, alias_candidate("other", "abc123", 0));
        assert!(a.get() >= ALIAS_BASE && a.get() <= i64::MAX as u64);
        assert_eq!(direct_uid("1001").map(Uid::get), Some(1001));
        assert_eq!(direct_uid("abc"), None);
        assert_eq!(direct_uid(&ALIAS_BASE.to_string()), None);
    }

    #[test]
    fn visibility() {
        let u = |n| Uid::new(n).unwrap();
        let view = GraphView {
            user: u(1),
            uses_app: true,
            friends: vec![(u(2), true), (u(5), false)],
            profiles: HashMap::new(),
            synced_at_ms: None,
        };
        assert!(view.visible(u(1)) && view.visible(u(2)) && view.visible(u(5)));
        assert!(!view.visible(u(3)));
        assert_eq!(view.uses_app(u(5)), Some(false));
        assert_eq!(view.app_user_friends().collect::<Vec<_>>(), vec![u(2)]);
    }
}
