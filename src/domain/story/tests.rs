//! The story rules, by example.

use super::*;

fn values(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn tokens_in_both_styles() {
    assert_eq!(
        tokens(
            "{*actor*} fed {*target*} a {*food*}, {*actor*}!",
            TokenStyle::Bundle
        ),
        vec!["actor", "target", "food"]
    );
    assert_eq!(
        tokens(
            "{actor} fed {pet} {not a token} {}",
            TokenStyle::Templatized
        ),
        vec!["actor", "pet"]
    );
    assert!(tokens("no tokens {* here", TokenStyle::Bundle).is_empty());
}

#[test]
fn fill_names_the_first_missing_token() {
    let v = values(&[("actor", "Ann"), ("food", "sandwich")]);
    assert_eq!(
        fill("{*actor*} ate a {*food*}", TokenStyle::Bundle, &v).unwrap(),
        "Ann ate a sandwich"
    );
    assert_eq!(
        fill(
            "{*actor*} gave {*target*} a {*gift*}",
            TokenStyle::Bundle,
            &v
        )
        .unwrap_err(),
        "target"
    );
}

#[test]
fn bundles_parse_and_refuse() {
    let b = TemplateBundle::parse(
        r#"["{*actor*} fed {*target*}", "{*actor*} played"]"#,
        Some(r#"[{"template_title":"{*actor*} fed","template_body":"a {*food*}"}]"#),
        None,
        Some(r#"[{"text":"Play","href":"http://apps.facebook.com/bread/"}]"#),
    )
    .unwrap();
    assert_eq!(b.one_line.len(), 2);
    assert_eq!(b.short.len(), 1);
    assert!(matches!(
        TemplateBundle::parse("[nope", None, None, None),
        Err(StoryError::MalformedJson(_))
    ));
    assert!(matches!(
        TemplateBundle::parse("[]", None, None, None),
        Err(StoryError::Invalid(_))
    ));
    assert!(matches!(
        TemplateBundle::parse(r#"{"a":1}"#, None, None, None),
        Err(StoryError::MalformedJson(_))
    ));
    assert!(matches!(
        TemplateBundle::parse(
            r#"["x"]"#,
            None,
            None,
            Some(r#"[{"text":"x","href":"javascript:alert(1)"}]"#)
        ),
        Err(StoryError::Invalid(_))
    ));
}

#[test]
fn user_action_takes_the_first_covered_template() {
    let b = TemplateBundle::parse(
        r#"["{*actor*} fed {*target*} a {*food*}", "{*actor*} fed a pet"]"#,
        None,
        None,
        None,
    )
    .unwrap();
    let data = TemplateData::parse(Some(r#"{"food":"sandwich"}"#)).unwrap();
    let with_target = data.with_people("Ann", Some("Bob"));
    assert_eq!(
        user_action_story(&b, 1, &with_target, "").unwrap().0,
        "Ann fed Bob a sandwich"
    );
    let alone = data.with_people("Ann", None);
    assert_eq!(
        user_action_story(&b, 1, &alone, "").unwrap().0,
        "Ann fed a pet"
    );
    let strict = TemplateBundle::parse(r#"["{*actor*} ate {*food*}"]"#, None, None, None).unwrap();
    assert_eq!(
        user_action_story(
            &strict,
            1,
            &TemplateData::default().with_people("Ann", None),
            ""
        ),
        Err(StoryError::DataNotCovering("food".into()))
    );
}

#[test]
fn template_data_shapes() {
    let d = TemplateData::parse(Some(
        r#"{"n":3,"pet":"cat","images":[{"src":"http://i.example/1.png","href":"http://a.example/"}]}"#,
    ))
    .unwrap();
    assert_eq!(d.values["n"], "3");
    assert_eq!(d.images.len(), 1);
    assert_eq!(
        TemplateData::parse(Some("[1]")),
        Err(Some("not a JSON object".into()))
    );
    assert_eq!(TemplateData::parse(Some("{")), Err(None));
    assert_eq!(TemplateData::parse(Some("")), Ok(TemplateData::default()));
    assert!(TemplateData::parse(Some(r#"{"a":{"b":1}}"#)).is_err());
}

#[test]
fn templatized_needs_actor_and_covered_tokens() {
    let v = values(&[("actor", "Ann"), ("pet", "cat")]);
    assert_eq!(
        templatized_story("{actor} fed the {pet}", &v, "", &v, "Yum").unwrap(),
        ("Ann fed the cat".to_string(), "Yum".to_string())
    );
    assert!(matches!(
        templatized_story("fed the {pet}", &v, "", &v, ""),
        Err(StoryError::Uncovered { body: false, .. })
    ));
    assert!(matches!(
        templatized_story("{actor} hi", &v, "{food}", &v, ""),
        Err(StoryError::Uncovered { body: true, .. })
    ));
}

#[test]
fn images_are_checked_and_capped() {
    let img = |s: &str| StoryImage {
        src: s.into(),
        href: None,
    };
    let five = (0..5)
        .map(|i| img(&format!("http://i.example/{i}.png")))
        .collect();
    assert_eq!(checked_images(five).unwrap().len(), 4);
    assert!(checked_images(vec![img("javascript:x")]).is_err());
}

#[test]
fn names_join() {
    let n = |v: &[&str]| join_names(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    assert_eq!(n(&["Bob"]), "Bob");
    assert_eq!(n(&["Bob", "Cy"]), "Bob and Cy");
    assert_eq!(n(&["A", "B", "C"]), "A, B and C");
}
