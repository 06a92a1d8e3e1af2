//! A real legacy client sends a notification and publishes stories: Debian's Perl
//! WWW::Facebook::API calls notifications.send, feed.registerTemplateBundle,
//! feed.publishUserAction and feed.publishTemplatizedAction through fbbridge, in JSON and
//! XML, and reads the answers as it read Facebook's.

use super::*;
use crate::helpers::perl::{field, run_perl_script};

const SCRIPT: &str = r#"
use strict;
use warnings;
use WWW::Facebook::API;
use JSON::Any;

my ($server, $format, $session) = @ARGV;
my $client = WWW::Facebook::API->new(
    api_key     => 'nocallid',
    secret      => 'nocallidsecret',
    server_uri  => $server,
    session_key => $session,
    format      => $format,
    parse       => ($format eq 'JSON' ? 1 : 0),
    desktop     => 0,
    throw_errors => 0,
);
my $json = JSON::Any->new(canonical => 1, allow_nonref => 1);
sub show {
    my ($name, $result) = @_;
    my ($ok, $error) = @{ $client->call_success };
    my $text = ref $result ? $json->objToJson($result) : (defined $result ? $result : '');
    $text =~ s/\n/\\n/g;
    print "$name.ok=$ok\n";
    print "$name.error=", (defined $error ? $error : ''), "\n";
    print "$name=$text\n";
    return $result;
}
show('notified', $client->notifications->send(to_ids => [1002, 5555, 1004], notification => "fed your <b>cat</b> ($format)"));
my $bundle = show('bundle', $client->feed->register_template_bundle(
    one_line_story_templates => '["{*actor*} fed {*target*} a {*food*}."]'));
if ($format eq 'XML') { ($bundle) = $bundle =~ m{>(\d+)<}; }
show('user_action', $client->feed->publish_user_action(
    template_bundle_id => $bundle, template_data => '{"food":"sandwich"}', target_ids => [1002]));
show('templatized', $client->feed->publish_templatized_action(title_template => "{actor} baked bread ($format)"));
"#;

fn run(server: &str, format: &str, session: &str) -> String {
    run_perl_script(SCRIPT, &[server, format, session])
}

#[tokio::test]
async fn perl_www_facebook_api_notifies_and_publishes() {
    let app = spawn_app().await;
    app.seed_profiles("nocallid").await;
    let (session, _) = app.session_in("nocallid", 1001).await;
    let server = format!("{}/restserver.php", app.address);
    for format in ["JSON", "XML"] {
        let out = tokio::task::spawn_blocking({
            let (server, session) = (server.clone(), session.clone());
            move || run(&server, format, &session)
        })
        .await
        .unwrap();
        println!("Perl WWW::Facebook::API, {format}:\n{out}");
        for name in ["notified", "bundle", "user_action", "templatized"] {
            assert_eq!(field(&out, &format!("{name}.ok")), "1", "{out}");
            assert_eq!(field(&out, &format!("{name}.error")), "", "{out}");
        }
        if format == "JSON" {
            assert_eq!(field(&out, "notified"), "1002,1004");
            assert!(field(&out, "bundle").parse::<u64>().is_ok(), "{out}");
            assert_eq!(field(&out, "user_action"), "[true]");
            assert_eq!(field(&out, "templatized"), "[true]");
        } else {
            assert!(
                field(&out, "notified").contains(">1002,1004</notifications_send_response>"),
                "{out}"
            );
            assert!(
                field(&out, "user_action").contains(
                    "<feed_publishUserAction_response_elt>1</feed_publishUserAction_response_elt>"
                ),
                "{out}"
            );
        }
    }
    let inbox = app.wait_inbox("nocallid", 1004, 2).await;
    assert_eq!(inbox["items"][0]["content"], "fed your <b>cat</b> (XML)");
    let feed = wait_json(&app, "/sandbox/nocallid/feed/1001", |v| items(v) >= 4).await;
    assert_eq!(feed["items"][0]["title"], "Ann Lee baked bread (XML)");
    assert_eq!(
        feed["items"][1]["title"],
        "Ann Lee fed Alice Smith a sandwich."
    );
}
