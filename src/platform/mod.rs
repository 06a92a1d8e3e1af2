//! Platforms: where a confirmed request goes.
//!
//! Invariants:
//! - Each app is bound to exactly one platform.
//! - [`PlatformKind::delivers_server_side`] is true only for platforms fbbridge can deliver
//!   to by itself; only those skip the confirmation page when every recipient uses the app.

pub mod mobage;
pub mod oauth;
pub mod opensocial;
pub mod sandbox;
pub mod upstream;

use serde::Deserialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlatformKind {
    Sandbox,
    Mobage,
    Mixi,
    #[serde(rename = "opensocial")]
    OpenSocial,
}

impl PlatformKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PlatformKind::Sandbox => "sandbox",
            PlatformKind::Mobage => "mobage",
            PlatformKind::Mixi => "mixi",
            PlatformKind::OpenSocial => "opensocial",
        }
    }

    /// mixi creates requests in the browser only; the others are delivered by fbbridge's
    /// outbox workers.
    pub fn delivers_server_side(self) -> bool {
        !matches!(self, PlatformKind::Mixi)
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters (as OAuth 1.0 and URL
/// query components need).
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn percent_encoding() {
        assert_eq!(
            super::percent_encode("a b&c=d/é~"),
            "a%20b%26c%3Dd%2F%C3%A9~"
        );
    }
}
