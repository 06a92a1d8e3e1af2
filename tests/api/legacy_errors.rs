//! Every legacy error path, checked byte for byte in XML, JSON and JSONP.

use crate::helpers::*;

pub mod sessions_and_signatures;

pub mod parameters_and_limits;

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
        "photos.get",
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
