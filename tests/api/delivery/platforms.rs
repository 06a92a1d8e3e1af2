//! OpenSocial outboxes of both versions; Mobage invitations through confirmation pages.

use super::*;

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
