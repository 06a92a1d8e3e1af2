//! Delivery to Mobage and OpenSocial containers through the durable outbox.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::container::{Behaviour, Container};
use crate::helpers::*;

pub mod failures;
mod leases;
mod platforms;

const CONTENT: &str = "Come build the tallest sandwich in the world with me today! <fb:req-choice url=\"http://apps.example.com/game/play?level=3\" label=\"Play\"/>";

/// A Mobage or OpenSocial app on the stand-in container at `endpoint`.
pub(crate) fn platform_app(
    api_key: &str,
    platform: &str,
    endpoint: &str,
    upstream_extra: &str,
) -> String {
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
