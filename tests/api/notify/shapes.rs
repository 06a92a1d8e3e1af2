//! notifications.send and feed.* answers, byte for byte, and their refusals.

use super::*;

#[tokio::test]
async fn notifications_send_answers_who_will_be_notified() {
    let (app, session) = seeded().await;
    // 5555 is neither a friend nor an app user: left out, not an error.
    let a = app
        .call_method(
            &session,
            "facebook.notifications.send",
            "XML",
            &[
                ("to_ids", "1002,5555,1004"),
                ("notification", "fed your <b>cat</b>"),
            ],
        )
        .await;
    assert_eq!(
        (a.status, a.content_type.as_str()),
        (200, "text/xml; charset=utf-8")
    );
    assert_eq!(
        a.body,
        xml(
            "notifications_send_response",
            ">1002,1004</notifications_send_response>"
        )
    );
    let a = app
        .call_method(
            &session,
            "notifications.send",
            "JSON",
            &[("to_ids", "[1003]"), ("notification", "hi")],
        )
        .await;
    assert_eq!(a.body, "\"1003\"");
    let a = app
        .call_method(
            &session,
            "notifications.send",
            "JSON",
            &[
                ("to_ids", "1002,1003"),
                ("notification", "hi"),
                ("callback", "cb"),
            ],
        )
        .await;
    assert_eq!(
        (a.content_type.as_str(), a.body.as_str()),
        ("text/javascript", "cb(\"1002,1003\");")
    );
    // Nobody to notify: the empty answer in both formats.
    let a = app
        .call_method(
            &session,
            "notifications.send",
            "XML",
            &[("to_ids", "5555"), ("notification", "hi")],
        )
        .await;
    assert_eq!(a.body, xml("notifications_send_response", "/>"));
    let a = app
        .call_method(
            &session,
            "notifications.send",
            "JSON",
            &[("to_ids", "5555"), ("notification", "hi")],
        )
        .await;
    assert_eq!(a.body, "\"\"");
    // An empty to_ids notifies the session user.
    let a = app
        .call_method(
            &session,
            "notifications.send",
            "JSON",
            &[("to_ids", ""), ("notification", "a note to self")],
        )
        .await;
    assert_eq!(a.body, "\"1001\"");
}

#[tokio::test]
async fn notifications_send_refusals() {
    let (app, session) = seeded().await;
    for (extra, code) in [
        (vec![("to_ids", "1002")], 100),
        (vec![("to_ids", "1002"), ("notification", "  ")], 100),
        (vec![("to_ids", "x"), ("notification", "hi")], 100),
        (
            vec![("to_ids", "1002"), ("notification", "hi"), ("type", "spam")],
            100,
        ),
    ] {
        let a = app
            .call_method(&session, "notifications.send", "JSON", &extra)
            .await;
        assert_eq!(a.error_code(), Some(code), "{extra:?}: {}", a.body);
    }
    // user_to_user needs a session.
    let a = app
        .call_signed(
            &[
                ("method", "notifications.send"),
                ("api_key", APP_KEY),
                ("format", "JSON"),
                ("to_ids", "1002"),
                ("notification", "hi"),
            ],
            APP_SECRET,
        )
        .await;
    assert_eq!(a.error_code(), Some(102), "{}", a.body);
    // app_to_user needs none, and reaches app users only.
    let call_id = app.next_call_id();
    let a = app
        .call_signed(
            &[
                ("method", "notifications.send"),
                ("api_key", APP_KEY),
                ("call_id", &call_id),
                ("format", "JSON"),
                ("type", "app_to_user"),
                ("to_ids", "1002,1004,1003"),
                ("notification", "A new level is open"),
            ],
            APP_SECRET,
        )
        .await;
    assert_eq!(a.body, "\"1002,1003\"");
    // With a session, an empty to_ids is the session user; without one, it is refused.
    let a = app
        .call_method(
            &session,
            "notifications.send",
            "JSON",
            &[
                ("type", "app_to_user"),
                ("to_ids", ""),
                ("notification", "hi"),
            ],
        )
        .await;
    assert_eq!(a.body, "\"1001\"");
    let a = app
        .call_signed(
            &[
                ("method", "notifications.send"),
                ("api_key", APP_KEY),
                ("call_id", &app.next_call_id()),
                ("format", "JSON"),
                ("type", "app_to_user"),
                ("notification", "hi"),
            ],
            APP_SECRET,
        )
        .await;
    assert_eq!(a.error_code(), Some(100), "{}", a.body);
}

#[tokio::test]
async fn feed_methods_in_every_format() {
    let (app, session) = seeded().await;
    let a = app
        .call_method(
            &session,
            "feed.registerTemplateBundle",
            "XML",
            &[(
                "one_line_story_templates",
                r#"["{*actor*} fed {*target*} a {*food*}.","{*actor*} made a {*food*}."]"#,
            )],
        )
        .await;
    let id = a
        .body
        .split('>')
        .nth(2)
        .and_then(|s| s.split('<').next())
        .unwrap()
        .to_string();
    assert!(id.parse::<u64>().unwrap() > 0);
    assert_eq!(
        a.body,
        xml(
            "feed_registerTemplateBundle_response",
            &format!(">{id}</feed_registerTemplateBundle_response>")
        )
    );
    let a = app
        .call_method(
            &session,
            "feed.publishUserAction",
            "XML",
            &[
                ("template_bundle_id", &id),
                ("template_data", r#"{"food":"sandwich"}"#),
                ("target_ids", "1002"),
            ],
        )
        .await;
    assert_eq!(
        a.body,
        xml(
            "feed_publishUserAction_response",
            " list=\"true\">\n  <feed_publishUserAction_response_elt>1</feed_publishUserAction_response_elt>\n</feed_publishUserAction_response>"
        )
    );
    let a = app
        .call_method(
            &session,
            "feed.publishTemplatizedAction",
            "JSON",
            &[
                ("title_template", "{actor} baked {bread}"),
                ("title_data", r#"{"bread":"rye"}"#),
            ],
        )
        .await;
    assert_eq!(a.body, "[true]");
    let a = app
        .call_method(
            &session,
            "feed.publishActionOfUser",
            "JSON",
            &[("title", "played Sliced Bread"), ("callback", "cb")],
        )
        .await;
    assert_eq!(a.body, "cb([true]);");
    let a = app
        .call_method(
            &session,
            "feed.publishActionOfUser",
            "XML",
            &[("title", "played again")],
        )
        .await;
    assert_eq!(
        a.body,
        xml(
            "feed_publishActionOfUser_response",
            " list=\"true\">\n  <feed_publishActionOfUser_response_elt>1</feed_publishActionOfUser_response_elt>\n</feed_publishActionOfUser_response>"
        )
    );
    let a = app
        .call_method(
            &session,
            "feed.registerTemplateBundle",
            "JSON",
            &[("one_line_story_templates", r#"["{*actor*} won"]"#)],
        )
        .await;
    assert!(a.body.parse::<u64>().is_ok(), "a JSON number: {}", a.body);
}

#[tokio::test]
async fn feed_refusals_carry_facebooks_codes() {
    let (app, session) = seeded().await;
    let id = register(
        &app,
        &session,
        r#"["{*actor*} fed {*target*} a {*food*}."]"#,
    )
    .await;
    /// (method, parameters, code, error_msg)
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, i64, &'a str);
    let cases: Vec<Case> = vec![
        ("feed.registerTemplateBundle", vec![("one_line_story_templates", "[oops")], 144, "Malformed JSON string"),
        ("feed.registerTemplateBundle", vec![("one_line_story_templates", "[]")], 100, "Invalid parameter"),
        ("feed.registerTemplateBundle", vec![], 100, "Invalid parameter"),
        ("feed.publishUserAction", vec![("template_bundle_id", "12345"), ("template_data", "{}")], 807, "Template bundle does not exist or is not active"),
        ("feed.publishUserAction", vec![("template_bundle_id", &id), ("template_data", r#"{"food":"pie"}"#)], 367, "The template data provided doesn't cover the entire token set needed to publish the story"),
        ("feed.publishUserAction", vec![("template_bundle_id", &id), ("template_data", r#"{"food":"pie"}"#), ("target_ids", "1002,5555")], 366, "One or more of the target ids for this story are invalid. They must all be ids of friends of the acting user"),
        ("feed.publishUserAction", vec![("template_bundle_id", &id), ("template_data", "{nope")], 144, "Malformed JSON string"),
        ("feed.publishUserAction", vec![("template_bundle_id", "abc")], 100, "Invalid parameter"),
        ("feed.publishUserAction", vec![("template_bundle_id", &id), ("story_size", "3")], 100, "Invalid parameter"),
        ("feed.publishTemplatizedAction", vec![("title_template", "baked {bread}"), ("title_data", r#"{"bread":"rye"}"#)], 361, "Feed story title template either missing required parameters, or did not have all parameters defined in title_data array"),
        ("feed.publishTemplatizedAction", vec![("title_template", "{actor} baked"), ("title_data", "[1]")], 360, "Feed story title_data argument was not a valid JSON-encoded array"),
        ("feed.publishTemplatizedAction", vec![("title_template", "{actor} baked"), ("body_template", "{bread}")], 363, "Feed story body template either missing required parameters, or did not have all parameters defined in body_data array"),
        ("feed.publishTemplatizedAction", vec![("title_template", "{actor} baked"), ("body_data", "x")], 362, "Feed story body_data argument was not a valid JSON-encoded array"),
        ("feed.publishActionOfUser", vec![("title", "")], 100, "Invalid parameter"),
        ("feed.publishActionOfUser", vec![("title", "x"), ("image_1", "javascript:alert(1)")], 100, "Invalid parameter"),
    ];
    for (method, extra, code, message) in cases {
        let a = app.call_method(&session, method, "JSON", &extra).await;
        assert_eq!(a.error_code(), Some(code), "{method} {extra:?}: {}", a.body);
        assert!(
            a.body
                .starts_with(&format!(r#"{{"error_code":{code},"error_msg":"{message}""#)),
            "{}",
            a.body
        );
    }
    // Publishing needs a session.
    let a = app
        .call_signed(
            &[
                ("method", "feed.publishActionOfUser"),
                ("api_key", APP_KEY),
                ("format", "JSON"),
                ("title", "x"),
            ],
            APP_SECRET,
        )
        .await;
    assert_eq!(a.error_code(), Some(102));
    // Nothing refused was counted.
    let (_, alloc) = app
        .admin(
            reqwest::Method::GET,
            "/admin/v1/apps/app1/users/1001/allocation",
            None,
        )
        .await;
    assert_eq!(alloc["feed_actions"]["used"], 0, "{alloc}");
}

#[tokio::test]
async fn an_app_keeps_at_most_100_bundles() {
    let (app, session) = seeded().await;
    for _ in 0..100 {
        register(&app, &session, r#"["{*actor*} played"]"#).await;
    }
    let a = app
        .call_method(
            &session,
            "feed.registerTemplateBundle",
            "JSON",
            &[("one_line_story_templates", r#"["{*actor*} played"]"#)],
        )
        .await;
    assert_eq!(a.error_code(), Some(810), "{}", a.body);
}

#[tokio::test]
async fn every_feed_method_in_every_format() {
    let (app, session) = seeded().await;
    let bundle = register(&app, &session, r#"["{*actor*} played"]"#).await;
    let calls: [(&str, Vec<(&str, &str)>); 3] = [
        (
            "feed.publishUserAction",
            vec![("template_bundle_id", bundle.as_str())],
        ),
        (
            "feed.publishTemplatizedAction",
            vec![("title_template", "{actor} played")],
        ),
        ("feed.publishActionOfUser", vec![("title", "played")]),
    ];
    for (method, params) in calls {
        let root = format!("{}_response", method.replace('.', "_"));
        let a = app.call_method(&session, method, "XML", &params).await;
        assert_eq!(
            a.body,
            xml(
                &root,
                &format!(" list=\"true\">\n  <{root}_elt>1</{root}_elt>\n</{root}>")
            ),
            "{method}"
        );
        let a = app.call_method(&session, method, "JSON", &params).await;
        assert_eq!(a.body, "[true]", "{method}");
        let mut jsonp = params.clone();
        jsonp.push(("callback", "my.cb"));
        let a = app.call_method(&session, method, "JSON", &jsonp).await;
        assert_eq!(
            (a.content_type.as_str(), a.body.as_str()),
            ("text/javascript", "my.cb([true]);"),
            "{method}"
        );
    }
    let a = app
        .call_method(
            &session,
            "feed.registerTemplateBundle",
            "JSON",
            &[
                ("one_line_story_templates", r#"["{*actor*} won"]"#),
                ("callback", "cb"),
            ],
        )
        .await;
    let id = a
        .body
        .strip_prefix("cb(")
        .and_then(|b| b.strip_suffix(");"))
        .unwrap();
    assert!(id.parse::<u64>().is_ok(), "{}", a.body);
}
