//! Slow clients, and several gateways sharing one Redis.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::*;

mod bounded_keys;
mod slow_clients;

#[tokio::test]
async fn a_body_that_never_arrives_gets_error_100_in_bounded_time() {
    let app = spawn_app_with(Backend::Memory, |t| {
        t.replace("body_timeout_ms = 2000", "body_timeout_ms = 300")
    })
    .await;
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .unwrap();
    stream
        .write_all(b"POST /restserver.php?format=JSON HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\nConnection: close\r\n\r\nmethod=")
        .await
        .unwrap();
    let started = Instant::now();
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut response))
        .await
        .expect("answered in time")
        .unwrap();
    let response = String::from_utf8(response).unwrap();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("{\"error_code\":100,"), "{response}");
}

#[tokio::test]
async fn two_gateways_share_call_ids_and_quota() {
    let redis = RedisServer::start();
    two_gateways_share(&redis_section(&redis.url())).await;
}

/// Two gateways on one store (a Redis server or a cluster, given by its `[store]` section).
pub async fn two_gateways_share(section: &str) {
    let section = section.to_string();
    let one = spawn_with_config(test_config(&section, |t| t), None).await;
    let two = spawn_with_config(test_config(&section, |t| t), None).await;
    one.seed_graph(APP_KEY).await;
    let session = one.session(1001).await;

    // A call_id accepted by one gateway is refused by the other.
    let first = send(&one, &session, "100", "1002,1003,1004").await;
    assert!(first.error_code().is_none(), "{}", first.body);
    let replay = send(&two, &session, "100", "1004").await;
    assert_eq!(replay.error_code(), Some(103));
    let lower = send(&two, &session, "99.9", "1004").await;
    assert_eq!(lower.error_code(), Some(103));
    // Quota counts across both: 3 + 3 + 2 + 2 = 10, then one more is refused on either.
    assert!(send(&two, &session, "101", "1002,1003,1004")
        .await
        .error_code()
        .is_none());
    // App users only: queued by gateway two, delivered once by whichever worker takes it.
    assert_eq!(send(&two, &session, "102", "1002,1003").await.body, "\"\"");
    assert!(send(&one, &session, "103", "1003,1004")
        .await
        .error_code()
        .is_none());
    assert_eq!(
        send(&one, &session, "104", "1004").await.error_code(),
        Some(4)
    );
    assert_eq!(
        send(&two, &session, "105", "1004").await.error_code(),
        Some(4)
    );
    let inbox = one.wait_inbox(APP_KEY, 1002, 1).await;
    assert_eq!(inbox["items"].as_array().unwrap().len(), 1);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        two.inbox(APP_KEY, 1002).await["items"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "delivered twice"
    );
    assert_eq!(
        two.inbox(APP_KEY, 1003).await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

async fn send(app: &TestApp, session: &str, call_id: &str, to: &str) -> Answer {
    app.send_request_as(APP_KEY, APP_SECRET, session, to, &[("call_id", call_id)])
        .await
}

/// A parameter flood without credentials: one 126 KB body of ~18,000 distinct keys. Merging
/// is linear, decoding stops at 1,000 parameters (error 100), and the echo is bounded, so
/// twelve of them at once cost little CPU and leave honest calls unaffected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parameter_flood_costs_little_and_leaves_honest_calls_alone() {
    let redis = RedisServer::start();
    let toml = format!(
        "[server]\nlisten = \"127.0.0.1:{{port}}\"\nadmin_token = \"{ADMIN_TOKEN}\"\nmax_body_bytes = 262144\n\n{}\n[outbox]\nworkers = 0\n\n[[app]]\napi_key = \"{APP_KEY}\"\nsecret = \"{APP_SECRET}\"\ncallback_url = \"http://apps.example.com/a/\"\nrequire_call_id = false\n",
        redis_section(&redis.url())
    );
    let (gateway, port, _dir) = Process::serve(&toml).await;
    let app = TestApp::remote(port);
    let session = app.session_in(APP_KEY, 1001).await.0;

    let mut flood = String::from("format=JSON&");
    let mut k = 0;
    while flood.len() < 126_000 {
        flood.push_str(&format!("k{k}=1&"));
        k += 1;
    }
    let flood = flood.trim_end_matches('&').to_string();
    println!("flood: {} bytes, {k} keys", flood.len());

    let honest = |app: &TestApp, n: usize| {
        let session = session.clone();
        let app = TestApp::remote(app.port);
        async move {
            let started = Instant::now();
            let ans = app.remaining_today(&session, n).await;
            (ans.body, started.elapsed())
        }
    };
    let before = gateway.cpu_time();
    let floods: Vec<_> = (0..12)
        .map(|_| {
            let client = reqwest::Client::new();
            let body = flood.clone();
            let url = format!("http://127.0.0.1:{port}/restserver.php");
            tokio::spawn(async move {
                let res = client
                    .post(url)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                (res.status().as_u16(), res.text().await.unwrap())
            })
        })
        .collect();
    let mut slowest = Duration::ZERO;
    for n in 0..10 {
        let (body, took) = honest(&app, n).await;
        assert_eq!(body, "10", "an honest call during the flood");
        slowest = slowest.max(took);
    }
    let mut largest = 0;
    for f in floods {
        let (status, body) = f.await.unwrap();
        assert_eq!(status, 200);
        assert!(body.starts_with("{\"error_code\":100,"), "{}", &body[..80]);
        largest = largest.max(body.len());
    }
    let cpu = gateway.cpu_time() - before;
    println!(
        "flood: 12 requests took {cpu:?} of gateway CPU ({:?} each), answers at most {largest} bytes, slowest honest call {slowest:?}",
        cpu / 12
    );
    assert!(cpu / 12 <= Duration::from_millis(50), "{cpu:?} for 12");
    assert!(largest < 8 * 1024, "the echo is bounded: {largest} bytes");
    assert!(slowest < Duration::from_secs(1), "{slowest:?}");
}

/// `store.partitions` changed by mistake would orphan every session, quota and queued
/// delivery: a gateway or worker started against a Redis set up otherwise refuses to start.
#[tokio::test]
async fn a_changed_partition_count_or_schema_refuses_to_start() {
    let redis = RedisServer::start();
    let section = redis_section(&redis.url());
    let _first = spawn_with_config(test_config(&section, |t| t), None).await;
    let other = test_config(
        &section.replace("partitions = 16", "partitions = 32"),
        |t| t,
    );
    let refused = fbbridge::app::Application::build(other)
        .await
        .err()
        .expect("refused");
    let text = refused.to_string();
    assert!(
        text.starts_with("store.partitions: this Redis was set up with 16 partitions"),
        "{text}"
    );
    // The same partition count starts, as often as wanted.
    let _again = spawn_with_config(test_config(&section, |t| t), None).await;

    // `fbbridge worker` refuses too, naming the setting.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("worker.toml");
    std::fs::write(
        &path,
        format!(
            "{}\n[[app]]\napi_key = \"{APP_KEY}\"\nsecret = \"{APP_SECRET}\"\ncallback_url = \"http://apps.example.com/a/\"\n",
            section.replace("partitions = 16", "partitions = 8")
        ),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_fbbridge"))
        .args(["worker", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("store.partitions: this Redis was set up with 16"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A Redis written by a newer layout is refused as well.
    let set = std::process::Command::new("redis-cli")
        .args([
            "-s",
            redis.socket().to_str().unwrap(),
            "HSET",
            "fbb:schema",
            "schema",
            "99",
        ])
        .output()
        .unwrap();
    assert!(set.status.success());
    let newer = fbbridge::app::Application::build(test_config(&section, |t| t))
        .await
        .err()
        .expect("refused");
    assert!(
        newer.to_string().contains("holds schema 99 (fbb:schema)"),
        "{newer}"
    );
}

/// Apps without call_id (the Perl client in web mode) cannot be sequenced: a captured call
/// is refused when played again (103), costs no quota, on whichever gateway it reaches.
#[tokio::test]
async fn a_replayed_call_without_call_id_is_refused_across_gateways() {
    let redis = RedisServer::start();
    let section = redis_section(&redis.url());
    let one = spawn_with_config(test_config(&section, |t| t), None).await;
    let two = spawn_with_config(test_config(&section, |t| t), None).await;
    one.seed_graph("nocallid").await;
    let session = one.session_in("nocallid", 1001).await.0;
    let call = signed(
        &[
            ("method", "facebook.notifications.sendRequest"),
            ("api_key", "nocallid"),
            ("session_key", &session),
            ("v", "1.0"),
            ("format", "JSON"),
            ("to_ids", "1004"),
            ("type", "event"),
            ("content", "Join me!"),
        ],
        "nocallidsecret",
    );
    let first = one.post_form(&call).await;
    assert!(first.body.contains("send_req.php"), "{}", first.body);
    for gateway in [&one, &two] {
        let again = gateway.post_form(&call).await;
        assert_eq!(again.error_code(), Some(103), "{}", again.body);
    }
    let (_, allocation) = one
        .admin(
            reqwest::Method::GET,
            "/admin/v1/apps/nocallid/users/1001/allocation",
            None,
        )
        .await;
    assert_eq!(
        allocation["used"], 1,
        "the replays cost no quota: {allocation}"
    );
    // A different call (another signature) on the same session still works.
    let other = one
        .send_request_as(
            "nocallid",
            "nocallidsecret",
            &session,
            "1004",
            &[("type", "gift")],
        )
        .await;
    assert!(other.body.contains("send_req.php"), "{}", other.body);
    // And the gate path (a call that is not a sendRequest) remembers too.
    let read = signed(
        &[
            ("method", "admin.getAllocation"),
            ("api_key", "nocallid"),
            ("session_key", &session),
            ("format", "JSON"),
            ("integration_point_name", "requests_remaining"),
        ],
        "nocallidsecret",
    );
    assert_eq!(one.post_form(&read).await.body, "8");
    assert_eq!(two.post_form(&read).await.error_code(), Some(103));
}
