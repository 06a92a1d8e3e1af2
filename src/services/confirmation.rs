//! The confirmation pages' rules (`/send_req.php`): which request a page is about, who may
//! use it, and how it is settled.
//!
//! Invariants:
//! - Only the holder of the URL's token can see or use a page: the token's SHA-256 is stored
//!   with the request and compared in constant time.
//! - Every POST carries a CSRF field derived from the app secret, the request and the token
//!   (synchroniser pattern without server state, so it also works inside a mixi gadget
//!   iframe where cookies are third-party).
//! - A request is settled at most once (one atomic store operation decides), never after
//!   its expiry; every refusal is a [`ConfirmError`], never a second delivery.

use std::collections::HashMap;

use crate::config::Config;
use crate::domain::secrets::{csrf_token, ct_eq, token_hash};
use crate::domain::{ApiKey, App, Profile, RequestRecord, RequestStatus, Uid};
use crate::store::{Graph, Requests, SettleOutcome, Settlement, StoreError};

/// Why a page or form was refused. `http::confirm::error` gives each its status and text.
#[derive(Debug, thiserror::Error)]
pub enum ConfirmError {
    #[error("the link lacks some of its parts")]
    Incomplete,
    #[error("no such app")]
    UnknownApp,
    #[error("no such request")]
    NotFound,
    #[error("the request no longer exists")]
    Gone,
    #[error("the token does not match")]
    BadToken,
    #[error("already sent")]
    AlreadySent,
    #[error("already cancelled")]
    Cancelled,
    #[error("expired")]
    Expired,
    #[error("not a form post")]
    NotAForm,
    #[error("the form is too large")]
    FormTooLarge,
    #[error("the form did not arrive in time")]
    FormTooSlow,
    #[error("the CSRF field does not match")]
    Csrf,
    #[error("mixi requests are sent from mixi's dialog")]
    SendFromMixi,
    #[error("no recipient uses the app on Mobage")]
    NobodyCanReceive,
    #[error("no action chosen")]
    NothingToDo,
    #[error("not a mixi app")]
    NotMixi,
    #[error("mixi's answer lacked a request id")]
    NoMixiRequestId,
    #[error("mixi's answer named an unknown user")]
    UnknownMixiUser,
    #[error("store unavailable: {0}")]
    Store(#[from] StoreError),
    #[error("page could not be rendered: {0}")]
    Render(String),
}

/// The fields a page's URL or form may carry, as sent (empty values count as absent).
#[derive(Clone, Debug, Default)]
pub struct PageFields {
    pub api_key: Option<String>,
    pub from: Option<String>,
    pub id: Option<String>,
    pub token: Option<String>,
    pub next: Option<String>,
    /// Present (with any value): go back to the app's canvas URL.
    pub canvas: bool,
    /// A request made by a canvas request form: where the bridge resumes once settled
    /// (sealed with the app secret; see `http::canvas`).
    pub bridge: Option<String>,
    pub csrf: Option<String>,
    pub action: Option<String>,
    /// mixi's dialog: `sent` or `error`, with `requestId`, `recipientIds`, `error_code`.
    pub outcome: Option<String>,
    pub request_id: Option<String>,
    pub recipient_ids: Option<String>,
    pub error_code: Option<String>,
}

/// A page's request, once its token checked out.
pub struct Page {
    pub app: App,
    pub record: RequestRecord,
    pub token: String,
    pub next: Option<String>,
    pub canvas: bool,
    pub bridge: Option<String>,
    /// Profiles the sender may see (themselves and their friends), for names and
    /// pictures on the page; filled only where a page is shown.
    pub people: HashMap<Uid, Profile>,
}

impl Page {
    pub fn csrf(&self) -> String {
        csrf_token(
            self.app.secret.expose(),
            self.record.api_key.as_str(),
            self.record.from.get(),
            self.record.id,
            &self.token,
        )
    }
}

/// What settling did; where the user goes next is the boundary's business.
pub struct Settled {
    pub page: Page,
    pub sent: bool,
    pub refunded: u32,
    pub outcome: &'static str,
}

/// Finds the request a page or form is about, and checks the token.
pub async fn load(
    config: &Config,
    store: &impl Requests,
    fields: &PageFields,
) -> Result<Page, ConfirmError> {
    let api_key = fields
        .api_key
        .as_deref()
        .and_then(ApiKey::parse)
        .ok_or(ConfirmError::Incomplete)?;
    let from = fields
        .from
        .as_deref()
        .and_then(Uid::parse)
        .ok_or(ConfirmError::Incomplete)?;
    let id: u64 = fields
        .id
        .as_deref()
        .and_then(|v| v.parse().ok())
        .ok_or(ConfirmError::Incomplete)?;
    let token = fields.token.clone().ok_or(ConfirmError::Incomplete)?;
    let app = config
        .app(api_key.as_str())
        .cloned()
        .ok_or(ConfirmError::UnknownApp)?;
    let record = store
        .get_request(&api_key, from, id)
        .await?
        .ok_or(ConfirmError::NotFound)?;
    if !ct_eq(token_hash(&token).as_bytes(), record.token_hash.as_bytes()) {
        return Err(ConfirmError::BadToken);
    }
    Ok(Page {
        app,
        record,
        token,
        next: fields.next.clone(),
        canvas: fields.canvas,
        bridge: fields.bridge.clone(),
        people: HashMap::new(),
    })
}

fn settled_refusal(status: RequestStatus) -> ConfirmError {
    match status {
        RequestStatus::Sent => ConfirmError::AlreadySent,
        RequestStatus::Cancelled => ConfirmError::Cancelled,
        RequestStatus::Expired | RequestStatus::Pending => ConfirmError::Expired,
    }
}

pub fn check_pending(page: &Page) -> Result<(), ConfirmError> {
    match page.record.status_at(super::now_ms()) {
        RequestStatus::Pending => Ok(()),
        other => Err(settled_refusal(other)),
    }
}

fn check_csrf(page: &Page, sent: Option<&str>) -> Result<(), ConfirmError> {
    match sent {
        Some(sent) if ct_eq(sent.as_bytes(), page.csrf().as_bytes()) => Ok(()),
        _ => Err(ConfirmError::Csrf),
    }
}

/// `GET /send_req.php`: the page, while it can still be used.
pub async fn show(
    config: &Config,
    store: &(impl Requests + Graph),
    fields: &PageFields,
) -> Result<Page, ConfirmError> {
    let mut page = load(config, store, fields).await?;
    check_pending(&page)?;
    // Names and pictures as the sender sees them; the page still works without them.
    match store
        .view(&page.record.api_key, page.record.from, true)
        .await
    {
        Ok(view) => page.people = view.profiles,
        Err(e) => tracing::warn!(error = %e, "profiles unavailable for the confirmation page"),
    }
    Ok(page)
}

/// A posted form's page, once token and CSRF field check out.
async fn load_form(
    config: &Config,
    store: &impl Requests,
    fields: &PageFields,
) -> Result<Page, ConfirmError> {
    let page = load(config, store, fields).await?;
    check_csrf(&page, fields.csrf.as_deref())?;
    Ok(page)
}

async fn settle(
    store: &impl Requests,
    page: Page,
    settlement: Settlement,
    sent: bool,
) -> Result<Settled, ConfirmError> {
    let outcome = match &settlement {
        Settlement::Send { .. } => "sent",
        Settlement::Mixi { .. } => "mixi_sent",
        Settlement::Cancel { .. } => "cancelled",
    };
    match store
        .settle_request(&page.record, &settlement, super::now_ms())
        .await?
    {
        SettleOutcome::Settled { refunded } => {
            metrics::counter!(crate::telemetry::CONFIRMATIONS, "outcome" => outcome).increment(1);
            tracing::info!(
                api_key = %page.record.api_key, from = %page.record.from, id = page.record.id,
                sent, refunded, "request settled"
            );
            Ok(Settled {
                page,
                sent,
                refunded,
                outcome,
            })
        }
        SettleOutcome::AlreadySettled(status) => Err(settled_refusal(status)),
        SettleOutcome::Expired => Err(ConfirmError::Expired),
        SettleOutcome::Missing => Err(ConfirmError::Gone),
    }
}

/// `POST /send_req.php`: Send or Cancel.
#[tracing::instrument(name = "confirm", skip_all, fields(api_key = ?fields.api_key, sender = ?fields.from, request_id = ?fields.id))]
pub async fn confirm<S: Requests + Graph>(
    config: &Config,
    store: &S,
    fields: &PageFields,
) -> Result<Settled, ConfirmError> {
    let page = load_form(config, store, fields).await?;
    check_pending(&page)?;
    match fields.action.as_deref() {
        Some("send") => {
            if page.app.platform.is_mixi() {
                return Err(ConfirmError::SendFromMixi);
            }
            if page.app.platform.is_mobage() {
                let uids: Vec<Uid> = page.record.recipients.iter().map(|r| r.uid).collect();
                if store.app_users(&page.app.api_key, &uids).await?.is_empty() {
                    return Err(ConfirmError::NobodyCanReceive);
                }
            }
            settle(store, page, Settlement::Send { enqueue: true }, true).await
        }
        Some("cancel") => {
            let detail = "cancelled by the sender".to_string();
            settle(store, page, Settlement::Cancel { detail }, false).await
        }
        _ => Err(ConfirmError::NothingToDo),
    }
}

/// `POST /send_req.php/complete`: the mixi page reports what mixi's dialog did.
#[tracing::instrument(name = "complete", skip_all, fields(api_key = ?fields.api_key, sender = ?fields.from, request_id = ?fields.id))]
pub async fn complete(
    config: &Config,
    store: &impl Requests,
    fields: &PageFields,
) -> Result<Settled, ConfirmError> {
    let page = load_form(config, store, fields).await?;
    if !page.app.platform.is_mixi() {
        return Err(ConfirmError::NotMixi);
    }
    check_pending(&page)?;
    match fields.outcome.as_deref() {
        Some("sent") => {
            let request_id = fields
                .request_id
                .as_deref()
                .filter(|r| r.len() <= 128 && r.chars().all(|c| c.is_ascii_graphic()))
                .ok_or(ConfirmError::NoMixiRequestId)?;
            let mut chosen = Vec::new();
            for raw in fields
                .recipient_ids
                .as_deref()
                .unwrap_or("")
                .split(',')
                .filter(|s| !s.is_empty())
            {
                chosen.push(Uid::parse(raw.trim()).ok_or(ConfirmError::UnknownMixiUser)?);
            }
            // With mixi's Graph API configured, the request is deleted at mixi once every
            // recipient launched the app, or when it expires (`notify.md`).
            let cleanup_at_ms = page
                .app
                .platform
                .mixi_graph()
                .map(|g| super::now_ms() + g.request_ttl_secs as i64 * 1000);
            let held: Vec<Uid> = chosen
                .iter()
                .copied()
                .filter(|u| page.record.recipients.iter().any(|r| r.uid == *u))
                .collect();
            let settlement = Settlement::Mixi {
                platform_request_id: request_id.to_string(),
                chosen,
                cleanup_at_ms,
            };
            let settled = settle(store, page, settlement, true).await?;
            if let Some(until) = cleanup_at_ms {
                let r = &settled.page.record;
                for uid in held {
                    // Not atomic with the settlement (another partition): a missed one
                    // still goes at expiry.
                    if let Err(e) = store
                        .hold_for_recipient(&r.api_key, uid, r.from, r.id, until)
                        .await
                    {
                        tracing::warn!(error = %e, "mixi: a held request not indexed for its recipient; deleted at expiry");
                    }
                }
            }
            Ok(settled)
        }
        Some("error") => {
            let code: String = fields
                .error_code
                .as_deref()
                .unwrap_or("unknown")
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .take(16)
                .collect();
            tracing::info!(api_key = %page.record.api_key, code = %code, "mixi refused a request");
            let detail = format!("mixi error {code}");
            settle(store, page, Settlement::Cancel { detail }, false).await
        }
        _ => Err(ConfirmError::NothingToDo),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries() {
        assert_eq!(summary_line(1, "event", true), "1 event invitation");
        assert_eq!(summary_line(3, "gift", false), "3 gift requests");
    }
}
