//! OAuth 1.0 consumer requests (2-legged, HMAC-SHA1) with `oauth_body_hash`, as OpenSocial
//! containers (Mobage, Shindig) check them.
//!
//! Invariants:
//! - The signature base string follows RFC 5849 3.4: upper-case method, normalised base URI
//!   (lower-case scheme and host, default port dropped, no query), every query and oauth
//!   parameter except `oauth_signature`, percent-encoded with the unreserved set and sorted
//!   by key then value.
//! - The key is `enc(consumer_secret)&` (empty token secret).
//! - `oauth_body_hash` = base64(SHA-1(raw body)) is signed like any oauth parameter.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use sha1::{Digest, Sha1};

use super::percent_encode;

pub use crate::domain::oauth::{base_string, hmac_sha1, split_url, BadUrl};

pub fn body_hash(body: &[u8]) -> String {
    BASE64.encode(Sha1::digest(body))
}

/// A request to sign.
pub struct Request<'a> {
    pub method: &'a str,
    /// May carry query parameters (e.g. `xoauth_requestor_id`); they are signed.
    pub url: &'a str,
    pub consumer_key: &'a str,
    pub consumer_secret: &'a str,
    pub body: &'a [u8],
    pub nonce: String,
    pub timestamp: u64,
}

/// The `Authorization: OAuth ...` header value for `req`.
pub fn authorization(req: &Request<'_>) -> Result<String, BadUrl> {
    let (base_uri, query) = split_url(req.url)?;
    let mut oauth: Vec<(String, String)> = Vec::with_capacity(7);
    // The body-hash extension leaves it out of requests that have no body (GET, HEAD).
    if !matches!(req.method, "GET" | "HEAD") {
        oauth.push(("oauth_body_hash".into(), body_hash(req.body)));
    }
    oauth.extend([
        ("oauth_consumer_key".into(), req.consumer_key.into()),
        ("oauth_nonce".into(), req.nonce.clone()),
        ("oauth_signature_method".into(), "HMAC-SHA1".into()),
        ("oauth_timestamp".into(), req.timestamp.to_string()),
        ("oauth_version".into(), "1.0".into()),
    ]);
    let mut all = query;
    all.extend(oauth.iter().cloned());
    let signature = hmac_sha1(
        &base_string(req.method, &base_uri, &all),
        req.consumer_secret,
    );
    oauth.push(("oauth_signature".into(), signature));
    let fields: Vec<String> = oauth
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", percent_encode(v)))
        .collect();
    Ok(format!("OAuth {}", fields.join(", ")))
}

pub fn nonce() -> String {
    hex::encode(rand::random::<[u8; 12]>())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The captured OpenSocial client requests (`shared/vectors/opensocial-oauth-requests.txt`):
    /// consumer secret `s3cret`, oauth parameters in the query string.
    const VECTORS: &[(&str, &str, &[u8])] = &[
        ("GET", "http://127.0.0.1:18765/social/rest/people/12345/@friends?xoauth_requestor_id=12345&opensocial_method=GET&oauth_nonce=52210027&oauth_timestamp=1795375907&oauth_consumer_key=app123&oauth_signature_method=HMAC-SHA1&oauth_version=1.0&oauth_signature=U2OjP%2BEAkGIaC6Fy1KTxdd58h14%3D", b""),
        ("POST", "http://127.0.0.1:18765/social/rest/messages/12345/@self/@outbox?oauth_body_hash=im%2BySWXGEG6VpADZy3pMHq7AMj0%3D&xoauth_requestor_id=12345&opensocial_method=POST&oauth_nonce=12109531&oauth_timestamp=1795375907&oauth_consumer_key=app123&oauth_signature_method=HMAC-SHA1&oauth_version=1.0&oauth_signature=xSDScT7QKhq5Xz42sHQ2ipvsplM%3D", br#"{"body": "Play <b>now</b>", "type": "notification", "urls": [{"type": "canvas", "value": "http://app.example/canvas?ref=req"}], "recipients": ["67890"], "title": "Join me"}"#),
        ("POST", "http://127.0.0.1:18765/social/rpc?oauth_body_hash=k3IjZCyU1JIZvZwpgUbjweNXHRQ%3D&xoauth_requestor_id=12345&opensocial_method=POST&oauth_nonce=94401499&oauth_timestamp=1795375911&oauth_consumer_key=app123&oauth_signature_method=HMAC-SHA1&oauth_version=1.0&oauth_signature=C%2FtfpylWcypfu5FnLXZJguMBhmo%3D", br#"[{"params": {"message": {"body": "Play", "recipients": ["67890"], "title": "Join me"}, "userId": "@me"}, "method": "messages.send", "id": "m1"}]"#),
    ];

    #[test]
    fn captured_vectors_verify() {
        for (method, url, body) in VECTORS {
            let (base, params) = split_url(url).unwrap();
            let sent = params
                .iter()
                .find(|(k, _)| k == "oauth_signature")
                .unwrap()
                .1
                .clone();
            assert_eq!(
                hmac_sha1(&base_string(method, &base, &params), "s3cret"),
                sent,
                "{url}"
            );
            if let Some((_, hash)) = params.iter().find(|(k, _)| k == "oauth_body_hash") {
                assert_eq!(&body_hash(body), hash);
            }
            assert_ne!(
                hmac_sha1(&base_string(method, &base, &params), "s3cres"),
                sent
            );
        }
    }

    #[test]
    fn base_uri_normalisation() {
        let (base, q) = split_url("HTTP://Example.COM:80/a%20b/c?x=1&y=%2B").unwrap();
        assert_eq!(base, "http://example.com/a%20b/c");
        assert_eq!(q, vec![("x".into(), "1".into()), ("y".into(), "+".into())]);
        assert_eq!(split_url("https://h:443/").unwrap().0, "https://h/");
        assert_eq!(split_url("http://h:9000/p").unwrap().0, "http://h:9000/p");
    }

    #[test]
    fn header_signs_query_and_body() {
        let req = Request {
            method: "POST",
            url: "http://c.example/api/restful/v1/messages/@me/@outbox?xoauth_requestor_id=1001",
            consumer_key: "ck",
            consumer_secret: "cs",
            body: b"{}",
            nonce: "n1".into(),
            timestamp: 1_800_000_000,
        };
        let header = authorization(&req).unwrap();
        assert!(header.starts_with("OAuth oauth_body_hash=\""));
        assert!(header.contains("oauth_consumer_key=\"ck\""));
        let sent = header
            .split("oauth_signature=\"")
            .nth(1)
            .unwrap()
            .trim_end_matches('"');
        let params: Vec<(String, String)> = vec![
            ("xoauth_requestor_id".into(), "1001".into()),
            ("oauth_body_hash".into(), body_hash(b"{}")),
            ("oauth_consumer_key".into(), "ck".into()),
            ("oauth_nonce".into(), "n1".into()),
            ("oauth_signature_method".into(), "HMAC-SHA1".into()),
            ("oauth_timestamp".into(), "1800000000".into()),
            ("oauth_version".into(), "1.0".into()),
        ];
        let expected = hmac_sha1(
            &base_string(
                "POST",
                "http://c.example/api/restful/v1/messages/@me/@outbox",
                &params,
            ),
            "cs",
        );
        assert_eq!(sent, percent_encode(&expected));
    }
}
