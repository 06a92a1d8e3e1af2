//! Debian's Perl WWW::Facebook::API::Canvas accepts the `fb_sig_*` set fbbridge sends.

use super::*;
use crate::helpers::perl::run_perl_script;

const SCRIPT: &str = r#"
use strict;
use warnings;
use CGI;
use WWW::Facebook::API;

my ($secret, $query) = @ARGV;
my $client = WWW::Facebook::API->new(api_key => 'canvasapp', secret => $secret, desktop => 0);
my $q = CGI->new($query);
my $params = $client->canvas->validate_sig($q);
print "valid=", ($params ? 1 : 0), "\n";
print "user=", ($params ? $params->{user} : ''), "\n";
print "in_canvas=", $client->canvas->in_fb_canvas($q) // '', "\n";
print "get_user=", $client->canvas->get_user($q), "\n";
"#;

fn run(secret: &str, query: &str) -> String {
    run_perl_script(SCRIPT, &[secret, query])
}

#[tokio::test]
async fn perl_www_facebook_api_canvas_validates_the_fb_sig_set() {
    let (app, fbml) = setup(10).await;
    let (status, _, _) = get(&app, &entry(&app, 1001, "").await).await;
    assert_eq!(status, 200);
    let fb: Vec<(String, String)> = fbml
        .last()
        .form
        .into_iter()
        .filter(|(k, _)| k.starts_with("fb_sig"))
        .collect();
    let query = serde_urlencoded::to_string(&fb).unwrap();
    let out = tokio::task::spawn_blocking({
        let query = query.clone();
        move || run(crate::helpers::fbml_app::SECRET, &query)
    })
    .await
    .unwrap();
    assert!(out.contains("valid=1\n"), "{out}");
    assert!(
        out.contains("user=1001\n")
            && out.contains("in_canvas=1\n")
            && out.contains("get_user=1001\n"),
        "{out}"
    );
    let wrong = tokio::task::spawn_blocking(move || run("another-secret", &query))
        .await
        .unwrap();
    assert!(wrong.contains("valid=0\n"), "{wrong}");
}
