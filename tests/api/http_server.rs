//! The HTTP server as clients of every era meet it: half-closed connections, keep-alive
//! and pipelining, HTTP/1.0, request ids, and signatures over bytes that are not UTF-8.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::*;

/// Sends `request` on a new connection, optionally half-closes, and reads until the server
/// closes (or 5 s pass).
async fn exchange(port: u16, request: &[u8], half_close: bool) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    stream.write_all(request).await.unwrap();
    if half_close {
        stream.shutdown().await.unwrap();
    }
    let mut response = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut response)).await;
    String::from_utf8_lossy(&response).into_owned()
}

#[tokio::test]
async fn a_complete_request_then_a_half_close_is_answered_in_full() {
    let app = spawn_app_with(Backend::Memory, |t| t).await;
    let legacy =
        b"GET /restserver.php?format=JSON&method=facebook.photos.get HTTP/1.1\r\nHost: x\r\n\r\n";
    let health = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    let mut answered = (0, 0);
    for _ in 0..20 {
        let r = exchange(app.port, legacy, true).await;
        if r.starts_with("HTTP/1.1 200") && r.contains("{\"error_code\":101,") {
            answered.0 += 1;
        }
        let r = exchange(app.port, health, true).await;
        if r.starts_with("HTTP/1.1 200") && r.ends_with("ok\n") {
            answered.1 += 1;
        }
    }
    println!(
        "half-close: /restserver.php {} of 20, /healthz {} of 20",
        answered.0, answered.1
    );
    assert_eq!(answered, (20, 20));
}

#[tokio::test]
async fn keep_alive_and_pipelined_requests_are_answered_in_order() {
    let app = spawn_app_with(Backend::Memory, |t| t).await;
    let mut pipelined = Vec::new();
    for (i, last) in [(1, false), (2, false), (3, true)] {
        let close = if last { "Connection: close\r\n" } else { "" };
        pipelined.extend_from_slice(
            format!(
                "GET /restserver.php?format=JSON&method=m{i} HTTP/1.1\r\nHost: x\r\n{close}\r\n"
            )
            .as_bytes(),
        );
    }
    let r = exchange(app.port, &pipelined, false).await;
    assert_eq!(r.matches("HTTP/1.1 200").count(), 3, "{r}");
    let positions: Vec<usize> = ["\"m1\"", "\"m2\"", "\"m3\""]
        .iter()
        .map(|m| r.find(m).unwrap_or_else(|| panic!("{m} not answered: {r}")))
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "out of order: {r}"
    );

    // And an ordinary keep-alive client reuses one connection for several calls.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .build()
        .unwrap();
    for _ in 0..3 {
        let res = client
            .get(format!("{}/healthz", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200);
        assert_eq!(res.text().await.unwrap(), "ok\n");
    }
}

#[tokio::test]
async fn http_1_0_without_keep_alive_is_answered_and_closed() {
    let app = spawn_app_with(Backend::Memory, |t| t).await;
    for (request, expect) in [
        (&b"GET /healthz HTTP/1.0\r\n\r\n"[..], "ok\n"),
        (
            &b"POST /restserver.php HTTP/1.0\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 11\r\n\r\nformat=JSON"[..],
            "{\"error_code\":101,",
        ),
    ] {
        let r = exchange(app.port, request, false).await;
        assert!(r.starts_with("HTTP/1.0 200") || r.starts_with("HTTP/1.1 200"), "{r}");
        assert!(r.contains(expect), "{r}");
    }
}

#[tokio::test]
async fn every_answer_carries_a_request_id() {
    let app = spawn_app_with(Backend::Memory, |t| t).await;
    for path in [
        "/healthz",
        "/restserver.php",
        "/send_req.php",
        "/admin/v1/outbox",
        "/nowhere",
    ] {
        let res = app
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        let id = res
            .headers()
            .get("x-request-id")
            .map(|v| v.to_str().unwrap().to_string());
        assert!(id.is_some_and(|id| id.len() == 32), "{path}");
    }
    let ids: std::collections::HashSet<String> = futures_ids(&app, 5).await;
    assert_eq!(ids.len(), 5, "ids are unique");
    // A proxy's id is kept when it is plain; anything else is replaced.
    for (sent, kept) in [("lb-42.abc_Z", true), ("bad id; x=1", false)] {
        let res = app
            .client
            .get(format!("{}/healthz", app.address))
            .header("x-request-id", sent)
            .send()
            .await
            .unwrap();
        let got = res.headers()["x-request-id"].to_str().unwrap().to_string();
        assert_eq!(got == sent, kept, "{sent} -> {got}");
    }
}

async fn futures_ids(app: &TestApp, n: usize) -> std::collections::HashSet<String> {
    let mut ids = std::collections::HashSet::new();
    for _ in 0..n {
        let res = app
            .client
            .get(format!("{}/healthz", app.address))
            .send()
            .await
            .unwrap();
        ids.insert(res.headers()["x-request-id"].to_str().unwrap().to_string());
    }
    ids
}

/// Japanese apps send Shift_JIS: `あ` is the bytes 82 A0, which are not UTF-8. The signature
/// covers those bytes, so the gateway must verify over them, not over a decoded string.
#[tokio::test]
async fn a_signed_shift_jis_value_verifies() {
    let app = spawn_app_with(Backend::Memory, |t| t).await;
    let sjis: &[u8] = &[0x82, 0xA0];
    let pairs: Vec<(&str, &[u8])> = vec![
        ("method", b"facebook.admin.getAllocation"),
        ("api_key", APP_KEY.as_bytes()),
        ("v", b"1.0"),
        ("format", b"JSON"),
        ("integration_point_name", b"requests_per_day"),
        ("note", sjis),
    ];
    let sig = fbbridge::domain::secrets::sign(pairs.iter().copied(), APP_SECRET.as_bytes());
    let body = format!(
        "method=facebook.admin.getAllocation&api_key={APP_KEY}&v=1.0&format=JSON&integration_point_name=requests_per_day&note=%82%A0&sig={sig}"
    );
    let post = |body: String| {
        app.client
            .post(format!("{}/restserver.php", app.address))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let ans = answer(post(body.clone()).await.unwrap()).await;
    assert_eq!(ans.body, "10", "{}", ans.body);
    // The same signature over the UTF-8 replacement of those bytes is a different one.
    let lossy = String::from_utf8_lossy(sjis).into_owned();
    let mut decoded = pairs.clone();
    decoded[5].1 = lossy.as_bytes();
    assert_ne!(
        fbbridge::domain::secrets::sign(decoded.iter().copied(), APP_SECRET.as_bytes()),
        sig
    );
    // And a changed byte is refused.
    let tampered = answer(post(body.replace("%A0", "%A1")).await.unwrap()).await;
    assert_eq!(tampered.error_code(), Some(104));
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_by_the_gateway() {
    let app = spawn_app_with(Backend::Memory, |t| {
        t.replace("workers = 2\n", "workers = 2\nkeep_alive_secs = 1\n")
    })
    .await;
    let mut stream = TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let mut all = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut all)).await;
    assert!(read.is_ok(), "still open after 10 s");
    assert!(String::from_utf8_lossy(&all).starts_with("HTTP/1.1 200"));
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}
