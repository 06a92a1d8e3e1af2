//! End to end with a real legacy client: Debian's `libwww-facebook-api-perl`
//! (WWW::Facebook::API 0.4.18), installed by `./scripts/test`.

use std::process::Command;

use crate::helpers::*;

const SCRIPT: &str = r#"
use strict;
use warnings;
use WWW::Facebook::API;

my ($server, $format, $session, $to) = @ARGV;
my $client = WWW::Facebook::API->new(
    api_key     => 'nocallid',
    secret      => 'nocallidsecret',
    server_uri  => $server,
    session_key => $session,
    format      => $format,
    parse       => ($format eq 'JSON' ? 1 : 0),
    callback    => 'http://apps.example.com/nocallid/',
    desktop     => 0,
    throw_errors => 0,
);
my $result = $client->call('notifications.sendRequest',
    to_ids  => [split /,/, $to],
    type    => 'event',
    content => 'Join me! <fb:req-choice url="http://apps.example.com/nocallid/play?a=1&b=2" label="Go"/>',
    image   => 'http://img.example/i.png',
    invite  => 'true',
);
my ($ok, $error) = @{ $client->call_success };
$result = '' unless defined $result;
$result =~ s/\n/ /g;
print "ok=$ok\n";
print "error=", (defined $error ? $error : ''), "\n";
print "result=$result\n";
"#;

fn run_perl(server: &str, format: &str, session: &str, to: &str) -> (String, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("client.pl");
    std::fs::write(&path, SCRIPT).unwrap();
    let out = Command::new("perl")
        .arg(&path)
        .args([server, format, session, to])
        .output()
        .expect("perl runs");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        out.status.success(),
        "perl client failed (is libwww-facebook-api-perl installed? ./scripts/test installs it):\n{stderr}"
    );
    let field = |name: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name} in {stdout}\n{stderr}"))
            .to_string()
    };
    (field("ok"), field("error"), field("result"))
}

#[tokio::test]
async fn perl_www_facebook_api_calls_send_request() {
    let app = spawn_app().await;
    app.seed_graph("nocallid").await;
    let (session, _) = app.session_in("nocallid", 1001).await;
    let server = format!("{}/restserver.php", app.address);

    let (ok, error, result) = tokio::task::spawn_blocking({
        let (server, session) = (server.clone(), session.clone());
        move || run_perl(&server, "JSON", &session, "1002,1004")
    })
    .await
    .unwrap();
    assert_eq!((ok.as_str(), error.as_str()), ("1", ""));
    assert!(
        result.starts_with("http://gateway.example/send_req.php?from=1001&id="),
        "{result}"
    );

    let (ok, error, result) = tokio::task::spawn_blocking({
        let (server, session) = (server.clone(), session.clone());
        move || run_perl(&server, "XML", &session, "1004")
    })
    .await
    .unwrap();
    assert_eq!((ok.as_str(), error.as_str()), ("1", ""));
    assert!(
        result.contains("<notifications_sendRequest_response"),
        "{result}"
    );
    assert!(
        result.contains(">http://gateway.example/send_req.php?from=1001&amp;id="),
        "{result}"
    );

    // App users only: the empty answer, which the client reports as nothing.
    let (ok, _, result) = tokio::task::spawn_blocking({
        let (server, session) = (server.clone(), session.clone());
        move || run_perl(&server, "JSON", &session, "1002,1003")
    })
    .await
    .unwrap();
    assert_eq!((ok.as_str(), result.as_str()), ("1", ""));

    // Errors surface as the client reports them: "code: message".
    let (ok, error, _) = tokio::task::spawn_blocking({
        let server = server.clone();
        move || {
            run_perl(
                &server,
                "JSON",
                "0123456789abcdef0123456789abcdef-1001",
                "1004",
            )
        }
    })
    .await
    .unwrap();
    assert_eq!(ok, "0");
    assert_eq!(error, "102: Session key invalid or no longer valid");
    let (ok, error, _) =
        tokio::task::spawn_blocking(move || run_perl(&server, "XML", &session, "9999"))
            .await
            .unwrap();
    assert_eq!(ok, "0");
    assert_eq!(error, "110: Invalid user id");
}
