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

/// Why a call_id was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallIdError {
    /// Not a plain non-negative decimal (legacy error 103).
    NotDecimal,
    /// More than 20 integer digits or 6 decimals: larger than any clock-based call_id a real
    /// client sends, and it would raise the session's high-water mark past every honest
    /// call for good (error 100).
    TooLong,
}

/// The most integer digits and decimals a call_id may have (real clients: microsecond
/// times with 4 decimals, millisecond times, counters).
pub const CALL_ID_MAX_INT_DIGITS: usize = 20;
pub const CALL_ID_MAX_DECIMALS: usize = 6;

impl CallId {
    /// Accepts `123`, `123.456`, `0.5`, `.5`; rejects signs, exponents, spaces, anything else.
    /// Leading zeros of the integer part and trailing zeros of the fraction do not count.
    pub fn parse(text: &str) -> Result<Self, CallIdError> {
        if text.is_empty() || text.len() > 128 {
            return Err(if text.is_empty() {
                CallIdError::NotDecimal
            } else {
                CallIdError::TooLong
            });
        }
        let (int, frac) = match text.split_once('.') {
            Some((i, f)) => (i, f),
            None => (text, ""),
        };
        if int.is_empty() && frac.is_empty() {
            return Err(CallIdError::NotDecimal);
        }
        if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CallIdError::NotDecimal);
        }
        let int = int.trim_start_matches('0');
        let frac = frac.trim_end_matches('0');
        if int.len() > CALL_ID_MAX_INT_DIGITS || frac.len() > CALL_ID_MAX_DECIMALS {
            return Err(CallIdError::TooLong);
        }
        // Two digits of length first, so that a longer integer part sorts after a shorter one.
        let sortable = format!("{:02}{int}.{frac}", int.len());
        Ok(Self { sortable })
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

/// The life of a session asked for through the admin API or `fbbridge session create`:
/// between a minute and thirty days, so that no input can make a session that never
/// expires, or one whose expiry overflows the clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionTtl(std::time::Duration);

impl SessionTtl {
    pub const MIN_SECS: u64 = 60;
    pub const MAX_SECS: u64 = 30 * 86_400;

    pub fn parse(secs: u64) -> Result<Self, String> {
        if (Self::MIN_SECS..=Self::MAX_SECS).contains(&secs) {
            Ok(Self(std::time::Duration::from_secs(secs)))
        } else {
            Err(format!(
                "ttl_secs must be between {} and {} (30 days), not {secs}",
                Self::MIN_SECS,
                Self::MAX_SECS
            ))
        }
    }

    pub fn get(self) -> std::time::Duration {
        self.0
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
            assert_eq!(CallId::parse(bad), Err(CallIdError::NotDecimal), "{bad}");
        }
        // Bounded: 20 integer digits and 6 decimals at most (zeros that do not count aside).
        assert!(CallId::parse("99999999999999999999.999999").is_ok());
        assert!(CallId::parse("00099999999999999999999.9999990000").is_ok());
        for long in ["100000000000000000000", "1.1234567", &"9".repeat(64)] {
            assert_eq!(CallId::parse(long), Err(CallIdError::TooLong), "{long}");
        }
    }

    #[test]
    fn float_rounding_would_get_this_wrong() {
        // Both are the same f64; as decimals the second is greater.
        let a = CallId::parse("17953760672672.000001").unwrap();
        let b = CallId::parse("17953760672672.000002").unwrap();
        assert_eq!(17953760672672.000001_f64, 17953760672672.000002_f64);
        assert!(a < b);
    }

    #[test]
    fn session_ttls_are_bounded() {
        assert!(SessionTtl::parse(59).is_err());
        assert_eq!(SessionTtl::parse(60).unwrap().get().as_secs(), 60);
        assert!(SessionTtl::parse(30 * 86_400).is_ok());
        for huge in [30 * 86_400 + 1, 10_000_000_000_000, u64::MAX] {
            assert!(SessionTtl::parse(huge)
                .unwrap_err()
                .contains("between 60 and"));
        }
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
