//! The six captured real-client requests (`tests/fixtures/legacy-client-requests.txt`, a copy
//! of `shared/vectors`): each decodes to exactly its listed parameters and verifies, and the
//! app-secret ones are answered end to end when replayed byte for byte.

use actix_web::web::Bytes;
use fbbridge::http::legacy::params::parse_request;
use fbbridge::http::legacy::signature::verify;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::*;

const FIXTURE: &[u8] = include_bytes!("../fixtures/legacy-client-requests.txt");
const SEPARATOR: &[u8] =
    b"======================================================================\n";

struct Vector {
    name: String,
    /// `POST /path?query HTTP/1.1` without the capture's timestamp.
    request_line: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    expected: Vec<(String, String)>,
    secret: &'static str,
    answered_json: bool,
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `[('a', 'b'), ('c', 'd')]` (Python's repr; no value holds a single quote).
fn parse_python_pairs(text: &str) -> Vec<(String, String)> {
    let inner = text.trim().trim_start_matches("[(").trim_end_matches(")]");
    inner
        .split("), (")
        .map(|pair| {
            let (k, v) = pair.split_once("', '").expect("a pair");
            (
                k.trim_start_matches('\'').to_string(),
                v.trim_end_matches('\'').to_string(),
            )
        })
        .collect()
}

fn vectors() -> Vec<Vector> {
    let mut out = Vec::new();
    let mut rest = FIXTURE;
    let mut names = Vec::new();
    for line in String::from_utf8_lossy(FIXTURE).lines() {
        if let Some(name) = line.strip_prefix("#### ") {
            names.push(name.to_string());
        }
    }
    while let Some(start) = find(rest, SEPARATOR) {
        rest = &rest[start + SEPARATOR.len()..];
        let end = find(rest, b"\n--- parsed params").expect("parsed params");
        let raw = &rest[..end];
        let tail = String::from_utf8_lossy(&rest[end + 1..]).to_string();
        let split = find(raw, b"\n\n").expect("head and body");
        let head = String::from_utf8(raw[..split].to_vec()).unwrap();
        let body = raw[split + 2..].to_vec();
        let mut lines = head.lines();
        let first = lines.next().unwrap();
        let request_line = first.split_once(' ').unwrap().1.to_string();
        let headers = lines
            .map(|l| {
                let (k, v) = l.split_once(": ").unwrap();
                (k.to_string(), v.to_string())
            })
            .collect();
        let parsed_line = tail.lines().next().unwrap();
        let expected = parse_python_pairs(parsed_line.strip_prefix("--- parsed params: ").unwrap());
        let sig_line = tail.lines().nth(1).unwrap();
        assert!(sig_line.ends_with("-> VALID"));
        let secret = if sig_line.contains("(session secret)") {
            "sessionsecret456"
        } else {
            "appsecret123"
        };
        let answered_json = tail.lines().nth(2).unwrap().contains("mode=json_ok");
        out.push(Vector {
            name: names[out.len()].clone(),
            request_line,
            headers,
            body,
            expected,
            secret,
            answered_json,
        });
    }
    out
}

impl Vector {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn query(&self) -> Option<&str> {
        let target = self.request_line.split(' ').nth(1).unwrap();
        target.split_once('?').map(|(_, q)| q)
    }
}

#[tokio::test]
async fn six_client_vectors_decode_and_verify() {
    let vectors = vectors();
    assert_eq!(vectors.len(), 6);
    for v in &vectors {
        assert_eq!(
            v.header("content-length")
                .unwrap()
                .parse::<usize>()
                .unwrap(),
            v.body.len(),
            "{}",
            v.name
        );
        let params = parse_request(
            v.query(),
            v.header("content-type"),
            Bytes::from(v.body.clone()),
        )
        .await
        .unwrap_or_else(|(e, _)| panic!("{}: {e}", v.name));
        let got: Vec<(String, String)> = params
            .iter()
            .map(|(k, val)| (k.to_string(), String::from_utf8(val.to_vec()).unwrap()))
            .collect();
        assert_eq!(got, v.expected, "{}", v.name);
        assert!(verify(&params, v.secret.as_bytes()), "{}", v.name);
        let other = if v.secret == "appsecret123" {
            "sessionsecret456"
        } else {
            "appsecret123"
        };
        assert!(!verify(&params, other.as_bytes()), "{}", v.name);
    }
}

async fn replay(app: &TestApp, v: &Vector) -> String {
    let target = v.request_line.split(' ').nth(1).unwrap();
    let target = target
        .replacen("/json_ok", "", 1)
        .replacen("/xml_ok", "", 1);
    let mut raw = format!("POST {target} HTTP/1.1\r\n").into_bytes();
    for (k, val) in &v.headers {
        let val = if k.eq_ignore_ascii_case("connection") {
            "close"
        } else {
            val.as_str()
        };
        raw.extend_from_slice(format!("{k}: {val}\r\n").as_bytes());
    }
    if v.header("connection").is_none() {
        raw.extend_from_slice(b"Connection: close\r\n");
    }
    raw.extend_from_slice(b"\r\n");
    raw.extend_from_slice(&v.body);
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .unwrap();
    stream.write_all(&raw).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    String::from_utf8(response).unwrap()
}

#[tokio::test]
async fn app_secret_vectors_replayed_byte_for_byte() {
    let app = spawn_app().await;
    // The captured session: key `sess-abc-123` of user 123 in app `myapikey`.
    use fbbridge::domain::SessionRecord;
    use fbbridge::store::prelude::*;
    let key = fbbridge::domain::SessionKey::parse("sess-abc-123").unwrap();
    let api = fbbridge::domain::ApiKey::parse("myapikey").unwrap();
    app.store
        .put_session(
            &key,
            &SessionRecord {
                api_key: api.clone(),
                uid: key.uid(),
                expires_at_ms: chrono::Utc::now().timestamp_millis() + 3_600_000,
            },
            std::time::Duration::from_secs(3600),
        )
        .await
        .unwrap();
    app.befriend("myapikey", 123, &[1001, 1002]).await;

    // In call_id order: minifb's counter, the Perl client's none, PHP's microtime, pyfacebook's ms.
    let order = ["minifb", "perl", "official PHP client 2007", "pyfacebook"];
    let all = vectors();
    for name in order {
        let v = all.iter().find(|v| v.name.starts_with(name)).unwrap();
        assert_eq!(v.secret, "appsecret123");
        let response = replay(&app, v).await;
        let (head, body) = response.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 200"), "{name}: {head}");
        if v.answered_json {
            assert!(
                head.to_ascii_lowercase()
                    .contains("content-type: application/json"),
                "{name}: {head}"
            );
            let url: String =
                serde_json::from_str(body).unwrap_or_else(|e| panic!("{name}: {e}: {body}"));
            assert!(
                url.starts_with("http://gateway.example/send_req.php?from=123&id="),
                "{name}: {url}"
            );
        } else {
            assert!(body.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<notifications_sendRequest_response "), "{name}: {body}");
            assert!(
                body.contains(">http://gateway.example/send_req.php?from=123&amp;id="),
                "{name}: {body}"
            );
        }
    }
    // Replaying minifb's call_id=2 now is refused: the mark is at pyfacebook's.
    let minifb = all.iter().find(|v| v.name.starts_with("minifb")).unwrap();
    let response = replay(&app, minifb).await;
    assert!(response.contains("{\"error_code\":103,"), "{response}");
    let (_, alloc) = app
        .admin(
            reqwest::Method::GET,
            "/admin/v1/apps/myapikey/users/123/allocation",
            None,
        )
        .await;
    assert_eq!(alloc["used"], 8);
}
