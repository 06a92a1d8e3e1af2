//! The confirmation page's query string and forms, decoded with serde_urlencoded into
//! [`PageFields`].
//!
//! Invariants:
//! - Only `application/x-www-form-urlencoded` bodies are read as forms.
//! - An empty value counts as absent; `canvas` counts by its presence alone.
//! - Anything that does not decode (repeated fields, bad encoding) leaves the fields empty,
//!   so the page answers "incomplete" rather than guessing.

use serde::Deserialize;

use crate::services::confirmation::{ConfirmError, PageFields};

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawFields {
    api_key: Option<String>,
    from: Option<String>,
    id: Option<String>,
    t: Option<String>,
    next: Option<String>,
    canvas: Option<String>,
    fbb_b: Option<String>,
    csrf: Option<String>,
    action: Option<String>,
    outcome: Option<String>,
    #[serde(rename = "requestId")]
    request_id: Option<String>,
    #[serde(rename = "recipientIds")]
    recipient_ids: Option<String>,
    error_code: Option<String>,
}

fn present(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.is_empty())
}

fn decode(text: &[u8]) -> PageFields {
    let raw: RawFields = serde_urlencoded::from_bytes(text).unwrap_or_default();
    PageFields {
        api_key: present(raw.api_key),
        from: present(raw.from),
        id: present(raw.id),
        token: present(raw.t),
        next: present(raw.next),
        canvas: raw.canvas.is_some(),
        bridge: present(raw.fbb_b),
        csrf: present(raw.csrf),
        action: present(raw.action),
        outcome: present(raw.outcome),
        request_id: present(raw.request_id),
        recipient_ids: present(raw.recipient_ids),
        error_code: present(raw.error_code),
    }
}

/// The fields of a page's URL.
pub fn from_query(query: &str) -> PageFields {
    decode(query.as_bytes())
}

/// The fields of a posted form.
pub fn from_form(content_type: Option<&str>, body: &[u8]) -> Result<PageFields, ConfirmError> {
    let is_form = content_type.is_some_and(|ct| {
        ct.to_ascii_lowercase()
            .starts_with("application/x-www-form-urlencoded")
    });
    if !is_form {
        return Err(ConfirmError::NotAForm);
    }
    Ok(decode(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_decode_and_empty_ones_are_absent() {
        let f = from_query("api_key=app1&from=1001&id=7&t=abc&next=&canvas");
        assert_eq!(f.api_key.as_deref(), Some("app1"));
        assert_eq!(f.token.as_deref(), Some("abc"));
        assert_eq!(f.next, None);
        assert!(f.canvas);
        let f = from_form(
            Some("application/x-www-form-urlencoded; charset=utf-8"),
            b"recipientIds=1002%2C1003&requestId=r+1",
        )
        .unwrap();
        assert_eq!(f.recipient_ids.as_deref(), Some("1002,1003"));
        assert_eq!(f.request_id.as_deref(), Some("r 1"));
        assert!(matches!(
            from_form(Some("text/plain"), b"a=1"),
            Err(ConfirmError::NotAForm)
        ));
    }

    #[test]
    fn repeated_fields_leave_nothing_to_guess_from() {
        let f = from_query("api_key=a&api_key=b&from=1");
        assert_eq!(f.api_key, None);
    }
}
