//! The legacy MD5 request signature.
//!
//! `sig = md5_hex(concat over params sorted by key, except "sig", of key "=" value) + secret)`
//!
//! Invariants:
//! - Values are signed as the bytes received; empty values are signed too.
//! - The comparison with the sent `sig` takes the same time wherever the first difference is.
//! - Session secrets are derived, not stored: `hex(HMAC-SHA256(app_secret, session_key))[..32]`.
//!   Any gateway holding the app's config can check an `ss=1` call without a store lookup,
//!   which keeps the signature check ahead of the session check (legacy order) and keeps a
//!   sendRequest at one store round trip.

use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::params::Params;

/// The signature of `pairs` (the `sig` pair, if present, is left out).
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
    hex::encode(md5.finalize())
}

/// Whether `params` carry a `sig` matching `secret`. Upper-case hex is accepted.
pub fn verify(params: &Params, secret: &[u8]) -> bool {
    let Some(sent) = params.get("sig") else {
        return false;
    };
    let expected = sign(params.iter(), secret);
    let sent = sent.to_ascii_lowercase();
    // Lengths are public (always 32 for a well-formed sig); only the content is secret.
    sent.len() == expected.len() && bool::from(sent.ct_eq(expected.as_bytes()))
}

/// The secret of a session, derived from the app secret and the session key.
pub fn session_secret(app_secret: &str, session_key: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(b"fbbridge-session-secret:");
    mac.update(session_key.as_bytes());
    let full = hex::encode(mac.finalize().into_bytes());
    full[..32].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        let mut p = Params::new();
        for (k, v) in pairs {
            p.insert(k.to_string(), v.as_bytes().to_vec());
        }
        p
    }

    #[test]
    fn known_signature() {
        // From the 2007 PHP client vector.
        let p = params(&[
            ("to_ids", "1001,1002"),
            ("type", "event"),
            (
                "content",
                "Join me! <fb:req-choice url=\"http://apps.example/x?a=1&b=2\" label=\"Go\" />",
            ),
            ("image", "http://img.example/i.png"),
            ("invite", "1"),
            ("method", "facebook.notifications.sendRequest"),
            ("session_key", "sess-abc-123"),
            ("api_key", "myapikey"),
            ("call_id", "1795376183.1118"),
            ("v", "1.0"),
            ("sig", "d3dec0d65e342955d545a3639a85f538"),
        ]);
        assert!(verify(&p, b"appsecret123"));
        assert!(!verify(&p, b"appsecret124"));
    }

    #[test]
    fn uppercase_sig_and_missing_sig() {
        let mut p = params(&[("a", "1"), ("b", "")]);
        let sig = sign(p.iter(), b"s").to_ascii_uppercase();
        p.insert("sig".into(), sig.into_bytes());
        assert!(verify(&p, b"s"));
        assert!(!verify(&params(&[("a", "1")]), b"s"));
    }

    #[test]
    fn session_secrets_differ_by_key_and_app() {
        let a = session_secret("app1", "k-1");
        assert_eq!(a.len(), 32);
        assert_ne!(a, session_secret("app1", "k-2"));
        assert_ne!(a, session_secret("app2", "k-1"));
    }

    proptest! {
        #[test]
        fn any_parameter_set_signs_and_verifies(
            pairs in proptest::collection::btree_map("[a-z_]{1,12}", proptest::collection::vec(any::<u8>(), 0..40), 0..12),
            secret in proptest::collection::vec(any::<u8>(), 1..40),
            flip in any::<prop::sample::Index>(),
        ) {
            let mut p = Params::new();
            for (k, v) in &pairs {
                if k != "sig" { p.insert(k.clone(), v.clone()); }
            }
            let sig = sign(p.iter(), &secret);
            p.insert("sig".into(), sig.clone().into_bytes());
            prop_assert!(verify(&p, &secret));
            // Any change to the signature is refused.
            let mut bad = sig.into_bytes();
            let i = flip.index(bad.len());
            bad[i] = if bad[i] == b'0' { b'1' } else { b'0' };
            p.insert("sig".into(), bad);
            prop_assert!(!verify(&p, &secret));
        }
    }
}
