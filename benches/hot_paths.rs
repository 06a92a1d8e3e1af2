//! Criterion benchmarks of the per-call hot functions: decoding parameters, checking the
//! signature, rendering answers, naming a sendRequest's Redis keys. Run with `cargo bench`.

use std::hint::black_box;

use actix_web::web::Bytes;
use criterion::{criterion_group, criterion_main, Criterion};
use fbbridge::domain::{ApiKey, ErrorCode, LegacyError, SessionKey, Uid};
use fbbridge::http::legacy::params::{parse_request, Params};
use fbbridge::http::legacy::response::{render, render_error, Answer, Format, Value};
use fbbridge::http::legacy::signature::{sign, verify};
use fbbridge::store::keys::Keys;

const URLENCODED: &[u8] = b"to_ids=1001%2C1002&type=event&content=Join+me%21+%3Cfb%3Areq-choice+url%3D%22http%3A%2F%2Fapps.example%2Fx%3Fa%3D1%26b%3D2%22+label%3D%22Go%22+%2F%3E&image=http%3A%2F%2Fimg.example%2Fi.png&invite=1&method=facebook.notifications.sendRequest&session_key=sess-abc-123&api_key=myapikey&call_id=1795376183.1118&v=1.0&sig=d3dec0d65e342955d545a3639a85f538";

fn multipart() -> Vec<u8> {
    let mut body = Vec::new();
    for (k, v) in [
        ("api_key", "myapikey"),
        (
            "content",
            "Join me! <fb:req-choice url=\"http://apps.example/x?a=1&b=2\" label=\"Go\" />",
        ),
        ("format", "JSON"),
        ("invite", "true"),
        ("method", "facebook.notifications.sendRequest"),
        ("session_key", "sess-abc-123"),
        ("to_ids", "1001,1002"),
        ("type", "event"),
        ("v", "1.0"),
        ("sig", "49ad8c4d25c6e87ee0b70551c3aad60a"),
    ] {
        body.extend_from_slice(
            format!("--xYzZY\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(b"--xYzZY--\r\n");
    body
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

fn parsed(rt: &tokio::runtime::Runtime) -> Params {
    rt.block_on(parse_request(
        None,
        Some("application/x-www-form-urlencoded"),
        Bytes::from_static(URLENCODED),
    ))
    .unwrap()
}

fn bench_parse(c: &mut Criterion) {
    let rt = runtime();
    let multipart = Bytes::from(multipart());
    c.bench_function("parse urlencoded (PHP 2007 client)", |b| {
        b.iter(|| {
            rt.block_on(parse_request(
                black_box(Some("format=XML")),
                Some("application/x-www-form-urlencoded"),
                Bytes::from_static(URLENCODED),
            ))
            .unwrap()
        })
    });
    c.bench_function("parse multipart (Perl client)", |b| {
        b.iter(|| {
            rt.block_on(parse_request(
                None,
                Some("multipart/form-data; boundary=xYzZY"),
                black_box(multipart.clone()),
            ))
            .unwrap()
        })
    });
}

fn bench_signature(c: &mut Criterion) {
    let params = parsed(&runtime());
    c.bench_function("verify signature (11 params)", |b| {
        b.iter(|| assert!(verify(black_box(&params), black_box(b"appsecret123"))))
    });
    c.bench_function("sign (11 params)", |b| {
        b.iter(|| sign(black_box(&params).iter(), b"appsecret123"))
    });
}

fn bench_render(c: &mut Criterion) {
    let params = parsed(&runtime());
    let url = Value::Str("http://gateway.example/send_req.php?from=1001&id=8740253760365976&api_key=app1&t=428f3573ab7c4628671912795178a6cf".into());
    let xml = Answer {
        format: Format::Xml,
        callback: None,
        fql: false,
    };
    let json = Answer {
        format: Format::Json,
        callback: None,
        fql: false,
    };
    let jsonp = Answer {
        format: Format::Json,
        callback: Some("cb".into()),
        fql: false,
    };
    let error = LegacyError::new(ErrorCode::InvalidCallId, "bench");
    c.bench_function("render XML result", |b| {
        b.iter(|| render("notifications.sendRequest", black_box(&url), &xml))
    });
    c.bench_function("render JSON result", |b| {
        b.iter(|| render("notifications.sendRequest", black_box(&url), &json))
    });
    c.bench_function("render XML error (11 args)", |b| {
        b.iter(|| render_error(black_box(&error), &params, &xml))
    });
    c.bench_function("render JSON error (11 args)", |b| {
        b.iter(|| render_error(black_box(&error), &params, &json))
    });
    c.bench_function("render JSONP error (11 args)", |b| {
        b.iter(|| render_error(black_box(&error), &params, &jsonp))
    });
}

/// The eight keys one sendRequest's script is given (made on every call).
fn bench_keys(c: &mut Criterion) {
    let keys = Keys::new("fbb:", 128);
    let api = ApiKey::parse("myapikey").unwrap();
    let from = Uid::new(211_031).unwrap();
    let session = SessionKey::mint(from);
    c.bench_function("sendRequest keys (8)", |b| {
        b.iter(|| {
            let (api, session) = (black_box(&api), black_box(&session));
            [
                keys.session(api, session),
                keys.friends(api, from),
                keys.quota(api, from, "20261206"),
                keys.request(api, from, 8_583_075_629_724_140),
                keys.outbox_of(api, from),
                keys.request_index(api, from),
                keys.replays(api, session),
                keys.expiring_of(api, from),
            ]
        })
    });
}

criterion_group!(
    benches,
    bench_parse,
    bench_signature,
    bench_render,
    bench_keys
);
criterion_main!(benches);
