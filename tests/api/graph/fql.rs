//! fql.query: the invite-page query, columns in SELECT order, the root without a schema
//! location, and errors 601-605 with Facebook's texts.

use super::*;

const INVITE_QUERY: &str = "SELECT uid FROM user WHERE has_added_app = 1 AND uid IN (SELECT uid2 FROM friend WHERE uid1 = 1001)";

#[tokio::test]
async fn the_invite_page_query_in_every_format() {
    let (app, session) = seeded().await;
    let a = app
        .call_method(
            &session,
            "facebook.fql.query",
            "XML",
            &[("query", INVITE_QUERY)],
        )
        .await;
    assert_eq!(
        a.body,
        format!("{XML_DECL}<fql_query_response {XML_NS_FQL} list=\"true\">\n  <user>\n    <uid>1002</uid>\n  </user>\n  <user>\n    <uid>1003</uid>\n  </user>\n</fql_query_response>")
    );
    let a = app
        .call_method(&session, "fql.query", "JSON", &[("query", INVITE_QUERY)])
        .await;
    assert_eq!(a.body, r#"[{"uid":1002},{"uid":1003}]"#);
    let a = app
        .call_method(
            &session,
            "fql.query",
            "JSON",
            &[("query", INVITE_QUERY), ("callback", "cb")],
        )
        .await;
    assert_eq!(a.body, r#"cb([{"uid":1002},{"uid":1003}]);"#);
}

#[tokio::test]
async fn columns_follow_the_select_and_rows_the_table() {
    let (app, session) = seeded().await;
    let q = "SELECT name, pic_square, uid, is_app_user FROM user WHERE uid IN (1004, 9999) OR uid = 1001";
    let a = app
        .call_method(&session, "fql.query", "JSON", &[("query", q)])
        .await;
    assert_eq!(
        a.body,
        r#"[{"name":"Ann Lee","pic_square":"http://img.example/1001.png","uid":1001,"is_app_user":true},{"name":"Carol <b>King</b>","pic_square":"http://img.example/1004.png","uid":1004,"is_app_user":false}]"#
    );
    let q = "SELECT uid2, uid1 FROM friend WHERE uid1 = 1001";
    let a = app
        .call_method(&session, "fql.query", "XML", &[("query", q)])
        .await;
    assert_eq!(
        a.body,
        format!("{XML_DECL}<fql_query_response {XML_NS_FQL} list=\"true\">\n  <friend>\n    <uid2>1002</uid2>\n    <uid1>1001</uid1>\n  </friend>\n  <friend>\n    <uid2>1003</uid2>\n    <uid1>1001</uid1>\n  </friend>\n  <friend>\n    <uid2>1004</uid2>\n    <uid1>1001</uid1>\n  </friend>\n</fql_query_response>")
    );
    let q = "SELECT uid FROM user WHERE uid = 9999";
    let a = app
        .call_method(&session, "fql.query", "XML", &[("query", q)])
        .await;
    assert_eq!(
        a.body,
        format!("{XML_DECL}<fql_query_response {XML_NS_FQL} list=\"true\"/>")
    );
    let a = app
        .call_method(&session, "fql.query", "JSON", &[("query", q)])
        .await;
    assert_eq!(a.body, "[]");
}

#[tokio::test]
async fn errors_601_to_605_with_facebooks_texts() {
    let (app, session) = seeded().await;
    let cases = [
        ("SELECT uid FROM user WHERE uid = = 1001", 601, "Parser error: unexpected '=' at position 33."),
        ("SELECT uid FROM user WHERE", 601, "Parser error: unexpected end of query."),
        ("SELECT * FROM user WHERE uid = 1001", 601, "Parser error: SELECT * is not supported.  Please manually list the columns you are interested in."),
        ("SELECT uid FROM user", 601, "Parser error: WHERE clause is required."),
        ("SELECT secret FROM user WHERE uid = 1001", 602, "secret is not a member of the user table."),
        ("SELECT uid FROM friend WHERE uid1 = 1001", 602, "uid is not a member of the friend table."),
        ("SELECT name FROM page WHERE page_id = 1", 603, "Unknown table: page"),
        ("SELECT uid FROM user WHERE name = 'Alice Smith'", 604, "Your statement is not indexable - the WHERE clause must contain one of the columns marked with a star in http://developers.facebook.com/documentation.php?doc=fql"),
        ("SELECT uid2 FROM friend WHERE uid1 = 1002", 604, "Can't lookup all friends of 1002; only for the logged in user (1001) or for pairs of users."),
        ("SELECT uid FROM user WHERE uid = now()", 605, "now is not a valid function name."),
    ];
    for (q, code, msg) in cases {
        let a = app
            .call_method(&session, "fql.query", "JSON", &[("query", q)])
            .await;
        assert_eq!(a.error_code(), Some(code), "{q}: {}", a.body);
        assert_eq!(a.json()["error_msg"], msg, "{q}");
    }
    // The XML error of fql.query has no schemaLocation either; the text is escaped.
    let a = app
        .call_method(
            &session,
            "fql.query",
            "XML",
            &[("query", "SELECT uid FROM user WHERE uid < 'x'")],
        )
        .await;
    assert!(
        a.body.starts_with(&format!("{XML_DECL}<error_response {XML_NS_FQL}>\n  <error_code>601</error_code>\n  <error_msg>Parser error: unexpected ")),
        "{}",
        a.body
    );
    // A missing query is a parameter error, after the session gate.
    let a = app.call_method(&session, "fql.query", "JSON", &[]).await;
    assert_eq!(a.error_code(), Some(100));
    let a = app
        .call_method(
            "0123456789abcdef0123456789abcdef-1001",
            "fql.query",
            "JSON",
            &[("query", "x")],
        )
        .await;
    assert_eq!(a.error_code(), Some(102));
}
