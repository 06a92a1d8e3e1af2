//! The embedded demo: what `cargo run --release` shows a newcomer.
//!
//! Invariant: the demo is an ordinary configuration (memory store, sandbox platform) plus a
//! seeded social graph and session; nothing in the gateway knows it is a demo.

use crate::config::{load_str, Config, ConfigError};
use crate::domain::secrets::sign;
use md5::Digest as _;

use crate::domain::{Profile, SessionTtl, Uid};
use crate::services::sessions::{create_session, CreatedSession};
use crate::store::{Store, StoreError};

pub const DEMO_API_KEY: &str = "demo-app";
pub const DEMO_SECRET: &str = "demo-secret";
pub const DEMO_ADMIN_TOKEN: &str = "demo-admin-token";
pub const SENDER: u64 = 1001;

const DEMO_TOML: &str = r#"
[server]
listen = "127.0.0.1:8080"
public_url = "http://127.0.0.1:8080"
admin_token = "demo-admin-token"

demo_app = true

[store]
backend = "memory"

[outbox]
workers = 1

[[app]]
api_key = "demo-app"
secret = "demo-secret"
name = "Sliced Bread (demo)"
app_id = "12000129"
callback_url = "http://127.0.0.1:8080/demo-app/"
platform = "sandbox"

[app.canvas]
canvas_name = "slicedbread"
"#;

/// The demo configuration; `FBBRIDGE__*` variables still apply (e.g. another listen port,
/// which `public_url` then follows unless it is set too).
pub fn config(env: Vec<(String, String)>) -> Result<Config, ConfigError> {
    let public_set = env.iter().any(|(k, _)| k == "FBBRIDGE__SERVER__PUBLIC_URL");
    let mut config = load_str(DEMO_TOML, env)?;
    if !public_set {
        config.server.public_url = format!("http://{}", config.server.listen);
    }
    // The demo's FBML app is served by the gateway itself, wherever it listens.
    let app_url = format!("http://{}/demo-app/", config.server.listen);
    config.apps[0].callback_url = app_url.clone();
    config.apps[0].canvas_url = app_url;
    Ok(config)
}

fn uid(n: u64) -> Uid {
    Uid::new(n).expect("demo uids are positive")
}

/// The demo's people: uid, first and last name.
pub const PEOPLE: [(u64, &str, &str); 4] = [
    (SENDER, "Ann", "Lee"),
    (1002, "Alice", "Smith"),
    (1003, "Bob", "Jones"),
    (1004, "Carol", "King"),
];

fn demo_profile(n: u64, first: &str, last: &str) -> Profile {
    // A generated face per user (the browser loads it; the gateway never does).
    let hash = hex::encode(md5::Md5::digest(format!("demo-{n}@fbbridge.example")));
    let pic = format!("https://www.gravatar.com/avatar/{hash}?d=identicon&s=50");
    Profile {
        name: Some(format!("{first} {last}")),
        first_name: Some(first.to_string()),
        last_name: Some(last.to_string()),
        pic_square: Some(pic.clone()),
        pic_small: Some(pic),
        locale: Some("en_US".into()),
        ..Profile::default()
    }
}

/// Seeds the demo graph: 1001 uses the app and is friends with 1002 and 1003 (who use it)
/// and 1004 (who does not), each with a name and a picture. Returns a session of 1001.
pub async fn seed<S: Store>(store: &S, config: &Config) -> Result<CreatedSession, StoreError> {
    let app = &config.apps[0];
    for u in [SENDER, 1002, 1003] {
        store.set_installed(&app.api_key, uid(u), true).await?;
    }
    store
        .set_friends(
            &app.api_key,
            uid(SENDER),
            &[uid(1002), uid(1003), uid(1004)],
        )
        .await?;
    for (n, first, last) in PEOPLE {
        store
            .set_profile(&app.api_key, uid(n), &demo_profile(n, first, last))
            .await?;
    }
    create_session(
        store,
        app,
        uid(SENDER),
        SessionTtl::parse(SessionTtl::MAX_SECS).ok(),
    )
    .await
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A signed `curl` of `notifications.sendRequest` that works when pasted (once: its
/// call_id is spent by the first use).
pub fn curl_example(
    config: &Config,
    session: &CreatedSession,
    to_ids: &str,
    call_id: &str,
) -> String {
    let content = r#"Come build a sandwich with me! <fb:req-choice url="http://apps.example.com/slicedbread/play?ref=req" label="Play now"/>"#;
    signed_curl(
        config,
        session,
        call_id,
        &[
            ("method", "notifications.sendRequest"),
            ("to_ids", to_ids),
            ("type", "sandwich"),
            ("content", content),
            ("invite", "true"),
        ],
    )
}

/// The invite page's FQL query (friends who use the app, with names), as a signed `curl`.
pub fn fql_example(config: &Config, session: &CreatedSession, call_id: &str) -> String {
    signed_curl(
        config,
        session,
        call_id,
        &[
            ("method", "fql.query"),
            ("query", "SELECT uid, name, pic_square FROM user WHERE has_added_app = 1 AND uid IN (SELECT uid2 FROM friend WHERE uid1 = 1001)"),
        ],
    )
}

/// A signed `curl` of one legacy call of the demo app as `session`, in JSON.
fn signed_curl(
    config: &Config,
    session: &CreatedSession,
    call_id: &str,
    params: &[(&str, &str)],
) -> String {
    let app = &config.apps[0];
    let mut pairs: Vec<(&str, String)> = vec![
        ("api_key", app.api_key.to_string()),
        ("session_key", session.session_key.to_string()),
        ("call_id", call_id.into()),
        ("v", "1.0".into()),
        ("format", "JSON".into()),
    ];
    pairs.extend(params.iter().map(|(k, v)| (*k, v.to_string())));
    let sig = sign(
        pairs.iter().map(|(k, v)| (*k, v.as_bytes())),
        app.secret.expose().as_bytes(),
    );
    pairs.push(("sig", sig));
    let mut cmd = format!("curl -s {}/restserver.php", config.public_base());
    for (k, v) in pairs {
        cmd.push_str(" \\\n  --data-urlencode ");
        cmd.push_str(&shell_quote(&format!("{k}={v}")));
    }
    cmd
}

pub fn banner(config: &Config, session: &CreatedSession) -> String {
    let base = config.public_base();
    let call_id = chrono::Utc::now().timestamp_millis().to_string();
    format!(
        "fbbridge demo (memory store, sandbox platform; nothing is kept)\n\
         \n  listening on    {base}\n  api_key         {DEMO_API_KEY}\n  secret          {DEMO_SECRET}\n  admin token     {DEMO_ADMIN_TOKEN}\n  session_key     {}  (user {SENDER})\n  session_secret  {}\n\
         \nUser {SENDER} (Ann Lee) is friends with 1002 Alice and 1003 Bob (they use the app) and 1004 Carol (who does not).\n\
         Ask which friends use the app, as an FQL-era invite page does:\n\n{}\n\
         \nInvite 1002 and 1004; the answer is a confirmation URL:\n\n{}\n\
         \nOpen this in a browser to invite friends from the app's canvas page (fb:request-form):\n  {base}/sandbox/{DEMO_API_KEY}/launch/{SENDER}?path=invite.php\n\
         \nA request to 1002 and 1003 alone is delivered at once (empty answer); see it at\n  {base}/sandbox/{DEMO_API_KEY}/inbox/1002\n\
         \nWhen an invited friend follows the invitation's button in their inbox (Carol: {base}/sandbox/{DEMO_API_KEY}/inbox/1004),\n\
         the app tells the inviter (a notification, in {base}/sandbox/{DEMO_API_KEY}/inbox/{SENDER})\n\
         and publishes a story (in {base}/sandbox/{DEMO_API_KEY}/feed/1004).\n\
         Each call_id works once; sign new calls with `fbbridge sign --secret {DEMO_SECRET} k=v ...`.\n",
        session.session_key,
        session.session_secret,
        fql_example(config, session, &format!("{call_id}.1")),
        curl_example(config, session, "1002,1004", &format!("{call_id}.2")),
    )
}
