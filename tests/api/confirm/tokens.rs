//! Tokens and CSRF fields are required.

use super::*;

#[tokio::test]
async fn tokens_and_csrf_are_required() {
    let (app, session) = setup().await;
    let url = pending(&app, &session, &[]).await;
    let other = pending(&app, &session, &[]).await;
    let local_url = local(&app, &url);
    let token = local_url.rsplit_once("&t=").unwrap().1.to_string();
    let other_token = other.rsplit_once("&t=").unwrap().1.to_string();

    let no_token = local_url.replace(&format!("&t={token}"), "");
    assert_eq!(get(&app, &no_token).await.0, 400);
    let mut tampered = token.clone();
    tampered.replace_range(0..1, if token.starts_with('0') { "1" } else { "0" });
    assert_eq!(
        get(&app, &local_url.replace(&token, &tampered)).await.0,
        403
    );
    // Another request's token does not open this page.
    assert_eq!(
        get(&app, &local_url.replace(&token, &other_token)).await.0,
        403
    );
    // Another sender's page id.
    assert_eq!(
        get(&app, &local_url.replace("from=1001", "from=1002"))
            .await
            .0,
        404
    );
    assert_eq!(
        get(&app, &format!("{}/send_req.php", app.address)).await.0,
        400
    );

    let (_, _, html) = get(&app, &local_url).await;
    let fields = with(&form_fields(&html, "fbb-send"), &[("action", "send")]);
    for (label, bad) in [
        ("no csrf", without(&fields, "csrf")),
        (
            "wrong csrf",
            with(&fields, &[("csrf", "00000000000000000000000000000000")]),
        ),
        ("no token", without(&fields, "t")),
        ("other token", with(&fields, &[("t", &other_token)])),
    ] {
        let (status, _, body) = post(&app, "/send_req.php", &bad).await;
        assert!(status == 403 || status == 400, "{label}: {status} {body}");
        assert!(body.contains("<h1>"), "{label}: a short page");
    }
    // The csrf field of another request's page is no good here.
    let (_, _, other_html) = get(&app, &local(&app, &other)).await;
    let other_csrf = form_fields(&other_html, "fbb-send")
        .into_iter()
        .find(|(k, _)| k == "csrf")
        .unwrap()
        .1;
    assert_eq!(
        post(
            &app,
            "/send_req.php",
            &with(&fields, &[("csrf", &other_csrf)])
        )
        .await
        .0,
        403
    );
    // Not a form post.
    let res = app
        .client
        .post(format!("{}/send_req.php", app.address))
        .header("content-type", "application/json")
        .body(serde_json::to_string(&fields.iter().cloned().collect::<HashMap<_, _>>()).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 415);
    // After all that, the real form still works once.
    assert_eq!(post(&app, "/send_req.php", &fields).await.0, 303);
}
