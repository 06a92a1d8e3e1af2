//! A read method costs one Redis round trip while the graph is cached: the commands
//! clients send, as Redis' MONITOR shows them, with no delivery worker running beside it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::*;

/// The commands clients send to Redis while `during` runs (a script's own calls are marked
/// `lua` by MONITOR and are not counted).
async fn client_commands<F: std::future::Future>(redis: &RedisServer, during: F) -> Vec<String> {
    let mut monitor = Command::new("redis-cli")
        .args(["-s", redis.socket().to_str().unwrap(), "MONITOR"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("redis-cli runs (package redis-tools)");
    let stdout = monitor.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // MONITOR answers OK once it is listening.
    assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), "OK");
    during.await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let _ = monitor.kill();
    let _ = monitor.wait();
    rx.try_iter().filter(|l| !l.contains(" lua] ")).collect()
}

#[tokio::test]
async fn each_read_is_one_redis_round_trip() {
    let app = spawn_app_with(Backend::Redis, |t| {
        t.replace("[outbox]\nworkers = 1", "[outbox]\nworkers = 0")
    })
    .await;
    app.seed_profiles(APP_KEY).await;
    let session = app.session(1001).await;
    let redis = app.redis.as_ref().unwrap();
    let calls: [(&str, Vec<(&str, &str)>); 4] = [
        ("friends.get", vec![]),
        ("friends.getAppUsers", vec![]),
        ("users.getInfo", vec![("uids", "1002,1003"), ("fields", "name,pic_square")]),
        ("fql.query", vec![("query", "SELECT uid, name FROM user WHERE has_added_app = 1 AND uid IN (SELECT uid2 FROM friend WHERE uid1 = 1001)")]),
    ];
    // The first calls open each worker's connections.
    for _ in 0..4 {
        for (method, extra) in &calls {
            app.call_method(&session, method, "JSON", extra).await;
        }
    }
    for (method, extra) in &calls {
        let sent = client_commands(redis, async {
            let a = app.call_method(&session, method, "JSON", extra).await;
            assert!(a.error_code().is_none(), "{method}: {}", a.body);
        })
        .await;
        assert_eq!(
            sent.len(),
            1,
            "{method}: one script, one round trip: {sent:?}"
        );
        assert!(sent[0].contains("\"EVALSHA\""), "{sent:?}");
    }
}
