//! A stand-in People API (OpenSocial RESTful `people/{guid}/@self|@friends`) over loopback.
//! It checks what a container checks: the OAuth signature (its own verifier), that
//! `xoauth_requestor_id` is the person asked about, and that `startIndex` starts where the
//! platform's does; it serves friends a few per page, and can be taken down.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde_json::{json, Value};

use super::container::{pct_decode, verify};

pub const CONSUMER_KEY: &str = "people-key";
pub const CONSUMER_SECRET: &str = "people-secret";
/// Friends per page, whatever `count` asks (real containers cap pages too).
pub const PAGE_CAP: usize = 2;

#[derive(Default)]
pub struct PeopleState {
    /// id -> (display name, has the app)
    pub people: HashMap<String, (String, bool)>,
    pub friends: HashMap<String, Vec<String>>,
    /// mixi sends `hasApp` as a string.
    pub has_app_as_text: bool,
    /// The platform's first `startIndex` (1 on Mobage, 0 elsewhere).
    pub first_index: usize,
    /// Answer 503 to everything.
    pub down: bool,
    /// (path, requestor, startIndex) of each verified call.
    pub calls: Vec<(String, String, Option<usize>)>,
    pub refused: Vec<String>,
}

#[derive(Clone)]
pub struct PeopleApi {
    pub port: u16,
    pub state: Arc<Mutex<PeopleState>>,
}

fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        (k == name).then(|| pct_decode(v))
    })
}

impl PeopleApi {
    pub async fn start(first_index: usize, has_app_as_text: bool) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let api = PeopleApi {
            port,
            state: Arc::new(Mutex::new(PeopleState {
                first_index,
                has_app_as_text,
                ..PeopleState::default()
            })),
        };
        let data = web::Data::new(api.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(serve))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        api
    }

    /// The base URL to configure as `people_url`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/os", self.port)
    }

    pub fn person(&self, id: &str, name: &str, has_app: bool) {
        let mut st = self.state.lock().unwrap();
        st.people
            .insert(id.to_string(), (name.to_string(), has_app));
    }

    /// Friendship both ways.
    pub fn befriend(&self, a: &str, b: &str) {
        let mut st = self.state.lock().unwrap();
        st.friends.entry(a.into()).or_default().push(b.into());
        st.friends.entry(b.into()).or_default().push(a.into());
    }

    pub fn set_down(&self, down: bool) {
        self.state.lock().unwrap().down = down;
    }

    pub fn calls(&self) -> Vec<(String, String, Option<usize>)> {
        self.state.lock().unwrap().calls.clone()
    }

    pub fn refused(&self) -> Vec<String> {
        self.state.lock().unwrap().refused.clone()
    }
}

fn person_json(st: &PeopleState, id: &str) -> Value {
    let (name, has_app) = st.people.get(id).cloned().unwrap_or_default();
    let has_app = if st.has_app_as_text {
        json!(has_app.to_string())
    } else {
        json!(has_app)
    };
    json!({
        "id": id,
        "displayName": name,
        "thumbnailUrl": format!("http://img.example/{id}.png"),
        "profileUrl": format!("http://platform.example/{id}"),
        "gender": "female",
        "hasApp": has_app,
    })
}

async fn serve(api: web::Data<PeopleApi>, req: HttpRequest) -> HttpResponse {
    let mut st = api.state.lock().unwrap();
    if st.down {
        return HttpResponse::ServiceUnavailable().finish();
    }
    let path = req.path().to_string();
    let query = req.query_string().to_string();
    if let Err(why) = verify(
        "GET",
        api.port,
        &path,
        &query,
        req.headers(),
        b"",
        CONSUMER_KEY,
        CONSUMER_SECRET,
    ) {
        st.refused.push(why.clone());
        return HttpResponse::Unauthorized().body(why);
    }
    let parts: Vec<String> = path.split('/').map(pct_decode).collect();
    // ["", "os", "people", guid, group]
    let (Some(guid), Some(group)) = (parts.get(3).cloned(), parts.get(4).cloned()) else {
        return HttpResponse::NotFound().finish();
    };
    let requestor = query_param(&query, "xoauth_requestor_id").unwrap_or_default();
    if requestor != guid {
        st.refused
            .push(format!("requestor {requestor} asked about {guid}"));
        return HttpResponse::Forbidden().body("xoauth_requestor_id is not the viewer");
    }
    let start = query_param(&query, "startIndex").and_then(|s| s.parse::<usize>().ok());
    st.calls.push((path.clone(), requestor, start));
    match group.as_str() {
        "@self" => HttpResponse::Ok().json(json!({ "entry": person_json(&st, &guid) })),
        "@friends" => {
            let start = start.unwrap_or(st.first_index);
            if start < st.first_index {
                return HttpResponse::BadRequest().body("startIndex below the first");
            }
            let all = st.friends.get(&guid).cloned().unwrap_or_default();
            let count = query_param(&query, "count")
                .and_then(|c| c.parse::<usize>().ok())
                .unwrap_or(PAGE_CAP)
                .min(PAGE_CAP);
            let from = start - st.first_index;
            let page: Vec<Value> = all
                .iter()
                .skip(from)
                .take(count)
                .map(|id| person_json(&st, id))
                .collect();
            HttpResponse::Ok().json(json!({
                "startIndex": start,
                "itemsPerPage": page.len(),
                "totalResults": all.len(),
                "entry": page,
            }))
        }
        _ => HttpResponse::NotFound().finish(),
    }
}
