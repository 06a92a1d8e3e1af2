//! The embedded demo: what `cargo run --release` shows a newcomer.
//!
//! Invariant: the demo is an ordinary configuration (memory store, sandbox platform) plus a
//! seeded social graph and session; nothing in the gateway knows it is a demo.

use crate::config::{load_str, Config, ConfigError};
use crate::domain::secrets::sign;
use crate::domain::{SessionTtl, Uid};
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

[store]
backend = "memory"

[outbox]
workers = 1

[[app]]
api_key = "demo-app"
secret = "demo-secret"
name = "Sliced Bread (demo)"
app_id = "12000129"
callback_url = "http://apps.example.com/slicedbread/"
canvas_url = "http://apps.example.com/slicedbread/canvas/"
platform = "sandbox"
"#;

/// The demo configuration; `FBBRIDGE__*` variables still apply (e.g. another listen port,
/// which `public_url` then follows unless it is set too).
pub fn config(env: Vec<(String, String)>) -> Result<Config, ConfigError> {
    let public_set = env.iter().any(|(k, _)| k == "FBBRIDGE__SERVER__PUBLIC_URL");
    let mut config = load_str(DEMO_TOML, env)?;
    if !public_set {
        config.server.public_url = format!("http://{}", config.server.listen);
    }
    Ok(config)
}

fn uid(n: u64) -> Uid {
    Uid::new(n).expect("demo uids are positive")
}

/// Seeds the demo graph: 1001 uses the app and is friends with 1002 and 1003 (who use it)
/// and 1004 (who does not). Returns a session of 1001.
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
    let app = &config.apps[0];
    let content = r#"Come build a sandwich with me! <fb:req-choice url="http://apps.example.com/slicedbread/play?ref=req" label="Play now"/>"#;
    let mut pairs: Vec<(&str, String)> = vec![
        ("method", "notifications.sendRequest".into()),
        ("api_key", app.api_key.to_string()),
        ("session_key", session.session_key.to_string()),
        ("call_id", call_id.into()),
        ("v", "1.0".into()),
        ("format", "JSON".into()),
        ("to_ids", to_ids.into()),
        ("type", "sandwich".into()),
        ("content", content.into()),
        ("invite", "true".into()),
    ];
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
         \nUser {SENDER} is friends with 1002 and 1003 (they use the app) and 1004 (who does not).\n\
         Invite 1002 and 1004; the answer is a confirmation URL:\n\n{}\n\
         \nA request to 1002 and 1003 alone is delivered at once (empty answer); see it at\n  {base}/sandbox/{DEMO_API_KEY}/inbox/1002\n\
         Each call_id works once; sign new calls with `fbbridge sign --secret {DEMO_SECRET} k=v ...`.\n",
        session.session_key,
        session.session_secret,
        curl_example(config, session, "1002,1004", &call_id),
    )
}
