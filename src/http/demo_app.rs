//! The demo's legacy FBML app, "Sliced Bread": served by the gateway itself as the demo
//! app's callback URL, so that `cargo run --release` shows a canvas invite flow with no
//! other server. It is an ordinary FBML app: it reads only the POST it is sent, and
//! refuses any call whose `fb_sig` does not check out (as the PHP client did).

use actix_web::{web, HttpResponse};

use super::state::AppState;
use crate::domain::canvas::fb_sig;
use crate::domain::secrets::ct_eq;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/demo-app/{path:.*}", web::post().to(page));
}

fn valid(form: &[(String, String)], secret: &str) -> bool {
    let Some(sig) = form.iter().find(|(k, _)| k == "fb_sig").map(|(_, v)| v) else {
        return false;
    };
    let params: Vec<(String, String)> = form
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("fb_sig_")
                .map(|s| (s.to_string(), v.clone()))
        })
        .collect();
    ct_eq(fb_sig(&params, secret).as_bytes(), sig.as_bytes())
}

async fn page(
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let Some(app) = state.config.apps.first() else {
        return HttpResponse::NotFound().finish();
    };
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    if !valid(&form, app.secret.expose()) {
        return HttpResponse::Forbidden().body("fb_sig does not check out");
    }
    let invited = form.iter().filter(|(k, _)| k == "ids[]").count();
    let fbml = match path.as_str() {
        "" | "index.php" => r#"<fb:title>Sliced Bread</fb:title><h2>Hello, <fb:name uid="loggedinuser" useyou="false"/>!</h2><p>Build sandwiches with your friends.</p><fb:dashboard><fb:action href="invite.php">Invite friends</fb:action><fb:action href="play.php">Play</fb:action></fb:dashboard>"#.to_string(),
        "invite.php" => format!(
            r#"<fb:title>Invite friends</fb:title><fb:request-form type="sandwich" invite="true" action="thanks.php" method="POST" content="Come build a sandwich with me! &lt;fb:req-choice url=&quot;{}play.php&quot; label=&quot;Play now&quot;/&gt;"><fb:multi-friend-selector actiontext="Invite your friends to Sliced Bread" max="20" bypass="Maybe later"/></fb:request-form>"#,
            app.callback_url
        ),
        "thanks.php" => format!(
            r#"<fb:title>Thanks</fb:title><fb:success message="You invited {invited} friend{}"/><p><a href="index.php">Back to Sliced Bread</a></p>"#,
            if invited == 1 { "" } else { "s" }
        ),
        "play.php" => r#"<fb:title>Play</fb:title><p>Your sandwich is waiting. <a href="invite.php">Invite more friends</a>.</p>"#.to_string(),
        _ => return HttpResponse::NotFound().finish(),
    };
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(fbml)
}
