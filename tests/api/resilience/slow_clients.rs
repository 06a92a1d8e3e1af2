//! Slow clients: held connections are closed by the gateway, honest calls still answered.

use super::*;

/// How one slow client fared: how long its connection took to be established, and how
/// long the gateway took to close it (`None`: not closed before `give_up`).
struct SlowClient {
    connected_in: Duration,
    closed_after: Option<Duration>,
}

/// One slow client: sends `head` and then one byte a second until the gateway closes the
/// connection (or `give_up` passes).
async fn slow_client(port: u16, head: &'static [u8], give_up: Duration) -> SlowClient {
    let started = Instant::now();
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await;
    let connected_in = started.elapsed();
    let closed_after = match stream {
        Ok(stream) => held_until_closed(stream, head, started, give_up).await,
        Err(_) => None,
    };
    SlowClient {
        connected_in,
        closed_after,
    }
}

async fn held_until_closed(
    mut stream: tokio::net::TcpStream,
    head: &[u8],
    started: Instant,
    give_up: Duration,
) -> Option<Duration> {
    stream.write_all(head).await.ok()?;
    let mut buf = [0u8; 4096];
    while started.elapsed() < give_up {
        match tokio::time::timeout(Duration::from_secs(1), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => continue, // an answer (408, error 100); the close follows
            Err(_) => {
                if stream.write_all(b"a").await.is_err() {
                    return Some(started.elapsed());
                }
            }
        }
    }
    None
}

/// 300 clients sending their headers one byte a second and 50 sending a body that way, for
/// 30 s: the gateway closes each of them after its time bound, and meanwhile `/healthz` and
/// signed calls keep answering within a second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_are_closed_and_honest_ones_still_answered() {
    let _ = rlimit::increase_nofile_limit(8192);
    let redis = RedisServer::start();
    let toml = format!(
        "[server]\nlisten = \"127.0.0.1:{{port}}\"\nadmin_token = \"{ADMIN_TOKEN}\"\nheader_timeout_ms = 2000\nbody_timeout_ms = 2000\nkeep_alive_secs = 2\n\n{}\n[outbox]\nworkers = 0\n\n[[app]]\napi_key = \"{APP_KEY}\"\nsecret = \"{APP_SECRET}\"\ncallback_url = \"http://apps.example.com/a/\"\nrequire_call_id = false\n",
        redis_section(&redis.url())
    );
    let (_gateway, port, _dir) = Process::serve(&toml).await;
    let mut app = TestApp::remote(port);
    let session = app.session_in(APP_KEY, 1001).await.0;
    // Every honest call on a connection of its own: what is checked is that the gateway
    // still accepts and answers beside the slow clients. A pooled connection can meet the
    // server's keep-alive close on its way out (a race of HTTP/1.1 itself, seen once in a
    // full run on 2 loaded cores), and a POST is not retried by the client.
    app.client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();

    let window = Duration::from_secs(30);
    let mut slow = Vec::new();
    for _ in 0..300 {
        slow.push(tokio::spawn(slow_client(
            port,
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ",
            window,
        )));
    }
    for i in 0..50 {
        let head: &'static [u8] = if i % 2 == 0 {
            b"POST /restserver.php HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nformat=JSON&"
        } else {
            b"POST /send_req.php HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\napi_key="
        };
        slow.push(tokio::spawn(slow_client(port, head, window)));
    }
    let started = Instant::now();
    let mut slowest_health = Duration::ZERO;
    let mut slowest_call = Duration::ZERO;
    let mut n = 0;
    while started.elapsed() < window {
        let t = Instant::now();
        let res = app
            .client
            .get(format!("{}/healthz", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200);
        slowest_health = slowest_health.max(t.elapsed());
        let t = Instant::now();
        n += 1;
        let ans = app.remaining_today(&session, n).await;
        assert_eq!(ans.body, "10");
        slowest_call = slowest_call.max(t.elapsed());
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let mut fared = Vec::new();
    for s in slow {
        fared.push(s.await.unwrap());
    }
    let closed_in: Vec<Duration> = fared.iter().filter_map(|c| c.closed_after).collect();
    let latest = closed_in.iter().max().copied().unwrap_or_default();
    let slowest_connect = fared.iter().map(|c| c.connected_in).max().unwrap();
    println!(
        "slow clients: {} of 350 closed by the gateway (the last after {latest:?}, the slowest connected in {slowest_connect:?}); during them {n} rounds: slowest /healthz {slowest_health:?}, slowest signed call {slowest_call:?}",
        closed_in.len()
    );
    assert_eq!(closed_in.len(), 350, "every slow client was closed");
    assert!(latest < Duration::from_secs(10), "{latest:?}");
    // 350 connections opened at once fit the listen backlog: none had its SYN dropped
    // and retried a second later (which a backlog of 128 did, and an honest call caught
    // in the same burst waited that second too).
    assert!(
        slowest_connect < Duration::from_secs(1),
        "{slowest_connect:?}"
    );
    assert!(
        slowest_health < Duration::from_secs(1),
        "{slowest_health:?}"
    );
    assert!(slowest_call < Duration::from_secs(1), "{slowest_call:?}");
}
