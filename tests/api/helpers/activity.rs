//! How the stand-in container judges an activity (Mobage's Activity API, an OpenSocial
//! container's activities): a title, Mobage's text and image limits, one per user per
//! activity window.

use std::time::Instant;

use actix_web::http::header::HeaderMap;
use actix_web::http::StatusCode;
use serde_json::Value;

use super::container::{ContainerState, Received};

/// Display columns as Mobage counts them: ASCII and half-width katakana 1, others 2.
fn columns(s: &str) -> usize {
    s.chars()
        .map(|c| {
            if c.is_ascii() || ('\u{FF61}'..='\u{FF9F}').contains(&c) {
                1
            } else {
                2
            }
        })
        .sum()
}

/// An activity: a title, at most 3 images on Mobage within its text limits, and the
/// activity window per user.
pub fn judge_activity(
    st: &mut ContainerState,
    path: String,
    requestor: String,
    json: Value,
    headers: &HeaderMap,
) -> (StatusCode, String) {
    let title = json["title"].as_str().unwrap_or("");
    let media = json["mediaItems"].as_array().map(Vec::len).unwrap_or(0);
    let mobage = path.starts_with("/api/restful/");
    if title.is_empty() {
        return (StatusCode::BAD_REQUEST, "an activity needs a title".into());
    }
    if mobage
        && (columns(title) > 42
            || columns(json["body"].as_str().unwrap_or("")) > 280
            || media > 3
            || title.chars().any(|c| c as u32 >= 0x1F000))
    {
        return (
            StatusCode::BAD_REQUEST,
            "beyond Mobage's activity limits".into(),
        );
    }
    let status = if let Some(s) = st.behaviour.first.pop_front() {
        s
    } else if let Some(window) = st.behaviour.activity_window {
        let key = ("activity".to_string(), requestor.clone());
        match st.last_accepted.get(&key) {
            Some(t) if t.elapsed() < window => {
                st.window_violations += 1;
                503
            }
            _ => {
                st.last_accepted.insert(key, Instant::now());
                201
            }
        }
    } else {
        201
    };
    st.received.push(Received {
        path,
        requestor,
        recipient: String::new(),
        body: json,
        content_type: headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string(),
        at: Instant::now(),
        status,
    });
    (StatusCode::from_u16(status).unwrap(), String::new())
}
