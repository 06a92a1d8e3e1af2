//! Delivery to Mobage and OpenSocial containers through the durable outbox.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::container::{Behaviour, Container};
use crate::helpers::*;

const CONTENT: &str = "Come build the tallest sandwich in the world with me today! <fb:req-choice url=\"http://apps.example.com/game/play?level=3\" label=\"Play\"/>";

fn platform_app(api_key: &str, platform: &str, endpoint: &str, upstream_extra: &str) -> String {
    format!(
        r#"
[[app]]
api_key = "{api_key}"
secret = "{api_key}-secret"
name = "Sandwich Tower"
app_id = "12000129"
callback_url = "http://apps.example.com/game/"
canvas_url = "http://sb.sp.app.mbga.jp/game/12000129/play"
platform = "{platform}"
[app.upstream]
endpoint = "{endpoint}"
consumer_key = "ck"
consumer_secret = "cs"
{upstream_extra}
"#
    )
}

fn outbox(schedule: &str) -> impl Fn(String) -> String + '_ {
    move |t: String| {
        t.replace(
            "[outbox]\nworkers = 1",
            &format!("[outbox]\nworkers = 1\nretry_schedule_secs = {schedule}\nreclaim_idle_secs = 20\nhttp_timeout_ms = 10000"),
        )
    }
}

async fn spawn_with(apps: &[String], schedule: &str) -> TestApp {
    spawn_on(Backend::Redis, apps, schedule).await
}

async fn spawn_on(backend: Backend, apps: &[String], schedule: &str) -> TestApp {
    let extra: String = apps.concat();
    let edit = outbox(schedule);
    spawn_app_with(backend, move |t| edit(t) + &extra).await
}

/// 1001 uses the app and is friends with 1002..=1004, all app users.
async fn graph(app: &TestApp, api_key: &str) {
    for uid in [1001, 1002, 1003, 1004] {
        app.install(api_key, uid).await;
    }
    app.befriend(api_key, 1001, &[1002, 1003, 1004]).await;
}

async fn send(
    app: &TestApp,
    api_key: &str,
    session: &str,
    to: &str,
    content: &str,
    extra: &[(&str, &str)],
) -> Answer {
    let secret = format!("{api_key}-secret");
    let mut params = vec![("type", "sandwich"), ("content", content)];
    params.extend_from_slice(extra);
    app.send_request_as(api_key, &secret, session, to, &params)
        .await
}

/// 1001's newest request in `api_key`, once `done` holds (or after 20 s).
async fn wait_latest(app: &TestApp, api_key: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let list = app
            .admin(
                reqwest::Method::GET,
                &format!("/admin/v1/apps/{api_key}/users/1001/requests"),
                None,
            )
            .await
            .1;
        let v = list["items"][0].clone();
        if done(&v) || Instant::now() > deadline {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn all_final(v: &Value) -> bool {
    v["recipients"].as_array().is_some_and(|rs| {
        rs.iter()
            .all(|r| ["delivered", "dropped", "dead"].contains(&r["state"].as_str().unwrap_or("")))
    })
}

async fn outbox_counts(app: &TestApp) -> Value {
    app.admin(reqwest::Method::GET, "/admin/v1/outbox", None)
        .await
        .1
}

#[tokio::test]
async fn mobage_one_signed_post_per_recipient() {
    mobage_one_signed_post_per_recipient_on(Backend::Redis).await;
}

pub async fn mobage_one_signed_post_per_recipient_on(backend: Backend) {
    let c = Container::start("ck", "cs", Behaviour::default()).await;
    let app = spawn_on(
        backend,
        &[platform_app(
            "mob",
            "mobage",
            &c.endpoint(),
            "mode = \"proxy\"\npair_window_secs = 60",
        )],
        "[1]",
    )
    .await;
    graph(&app, "mob").await;
    let (session, _) = app.session_in("mob", 1001).await;
    let ans = send(&app, "mob", &session, "1002,1003", CONTENT, &[]).await;
    assert_eq!(ans.body, "\"\"", "all app users: sent without confirmation");
    let got = c.wait_accepted(2).await;
    assert_eq!(got.len(), 2);
    assert_eq!(c.violations(), (0, 0));
    let mut recipients: Vec<&str> = got.iter().map(|r| r.recipient.as_str()).collect();
    recipients.sort();
    assert_eq!(recipients, ["1002", "1003"]);
    for r in &got {
        assert_eq!(r.path, "/api/restful/v1/messages/@me/@outbox");
        assert_eq!(r.requestor, "1001", "proxy mode: the sender");
        assert_eq!(r.content_type, "application/json; charset=utf8");
        assert_eq!(r.body["type"], "NOTIFICATION");
        assert_eq!(r.body["title"], "Come build the tallest sandwich in t..");
        assert_eq!(
            r.body["urls"],
            serde_json::json!([
                {"value": "http://sb.sp.app.mbga.jp/game/12000129/play?appParams=play%3Flevel%3D3", "type": "canvas"},
                {"value": "http://apps.example.com/game/play?level=3", "type": "mobile"},
            ])
        );
    }
    // Japanese content: cut by display width.
    let ans = send(
        &app,
        "mob",
        &session,
        "1004",
        "花束を贈りますので受け取ってくださいね！ 🎁",
        &[],
    )
    .await;
    assert_eq!(ans.body, "\"\"");
    let got = c.wait_accepted(3).await;
    assert_eq!(
        got[2].body["title"],
        "花束を贈りますので受け取ってください.."
    );
}

#[tokio::test]
async fn trusted_mode_speaks_for_the_app() {
    let c = Container::start("ck", "cs", Behaviour::default()).await;
    let app = spawn_with(
        &[platform_app(
            "mob",
            "mobage",
            &c.endpoint(),
            "mode = \"trusted\"",
        )],
        "[1]",
    )
    .await;
    graph(&app, "mob").await;
    let (session, _) = app.session_in("mob", 1001).await;
    assert_eq!(
        send(&app, "mob", &session, "1002", CONTENT, &[]).await.body,
        "\"\""
    );
    let got = c.wait_accepted(1).await;
    assert_eq!(got[0].requestor, "12000129");
}

#[tokio::test]
async fn a_403_drops_one_recipient_and_the_others_go_on() {
    let mut b = Behaviour::default();
    b.per_recipient.insert("1003".into(), 403);
    let c = Container::start("ck", "cs", b).await;
    let app = spawn_with(&[platform_app("mob", "mobage", &c.endpoint(), "")], "[1]").await;
    graph(&app, "mob").await;
    let (session, _) = app.session_in("mob", 1001).await;
    assert_eq!(
        send(&app, "mob", &session, "1002,1003,1004", CONTENT, &[])
            .await
            .body,
        "\"\""
    );
    c.wait_accepted(2).await;
    let v = wait_latest(&app, "mob", all_final).await;
    let states: Vec<(&str, &str)> = v["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["uid"].as_str().unwrap(), r["state"].as_str().unwrap()))
        .collect();
    assert_eq!(
        states,
        [
            ("1002", "delivered"),
            ("1003", "dropped"),
            ("1004", "delivered")
        ]
    );
    assert!(v["recipients"][1]["detail"]
        .as_str()
        .unwrap()
        .starts_with("403"));
    assert_eq!(c.received().len(), 3, "the 403 is not retried");
}

#[tokio::test]
async fn a_503_twice_then_202() {
    a_503_twice_then_202_on(Backend::Redis).await;
}

pub async fn a_503_twice_then_202_on(backend: Backend) {
    let b = Behaviour {
        first: [503, 503].into(),
        ..Default::default()
    };
    let c = Container::start("ck", "cs", b).await;
    let app = spawn_on(
        backend,
        &[platform_app(
            "mob",
            "mobage",
            &c.endpoint(),
            "pair_window_secs = 1",
        )],
        "[0, 0, 0]",
    )
    .await;
    graph(&app, "mob").await;
    let (session, _) = app.session_in("mob", 1001).await;
    assert_eq!(
        send(&app, "mob", &session, "1002", CONTENT, &[]).await.body,
        "\"\""
    );
    let got = c.wait_accepted(1).await;
    assert_eq!(got.len(), 1);
    let all = c.received();
    assert_eq!(
        all.iter().map(|r| r.status).collect::<Vec<_>>(),
        [503, 503, 202]
    );
    // Mobage's 503 is its rate limit: the retry waits for the window, not 0 s.
    for pair in all.windows(2) {
        assert!(
            pair[1].at - pair[0].at >= Duration::from_millis(950),
            "{:?}",
            pair[1].at - pair[0].at
        );
    }
    let v = wait_latest(&app, "mob", all_final).await;
    assert_eq!(v["recipients"][0]["state"], "delivered");
}

#[tokio::test]
async fn rate_windows_are_kept_before_sending() {
    let b = Behaviour {
        window: Some((Duration::from_secs(2), true)),
        ..Default::default()
    };
    let c = Container::start("ck", "cs", b).await;
    let app = spawn_with(
        &[platform_app(
            "mob",
            "mobage",
            &c.endpoint(),
            "pair_window_secs = 2",
        )],
        "[1]",
    )
    .await;
    graph(&app, "mob").await;
    let (session, _) = app.session_in("mob", 1001).await;
    for to in ["1002", "1002", "1003"] {
        assert_eq!(
            send(&app, "mob", &session, to, CONTENT, &[]).await.body,
            "\"\""
        );
    }
    let got = c.wait_accepted(3).await;
    assert_eq!(got.len(), 3);
    assert_eq!(c.violations(), (0, 0), "no 503 was burnt, no bad signature");
    let to_1002: Vec<_> = got.iter().filter(|r| r.recipient == "1002").collect();
    let to_1003: Vec<_> = got.iter().filter(|r| r.recipient == "1003").collect();
    assert!(to_1002[1].at - to_1002[0].at >= Duration::from_millis(1900));
    // Another pair is not held back by 1001 -> 1002's window.
    assert!(to_1003[0].at < to_1002[1].at);
    assert_eq!(c.received().len(), 3);
}

#[tokio::test]
async fn trusted_windows_are_per_recipient() {
    let b = Behaviour {
        window: Some((Duration::from_secs(2), false)),
        ..Default::default()
    };
    let c = Container::start("ck", "cs", b).await;
    let app = spawn_with(
        &[platform_app(
            "mob",
            "mobage",
            &c.endpoint(),
            "mode = \"trusted\"\nrecipient_window_secs = 2",
        )],
        "[1]",
    )
    .await;
    graph(&app, "mob").await;
    app.befriend("mob", 1004, &[1001, 1002]).await;
    let (s1001, _) = app.session_in("mob", 1001).await;
    let (s1004, _) = app.session_in("mob", 1004).await;
    assert_eq!(
        send(&app, "mob", &s1001, "1002", CONTENT, &[]).await.body,
        "\"\""
    );
    assert_eq!(
        send(&app, "mob", &s1004, "1002", CONTENT, &[]).await.body,
        "\"\""
    );
    let got = c.wait_accepted(2).await;
    assert_eq!(got.len(), 2);
    assert!(got[1].at - got[0].at >= Duration::from_millis(1900));
    assert_eq!(c.violations(), (0, 0));
}

#[tokio::test]
async fn the_container_down_then_up() {
    let port = Container::reserve_port();
    let app = spawn_with(
        &[platform_app(
            "mob",
            "mobage",
            &format!("http://127.0.0.1:{port}"),
            "",
        )],
        "[1, 1, 1, 1, 1, 1, 1, 1]",
    )
    .await;
    graph(&app, "mob").await;
    let (session, _) = app.session_in("mob", 1001).await;
    assert_eq!(
        send(&app, "mob", &session, "1002,1003", CONTENT, &[])
            .await
            .body,
        "\"\""
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let counts = outbox_counts(&app).await;
        if counts["scheduled"].as_u64().unwrap_or(0) >= 1 || Instant::now() > deadline {
            assert!(counts["scheduled"].as_u64().unwrap() >= 1, "{counts}");
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let v = wait_latest(&app, "mob", |_| true).await;
    assert!(
        v["recipients"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("connection failed"),
        "{v}"
    );
    let c = Container::start_on(port, "ck", "cs", Behaviour::default()).await;
    let got = c.wait_accepted(2).await;
    assert_eq!(got.len(), 2);
    let v = wait_latest(&app, "mob", all_final).await;
    assert!(
        v["recipients"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["state"] == "delivered"),
        "{v}"
    );
    let counts = outbox_counts(&app).await;
    assert_eq!(
        counts,
        serde_json::json!({"pending": 0, "scheduled": 0, "in_flight": 0, "dead": 0})
    );
}

#[tokio::test]
async fn a_permanent_500_is_dead_lettered_alone() {
    a_permanent_500_is_dead_lettered_alone_on(Backend::Redis).await;
}

pub async fn a_permanent_500_is_dead_lettered_alone_on(backend: Backend) {
    let mut b = Behaviour::default();
    b.per_recipient.insert("1003".into(), 500);
    let c = Container::start("ck", "cs", b).await;
    let app = spawn_on(
        backend,
        &[platform_app("mob", "mobage", &c.endpoint(), "")],
        "[0, 0]",
    )
    .await;
    graph(&app, "mob").await;
    let (session, _) = app.session_in("mob", 1001).await;
    assert_eq!(
        send(&app, "mob", &session, "1002,1003,1004", CONTENT, &[])
            .await
            .body,
        "\"\""
    );
    let v = wait_latest(&app, "mob", all_final).await;
    let states: Vec<&str> = v["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["delivered", "dead", "delivered"], "{v}");
    assert_eq!(
        c.received()
            .iter()
            .filter(|r| r.recipient == "1003")
            .count(),
        3,
        "first try + 2 retries"
    );
    let (status, dead) = app
        .admin(reqwest::Method::GET, "/admin/v1/outbox/dead", None)
        .await;
    assert_eq!(status, 200);
    let items = dead["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{dead}");
    assert_eq!(items[0]["recipient"], "1003");
    assert_eq!(items[0]["from"], "1001");
    assert_eq!(items[0]["id"], v["id"]);
    assert_eq!(items[0]["attempts"], 3);
    assert!(items[0]["last_error"].as_str().unwrap().starts_with("500"));
    assert!(chrono::DateTime::parse_from_rfc3339(items[0]["dead_at"].as_str().unwrap()).is_ok());
    let counts = outbox_counts(&app).await;
    assert_eq!(
        counts,
        serde_json::json!({"pending": 0, "scheduled": 0, "in_flight": 0, "dead": 1})
    );
}

#[tokio::test]
async fn a_400_or_401_is_dead_at_once() {
    let mut b = Behaviour::default();
    b.per_recipient.insert("1003".into(), 400);
    let c = Container::start("ck", "cs", b).await;
    let wrong = Container::start("ck", "another-secret", Behaviour::default()).await;
    let app = spawn_with(
        &[
            platform_app("mob", "mobage", &c.endpoint(), ""),
            platform_app("mob2", "mobage", &wrong.endpoint(), ""),
        ],
        "[0, 0, 0]",
    )
    .await;
    graph(&app, "mob").await;
    graph(&app, "mob2").await;
    let (session, _) = app.session_in("mob", 1001).await;
    assert_eq!(
        send(&app, "mob", &session, "1003", CONTENT, &[]).await.body,
        "\"\""
    );
    let v = wait_latest(&app, "mob", all_final).await;
    assert_eq!(v["recipients"][0]["state"], "dead");
    assert_eq!(c.received().len(), 1);
    let (session, _) = app.session_in("mob2", 1001).await;
    assert_eq!(
        send(&app, "mob2", &session, "1002", CONTENT, &[])
            .await
            .body,
        "\"\""
    );
    let v = wait_latest(&app, "mob2", all_final).await;
    assert_eq!(v["recipients"][0]["state"], "dead");
    assert!(v["recipients"][0]["detail"]
        .as_str()
        .unwrap()
        .starts_with("401"));
    assert_eq!(wrong.received().len(), 0, "refused before it counted");
    assert_eq!(wrong.violations().1, 1);
}

#[tokio::test]
async fn opensocial_outboxes_of_both_versions() {
    let mut b = Behaviour::default();
    b.per_recipient.insert("1004".into(), 201);
    let c = Container::start("ck", "cs", b).await;
    let app = spawn_with(
        &[
            platform_app(
                "os09",
                "opensocial",
                &format!("{}/social/rest", c.endpoint()),
                "",
            ),
            platform_app(
                "os10",
                "opensocial",
                &format!("{}/social/rest", c.endpoint()),
                "outbox_under_self = true",
            ),
        ],
        "[1]",
    )
    .await;
    for api in ["os09", "os10"] {
        graph(&app, api).await;
        let (session, _) = app.session_in(api, 1001).await;
        assert_eq!(
            send(&app, api, &session, "1002,1004", CONTENT, &[])
                .await
                .body,
            "\"\""
        );
    }
    let got = c.wait_accepted(4).await;
    assert_eq!(got.len(), 4);
    assert_eq!(c.violations(), (0, 0));
    let paths: std::collections::BTreeSet<&str> = got.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths.into_iter().collect::<Vec<_>>(),
        [
            "/social/rest/messages/1001/@outbox",
            "/social/rest/messages/1001/@self/@outbox"
        ]
    );
    let r = &got[0];
    assert_eq!(r.requestor, "1001");
    assert_eq!(r.body["type"], "notification");
    assert_eq!(r.body["title"], "Come build the tallest sandwich in t..");
    assert_eq!(
        r.body["body"],
        "Come build the tallest sandwich in the world with me today!"
    );
    assert_eq!(
        r.body["urls"],
        serde_json::json!([{"value": "http://apps.example.com/game/play?level=3", "linkText": "Play", "type": "alternate"}])
    );
}

#[tokio::test]
async fn mobage_invitations_and_confirmation_pages() {
    let c = Container::start("ck", "cs", Behaviour::default()).await;
    let app = spawn_with(&[platform_app("mob", "mobage", &c.endpoint(), "")], "[1]").await;
    app.install("mob", 1001).await;
    app.install("mob", 1002).await;
    app.befriend("mob", 1001, &[1002, 1003]).await;
    let (session, _) = app.session_in("mob", 1001).await;
    // An invitation goes through the page even when everyone already plays.
    let url = send(
        &app,
        "mob",
        &session,
        "1002",
        CONTENT,
        &[("invite", "true")],
    )
    .await;
    assert!(
        url.json().as_str().unwrap().contains("/send_req.php?"),
        "{}",
        url.body
    );
    // Nobody who could receive it on Mobage: the page says so.
    let url = send(
        &app,
        "mob",
        &session,
        "1003",
        CONTENT,
        &[("invite", "true")],
    )
    .await;
    let page = url
        .json()
        .as_str()
        .unwrap()
        .replacen("http://gateway.example", &app.address, 1);
    let html = app
        .client
        .get(&page)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let fields = hidden_fields(&html);
    let res = app
        .client
        .post(format!("{}/send_req.php", app.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(
            &[fields.clone(), vec![("action".into(), "send".into())]].concat(),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 422);
    assert!(res.text().await.unwrap().contains("Nothing was sent"));
    // A request to a non-user and a user: Send enqueues, the container delivers to the user.
    let url = send(&app, "mob", &session, "1002,1003", CONTENT, &[]).await;
    let page = url
        .json()
        .as_str()
        .unwrap()
        .replacen("http://gateway.example", &app.address, 1);
    let html = app
        .client
        .get(&page)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let res = app
        .client
        .post(format!("{}/send_req.php", app.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(
            &[hidden_fields(&html), vec![("action".into(), "send".into())]].concat(),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    let got = c.wait_accepted(2).await;
    assert_eq!(
        got.len(),
        2,
        "both recipients were posted; the container decides who can receive"
    );
}

fn hidden_fields(html: &str) -> Vec<(String, String)> {
    let form_start = html.find("<form").unwrap();
    let form_end = form_start + html[form_start..].find("</form>").unwrap();
    let mut out = Vec::new();
    let mut rest = &html[form_start..form_end];
    while let Some(i) = rest.find("<input type=\"hidden\" name=\"") {
        rest = &rest[i + 27..];
        let name = rest[..rest.find('"').unwrap()].to_string();
        let v = rest.find("value=\"").unwrap() + 7;
        let end = v + rest[v..].find('"').unwrap();
        out.push((name, rest[v..end].to_string()));
        rest = &rest[end..];
    }
    out
}

/// Two gateways (one delivery worker each) on one Redis, a container that takes 1.2 s per
/// message, and `reclaim_idle_secs = 3`: the first worker's batch outlasts the reclaim
/// delay, so the second takes over what the first has not reached yet. Each message must
/// still reach the container exactly once.
async fn leases_keep_slow_batches_exactly_once(platform: &str, upstream_extra: &str) {
    let redis = RedisServer::start();
    let slow = Behaviour {
        delay: Duration::from_millis(1200),
        ..Default::default()
    };
    let c = Container::start("ck", "cs", slow).await;
    let app_toml = platform_app("slow", platform, &c.endpoint(), upstream_extra)
        .replace("platform = ", "daily_request_limit = 100\nplatform = ");
    let config = || {
        test_config(&redis_section(&redis.url()), |t| {
            t.replace(
                "[outbox]\nworkers = 1",
                "[outbox]\nworkers = 1\nreclaim_idle_secs = 3\nhttp_timeout_ms = 1500\nretry_schedule_secs = [1, 1, 1, 1, 1]",
            ) + &app_toml
        })
    };
    let one = spawn_with_config(config(), None).await;
    let _two = spawn_with_config(config(), None).await;
    // Eight friends who play: one request is a batch of 8 messages, 9.6 s of sending.
    let friends: Vec<u64> = (1002..=1009).collect();
    for uid in std::iter::once(1001).chain(friends.iter().copied()) {
        one.install("slow", uid).await;
    }
    one.befriend("slow", 1001, &friends).await;
    let session = one.session_in("slow", 1001).await.0;
    let to: Vec<String> = friends.iter().map(|f| f.to_string()).collect();
    let mut sent = 0;
    for round in 0..2 {
        let content = format!("Round {round} <fb:req-choice url=\"http://apps.example.com/game/r{round}\" label=\"Go\"/>");
        let ans = send(&one, "slow", &session, &to.join(","), &content, &[]).await;
        assert_eq!(ans.body, "\"\"", "queued at once: {}", ans.body);
        sent += friends.len();
    }
    c.wait_accepted(sent).await;
    // Past another reclaim delay, so that a late duplicate would show.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let received = c.received();
    let mut seen = std::collections::HashMap::new();
    for r in &received {
        *seen
            .entry((r.recipient.clone(), r.body.to_string()))
            .or_insert(0) += 1;
    }
    let duplicated: usize = seen.values().map(|n| n - 1).sum();
    println!(
        "{platform} leases: sent {sent}, POSTs {}, distinct {}, duplicated {duplicated}",
        received.len(),
        seen.len()
    );
    assert_eq!((received.len(), seen.len(), duplicated), (sent, sent, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opensocial_slow_batches_are_sent_exactly_once_by_two_workers() {
    leases_keep_slow_batches_exactly_once("opensocial", "").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mobage_slow_batches_are_sent_exactly_once_by_two_workers() {
    leases_keep_slow_batches_exactly_once(
        "mobage",
        "pair_window_secs = 0\nrecipient_window_secs = 0",
    )
    .await;
}
