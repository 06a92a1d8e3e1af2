//! OAuth 1.0 signature base strings and HMAC-SHA1 (RFC 5849 3.4), shared by the requests
//! fbbridge signs for platforms and the container entries it verifies.
//!
//! Invariants:
//! - The base string: upper-case method, normalised base URI (lower-case scheme and host,
//!   default port dropped, no query), every parameter except `oauth_signature`,
//!   percent-encoded with the unreserved set and sorted by key then value.
//! - The HMAC key is `enc(consumer_secret)&` (empty token secret).

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use hmac::{Hmac, Mac};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha1::Sha1;

/// Everything but `A-Z a-z 0-9 - . _ ~`.
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// RFC 3986 percent-encoding as OAuth 1.0 needs it (a space is `%20`, never `+`).
pub fn percent_encode(text: &str) -> String {
    utf8_percent_encode(text, NOT_UNRESERVED).to_string()
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not a URL OAuth can sign: {0}")]
pub struct BadUrl(String);

/// `scheme://host[:port]/path` normalised, and the decoded query pairs.
pub fn split_url(url: &str) -> Result<(String, Vec<(String, String)>), BadUrl> {
    let parsed = url::Url::parse(url).map_err(|e| BadUrl(e.to_string()))?;
    let scheme = parsed.scheme().to_ascii_lowercase();
    let host = parsed
        .host_str()
        .ok_or_else(|| BadUrl(url.to_string()))?
        .to_ascii_lowercase();
    let port = match (scheme.as_str(), parsed.port()) {
        ("http", Some(80)) | ("https", Some(443)) | (_, None) => String::new(),
        (_, Some(p)) => format!(":{p}"),
    };
    let base = format!("{scheme}://{host}{port}{}", parsed.path());
    let query = parsed
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    Ok((base, query))
}

/// The signature base string of a request whose parameters (query plus oauth, without
/// `oauth_signature`) are `params`.
pub fn base_string(method: &str, base_uri: &str, params: &[(String, String)]) -> String {
    let mut encoded: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "oauth_signature")
        .map(|(k, v)| (percent_encode(k), percent_encode(v)))
        .collect();
    encoded.sort();
    let normalized = encoded
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    format!(
        "{}&{}&{}",
        percent_encode(&method.to_ascii_uppercase()),
        percent_encode(base_uri),
        percent_encode(&normalized)
    )
}

/// HMAC-SHA1 of `base` with the consumer secret and an empty token secret, base64.
pub fn hmac_sha1(base: &str, consumer_secret: &str) -> String {
    let key = format!("{}&", percent_encode(consumer_secret));
    let mut mac = Hmac::<Sha1>::new_from_slice(key.as_bytes()).expect("HMAC accepts any key");
    mac.update(base.as_bytes());
    BASE64.encode(mac.finalize().into_bytes())
}
