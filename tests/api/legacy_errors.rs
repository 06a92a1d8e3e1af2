//! Every legacy error path, checked byte for byte in XML, JSON and JSONP.

use crate::helpers::*;

const NS: &str = r#"xmlns="http://api.facebook.com/1.0/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://api.facebook.com/1.0/ http://api.facebook.com/1.0/facebook.xsd""#;

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

fn expected_xml(code: i64, msg: &str, args: &[(String, String)]) -> String {
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<error_response {NS}>\n  <error_code>{code}</error_code>\n  <error_msg>{msg}</error_msg>\n  <request_args list=\"true\">"
    );
    for (k, v) in args {
        s.push_str(&format!(
            "<arg><key>{}</key><value>{}</value></arg>",
            xml_escape(k),
            xml_escape(v)
        ));
    }
    s.push_str("</request_args>\n</error_response>");
    s
}

fn expected_json(code: i64, msg: &str, args: &[(String, String)]) -> String {
    let args: Vec<serde_json::Value> = args
        .iter()
        .map(|(k, v)| serde_json::json!({"key": k, "value": v}))
        .collect();
    // serde_json keeps insertion order only with preserve_order; build by hand instead.
    let mut s = format!("{{\"error_code\":{code},\"error_msg\":\"{msg}\",\"request_args\":[");
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!(
            "{{\"key\":{},\"value\":{}}}",
            serde_json::to_string(&a["key"]).unwrap(),
            serde_json::to_string(&a["value"]).unwrap()
        ));
    }
    s.push_str("]}");
    s
}

fn js_escape(s: &str, single_quoted: bool) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '\\' if single_quoted => out.push_str("\\\\"),
            '\'' if single_quoted => out.push_str("\\'"),
            '\n' if single_quoted => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// The answer variants every error is checked in.
const VARIANTS: &[&[(&str, &str)]] = &[
    &[],
    &[("format", "XML")],
    &[("format", "json")],
    &[("format", "JSON"), ("callback", "jQuery1_2.cb$")],
    &[("callback", "cb")],
    // Not a JS name (the Perl client sends its callback URL): answered unwrapped.
    &[
        ("format", "JSON"),
        ("callback", "http://apps.example.com/x/"),
    ],
    &[("callback", "alert(1);x")],
];

/// Calls `make(call_id, variant)` for every variant and checks the exact error body.
async fn check_error(
    app: &TestApp,
    code: i64,
    msg: &str,
    make: impl Fn(&str, &[(&str, &str)]) -> Vec<(String, String)>,
) {
    for variant in VARIANTS {
        let call_id = app.next_call_id();
        let params = make(&call_id, variant);
        let ans = app.post_form(&params).await;
        assert_eq!(ans.status, 200, "{}", ans.body);
        let is_json = variant
            .iter()
            .any(|(k, v)| *k == "format" && v.eq_ignore_ascii_case("json"));
        let callback = variant
            .iter()
            .find(|(k, _)| *k == "callback")
            .map(|(_, v)| *v)
            .filter(|cb| fbbridge::http::legacy::response::is_safe_callback(cb));
        let plain = if is_json {
            expected_json(code, msg, &params)
        } else {
            expected_xml(code, msg, &params)
        };
        let (content_type, body) = match (callback, is_json) {
            (None, true) => ("application/json", plain),
            (None, false) => ("text/xml; charset=utf-8", plain),
            (Some(cb), true) => (
                "text/javascript",
                format!("{cb}({});", js_escape(&plain, false)),
            ),
            (Some(cb), false) => (
                "text/javascript",
                format!("{cb}('{}');", js_escape(&plain, true)),
            ),
        };
        assert_eq!(ans.content_type, content_type, "variant {variant:?}");
        assert_eq!(ans.body, body, "variant {variant:?}");
    }
}

fn call(
    api_key: &str,
    secret: &str,
    method: &str,
    session: Option<&str>,
    call_id: Option<&str>,
    extra: &[(&str, &str)],
    variant: &[(&str, &str)],
) -> Vec<(String, String)> {
    let mut p: Vec<(&str, &str)> = vec![("method", method), ("api_key", api_key), ("v", "1.0")];
    if let Some(s) = session {
        p.push(("session_key", s));
    }
    if let Some(c) = call_id {
        p.push(("call_id", c));
    }
    p.extend_from_slice(extra);
    p.extend_from_slice(variant);
    signed(&p, secret)
}

const SEND: &str = "facebook.notifications.sendRequest";
const CONTENT: (&str, &str) = (
    "content",
    "Hi <fb:req-choice url=\"http://apps.example.com/slicedbread/\" label=\"Go\"/>",
);

#[tokio::test]
async fn literal_bodies_for_one_error() {
    let app = spawn_app_with(Backend::Memory, |t| t).await;
    let ans = app
        .post_form(&[
            ("method".into(), "x".into()),
            ("api_key".into(), "nope".into()),
        ])
        .await;
    assert_eq!(ans.status, 200);
    assert_eq!(ans.content_type, "text/xml; charset=utf-8");
    assert_eq!(
        ans.body,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<error_response xmlns="http://api.facebook.com/1.0/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://api.facebook.com/1.0/ http://api.facebook.com/1.0/facebook.xsd">
  <error_code>101</error_code>
  <error_msg>Invalid API key</error_msg>
  <request_args list="true"><arg><key>method</key><value>x</value></arg><arg><key>api_key</key><value>nope</value></arg></request_args>
</error_response>"#
    );
    let ans = app
        .post_form(&[
            ("format".into(), "JSON".into()),
            ("api_key".into(), "nope".into()),
        ])
        .await;
    assert_eq!(ans.content_type, "application/json");
    assert_eq!(
        ans.body,
        r#"{"error_code":101,"error_msg":"Invalid API key","request_args":[{"key":"format","value":"JSON"},{"key":"api_key","value":"nope"}]}"#
    );
}

#[tokio::test]
async fn error_101_unknown_or_missing_api_key() {
    let app = spawn_app().await;
    check_error(&app, 101, "Invalid API key", |c, v| {
        call("nope", "x", SEND, None, Some(c), &[], v)
    })
    .await;
    check_error(&app, 101, "Invalid API key", |_, v| {
        let mut p: Vec<(String, String)> = vec![("method".into(), SEND.into())];
        p.extend(v.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        p
    })
    .await;
}

#[tokio::test]
async fn error_5_source_ip_outside_the_allowed_ranges() {
    let app = spawn_app().await;
    check_error(&app, 5, "Unauthorized source IP address", |c, v| {
        call("office", "officesecret", SEND, None, Some(c), &[], v)
    })
    .await;
}

#[tokio::test]
async fn forwarded_for_counts_only_when_trusted() {
    let trusting = spawn_app_with(Backend::Memory, |t| {
        t.replace(
            "body_timeout_ms = 2000",
            "body_timeout_ms = 2000\ntrust_forwarded_for = true",
        )
    })
    .await;
    let distrusting = spawn_app_with(Backend::Memory, |t| t).await;
    let params = call(
        "office",
        "officesecret",
        "users.getInfo",
        None,
        None,
        &[("format", "JSON")],
        &[],
    );
    for (app, header, expected) in [
        (&trusting, "203.0.113.9, 10.1.2.3", 3),
        (&trusting, "10.1.2.3, 203.0.113.9", 5),
        (&trusting, "192.0.2.7", 3),
        (&distrusting, "10.1.2.3", 5),
    ] {
        let res = app
            .client
            .post(format!("{}/restserver.php", app.address))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-forwarded-for", header)
            .body(form(&params))
            .send()
            .await
            .unwrap();
        let ans = answer(res).await;
        assert_eq!(ans.error_code(), Some(expected), "{header}: {}", ans.body);
    }
}

#[tokio::test]
async fn error_104_bad_or_missing_signature() {
    let app = spawn_app().await;
    let session = app.session(1001).await;
    check_error(&app, 104, "Incorrect signature", |c, v| {
        call(
            APP_KEY,
            "wrong-secret",
            SEND,
            Some(&session),
            Some(c),
            &[],
            v,
        )
    })
    .await;
    check_error(&app, 104, "Incorrect signature", |c, v| {
        let mut p = call(APP_KEY, APP_SECRET, SEND, Some(&session), Some(c), &[], v);
        p.pop(); // no sig at all
        p
    })
    .await;
    // ss=1 means the session secret; the app secret is then wrong.
    check_error(&app, 104, "Incorrect signature", |c, v| {
        call(
            APP_KEY,
            APP_SECRET,
            SEND,
            Some(&session),
            Some(c),
            &[("ss", "1")],
            v,
        )
    })
    .await;
}

#[tokio::test]
async fn error_102_unknown_foreign_malformed_or_expired_session() {
    error_102_unknown_foreign_malformed_or_expired_session_on(Backend::Redis).await;
}

pub async fn error_102_unknown_foreign_malformed_or_expired_session_on(backend: Backend) {
    let app = spawn_app_with(backend, |t| t).await;
    let (other_apps_session, _) = app.session_in("nocallid", 1001).await;
    for session in [
        "0123456789abcdef0123456789abcdef-1001",
        other_apps_session.as_str(),
        "garbage",
    ] {
        check_error(
            &app,
            102,
            "Session key invalid or no longer valid",
            |c, v| {
                call(
                    APP_KEY,
                    APP_SECRET,
                    SEND,
                    Some(session),
                    Some(c),
                    &[("to_ids", "1002"), ("type", "x"), CONTENT],
                    v,
                )
            },
        )
        .await;
    }
    // No session at all.
    check_error(
        &app,
        102,
        "Session key invalid or no longer valid",
        |c, v| {
            call(
                APP_KEY,
                APP_SECRET,
                SEND,
                None,
                Some(c),
                &[("to_ids", "1002"), ("type", "x"), CONTENT],
                v,
            )
        },
    )
    .await;
    // Expired (an app whose sessions last one second; a session asked for through the admin
    // API lasts at least a minute).
    let (status, body) = app
        .admin(
            reqwest::Method::POST,
            "/admin/v1/sessions",
            Some(serde_json::json!({"api_key": "brief", "uid": "1001"})),
        )
        .await;
    assert_eq!(status, 201);
    let short = body["session_key"].as_str().unwrap().to_string();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    check_error(
        &app,
        102,
        "Session key invalid or no longer valid",
        |c, v| {
            call(
                "brief",
                "briefsecret",
                SEND,
                Some(&short),
                Some(c),
                &[("to_ids", "1002"), ("type", "x"), CONTENT],
                v,
            )
        },
    )
    .await;
}

#[tokio::test]
async fn error_103_call_id_not_greater_or_malformed() {
    error_103_call_id_not_greater_or_malformed_on(Backend::Redis).await;
}

pub async fn error_103_call_id_not_greater_or_malformed_on(backend: Backend) {
    let app = spawn_app_with(backend, |t| t).await;
    app.seed_graph(APP_KEY).await;
    let session = app.session(1001).await;
    let first = app
        .call_signed(
            &[
                ("method", "users.getInfo"),
                ("api_key", APP_KEY),
                ("session_key", &session),
                ("call_id", "1795376183.1118"),
                ("format", "JSON"),
            ],
            APP_SECRET,
        )
        .await;
    assert_eq!(first.error_code(), Some(3), "{}", first.body);
    for stale in ["1795376183.1118", "1795376183.11", "1795376183", "2"] {
        check_error(&app, 103, "Invalid call_id", |_, v| {
            call(
                APP_KEY,
                APP_SECRET,
                SEND,
                Some(&session),
                Some(stale),
                &[("to_ids", "1002"), ("type", "x"), CONTENT],
                v,
            )
        })
        .await;
    }
    for malformed in ["abc", "-5", "1e12", ""] {
        check_error(&app, 103, "Invalid call_id", |_, v| {
            call(
                APP_KEY,
                APP_SECRET,
                SEND,
                Some(&session),
                Some(malformed),
                &[("to_ids", "1002"), ("type", "x"), CONTENT],
                v,
            )
        })
        .await;
    }
    // Exact decimals: one ten-thousandth more is accepted.
    let later = app
        .call_signed(
            &[
                ("method", "users.getInfo"),
                ("api_key", APP_KEY),
                ("session_key", &session),
                ("call_id", "1795376183.11181"),
                ("format", "JSON"),
            ],
            APP_SECRET,
        )
        .await;
    assert_eq!(later.error_code(), Some(3), "{}", later.body);
}

#[tokio::test]
async fn error_3_unknown_method() {
    let app = spawn_app().await;
    let session = app.session(1001).await;
    check_error(&app, 3, "Unknown method", |c, v| {
        call(
            APP_KEY,
            APP_SECRET,
            "facebook.users.getInfo",
            Some(&session),
            Some(c),
            &[],
            v,
        )
    })
    .await;
    // The prefix is matched case-sensitively after stripping it.
    check_error(&app, 3, "Unknown method", |c, v| {
        call(
            APP_KEY,
            APP_SECRET,
            "notifications.sendrequest",
            Some(&session),
            Some(c),
            &[],
            v,
        )
    })
    .await;
    check_error(&app, 3, "Unknown method", |c, v| {
        call(APP_KEY, APP_SECRET, "", None, Some(c), &[], v)
    })
    .await;
}

#[tokio::test]
async fn error_100_missing_or_malformed_parameters() {
    let app = spawn_app().await;
    app.seed_graph(APP_KEY).await;
    let session = app.session(1001).await;
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![("type", "x"), CONTENT],
        vec![("to_ids", ""), ("type", "x"), CONTENT],
        vec![("to_ids", "1002,abc"), ("type", "x"), CONTENT],
        vec![("to_ids", "[1002,"), ("type", "x"), CONTENT],
        vec![
            ("to_ids", "1,2,3,4,5,6,7,8,9,10,11"),
            ("type", "x"),
            CONTENT,
        ],
        vec![("to_ids", "1002"), CONTENT],
        vec![("to_ids", "1002"), ("type", "x")],
        vec![
            ("to_ids", "1002"),
            ("type", "x"),
            CONTENT,
            ("invite", "maybe"),
        ],
        vec![
            ("to_ids", "1002"),
            ("type", "x"),
            CONTENT,
            ("image", "javascript:alert(1)"),
        ],
    ];
    for extra in &cases {
        check_error(&app, 100, "Invalid parameter", |c, v| {
            call(APP_KEY, APP_SECRET, SEND, Some(&session), Some(c), extra, v)
        })
        .await;
    }
    // call_id is required for this app.
    check_error(&app, 100, "Invalid parameter", |_, v| {
        call(
            APP_KEY,
            APP_SECRET,
            SEND,
            Some(&session),
            None,
            &[("to_ids", "1002"), ("type", "x"), CONTENT],
            v,
        )
    })
    .await;
    check_error(&app, 100, "Invalid parameter", |c, v| {
        call(
            APP_KEY,
            APP_SECRET,
            "admin.getAllocation",
            None,
            Some(c),
            &[("integration_point_name", "nope")],
            v,
        )
    })
    .await;
}

#[tokio::test]
async fn error_100_for_bodies_that_cannot_be_read() {
    let app = spawn_app_with(Backend::Memory, |t| t).await;
    // Too large: answered, not reset; the query string is echoed.
    let big = "x".repeat(20_000);
    let res = app
        .client
        .post(format!(
            "{}/restserver.php?format=JSON&method=m",
            app.address
        ))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("content={big}"))
        .send()
        .await
        .unwrap();
    let ans = answer(res).await;
    assert_eq!(ans.status, 200);
    assert_eq!(
        ans.body,
        r#"{"error_code":100,"error_msg":"Invalid parameter","request_args":[{"key":"format","value":"JSON"},{"key":"method","value":"m"}]}"#
    );
    // A multipart body that breaks off.
    let res = app
        .client
        .post(format!("{}/restserver.php?format=json", app.address))
        .header("content-type", "multipart/form-data; boundary=zz")
        .body("--zz\r\nContent-Disposition: form-data; name=\"api_key\"\r\n\r\napp1")
        .send()
        .await
        .unwrap();
    let ans = answer(res).await;
    assert_eq!(ans.status, 200);
    assert_eq!(
        ans.body,
        r#"{"error_code":100,"error_msg":"Invalid parameter","request_args":[{"key":"format","value":"json"}]}"#
    );
}

#[tokio::test]
async fn error_110_recipient_neither_friend_nor_app_user() {
    error_110_recipient_neither_friend_nor_app_user_on(Backend::Redis).await;
}

pub async fn error_110_recipient_neither_friend_nor_app_user_on(backend: Backend) {
    let app = spawn_app_with(backend, |t| t).await;
    app.seed_graph(APP_KEY).await;
    let session = app.session(1001).await;
    for to in ["9999", "1002,9999", "1001"] {
        check_error(&app, 110, "Invalid user id", |c, v| {
            call(
                APP_KEY,
                APP_SECRET,
                SEND,
                Some(&session),
                Some(c),
                &[("to_ids", to), ("type", "x"), CONTENT],
                v,
            )
        })
        .await;
    }
    // Nothing was taken from the quota by refused calls.
    let (_, alloc) = app
        .admin(
            reqwest::Method::GET,
            "/admin/v1/apps/app1/users/1001/allocation",
            None,
        )
        .await;
    assert_eq!(alloc["used"], 0);
}

#[tokio::test]
async fn error_4_daily_limit_reached() {
    error_4_daily_limit_reached_on(Backend::Redis).await;
}

pub async fn error_4_daily_limit_reached_on(backend: Backend) {
    let app = spawn_app_with(backend, |t| t).await;
    app.seed_graph(APP_KEY).await;
    let session = app.session(1001).await;
    for _ in 0..3 {
        let ans = app.send_request(&session, "1002,1003,1004", &[]).await;
        assert!(ans.error_code().is_none(), "{}", ans.body);
    }
    check_error(&app, 4, "Application request limit reached", |c, v| {
        call(
            APP_KEY,
            APP_SECRET,
            SEND,
            Some(&session),
            Some(c),
            &[("to_ids", "1002,1003"), ("type", "x"), CONTENT],
            v,
        )
    })
    .await;
    // All or nothing: 9 used, the refused calls took nothing, one more still fits.
    let (_, alloc) = app
        .admin(
            reqwest::Method::GET,
            "/admin/v1/apps/app1/users/1001/allocation",
            None,
        )
        .await;
    assert_eq!(alloc["used"], 9);
    assert_eq!(alloc["remaining"], 1);
    let ans = app.send_request(&session, "1004", &[]).await;
    assert!(ans.error_code().is_none(), "{}", ans.body);
    let ans = app.send_request(&session, "1002", &[]).await;
    assert_eq!(ans.error_code(), Some(4));
}

#[tokio::test]
async fn error_2_when_redis_is_down_then_recovery_without_restart() {
    let mut app = spawn_app().await;
    app.seed_graph(APP_KEY).await;
    let session = app.session(1001).await;
    let ok = app.send_request(&session, "1004", &[]).await;
    assert!(ok.error_code().is_none(), "{}", ok.body);

    app.redis.as_mut().unwrap().stop();
    let started = std::time::Instant::now();
    check_error(&app, 2, "Service temporarily unavailable", |c, v| {
        call(
            APP_KEY,
            APP_SECRET,
            SEND,
            Some(&session),
            Some(c),
            &[("to_ids", "1004"), ("type", "x"), CONTENT],
            v,
        )
    })
    .await;
    // Seven calls, each bounded by the 300 ms store timeout.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(7),
        "{:?}",
        started.elapsed()
    );
    let ready = app
        .client
        .get(format!("{}/readyz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status().as_u16(), 503);

    // Redis returns (empty: no persistence in this test); the same gateway serves again.
    app.redis.as_mut().unwrap().restart();
    let mut recovered = false;
    for _ in 0..50 {
        let ready = app
            .client
            .get(format!("{}/readyz", app.address))
            .send()
            .await
            .unwrap();
        if ready.status().as_u16() == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(recovered, "gateway never saw Redis again");
    app.seed_graph(APP_KEY).await;
    let session = app.session(1001).await;
    let ans = app.send_request(&session, "1004", &[]).await;
    assert!(ans.error_code().is_none(), "{}", ans.body);
}
