//! Secrets and the digests made from them.
//!
//! Invariants:
//! - A [`Secret`]'s `Debug` never shows it, so it cannot reach a log line through `{:?}`.
//! - Every comparison of a presented value with an expected one goes through [`ct_eq`]
//!   (constant time in the content; lengths are public).
//! - Session secrets are derived, not stored: `hex(HMAC-SHA256(app_secret, session_key))[..32]`.
//!   Any gateway holding the app's config can check an `ss=1` call without a store lookup.
//! - Confirmation tokens are stored only as their SHA-256.

use std::fmt;

use hmac::{Hmac, Mac};
use md5::Md5;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A string that must never be printed.
#[derive(Clone, Deserialize, PartialEq, Eq, Default)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Equality that takes the same time wherever the first difference is.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// Lower-case hex of a digest, without the per-character path `hex::encode` takes: these
/// are made on every call.
fn lower_hex(bytes: &[u8]) -> String {
    let mut out = vec![0u8; bytes.len() * 2];
    hex::encode_to_slice(bytes, &mut out).expect("the buffer is twice the input");
    String::from_utf8(out).expect("hex digits are ASCII")
}

/// The legacy MD5 signature of `pairs`:
/// `md5_hex(concat over pairs sorted by key, except "sig", of key "=" value) + secret)`.
/// Values are signed as the bytes received; empty values are signed too.
pub fn sign<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a [u8])>, secret: &[u8]) -> String {
    let mut sorted: Vec<(&str, &[u8])> = pairs.into_iter().filter(|(k, _)| *k != "sig").collect();
    sorted.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut md5 = Md5::new();
    for (k, v) in sorted {
        md5.update(k.as_bytes());
        md5.update(b"=");
        md5.update(v);
    }
    md5.update(secret);
    lower_hex(&md5.finalize())
}

fn hmac_hex(key: &[u8], parts: &[&[u8]]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length");
    for p in parts {
        mac.update(p);
    }
    lower_hex(&mac.finalize().into_bytes())
}

/// The secret of a session, derived from the app secret and the session key.
pub fn session_secret(app_secret: &str, session_key: &str) -> String {
    let full = hmac_hex(
        app_secret.as_bytes(),
        &[b"fbbridge-session-secret:", session_key.as_bytes()],
    );
    full[..32].to_string()
}

/// What is stored of a confirmation token.
pub fn token_hash(token: &str) -> String {
    lower_hex(&Sha256::digest(token.as_bytes()))
}

/// A fresh unguessable token (128 bits, hex).
pub fn random_token() -> String {
    let token: [u8; 16] = rand::random();
    lower_hex(&token)
}

/// The CSRF field of a confirmation page: bound to the app, the request and its token, so
/// it needs no server state (and works inside a mixi gadget frame, without cookies).
pub fn csrf_token(app_secret: &str, api_key: &str, from: u64, id: u64, token: &str) -> String {
    let full = hmac_hex(
        app_secret.as_bytes(),
        &[format!("fbbridge-csrf\0{api_key}\0{from}\0{id}\0{token}").as_bytes()],
    );
    full[..32].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_secrets_differ_by_key_and_app() {
        let a = session_secret("app1", "k-1");
        assert_eq!(a.len(), 32);
        assert_ne!(a, session_secret("app1", "k-2"));
        assert_ne!(a, session_secret("app2", "k-1"));
    }

    #[test]
    fn constant_time_equality() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
    }

    #[test]
    fn secrets_are_not_printed() {
        assert_eq!(format!("{:?}", Secret::new("s1")), "[redacted]");
    }
}
