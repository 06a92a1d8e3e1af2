//! Test harness: a private `redis-server` per test (unix socket in a temp dir, killed on
//! drop), and the gateway on a loopback port.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use fbbridge::app::Application;
use fbbridge::config::{load_str, Config};
use fbbridge::domain::secrets::sign;
use fbbridge::store::AnyStore;
use serde_json::Value;

pub struct RedisServer {
    child: Option<Child>,
    dir: tempfile::TempDir,
    extra: Vec<String>,
}

impl RedisServer {
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// Starts `redis-server` with extra arguments (e.g. `--appendonly yes`).
    pub fn start_with(extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut server = Self {
            child: None,
            dir,
            extra: extra.iter().map(|s| s.to_string()).collect(),
        };
        server.launch();
        server
    }

    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("redis.sock")
    }

    pub fn url(&self) -> String {
        format!("redis+unix://{}", self.socket().display())
    }

    fn launch(&mut self) {
        let bin = std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
        let socket = self.socket();
        let _ = std::fs::remove_file(&socket);
        let mut args: Vec<String> = vec![
            "--port".into(),
            "0".into(),
            "--unixsocket".into(),
            socket.display().to_string(),
            "--unixsocketperm".into(),
            "700".into(),
            "--save".into(),
            "".into(),
            "--appendonly".into(),
            "no".into(),
            "--dir".into(),
            self.dir.path().display().to_string(),
            "--loglevel".into(),
            "warning".into(),
        ];
        args.extend(self.extra.iter().cloned());
        let child = Command::new(&bin)
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {bin}: {e} (run ./scripts/test, which installs it)")
            });
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(mut s) = std::os::unix::net::UnixStream::connect(&socket) {
                use std::io::{Read, Write};
                let _ = s.set_read_timeout(Some(Duration::from_millis(200)));
                if s.write_all(b"PING\r\n").is_ok() {
                    let mut buf = [0u8; 16];
                    if let Ok(n) = s.read(&mut buf) {
                        if buf[..n].starts_with(b"+PONG") {
                            return;
                        }
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("redis-server did not come up on {}", socket.display());
    }

    /// Kills the server (SIGKILL: nothing is flushed that was not already on disk).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same socket and data directory.
    pub fn restart(&mut self) {
        self.stop();
        self.launch();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A 3-master Redis Cluster on loopback ports, started with `redis-server
/// --cluster-enabled yes` and joined by `redis-cli --cluster create`; killed on drop.
pub struct RedisCluster {
    nodes: Vec<Child>,
    pub ports: Vec<u16>,
    _dir: tempfile::TempDir,
}

fn port_pair_free(port: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
        && std::net::TcpListener::bind(("127.0.0.1", port + 10_000)).is_ok()
}

impl RedisCluster {
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let bin = std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
        // Ports are handed out once per process, so parallel tests never pick the same.
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let base = 20_000 + (std::process::id() as u64 * 131) % 9_000;
        let mut ports = Vec::new();
        while ports.len() < 3 {
            let candidate =
                (20_000 + (base + NEXT.fetch_add(1, Ordering::SeqCst) - 20_000) % 9_990) as u16;
            if port_pair_free(candidate) {
                ports.push(candidate);
            }
        }
        let mut nodes = Vec::new();
        for port in &ports {
            let node_dir = dir.path().join(port.to_string());
            std::fs::create_dir_all(&node_dir).unwrap();
            let child = Command::new(&bin)
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args([
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    "nodes.conf",
                ])
                .args([
                    "--cluster-node-timeout",
                    "2000",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ])
                .arg("--dir")
                .arg(&node_dir)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {bin}: {e}"));
            nodes.push(child);
        }
        let cluster = Self {
            nodes,
            ports,
            _dir: dir,
        };
        for port in &cluster.ports {
            cluster.wait_for(*port, "PING", "PONG");
        }
        let addrs: Vec<String> = cluster
            .ports
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect();
        let out = Command::new("redis-cli")
            .arg("--cluster")
            .arg("create")
            .args(&addrs)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .output()
            .expect("redis-cli runs (package redis-tools)");
        assert!(
            out.status.success(),
            "cluster create failed: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        for port in &cluster.ports {
            cluster.wait_for(*port, "CLUSTER INFO", "cluster_state:ok");
        }
        cluster
    }

    fn wait_for(&self, port: u16, command: &str, expect: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let out = Command::new("redis-cli")
                .args(["-p", &port.to_string()])
                .args(command.split(' '))
                .output();
            if let Ok(out) = out {
                if String::from_utf8_lossy(&out.stdout).contains(expect) {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "node {port} never answered {expect}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn urls(&self) -> Vec<String> {
        self.ports
            .iter()
            .map(|p| format!("redis://127.0.0.1:{p}"))
            .collect()
    }

    /// A `[store]` section for this cluster.
    pub fn store_section(&self) -> String {
        let urls: Vec<String> = self.urls().iter().map(|u| format!("\"{u}\"")).collect();
        format!(
            "[store]\nbackend = \"redis\"\ncluster_urls = [{}]\npartitions = 16\ntimeout_ms = 1000\n",
            urls.join(", ")
        )
    }
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            let _ = node.kill();
            let _ = node.wait();
        }
    }
}

pub const APP_KEY: &str = "app1";
pub const APP_SECRET: &str = "secret1";
pub const ADMIN_TOKEN: &str = "test-admin-token";

/// The test configuration: `STORE` is replaced by the store section.
const BASE_TOML: &str = r#"
[server]
listen = "127.0.0.1:0"
public_url = "http://gateway.example"
admin_token = "test-admin-token"
max_body_bytes = 8192
body_timeout_ms = 2000
workers = 2

STORE

[confirm]
expiry_secs = 3600

[outbox]
workers = 1

[[app]]
api_key = "app1"
secret = "secret1"
name = "Sliced Bread"
app_id = "12000129"
callback_url = "http://apps.example.com/slicedbread/"
canvas_url = "http://apps.example.com/slicedbread/canvas/"
daily_request_limit = 10

[[app]]
api_key = "desk"
secret = "desksecret"
callback_url = "http://apps.example.com/desk/"
desktop = true

[[app]]
api_key = "nocallid"
secret = "nocallidsecret"
callback_url = "http://apps.example.com/nocallid/"
require_call_id = false

[[app]]
api_key = "office"
secret = "officesecret"
callback_url = "http://apps.example.com/office/"
allowed_ips = ["10.0.0.0/8", "192.0.2.7"]

[[app]]
api_key = "mixiapp"
secret = "mixisecret"
callback_url = "http://apps.example.com/mixi/"
platform = "mixi"

[[app]]
api_key = "myapikey"
secret = "appsecret123"
callback_url = "http://apps.example.com/vectors/"
require_call_id = false
"#;

pub enum Backend {
    Memory,
    Redis,
    Cluster,
}

pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub store: AnyStore,
    pub redis: Option<RedisServer>,
    pub cluster: Option<RedisCluster>,
    pub client: reqwest::Client,
    call_ids: AtomicU64,
}

pub fn test_config(store_section: &str, edit: impl FnOnce(String) -> String) -> Config {
    let toml = edit(BASE_TOML.replace("STORE", store_section));
    load_str(&toml, Vec::new()).expect("test config is valid")
}

pub fn redis_section(url: &str) -> String {
    format!("[store]\nbackend = \"redis\"\nurl = \"{url}\"\npartitions = 16\ntimeout_ms = 300\n")
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Backend::Redis, |t| t).await
}

pub async fn spawn_app_with(backend: Backend, edit: impl FnOnce(String) -> String) -> TestApp {
    let (redis, cluster, section) = match backend {
        Backend::Memory => (None, None, "[store]\nbackend = \"memory\"\n".to_string()),
        Backend::Redis => {
            let r = RedisServer::start();
            let s = redis_section(&r.url());
            (Some(r), None, s)
        }
        Backend::Cluster => {
            let c = RedisCluster::start();
            let s = c.store_section();
            (None, Some(c), s)
        }
    };
    let config = test_config(&section, edit);
    let mut app = spawn_with_config(config, redis).await;
    app.cluster = cluster;
    app
}

pub async fn spawn_with_config(config: Config, redis: Option<RedisServer>) -> TestApp {
    let (app, stopper) = spawn_stoppable(config, redis).await;
    // Tests that do not stop their gateway let it run until the test's runtime ends.
    std::mem::forget(stopper.tx);
    app
}

/// Stops a gateway the way SIGTERM does: graceful shutdown, workers hand back their batch.
pub struct Stopper {
    tx: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Stopper {
    pub async fn stop(self) {
        let _ = self.tx.send(());
        self.server.await.unwrap().unwrap();
    }
}

pub async fn spawn_stoppable(config: Config, redis: Option<RedisServer>) -> (TestApp, Stopper) {
    let app = Application::build(config).await.expect("app builds");
    let port = app.port();
    let store = app.store();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = rx.await;
    }));
    let test_app = TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        store,
        redis,
        cluster: None,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap(),
        call_ids: AtomicU64::new(1),
    };
    (test_app, Stopper { tx, server })
}

pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    pub fn error_code(&self) -> Option<i64> {
        serde_json::from_str::<Value>(&self.body)
            .ok()
            .and_then(|v| v.get("error_code").and_then(Value::as_i64))
    }
}

pub fn signed(params: &[(&str, &str)], secret: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let sig = sign(
        params.iter().map(|(k, v)| (*k, v.as_bytes())),
        secret.as_bytes(),
    );
    out.push(("sig".into(), sig));
    out
}

impl TestApp {
    /// A gateway running elsewhere (another process) on `port`; its store is not reachable
    /// from here, only its HTTP interface.
    pub fn remote(port: u16) -> Self {
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            port,
            store: AnyStore::Memory(fbbridge::store::MemoryStore::new()),
            redis: None,
            cluster: None,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap(),
            call_ids: AtomicU64::new(1),
        }
    }

    pub fn next_call_id(&self) -> String {
        self.call_ids.fetch_add(1, Ordering::SeqCst).to_string()
    }

    /// POSTs `params` urlencoded, as given (no signing).
    pub async fn post_form(&self, params: &[(String, String)]) -> Answer {
        let body = form(params);
        let res = self
            .client
            .post(format!("{}/restserver.php", self.address))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("gateway answers");
        answer(res).await
    }

    /// Signs with `secret` and POSTs.
    pub async fn call_signed(&self, params: &[(&str, &str)], secret: &str) -> Answer {
        self.post_form(&signed(params, secret)).await
    }

    /// `notifications.sendRequest` from `session` to `to_ids` in JSON, signed with app1's secret.
    pub async fn send_request(
        &self,
        session: &str,
        to_ids: &str,
        extra: &[(&str, &str)],
    ) -> Answer {
        self.send_request_as(APP_KEY, APP_SECRET, session, to_ids, extra)
            .await
    }

    /// `notifications.sendRequest` of any app, with the next call_id; `extra` adds parameters
    /// or replaces the defaults (`type=event`, a content with one `fb:req-choice`, JSON).
    pub async fn send_request_as(
        &self,
        api_key: &str,
        secret: &str,
        session: &str,
        to_ids: &str,
        extra: &[(&str, &str)],
    ) -> Answer {
        let call_id = self.next_call_id();
        let mut params: Vec<(&str, &str)> = vec![
            ("method", "facebook.notifications.sendRequest"),
            ("api_key", api_key),
            ("session_key", session),
            ("call_id", &call_id),
            ("v", "1.0"),
            ("format", "JSON"),
            ("to_ids", to_ids),
            ("type", "event"),
            ("content", "Join me! <fb:req-choice url=\"http://apps.example.com/slicedbread/x\" label=\"Go\"/>"),
        ];
        for (k, v) in extra {
            match params.iter_mut().find(|(name, _)| name == k) {
                Some(slot) => slot.1 = v,
                None => params.push((k, v)),
            }
        }
        self.call_signed(&params, secret).await
    }

    pub async fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.address))
            .bearer_auth(ADMIN_TOKEN);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("admin answers");
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// The admin view of the request behind a confirmation URL.
    pub async fn request_view(&self, api_key: &str, confirmation_url: &str) -> Value {
        let (from, id) = confirmation_parts(confirmation_url);
        let path = format!("/admin/v1/apps/{api_key}/requests/{from}/{id}");
        let (status, view) = self.admin(reqwest::Method::GET, &path, None).await;
        assert_eq!(status, 200, "{view}");
        view
    }

    /// A session of `uid` in `api_key`: (session_key, session_secret).
    pub async fn session_in(&self, api_key: &str, uid: u64) -> (String, String) {
        let (status, body) = self
            .admin(
                reqwest::Method::POST,
                "/admin/v1/sessions",
                Some(serde_json::json!({"api_key": api_key, "uid": uid.to_string()})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        (
            body["session_key"].as_str().unwrap().to_string(),
            body["session_secret"].as_str().unwrap().to_string(),
        )
    }

    pub async fn session(&self, uid: u64) -> String {
        self.session_in(APP_KEY, uid).await.0
    }

    pub async fn befriend(&self, api_key: &str, uid: u64, friends: &[u64]) {
        let friends: Vec<String> = friends.iter().map(|f| f.to_string()).collect();
        let (status, body) = self
            .admin(
                reqwest::Method::PUT,
                &format!("/admin/v1/apps/{api_key}/users/{uid}/friends"),
                Some(serde_json::json!({ "friends": friends })),
            )
            .await;
        assert_eq!(status, 204, "{body}");
    }

    pub async fn install(&self, api_key: &str, uid: u64) {
        let (status, body) = self
            .admin(
                reqwest::Method::PUT,
                &format!("/admin/v1/apps/{api_key}/users/{uid}/installed"),
                Some(serde_json::json!({ "installed": true })),
            )
            .await;
        assert_eq!(status, 204, "{body}");
    }

    /// 1001 uses the app and is friends with 1002, 1003 (app users) and 1004 (not).
    pub async fn seed_graph(&self, api_key: &str) {
        for uid in [1001, 1002, 1003] {
            self.install(api_key, uid).await;
        }
        self.befriend(api_key, 1001, &[1002, 1003, 1004]).await;
    }

    pub async fn inbox(&self, api_key: &str, uid: u64) -> Value {
        let res = self
            .client
            .get(format!("{}/sandbox/{api_key}/inbox/{uid}", self.address))
            .header("accept", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200);
        res.json().await.unwrap()
    }

    /// Polls the inbox until it holds `n` items (deliveries are asynchronous).
    pub async fn wait_inbox(&self, api_key: &str, uid: u64, n: usize) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let inbox = self.inbox(api_key, uid).await;
            if inbox["items"].as_array().unwrap().len() >= n || Instant::now() > deadline {
                return inbox;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

pub fn form(params: &[(String, String)]) -> String {
    serde_urlencoded::to_string(params).expect("string pairs encode")
}

pub async fn answer(res: reqwest::Response) -> Answer {
    let status = res.status().as_u16();
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = res.text().await.unwrap();
    Answer {
        status,
        content_type,
        body,
    }
}

/// Parses `from` and `id` out of a confirmation URL.
pub fn confirmation_parts(url: &str) -> (String, String) {
    let query = url.split_once('?').expect("a query").1;
    let mut from = None;
    let mut id = None;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).expect("a query");
    for (k, v) in pairs {
        match k.as_str() {
            "from" => from = Some(v),
            "id" => id = Some(v),
            _ => {}
        }
    }
    (from.unwrap(), id.unwrap())
}
