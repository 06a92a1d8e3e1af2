//! mixi requests after they are sent (seed 001, `notify.md`): a request mixi holds is
//! deleted through the Graph API once every recipient launched the app, or when it
//! expires; the client-credentials token is cached and refreshed on a 401; deletions go
//! through the outbox (retried, dead-lettered), and 2xx and 404 both mean done.

use std::time::Duration;

use super::*;
use crate::helpers::fbml_app::mixi_entry;
use crate::helpers::mixi_graph::MixiGraphServer;

/// `mixiapp` with canvas entries from mixi's container and the Graph API stand-in.
fn mixi_app(graph: &MixiGraphServer, ttl_secs: u64) -> impl FnOnce(String) -> String {
    let section = graph.section(ttl_secs);
    move |t: String| {
        t.replace(
            "callback_url = \"http://apps.example.com/mixi/\"\nplatform = \"mixi\"",
            &format!("callback_url = \"http://apps.example.com/mixi/\"\napp_id = \"4242\"\nplatform = \"mixi\"\n[app.canvas]\nconsumer_key = \"mixi.jp\"\nconsumer_secret = \"mixi-cs\"\n{section}"),
        )
        .replace(
            "[outbox]\nworkers = 1",
            "[outbox]\nworkers = 1\nretry_schedule_secs = [1, 1]",
        )
    }
}

/// A request of 1001 to `to` that mixi's dialog sent to all of them as `request_id`.
async fn sent_through_mixi(app: &TestApp, session: &str, to: &str, request_id: &str) -> String {
    let ans = app
        .send_request_as("mixiapp", "mixisecret", session, to, &[("type", "gift")])
        .await;
    let url = ans.json().as_str().unwrap().to_string();
    let (_, _, html) = get(app, &local(app, &url)).await;
    let done = with(
        &form_fields(&html, "fbb-back"),
        &[
            ("outcome", "sent"),
            ("recipientIds", to),
            ("requestId", request_id),
        ],
    );
    assert_eq!(post(app, "/send_req.php/complete", &done).await.0, 303);
    url
}

/// `viewer` opens the app from mixi's container (the app itself is not reachable here:
/// the entry is what counts).
async fn launch(app: &TestApp, viewer: &str) {
    let url = mixi_entry(&app.address, "mixiapp", viewer, "index.php");
    let res = app.client.get(url).send().await.unwrap();
    assert_ne!(res.status().as_u16(), 401, "the entry is valid");
}

#[tokio::test]
async fn deleted_once_every_recipient_launched() {
    let graph = MixiGraphServer::start().await;
    let app = spawn_app_with(Backend::Redis, mixi_app(&graph, 3600)).await;
    app.seed_graph("mixiapp").await;
    let (session, _) = app.session_in("mixiapp", 1001).await;
    let url = sent_through_mixi(&app, &session, "1002,1003", "req-9").await;
    assert_eq!(
        app.request_view("mixiapp", &url).await["platform_cleanup"],
        "pending"
    );
    launch(&app, "1002").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(graph.deleted().is_empty(), "1003 may still accept it");
    launch(&app, "1003").await;
    assert_eq!(graph.wait_deleted(1).await, ["req-9"]);
    // A second launch deletes nothing more.
    launch(&app, "1003").await;
    let url2 = sent_through_mixi(&app, &session, "1002", "req-10").await;
    // The cached token was revoked: one 401, a fresh token, then the deletion.
    graph.revoke_tokens();
    launch(&app, "1002").await;
    assert_eq!(graph.wait_deleted(2).await, ["req-9", "req-10"]);
    let (token_calls, statuses) = {
        let st = graph.state.lock().unwrap();
        let statuses: Vec<u16> = st.deletions.iter().map(|(_, s)| *s).collect();
        (st.token_calls, statuses)
    };
    assert_eq!(token_calls, 2, "one token, then one after the 401");
    assert_eq!(statuses, [204, 401, 204]);
    for url in [&url, &url2] {
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        let mut v = app.request_view("mixiapp", url).await;
        while v["platform_cleanup"] != "delivered" && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(25)).await;
            v = app.request_view("mixiapp", url).await;
        }
        assert_eq!(v["platform_cleanup"], "delivered", "{v}");
        assert_eq!(v["status"], "sent");
    }
}

#[tokio::test]
async fn expired_requests_are_deleted_with_retries_and_dead_letters() {
    let graph = MixiGraphServer::start().await;
    // The first deletion fails (500) and is retried; mixi then no longer has it (404: done).
    // The second is refused for good (400): a dead letter.
    graph
        .state
        .lock()
        .unwrap()
        .delete_statuses
        .extend([500, 404, 400]);
    let app = spawn_app_with(Backend::Redis, mixi_app(&graph, 1)).await;
    app.seed_graph("mixiapp").await;
    let (session, _) = app.session_in("mixiapp", 1001).await;
    let first = sent_through_mixi(&app, &session, "1002", "req-11").await;
    assert_eq!(graph.wait_deleted(1).await, ["req-11"]);
    let second = sent_through_mixi(&app, &session, "1003", "req-12").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut v = app.request_view("mixiapp", &second).await;
    while v["platform_cleanup"] != "dead" && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
        v = app.request_view("mixiapp", &second).await;
    }
    assert_eq!(v["platform_cleanup"], "dead", "{v}");
    assert_eq!(
        app.request_view("mixiapp", &first).await["platform_cleanup"],
        "delivered"
    );
    let (_, dead) = app
        .admin(reqwest::Method::GET, "/admin/v1/outbox/dead", None)
        .await;
    assert!(
        dead.to_string().contains("Graph API answered 400"),
        "{dead}"
    );
    let statuses: Vec<u16> = graph
        .state
        .lock()
        .unwrap()
        .deletions
        .iter()
        .map(|(_, s)| *s)
        .collect();
    assert_eq!(
        statuses,
        [500, 404, 400],
        "each once, nothing after done or dead"
    );
}
