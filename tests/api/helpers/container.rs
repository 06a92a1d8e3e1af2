//! A stand-in OpenSocial container (Mobage's Message API or a 0.9 REST container) served
//! over loopback. It checks what a real container checks, with its own OAuth verifier
//! (written apart from the signer under test): the HMAC-SHA1 signature, the body hash, the
//! consumer key, exactly one recipient per message, activities within Mobage's limits, and
//! the rate windows; and it can be
//! told to answer some recipients or the first calls with given statuses.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::http::header::HeaderMap;
use actix_web::http::StatusCode;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha1::{Digest, Sha1};

#[derive(Clone, Debug)]
pub struct Received {
    pub path: String,
    pub requestor: String,
    pub recipient: String,
    pub body: Value,
    pub content_type: String,
    pub at: Instant,
    pub status: u16,
}

#[derive(Default)]
pub struct Behaviour {
    /// Statuses answered to the first calls, in order, before anything else.
    pub first: VecDeque<u16>,
    /// A fixed status for some recipients.
    pub per_recipient: HashMap<String, u16>,
    /// The container's rate window: (length, per sender-recipient pair or per recipient).
    pub window: Option<(Duration, bool)>,
    /// How long each answer takes.
    pub delay: Duration,
    /// Mobage's activity window: one activity per user per this long (else 503).
    pub activity_window: Option<Duration>,
}

pub struct ContainerState {
    consumer_key: String,
    consumer_secret: String,
    pub behaviour: Behaviour,
    pub received: Vec<Received>,
    pub(crate) last_accepted: HashMap<(String, String), Instant>,
    pub window_violations: usize,
    pub bad_signatures: usize,
}

#[derive(Clone)]
pub struct Container {
    pub port: u16,
    pub state: Arc<Mutex<ContainerState>>,
}

pub fn pct_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn pct_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            let c = b as char;
            if c.is_ascii_alphanumeric() || "-._~".contains(c) {
                c.to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// RFC 5849 verification of one request, from scratch (with the body-hash extension:
/// required on requests with a body, absent on GET).
#[allow(clippy::too_many_arguments)]
pub fn verify(
    method: &str,
    port: u16,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
    key: &str,
    secret: &str,
) -> Result<(), String> {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .ok_or("no Authorization header")?;
    let auth = auth.strip_prefix("OAuth ").ok_or("not an OAuth header")?;
    let mut params: Vec<(String, String)> = Vec::new();
    for part in auth.split(',') {
        let (k, v) = part.trim().split_once('=').ok_or("bad header field")?;
        params.push((pct_decode(k), pct_decode(v.trim_matches('"'))));
    }
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        params.push((pct_decode(k), pct_decode(v)));
    }
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    if get("oauth_consumer_key").as_deref() != Some(key) {
        return Err("unknown consumer key".into());
    }
    if get("oauth_signature_method").as_deref() != Some("HMAC-SHA1") {
        return Err("not HMAC-SHA1".into());
    }
    if method == "GET" {
        if get("oauth_body_hash").is_some() {
            return Err("a body hash on a GET".into());
        }
    } else {
        let hash = base64::engine::general_purpose::STANDARD.encode(Sha1::digest(body));
        if get("oauth_body_hash").as_deref() != Some(hash.as_str()) {
            return Err("body hash mismatch".into());
        }
    }
    let sent = get("oauth_signature").ok_or("no signature")?;
    let mut normal: Vec<String> = params
        .iter()
        .filter(|(k, _)| k != "oauth_signature")
        .map(|(k, v)| format!("{}={}", pct_encode(k), pct_encode(v)))
        .collect();
    normal.sort();
    let base = format!(
        "{method}&{}&{}",
        pct_encode(&format!("http://127.0.0.1:{port}{path}")),
        pct_encode(&normal.join("&"))
    );
    let mut mac =
        Hmac::<Sha1>::new_from_slice(format!("{}&", pct_encode(secret)).as_bytes()).unwrap();
    mac.update(base.as_bytes());
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    if expected != sent {
        return Err(format!("signature mismatch over {base}"));
    }
    Ok(())
}

async fn handle(c: web::Data<Container>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let (status, text) = judge(&c, &req, &body).await;
    HttpResponse::build(status).body(text)
}

async fn judge(c: &Container, req: &HttpRequest, body: &[u8]) -> (StatusCode, String) {
    let delay = c.state.lock().unwrap().behaviour.delay;
    tokio::time::sleep(delay).await;
    let mut st = c.state.lock().unwrap();
    let query = req.query_string().to_string();
    let path = req.path().to_string();
    let headers = req.headers();
    if let Err(why) = verify(
        "POST",
        c.port,
        &path,
        &query,
        headers,
        body,
        &st.consumer_key,
        &st.consumer_secret,
    ) {
        st.bad_signatures += 1;
        return (StatusCode::UNAUTHORIZED, why);
    }
    let requestor = query
        .split('&')
        .find_map(|p| p.strip_prefix("xoauth_requestor_id="))
        .map(pct_decode)
        .unwrap_or_default();
    let Ok(json) = serde_json::from_slice::<Value>(body) else {
        return (StatusCode::BAD_REQUEST, "not JSON".into());
    };
    if path.contains("/activities/") {
        return super::activity::judge_activity(&mut st, path, requestor, json, headers);
    }
    let recipients = json["recipients"].as_array().cloned().unwrap_or_default();
    if recipients.len() != 1 {
        return (
            StatusCode::BAD_REQUEST,
            "exactly one recipient per message".into(),
        );
    }
    let recipient = recipients[0]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| recipients[0].to_string());
    let mut received = Received {
        path,
        requestor: requestor.clone(),
        recipient: recipient.clone(),
        body: json,
        content_type: headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string(),
        at: Instant::now(),
        status: 0,
    };
    let status = if let Some(s) = st.behaviour.first.pop_front() {
        s
    } else if let Some(s) = st.behaviour.per_recipient.get(&recipient) {
        *s
    } else if let Some((window, per_pair)) = st.behaviour.window {
        let key = (if per_pair { requestor } else { String::new() }, recipient);
        match st.last_accepted.get(&key) {
            Some(t) if t.elapsed() < window => {
                st.window_violations += 1;
                503
            }
            _ => {
                st.last_accepted.insert(key, Instant::now());
                202
            }
        }
    } else {
        202
    };
    received.status = status;
    st.received.push(received);
    (StatusCode::from_u16(status).unwrap(), String::new())
}

impl Container {
    /// A free loopback port, for a container that starts later.
    pub fn reserve_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    pub async fn start(consumer_key: &str, consumer_secret: &str, behaviour: Behaviour) -> Self {
        Self::start_on(
            Self::reserve_port(),
            consumer_key,
            consumer_secret,
            behaviour,
        )
        .await
    }

    pub async fn start_on(
        port: u16,
        consumer_key: &str,
        consumer_secret: &str,
        behaviour: Behaviour,
    ) -> Self {
        let c = Container {
            port,
            state: Arc::new(Mutex::new(ContainerState {
                consumer_key: consumer_key.into(),
                consumer_secret: consumer_secret.into(),
                behaviour,
                received: Vec::new(),
                last_accepted: HashMap::new(),
                window_violations: 0,
                bad_signatures: 0,
            })),
        };
        let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
        let data = web::Data::new(c.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::post().to(handle))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        c
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    pub fn accepted(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| (200..300).contains(&r.status))
            .collect()
    }

    /// Waits until `n` messages were accepted (or 20 s passed).
    pub async fn wait_accepted(&self, n: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let got = self.accepted();
            if got.len() >= n || Instant::now() > deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    pub fn violations(&self) -> (usize, usize) {
        let st = self.state.lock().unwrap();
        (st.window_violations, st.bad_signatures)
    }
}
