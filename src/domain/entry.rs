//! Verifying a container's signed entry request (OpenSocial signed request, OAuth 1.0
//! HMAC-SHA1 or RSA-SHA1) before a canvas page is served.
//!
//! Invariants:
//! - The base string is RFC 5849 3.4's over the URL the container called and, for form
//!   POSTs, the body parameters. Some containers sign the query values as they appear on
//!   the wire rather than decoded (mixi's signer does); both readings of the same request
//!   are tried, and either must verify under the configured key.
//! - HMAC signatures are compared in constant time; RSA-SHA1 is PKCS#1 v1.5 under the
//!   container's certificate key.
//! - The nonce is only returned here; the caller claims it in the store (shared by every
//!   gateway) and refuses a second use.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier;
use sha1::Sha1;

use super::canvas::CanvasSettings;
use super::oauth::{base_string, hmac_sha1};
use super::secrets::ct_eq;

/// How far an entry's `oauth_timestamp` may be from now.
pub const TIMESTAMP_WINDOW_SECS: i64 = 300;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    #[error("not a signed request: {0} missing")]
    Missing(&'static str),
    #[error("signature method {0} not accepted")]
    Method(String),
    #[error("oauth_consumer_key is not the app's")]
    ConsumerKey,
    #[error("oauth_timestamp outside the window")]
    Stale,
    #[error("signature does not verify")]
    Signature,
    #[error("opensocial_app_id is not the app's")]
    WrongApp,
}

/// What a verified entry establishes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub viewer_id: String,
    pub owner_id: Option<String>,
    pub nonce: String,
    pub timestamp: i64,
}

/// The request as received: method, base URI (the public URL with the path, no query), the
/// raw query, the decoded query pairs and the decoded form pairs.
pub struct SignedRequest<'a> {
    pub method: &'a str,
    pub base_uri: &'a str,
    pub raw_query: &'a str,
    pub params: &'a [(String, String)],
}

fn get<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The query pairs as they are on the wire (only `+` read as a space), plus the rest.
fn raw_reading(req: &SignedRequest<'_>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = req
        .raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            // The name decoded; the value kept as sent.
            (decode(k), v.to_string())
        })
        .collect();
    let decoded_query: Vec<(String, String)> =
        serde_urlencoded::from_str(req.raw_query).unwrap_or_default();
    // Body parameters (those not from the query) are kept decoded.
    let mut body: Vec<(String, String)> = req.params.to_vec();
    for q in &decoded_query {
        if let Some(i) = body.iter().position(|b| b == q) {
            body.remove(i);
        }
    }
    out.extend(body);
    out
}

fn verifies(settings: &CanvasSettings, method: &str, base: &str, signature: &str) -> bool {
    match method {
        "HMAC-SHA1" => ct_eq(
            hmac_sha1(base, settings.consumer_secret.expose()).as_bytes(),
            signature.as_bytes(),
        ),
        "RSA-SHA1" => {
            let (Some(key), Ok(sig)) = (&settings.container_key, BASE64.decode(signature)) else {
                return false;
            };
            let Ok(sig) = Signature::try_from(sig.as_slice()) else {
                return false;
            };
            VerifyingKey::<Sha1>::new(key.clone())
                .verify(base.as_bytes(), &sig)
                .is_ok()
        }
        _ => false,
    }
}

/// Checks an entry request against the app's settings at `now_secs`.
pub fn verify_entry(
    settings: &CanvasSettings,
    app_id: &str,
    req: &SignedRequest<'_>,
    now_secs: i64,
) -> Result<Entry, EntryError> {
    let p = req.params;
    let signature = get(p, "oauth_signature").ok_or(EntryError::Missing("oauth_signature"))?;
    let method =
        get(p, "oauth_signature_method").ok_or(EntryError::Missing("oauth_signature_method"))?;
    if method != "HMAC-SHA1" && !(method == "RSA-SHA1" && settings.container_key.is_some()) {
        return Err(EntryError::Method(method.chars().take(20).collect()));
    }
    let consumer = get(p, "oauth_consumer_key").ok_or(EntryError::Missing("oauth_consumer_key"))?;
    if method == "HMAC-SHA1" {
        if let Some(expected) = &settings.consumer_key {
            if !ct_eq(consumer.as_bytes(), expected.as_bytes()) {
                return Err(EntryError::ConsumerKey);
            }
        }
    }
    let timestamp: i64 = get(p, "oauth_timestamp")
        .and_then(|t| t.parse().ok())
        .ok_or(EntryError::Missing("oauth_timestamp"))?;
    let nonce = get(p, "oauth_nonce").ok_or(EntryError::Missing("oauth_nonce"))?;
    if (now_secs - timestamp).abs() > TIMESTAMP_WINDOW_SECS {
        return Err(EntryError::Stale);
    }
    let decoded = base_string(req.method, req.base_uri, p);
    let raw = base_string(req.method, req.base_uri, &raw_reading(req));
    if !verifies(settings, method, &decoded, signature)
        && !verifies(settings, method, &raw, signature)
    {
        return Err(EntryError::Signature);
    }
    if get(p, "opensocial_app_id") != Some(app_id) {
        return Err(EntryError::WrongApp);
    }
    let viewer = get(p, "opensocial_viewer_id")
        .filter(|v| !v.is_empty())
        .ok_or(EntryError::Missing("opensocial_viewer_id"))?;
    Ok(Entry {
        viewer_id: viewer.to_string(),
        owner_id: get(p, "opensocial_owner_id")
            .filter(|o| !o.is_empty())
            .map(str::to_string),
        nonce: nonce.to_string(),
        timestamp,
    })
}

/// The container's public key from a PEM X.509 certificate.
pub fn key_from_certificate(pem: &str) -> Result<rsa::RsaPublicKey, String> {
    use x509_cert::der::{DecodePem, Encode};
    let cert = x509_cert::Certificate::from_pem(pem.trim()).map_err(|e| e.to_string())?;
    let spki = cert
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| e.to_string())?;
    use rsa::pkcs8::DecodePublicKey;
    rsa::RsaPublicKey::from_public_key_der(&spki).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::domain::Secret;

    const VECTORS: &str = include_str!("../../tests/fixtures/canvas-entries.txt");

    fn cert() -> String {
        let start = VECTORS.find("-----BEGIN CERTIFICATE-----").unwrap();
        let end = VECTORS.find("-----END CERTIFICATE-----").unwrap() + 25;
        VECTORS[start..end].to_string()
    }

    /// (A copy of `shared/vectors/canvas-entries.txt`, kept in the repo so a clean clone builds.)
    /// The `=====` entry line that uses `method`.
    fn entry_url(method: &str) -> String {
        VECTORS
            .lines()
            .find(|l| {
                l.starts_with("GET http") && l.contains(&format!("oauth_signature_method={method}"))
            })
            .unwrap()
            .trim_start_matches("GET ")
            .to_string()
    }

    fn settings() -> CanvasSettings {
        CanvasSettings {
            canvas_name: None,
            consumer_key: Some("mbga-ck".into()),
            consumer_secret: Secret::new("mbga-cs"),
            container_key: Some(key_from_certificate(&cert()).unwrap()),
            locale: "en_US".into(),
            timeout: Duration::from_secs(10),
            redirect_hosts: vec![],
            profile_url: None,
        }
    }

    fn check(url: &str, now: i64) -> Result<Entry, EntryError> {
        let (base, query) = url.split_once('?').unwrap();
        let params: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
        verify_entry(
            &settings(),
            "12000129",
            &SignedRequest {
                method: "GET",
                base_uri: base,
                raw_query: query,
                params: &params,
            },
            now,
        )
    }

    #[test]
    fn the_vectors_verify_inside_their_window() {
        for method in ["HMAC-SHA1", "RSA-SHA1"] {
            let e = check(&entry_url(method), 1_795_376_067 + 10).unwrap();
            assert_eq!(e.viewer_id, "ab12cd", "{method}");
            assert_eq!(e.owner_id.as_deref(), Some("ab12cd"));
            assert_eq!(e.nonce, "8f1b2c3d4e");
            assert_eq!(
                check(&entry_url(method), 1_795_376_067 + 301),
                Err(EntryError::Stale)
            );
        }
    }

    #[test]
    fn any_change_breaks_the_signature() {
        for method in ["HMAC-SHA1", "RSA-SHA1"] {
            let tampered = entry_url(method)
                .replace("opensocial_viewer_id=ab12cd", "opensocial_viewer_id=ab12ce");
            assert_eq!(
                check(&tampered, 1_795_376_067),
                Err(EntryError::Signature),
                "{method}"
            );
        }
        let other_app = entry_url("HMAC-SHA1")
            .replace("oauth_consumer_key=mbga-ck", "oauth_consumer_key=other");
        assert_eq!(
            check(&other_app, 1_795_376_067),
            Err(EntryError::ConsumerKey)
        );
        let plaintext = entry_url("HMAC-SHA1").replace("HMAC-SHA1", "PLAINTEXT");
        assert!(matches!(
            check(&plaintext, 1_795_376_067),
            Err(EntryError::Method(_))
        ));
    }
}
