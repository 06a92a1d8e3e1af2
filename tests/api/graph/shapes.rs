//! friends.* and users.* in three formats, byte for byte.

use super::*;

#[tokio::test]
async fn friends_get_and_get_app_users_in_every_format() {
    let (app, session) = seeded().await;
    let a = app
        .call_method(&session, "facebook.friends.get", "XML", &[])
        .await;
    assert_eq!(
        (a.status, a.content_type.as_str()),
        (200, "text/xml; charset=utf-8")
    );
    assert_eq!(
        a.body,
        xml(
            "friends_get_response",
            " list=\"true\">\n  <uid>1002</uid>\n  <uid>1003</uid>\n  <uid>1004</uid>\n</friends_get_response>"
        )
    );
    let a = app.call_method(&session, "friends.get", "json", &[]).await;
    assert_eq!(a.body, "[1002,1003,1004]");
    let a = app
        .call_method(&session, "friends.get", "JSON", &[("callback", "cb")])
        .await;
    assert_eq!(
        (a.content_type.as_str(), a.body.as_str()),
        ("text/javascript", "cb([1002,1003,1004]);")
    );
    let a = app
        .call_method(&session, "friends.getAppUsers", "XML", &[])
        .await;
    assert_eq!(
        a.body,
        xml(
            "friends_getAppUsers_response",
            " list=\"true\">\n  <uid>1002</uid>\n  <uid>1003</uid>\n</friends_getAppUsers_response>"
        )
    );
    let a = app
        .call_method(&session, "friends.getAppUsers", "JSON", &[])
        .await;
    assert_eq!(a.body, "[1002,1003]");
    // Asking with the session user's own uid is allowed; anyone else's is a permissions error.
    let a = app
        .call_method(&session, "friends.get", "JSON", &[("uid", "1001")])
        .await;
    assert_eq!(a.body, "[1002,1003,1004]");
    let a = app
        .call_method(&session, "friends.get", "JSON", &[("uid", "1002")])
        .await;
    assert_eq!(a.error_code(), Some(200), "{}", a.body);
    assert!(a
        .body
        .starts_with(r#"{"error_code":200,"error_msg":"Permissions error""#));

    // Nobody's friend: the empty list.
    let lonely = app.session(1005).await;
    let a = app.call_method(&lonely, "friends.get", "XML", &[]).await;
    assert_eq!(a.body, xml("friends_get_response", " list=\"true\"/>"));
    let a = app
        .call_method(&lonely, "friends.getAppUsers", "JSON", &[])
        .await;
    assert_eq!(a.body, "[]");
}

#[tokio::test]
async fn are_friends_answers_only_what_the_user_may_know() {
    let (app, session) = seeded().await;
    let pairs = [
        ("uids1", "1001,1002,1003,9998"),
        ("uids2", "[1002,1004,1001,9999]"),
    ];
    let a = app
        .call_method(&session, "friends.areFriends", "JSON", &pairs)
        .await;
    assert_eq!(
        a.body,
        r#"[{"uid1":"1001","uid2":"1002","are_friends":true},{"uid1":"1002","uid2":"1004","are_friends":false},{"uid1":"1003","uid2":"1001","are_friends":true},{"uid1":"9998","uid2":"9999","are_friends":null}]"#
    );
    let a = app
        .call_method(
            &session,
            "friends.areFriends",
            "XML",
            &[("uids1", "1001,9998"), ("uids2", "1004,9999")],
        )
        .await;
    assert_eq!(
        a.body,
        xml(
            "friends_areFriends_response",
            " list=\"true\">\n  <friend_info>\n    <uid1>1001</uid1>\n    <uid2>1004</uid2>\n    <are_friends>1</are_friends>\n  </friend_info>\n  <friend_info>\n    <uid1>9998</uid1>\n    <uid2>9999</uid2>\n    <are_friends xsi:nil=\"true\"/>\n  </friend_info>\n</friends_areFriends_response>"
        )
    );
    for bad in [
        [("uids1", "1001,1002"), ("uids2", "1003")],
        [("uids1", "1001"), ("uids2", "x")],
        [("uids1", ""), ("uids2", "")],
    ] {
        let a = app
            .call_method(&session, "friends.areFriends", "JSON", &bad)
            .await;
        assert_eq!(a.error_code(), Some(100), "{bad:?}: {}", a.body);
    }
}

#[tokio::test]
async fn users_get_info_uid_first_then_fields_in_order_visible_users_only() {
    let (app, session) = seeded().await;
    let ask = [
        ("uids", "1002,9999,1004"),
        ("fields", "name,pic_square,is_app_user,quotes,meeting_sex"),
    ];
    let a = app
        .call_method(&session, "users.getInfo", "JSON", &ask)
        .await;
    assert_eq!(
        a.body,
        r#"[{"uid":1002,"name":"Alice Smith","pic_square":"http://img.example/1002.png","is_app_user":true,"quotes":"","meeting_sex":[]},{"uid":1004,"name":"Carol <b>King</b>","pic_square":"http://img.example/1004.png","is_app_user":false,"quotes":"","meeting_sex":[]}]"#
    );
    let a = app
        .call_method(
            &session,
            "users.getInfo",
            "XML",
            &[
                ("uids", "[\"1004\"]"),
                (
                    "fields",
                    "[\"last_name\",\"has_added_app\",\"sex\",\"affiliations\"]",
                ),
            ],
        )
        .await;
    assert_eq!(
        a.body,
        xml(
            "users_getInfo_response",
            " list=\"true\">\n  <user>\n    <uid>1004</uid>\n    <last_name>&lt;b&gt;King&lt;/b&gt;</last_name>\n    <has_added_app>0</has_added_app>\n    <sex>female</sex>\n    <affiliations list=\"true\"/>\n  </user>\n</users_getInfo_response>"
        )
    );
    // Nobody visible: the empty list.
    let a = app
        .call_method(
            &session,
            "users.getInfo",
            "JSON",
            &[("uids", "9999"), ("fields", "name")],
        )
        .await;
    assert_eq!(a.body, "[]");
    for bad in [
        [("uids", "1002"), ("fields", "password")],
        [("uids", "1002"), ("fields", "")],
        [("uids", "abc"), ("fields", "name")],
    ] {
        let a = app
            .call_method(&session, "users.getInfo", "JSON", &bad)
            .await;
        assert_eq!(a.error_code(), Some(100), "{bad:?}: {}", a.body);
    }
}

#[tokio::test]
async fn logged_in_user_and_app_user_flags() {
    let (app, session) = seeded().await;
    let a = app
        .call_method(&session, "users.getLoggedInUser", "XML", &[])
        .await;
    assert_eq!(
        a.body,
        xml(
            "users_getLoggedInUser_response",
            ">1001</users_getLoggedInUser_response>"
        )
    );
    let a = app
        .call_method(&session, "users.getLoggedInUser", "JSON", &[])
        .await;
    assert_eq!(a.body, "1001");
    let a = app
        .call_method(&session, "users.isAppUser", "XML", &[])
        .await;
    assert_eq!(
        a.body,
        xml("users_isAppUser_response", ">1</users_isAppUser_response>")
    );
    let a = app
        .call_method(&session, "users.isAppUser", "XML", &[("uid", "1004")])
        .await;
    assert_eq!(
        a.body,
        xml("users_isAppUser_response", ">0</users_isAppUser_response>")
    );
    let a = app
        .call_method(&session, "users.isAppUser", "JSON", &[("uid", "1004")])
        .await;
    assert_eq!(a.body, "false");
    let a = app
        .call_method(&session, "users.isAppAdded", "JSON", &[])
        .await;
    assert_eq!(a.body, "true");
    let a = app
        .call_method(&session, "users.isAppAdded", "JSON", &[("callback", "x.y")])
        .await;
    assert_eq!(a.body, "x.y(true);");
    let a = app
        .call_method(&session, "users.isAppUser", "JSON", &[("uid", "9999")])
        .await;
    assert_eq!(a.error_code(), Some(200), "{}", a.body);
}

#[tokio::test]
async fn the_session_gate_applies_to_every_read() {
    let (app, session) = seeded().await;
    for method in [
        "friends.get",
        "friends.getAppUsers",
        "users.getLoggedInUser",
        "users.isAppUser",
        "users.isAppAdded",
    ] {
        let a = app
            .call_method(
                &format!("{}0", &session[..session.len() - 1]),
                method,
                "JSON",
                &[],
            )
            .await;
        assert_eq!(a.error_code(), Some(102), "{method}: {}", a.body);
        let a = app
            .call_signed(
                &[
                    ("method", method),
                    ("api_key", APP_KEY),
                    ("call_id", "1"),
                    ("format", "JSON"),
                ],
                APP_SECRET,
            )
            .await;
        assert_eq!(
            a.error_code(),
            Some(102),
            "{method} without session: {}",
            a.body
        );
    }
    // call_id must advance on reads too.
    let call = [
        ("method", "friends.get"),
        ("api_key", APP_KEY),
        ("session_key", session.as_str()),
        ("call_id", "5"),
        ("format", "JSON"),
    ];
    assert_eq!(
        app.call_signed(&call, APP_SECRET).await.body,
        "[1002,1003,1004]"
    );
    assert_eq!(
        app.call_signed(&call, APP_SECRET).await.error_code(),
        Some(103)
    );
}

#[tokio::test]
async fn apps_never_see_each_others_graphs() {
    let (app, _) = seeded().await;
    let (other, _) = app.session_in("nocallid", 1001).await;
    let a = app
        .call_method_as(
            "nocallid",
            "nocallidsecret",
            &other,
            "friends.get",
            "JSON",
            &[],
        )
        .await;
    assert_eq!(a.body, "[]");
    let a = app
        .call_method_as(
            "nocallid",
            "nocallidsecret",
            &other,
            "users.getInfo",
            "JSON",
            &[("uids", "1001,1002"), ("fields", "name")],
        )
        .await;
    assert_eq!(a.body, r#"[{"uid":1001,"name":""}]"#);
}

#[tokio::test]
async fn profiles_through_the_admin_api() {
    let app = spawn_app_with(Backend::Memory, |t| t).await;
    let path = "/admin/v1/apps/app1/users/1002/profile";
    let (status, _) = app.admin(reqwest::Method::GET, path, None).await;
    assert_eq!(status, 404);
    app.set_profile(
        APP_KEY,
        1002,
        serde_json::json!({"name": " Alice ", "pic_square": "javascript:alert(1)", "pic": "https://img.example/a.png"}),
    )
    .await;
    let (status, body) = app.admin(reqwest::Method::GET, path, None).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        serde_json::json!({"name": "Alice", "pic": "https://img.example/a.png"})
    );
    let (status, body) = app
        .admin(
            reqwest::Method::PUT,
            path,
            Some(serde_json::json!({"password": "x"})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn the_graph_methods_on_a_cluster() {
    let app = spawn_app_with(Backend::Cluster, |t| t).await;
    app.seed_profiles(APP_KEY).await;
    let session = app.session(1001).await;
    assert_eq!(
        app.call_method(&session, "friends.get", "JSON", &[])
            .await
            .body,
        "[1002,1003,1004]"
    );
    let a = app
        .call_method(
            &session,
            "users.getInfo",
            "JSON",
            &[("uids", "1003"), ("fields", "name")],
        )
        .await;
    assert_eq!(a.body, r#"[{"uid":1003,"name":"Bob Jones"}]"#);
    let a = app
        .call_method(
            &session,
            "fql.query",
            "JSON",
            &[("query", "SELECT uid FROM user WHERE has_added_app = 1 AND uid IN (SELECT uid2 FROM friend WHERE uid1 = 1001)")],
        )
        .await;
    assert_eq!(a.body, r#"[{"uid":1002},{"uid":1003}]"#);
    let a = app
        .call_method(
            &session,
            "friends.areFriends",
            "JSON",
            &[("uids1", "1002"), ("uids2", "1003")],
        )
        .await;
    assert_eq!(
        a.body,
        r#"[{"uid1":"1002","uid2":"1003","are_friends":false}]"#
    );
}
