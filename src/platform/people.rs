//! The platform's People API: a user and their friends, with the app's 2-legged OAuth.
//!
//! Invariants:
//! - Every call is signed (HMAC-SHA1, `xoauth_requestor_id` = the user's platform id) and
//!   bounded in time; a failure is an error, never an empty friend list.
//! - Paging follows `startIndex`/`count` until `totalResults` is reached or a page comes
//!   back empty, at most [`MAX_PAGES`] pages.
//! - Profiles are mapped as `graph.md` says and normalised (no non-http URL survives).

use serde::Deserialize;

use super::oauth;
use super::url::percent_encode;
use crate::domain::{App, PeopleDirectory, PeopleFailure, PlatformPerson, Profile, Upstream};

pub const FIELDS: &str = "id,displayName,name,thumbnailUrl,gender,profileUrl,hasApp";
/// Friends asked for per page.
pub const PAGE_SIZE: usize = 100;
/// Pages read at most (so a platform that never ends its list cannot hold a call).
pub const MAX_PAGES: usize = 50;

#[derive(Debug, thiserror::Error)]
pub enum PeopleError {
    #[error("People API unreachable: {0}")]
    Unreachable(String),
    #[error("People API answered {status}: {snippet}")]
    Status { status: u16, snippet: String },
    #[error("People API answer is not a person list: {0}")]
    Malformed(String),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum BoolOrText {
    Bool(bool),
    Text(String),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum GenderField {
    Text(String),
    Keyed { key: String },
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct NameField {
    given_name: Option<String>,
    family_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPerson {
    id: serde_json::Value,
    display_name: Option<String>,
    #[serde(default)]
    name: Option<NameField>,
    thumbnail_url: Option<String>,
    gender: Option<GenderField>,
    profile_url: Option<String>,
    has_app: Option<BoolOrText>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Entries {
    Many(Vec<RawPerson>),
    One(Box<RawPerson>),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPage {
    entry: Option<Entries>,
    total_results: Option<serde_json::Value>,
}

fn number_or_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl RawPerson {
    fn into_person(self) -> Option<PlatformPerson> {
        let id = number_or_text(&self.id)?;
        let name = self.name.unwrap_or_default();
        let (mut first, mut last) = (name.given_name, name.family_name);
        if first.is_none() && last.is_none() {
            if let Some(d) = &self.display_name {
                let mut parts = d.trim().splitn(2, ' ');
                first = parts.next().map(str::to_string);
                last = parts.next().map(str::to_string);
            }
        }
        let has_app = match self.has_app {
            Some(BoolOrText::Bool(b)) => b,
            Some(BoolOrText::Text(t)) => t.eq_ignore_ascii_case("true") || t == "1",
            None => false,
        };
        let sex = self.gender.map(|g| match g {
            GenderField::Text(t) => t.to_ascii_lowercase(),
            GenderField::Keyed { key } => key.to_ascii_lowercase(),
        });
        let profile = Profile {
            name: self.display_name,
            first_name: first,
            last_name: last,
            pic_square: self.thumbnail_url.clone(),
            pic_small: self.thumbnail_url.clone(),
            pic: self.thumbnail_url,
            pic_big: None,
            sex,
            locale: None,
            profile_url: self.profile_url,
        }
        .normalised();
        Some(PlatformPerson {
            id,
            has_app,
            profile,
        })
    }
}

fn parse_page(body: &str) -> Result<(Vec<PlatformPerson>, Option<usize>), PeopleError> {
    let page: RawPage =
        serde_json::from_str(body).map_err(|e| PeopleError::Malformed(e.to_string()))?;
    let raw = match page.entry {
        None => Vec::new(),
        Some(Entries::Many(v)) => v,
        Some(Entries::One(p)) => vec![*p],
    };
    let total = page
        .total_results
        .as_ref()
        .and_then(number_or_text)
        .and_then(|t| t.parse().ok());
    Ok((
        raw.into_iter().filter_map(RawPerson::into_person).collect(),
        total,
    ))
}

async fn get(
    client: &reqwest::Client,
    upstream: &Upstream,
    url: &str,
) -> Result<String, PeopleError> {
    let timestamp = chrono::Utc::now().timestamp().max(0) as u64;
    let auth = oauth::authorization(&oauth::Request {
        method: "GET",
        url,
        consumer_key: &upstream.consumer_key,
        consumer_secret: upstream.consumer_secret.expose(),
        body: b"",
        nonce: oauth::nonce(),
        timestamp,
    })
    .map_err(|e| PeopleError::Malformed(e.to_string()))?;
    let response = client
        .get(url)
        .header("authorization", auth)
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|e| PeopleError::Unreachable(e.to_string()))?;
    let status = response.status().as_u16();
    let text = response
        .text()
        .await
        .map_err(|e| PeopleError::Unreachable(e.to_string()))?;
    if !(200..300).contains(&status) {
        return Err(PeopleError::Status {
            status,
            snippet: text.chars().filter(|c| !c.is_control()).take(200).collect(),
        });
    }
    Ok(text)
}

fn person_url(app: &App, upstream: &Upstream, guid: &str, group: &str, query: &str) -> String {
    format!(
        "{}/people/{}/{group}?{query}xoauth_requestor_id={}",
        upstream.people_base(app.platform.kind()),
        percent_encode(guid),
        percent_encode(guid)
    )
}

/// The user themselves (`@self`).
#[tracing::instrument(name = "people_self", skip_all, fields(api_key = %app.api_key))]
pub async fn fetch_self(
    client: &reqwest::Client,
    app: &App,
    upstream: &Upstream,
    guid: &str,
) -> Result<PlatformPerson, PeopleError> {
    let url = person_url(
        app,
        upstream,
        guid,
        "@self",
        &format!("fields={}&", percent_encode(FIELDS)),
    );
    let body = get(client, upstream, &url).await?;
    parse_page(&body)?
        .0
        .into_iter()
        .next()
        .ok_or_else(|| PeopleError::Malformed("no entry for the user".into()))
}

/// All of the user's friends (`@friends`), page by page.
#[tracing::instrument(name = "people_friends", skip_all, fields(api_key = %app.api_key, pages))]
pub async fn fetch_friends(
    client: &reqwest::Client,
    app: &App,
    upstream: &Upstream,
    guid: &str,
) -> Result<Vec<PlatformPerson>, PeopleError> {
    let first = upstream.people_start_index(app.platform.kind()) as usize;
    let mut friends: Vec<PlatformPerson> = Vec::new();
    let mut pages = 0;
    while pages < MAX_PAGES {
        let query = format!(
            "fields={}&startIndex={}&count={PAGE_SIZE}&",
            percent_encode(FIELDS),
            first + friends.len()
        );
        let url = person_url(app, upstream, guid, "@friends", &query);
        let (page, total) = parse_page(&get(client, upstream, &url).await?)?;
        pages += 1;
        let got = page.len();
        friends.extend(page);
        if got == 0 || total.is_none_or(|t| friends.len() >= t) {
            break;
        }
    }
    tracing::Span::current().record("pages", pages);
    friends.retain(|f| f.id != guid);
    let mut seen = std::collections::HashSet::new();
    friends.retain(|f| seen.insert(f.id.clone()));
    Ok(friends)
}

/// The People API over HTTP: the [`PeopleDirectory`] the gateway runs with.
#[derive(Clone)]
pub struct PeopleClient {
    pub http: reqwest::Client,
}

impl PeopleDirectory for PeopleClient {
    async fn person_and_friends(
        &self,
        app: &App,
        upstream: &Upstream,
        guid: &str,
    ) -> Result<(PlatformPerson, Vec<PlatformPerson>), PeopleFailure> {
        tokio::try_join!(
            fetch_self(&self.http, app, upstream, guid),
            fetch_friends(&self.http, app, upstream, guid)
        )
        .map_err(|e| PeopleFailure(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_follows_graph_md() {
        let (people, total) = parse_page(r#"{"startIndex":1,"totalResults":"2","entry":[
            {"id":"mbga:1002","displayName":"Alice Smith","thumbnailUrl":"http://img/a.png","gender":"female","hasApp":true},
            {"id":"x7","displayName":"Bob","name":{"givenName":"Bobby","familyName":"B"},"hasApp":"true","profileUrl":"javascript:x"},
            {"id":1004,"hasApp":"false","gender":{"key":"MALE","displayValue":"m"}}]}"#).unwrap();
        assert_eq!(total, Some(2));
        assert_eq!(people.len(), 3);
        let a = &people[0];
        assert!(a.has_app);
        assert_eq!(a.profile.first_name.as_deref(), Some("Alice"));
        assert_eq!(a.profile.last_name.as_deref(), Some("Smith"));
        assert_eq!(a.profile.pic_square.as_deref(), Some("http://img/a.png"));
        assert_eq!(a.profile.sex.as_deref(), Some("female"));
        assert_eq!(people[1].profile.first_name.as_deref(), Some("Bobby"));
        assert!(people[1].has_app);
        assert_eq!(people[1].profile.profile_url, None);
        assert_eq!(people[2].id, "1004");
        assert!(!people[2].has_app);
        assert_eq!(people[2].profile.sex.as_deref(), Some("male"));
        let (one, _) = parse_page(r#"{"entry":{"id":"1001","displayName":"Me"}}"#).unwrap();
        assert_eq!(one[0].profile.name.as_deref(), Some("Me"));
        assert!(parse_page("<html>").is_err());
    }
}
