//! A stand-in for mixi's Graph API over loopback: the token endpoint (client credentials,
//! checked) and the request delete endpoint (a live token required, as `OAuth {token}`).
//! Tokens can be revoked, and the delete endpoint told to answer some statuses first.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};

pub const CLIENT_ID: &str = "mixi-client";
pub const CLIENT_SECRET: &str = "mixi-client-secret";

#[derive(Default)]
pub struct GraphState {
    pub token_calls: usize,
    live: HashSet<String>,
    /// Statuses answered to the next deletions, before 204s.
    pub delete_statuses: VecDeque<u16>,
    /// Every deletion call: (requestIds, status answered).
    pub deletions: Vec<(String, u16)>,
}

#[derive(Clone)]
pub struct MixiGraphServer {
    pub port: u16,
    pub state: Arc<Mutex<GraphState>>,
}

async fn token(server: web::Data<MixiGraphServer>, body: web::Bytes) -> HttpResponse {
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if get("grant_type") != Some("client_credentials")
        || get("client_id") != Some(CLIENT_ID)
        || get("client_secret") != Some(CLIENT_SECRET)
    {
        return HttpResponse::Unauthorized().body("invalid_client");
    }
    let mut st = server.state.lock().unwrap();
    st.token_calls += 1;
    let token = format!("tok-{}", st.token_calls);
    st.live.insert(token.clone());
    HttpResponse::Ok().json(serde_json::json!({
        "access_token": token, "token_type": "Bearer", "expires_in": 900,
    }))
}

async fn delete(server: web::Data<MixiGraphServer>, req: HttpRequest) -> HttpResponse {
    let mut st = server.state.lock().unwrap();
    let auth = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("OAuth "))
        .unwrap_or("");
    let ids = req
        .query_string()
        .strip_prefix("requestIds=")
        .unwrap_or("")
        .to_string();
    let status = if !st.live.contains(auth) {
        401
    } else {
        st.delete_statuses.pop_front().unwrap_or(204)
    };
    st.deletions.push((ids, status));
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).finish()
}

impl MixiGraphServer {
    pub async fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = MixiGraphServer {
            port,
            state: Arc::default(),
        };
        let data = web::Data::new(server.clone());
        let http = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/token", web::post().to(token))
                .route("/2/apps/requests/@me/@self", web::delete().to(delete))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(http);
        server
    }

    /// The `[app.mixi]` section pointing at this server.
    pub fn section(&self, ttl_secs: u64) -> String {
        format!(
            "[app.mixi]\nclient_id = \"{CLIENT_ID}\"\nclient_secret = \"{CLIENT_SECRET}\"\ngraph_url = \"http://127.0.0.1:{0}/2\"\ntoken_url = \"http://127.0.0.1:{0}/token\"\nrequest_ttl_secs = {ttl_secs}\n",
            self.port
        )
    }

    /// Every token issued so far stops working.
    pub fn revoke_tokens(&self) {
        self.state.lock().unwrap().live.clear();
    }

    /// The request ids deleted (2xx or 404), in order.
    pub fn deleted(&self) -> Vec<String> {
        self.state
            .lock()
            .unwrap()
            .deletions
            .iter()
            .filter(|(_, s)| (200..300).contains(s) || *s == 404)
            .map(|(ids, _)| ids.clone())
            .collect()
    }

    /// Waits until `n` requests were deleted (or 10 s passed).
    pub async fn wait_deleted(&self, n: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let got = self.deleted();
            if got.len() >= n || Instant::now() > deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}
