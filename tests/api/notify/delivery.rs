//! What each platform receives for one notification and one story: the sandbox inbox and
//! feed, Mobage's Message and Activity APIs, an OpenSocial container's outbox and
//! activities, all signed (OAuth 1.0 with body hash, checked by the stand-in container).

use super::*;
use crate::helpers::container::{Behaviour, Container};

#[tokio::test]
async fn sandbox_inbox_shows_notifications() {
    let (app, session) = seeded().await;
    let a = app
        .call_method(
            &session,
            "notifications.send",
            "JSON",
            &[
                ("to_ids", "1002"),
                (
                    "notification",
                    "fed your <b>cat</b> <script>alert(1)</script>",
                ),
            ],
        )
        .await;
    assert_eq!(a.body, "\"1002\"");
    let inbox = app.wait_inbox(APP_KEY, 1002, 1).await;
    let item = &inbox["items"][0];
    assert_eq!(item["item"], "notification");
    assert_eq!(item["type"], "user_to_user");
    assert_eq!(item["from"], "1001");
    assert_eq!(
        item["content"],
        "fed your <b>cat</b> <script>alert(1)</script>"
    );
    let html = app
        .client
        .get(format!("{}/sandbox/{APP_KEY}/inbox/1002", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Notification from Ann Lee"), "{html}");
    assert!(html.contains("fed your <b>cat</b>"), "{html}");
    assert!(!html.contains("<script>alert"), "sanitised: {html}");
    // Delivered once, whatever happens after: the record says so.
    wait_outbox_empty(&app).await;
    assert_eq!(items(&app.inbox(APP_KEY, 1002).await), 1);
}

#[tokio::test]
async fn mobage_gets_a_message_and_an_activity() {
    let c = Container::start(
        "ck",
        "cs",
        Behaviour {
            activity_window: Some(Duration::from_secs(2)),
            ..Behaviour::default()
        },
    )
    .await;
    let app = spawn_platforms(&[platform_app(
        "mob",
        "mobage",
        &c.endpoint(),
        "activity_window_secs = 2",
    )])
    .await;
    for uid in [1001, 1002, 1003] {
        app.install("mob", uid).await;
    }
    app.befriend("mob", 1001, &[1002, 1003]).await;
    app.set_profile("mob", 1001, serde_json::json!({"name": "Ann Lee"}))
        .await;
    app.set_profile("mob", 1002, serde_json::json!({"name": "Bob"}))
        .await;
    let (session, _) = app.session_in("mob", 1001).await;
    let a = call_in(
        &app,
        "mob",
        &session,
        "notifications.send",
        &[
            ("to_ids", "1002,1003"),
            (
                "notification",
                "fed your cat 🐱 <a href=\"http://apps.example.com/game/cat?id=7\">see it</a>",
            ),
        ],
    )
    .await;
    assert_eq!(a.body, "\"1002,1003\"");
    let a = call_in(
        &app,
        "mob",
        &session,
        "feed.publishTemplatizedAction",
        &[
            ("title_template", "{actor} fed {target} a {food} 🍞"),
            (
                "title_data",
                r#"{"food":"very long sandwich with many layers of bread"}"#,
            ),
            ("target_ids", "1002"),
            ("body_general", "Come and play Sandwich Tower!"),
            ("image_1", "http://img.example/1.png"),
            ("image_2", "http://img.example/2.jpg"),
            ("image_3", "http://img.example/3.gif"),
            ("image_4", "http://img.example/4.png"),
        ],
    )
    .await;
    assert_eq!(a.body, "[true]");
    // A second story at once: held for the activity window, not burnt as a 503.
    let a = call_in(
        &app,
        "mob",
        &session,
        "feed.publishActionOfUser",
        &[("title", "built a tower")],
    )
    .await;
    assert_eq!(a.body, "[true]");
    let got = c.wait_accepted(4).await;
    assert_eq!(got.len(), 4, "{:?}", c.received());
    assert_eq!(
        c.violations(),
        (0, 0),
        "no 503 burnt, every signature valid"
    );
    let messages: Vec<_> = got
        .iter()
        .filter(|r| r.path.contains("/messages/"))
        .collect();
    assert_eq!(messages.len(), 2);
    for m in &messages {
        assert_eq!(m.path, "/api/restful/v1/messages/@me/@outbox");
        assert_eq!(m.requestor, "1001");
        assert_eq!(m.body["type"], "NOTIFICATION");
        assert_eq!(m.body["title"], "fed your cat see it");
    }
    let activities: Vec<_> = got
        .iter()
        .filter(|r| r.path.contains("/activities/"))
        .collect();
    assert_eq!(activities.len(), 2);
    let first = activities
        .iter()
        .find(|r| r.body["mediaItems"].as_array().unwrap().len() == 3)
        .expect("the story with images");
    assert_eq!(first.path, "/api/restful/v1/activities/@me/@self/@app");
    assert_eq!(first.requestor, "1001");
    assert_eq!(first.content_type, "application/json; charset=utf8");
    assert_eq!(
        first.body["title"],
        "Ann Lee fed Bob a very long sandwich wit.."
    );
    assert_eq!(first.body["body"], "Come and play Sandwich Tower!");
    assert_eq!(
        first.body["mediaItems"][1],
        serde_json::json!({"mimeType": "image/jpeg", "url": "http://img.example/2.jpg", "type": "image"})
    );
    let gap = activities[1].at.duration_since(activities[0].at);
    assert!(
        gap >= Duration::from_millis(1900),
        "held for the window: {gap:?}"
    );
}

#[tokio::test]
async fn opensocial_gets_notifications_and_activities() {
    let c = Container::start("ck", "cs", Behaviour::default()).await;
    let app = spawn_platforms(&[platform_app(
        "os",
        "opensocial",
        &format!("{}/social/rest", c.endpoint()),
        "",
    )])
    .await;
    for uid in [1001, 1002] {
        app.install("os", uid).await;
    }
    app.befriend("os", 1001, &[1002]).await;
    let (session, _) = app.session_in("os", 1001).await;
    let a = call_in(
        &app,
        "os",
        &session,
        "notifications.send",
        &[
            ("to_ids", "1002"),
            ("notification", "Your <b>tower</b> grew"),
        ],
    )
    .await;
    assert_eq!(a.body, "\"1002\"");
    // The app speaks for itself: no session, the app as requestor.
    let call_id = app.next_call_id();
    let a = app
        .call_signed(
            &[
                ("method", "notifications.send"),
                ("api_key", "os"),
                ("call_id", &call_id),
                ("format", "JSON"),
                ("type", "app_to_user"),
                ("to_ids", "1002"),
                ("notification", "Double bread weekend"),
            ],
            "os-secret",
        )
        .await;
    assert_eq!(a.body, "\"1002\"");
    let a = call_in(
        &app,
        "os",
        &session,
        "feed.publishActionOfUser",
        &[
            ("title", "stacked <b>ten</b> slices"),
            ("body", "a record"),
            ("image_1", "http://img.example/t.png"),
            ("image_1_link", "http://apps.example.com/game/t"),
        ],
    )
    .await;
    assert_eq!(a.body, "[true]");
    let got = c.wait_accepted(3).await;
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(c.violations(), (0, 0));
    let user = got
        .iter()
        .find(|r| r.path.contains("/messages/") && r.requestor == "1001")
        .expect("the user's notification");
    assert_eq!(user.path, "/social/rest/messages/1001/@outbox");
    assert_eq!(user.body["type"], "notification");
    assert_eq!(user.body["body"], "Your tower grew");
    let from_app = got
        .iter()
        .find(|r| r.path.contains("/messages/") && r.requestor == "12000129")
        .expect("the app's notification");
    assert_eq!(from_app.recipient, "1002");
    let activity = got
        .iter()
        .find(|r| r.path.contains("/activities/"))
        .unwrap();
    assert_eq!(activity.path, "/social/rest/activities/1001/@self");
    assert_eq!(
        activity.body,
        serde_json::json!({
            "title": "stacked ten slices",
            "body": "a record",
            "url": "http://sb.sp.app.mbga.jp/game/12000129/play",
            "mediaItems": [{"mimeType": "image/png", "url": "http://img.example/t.png", "type": "image"}],
        })
    );
}

#[tokio::test]
async fn old_facebook_links_lead_into_the_app_from_the_sandbox_inbox() {
    use crate::helpers::fbml_app::{FbmlApp, SECRET};
    let fbml = FbmlApp::start().await;
    let snippet = fbml.config(10);
    let app = spawn_app_with(Backend::Redis, move |t| t + &snippet).await;
    app.seed_profiles("canvasapp").await;
    let session = app.session_in("canvasapp", 1001).await.0;
    let a = app
        .call_method_as(
            "canvasapp",
            SECRET,
            &session,
            "notifications.send",
            "JSON",
            &[
                ("to_ids", "1002"),
                (
                    "notification",
                    "watered <a href=\"http://apps.facebook.com/slicedbread/index.php?x=1\">your garden</a>",
                ),
            ],
        )
        .await;
    assert_eq!(a.body, "\"1002\"");
    app.wait_inbox("canvasapp", 1002, 1).await;
    let html = app
        .client
        .get(format!("{}/sandbox/canvasapp/inbox/1002", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let launch = "http://gateway.example/sandbox/canvasapp/launch/1002?path=index.php%3Fx%3D1";
    assert!(html.contains(&format!("href=\"{launch}\"")), "{html}");
    // The link launches the app for 1002 at that path.
    let res = app
        .client
        .get(launch.replacen("http://gateway.example", &app.address, 1))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 302);
    let entry = res.headers()["location"].to_str().unwrap().to_string();
    let res = app
        .client
        .get(entry.replacen("http://gateway.example", &app.address, 1))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let call = fbml.last();
    assert_eq!(
        (call.path.as_str(), call.query.as_str()),
        ("index.php", "x=1")
    );
    assert_eq!(call.get("fb_sig_user"), Some("1002"));
}

#[tokio::test]
async fn notifications_and_stories_on_a_cluster() {
    let app = spawn_app_with(Backend::Cluster, |t| t).await;
    app.seed_profiles(APP_KEY).await;
    let session = app.session(1001).await;
    let a = app
        .call_method(
            &session,
            "notifications.send",
            "JSON",
            &[("to_ids", "1002,1003,1004"), ("notification", "hi all")],
        )
        .await;
    assert_eq!(a.body, "\"1002,1003,1004\"");
    let a = app
        .call_method(
            &session,
            "feed.publishTemplatizedAction",
            "JSON",
            &[
                ("title_template", "{actor} greeted {target}"),
                ("target_ids", "1002,1003"),
            ],
        )
        .await;
    assert_eq!(a.body, "[true]");
    for uid in [1002, 1003, 1004] {
        let inbox = app.wait_inbox(APP_KEY, uid, 1).await;
        assert_eq!(inbox["items"][0]["item"], "notification", "{uid}: {inbox}");
    }
    let feed = wait_json(&app, &format!("/sandbox/{APP_KEY}/feed/1001"), |v| {
        items(v) >= 1
    })
    .await;
    assert_eq!(
        feed["items"][0]["title"],
        "Ann Lee greeted Alice Smith and Bob Jones"
    );
}

#[tokio::test]
async fn fb_name_reads_as_the_name() {
    let (app, session) = seeded().await;
    let a = app
        .call_method(
            &session,
            "notifications.send",
            "JSON",
            &[
                ("to_ids", "1004"),
                (
                    "notification",
                    r#"<fb:name uid="loggedinuser" useyou="false"/> fed <fb:name uid="1004"/>'s cat and <fb:name uid="777"/>'s dog"#,
                ),
            ],
        )
        .await;
    assert_eq!(a.body, "\"1004\"");
    let inbox = app.wait_inbox(APP_KEY, 1004, 1).await;
    assert_eq!(
        inbox["items"][0]["content"],
        "Ann Lee fed Carol &lt;b&gt;King&lt;/b&gt;'s cat and a friend's dog"
    );
    let a = app
        .call_method(
            &session,
            "feed.publishActionOfUser",
            "JSON",
            &[("title", r#"played with <fb:name uid="1002"/>"#)],
        )
        .await;
    assert_eq!(a.body, "[true]");
    let feed = wait_json(&app, &format!("/sandbox/{APP_KEY}/feed/1001"), |v| {
        items(v) >= 1
    })
    .await;
    assert_eq!(feed["items"][0]["title"], "played with Alice Smith");
}
