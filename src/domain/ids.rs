//! Newtypes parsed at the boundary, so the rest of the code never handles raw strings.
//!
//! Invariants:
//! - An [`ApiKey`] is 1..=64 characters of `[A-Za-z0-9_-]`, so it is safe inside store keys.
//! - A [`Uid`] is a positive 64-bit integer, written in decimal without leading zeros.
//! - A [`CallId`] keeps the exact decimal the client sent; [`CallId::sortable`] is a string
//!   whose byte order equals the numeric order, which is how the store compares call_ids
//!   (never as binary floats).

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn parse(text: &str) -> Option<Self> {
        let ok = !text.is_empty()
            && text.len() <= 64
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        ok.then(|| Self(text.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uid(u64);

impl Uid {
    pub fn new(value: u64) -> Option<Self> {
        (value > 0).then_some(Self(value))
    }

    /// Decimal digits only (no sign, no spaces, no leading zero), within 64 bits.
    pub fn parse(text: &str) -> Option<Self> {
        if text.is_empty() || text.len() > 20 || text.starts_with('0') {
            return None;
        }
        if !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        text.parse::<u64>().ok().and_then(Self::new)
    }

    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Uid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl serde::Serialize for Uid {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A client-sent call_id, compared as an exact non-negative decimal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallId {
    sortable: String,
}

/// Longest call_id accepted; real clients send at most ~20 characters.
const MAX_CALL_ID_LEN: usize = 64;

impl CallId {
    /// Accepts `123`, `123.456`, `0.5`, `.5`; rejects signs, exponents, spaces, anything else.
    pub fn parse(text: &str) -> Option<Self> {
        if text.is_empty() || text.len() > MAX_CALL_ID_LEN {
            return None;
        }
        let (int, frac) = match text.split_once('.') {
            Some((i, f)) => (i, f),
            None => (text, ""),
        };
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let int = int.trim_start_matches('0');
        let frac = frac.trim_end_matches('0');
        // Two digits of length first, so that a longer integer part sorts after a shorter one.
        let sortable = format!("{:02}{int}.{frac}", int.len());
        Some(Self { sortable })
    }

    /// Byte order of this string is the numeric order of the call_id.
    pub fn sortable(&self) -> &str {
        &self.sortable
    }
}

impl PartialOrd for CallId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for CallId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.sortable.as_bytes().cmp(other.sortable.as_bytes())
    }
}

/// A session key as minted by fbbridge: `{32 hex}-{uid}`. The uid suffix (as Facebook's own
/// keys had) tells which partition holds the session before any lookup.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SessionKey {
    text: String,
    uid: Uid,
}

impl SessionKey {
    pub fn parse(text: &str) -> Option<Self> {
        if text.len() > 128 || !text.bytes().all(|b| b.is_ascii_graphic()) {
            return None;
        }
        let (_, suffix) = text.rsplit_once('-')?;
        let uid = Uid::parse(suffix)?;
        Some(Self {
            text: text.to_string(),
            uid,
        })
    }

    pub fn mint(uid: Uid) -> Self {
        let random: [u8; 16] = rand::random();
        Self {
            text: format!("{}-{uid}", hex::encode(random)),
            uid,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn uid(&self) -> Uid {
        self.uid
    }
}

impl fmt::Display for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn call_ids_from_real_clients() {
        let micro = CallId::parse("1795376067.2672").unwrap();
        let micro_later = CallId::parse("1795376067.27").unwrap();
        let millis = CallId::parse("1795376086399").unwrap();
        assert!(micro < micro_later);
        assert!(micro_later < millis);
        assert_eq!(CallId::parse("2.50"), CallId::parse("2.5"));
        assert_eq!(CallId::parse("007"), CallId::parse("7"));
        assert!(CallId::parse("2").unwrap() < CallId::parse("10").unwrap());
        assert!(CallId::parse("0.1").unwrap() < CallId::parse("1").unwrap());
        for bad in ["", "-1", "1e9", "1.2.3", " 1", "abc", ".", "+5"] {
            assert!(CallId::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn float_rounding_would_get_this_wrong() {
        // Both are the same f64; as decimals the second is greater.
        let a = CallId::parse("1795376067.26720000000001").unwrap();
        let b = CallId::parse("1795376067.26720000000002").unwrap();
        assert!(a < b);
    }

    #[test]
    fn session_keys_carry_their_uid() {
        let k = SessionKey::mint(Uid::new(211031).unwrap());
        assert_eq!(k.uid().get(), 211031);
        assert_eq!(SessionKey::parse(k.as_str()).unwrap(), k);
        assert_eq!(SessionKey::parse("sess-abc-123").unwrap().uid().get(), 123);
        assert!(SessionKey::parse("nodash").is_none());
        assert!(SessionKey::parse("abc-0").is_none());
    }

    fn decimal() -> impl Strategy<Value = (String, u128, u32)> {
        // integer part up to 10^12, fraction up to 6 digits; value scaled by 10^6 is exact.
        (
            0u64..1_000_000_000_000,
            0u32..1_000_000,
            0usize..=6,
            0usize..3,
        )
            .prop_map(|(int, frac, frac_digits, lead_zeros)| {
                let frac_scaled = if frac_digits == 0 {
                    0
                } else {
                    frac % 10u32.pow(frac_digits as u32)
                };
                let mut text = format!("{}{int}", "0".repeat(lead_zeros));
                if frac_digits > 0 {
                    text.push_str(&format!(".{:0width$}", frac_scaled, width = frac_digits));
                }
                let exact = int as u128 * 1_000_000
                    + frac_scaled as u128 * 10u128.pow(6 - frac_digits as u32);
                (text, exact, 0)
            })
    }

    proptest! {
        #[test]
        fn call_id_order_is_exact_decimal_order(a in decimal(), b in decimal()) {
            let ca = CallId::parse(&a.0).unwrap();
            let cb = CallId::parse(&b.0).unwrap();
            prop_assert_eq!(ca.cmp(&cb), a.1.cmp(&b.1), "{} vs {}", a.0, b.0);
        }
    }
}
