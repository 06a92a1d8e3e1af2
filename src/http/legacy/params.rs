//! Decoding a `/restserver.php` request into its parameters.
//!
//! Invariants:
//! - Query string and body are merged; on a clash the body wins, at the position the key
//!   first appeared (so `request_args` echoes parameters in the order they arrived).
//! - Values are kept as the decoded bytes (after URL or multipart decoding, before anything
//!   else): that is what the signature covers, even for bytes that are not UTF-8.
//! - Only `application/x-www-form-urlencoded` and `multipart/form-data` bodies are read;
//!   a body without a content type is read as urlencoded, as PHP's clients assumed.

use std::borrow::Cow;
use std::collections::HashMap;

use actix_web::web::Bytes;

/// At most this many parameters (query and body together) in one call; a real call has
/// about a dozen.
pub const MAX_PARAMS: usize = 1000;
/// The longest query string read; legacy clients put their parameters in the body.
pub const MAX_QUERY_BYTES: usize = 16 * 1024;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Params {
    entries: Vec<(String, Vec<u8>)>,
    /// Position of each key in `entries`, so that merging many parameters stays linear.
    /// foldhash, not SipHash: hashed many times a call, and flooding is bounded by
    /// [`MAX_PARAMS`].
    index: HashMap<String, usize, foldhash::fast::RandomState>,
    /// Pairs received so far, repeated keys included.
    received: usize,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParamsError {
    #[error("more than {MAX_PARAMS} parameters")]
    TooMany,
    #[error("query string longer than {MAX_QUERY_BYTES} bytes")]
    QueryTooLong,
    #[error("malformed multipart body: {0}")]
    Multipart(String),
    #[error("multipart body without a boundary")]
    NoBoundary,
}

impl Params {
    pub fn new() -> Self {
        // A real call has about a dozen parameters: room for them from the start.
        Self {
            entries: Vec::with_capacity(16),
            index: HashMap::with_capacity_and_hasher(16, Default::default()),
            received: 0,
        }
    }

    /// Sets `key`, replacing an earlier value in place.
    pub fn insert(&mut self, key: String, value: Vec<u8>) {
        match self.index.get(&key) {
            Some(&i) => self.entries[i].1 = value,
            None => {
                self.index.insert(key.clone(), self.entries.len());
                self.entries.push((key, value));
            }
        }
    }

    pub fn get(&self, key: &str) -> Option<&[u8]> {
        self.index.get(key).map(|&i| self.entries[i].1.as_slice())
    }

    /// The value as text; bytes that are not UTF-8 become U+FFFD.
    pub fn get_str(&self, key: &str) -> Option<Cow<'_, str>> {
        self.get(key).map(String::from_utf8_lossy)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds pairs in order, stopping (and refusing the call) past [`MAX_PARAMS`]: the rest
    /// of a flood is never decoded.
    fn extend(
        &mut self,
        pairs: impl IntoIterator<Item = (String, Vec<u8>)>,
    ) -> Result<(), ParamsError> {
        for (k, v) in pairs {
            if self.received == MAX_PARAMS {
                return Err(ParamsError::TooMany);
            }
            self.received += 1;
            self.insert(k, v);
        }
        Ok(())
    }
}

/// Decodes one urlencoded component: `+` is a space, `%XX` a byte; a stray `%` stays as is
/// (PHP's `urldecode` does the same). The result is bytes: signatures cover them as sent.
fn url_decode(input: &[u8]) -> Vec<u8> {
    if !input.contains(&b'+') {
        // Most keys and many values have nothing to decode: one copy, no byte-wise pass.
        let decoded: Cow<'_, [u8]> = percent_encoding::percent_decode(input).into();
        return decoded.into_owned();
    }
    let spaced: Vec<u8> = input
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    let decoded: Cow<'_, [u8]> = percent_encoding::percent_decode(&spaced).into();
    match decoded {
        Cow::Borrowed(_) => spaced,
        Cow::Owned(bytes) => bytes,
    }
}

/// A decoded key as text; bytes that are not UTF-8 become U+FFFD.
fn key_text(raw: &[u8]) -> String {
    match String::from_utf8(url_decode(raw)) {
        Ok(text) => text,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// Parses `a=1&b=2` into pairs, in order, lazily. Empty segments are skipped; `a` alone is
/// `a=`.
pub fn urlencoded_pairs(input: &[u8]) -> impl Iterator<Item = (String, Vec<u8>)> + '_ {
    input
        .split(|&b| b == b'&')
        .filter(|seg| !seg.is_empty())
        .map(|seg| {
            let (k, v) = match seg.iter().position(|&b| b == b'=') {
                Some(p) => (&seg[..p], &seg[p + 1..]),
                None => (seg, &b""[..]),
            };
            (key_text(k), url_decode(v))
        })
}

pub fn parse_urlencoded(input: &[u8]) -> Vec<(String, Vec<u8>)> {
    urlencoded_pairs(input).collect()
}

/// What kind of body a `Content-Type` header announces.
#[derive(Debug, PartialEq, Eq)]
pub enum BodyKind {
    UrlEncoded,
    Multipart(String),
    Ignored,
}

pub fn body_kind(content_type: Option<&str>) -> Result<BodyKind, ParamsError> {
    let Some(ct) = content_type else {
        return Ok(BodyKind::UrlEncoded);
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/x-www-form-urlencoded" | "" => Ok(BodyKind::UrlEncoded),
        "multipart/form-data" => multer::parse_boundary(ct)
            .map(BodyKind::Multipart)
            .map_err(|_| ParamsError::NoBoundary),
        _ => Ok(BodyKind::Ignored),
    }
}

async fn parse_multipart(
    body: Bytes,
    boundary: String,
) -> Result<Vec<(String, Vec<u8>)>, ParamsError> {
    let stream = futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(body) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut out = Vec::new();
    loop {
        if out.len() > MAX_PARAMS {
            return Err(ParamsError::TooMany);
        }
        let field = multipart
            .next_field()
            .await
            .map_err(|e| ParamsError::Multipart(e.to_string()))?;
        let Some(field) = field else { break };
        let name = field.name().unwrap_or("").to_string();
        let data = field
            .bytes()
            .await
            .map_err(|e| ParamsError::Multipart(e.to_string()))?;
        out.push((name, data.to_vec()));
    }
    Ok(out)
}

/// Query-string parameters alone (within the bounds; what is past them is left out): what
/// can be echoed when the body cannot be read.
pub fn parse_query(query: Option<&str>) -> Params {
    let mut params = Params::new();
    if let Some(q) = query.filter(|q| q.len() <= MAX_QUERY_BYTES) {
        let _ = params.extend(urlencoded_pairs(q.as_bytes()));
    }
    params
}

/// Merges the query string and the body into one parameter set.
pub async fn parse_request(
    query: Option<&str>,
    content_type: Option<&str>,
    body: Bytes,
) -> Result<Params, (ParamsError, Params)> {
    if query.is_some_and(|q| q.len() > MAX_QUERY_BYTES) {
        return Err((ParamsError::QueryTooLong, Params::new()));
    }
    let mut params = Params::new();
    if let Some(q) = query {
        if let Err(e) = params.extend(urlencoded_pairs(q.as_bytes())) {
            return Err((e, params));
        }
    }
    if body.is_empty() {
        return Ok(params);
    }
    let kind = match body_kind(content_type) {
        Ok(kind) => kind,
        Err(e) => return Err((e, params)),
    };
    let added = match kind {
        BodyKind::UrlEncoded => params.extend(urlencoded_pairs(&body)),
        BodyKind::Multipart(boundary) => match parse_multipart(body, boundary).await {
            Ok(pairs) => params.extend(pairs),
            Err(e) => Err(e),
        },
        BodyKind::Ignored => Ok(()),
    };
    match added {
        Ok(()) => Ok(params),
        Err(e) => Err((e, params)),
    }
}

/// `1`, `true`, `True` (any case) are true; empty, `0`, `false` are false; anything else is
/// not a boolean.
pub fn parse_bool(value: &str) -> Option<bool> {
    match value.trim() {
        "1" => Some(true),
        "" | "0" => Some(false),
        v if v.eq_ignore_ascii_case("true") => Some(true),
        v if v.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_decoding() {
        assert_eq!(url_decode(b"a+b%20c%2"), b"a b c%2");
        assert_eq!(url_decode(b"%zz%41"), b"%zzA");
        assert_eq!(url_decode(b"%"), b"%");
        assert_eq!(url_decode(b"%e3%81%82"), "あ".as_bytes());
        assert_eq!(url_decode(b"plain"), b"plain");
        assert_eq!(url_decode(b"a+b"), b"a b");
        assert_eq!(url_decode(b"%2B+%ff"), b"+ \xff");
    }

    #[test]
    fn keys_that_are_not_utf8_read_as_replacement_characters() {
        let p = parse_urlencoded(b"k%ffey=1&%2B+=2");
        let keys: Vec<_> = p.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["k\u{fffd}ey", "+ "]);
    }

    #[test]
    fn pairs_keep_order_and_empty_values() {
        let p = parse_urlencoded(b"b=2&a&session_key=&&c=%3D");
        let keys: Vec<_> = p.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["b", "a", "session_key", "c"]);
        assert_eq!(p[3].1, b"=");
    }

    #[tokio::test]
    async fn body_wins_over_query() {
        let p = parse_request(
            Some("format=XML&v=1.0"),
            Some("application/x-www-form-urlencoded"),
            Bytes::from_static(b"format=JSON&x=1"),
        )
        .await
        .unwrap();
        let pairs: Vec<_> = p.iter().collect();
        assert_eq!(
            pairs,
            [("format", &b"JSON"[..]), ("v", b"1.0"), ("x", b"1")]
        );
    }

    #[tokio::test]
    async fn broken_multipart_is_an_error_with_the_query_kept() {
        let (e, kept) = parse_request(
            Some("method=x"),
            Some("multipart/form-data; boundary=zz"),
            Bytes::from_static(
                b"--zz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nunterminated",
            ),
        )
        .await
        .unwrap_err();
        assert!(matches!(e, ParamsError::Multipart(_)));
        assert_eq!(kept.get("method"), Some(&b"x"[..]));
        assert_eq!(
            body_kind(Some("multipart/form-data")),
            Err(ParamsError::NoBoundary)
        );
    }

    #[tokio::test]
    async fn floods_stop_at_the_bounds() {
        let many: String = (0..=MAX_PARAMS).map(|i| format!("k{i}=1&")).collect();
        let (e, partial) = parse_request(None, None, Bytes::from(many))
            .await
            .unwrap_err();
        assert_eq!(e, ParamsError::TooMany);
        assert_eq!(partial.len(), MAX_PARAMS);
        let exactly: String = (0..MAX_PARAMS).map(|i| format!("k{i}=1&")).collect();
        assert!(parse_request(None, None, Bytes::from(exactly))
            .await
            .is_ok());
        let long_query = "a=".to_string() + &"x".repeat(MAX_QUERY_BYTES);
        let (e, _) = parse_request(Some(&long_query), None, Bytes::new())
            .await
            .unwrap_err();
        assert_eq!(e, ParamsError::QueryTooLong);
        // Repeated keys count as received: they cost decoding too.
        let repeated = "a=1&".repeat(MAX_PARAMS + 1);
        assert!(parse_request(None, None, Bytes::from(repeated))
            .await
            .is_err());
    }

    #[test]
    fn booleans() {
        for t in ["1", "true", "True", "TRUE"] {
            assert_eq!(parse_bool(t), Some(true));
        }
        for f in ["", "0", "false", "False"] {
            assert_eq!(parse_bool(f), Some(false));
        }
        assert_eq!(parse_bool("yes"), None);
    }
}
