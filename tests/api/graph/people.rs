//! The graph copied from a platform's People API: signed calls, paging, Mobage's
//! startIndex from 1, mixi's string `hasApp` and alphanumeric ids (numeric aliases), the
//! copy's time to live, an outage served from the copy, and error 2 without one.

use std::time::Duration;

use fbbridge::domain::profile::ALIAS_BASE;
use fbbridge::domain::ApiKey;
use fbbridge::store::Graph;

use super::*;
use crate::helpers::people::{PeopleApi, CONSUMER_KEY, CONSUMER_SECRET};

fn platform_app(api_key: &str, platform: &str, people: &PeopleApi, ttl_secs: u64) -> String {
    format!(
        r#"
[[app]]
api_key = "{api_key}"
secret = "{api_key}secret"
callback_url = "http://apps.example.com/{api_key}/"
platform = "{platform}"
[app.upstream]
endpoint = "http://127.0.0.1:{port}"
consumer_key = "{CONSUMER_KEY}"
consumer_secret = "{CONSUMER_SECRET}"
people_url = "{url}"
graph_ttl_secs = {ttl_secs}
"#,
        port = people.port,
        url = people.url()
    )
}

async fn mobage_with_friends(ttl_secs: u64) -> (TestApp, PeopleApi, String) {
    let people = PeopleApi::start(1, false).await;
    people.person("1001", "Ann Lee", true);
    for (id, name, has_app) in [
        ("1002", "Alice Smith", true),
        ("1003", "Bob Jones", false),
        ("1004", "Carol King", true),
        ("1005", "Dan Brown", true),
    ] {
        people.person(id, name, has_app);
        people.befriend("1001", id);
    }
    let snippet = platform_app("mbg", "mobage", &people, ttl_secs);
    let app = spawn_app_with(Backend::Redis, |t| t + &snippet).await;
    let (session, _) = app.session_in("mbg", 1001).await;
    (app, people, session)
}

async fn call(app: &TestApp, session: &str, method: &str, extra: &[(&str, &str)]) -> Answer {
    app.call_method_as("mbg", "mbgsecret", session, method, "JSON", extra)
        .await
}

#[tokio::test]
async fn mobage_friends_come_from_the_people_api_page_by_page() {
    let (app, people, session) = mobage_with_friends(3600).await;
    assert_eq!(
        call(&app, &session, "friends.get", &[]).await.body,
        "[1002,1003,1004,1005]"
    );
    assert_eq!(people.refused(), Vec::<String>::new());
    let calls = people.calls();
    assert!(
        calls.iter().all(|(_, requestor, _)| requestor == "1001"),
        "{calls:?}"
    );
    let friend_pages: Vec<Option<usize>> = calls
        .iter()
        .filter(|(p, _, _)| p.ends_with("/@friends"))
        .map(|(_, _, s)| *s)
        .collect();
    assert_eq!(
        friend_pages,
        vec![Some(1), Some(3)],
        "Mobage pages start at 1"
    );
    assert_eq!(
        calls
            .iter()
            .filter(|(p, _, _)| p.ends_with("/@self"))
            .count(),
        1
    );

    // Cached: the next calls read the copy, not the platform.
    assert_eq!(
        call(&app, &session, "friends.getAppUsers", &[]).await.body,
        "[1002,1004,1005]"
    );
    let info = call(
        &app,
        &session,
        "users.getInfo",
        &[
            ("uids", "1001,1003"),
            (
                "fields",
                "name,first_name,pic_square,sex,profile_url,is_app_user",
            ),
        ],
    )
    .await;
    assert_eq!(
        info.body,
        r#"[{"uid":1001,"name":"Ann Lee","first_name":"Ann","pic_square":"http://img.example/1001.png","sex":"female","profile_url":"http://platform.example/1001","is_app_user":true},{"uid":1003,"name":"Bob Jones","first_name":"Bob","pic_square":"http://img.example/1003.png","sex":"female","profile_url":"http://platform.example/1003","is_app_user":false}]"#
    );
    assert_eq!(people.calls().len(), calls.len(), "served from the copy");
    // Friendship is written both ways: 1002's own view knows 1001 before 1002 ever syncs.
    let api = ApiKey::parse("mbg").unwrap();
    let theirs = app
        .store
        .view(&api, fbbridge::domain::Uid::new(1002).unwrap(), true)
        .await
        .unwrap();
    assert!(theirs.is_friend(fbbridge::domain::Uid::new(1001).unwrap()));
}

#[tokio::test]
async fn an_expired_copy_is_refreshed_and_served_while_the_platform_is_down() {
    let (app, people, session) = mobage_with_friends(1).await;
    assert_eq!(
        call(&app, &session, "friends.get", &[]).await.body,
        "[1002,1003,1004,1005]"
    );
    let before = people.calls().len();
    // The time to live (1 s) passes; a new friend appears on the platform.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    people.person("1006", "Eve Adams", true);
    people.befriend("1001", "1006");
    assert_eq!(
        call(&app, &session, "friends.get", &[]).await.body,
        "[1002,1003,1004,1005,1006]"
    );
    assert!(people.calls().len() > before);

    // Down: the older copy is still served, once expired too.
    people.set_down(true);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        call(&app, &session, "friends.get", &[]).await.body,
        "[1002,1003,1004,1005,1006]"
    );
    // A user with no copy at all: error 2.
    let (stranger, _) = app.session_in("mbg", 2001).await;
    let a = call(&app, &stranger, "friends.get", &[]).await;
    assert_eq!(a.error_code(), Some(2), "{}", a.body);
    assert_eq!(a.json()["error_msg"], "Service temporarily unavailable");
}

#[tokio::test]
async fn a_send_request_to_a_new_friend_refreshes_the_copy() {
    let (app, people, session) = mobage_with_friends(3600).await;
    assert_eq!(
        call(&app, &session, "friends.get", &[]).await.body,
        "[1002,1003,1004,1005]"
    );
    people.person("1007", "Fay Wong", true);
    people.befriend("1001", "1007");
    let a = app
        .send_request_as("mbg", "mbgsecret", &session, "1007", &[])
        .await;
    assert_eq!(
        a.body, "\"\"",
        "queued for the new friend, who uses the app"
    );
    assert_eq!(
        call(&app, &session, "friends.get", &[]).await.body,
        "[1002,1003,1004,1005,1007]"
    );
}

#[tokio::test]
async fn mixi_ids_get_stable_numeric_aliases() {
    let people = PeopleApi::start(0, true).await;
    people.person("m_ann", "Ann", true);
    for (id, name, has_app) in [("m_bob", "Bob", true), ("m_cy", "Cy", false)] {
        people.person(id, name, has_app);
        people.befriend("m_ann", id);
    }
    let snippet = platform_app("mx", "mixi", &people, 3600);
    let redis = RedisServer::start();
    let section = redis_section(&redis.url());
    let config = test_config(&section, |t| t + &snippet);
    let second_config = config.clone();
    let app = spawn_with_config(config, Some(redis)).await;
    let api = ApiKey::parse("mx").unwrap();
    let ann = app.store.alias(&api, "m_ann").await.unwrap();
    assert!(ann.get() >= ALIAS_BASE);
    let (session, _) = app.session_in("mx", ann.get()).await;
    let friends = app
        .call_method_as(
            "mx",
            "mxsecret",
            &session,
            "friends.getAppUsers",
            "JSON",
            &[],
        )
        .await
        .json();
    let bob = friends[0].as_u64().expect("a number");
    assert_eq!(
        friends.as_array().unwrap().len(),
        1,
        "hasApp \"true\" / \"false\" as text"
    );
    assert_eq!(
        app.store
            .platform_id(&api, fbbridge::domain::Uid::new(bob).unwrap())
            .await
            .unwrap()
            .as_deref(),
        Some("m_bob")
    );
    let calls = people.calls();
    assert!(
        calls.iter().all(|(_, r, _)| r == "m_ann"),
        "mapped back to the platform id: {calls:?}"
    );
    assert_eq!(
        calls
            .iter()
            .find(|(p, _, _)| p.ends_with("@friends"))
            .unwrap()
            .2,
        Some(0)
    );
    // Another gateway on the same Redis agrees on every alias.
    let second = spawn_with_config(second_config, None).await;
    assert_eq!(second.store.alias(&api, "m_bob").await.unwrap().get(), bob);
    assert_eq!(second.store.alias(&api, "m_ann").await.unwrap(), ann);
}
