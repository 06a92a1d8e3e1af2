//! Notifications and feed stories: notifications.send and feed.* in XML, JSON and JSONP
//! with the exact bodies of `legacy-shapes.md`, their error codes and allocations, and
//! their delivery on every platform (sandbox, Mobage, OpenSocial, mixi).

mod allocations;
mod delivery;
mod faults;
pub(crate) mod mixi;
mod perl;
mod shapes;
mod stories;

use std::time::{Duration, Instant};

use serde_json::Value;

pub(crate) use crate::delivery::platform_app;
use crate::helpers::*;

/// app1 with `seed_profiles` (1001 and friends 1002, 1003 use the app, 1004 does not).
async fn seeded() -> (TestApp, String) {
    let app = spawn_app().await;
    app.seed_profiles(APP_KEY).await;
    let session = app.session(1001).await;
    (app, session)
}

fn xml(root: &str, inner: &str) -> String {
    format!("{XML_DECL}<{root} {XML_NS}{inner}")
}

/// A one-line bundle registered for app1 through the legacy API; its id.
async fn register(app: &TestApp, session: &str, one_line: &str) -> String {
    let a = app
        .call_method(
            session,
            "feed.registerTemplateBundle",
            "JSON",
            &[("one_line_story_templates", one_line)],
        )
        .await;
    assert!(a.body.parse::<u64>().is_ok(), "{}", a.body);
    a.body
}

/// `GET {path}` as JSON, polled until `done` holds (or 10 s passed).
async fn wait_json(app: &TestApp, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let v: Value = app
            .client
            .get(format!("{}{path}", app.address))
            .header("accept", "application/json")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if done(&v) || Instant::now() > deadline {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn items(v: &Value) -> usize {
    v["items"].as_array().map(Vec::len).unwrap_or(0)
}

/// A gateway on Redis with `apps`, retrying after 1 s.
async fn spawn_platforms(apps: &[String]) -> TestApp {
    let extra = apps.concat();
    spawn_app_with(Backend::Redis, move |t| {
        t.replace(
            "[outbox]\nworkers = 1",
            "[outbox]\nworkers = 1\nretry_schedule_secs = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\nreclaim_idle_secs = 20\nhttp_timeout_ms = 10000",
        ) + &extra
    })
    .await
}

/// Any method of `api_key` (secret `{api_key}-secret`) with `session`, in JSON.
async fn call_in(
    app: &TestApp,
    api_key: &str,
    session: &str,
    method: &str,
    extra: &[(&str, &str)],
) -> Answer {
    let secret = format!("{api_key}-secret");
    app.call_method_as(api_key, &secret, session, method, "JSON", extra)
        .await
}

/// Waits until the outbox holds nothing pending, scheduled or in flight (or 20 s passed).
async fn wait_outbox_empty(app: &TestApp) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, c) = app
            .admin(reqwest::Method::GET, "/admin/v1/outbox", None)
            .await;
        let idle = ["pending", "scheduled", "in_flight"]
            .iter()
            .all(|k| c[k] == 0);
        if idle || Instant::now() > deadline {
            return c;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
