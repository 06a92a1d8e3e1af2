//! Calling the legacy app's own server for a canvas page, as Facebook did: a form POST to
//! `{callback_url}{path}` with the viewer's `fb_sig_*` set.
//!
//! Invariants: redirects are never followed here (the bridge decides where they may lead);
//! an answer is read up to [`MAX_ANSWER_BYTES`]; the call is bounded by the app's timeout.

use std::time::Duration;

/// Largest FBML page read from an app.
pub const MAX_ANSWER_BYTES: usize = 1024 * 1024;

#[derive(Clone, Debug)]
pub struct AppAnswer {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AppCallError {
    #[error("the app did not answer within {0:?}")]
    TimedOut(Duration),
    #[error("the app could not be reached: {0}")]
    Unreachable(String),
    #[error("the app's answer is larger than {MAX_ANSWER_BYTES} bytes")]
    TooLarge,
}

pub async fn call_app(
    client: &reqwest::Client,
    url: &str,
    form: &[(String, String)],
    timeout: Duration,
) -> Result<AppAnswer, AppCallError> {
    let body = serde_urlencoded::to_string(form).expect("string pairs encode");
    let call = async {
        let response = client
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| AppCallError::Unreachable(e.to_string()))?;
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let mut response = response;
        let mut bytes = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| AppCallError::Unreachable(e.to_string()))?
        {
            if bytes.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(AppCallError::TooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(AppAnswer {
            status,
            location,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        })
    };
    tokio::time::timeout(timeout, call)
        .await
        .map_err(|_| AppCallError::TimedOut(timeout))?
}
