//! Real-browser tests: headless Chromium driven through chromedriver (Debian's `chromium`
//! and `chromium-driver`, installed by `./scripts/test`). Each test saves screenshots under
//! `target/screenshots/`.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use crate::helpers::*;

mod activity_mixi;
mod canvas;
mod canvas_mixi;
mod demo;
mod mixi;

/// The app's own server: where the user lands after the confirmation page, and where the
/// mixi test double of the container's JavaScript is served from.
async fn spawn_app_server() -> u16 {
    async fn landing(req: HttpRequest) -> HttpResponse {
        HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(format!(
                "<!doctype html><title>App</title><h1 id=\"landed\">Back in the app: {}</h1>",
                req.query_string()
            ))
    }
    async fn double() -> HttpResponse {
        HttpResponse::Ok()
            .content_type("text/javascript")
            .body(MIXI_DOUBLE)
    }
    async fn picture() -> HttpResponse {
        HttpResponse::Ok()
            .content_type("image/svg+xml")
            .body(PICTURE)
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = HttpServer::new(|| {
        App::new()
            .route("/opensocial-double.js", web::get().to(double))
            .route("/picture.svg", web::get().to(picture))
            .default_service(web::get().to(landing))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    port
}

const PICTURE: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="140" viewBox="0 0 200 140"><rect width="200" height="140" rx="14" fill="#fde9b8"/><ellipse cx="100" cy="48" rx="80" ry="26" fill="#d9a05b"/><rect x="22" y="62" width="156" height="12" fill="#6bbf59"/><rect x="22" y="74" width="156" height="12" fill="#e4572e"/><rect x="22" y="86" width="156" height="10" fill="#ffd23f"/><rect x="20" y="96" width="160" height="22" rx="8" fill="#d9a05b"/></svg>"##;

/// Records every `requestShareApp` call and answers only when the test says so; records
/// every `requestCreateActivity` call and answers it at once (mixi's dialog accepted).
const MIXI_DOUBLE: &str = r#"
(function () {
  window.__shareCalls = [];
  window.__activityCalls = [];
  var pending = null;
  window.opensocial = {
    IdSpec: { Field: { USER_ID: 'USER_ID' } },
    Activity: { Field: { TITLE: 'TITLE', URL: 'URL', MEDIA_ITEMS: 'MEDIA_ITEMS' } },
    CreateActivityPriority: { HIGH: 'HIGH', LOW: 'LOW' },
    newIdSpec: function (p) { return { idSpec: p }; },
    newMediaItem: function (mime, url) { return { mediaItem: { mime: mime, url: url } }; },
    newActivity: function (params) { return { activity: params }; },
    requestShareApp: function (recipients, reason, callback, params) {
      window.__shareCalls.push({ recipients: recipients, reason: reason, params: params });
      pending = callback;
    },
    requestCreateActivity: function (activity, priority, callback) {
      window.__activityCalls.push({ activity: activity.activity, priority: priority });
      setTimeout(function () { callback({ hadError: function () { return false; } }); }, 10);
    }
  };
  window.mixi = {
    ActivityField: { RECIPIENTS: 'RECIPIENTS' },
    Request: {
      Field: { BODY: 'BODY', IMAGE: 'IMAGE', URL: 'URL', MOBILE_URL: 'MOBILE_URL', FILTER_TYPE: 'FILTER_TYPE',
               DESCRIPTION: 'DESCRIPTION', TARGET_USERS: 'TARGET_USERS' },
      FilterType: { JOINED_ONLY: 'joined_only', NOT_JOINED_ONLY: 'not_joined_only', BOTH: 'both' }
    }
  };
  window.__respond = function (data) {
    pending({ hadError: function () { return false; }, getData: function () { return data; } });
  };
  window.__respondError = function (code) {
    pending({ hadError: function () { return true; }, getErrorCode: function () { return code; },
              getErrorMessage: function () { return 'Insufficient scope'; } });
  };
})();
"#;

struct Browser {
    driver: Child,
    client: Option<Client>,
    _profile: tempfile::TempDir,
}

impl Browser {
    async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver_bin = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let driver = Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {driver_bin}: {e} (./scripts/test installs chromium-driver)")
            });
        let profile = tempfile::tempdir().unwrap();
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=412,915",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = loop {
            let mut builder =
                ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
            builder.capabilities(caps.clone());
            match builder.connect(&url).await {
                Ok(c) => break c,
                Err(e) if Instant::now() > deadline => {
                    panic!("chromedriver/chromium did not start: {e}")
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        };
        Self {
            driver,
            client: Some(client),
            _profile: profile,
        }
    }

    fn c(&self) -> &Client {
        self.client.as_ref().unwrap()
    }

    async fn screenshot(&self, name: &str) {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let png = self.c().screenshot().await.unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    async fn click(&self, css: &str) {
        self.c()
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .unwrap();
    }

    async fn text_of(&self, css: &str) -> String {
        self.c()
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .text()
            .await
            .unwrap()
    }

    /// Ticks the friend selector's boxes of `uids`.
    async fn choose_friends(&self, uids: &[&str]) {
        for uid in uids {
            self.click(&format!("input[value=\"{uid}\"]")).await;
        }
    }

    async fn wait_for_url(&self, prefix: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let url = self.c().current_url().await.unwrap().to_string();
            if url.starts_with(prefix) || Instant::now() > deadline {
                return url;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn stop(mut self) {
        if let Some(c) = self.client.take() {
            let _ = c.close().await;
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

async fn setup() -> (TestApp, u16) {
    let app_port = spawn_app_server().await;
    let app = spawn_app_with(Backend::Redis, move |t| {
        t.replace("http://apps.example.com/", &format!("http://127.0.0.1:{app_port}/"))
            .replace(
                "platform = \"mixi\"",
                &format!("platform = \"mixi\"\napp_id = \"4242\"\ncontainer_scripts = [\"http://127.0.0.1:{app_port}/opensocial-double.js\"]"),
            )
    })
    .await;
    (app, app_port)
}

fn local(app: &TestApp, url: &str) -> String {
    url.replacen("http://gateway.example", &app.address, 1)
}

#[tokio::test]
async fn send_in_a_real_browser() {
    let (app, app_port) = setup().await;
    app.seed_graph(APP_KEY).await;
    let session = app.session(1001).await;
    let content = format!(
        "Help me build the tallest sandwich! <b>Bring cheese.</b> <script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\"> <fb:req-choice url=\"http://127.0.0.1:{app_port}/slicedbread/play\" label=\"Play now\"/>"
    );
    let ans = app
        .send_request(
            &session,
            "1002,1004",
            &[
                ("content", &content),
                ("type", "sandwich"),
                ("invite", "true"),
                ("image", &format!("http://127.0.0.1:{app_port}/picture.svg")),
            ],
        )
        .await;
    let url = local(&app, ans.json().as_str().unwrap());
    let browser = Browser::start().await;
    browser
        .c()
        .goto(&format!("{url}&next=%2Fgame%2Fplay%3Fx%3D1"))
        .await
        .unwrap();
    let title = browser.c().title().await.unwrap();
    assert!(title.starts_with("Send 2 sandwich invitations"), "{title}");
    let heading = browser
        .c()
        .find(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(heading, "Sliced Bread: send 2 sandwich invitations?");
    let choice = browser.c().find(Locator::Css("a.choice")).await.unwrap();
    assert_eq!(choice.text().await.unwrap(), "Play now");
    // The payloads did not run.
    let pwned: Value = browser
        .c()
        .execute("return document.title", vec![])
        .await
        .unwrap();
    assert_ne!(pwned, "pwned");
    let width: Value = browser
        .c()
        .execute(
            "return document.querySelector('img.picture').getBoundingClientRect().width",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(width.as_f64(), Some(100.0));
    browser.screenshot("confirm-sandbox").await;

    browser
        .c()
        .find(Locator::Id("fbb-send"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let landed = browser
        .wait_for_url(&format!("http://127.0.0.1:{app_port}/"))
        .await;
    assert_eq!(
        landed,
        format!("http://127.0.0.1:{app_port}/slicedbread/game/play?x=1&sent=1")
    );
    let text = browser
        .c()
        .find(Locator::Id("landed"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(text, "Back in the app: x=1&sent=1");
    browser.screenshot("back-in-app").await;
    assert_eq!(
        app.wait_inbox(APP_KEY, 1004, 1).await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Back to the used page: a friendly refusal, not a second delivery.
    browser.c().goto(&url).await.unwrap();
    let heading = browser
        .c()
        .find(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(heading, "Already sent");
    browser.screenshot("already-sent").await;
    browser.stop().await;
}

#[tokio::test]
async fn cancel_in_a_real_browser() {
    let (app, app_port) = setup().await;
    app.seed_graph(APP_KEY).await;
    let session = app.session(1001).await;
    let ans = app.send_request(&session, "1004", &[]).await;
    let url = local(&app, ans.json().as_str().unwrap());
    let browser = Browser::start().await;
    browser.c().goto(&format!("{url}&canvas")).await.unwrap();
    browser
        .c()
        .find(Locator::Id("fbb-cancel"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let landed = browser
        .wait_for_url(&format!("http://127.0.0.1:{app_port}/"))
        .await;
    assert_eq!(
        landed,
        format!("http://127.0.0.1:{app_port}/slicedbread/canvas/?sent=0")
    );
    browser.stop().await;
}
