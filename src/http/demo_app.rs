//! The demo's legacy FBML app, "Sliced Bread": served by the gateway itself as the demo
//! app's callback URL, so that `cargo run --release` shows a canvas invite flow with no
//! other server. It is an ordinary FBML app: it reads only the POST it is sent (and its own
//! query), and refuses any call whose `fb_sig` does not check out (as the PHP client did).
//!
//! When an invited friend follows the invitation (`accept.php?from=INVITER`), the app does
//! what such apps did: a notification to the inviter and a story of the friend, as the
//! friend's session (the services `notifications.send` and `feed.publishTemplatizedAction`
//! run, so the demo needs no network of its own).

use actix_web::{web, HttpRequest, HttpResponse};

use super::state::AppState;
use crate::domain::canvas::fb_sig;
use crate::domain::secrets::ct_eq;
use crate::domain::{App, SessionKey, Uid};
use crate::services::caller::Caller;
use crate::services::feed::{publish_story, PublishInput, StorySource};
use crate::services::notify::{send_notification, NotificationInput, NotificationType};

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

/// The friend who followed an invitation tells the inviter, and publishes a story.
async fn accepted(state: &AppState, app: &App, form: &[(String, String)], query: &str) -> String {
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let inviter = serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .unwrap_or_default()
        .into_iter()
        .find(|(k, _)| k == "from")
        .and_then(|(_, v)| Uid::parse(&v));
    let session = field("fb_sig_session_key").and_then(SessionKey::parse);
    let (Some(inviter), Some(session)) = (inviter, session) else {
        return r#"<fb:error message="This invitation link is incomplete."/>"#.to_string();
    };
    let caller = Caller::for_bridge(app, session.clone());
    let note = NotificationInput {
        to_ids: vec![inviter],
        notification: "accepted your invitation and joined Sliced Bread!".into(),
        kind: NotificationType::UserToUser,
    };
    let told = send_notification(&state.store, &state.people, &caller, Ok(note)).await;
    let caller = Caller::for_bridge(app, session);
    let story = PublishInput {
        source: StorySource::Templatized {
            title_template: "{actor} joined Sliced Bread, invited by {target}.".into(),
            title_data: Default::default(),
            body_template: String::new(),
            body_data: Default::default(),
        },
        targets: vec![inviter],
        body_general: "Build sandwiches with your friends.".into(),
        images: Vec::new(),
    };
    let published = publish_story(&state.store, &state.people, &caller, Ok(story)).await;
    match (told, published) {
        (Ok(_), Ok(())) => format!(
            r#"<fb:title>Welcome</fb:title><fb:success message="Welcome to Sliced Bread!"/><p><fb:name uid="{inviter}" useyou="false"/> has been told, and your friends can see that you joined.</p><p><a href="play.php">Start building</a></p>"#
        ),
        (told, published) => {
            tracing::warn!(notification = ?told.err(), story = ?published.err(), "demo app: could not tell the inviter");
            r#"<fb:title>Welcome</fb:title><fb:success message="Welcome to Sliced Bread!"/><p><a href="play.php">Start building</a></p>"#.to_string()
        }
    }
}

async fn page(
    req: HttpRequest,
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
            r#"<fb:title>Invite friends</fb:title><fb:request-form type="sandwich" invite="true" action="thanks.php" method="POST" content="Come build a sandwich with me! &lt;fb:req-choice url=&quot;http://apps.facebook.com/slicedbread/accept.php?from={}&quot; label=&quot;Play now&quot;/&gt;"><fb:multi-friend-selector actiontext="Invite your friends to Sliced Bread" max="20" bypass="Maybe later"/></fb:request-form>"#,
            form.iter()
                .find(|(k, _)| k == "fb_sig_user")
                .map(|(_, v)| v.as_str())
                .unwrap_or("")
        ),
        "accept.php" => accepted(&state, app, &form, req.query_string()).await,
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
