//! Property: any bytes posted to `/restserver.php`, under any content type, get HTTP 200 and
//! a parseable `error_response` (or a result), never a 500, a reset or a hang.

use proptest::prelude::*;

use crate::helpers::*;

fn content_types() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some("application/x-www-form-urlencoded".to_string())),
        Just(Some("multipart/form-data; boundary=xYzZY".to_string())),
        Just(Some("multipart/form-data".to_string())),
        Just(Some("text/plain".to_string())),
        "[ -~]{0,60}".prop_map(Some),
    ]
}

fn bodies() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..600),
        // Plausible but mangled form bodies.
        "(method|api_key|format|callback|sig|call_id|to_ids|session_key|%[0-9a-fA-F]{0,2}|=|&|\\+|[a-z0-9\"<>']){0,40}"
            .prop_map(|s| s.into_bytes()),
        // Broken multipart.
        "--xYzZY\r\nContent-Disposition: form-data; name=\"(format|api_key)\"\r\n\r\n[ -~]{0,20}(\r\n--xYzZY)?(--)?".prop_map(|s| s.into_bytes()),
    ]
}

fn queries() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("format=JSON".to_string()),
        Just("format=json&callback=cb".to_string()),
        "[a-z=&%0-9]{0,30}"
    ]
}

#[test]
fn any_bytes_get_200_and_a_parseable_answer() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let app = rt.block_on(spawn_app_with(Backend::Memory, |t| t));
    let config = ProptestConfig {
        cases: 300,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(ct in content_types(), body in bodies(), query in queries())| {
        let ans = rt.block_on(async {
            let mut req = app
                .client
                .post(format!("{}/restserver.php?{query}", app.address))
                .body(body.clone());
            if let Some(ct) = &ct {
                req = req.header("content-type", ct.as_str());
            }
            answer(req.send().await.expect("an answer, not a reset")).await
        });
        prop_assert_eq!(ans.status, 200);
        match ans.content_type.as_str() {
            "application/json" => {
                let v: serde_json::Value = serde_json::from_str(&ans.body).expect("JSON");
                prop_assert!(v["error_code"].is_i64(), "{}", ans.body);
                prop_assert!(v["request_args"].is_array());
                prop_assert!(ans.body.starts_with(r#"{"error_code""#), "{}", ans.body);
            }
            "text/xml; charset=utf-8" => {
                prop_assert!(ans.body.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<error_response "), "{}", ans.body);
                prop_assert!(ans.body.contains("<error_code>"));
                prop_assert!(ans.body.contains("<request_args list=\"true\">"));
                prop_assert!(ans.body.ends_with("</error_response>"));
                // Well-formed enough for a strict parser: no raw control characters, no
                // unescaped markup inside values.
                prop_assert!(!ans.body.chars().any(|c| c < ' ' && !matches!(c, '\n' | '\r' | '\t')), "{:?}", ans.body);
            }
            "text/javascript" => {
                let name = ans.body.split('(').next().unwrap_or("");
                prop_assert!(fbbridge::http::legacy::response::is_safe_callback(name), "{}", ans.body);
                prop_assert!(ans.body.ends_with(");"), "{}", ans.body);
                prop_assert!(!ans.body.contains('<'));
            }
            other => prop_assert!(false, "content type {}", other),
        }
    });
}
