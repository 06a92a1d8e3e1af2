//! Encoding for the URLs fbbridge builds for platforms.
//!
//! Invariant: [`percent_encode`] leaves only RFC 3986's unreserved characters as they are,
//! as OAuth 1.0 signatures require (a space is `%20`, never `+`); query strings for people
//! are built with `serde_urlencoded` ([`with_query`]).

pub use crate::domain::oauth::percent_encode;

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
