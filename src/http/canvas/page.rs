//! Calling the app for a viewer and answering with its rendered page (or its redirect).

use std::time::Instant;

use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use askama::Template;

use super::CanvasError;
use crate::domain::canvas::{seal_bridge, seal_fields, CanvasSettings};
use crate::domain::canvas_render::{render_page, Links, RenderContext, Target};
use crate::domain::story::image_mime;
use crate::domain::{fbml, App, MixiActivity, Platform};
use crate::http::page::{html, notice};
use crate::http::state::AppState;
use crate::platform::app_server::{call_app, AppCallError};
use crate::services::allocation::user_allocation;
use crate::services::canvas::{fb_sig_for, take_mixi_pending, Viewer};
use crate::store::Graph;

#[derive(Template)]
#[template(path = "canvas.html")]
struct CanvasPage<'a> {
    title: &'a str,
    app_name: &'a str,
    body: &'a str,
    /// mixi: notifications for the viewer, sanitised HTML.
    notices: Vec<String>,
    /// mixi: the viewer's stories to post with `requestCreateActivity`.
    activities: Option<ActivityScript>,
}

/// The nonce'd script that posts a mixi viewer's stories, and the container's scripts.
struct ActivityScript {
    nonce: String,
    data_json: String,
    scripts: Vec<String>,
}

fn activity_script(app: &App, activities: &[MixiActivity]) -> Option<ActivityScript> {
    let Platform::Mixi {
        container_scripts, ..
    } = &app.platform
    else {
        return None;
    };
    if activities.is_empty() {
        return None;
    }
    let data: Vec<serde_json::Value> = activities
        .iter()
        .map(|a| {
            serde_json::json!({
                "title": a.title,
                "url": a.url,
                "recipients": a.recipients,
                "media": a.media.iter().map(|m| serde_json::json!({"url": m, "mime": image_mime(m)})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let nonce: [u8; 16] = rand::random();
    Some(ActivityScript {
        nonce: hex::encode(nonce),
        data_json: fbml::escape_for_script(&serde_json::Value::from(data).to_string()).into_owned(),
        scripts: container_scripts.clone(),
    })
}

pub fn count(app: &App, outcome: &'static str) {
    metrics::counter!(crate::telemetry::CANVAS_REQUESTS, "app" => app.api_key.to_string(), "outcome" => outcome)
        .increment(1);
}

/// The links of `viewer`'s pages of `app`.
pub fn links(state: &AppState, app: &App, canvas: &CanvasSettings, viewer: &Viewer) -> Links {
    Links {
        canvas_base: format!("{}/canvas/{}/", state.config.public_base(), app.api_key),
        token: seal_bridge(app.api_key.as_str(), &viewer.bridge(), app.secret.expose()),
        callback_url: app.callback_url.clone(),
        canvas_name: canvas.canvas_name.clone(),
        redirect_hosts: canvas.redirect_hosts.clone(),
    }
}

fn page_csp(state: &AppState, app: &App, script: Option<&ActivityScript>) -> String {
    let ancestors = match &app.platform {
        crate::domain::Platform::Sandbox => "'none'".to_string(),
        crate::domain::Platform::Mixi { .. } => {
            crate::http::page::MIXI_CONTAINER_ORIGINS.to_string()
        }
        // Mobage and OpenSocial containers frame the gadget from their own hosts.
        _ => match app.canvas.as_ref().map(|c| &c.redirect_hosts) {
            Some(hosts) if !hosts.is_empty() => hosts
                .iter()
                .flat_map(|h| [format!("https://{h}"), format!("http://{h}")])
                .collect::<Vec<_>>()
                .join(" "),
            _ => "*".to_string(),
        },
    };
    let base = state.config.public_base();
    let scripts = match script {
        Some(s) => {
            let mut src = format!("; script-src 'nonce-{}'", s.nonce);
            for url in &s.scripts {
                src.push(' ');
                src.push_str(url);
            }
            src
        }
        None => String::new(),
    };
    format!("default-src 'none'; style-src 'unsafe-inline'; img-src http: https:; base-uri 'none'; form-action {base}; frame-ancestors {ancestors}{scripts}")
}

/// A redirect as the bridge allows it.
pub fn redirect(app: &App, target: Target) -> HttpResponse {
    match target {
        Target::Canvas(url) | Target::Listed(url) => {
            count(app, "redirected");
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, url))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish()
        }
        Target::Outside(url) => {
            count(app, "redirect_refused");
            let message = format!("The app wants to send you to {url}. fbbridge does not follow links out of the app; copy it if you trust it.");
            notice(StatusCode::OK, "Leaving the app", &message, "'none'")
        }
    }
}

/// Calls `{callback_url}{path}` for `viewer` with `form` plus the `fb_sig_*` set, and
/// answers with the app's rendered page or its redirect.
pub async fn call_and_render(
    state: &AppState,
    app: &App,
    canvas: &CanvasSettings,
    viewer: &Viewer,
    path: &str,
    mut form: Vec<(String, String)>,
    request_method: &str,
) -> Result<HttpResponse, CanvasError> {
    form.extend(fb_sig_for(app, viewer, request_method));
    let url = format!("{}{}", app.callback_url, path.trim_start_matches('/'));
    let started = Instant::now();
    let answer = call_app(&state.people.http, &url, &form, canvas.timeout).await;
    metrics::histogram!(crate::telemetry::CANVAS_APP_DURATION, "app" => app.api_key.to_string())
        .record(started.elapsed().as_secs_f64());
    let answer = match answer {
        Ok(a) => a,
        Err(e) => {
            count(app, "app_error");
            tracing::warn!(api_key = %app.api_key, error = %e, "canvas: the app failed");
            return Err(match e {
                AppCallError::TimedOut(_) => CanvasError::AppTimedOut,
                other => CanvasError::AppUnreachable(other.to_string()),
            });
        }
    };
    let links = links(state, app, canvas, viewer);
    match answer.status {
        300..=399 => match answer.location {
            Some(location) => Ok(redirect(app, links.redirect(&location))),
            None => {
                count(app, "app_error");
                Err(CanvasError::AppFailed(answer.status))
            }
        },
        200..=299 => {
            let remaining = user_allocation(&state.store, app, viewer.uid)
                .await?
                .remaining;
            let request_form_url = format!(
                "{}/canvas/{}/_fbb/request-form",
                state.config.public_base(),
                app.api_key
            );
            let mut platform_ids = std::collections::HashMap::new();
            if canvas.profile_url.is_some() {
                for uid in std::iter::once(viewer.uid).chain(viewer.view.friend_uids()) {
                    if uid.get() >= crate::domain::profile::ALIAS_BASE {
                        if let Some(id) = state.store.platform_id(&app.api_key, uid).await? {
                            platform_ids.insert(uid, id);
                        }
                    }
                }
            }
            let secret = app.secret.expose();
            let seal = |fields: &[(&str, &str)]| seal_fields(fields, secret);
            let ctx = RenderContext {
                viewer: viewer.uid,
                owner: viewer.owner,
                view: &viewer.view,
                links: &links,
                remaining_quota: remaining,
                request_form_url,
                seal: &seal,
                profile_url: canvas.profile_url.as_deref(),
                platform_ids: &platform_ids,
            };
            let page = render_page(&answer.body, &ctx);
            for tag in &page.unknown_tags {
                metrics::counter!(crate::telemetry::FBML_UNKNOWN_TAGS, "tag" => tag.clone())
                    .increment(1);
            }
            if let Some(to) = &page.redirect {
                return Ok(redirect(app, links.redirect(to)));
            }
            count(app, "rendered");
            let (notices, activities) = take_mixi_pending(&state.store, app, viewer.uid).await?;
            let script = activity_script(app, &activities);
            let csp = page_csp(state, app, script.as_ref());
            let body = CanvasPage {
                title: page.title.as_deref().unwrap_or(&app.name),
                app_name: &app.name,
                body: &page.html,
                notices: notices
                    .iter()
                    .map(|n| {
                        let links = links.clone();
                        fbml::render_linking(&n.content, move |url| links.rewrite(url)).html
                    })
                    .collect(),
                activities: script,
            }
            .render()
            .map_err(|e| CanvasError::AppUnreachable(e.to_string()))?;
            Ok(html(StatusCode::OK, body, &csp))
        }
        status => {
            count(app, "app_error");
            tracing::warn!(api_key = %app.api_key, status, "canvas: the app answered an error");
            Err(CanvasError::AppFailed(status))
        }
    }
}
