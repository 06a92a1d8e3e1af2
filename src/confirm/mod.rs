//! The confirmation pages (`/send_req.php`): what the user sees after the app redirected
//! them to the URL `notifications.sendRequest` answered.
//!
//! Invariants:
//! - Only the holder of the URL's token can see or use a page: the token's SHA-256 is stored
//!   with the request and compared in constant time.
//! - Every POST carries a CSRF field derived from the app secret, the request and the token
//!   (synchroniser pattern without server state, so it also works inside a mixi gadget
//!   iframe where cookies are third-party).
//! - A request is settled at most once (one atomic store operation decides), never after
//!   its expiry; every refusal is a short 4xx page, never a second delivery.
//! - Every redirect goes to one of the app's own URLs (see [`redirect`]).
//! - Pages are askama templates (escaped by default); request content passes through
//!   [`fbml`] (ammonia). Pages carry a strict Content-Security-Policy.

pub mod fbml;
pub mod redirect;

use std::collections::HashMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{TimeZone, Utc};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::AppConfig;
use crate::domain::{ApiKey, Uid};
use crate::platform::{percent_encode, PlatformKind};
use crate::startup::AppState;
use crate::store::{RequestRecord, RequestStatus, SettleOutcome, Settlement, Store};

/// A page refused or failed: status and a short explanation for a person.
pub struct Refusal {
    status: StatusCode,
    title: &'static str,
    message: String,
}

fn refuse(status: StatusCode, title: &'static str, message: impl Into<String>) -> Refusal {
    Refusal {
        status,
        title,
        message: message.into(),
    }
}

#[derive(Template)]
#[template(path = "notice.html")]
struct NoticePage<'a> {
    title: &'a str,
    message: &'a str,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let html = NoticePage {
            title: self.title,
            message: &self.message,
        }
        .render()
        .unwrap_or_else(|_| self.message.clone());
        html_page(self.status, html, &notice_csp())
    }
}

impl From<crate::store::StoreError> for Refusal {
    fn from(e: crate::store::StoreError) -> Self {
        tracing::warn!(error = %e, "confirmation page: store unavailable");
        refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "Please try again",
            "The service is busy right now. Nothing was sent; please try again in a moment.",
        )
    }
}

fn notice_csp() -> String {
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'".into()
}

fn html_page(status: StatusCode, html: String, csp: &str) -> Response {
    let mut res = (status, html).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(v) = HeaderValue::from_str(csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res
}

/// `scheme://host[:port]` of an http(s) URL (config URLs are validated as such).
fn origin(url: &str) -> &str {
    let after_scheme = url.find("://").map(|i| i + 3).unwrap_or(0);
    let end = url[after_scheme..]
        .find(['/', '?', '#'])
        .map(|i| after_scheme + i)
        .unwrap_or(url.len());
    &url[..end]
}

/// The fields that identify a page: in its URL, and again in every form it posts.
struct PageRef {
    app: AppConfig,
    record: RequestRecord,
    token: String,
    next: Option<String>,
    canvas: bool,
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn csrf_token(app: &AppConfig, from: Uid, id: u64, token: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(app.secret.expose().as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(format!("fbbridge-csrf\0{}\0{from}\0{id}\0{token}", app.api_key).as_bytes());
    hex::encode(mac.finalize().into_bytes())[..32].to_string()
}

fn ct_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

fn field<'a>(fields: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    fields
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
}

/// Finds the request a page or form is about, and checks the token and its state.
async fn load(state: &AppState, fields: &HashMap<String, String>) -> Result<PageRef, Refusal> {
    let incomplete = || {
        refuse(
            StatusCode::BAD_REQUEST,
            "This link is incomplete",
            "The link you followed is missing some of its parts. Go back to the app and try again.",
        )
    };
    let api_key = field(fields, "api_key")
        .and_then(ApiKey::parse)
        .ok_or_else(incomplete)?;
    let from = field(fields, "from")
        .and_then(Uid::parse)
        .ok_or_else(incomplete)?;
    let id: u64 = field(fields, "id")
        .and_then(|v| v.parse().ok())
        .ok_or_else(incomplete)?;
    let token = field(fields, "t").ok_or_else(incomplete)?.to_string();
    let app = state.config.app(api_key.as_str()).cloned().ok_or_else(|| {
        refuse(
            StatusCode::NOT_FOUND,
            "Unknown app",
            "This request belongs to no app served here.",
        )
    })?;
    let not_found = || {
        refuse(
            StatusCode::NOT_FOUND,
            "Request not found",
            "This request does not exist, or it expired long ago.",
        )
    };
    let record = state
        .store
        .get_request(&api_key, from, id)
        .await?
        .ok_or_else(not_found)?;
    if !ct_eq(&token_hash(&token), &record.token_hash) {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "This link is not valid",
            "This confirmation page belongs to someone else, or its link was changed.",
        ));
    }
    Ok(PageRef {
        app,
        record,
        token,
        next: field(fields, "next").map(str::to_string),
        canvas: fields.contains_key("canvas"),
    })
}

fn settled_refusal(status: RequestStatus) -> Refusal {
    match status {
        RequestStatus::Sent => refuse(
            StatusCode::CONFLICT,
            "Already sent",
            "This request was already sent. Nothing more to do.",
        ),
        RequestStatus::Cancelled => refuse(
            StatusCode::CONFLICT,
            "Cancelled",
            "This request was cancelled; it cannot be sent any more.",
        ),
        RequestStatus::Expired | RequestStatus::Pending => expired(),
    }
}

fn expired() -> Refusal {
    refuse(
        StatusCode::GONE,
        "This page has expired",
        "Confirmation pages last a limited time. Go back to the app to send a new request.",
    )
}

fn check_pending(page: &PageRef) -> Result<(), Refusal> {
    match page.record.status_at(Utc::now().timestamp_millis()) {
        RequestStatus::Pending => Ok(()),
        other => Err(settled_refusal(other)),
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_string()
    } else {
        format!("{word}s")
    }
}

/// "2 event invitations", "1 gift request".
pub fn summary_line(n: usize, kind: &str, invite: bool) -> String {
    format!(
        "{n} {kind} {}",
        plural(n, if invite { "invitation" } else { "request" })
    )
}

struct Hidden {
    name: &'static str,
    value: String,
}

fn hidden_fields(page: &PageRef) -> Vec<Hidden> {
    let r = &page.record;
    let mut fields = vec![
        Hidden {
            name: "api_key",
            value: r.api_key.to_string(),
        },
        Hidden {
            name: "from",
            value: r.from.to_string(),
        },
        Hidden {
            name: "id",
            value: r.id.to_string(),
        },
        Hidden {
            name: "t",
            value: page.token.clone(),
        },
        Hidden {
            name: "csrf",
            value: csrf_token(&page.app, r.from, r.id, &page.token),
        },
    ];
    if let Some(next) = &page.next {
        fields.push(Hidden {
            name: "next",
            value: next.clone(),
        });
    }
    if page.canvas {
        fields.push(Hidden {
            name: "canvas",
            value: "1".into(),
        });
    }
    fields
}

#[derive(Template)]
#[template(path = "confirm.html")]
struct ConfirmPage<'a> {
    app_name: &'a str,
    from: String,
    recipients: Vec<String>,
    summary: String,
    content_html: String,
    choices: Vec<fbml::Choice>,
    image: Option<&'a str>,
    expires: String,
    hidden: Vec<Hidden>,
    mixi: Option<MixiPart>,
}

struct MixiPart {
    nonce: String,
    data_json: String,
    scripts: Vec<String>,
}

fn image_mime(url: &str) -> &'static str {
    let path = url
        .split(['?', '#'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    if path.ends_with(".gif") {
        "image/gif"
    } else if path.ends_with(".jpg") || path.ends_with(".jpeg") {
        "image/jpeg"
    } else {
        "image/png"
    }
}

/// mixi's URL and MOBILE_URL: `run_appli.pl` of the app, with the first choice's path
/// inside the app as `appParams` (a choice outside the app's own URLs is not carried).
pub fn mixi_urls(app: &AppConfig, choice: Option<&str>) -> (String, String) {
    let inside = choice.and_then(|url| {
        [&app.callback_url, &app.canvas_url]
            .into_iter()
            .find_map(|base| url.strip_prefix(base.as_str()).map(|rest| (rest, url)))
    });
    let mut pc = format!(
        "http://mixi.jp/run_appli.pl?id={}",
        percent_encode(&app.app_id)
    );
    let mut mobile = format!("http://ma.mixi.net/{}/", percent_encode(&app.app_id));
    if let Some((rest, full)) = inside {
        if !rest.is_empty() {
            pc.push_str("&appParams=");
            pc.push_str(&percent_encode(rest));
        }
        mobile.push_str("?url=");
        mobile.push_str(&percent_encode(full));
    }
    (pc, mobile)
}

fn mixi_part(page: &PageRef) -> MixiPart {
    let r = &page.record;
    let (url, mobile_url) = mixi_urls(&page.app, fbml::first_choice_url(&r.content).as_deref());
    let data = serde_json::json!({
        "recipients": r.recipients.iter().map(|x| x.uid.to_string()).collect::<Vec<_>>(),
        "body": fbml::plain_text(&r.content),
        "image": r.image,
        "image_mime": r.image.as_deref().map(image_mime),
        "url": url,
        "mobile_url": mobile_url,
        "invite": r.invite,
        "description": r.kind,
        "messages": {
            "scope": "mixi did not let this app send requests: it lacks the mixi_apps2 permission. Nothing was sent.",
            "failed": "mixi could not send the request. Nothing was sent.",
            "outside": "Open this page from inside the app on mixi to send the request.",
        },
    });
    let nonce: [u8; 16] = rand::random();
    MixiPart {
        nonce: hex::encode(nonce),
        data_json: fbml::escape_for_script(&data.to_string()).into_owned(),
        scripts: page.app.container_scripts.clone(),
    }
}

fn page_csp(app: &AppConfig, mixi: Option<&MixiPart>) -> String {
    let mut form_action = vec!["'self'".to_string(), origin(&app.callback_url).to_string()];
    form_action.push(origin(&app.canvas_url).to_string());
    form_action.dedup();
    let mut csp = format!(
        "default-src 'none'; style-src 'unsafe-inline'; img-src http: https:; base-uri 'none'; form-action {}",
        form_action.join(" ")
    );
    match mixi {
        // The page runs inside the app's mixi gadget, in a frame by design.
        Some(m) => {
            csp.push_str(&format!("; script-src 'nonce-{}'", m.nonce));
            for s in &m.scripts {
                csp.push(' ');
                csp.push_str(s);
            }
            csp.push_str("; connect-src 'self'");
        }
        None => csp.push_str("; frame-ancestors 'none'"),
    }
    csp
}

pub async fn show(
    State(state): State<AppState>,
    Query(fields): Query<HashMap<String, String>>,
) -> Result<Response, Refusal> {
    let page = load(&state, &fields).await?;
    check_pending(&page)?;
    let r = &page.record;
    let rendered = fbml::render(&r.content);
    let mixi = (page.app.platform == PlatformKind::Mixi).then(|| mixi_part(&page));
    let csp = page_csp(&page.app, mixi.as_ref());
    let expires = Utc
        .timestamp_millis_opt(r.expires_at_ms)
        .single()
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default();
    let html = ConfirmPage {
        app_name: &page.app.name,
        from: r.from.to_string(),
        recipients: r.recipients.iter().map(|x| x.uid.to_string()).collect(),
        summary: summary_line(r.recipients.len(), &r.kind, r.invite),
        content_html: rendered.html,
        choices: rendered.choices,
        image: r.image.as_deref(),
        expires,
        hidden: hidden_fields(&page),
        mixi,
    }
    .render()
    .map_err(|e| {
        tracing::error!(error = %e, "confirmation template failed");
        refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "Nothing was sent.",
        )
    })?;
    Ok(html_page(StatusCode::OK, html, &csp))
}

fn form_fields(headers: &HeaderMap, body: &Bytes) -> Result<HashMap<String, String>, Refusal> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct
        .to_ascii_lowercase()
        .starts_with("application/x-www-form-urlencoded")
    {
        return Err(refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Not a form",
            "Please use the buttons on the page.",
        ));
    }
    Ok(form_urlencoded::parse(body).into_owned().collect())
}

fn check_csrf(page: &PageRef, fields: &HashMap<String, String>) -> Result<(), Refusal> {
    let expected = csrf_token(&page.app, page.record.from, page.record.id, &page.token);
    match field(fields, "csrf") {
        Some(sent) if ct_eq(sent, &expected) => Ok(()),
        _ => Err(refuse(
            StatusCode::FORBIDDEN,
            "This form cannot be used",
            "The form was not sent from its own page. Open the confirmation page again.",
        )),
    }
}

fn see_other(url: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(url) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

async fn settle(
    state: &AppState,
    page: &PageRef,
    settlement: Settlement,
    sent: bool,
) -> Result<Response, Refusal> {
    let now = Utc::now().timestamp_millis();
    match state
        .store
        .settle_request(&page.record, &settlement, now)
        .await?
    {
        SettleOutcome::Settled { refunded } => {
            let outcome = match &settlement {
                Settlement::Send { .. } => "sent",
                Settlement::Mixi { .. } => "mixi_sent",
                Settlement::Cancel { .. } => "cancelled",
            };
            metrics::counter!(crate::telemetry::CONFIRMATIONS, "outcome" => outcome).increment(1);
            tracing::info!(
                api_key = %page.record.api_key, from = %page.record.from, id = page.record.id,
                sent, refunded, "request settled"
            );
            Ok(see_other(&redirect::back_to_app(
                &page.app,
                page.next.as_deref(),
                page.canvas,
                sent,
            )))
        }
        SettleOutcome::AlreadySettled(status) => Err(settled_refusal(status)),
        SettleOutcome::Expired => Err(expired()),
        SettleOutcome::Missing => Err(refuse(
            StatusCode::NOT_FOUND,
            "Request not found",
            "This request no longer exists.",
        )),
    }
}

/// The fields of a posted page form, and its request, once token and CSRF field check out.
async fn load_form(
    state: &AppState,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(HashMap<String, String>, PageRef), Refusal> {
    let fields = form_fields(headers, body)?;
    let page = load(state, &fields).await?;
    check_csrf(&page, &fields)?;
    Ok((fields, page))
}

/// `POST /send_req.php`: Send or Cancel.
pub async fn confirm(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let (fields, page) = load_form(&state, &headers, &body).await?;
    check_pending(&page)?;
    match field(&fields, "action") {
        Some("send") => {
            if page.app.platform == PlatformKind::Mixi {
                return Err(refuse(
                    StatusCode::BAD_REQUEST,
                    "Send it from mixi",
                    "On mixi, requests are sent from mixi's own dialog: use the button on the page.",
                ));
            }
            if page.app.platform == PlatformKind::Mobage {
                let uids: Vec<Uid> = page.record.recipients.iter().map(|r| r.uid).collect();
                if state
                    .store
                    .app_users(&page.app.api_key, &uids)
                    .await?
                    .is_empty()
                {
                    return Err(refuse(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "Nobody here can receive it",
                        "On Mobage, requests reach only people who already play this app, and none of these friends do. Nothing was sent; you can cancel this request.",
                    ));
                }
            }
            settle(&state, &page, Settlement::Send { enqueue: true }, true).await
        }
        Some("cancel") => {
            settle(
                &state,
                &page,
                Settlement::Cancel {
                    detail: "cancelled by the sender".into(),
                },
                false,
            )
            .await
        }
        _ => Err(refuse(
            StatusCode::BAD_REQUEST,
            "Nothing to do",
            "Please use the Send or Cancel button.",
        )),
    }
}

/// `POST /send_req.php/complete`: the mixi page reports what mixi's dialog did.
pub async fn complete(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let (fields, page) = load_form(&state, &headers, &body).await?;
    if page.app.platform != PlatformKind::Mixi {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "Not a mixi app",
            "This step exists only for mixi apps.",
        ));
    }
    check_pending(&page)?;
    match field(&fields, "outcome") {
        Some("sent") => {
            let request_id = field(&fields, "requestId")
                .filter(|r| r.len() <= 128 && r.chars().all(|c| c.is_ascii_graphic()))
                .ok_or_else(|| {
                    refuse(
                        StatusCode::BAD_REQUEST,
                        "Incomplete answer",
                        "mixi's answer lacked a request id.",
                    )
                })?;
            let mut chosen = Vec::new();
            for raw in field(&fields, "recipientIds")
                .unwrap_or("")
                .split(',')
                .filter(|s| !s.is_empty())
            {
                chosen.push(Uid::parse(raw.trim()).ok_or_else(|| {
                    refuse(
                        StatusCode::BAD_REQUEST,
                        "Incomplete answer",
                        "mixi's answer named an unknown user.",
                    )
                })?);
            }
            let settlement = Settlement::Mixi {
                platform_request_id: request_id.to_string(),
                chosen,
            };
            settle(&state, &page, settlement, true).await
        }
        Some("error") => {
            let code: String = field(&fields, "error_code")
                .unwrap_or("unknown")
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .take(16)
                .collect();
            tracing::info!(api_key = %page.record.api_key, code = %code, "mixi refused a request");
            let detail = format!("mixi error {code}");
            settle(&state, &page, Settlement::Cancel { detail }, false).await
        }
        _ => Err(refuse(
            StatusCode::BAD_REQUEST,
            "Nothing to do",
            "Please use the buttons on the page.",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries() {
        assert_eq!(summary_line(1, "event", true), "1 event invitation");
        assert_eq!(summary_line(3, "gift", false), "3 gift requests");
    }

    #[test]
    fn origins() {
        assert_eq!(
            origin("http://apps.example.com:8080/x/?y"),
            "http://apps.example.com:8080"
        );
        assert_eq!(origin("https://a.example"), "https://a.example");
    }

    #[test]
    fn image_types() {
        assert_eq!(image_mime("http://x/a.GIF?v=1"), "image/gif");
        assert_eq!(image_mime("http://x/a.jpeg"), "image/jpeg");
        assert_eq!(image_mime("http://x/a"), "image/png");
    }
}
