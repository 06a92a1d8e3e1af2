//! A legacy FBML app over loopback: it checks `fb_sig` the way the official PHP client's
//! `get_valid_fb_params` does (fb_sig_* params, prefix stripped, sorted, md5 with the
//! secret, `fb_sig_time` within 48 hours) and answers FBML pages.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use md5::{Digest, Md5};

pub const SECRET: &str = "canvassecret";

/// One call the app received: its path and form, and whether `fb_sig` checked out.
#[derive(Clone, Debug)]
pub struct AppCall {
    pub path: String,
    pub query: String,
    pub form: Vec<(String, String)>,
    pub fb_sig_valid: bool,
}

impl AppCall {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.form
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

#[derive(Clone)]
pub struct FbmlApp {
    pub port: u16,
    pub calls: Arc<Mutex<Vec<AppCall>>>,
}

/// As the PHP client: `md5(concat of sorted k=v, prefix stripped) . secret`.
pub fn valid_fb_params(form: &[(String, String)], secret: &str) -> bool {
    let Some(sig) = form
        .iter()
        .find(|(k, _)| k == "fb_sig")
        .map(|(_, v)| v.clone())
    else {
        return false;
    };
    let mut params: Vec<(String, String)> = form
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("fb_sig_")
                .map(|s| (s.to_string(), v.clone()))
        })
        .collect();
    params.sort();
    let mut text = String::new();
    for (k, v) in &params {
        text.push_str(&format!("{k}={v}"));
    }
    text.push_str(secret);
    let fresh = params
        .iter()
        .find(|(k, _)| k == "time")
        .and_then(|(_, t)| t.parse::<f64>().ok())
        .is_some_and(|t| (chrono::Utc::now().timestamp() as f64 - t).abs() < 48.0 * 3600.0);
    fresh && hex::encode(Md5::digest(text.as_bytes())) == sig
}

async fn serve(app: web::Data<FbmlApp>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let valid = valid_fb_params(&form, SECRET);
    let path = req.path().trim_start_matches("/app/").to_string();
    let call = AppCall {
        path: path.clone(),
        query: req.query_string().to_string(),
        form: form.clone(),
        fb_sig_valid: valid,
    };
    app.calls.lock().unwrap().push(call.clone());
    if !valid {
        return HttpResponse::Forbidden().body("bad fb_sig");
    }
    let fbml = match path.as_str() {
        "" | "index.php" => r#"<fb:title>Sliced Bread</fb:title><p>Hello <fb:name uid="loggedinuser" useyou="false"/>!</p><fb:if-is-app-user uid="1004">Carol plays<fb:else>Carol does not play yet</fb:else></fb:if-is-app-user> <a href="invite.php">Invite friends</a> <a href="http://apps.facebook.com/slicedbread/play.php?x=1">Play</a>"#.to_string(),
        "invite.php" => r#"<fb:request-form type="sandwich" invite="true" action="thanks.php" content="Come build a &lt;b&gt;sandwich&lt;/b&gt; with me! &lt;fb:req-choice url=&quot;http://apps.example.com/canvasapp/play.php&quot; label=&quot;Play&quot;/&gt;"><fb:multi-friend-selector actiontext="Invite your friends to Sliced Bread" max="20" bypass="Maybe later"/></fb:request-form>"#.to_string(),
        "thanks.php" => format!("<fb:success message=\"You invited {} friends\"/><p>ids: {}</p>", call.all("ids[]").len(), call.all("ids[]").join(",")),
        "hostile.php" => r#"<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"><a id="j" href="javascript:window.__pwned=3">x</a><fb:name uid="1002"/><svg onload="window.__pwned=4"></svg><div style="background:url(javascript:window.__pwned=5)">s</div><fb:profile-pic uid="1002" linked="true" onclick="window.__pwned=6"/><iframe src="javascript:parent.__pwned=7"></iframe><form action="javascript:window.__pwned=8"><button id="f">go</button></form>"#.to_string(),
        "inside.php" => r#"<fb:redirect url="thanks.php"/>"#.to_string(),
        "away.php" => return HttpResponse::Found().insert_header(("location", "http://evil.example/phish")).finish(),
        "broken.php" => return HttpResponse::InternalServerError().body("PHP Fatal error"),
        "slow.php" => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            "late".to_string()
        }
        _ => return HttpResponse::NotFound().finish(),
    };
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(fbml)
}

impl FbmlApp {
    pub async fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let app = FbmlApp {
            port,
            calls: Arc::new(Mutex::new(Vec::new())),
        };
        let data = web::Data::new(app.clone());
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
        app
    }

    pub fn callback_url(&self) -> String {
        format!("http://127.0.0.1:{}/app/", self.port)
    }

    pub fn last(&self) -> AppCall {
        self.calls
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("the app was called")
    }

    /// The `[[app]]` of a sandbox canvas app served by this server.
    pub fn config(&self, daily_limit: u32) -> String {
        format!(
            r#"
[[app]]
api_key = "canvasapp"
secret = "{SECRET}"
name = "Sliced Bread"
app_id = "12000129"
callback_url = "{}"
daily_request_limit = {daily_limit}
[app.canvas]
canvas_name = "slicedbread"
timeout_ms = 1000
"#,
            self.callback_url()
        )
    }
}

/// A container's entry URL: `params` (oauth_* included but the signature) signed with
/// HMAC-SHA1 by this test's own RFC 5849 signer, written apart from the gateway's.
pub fn sign_entry(base_uri: &str, params: &[(&str, &str)], secret: &str) -> String {
    use base64::Engine;
    use hmac::{Hmac, Mac};
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    let mut all: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    all.push(("oauth_signature_method".into(), "HMAC-SHA1".into()));
    all.push(("oauth_version".into(), "1.0".into()));
    let mut normal: Vec<String> = all
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect();
    normal.sort();
    let base = format!("GET&{}&{}", enc(base_uri), enc(&normal.join("&")));
    let mut mac =
        Hmac::<sha1::Sha1>::new_from_slice(format!("{}&", enc(secret)).as_bytes()).unwrap();
    mac.update(base.as_bytes());
    let sig = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    all.push(("oauth_signature".into(), sig));
    let query: Vec<String> = all
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect();
    format!("{base_uri}?{}", query.join("&"))
}

/// The entry URL mixi's container makes for `viewer` of `api_key` (app id 4242, consumer
/// `mixi.jp`/`mixi-cs`), signed for the gateway's public URL (`http://gateway.example`) and
/// reached at `base`.
pub fn mixi_entry(base: &str, api_key: &str, viewer: &str, path: &str) -> String {
    let now = chrono::Utc::now().timestamp().to_string();
    let nonce = format!("n-{}", rand::random::<u64>());
    sign_entry(
        &format!("http://gateway.example/canvas/{api_key}/{path}"),
        &[
            ("opensocial_viewer_id", viewer),
            ("opensocial_owner_id", viewer),
            ("opensocial_app_id", "4242"),
            ("oauth_consumer_key", "mixi.jp"),
            ("oauth_nonce", &nonce),
            ("oauth_timestamp", &now),
        ],
        "mixi-cs",
    )
    .replacen("http://gateway.example", base, 1)
}
