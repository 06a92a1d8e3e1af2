//! Calling `/restserver.php` as old clients do: signed, urlencoded, with call_ids.

use std::sync::atomic::Ordering;

use fbbridge::domain::secrets::sign;
use serde_json::Value;

use super::config::{APP_KEY, APP_SECRET};
use super::TestApp;

pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    pub fn error_code(&self) -> Option<i64> {
        serde_json::from_str::<Value>(&self.body)
            .ok()
            .and_then(|v| v.get("error_code").and_then(Value::as_i64))
    }
}

pub fn signed(params: &[(&str, &str)], secret: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let sig = sign(
        params.iter().map(|(k, v)| (*k, v.as_bytes())),
        secret.as_bytes(),
    );
    out.push(("sig".into(), sig));
    out
}

impl TestApp {
    /// `admin.getAllocation` of what app1's `session` has left today, without call_id; `n`
    /// makes each call distinct (the same call twice is refused as a replay).
    pub async fn remaining_today(&self, session: &str, n: usize) -> Answer {
        let n = n.to_string();
        self.call_signed(
            &[
                ("method", "admin.getAllocation"),
                ("api_key", APP_KEY),
                ("session_key", session),
                ("format", "JSON"),
                ("integration_point_name", "requests_remaining"),
                ("n", &n),
            ],
            APP_SECRET,
        )
        .await
    }

    pub fn next_call_id(&self) -> String {
        self.call_ids.fetch_add(1, Ordering::SeqCst).to_string()
    }

    /// POSTs `params` urlencoded, as given (no signing).
    pub async fn post_form(&self, params: &[(String, String)]) -> Answer {
        let body = form(params);
        let res = self
            .client
            .post(format!("{}/restserver.php", self.address))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("gateway answers");
        answer(res).await
    }

    /// Signs with `secret` and POSTs.
    pub async fn call_signed(&self, params: &[(&str, &str)], secret: &str) -> Answer {
        self.post_form(&signed(params, secret)).await
    }

    /// `notifications.sendRequest` from `session` to `to_ids` in JSON, signed with app1's secret.
    pub async fn send_request(
        &self,
        session: &str,
        to_ids: &str,
        extra: &[(&str, &str)],
    ) -> Answer {
        self.send_request_as(APP_KEY, APP_SECRET, session, to_ids, extra)
            .await
    }

    /// `notifications.sendRequest` of any app, with the next call_id; `extra` adds parameters
    /// or replaces the defaults (`type=event`, a content with one `fb:req-choice`, JSON).
    pub async fn send_request_as(
        &self,
        api_key: &str,
        secret: &str,
        session: &str,
        to_ids: &str,
        extra: &[(&str, &str)],
    ) -> Answer {
        let call_id = self.next_call_id();
        let mut params: Vec<(&str, &str)> = vec![
            ("method", "facebook.notifications.sendRequest"),
            ("api_key", api_key),
            ("session_key", session),
            ("call_id", &call_id),
            ("v", "1.0"),
            ("format", "JSON"),
            ("to_ids", to_ids),
            ("type", "event"),
            ("content", "Join me! <fb:req-choice url=\"http://apps.example.com/slicedbread/x\" label=\"Go\"/>"),
        ];
        for (k, v) in extra {
            match params.iter_mut().find(|(name, _)| name == k) {
                Some(slot) => slot.1 = v,
                None => params.push((k, v)),
            }
        }
        self.call_signed(&params, secret).await
    }
}

pub fn form(params: &[(String, String)]) -> String {
    serde_urlencoded::to_string(params).expect("string pairs encode")
}

pub async fn answer(res: reqwest::Response) -> Answer {
    let status = res.status().as_u16();
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = res.text().await.unwrap();
    Answer {
        status,
        content_type,
        body,
    }
}

/// Parses `from` and `id` out of a confirmation URL.
pub fn confirmation_parts(url: &str) -> (String, String) {
    let query = url.split_once('?').expect("a query").1;
    let mut from = None;
    let mut id = None;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).expect("a query");
    for (k, v) in pairs {
        match k.as_str() {
            "from" => from = Some(v),
            "id" => id = Some(v),
            _ => {}
        }
    }
    (from.unwrap(), id.unwrap())
}

impl TestApp {
    /// Any method of app1 with `session`, the next call_id, in `format`, plus `extra`.
    pub async fn call_method(
        &self,
        session: &str,
        method: &str,
        format: &str,
        extra: &[(&str, &str)],
    ) -> Answer {
        self.call_method_as(APP_KEY, APP_SECRET, session, method, format, extra)
            .await
    }

    pub async fn call_method_as(
        &self,
        api_key: &str,
        secret: &str,
        session: &str,
        method: &str,
        format: &str,
        extra: &[(&str, &str)],
    ) -> Answer {
        let call_id = self.next_call_id();
        let mut params: Vec<(&str, &str)> = vec![
            ("method", method),
            ("api_key", api_key),
            ("session_key", session),
            ("call_id", &call_id),
            ("v", "1.0"),
            ("format", format),
        ];
        params.extend_from_slice(extra);
        self.call_signed(&params, secret).await
    }
}

/// The root attributes of every XML answer but fql.query's.
pub const XML_NS: &str = r#"xmlns="http://api.facebook.com/1.0/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://api.facebook.com/1.0/ http://api.facebook.com/1.0/facebook.xsd""#;
/// fql.query's root attributes (no schemaLocation).
pub const XML_NS_FQL: &str =
    r#"xmlns="http://api.facebook.com/1.0/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance""#;
pub const XML_DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
