//! Request forms (GET, split, multipart), allocations, per-app graphs, call_id bounds.

use super::*;

#[tokio::test]
async fn get_query_split_and_multipart_requests() {
    let app = spawn_app().await;
    app.seed_graph(APP_KEY).await;
    let session = app.session(1001).await;
    let call_id = app.next_call_id();
    let params = signed(
        &[
            ("method", "notifications.sendRequest"),
            ("api_key", APP_KEY),
            ("session_key", &session),
            ("call_id", &call_id),
            ("to_ids", "1004"),
            ("type", "event"),
            ("content", "a+b & c"),
            ("format", "JSON"),
        ],
        APP_SECRET,
    );
    // GET with everything in the query string.
    let res = app
        .client
        .get(format!("{}/restserver.php?{}", app.address, form(&params)))
        .send()
        .await
        .unwrap();
    let ans = answer(res).await;
    assert!(ans.json().is_string(), "{}", ans.body);

    // Split: method & keys in the query, the rest in the body (2009-10 PHP client).
    let call_id = app.next_call_id();
    let params = signed(
        &[
            ("method", "notifications.sendRequest"),
            ("api_key", APP_KEY),
            ("session_key", &session),
            ("call_id", &call_id),
            ("to_ids", "[1004]"),
            ("type", "event"),
            ("content", "hi"),
            ("format", "json"),
        ],
        APP_SECRET,
    );
    let (query, body) = params.split_at(3);
    let res = app
        .client
        .post(format!("{}/restserver.php?{}", app.address, form(query)))
        .header(
            "content-type",
            "application/x-www-form-urlencoded; charset=UTF-8",
        )
        .body(form(body))
        .send()
        .await
        .unwrap();
    let ans = answer(res).await;
    assert!(ans.json().is_string(), "{}", ans.body);

    // Multipart (Perl, PEAR).
    let call_id = app.next_call_id();
    let params = signed(
        &[
            ("method", "notifications.sendRequest"),
            ("api_key", APP_KEY),
            ("session_key", &session),
            ("call_id", &call_id),
            ("to_ids", "1004"),
            ("type", "event"),
            ("content", "multi\r\nline"),
            ("format", "JSON"),
        ],
        APP_SECRET,
    );
    let mut body = String::new();
    for (k, v) in &params {
        body.push_str(&format!(
            "--BOUND\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
        ));
    }
    body.push_str("--BOUND--\r\n");
    let res = app
        .client
        .post(format!("{}/restserver.php", app.address))
        .header("content-type", "multipart/form-data; boundary=BOUND")
        .body(body)
        .send()
        .await
        .unwrap();
    let ans = answer(res).await;
    assert!(ans.json().is_string(), "{}", ans.body);
}

#[tokio::test]
async fn get_allocation_limit_and_remaining() {
    let app = spawn_app().await;
    app.seed_graph(APP_KEY).await;
    let session = app.session(1001).await;
    let ans = app
        .call_signed(
            &[
                ("method", "facebook.admin.getAllocation"),
                ("api_key", APP_KEY),
                ("integration_point_name", "requests_per_day"),
            ],
            APP_SECRET,
        )
        .await;
    assert_eq!(
        ans.body,
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<admin_getAllocation_response {NS}>10</admin_getAllocation_response>")
    );
    app.send_request(&session, "1002,1004", &[]).await;
    let call_id = app.next_call_id();
    let ans = app
        .call_signed(
            &[
                ("method", "admin.getAllocation"),
                ("api_key", APP_KEY),
                ("session_key", &session),
                ("call_id", &call_id),
                ("integration_point_name", "requests_remaining"),
                ("format", "JSON"),
            ],
            APP_SECRET,
        )
        .await;
    assert_eq!(ans.body, "8");
}

#[tokio::test]
async fn social_graphs_are_per_app() {
    let app = spawn_app().await;
    app.seed_graph(APP_KEY).await;
    // Same uids, other app: nobody is a friend there.
    let (session, _) = app.session_in("nocallid", 1001).await;
    let ans = app
        .call_signed(
            &[
                ("method", "notifications.sendRequest"),
                ("api_key", "nocallid"),
                ("session_key", &session),
                ("to_ids", "1002"),
                ("type", "event"),
                ("content", "hi"),
                ("format", "JSON"),
            ],
            "nocallidsecret",
        )
        .await;
    assert_eq!(ans.error_code(), Some(110), "{}", ans.body);
    // And app1's session is no key to nocallid.
    let app1_session = app.session(1001).await;
    let ans = app
        .call_signed(
            &[
                ("method", "notifications.sendRequest"),
                ("api_key", "nocallid"),
                ("session_key", &app1_session),
                ("to_ids", "1002"),
                ("type", "event"),
                ("content", "hi"),
                ("format", "JSON"),
            ],
            "nocallidsecret",
        )
        .await;
    assert_eq!(ans.error_code(), Some(102), "{}", ans.body);
}

/// A correctly signed call with a huge call_id would raise the session's high-water mark
/// past every honest call for good: it is refused (error 100) and changes nothing.
#[tokio::test]
async fn an_oversized_call_id_is_refused_and_poisons_nothing() {
    let app = spawn_app().await;
    app.seed_graph(APP_KEY).await;
    let session = app.session(1001).await;
    let huge = format!("1{}", "0".repeat(63));
    for (call_id, code) in [
        (huge.as_str(), Some(100)),
        ("100000000000000000000", Some(100)),
        ("1.1234567", Some(100)),
        ("12x", Some(103)),
        ("1795376067.2672", None),
    ] {
        let ans = app
            .send_request(&session, "1002", &[("call_id", call_id)])
            .await;
        assert_eq!(ans.error_code(), code, "{call_id}: {}", ans.body);
    }
}
