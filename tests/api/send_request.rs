//! notifications.sendRequest and admin.getAllocation end to end over HTTP.

use crate::helpers::*;
use serde_json::Value;

mod inputs;

const NS: &str = r#"xmlns="http://api.facebook.com/1.0/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://api.facebook.com/1.0/ http://api.facebook.com/1.0/facebook.xsd""#;

async fn request_view(app: &TestApp, api_key: &str, from: &str, id: &str) -> Value {
    let (status, body) = app
        .admin(
            reqwest::Method::GET,
            &format!("/admin/v1/apps/{api_key}/requests/{from}/{id}"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn non_users_get_a_confirmation_url_with_an_unguessable_token() {
    non_users_get_a_confirmation_url_with_an_unguessable_token_on(Backend::Redis).await;
}

pub async fn non_users_get_a_confirmation_url_with_an_unguessable_token_on(backend: Backend) {
    let app = spawn_app_with(backend, |t| t).await;
    app.seed_graph(APP_KEY).await;
    let session = app.session(1001).await;
    let ans = app
        .send_request(
            &session,
            "1002,1004",
            &[("image", "http://img.example/i.png"), ("invite", "true")],
        )
        .await;
    assert_eq!(ans.status, 200);
    assert_eq!(ans.content_type, "application/json");
    let url = ans.json().as_str().unwrap().to_string();
    assert!(
        url.starts_with("http://gateway.example/send_req.php?from=1001&id="),
        "{url}"
    );
    let token = url.rsplit_once("&t=").unwrap().1;
    assert_eq!(token.len(), 32);
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));

    let (from, id) = confirmation_parts(&url);
    let view = request_view(&app, APP_KEY, &from, &id).await;
    assert_eq!(view["status"], "pending");
    assert_eq!(view["type"], "event");
    assert_eq!(view["invite"], true);
    assert_eq!(view["image"], "http://img.example/i.png");
    assert_eq!(view["recipients"][0]["uid"], "1002");
    assert_eq!(view["recipients"][1]["state"], "pending");
    // The token is not in the stored view.
    assert!(!view.to_string().contains(token));

    // Two calls never share an id or a token.
    let again = app.send_request(&session, "1004", &[]).await.json();
    assert_ne!(again.as_str().unwrap(), url);
    assert_ne!(confirmation_parts(again.as_str().unwrap()).1, id);
}

#[tokio::test]
async fn xml_answer_escapes_the_url() {
    let app = spawn_app().await;
    app.seed_graph(APP_KEY).await;
    let session = app.session(1001).await;
    let call_id = app.next_call_id();
    let ans = app
        .call_signed(
            &[
                ("method", "notifications.sendRequest"),
                ("api_key", APP_KEY),
                ("session_key", &session),
                ("call_id", &call_id),
                ("to_ids", "1004"),
                ("type", "event"),
                ("content", "hi"),
            ],
            APP_SECRET,
        )
        .await;
    assert_eq!(ans.content_type, "text/xml; charset=utf-8");
    let prefix = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<notifications_sendRequest_response {NS}>http://gateway.example/send_req.php?from=1001&amp;id=");
    assert!(ans.body.starts_with(&prefix), "{}", ans.body);
    assert!(ans.body.contains("&amp;api_key=app1&amp;t="));
    assert!(ans.body.ends_with("</notifications_sendRequest_response>"));
}

#[tokio::test]
async fn app_users_are_sent_at_once_with_an_empty_answer() {
    app_users_are_sent_at_once_with_an_empty_answer_on(Backend::Redis).await;
}

pub async fn app_users_are_sent_at_once_with_an_empty_answer_on(backend: Backend) {
    let app = spawn_app_with(backend, |t| t).await;
    app.seed_graph(APP_KEY).await;
    let session = app.session(1001).await;
    let ans = app
        .send_request(&session, "[\"1002\",\"1003\"]", &[("invite", "0")])
        .await;
    assert_eq!(ans.body, "\"\"");

    let inbox = app.wait_inbox(APP_KEY, 1002, 1).await;
    let items = inbox["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{inbox}");
    assert_eq!(inbox["uid"], "1002");
    assert_eq!(items[0]["from"], "1001");
    assert_eq!(items[0]["type"], "event");
    assert_eq!(items[0]["invite"], false);
    let id = items[0]["request_id"].as_str().unwrap().to_string();
    assert_eq!(
        app.wait_inbox(APP_KEY, 1003, 1).await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Delivery state reaches the request view.
    let mut view = request_view(&app, APP_KEY, "1001", &id).await;
    for _ in 0..100 {
        if view["recipients"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["state"] == "delivered")
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        view = request_view(&app, APP_KEY, "1001", &id).await;
    }
    assert_eq!(view["status"], "sent");
    assert_eq!(view["recipients"][0]["state"], "delivered", "{view}");
    assert_eq!(view["recipients"][1]["state"], "delivered", "{view}");

    // XML: an empty root element.
    let call_id = app.next_call_id();
    let ans = app
        .call_signed(
            &[
                ("method", "notifications.sendRequest"),
                ("api_key", APP_KEY),
                ("session_key", &session),
                ("call_id", &call_id),
                ("to_ids", "1002"),
                ("type", "event"),
                ("content", "hi"),
                ("format", "xml"),
            ],
            APP_SECRET,
        )
        .await;
    assert_eq!(
        ans.body,
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<notifications_sendRequest_response {NS}/>")
    );
    // Someone else's inbox is untouched.
    assert!(app.inbox(APP_KEY, 1004).await["items"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn an_app_user_who_is_not_a_friend_may_receive() {
    an_app_user_who_is_not_a_friend_may_receive_on(Backend::Redis).await;
}

pub async fn an_app_user_who_is_not_a_friend_may_receive_on(backend: Backend) {
    let app = spawn_app_with(backend, |t| t).await;
    app.seed_graph(APP_KEY).await;
    app.install(APP_KEY, 2001).await;
    let session = app.session(1001).await;
    let ans = app.send_request(&session, "2001", &[]).await;
    assert_eq!(ans.body, "\"\"");
    assert_eq!(
        app.wait_inbox(APP_KEY, 2001, 1).await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let ans = app.send_request(&session, "2001,1004", &[]).await;
    assert!(
        ans.json().as_str().unwrap().contains("/send_req.php?"),
        "{}",
        ans.body
    );
    // A stranger among them spoils the whole call, and costs nothing.
    let ans = app.send_request(&session, "2001,2002", &[]).await;
    assert_eq!(ans.error_code(), Some(110));
    let (_, alloc) = app
        .admin(
            reqwest::Method::GET,
            "/admin/v1/apps/app1/users/1001/allocation",
            None,
        )
        .await;
    assert_eq!(alloc["used"], 3);
}

#[tokio::test]
async fn mixi_apps_always_confirm_in_the_browser() {
    let app = spawn_app().await;
    app.seed_graph("mixiapp").await;
    let (session, _) = app.session_in("mixiapp", 1001).await;
    let ans = app
        .send_request_as("mixiapp", "mixisecret", &session, "1002,1003", &[])
        .await;
    assert!(
        ans.json().as_str().unwrap().contains("api_key=mixiapp"),
        "{}",
        ans.body
    );
}

#[tokio::test]
async fn session_secret_signing_with_ss_and_for_desktop_apps() {
    session_secret_signing_with_ss_and_for_desktop_apps_on(Backend::Redis).await;
}

pub async fn session_secret_signing_with_ss_and_for_desktop_apps_on(backend: Backend) {
    let app = spawn_app_with(backend, |t| t).await;
    app.seed_graph(APP_KEY).await;
    app.seed_graph("desk").await;
    let (session, session_secret) = app.session_in(APP_KEY, 1001).await;
    let call_id = app.next_call_id();
    let base = [
        ("method", "notifications.sendRequest"),
        ("api_key", APP_KEY),
        ("session_key", session.as_str()),
        ("call_id", call_id.as_str()),
        ("to_ids", "1004"),
        ("type", "event"),
        ("content", "hi"),
        ("format", "JSON"),
        ("ss", "1"),
    ];
    let ans = app.call_signed(&base, &session_secret).await;
    assert!(
        ans.json().is_string() && ans.error_code().is_none(),
        "{}",
        ans.body
    );

    // Desktop apps use the session secret even without ss.
    let (desk_session, desk_secret) = app.session_in("desk", 1001).await;
    let params = |call_id: &str| {
        vec![
            (
                "method".to_string(),
                "notifications.sendRequest".to_string(),
            ),
            ("api_key".into(), "desk".into()),
            ("session_key".into(), desk_session.clone()),
            ("call_id".into(), call_id.to_string()),
            ("to_ids".into(), "1004".into()),
            ("type".into(), "event".into()),
            ("content".into(), "hi".into()),
            ("format".into(), "JSON".into()),
        ]
    };
    let sign_with = |p: Vec<(String, String)>, secret: &str| {
        let refs: Vec<(&str, &str)> = p.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        signed(&refs, secret)
    };
    let ans = app.post_form(&sign_with(params("10"), &desk_secret)).await;
    assert!(ans.error_code().is_none(), "{}", ans.body);
    let ans = app.post_form(&sign_with(params("11"), "desksecret")).await;
    assert_eq!(ans.error_code(), Some(104));
}

#[tokio::test]
async fn apps_that_do_not_require_call_id() {
    let app = spawn_app().await;
    app.seed_graph("nocallid").await;
    let (session, _) = app.session_in("nocallid", 1001).await;
    let params = |call_id: Option<&str>| {
        let mut p = vec![
            ("method", "notifications.sendRequest"),
            ("api_key", "nocallid"),
            ("session_key", session.as_str()),
            ("to_ids", "1004"),
            ("type", "event"),
            ("content", "hi"),
            ("format", "JSON"),
        ];
        if let Some(c) = call_id {
            p.push(("call_id", c));
        }
        signed(&p, "nocallidsecret")
    };
    // Without call_id a call cannot be sequenced: it is answered once, and the same call
    // (same signature) played again is refused.
    let ans = app.post_form(&params(None)).await;
    assert!(ans.error_code().is_none(), "{}", ans.body);
    assert_eq!(app.post_form(&params(None)).await.error_code(), Some(103));
    // A call_id, when sent, is still sequenced.
    assert!(app
        .post_form(&params(Some("5")))
        .await
        .error_code()
        .is_none());
    assert_eq!(
        app.post_form(&params(Some("5"))).await.error_code(),
        Some(103)
    );
}
