//! The legacy MD5 request signature.
//!
//! `sig = md5_hex(concat over params sorted by key, except "sig", of key "=" value) + secret)`
//!
//! Invariants:
//! - Values are signed as the bytes received; empty values are signed too.
//! - The comparison with the sent `sig` takes the same time wherever the first difference is.
//! - Session secrets are derived (`domain::secrets::session_secret`), so an `ss=1` call is
//!   checked without a store lookup, which keeps the signature check ahead of the session
//!   check (legacy order) and a sendRequest at one store round trip.

use crate::domain::secrets::ct_eq;
pub use crate::domain::secrets::{session_secret, sign};

use super::params::Params;

/// Whether `params` carry a `sig` matching `secret`. Upper-case hex is accepted.
pub fn verify(params: &Params, secret: &[u8]) -> bool {
    let Some(sent) = params.get("sig") else {
        return false;
    };
    let expected = sign(params.iter(), secret);
    // Lengths are public (always 32 for a well-formed sig); only the content is secret.
    ct_eq(&sent.to_ascii_lowercase(), expected.as_bytes())
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
