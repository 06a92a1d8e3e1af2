//! The admin API's handlers: path and body parsed, a service called, JSON answered.

use std::time::Duration;

use actix_web::{web, HttpResponse};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::json;

use super::error::AdminError;
use super::AdminAuth;
use crate::domain::{ApiKey, App, Profile, SessionTtl, Uid};
use crate::http::body::{read_body, BodyProblem};
use crate::http::state::AppState;
use crate::services::graph::GraphError;
use crate::services::{allocation, graph, requests, sessions};

/// Largest admin body read (a friend list of a few thousand uids).
const BODY_LIMIT: usize = 256 * 1024;

/// The JSON body, read within its size and the server's body time bound.
async fn json_body<T: DeserializeOwned>(
    payload: web::Payload,
    state: &AppState,
) -> Result<T, AdminError> {
    let timeout = Duration::from_millis(state.config.server.body_timeout_ms);
    let body = read_body(payload, BODY_LIMIT, timeout)
        .await
        .map_err(|p| match p {
            BodyProblem::TooLarge => {
                AdminError::BadRequest(format!("body larger than {BODY_LIMIT} bytes"))
            }
            BodyProblem::TooSlow | BodyProblem::Broken => AdminError::TooSlow,
        })?;
    serde_json::from_slice(&body)
        .map_err(|e| AdminError::BadRequest(format!("invalid JSON body: {e}")))
}

fn app_of<'a>(state: &'a AppState, api_key: &str) -> Result<&'a App, AdminError> {
    ApiKey::parse(api_key)
        .and_then(|k| state.config.app(k.as_str()))
        .ok_or_else(|| AdminError::NotFound(format!("no app with api_key `{api_key}`")))
}

/// `{api_key}/users/{uid}` of a path.
fn app_and_user(
    state: &AppState,
    path: web::Path<(String, String)>,
) -> Result<(&App, Uid), AdminError> {
    let (api_key, uid) = path.into_inner();
    Ok((app_of(state, &api_key)?, uid_of(&uid)?))
}

fn uid_of(text: &str) -> Result<Uid, AdminError> {
    Uid::parse(text).ok_or_else(|| AdminError::BadRequest(format!("`{text}` is not a user id")))
}

/// Accepts `"1002"` and `1002`.
#[derive(Deserialize)]
#[serde(untagged)]
enum UidInput {
    Text(String),
    Number(u64),
}

impl UidInput {
    fn parse(&self) -> Result<Uid, AdminError> {
        match self {
            UidInput::Text(t) => uid_of(t),
            UidInput::Number(n) => {
                Uid::new(*n).ok_or_else(|| AdminError::BadRequest("user ids are positive".into()))
            }
        }
    }
}

#[derive(Deserialize)]
struct SessionBody {
    api_key: String,
    uid: UidInput,
    ttl_secs: Option<u64>,
}

pub async fn create_session(
    _auth: AdminAuth,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, AdminError> {
    let body: SessionBody = json_body(payload, &state).await?;
    let app = app_of(&state, &body.api_key)?;
    let uid = body.uid.parse()?;
    let ttl = body
        .ttl_secs
        .map(SessionTtl::parse)
        .transpose()
        .map_err(AdminError::BadRequest)?;
    let created = sessions::create_session(&state.store, app, uid, ttl).await?;
    Ok(HttpResponse::Created().json(json!({
        "session_key": created.session_key.as_str(),
        "session_secret": created.session_secret,
        "uid": uid.to_string(),
        "expires": created.expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })))
}

#[derive(Deserialize)]
struct FriendsBody {
    friends: Vec<UidInput>,
}

pub async fn put_friends(
    _auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    payload: web::Payload,
) -> Result<HttpResponse, AdminError> {
    let (app, uid) = app_and_user(&state, path)?;
    let body: FriendsBody = json_body(payload, &state).await?;
    let friends = body
        .friends
        .iter()
        .map(UidInput::parse)
        .collect::<Result<Vec<_>, _>>()?;
    graph::set_friends(&state.store, app, uid, &friends)
        .await
        .map_err(|e| match e {
            GraphError::SelfFriend => AdminError::BadRequest(e.to_string()),
            GraphError::Store(s) => AdminError::Store(s),
        })?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize)]
struct InstalledBody {
    installed: bool,
}

pub async fn put_installed(
    _auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    payload: web::Payload,
) -> Result<HttpResponse, AdminError> {
    let (app, uid) = app_and_user(&state, path)?;
    let body: InstalledBody = json_body(payload, &state).await?;
    graph::set_installed(&state.store, app, uid, body.installed).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn put_profile(
    _auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    payload: web::Payload,
) -> Result<HttpResponse, AdminError> {
    let (app, uid) = app_and_user(&state, path)?;
    let body: Profile = json_body(payload, &state).await?;
    graph::set_profile(&state.store, app, uid, body).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn get_profile(
    _auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AdminError> {
    let (app, uid) = app_and_user(&state, path)?;
    match graph::profile(&state.store, app, uid).await? {
        Some(p) => Ok(HttpResponse::Ok().json(p)),
        None => Err(AdminError::NotFound(format!("no profile for user {uid}"))),
    }
}

pub async fn get_allocation(
    _auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AdminError> {
    let (app, uid) = app_and_user(&state, path)?;
    let allocation = allocation::user_allocation(&state.store, app, uid).await?;
    Ok(HttpResponse::Ok().json(allocation))
}

pub async fn get_request(
    _auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, AdminError> {
    let (api_key, from, id) = path.into_inner();
    let app = app_of(&state, &api_key)?;
    let from = uid_of(&from)?;
    let id: u64 = id
        .parse()
        .map_err(|_| AdminError::BadRequest(format!("`{id}` is not a request id")))?;
    let view = requests::view(&state.store, app, from, id)
        .await?
        .ok_or_else(|| AdminError::NotFound("no such request".into()))?;
    Ok(HttpResponse::Ok().json(view))
}

pub async fn list_requests(
    _auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AdminError> {
    let (app, from) = app_and_user(&state, path)?;
    let items = requests::recent(&state.store, app, from).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

pub async fn outbox_counts(
    _auth: AdminAuth,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AdminError> {
    Ok(HttpResponse::Ok().json(requests::outbox_counts(&state.store).await?))
}

pub async fn dead_letters(
    _auth: AdminAuth,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AdminError> {
    let items = requests::dead_letters(&state.store).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}
