//! mixi's Graph API (seed 001): the app's client-credentials token, and the deletion of a
//! request mixi still holds once it can no longer be accepted.
//!
//! Invariants:
//! - One token per app, fetched with `grant_type=client_credentials` and cached until a
//!   minute before it expires; a 401 from the Graph API fetches a new one and tries once
//!   more, so a revoked token costs one extra call, never a lost deletion.
//! - 2xx and 404 both mean done (a request mixi no longer has is deleted); 429, 5xx,
//!   timeouts and refused connections are retried by the outbox; anything else is dead.
//! - The client secret and the tokens are never logged.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::client::Outcome;
use super::percent_encode;
use crate::domain::{App, MixiGraph};

/// Tokens kept per app (by api_key).
#[derive(Default)]
pub struct MixiTokens {
    cache: Mutex<HashMap<String, (String, Instant)>>,
}

#[derive(serde::Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

fn retry(reason: String) -> Outcome {
    Outcome::Retry {
        reason,
        min_wait: Duration::ZERO,
        maybe_recorded: false,
    }
}

fn failed(e: &reqwest::Error) -> Outcome {
    if e.is_timeout() {
        retry("timed out".into())
    } else if e.is_connect() {
        retry("connection failed".into())
    } else {
        retry(format!("request failed: {e}"))
    }
}

impl MixiTokens {
    fn cached(&self, api_key: &str) -> Option<String> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .get(api_key)
            .filter(|(_, until)| *until > Instant::now())
            .map(|(t, _)| t.clone())
    }

    fn forget(&self, api_key: &str) {
        self.cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(api_key);
    }

    /// The app's token: cached, or fetched anew.
    async fn token(
        &self,
        client: &reqwest::Client,
        app: &App,
        graph: &MixiGraph,
    ) -> Result<String, Outcome> {
        if let Some(token) = self.cached(app.api_key.as_str()) {
            return Ok(token);
        }
        let body = serde_urlencoded::to_string([
            ("grant_type", "client_credentials"),
            ("client_id", graph.client_id.as_str()),
            ("client_secret", graph.client_secret.expose()),
        ])
        .expect("plain pairs always encode");
        let response = client
            .post(&graph.token_url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| failed(&e))?;
        let status = response.status().as_u16();
        match status {
            200..=299 => {}
            429 | 500..=599 => return Err(retry(format!("token endpoint answered {status}"))),
            _ => {
                tracing::error!(api_key = %app.api_key, status, "mixi refused the app's client credentials: check [app.mixi] client_id and client_secret");
                return Err(Outcome::Dead(format!("token endpoint answered {status}")));
            }
        }
        let answer: TokenAnswer = response
            .json()
            .await
            .map_err(|e| retry(format!("token endpoint answered no token: {e}")))?;
        let life = Duration::from_secs(answer.expires_in.unwrap_or(900));
        let until = Instant::now() + life.saturating_sub(Duration::from_secs(60)).max(life / 2);
        self.cache.lock().unwrap_or_else(|p| p.into_inner()).insert(
            app.api_key.to_string(),
            (answer.access_token.clone(), until),
        );
        Ok(answer.access_token)
    }

    /// `DELETE {graph_url}/apps/requests/@me/@self?requestIds=ID`.
    pub async fn delete_request(
        &self,
        client: &reqwest::Client,
        app: &App,
        graph: &MixiGraph,
        request_id: &str,
    ) -> Outcome {
        let url = format!(
            "{}/apps/requests/@me/@self?requestIds={}",
            graph.graph_url.trim_end_matches('/'),
            percent_encode(request_id)
        );
        for fresh_token in [false, true] {
            if fresh_token {
                self.forget(app.api_key.as_str());
            }
            let token = match self.token(client, app, graph).await {
                Ok(t) => t,
                Err(outcome) => return outcome,
            };
            let response = match client
                .delete(&url)
                .header("authorization", format!("OAuth {token}"))
                .send()
                .await
            {
                Ok(r) => r,
                Err(e) => return failed(&e),
            };
            match response.status().as_u16() {
                200..=299 | 404 => return Outcome::Delivered,
                401 if !fresh_token => continue,
                status @ (429 | 500..=599) => return retry(format!("Graph API answered {status}")),
                status => return Outcome::Dead(format!("Graph API answered {status}")),
            }
        }
        Outcome::Dead("Graph API refused a fresh token (401)".into())
    }
}
