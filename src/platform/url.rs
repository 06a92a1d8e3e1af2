//! Encoding for the URLs fbbridge builds for platforms.
//!
//! Invariant: [`percent_encode`] leaves only RFC 3986's unreserved characters as they are,
//! as OAuth 1.0 signatures require (a space is `%20`, never `+`); query strings for people
//! are built with `serde_urlencoded` ([`with_query`]).

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Everything but `A-Z a-z 0-9 - . _ ~`.
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

pub fn percent_encode(text: &str) -> String {
    utf8_percent_encode(text, NOT_UNRESERVED).to_string()
}

/// `url` with `key=value` appended to its query string.
pub fn with_query(url: &str, key: &str, value: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    let pair = serde_urlencoded::to_string([(key, value)]).expect("plain pairs always encode");
    format!("{url}{sep}{pair}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoding() {
        assert_eq!(percent_encode("a b&c=d/é~"), "a%20b%26c%3Dd%2F%C3%A9~");
    }

    #[test]
    fn queries() {
        assert_eq!(
            with_query("http://x/a", "k", "p?q=1"),
            "http://x/a?k=p%3Fq%3D1"
        );
        assert_eq!(with_query("http://x/a?b=1", "k", "v"), "http://x/a?b=1&k=v");
    }
}
