//! A real legacy client reads the graph: Debian's Perl WWW::Facebook::API calls
//! friends.get, friends.getAppUsers, users.getInfo and fql.query through fbbridge.

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
my $json = JSON::Any->new(canonical => 1);
sub show {
    my ($name, $result) = @_;
    my ($ok, $error) = @{ $client->call_success };
    my $text = ref $result ? $json->objToJson($result) : (defined $result ? $result : '');
    $text =~ s/\n/\\n/g;
    print "$name.ok=$ok\n";
    print "$name.error=", (defined $error ? $error : ''), "\n";
    print "$name=$text\n";
}
show('friends', $client->friends->get);
show('app_users', $client->friends->get_app_users);
show('info', $client->users->get_info(uids => [1002, 1004], fields => [qw(name pic_square is_app_user)]));
show('fql', $client->fql->query(query => 'SELECT uid, name FROM user WHERE has_added_app = 1 AND uid IN (SELECT uid2 FROM friend WHERE uid1 = 1001)'));
"#;

fn run(server: &str, format: &str, session: &str) -> String {
    run_perl_script(SCRIPT, &[server, format, session])
}

#[tokio::test]
async fn perl_www_facebook_api_reads_the_graph() {
    let app = spawn_app().await;
    app.seed_profiles("nocallid").await;
    let (session, _) = app.session_in("nocallid", 1001).await;
    let server = format!("{}/restserver.php", app.address);

    let json = tokio::task::spawn_blocking({
        let (server, session) = (server.clone(), session.clone());
        move || run(&server, "JSON", &session)
    })
    .await
    .unwrap();
    println!("Perl WWW::Facebook::API, JSON:\n{json}");
    for name in ["friends", "app_users", "info", "fql"] {
        assert_eq!(field(&json, &format!("{name}.ok")), "1", "{json}");
        assert_eq!(field(&json, &format!("{name}.error")), "", "{json}");
    }
    assert_eq!(field(&json, "friends"), "[1002,1003,1004]");
    assert_eq!(field(&json, "app_users"), "[1002,1003]");
    assert_eq!(
        field(&json, "info"),
        r#"[{"is_app_user":true,"name":"Alice Smith","pic_square":"http://img.example/1002.png","uid":1002},{"is_app_user":false,"name":"Carol <b>King</b>","pic_square":"http://img.example/1004.png","uid":1004}]"#
    );
    assert_eq!(
        field(&json, "fql"),
        r#"[{"name":"Alice Smith","uid":1002},{"name":"Bob Jones","uid":1003}]"#
    );

    let xml = tokio::task::spawn_blocking(move || run(&server, "XML", &session))
        .await
        .unwrap();
    println!("Perl WWW::Facebook::API, XML:\n{xml}");
    assert_eq!(
        field(&xml, "friends"),
        format!("{}<friends_get_response {XML_NS} list=\"true\">\\n  <uid>1002</uid>\\n  <uid>1003</uid>\\n  <uid>1004</uid>\\n</friends_get_response>", XML_DECL.replace('\n', "\\n"))
    );
    assert!(
        field(&xml, "info").contains("<name>Carol &lt;b&gt;King&lt;/b&gt;</name>"),
        "{xml}"
    );
    assert!(
        field(&xml, "fql").contains(&format!("<fql_query_response {XML_NS_FQL} list=\"true\">")),
        "{xml}"
    );
    assert_eq!(field(&xml, "app_users.ok"), "1");
}
