use std::collections::HashMap;

use super::*;

fn u(n: u64) -> Uid {
    Uid::new(n).unwrap()
}

fn view() -> GraphView {
    let mut profiles = HashMap::new();
    for (n, name) in [
        (1001, "Ann Lee"),
        (1002, "Alice <b>Smith</b>"),
        (1003, "Bob Jones"),
    ] {
        profiles.insert(
            u(n),
            Profile {
                name: Some(name.into()),
                pic_square: Some(format!("http://img.example/{n}.png")),
                ..Profile::default()
            },
        );
    }
    GraphView {
        user: u(1001),
        uses_app: true,
        friends: vec![(u(1002), true), (u(1003), false), (u(1004), false)],
        profiles,
        synced_at_ms: None,
    }
}

fn links() -> Links {
    Links {
        canvas_base: "http://gw/canvas/app1/".into(),
        token: "TOK".into(),
        callback_url: "http://apps.example.com/bread/".into(),
        canvas_name: Some("bread".into()),
        redirect_hosts: vec![],
    }
}

fn render(fbml: &str, remaining: u32) -> RenderedPage {
    let v = view();
    let l = links();
    let seal = |f: &[(&str, &str)]| format!("SEALED{}", f.len());
    let ctx = RenderContext {
        viewer: u(1001),
        owner: None,
        view: &v,
        links: &l,
        remaining_quota: remaining,
        request_form_url: "http://gw/canvas/app1/_fbb/request-form".into(),
        seal: &seal,
        profile_url: None,
        platform_ids: &HashMap::new(),
    };
    render_page(fbml, &ctx)
}

#[test]
fn names_pictures_and_you() {
    let p = render(
        r#"<p><fb:name uid="1002"/> and <fb:name uid="loggedinuser" capitalize="true"/> and <fb:name uid="9999"/>. <fb:name uid="1003" firstnameonly="true" possessive="true"/> pic <fb:profile-pic uid="1003"/> end</p>"#,
        10,
    );
    assert_eq!(
        p.html,
        r#"<p><span class="fbb-name">Alice &lt;b&gt;Smith&lt;/b&gt;</span> and <span class="fbb-name">You</span> and <span class="fbb-name">a friend</span>. <span class="fbb-name">Bob's</span> pic <img class="fbb-pic" src="http://img.example/1003.png" width="50" alt=""> end</p>"#
    );
}

#[test]
fn conditionals_titles_redirects_and_unknown_tags() {
    let p = render(
        r#"<fb:title>My <b>page</b></fb:title><fb:if-is-app-user uid="1003">uses<fb:else>does not use</fb:else></fb:if-is-app-user>|<fb:if-is-app-user>me<fb:else>not me</fb:else></fb:if-is-app-user><fb:redirect url="done.php"/><fb:wall>wall text</fb:wall><fb:success message="Saved"><p>ok</p></fb:success>"#,
        10,
    );
    assert_eq!(p.title.as_deref(), Some("My page"));
    assert_eq!(p.redirect.as_deref(), Some("done.php"));
    assert_eq!(p.unknown_tags, vec!["fb:wall".to_string()]);
    assert_eq!(
        p.html,
        r#"does not use|mewall text<div class="fbb-success"><h2>Saved</h2><p>ok</p></div>"#
    );
}

#[test]
fn hostile_markup_is_neutralised() {
    let p = render(
        r#"<script>alert(1)</script><img src="x" onerror="alert(2)"><a href="javascript:alert(3)">j</a><iframe src="http://evil/"></iframe><div style="background:url(http://evil/x)">s</div><form action="http://evil.example/steal"><input name="a"></form><base href="http://evil/"><meta http-equiv="refresh" content="0;url=http://evil/"><fb:name uid="1002" linked="false"/><a href="data:text/html,x">d</a>"#,
        10,
    );
    for bad in [
        "<script",
        "onerror",
        "javascript:",
        "<iframe",
        "url(",
        "evil.example/steal",
        "<base",
        "<meta",
        "data:text",
    ] {
        assert!(!p.html.contains(bad), "{bad} in {}", p.html);
    }
}

#[test]
fn links_and_forms_come_back_through_the_canvas() {
    let p = render(
        r#"<a href="invite.php?a=1">i</a><a href="http://apps.facebook.com/bread/x">x</a><a href="http://other.example/">o</a><form action="http://apps.example.com/bread/save" method="get"><input name="q"></form>"#,
        10,
    );
    assert!(
        p.html
            .contains(r#"href="http://gw/canvas/app1/invite.php?a=1&amp;fbb_t=TOK""#),
        "{}",
        p.html
    );
    assert!(
        p.html
            .contains(r#"href="http://gw/canvas/app1/x?fbb_t=TOK""#),
        "{}",
        p.html
    );
    assert!(p.html.contains(r#"href="http://other.example/""#));
    assert!(p.html.contains(r#"<form action="http://gw/canvas/app1/save?fbb_t=TOK" method="get"><input type="hidden" name="fbb_t" value="TOK">"#), "{}", p.html);
}

#[test]
fn the_request_form_offers_friends_within_the_quota() {
    let fbml = r#"<fb:request-form type="sandwich" content="Eat &lt;b&gt;with&lt;/b&gt; me &lt;fb:req-choice url=&quot;http://apps.example.com/bread/eat&quot; label=&quot;Eat&quot;/&gt;" invite="true" action="thanks.php"><fb:multi-friend-selector actiontext="Invite your friends" max="20" exclude_ids="1004" bypass="Not now"/></fb:request-form><p>after</p>"#;
    let p = render(fbml, 3);
    assert!(p.html.contains(r#"<form class="fbb-request-form" method="post" action="http://gw/canvas/app1/_fbb/request-form"><input type="hidden" name="fbb_form" value="SEALED5"><input type="hidden" name="fbb_t" value="TOK">"#), "{}", p.html);
    assert!(p.html.contains("<legend>Invite your friends</legend>"));
    assert!(p.html.contains("Choose up to 3."), "{}", p.html);
    assert!(
        p.html.contains(
            r#"<input type="checkbox" name="ids[]" value="1002"> Alice &lt;b&gt;Smith&lt;/b&gt;"#
        ),
        "{}",
        p.html
    );
    assert!(p.html.contains(r#"value="1003""#));
    assert!(!p.html.contains(r#"value="1004""#), "excluded");
    assert!(p
        .html
        .contains(r#"value="skip" class="fbb-skip">Not now</button>"#));
    assert!(p.html.ends_with("</form><p>after</p>"), "{}", p.html);
    let none_left = render(fbml, 0);
    assert!(none_left
        .html
        .contains("as many invitations as you can today"));
    assert!(!none_left.html.contains("ids[]"));
    assert!(none_left.html.contains("fbb-skip"));
}

#[test]
fn the_other_listed_tags() {
    let p = render(
        r#"<fb:error><fb:message>Oops</fb:message>try again</fb:error><fb:explanation message="Why">because</fb:explanation><fb:visible-to-owner>mine</fb:visible-to-owner><fb:tabs><fb:tab-item href="a.php" title="A" selected="true"/><fb:tab-item href="http://evil.example/" title="B"/></fb:tabs><fb:dashboard><fb:action href="new.php">New</fb:action><fb:create-button href="make.php">Make</fb:create-button></fb:dashboard><fb:req-choice url="http://x/" label="no"/>end"#,
        5,
    );
    assert_eq!(
        p.html,
        concat!(
            r#"<div class="fbb-error"><h2>Oops</h2>try again</div>"#,
            r#"<div class="fbb-explanation"><h2>Why</h2>because</div>"#,
            "mine",
            r#"<nav class="fbb-tabs"><a class="fbb-tab fbb-selected" href="http://gw/canvas/app1/a.php?fbb_t=TOK" rel="noopener noreferrer">A</a><a class="fbb-tab" href="http://evil.example/" rel="noopener noreferrer">B</a></nav>"#,
            r#"<div class="fbb-dashboard"><a class="fbb-action" href="http://gw/canvas/app1/new.php?fbb_t=TOK" rel="noopener noreferrer">New</a><a class="fbb-create" href="http://gw/canvas/app1/make.php?fbb_t=TOK" rel="noopener noreferrer">Make</a></div>"#,
            "end"
        )
    );
    // Somebody else's profile: the owner-only part is hidden.
    let v = view();
    let l = links();
    let seal = |_: &[(&str, &str)]| String::new();
    let ctx = RenderContext {
        viewer: u(1001),
        owner: Some(u(1002)),
        view: &v,
        links: &l,
        remaining_quota: 5,
        request_form_url: String::new(),
        seal: &seal,
        profile_url: Some("http://mixi.jp/show_friend.pl?id={id}"),
        platform_ids: &HashMap::from([(u(1003), "m_bob".to_string())]),
    };
    let p = render_page(
        r#"<fb:visible-to-owner>secret</fb:visible-to-owner>x <fb:name uid="1002" firstnameonly="true"/> <fb:name uid="1003"/>"#,
        &ctx,
    );
    assert_eq!(
        p.html,
        r#"x <a class="fbb-name" href="http://mixi.jp/show_friend.pl?id=1002" rel="noopener noreferrer">Alice</a> <a class="fbb-name" href="http://mixi.jp/show_friend.pl?id=m_bob" rel="noopener noreferrer">Bob Jones</a>"#
    );
}

#[test]
fn the_condensed_selector_lists_names_only() {
    let p = render(
        r#"<fb:request-form type="t" content="c" action="done.php"><fb:multi-friend-selector condensed="true"/></fb:request-form>"#,
        5,
    );
    assert!(
        p.html.contains(r#"<ul class="fbb-friends fbb-condensed">"#),
        "{}",
        p.html
    );
    assert!(!p.html.contains("fbb-pic"));
    assert!(p
        .html
        .contains(r#"value="1002"> Alice &lt;b&gt;Smith&lt;/b&gt;"#));
}
