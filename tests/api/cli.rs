//! The `fbbridge` binary: the demo, `sign`, `check-config`, `session create`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::container::Container;
use crate::helpers::*;

const BIN: &str = env!("CARGO_BIN_EXE_fbbridge");

#[test]
fn sign_prints_the_legacy_signature() {
    let out = Command::new(BIN)
        .args(["sign", "--secret", "appsecret123"])
        .args([
            "to_ids=1001,1002",
            "type=event",
            "content=Join me! <fb:req-choice url=\"http://apps.example/x?a=1&b=2\" label=\"Go\" />",
            "image=http://img.example/i.png",
            "invite=1",
            "method=facebook.notifications.sendRequest",
            "session_key=sess-abc-123",
            "api_key=myapikey",
            "call_id=1795376183.1118",
            "v=1.0",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "d3dec0d65e342955d545a3639a85f538\n"
    );
}

#[test]
fn check_config_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.toml");
    std::fs::write(&good, "[store]\nbackend = \"memory\"\n[[app]]\napi_key = \"a\"\nsecret = \"s\"\ncallback_url = \"http://x.example/\"\n").unwrap();
    let out = Command::new(BIN)
        .args(["check-config", "--config"])
        .arg(&good)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("OK, 1 app(s)"));

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[store]\nbackend = \"memory\"\n[[app]]\napi_key = \"a\"\nsecret = \"s\"\ncallback_url = \"ftp://x.example/\"\n").unwrap();
    let out = Command::new(BIN)
        .args(["check-config", "--config"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("app[0].callback_url: `ftp://x.example/` must start with http:// or https://"),
        "{err}"
    );
}

#[tokio::test]
async fn session_create_writes_a_working_session_into_redis() {
    let redis = RedisServer::start();
    let port = Container::reserve_port();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("gw.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\npublic_url = \"http://gateway.example\"\n[store]\nbackend = \"redis\"\nurl = \"{}\"\n[[app]]\napi_key = \"{APP_KEY}\"\nsecret = \"{APP_SECRET}\"\ncallback_url = \"http://apps.example.com/\"\nrequire_call_id = false\n",
            redis.url()
        ),
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["session", "create", "--config"])
        .arg(&config)
        .args(["--api-key", APP_KEY, "--uid", "1001", "--ttl", "600"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for bad in ["59", "2592001", "10000000000000", "18446744073709551615"] {
        let refused = Command::new(BIN)
            .args(["session", "create", "--config"])
            .arg(&config)
            .args(["--api-key", APP_KEY, "--uid", "1001", "--ttl", bad])
            .output()
            .unwrap();
        assert_eq!(refused.status.code(), Some(2), "--ttl {bad}");
        assert!(String::from_utf8_lossy(&refused.stderr)
            .contains("--ttl: ttl_secs must be between 60 and"));
    }
    let stdout = String::from_utf8(out.stdout).unwrap();
    let key = stdout
        .lines()
        .find_map(|l| l.strip_prefix("session_key="))
        .unwrap()
        .to_string();
    assert!(stdout.contains("session_secret="));
    assert!(key.ends_with("-1001"));

    let mut gateway = Command::new(BIN)
        .args(["serve", "--config"])
        .arg(&config)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let app = TestApp::remote(port);
    let deadline = Instant::now() + Duration::from_secs(20);
    while app
        .client
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let ans = app
        .call_signed(
            &[
                ("method", "admin.getAllocation"),
                ("api_key", APP_KEY),
                ("session_key", &key),
                ("integration_point_name", "requests_remaining"),
                ("format", "JSON"),
            ],
            APP_SECRET,
        )
        .await;
    assert_eq!(ans.body, "10", "the session works");
    let _ = gateway.kill();
    let _ = gateway.wait();
}

/// `cargo run --release` with no arguments: the demo prints a curl that works when pasted.
#[tokio::test]
async fn the_demo_prints_a_curl_that_works() {
    let port = Container::reserve_port();
    let mut demo = Command::new(BIN)
        .env("FBBRIDGE__SERVER__LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = demo.stdout.take().unwrap();
    let banner = tokio::task::spawn_blocking(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            let end = line.starts_with("Each call_id works once");
            lines.push(line);
            if end {
                break;
            }
        }
        // The pipe closes here: the demo must keep serving even so.
        lines.join("\n")
    })
    .await
    .unwrap();
    for expected in [
        "listening on    http://127.0.0.1:",
        "api_key         demo-app",
        "secret          demo-secret",
        "admin token     demo-admin-token",
        "session_key ",
        "session_secret ",
    ] {
        assert!(
            banner.contains(expected),
            "{expected} missing in:\n{banner}"
        );
    }
    // Two curls, pasted in the order printed: the FQL of an invite page, then the invitation.
    let curls: Vec<&str> = banner
        .match_indices("curl -s")
        .map(|(start, _)| {
            let end = banner[start..].find("\n\n").map(|e| start + e).unwrap();
            &banner[start..end]
        })
        .collect();
    assert_eq!(curls.len(), 2, "{banner}");
    let run = |curl: &str| {
        let out = Command::new("sh")
            .arg("-c")
            .arg(curl)
            .output()
            .expect("sh and curl");
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let friends = run(curls[0]);
    assert!(
        friends.starts_with(
            r#"[{"uid":1002,"name":"Alice Smith","pic_square":"https://www.gravatar.com/avatar/"#
        ),
        "{}\n=> {friends}",
        curls[0]
    );
    // The printed launch URL opens the demo app's invite page through the canvas bridge.
    let launch = banner
        .lines()
        .find(|l| l.contains("/sandbox/demo-app/launch/1001"))
        .expect("a launch URL")
        .trim()
        .to_string();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = client.get(&launch).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 302, "{launch}");
    let entry = res.headers()["location"].to_str().unwrap().to_string();
    let page = client.get(&entry).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let page = page.text().await.unwrap();
    assert!(
        page.contains("fbb-request-form") && page.contains("Alice Smith"),
        "{page}"
    );
    let answer = run(curls[1]);
    assert!(
        answer.starts_with(&format!(
            "\"http://127.0.0.1:{port}/send_req.php?from=1001&id="
        )),
        "{}\n=> {answer}",
        curls[1]
    );
    let _ = demo.kill();
    let _ = demo.wait();
}

/// `sign --bodies` signs many urlencoded bodies at once, over the decoded bytes (as the
/// gateway checks them), and the gateway accepts what it signed.
#[tokio::test]
async fn sign_bodies_signs_each_line_as_the_gateway_checks() {
    use std::io::Write;
    let app = spawn_app_with(Backend::Memory, |t| t).await;
    let lines = format!(
        "method=admin.getAllocation&api_key={APP_KEY}&format=JSON&integration_point_name=requests_per_day&n=1\n\nmethod=admin.getAllocation&api_key={APP_KEY}&format=JSON&integration_point_name=requests_per_day&note=%82%A0\n"
    );
    let mut child = Command::new(BIN)
        .args(["sign", "--secret", APP_SECRET, "--bodies"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(lines.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let signed = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        signed.lines().count(),
        2,
        "blank lines are skipped: {signed}"
    );
    for body in signed.lines() {
        assert!(body.contains("&sig="), "{body}");
        let res = app
            .client
            .post(format!("{}/restserver.php", app.address))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(res.text().await.unwrap(), "10", "{body}");
    }
}
