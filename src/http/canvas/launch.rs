//! The sandbox container: fbbridge signs an entry request itself, as a container would.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use super::handlers::{canvas_app, get};
use super::CanvasError;
use crate::domain::oauth::{base_string, hmac_sha1};
use crate::domain::{Platform, Uid};
use crate::http::state::AppState;
use crate::services::now_ms;

/// `GET /sandbox/{api_key}/launch/{uid}[?path=P]`: fbbridge's own container signs an entry
/// for `uid` and sends the browser to it (sandbox apps only: on a real platform only the
/// platform may say who is looking).
pub async fn sandbox_launch(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, CanvasError> {
    let (api_key, uid) = path.into_inner();
    let (app, canvas) = canvas_app(&state, &api_key)?;
    if !matches!(app.platform, Platform::Sandbox) {
        return Err(CanvasError::NoCanvas);
    }
    let uid = Uid::parse(&uid).ok_or(CanvasError::BadForm)?;
    let query: Vec<(String, String)> =
        serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    let start = get(&query, "path")
        .unwrap_or("")
        .trim_start_matches('/')
        .to_string();
    if start.contains("..") || start.contains("://") || start.starts_with('/') {
        return Err(CanvasError::BadForm);
    }
    let (start_path, start_query) = match start.split_once('?') {
        Some((p, q)) => (
            p.to_string(),
            serde_urlencoded::from_str::<Vec<(String, String)>>(q).unwrap_or_default(),
        ),
        None => (start, Vec::new()),
    };
    let base_uri = format!(
        "{}/canvas/{}/{start_path}",
        state.config.public_base(),
        app.api_key
    );
    let mut params = start_query;
    params.extend([
        ("opensocial_owner_id".to_string(), uid.to_string()),
        ("opensocial_viewer_id".to_string(), uid.to_string()),
        ("opensocial_app_id".to_string(), app.app_id.clone()),
        (
            "oauth_consumer_key".to_string(),
            canvas
                .consumer_key
                .clone()
                .unwrap_or_else(|| "fbbridge-sandbox".into()),
        ),
        (
            "oauth_nonce".to_string(),
            crate::domain::secrets::random_token(),
        ),
        ("oauth_timestamp".to_string(), (now_ms() / 1000).to_string()),
        (
            "oauth_signature_method".to_string(),
            "HMAC-SHA1".to_string(),
        ),
        ("oauth_version".to_string(), "1.0".to_string()),
    ]);
    let signature = hmac_sha1(
        &base_string("GET", &base_uri, &params),
        canvas.consumer_secret.expose(),
    );
    params.push(("oauth_signature".to_string(), signature));
    let url = format!(
        "{base_uri}?{}",
        serde_urlencoded::to_string(&params).expect("pairs encode")
    );
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, url))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}
