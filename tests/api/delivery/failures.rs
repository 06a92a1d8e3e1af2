//! Containers that fail: down then up, a permanent 500, 400 and 401.

use super::*;

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
