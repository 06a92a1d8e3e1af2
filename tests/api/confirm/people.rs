//! Names and pictures from the graph on the confirmation page and in the sandbox inbox,
//! escaped; each request in the inbox as its recipient saw it on Facebook.

use super::*;

#[tokio::test]
async fn the_page_and_the_inbox_show_names_and_pictures() {
    let app = spawn_app().await;
    app.seed_profiles(APP_KEY).await;
    let session = app.session(1001).await;
    let url = pending(
        &app,
        &session,
        &[
            ("type", "sandwich"),
            ("invite", "true"),
            ("content", "Have a <b>sandwich</b>! <fb:req-choice url=\"http://apps.example.com/slicedbread/eat?x=1&y=2\" label=\"Eat it\"/>"),
        ],
    )
    .await;
    let (status, _, html) = get(&app, &local(&app, &url)).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains(r#"From <img class="pic" src="http://img.example/1001.png" width="50" height="50" alt="">Ann Lee to:"#),
        "{html}"
    );
    assert!(html.contains(">Alice Smith</li>"), "{html}");
    assert!(
        html.contains(">Carol &#60;b&#62;King&#60;/b&#62;</li>"),
        "names are escaped: {html}"
    );
    assert!(!html.contains("<b>King</b>"));

    let fields = form_fields(&html, "fbb-send");
    let (status, _, _) = post(&app, "/send_req.php", &with(&fields, &[("action", "send")])).await;
    assert_eq!(status, 303);
    app.wait_inbox(APP_KEY, 1002, 1).await;
    let (status, headers, inbox) = get(
        &app,
        &format!("{}/sandbox/{APP_KEY}/inbox/1002", app.address),
    )
    .await;
    assert_eq!(status, 200);
    assert!(headers["content-security-policy"].contains("default-src 'none'"));
    assert!(
        inbox.contains("<h1>Sliced Bread: requests and notifications for Alice Smith</h1>"),
        "{inbox}"
    );
    assert!(
        inbox.contains(r#"<img class="pic" src="http://img.example/1001.png" width="50" height="50" alt=""><span>Ann Lee sent you a sandwich invitation</span>"#),
        "{inbox}"
    );
    assert!(
        inbox.contains("Have a <b>sandwich</b>!"),
        "FBML rendered: {inbox}"
    );
    assert!(
        inbox.contains(r#"<a class="choice" href="http://apps.example.com/slicedbread/eat?x=1&#38;y=2" rel="nofollow noopener noreferrer">Eat it</a>"#),
        "{inbox}"
    );
    assert!(!inbox.contains("fb:req-choice"), "{inbox}");
    let when = inbox.split("<div class=\"meta\">").nth(1).unwrap();
    let when = &when[..when.find('<').unwrap()];
    assert!(
        chrono::NaiveDateTime::parse_from_str(when, "%Y-%m-%d %H:%M UTC").is_ok(),
        "{when}"
    );

    app.wait_inbox(APP_KEY, 1004, 1).await;
    let (_, _, inbox) = get(
        &app,
        &format!("{}/sandbox/{APP_KEY}/inbox/1004", app.address),
    )
    .await;
    assert!(
        inbox.contains("Ann Lee sent you a sandwich invitation"),
        "{inbox}"
    );
    // Without a profile the uid stands in.
    let (_, _, empty) = get(
        &app,
        &format!("{}/sandbox/{APP_KEY}/inbox/1009", app.address),
    )
    .await;
    assert!(
        empty.contains("requests and notifications for user 1009")
            && empty.contains("No requests or notifications yet."),
        "{empty}"
    );
}
