//! Canvas pages end to end over HTTP: the sandbox container's signed entry, the app called
//! with a valid `fb_sig` set, FBML rendered and links rewritten, the request form's Send
//! through the confirmation page back to the app's action with `ids[]`, Skip, the quota,
//! the app failing, redirects, replays, and two gateways sharing nonces and tokens.

use crate::helpers::fbml_app::FbmlApp;
use crate::helpers::*;

mod entries;
mod perl;

const KEY: &str = "canvasapp";

async fn setup(daily_limit: u32) -> (TestApp, FbmlApp) {
    let fbml = FbmlApp::start().await;
    let snippet = fbml.config(daily_limit);
    let app = spawn_app_with(Backend::Redis, |t| t + &snippet).await;
    app.seed_profiles(KEY).await;
    (app, fbml)
}

/// The gateway's public URL (gateway.example) as this test reaches it.
fn local(app: &TestApp, url: &str) -> String {
    url.replacen("http://gateway.example", &app.address, 1)
}

async fn get(app: &TestApp, url: &str) -> (u16, String, String) {
    let res = app.client.get(local(app, url)).send().await.unwrap();
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, location, res.text().await.unwrap())
}

async fn post(app: &TestApp, url: &str, form: &[(String, String)]) -> (u16, String, String) {
    let res = app
        .client
        .post(local(app, url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(form).unwrap())
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

/// The signed entry URL the sandbox container makes for `uid`.
async fn entry(app: &TestApp, uid: u64, path: &str) -> String {
    let (status, location, body) = get(
        app,
        &format!("{}/sandbox/{KEY}/launch/{uid}?path={path}", app.address),
    )
    .await;
    assert_eq!(status, 302, "{body}");
    location
}

fn unescape(s: &str) -> String {
    s.replace("&amp;", "&")
        .replace("&#38;", "&")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
}

/// The hidden fields of the form holding `marker`.
fn hidden_fields(html: &str, marker: &str) -> Vec<(String, String)> {
    let at = html.find(marker).unwrap();
    let start = html[..at].rfind("<form").unwrap();
    let end = at + html[at..].find("</form>").unwrap();
    let mut out = Vec::new();
    let mut rest = &html[start..end];
    while let Some(i) = rest.find("type=\"hidden\" name=\"") {
        rest = &rest[i + 20..];
        let name = rest[..rest.find('"').unwrap()].to_string();
        let v = rest.find("value=\"").unwrap() + 7;
        let value = unescape(&rest[v..v + rest[v..].find('"').unwrap()]);
        out.push((name, value));
    }
    out
}

#[tokio::test]
async fn a_launch_signs_the_viewer_in_and_the_app_gets_a_valid_fb_sig() {
    let (app, fbml) = setup(10).await;
    let url = entry(&app, 1001, "").await;
    assert!(
        url.contains("oauth_signature=") && url.contains("opensocial_viewer_id=1001"),
        "{url}"
    );
    let (status, _, html) = get(&app, &url).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("<title>Sliced Bread</title>"));
    assert!(
        html.contains(r#"Hello <span class="fbb-name">Ann Lee</span>!"#),
        "{html}"
    );
    assert!(html.contains("Carol does not play yet"));
    let call = fbml.last();
    assert!(call.fb_sig_valid, "{call:?}");
    assert_eq!(call.get("fb_sig_user"), Some("1001"));
    assert_eq!(call.get("fb_sig_friends"), Some("1002,1003,1004"));
    assert_eq!(call.get("fb_sig_added"), Some("1"));
    assert_eq!(call.get("fb_sig_in_canvas"), Some("1"));
    assert_eq!(call.get("fb_sig_request_method"), Some("GET"));
    assert_eq!(call.get("fb_sig_app_id"), Some("12000129"));
    assert!(call.get("opensocial_viewer_id").is_none() && !call.query.contains("oauth_"));
    // The session the app is given is a real legacy session.
    let session = call.get("fb_sig_session_key").unwrap().to_string();
    let friends = app
        .call_method_as(KEY, fbml_app_secret(), &session, "friends.get", "JSON", &[])
        .await;
    assert_eq!(friends.body, "[1002,1003,1004]");
    // Links inside the app come back through the canvas with the bridge token.
    let invite = html[..html.find(">Invite friends<").unwrap()]
        .rsplit("href=\"")
        .next()
        .unwrap()
        .to_string();
    let invite = unescape(&invite[..invite.find('"').unwrap()]);
    assert!(
        invite.starts_with("http://gateway.example/canvas/canvasapp/invite.php?fbb_t="),
        "{invite}"
    );
    assert!(
        html.contains("http://gateway.example/canvas/canvasapp/play.php?x=1&amp;fbb_t="),
        "apps.facebook.com links: {html}"
    );
    // The same signed entry twice is refused; the token keeps working.
    let (status, _, _) = get(&app, &url).await;
    assert_eq!(status, 401);
    let (status, _, page) = get(&app, &invite).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("fbb-request-form"));
    assert_eq!(
        fbml.last().get("fb_sig_session_key"),
        Some(session.as_str()),
        "the session is reused"
    );
}

fn fbml_app_secret() -> &'static str {
    crate::helpers::fbml_app::SECRET
}

#[tokio::test]
async fn the_request_form_sends_through_the_confirmation_and_tells_the_app() {
    let (app, fbml) = setup(2).await;
    let (_, _, page) = get(&app, &entry(&app, 1001, "invite.php").await).await;
    assert!(
        page.contains("Choose up to 2."),
        "the quota caps the selector: {page}"
    );
    assert!(
        page.contains(r#"name="ids[]" value="1002"> Alice Smith"#),
        "{page}"
    );
    let mut form = hidden_fields(&page, "fbb-request-form");
    form.push(("ids[]".into(), "1002".into()));
    form.push(("ids[]".into(), "1004".into()));
    form.push(("fbb_action".into(), "send".into()));
    let (status, confirm_url, body) = post(
        &app,
        &format!("{}/canvas/{KEY}/_fbb/request-form", app.address),
        &form,
    )
    .await;
    assert_eq!(status, 303, "{body}");
    assert!(
        confirm_url.starts_with("http://gateway.example/send_req.php?")
            && confirm_url.contains("fbb_b="),
        "{confirm_url}"
    );
    let (status, _, confirm) = get(&app, &confirm_url).await;
    assert_eq!(status, 200, "{confirm}");
    assert!(
        confirm.contains("Come build a <b>sandwich</b> with me!"),
        "{confirm}"
    );
    let at = confirm.find("id=\"fbb-send\"").unwrap();
    let start = confirm[..at].rfind("<form").unwrap();
    let mut fields = Vec::new();
    let mut rest = &confirm[start..at];
    while let Some(i) = rest.find("<input type=\"hidden\" name=\"") {
        rest = &rest[i + 27..];
        let name = rest[..rest.find('"').unwrap()].to_string();
        let v = rest.find("value=\"").unwrap() + 7;
        let raw = &rest[v..v + rest[v..].find('"').unwrap()];
        fields.push((name, decode_numeric(raw)));
    }
    fields.push(("action".into(), "send".into()));
    let (status, done, body) = post(&app, &format!("{}/send_req.php", app.address), &fields).await;
    assert_eq!(status, 303, "{body}");
    assert!(
        done.starts_with("http://gateway.example/canvas/canvasapp/_fbb/done?fbb_b="),
        "{done}"
    );
    let (status, _, thanks) = get(&app, &done).await;
    assert_eq!(status, 200, "{thanks}");
    assert!(thanks.contains("You invited 2 friends"), "{thanks}");
    let call = fbml.last();
    assert_eq!(call.path, "thanks.php");
    assert!(call.fb_sig_valid);
    assert_eq!(call.all("ids[]"), vec!["1002", "1004"]);
    app.wait_inbox(KEY, 1002, 1).await;
    assert_eq!(
        app.wait_inbox(KEY, 1004, 1).await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // The quota is used up: the selector says so and offers only Skip, which still works.
    let (_, _, page) = get(&app, &entry(&app, 1001, "invite.php").await).await;
    assert!(
        page.contains("as many invitations as you can today"),
        "{page}"
    );
    assert!(!page.contains("ids[]"));
    let mut skip = hidden_fields(&page, "fbb-request-form");
    skip.push(("fbb_action".into(), "skip".into()));
    let (status, _, thanks) = post(
        &app,
        &format!("{}/canvas/{KEY}/_fbb/request-form", app.address),
        &skip,
    )
    .await;
    assert_eq!(status, 200);
    assert!(thanks.contains("You invited 0 friends"), "{thanks}");
    assert!(fbml.last().all("ids[]").is_empty());
    // A tampered sealed form is refused.
    let mut forged = hidden_fields(&page, "fbb-request-form");
    for (k, v) in forged.iter_mut() {
        if k == "fbb_form" {
            v.insert(0, 'x');
        }
    }
    forged.push(("fbb_action".into(), "skip".into()));
    let (status, _, _) = post(
        &app,
        &format!("{}/canvas/{KEY}/_fbb/request-form", app.address),
        &forged,
    )
    .await;
    assert_eq!(status, 400);
}

fn decode_numeric(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("&#") {
        out.push_str(&rest[..i]);
        let end = rest[i..].find(';').map(|e| i + e).unwrap();
        out.push(char::from_u32(rest[i + 2..end].parse().unwrap()).unwrap());
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

#[tokio::test]
async fn failures_redirects_and_hostile_pages() {
    let (app, _fbml) = setup(10).await;
    let (status, _, body) = get(&app, &entry(&app, 1001, "broken.php").await).await;
    assert_eq!(status, 502);
    assert!(
        body.contains("The app is having trouble") && !body.contains("PHP Fatal"),
        "{body}"
    );
    let (status, _, _) = get(&app, &entry(&app, 1001, "slow.php").await).await;
    assert_eq!(status, 504);
    let (status, _, body) = get(&app, &entry(&app, 1001, "away.php").await).await;
    assert_eq!(status, 200);
    assert!(
        body.contains("does not follow links out of the app"),
        "{body}"
    );
    let (status, location, _) = get(&app, &entry(&app, 1001, "inside.php").await).await;
    assert_eq!(status, 303);
    assert!(
        location.starts_with("http://gateway.example/canvas/canvasapp/thanks.php?fbb_t="),
        "{location}"
    );
    let res = app
        .client
        .get(local(&app, &entry(&app, 1001, "hostile.php").await))
        .send()
        .await
        .unwrap();
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("script-src"),
        "{csp}"
    );
    let body = res.text().await.unwrap();
    for bad in ["<script", "onerror", "javascript:", "onload"] {
        assert!(!body.contains(bad), "{bad}: {body}");
    }
    assert!(body.contains("Alice Smith"));
    let metrics = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        r#"fbbridge_canvas_requests_total{app="canvasapp",outcome="app_error"}"#,
        r#"fbbridge_canvas_requests_total{app="canvasapp",outcome="redirect_refused"}"#,
        r#"fbbridge_canvas_requests_total{app="canvasapp",outcome="rendered"}"#,
        r#"fbbridge_canvas_app_duration_seconds_count{app="canvasapp"}"#,
    ] {
        assert!(metrics.contains(line), "{line} in\n{metrics}");
    }
}
