//! The confirmation pages over HTTP: rendering, who may use them, settling once, redirects.

use std::collections::HashMap;

use serde_json::Value;

use crate::helpers::*;

mod expiry;
mod mixi;
mod mixi_cleanup;
mod people;
mod redirects;
mod tokens;

/// A pending request from 1001 to 1002 and 1004 with `content`; returns its confirmation URL.
async fn pending(app: &TestApp, session: &str, extra: &[(&str, &str)]) -> String {
    let ans = app.send_request(session, "1002,1004", extra).await;
    ans.json()
        .as_str()
        .unwrap_or_else(|| panic!("{}", ans.body))
        .to_string()
}

/// The URL as the browser would use it (the gateway's public_url is gateway.example).
fn local(app: &TestApp, url: &str) -> String {
    url.replacen("http://gateway.example", &app.address, 1)
}

async fn get(app: &TestApp, url: &str) -> (u16, HashMap<String, String>, String) {
    let res = app.client.get(url).send().await.unwrap();
    let status = res.status().as_u16();
    let headers = res
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    (status, headers, res.text().await.unwrap())
}

/// The hidden fields of the form whose submit button has `id`.
fn form_fields(html: &str, button_id: &str) -> Vec<(String, String)> {
    let button = html
        .find(&format!("id=\"{button_id}\""))
        .expect("the button");
    let form_start = html[..button].rfind("<form").unwrap();
    let mut fields = Vec::new();
    let mut rest = &html[form_start..button];
    while let Some(i) = rest.find("<input type=\"hidden\" name=\"") {
        rest = &rest[i + 27..];
        let name_end = rest.find('"').unwrap();
        let name = rest[..name_end].to_string();
        let v = rest.find("value=\"").unwrap() + 7;
        let value_end = v + rest[v..].find('"').unwrap();
        fields.push((name, decode_entities(&rest[v..value_end])));
        rest = &rest[value_end..];
    }
    fields
}

/// Undoes askama's escaping (`&#38;`, `&#34;`, ...).
fn decode_entities(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("&#") {
        out.push_str(&rest[..i]);
        let end = rest[i..].find(';').map(|e| i + e).unwrap();
        let code: u32 = rest[i + 2..end].parse().unwrap();
        out.push(char::from_u32(code).unwrap());
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

async fn post(app: &TestApp, path: &str, fields: &[(String, String)]) -> (u16, String, String) {
    let res = app
        .client
        .post(format!("{}{path}", app.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(fields))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, location, res.text().await.unwrap())
}

fn with(fields: &[(String, String)], extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out = fields.to_vec();
    for (k, v) in extra {
        out.retain(|(name, _)| name != k);
        out.push((k.to_string(), v.to_string()));
    }
    out
}

fn without(fields: &[(String, String)], name: &str) -> Vec<(String, String)> {
    fields.iter().filter(|(k, _)| k != name).cloned().collect()
}

async fn view(app: &TestApp, url: &str) -> Value {
    app.request_view(APP_KEY, url).await
}

async fn used(app: &TestApp) -> i64 {
    app.admin(
        reqwest::Method::GET,
        "/admin/v1/apps/app1/users/1001/allocation",
        None,
    )
    .await
    .1["used"]
        .as_i64()
        .unwrap()
}

async fn setup() -> (TestApp, String) {
    setup_on(Backend::Redis).await
}

async fn setup_on(backend: Backend) -> (TestApp, String) {
    let app = spawn_app_with(backend, |t| t).await;
    app.seed_graph(APP_KEY).await;
    let session = app.session(1001).await;
    (app, session)
}

#[tokio::test]
async fn page_shows_the_request_safely() {
    let (app, session) = setup().await;
    let content = r#"Come <b>play</b>! <a href="http://apps.example.com/slicedbread/help">help</a> <script>alert('x')</script><img src=x onerror="alert(1)"><a href="javascript:alert(2)">js</a> <fb:req-choice url="http://apps.example.com/slicedbread/play?a=1&b=2" label="Play &lt;now&gt;"/> <fb:req-choice url="javascript:alert(3)" label="Evil"/>"#;
    let url = pending(
        &app,
        &session,
        &[
            ("content", content),
            ("type", "gift<script>alert(4)</script>"),
            ("image", "http://img.example/i.png\" onerror=\"alert(5)"),
            ("invite", "true"),
        ],
    )
    .await;
    let (status, headers, html) = get(&app, &local(&app, &url)).await;
    assert_eq!(status, 200, "{html}");
    assert!(headers["content-security-policy"].contains("frame-ancestors 'none'"));
    assert!(headers["content-security-policy"].contains("default-src 'none'"));
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert!(html.contains("<h1>Sliced Bread: send 2 gift&#60;script&#62;alert(4)&#60;/script&#62; invitations?</h1>"), "{html}");
    assert!(html.contains("From user 1001"));
    assert!(html.contains("<li>1002</li><li>1004</li>"));
    assert!(html.contains("Come <b>play</b>!"));
    assert!(html.contains(r#"<a href="http://apps.example.com/slicedbread/help" rel="nofollow noopener noreferrer">help</a>"#), "{html}");
    assert!(
        html.contains(
            r#"class="choice" href="http://apps.example.com/slicedbread/play?a=1&#38;b=2""#
        ),
        "{html}"
    );
    assert!(html.contains(">Play &#60;now&#62;</a>"), "{html}");
    assert!(
        html.contains(
            r#"<img class="picture" src="http://img.example/i.png&#34; onerror=&#34;alert(5)""#
        ),
        "{html}"
    );
    let lower = html.to_ascii_lowercase();
    assert!(
        !lower.contains("<script"),
        "no script element at all on a non-mixi page"
    );
    assert!(!lower.contains("javascript:"));
    assert!(!lower.contains("onerror=\""));
    assert!(!html.contains("Evil"));
    assert!(html.contains("id=\"fbb-send\""));
    assert!(html.contains("id=\"fbb-cancel\""));
}

#[tokio::test]
async fn send_delivers_and_redirects_to_the_app() {
    send_delivers_and_redirects_to_the_app_on(Backend::Redis).await;
}

pub async fn send_delivers_and_redirects_to_the_app_on(backend: Backend) {
    let (app, session) = setup_on(backend).await;
    let url = pending(&app, &session, &[]).await;
    let (_, _, html) = get(&app, &local(&app, &url)).await;
    let fields = form_fields(&html, "fbb-send");
    let (status, location, _) =
        post(&app, "/send_req.php", &with(&fields, &[("action", "send")])).await;
    assert_eq!(status, 303);
    assert_eq!(location, "http://apps.example.com/slicedbread/?sent=1");
    assert_eq!(
        app.wait_inbox(APP_KEY, 1004, 1).await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        app.wait_inbox(APP_KEY, 1002, 1).await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let v = view(&app, &url).await;
    assert_eq!(v["status"], "sent");

    // A second submit, and the page itself, are refused: nothing is delivered twice.
    let (status, _, body) =
        post(&app, "/send_req.php", &with(&fields, &[("action", "send")])).await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("Already sent"));
    let (status, _, _) = get(&app, &local(&app, &url)).await;
    assert_eq!(status, 409);
    let (status, _, _) = post(
        &app,
        "/send_req.php",
        &with(&fields, &[("action", "cancel")]),
    )
    .await;
    assert_eq!(status, 409);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(
        app.inbox(APP_KEY, 1004).await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(used(&app).await, 2, "no refund after sending");
}

#[tokio::test]
async fn concurrent_submits_settle_once() {
    concurrent_submits_settle_once_on(Backend::Redis).await;
}

pub async fn concurrent_submits_settle_once_on(backend: Backend) {
    let (app, session) = setup_on(backend).await;
    let url = pending(&app, &session, &[]).await;
    let (_, _, html) = get(&app, &local(&app, &url)).await;
    let fields = with(&form_fields(&html, "fbb-send"), &[("action", "send")]);
    let cancel = with(&form_fields(&html, "fbb-cancel"), &[("action", "cancel")]);
    let results = futures_util::future::join_all((0..8).map(|i| {
        let f = if i % 2 == 0 {
            fields.clone()
        } else {
            cancel.clone()
        };
        let app = &app;
        async move { post(app, "/send_req.php", &f).await.0 }
    }))
    .await;
    assert_eq!(
        results.iter().filter(|s| **s == 303).count(),
        1,
        "{results:?}"
    );
    assert!(
        results.iter().all(|s| *s == 303 || *s == 409),
        "{results:?}"
    );
}

#[tokio::test]
async fn cancel_refunds_the_quota() {
    cancel_refunds_the_quota_on(Backend::Redis).await;
}

pub async fn cancel_refunds_the_quota_on(backend: Backend) {
    let (app, session) = setup_on(backend).await;
    let url = pending(&app, &session, &[]).await;
    assert_eq!(used(&app).await, 2);
    let (_, _, html) = get(&app, &local(&app, &url)).await;
    let fields = form_fields(&html, "fbb-cancel");
    let (status, location, _) = post(
        &app,
        "/send_req.php",
        &with(&fields, &[("action", "cancel")]),
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(location, "http://apps.example.com/slicedbread/?sent=0");
    assert_eq!(used(&app).await, 0);
    let v = view(&app, &url).await;
    assert_eq!(v["status"], "cancelled");
    assert_eq!(v["recipients"][0]["state"], "dropped");
    let (status, _, _) = post(&app, "/send_req.php", &with(&fields, &[("action", "send")])).await;
    assert_eq!(status, 409);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(app.inbox(APP_KEY, 1004).await["items"]
        .as_array()
        .unwrap()
        .is_empty());
}

/// A page that expires unconfirmed gives its quota back: the user never sent those
/// invitations. The workers' sweeper does it, shown in the admin view as `expired`.
async fn an_unconfirmed_page_gives_its_quota_back_on(backend: Backend) {
    let app = spawn_app_with(backend, |t| {
        t.replace("expiry_secs = 3600", "expiry_secs = 1")
    })
    .await;
    app.seed_graph(APP_KEY).await;
    let session = app.session(1001).await;
    let url = app.send_request(&session, "1004", &[]).await.json();
    let url = url.as_str().unwrap().to_string();
    let used = || async {
        app.admin(
            reqwest::Method::GET,
            &format!("/admin/v1/apps/{APP_KEY}/users/1001/allocation"),
            None,
        )
        .await
        .1["used"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(used().await, 1);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while used().await != 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "quota never given back"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let view = app.request_view(APP_KEY, &url).await;
    assert_eq!(view["status"], "expired");
    assert_eq!(view["recipients"][0]["state"], "dropped", "{view}");
    assert_eq!(
        view["recipients"][0]["detail"],
        "the confirmation page expired unconfirmed"
    );
    // A settled request is never swept: confirming after the refund is refused (410).
    let (status, _, _) = get(&app, &local(&app, &url)).await;
    assert_eq!(status, 410);
}

#[tokio::test]
async fn an_unconfirmed_page_gives_its_quota_back() {
    an_unconfirmed_page_gives_its_quota_back_on(Backend::Redis).await;
    an_unconfirmed_page_gives_its_quota_back_on(Backend::Memory).await;
}
