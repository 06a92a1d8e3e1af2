//! Feed stories: `feed.registerTemplateBundle` and the three publish methods
//! (`publishUserAction`, `publishTemplatizedAction`, `publishActionOfUser`).
//!
//! Invariants:
//! - A publish call passes the session/call_id gate (with the actor's graph, one round
//!   trip) before its parameters are judged, in the legacy order.
//! - Targets must all be friends of the actor (366); the template's tokens must all be
//!   covered (367, or 361/363 for templatized titles and bodies); nothing is stored or
//!   counted when a call is refused.
//! - `feed_actions_per_day` counts one per story per actor, all or nothing (341); the
//!   allocation, the story and its delivery are one store operation.

use std::collections::HashMap;

use super::caller::{gate, Caller};
use super::notify::{new_record_id, with_names};
use super::social::Social;
use crate::domain::quota::{quota_day, Allowance};
use crate::domain::story::{
    checked_images, join_names, templatized_story, user_action_story, StoryError, TemplateData,
};
use crate::domain::{
    ErrorCode, GraphView, LegacyError, MessageKind, PeopleDirectory, Story, StoryImage,
    TemplateBundle, Uid,
};
use crate::store::{Bundles, Graph, PublishOp, PublishRefusal, QuotaTake, Requests, Sessions};

/// Where a story's title and body come from.
#[derive(Clone, Debug)]
pub enum StorySource {
    /// `feed.publishUserAction`: a registered bundle, its data and the size asked.
    Bundle {
        bundle_id: u64,
        data: TemplateData,
        size: u8,
    },
    /// `feed.publishTemplatizedAction`: `{actor}`-style templates and their data.
    Templatized {
        title_template: String,
        title_data: TemplateData,
        body_template: String,
        body_data: TemplateData,
    },
    /// `feed.publishActionOfUser`: the title and body as given.
    Plain { title: String, body: String },
}

/// A publish call's parameters, parsed at the boundary.
#[derive(Clone, Debug)]
pub struct PublishInput {
    pub source: StorySource,
    pub targets: Vec<Uid>,
    pub body_general: String,
    /// `image_1..4` with their links (the bundle's data may add more).
    pub images: Vec<StoryImage>,
}

/// The legacy code of a story refusal.
pub fn story_error(e: StoryError) -> LegacyError {
    match e {
        StoryError::MalformedJson(why) => LegacyError::new(ErrorCode::MalformedJson, why),
        StoryError::Invalid(why) => LegacyError::invalid_parameter(why),
        StoryError::BadData { body: false } => {
            LegacyError::new(ErrorCode::FeedTitleData, "title_data")
        }
        StoryError::BadData { body: true } => {
            LegacyError::new(ErrorCode::FeedBodyData, "body_data")
        }
        StoryError::Uncovered { body: false, token } => {
            LegacyError::new(ErrorCode::FeedTitleParams, format!("title token {token}"))
        }
        StoryError::Uncovered { body: true, token } => {
            LegacyError::new(ErrorCode::FeedBodyParams, format!("body token {token}"))
        }
        StoryError::DataNotCovering(token) => LegacyError::new(
            ErrorCode::FeedDataCoverage,
            format!("no template covered; first missing token {token}"),
        ),
    }
}

/// `feed.registerTemplateBundle`: answers the new bundle's id.
#[tracing::instrument(name = "register_template_bundle", skip_all, fields(api_key = %caller.app.api_key))]
pub async fn register_bundle<S: Sessions + Bundles>(
    store: &S,
    caller: &Caller<'_>,
    bundle: Result<TemplateBundle, LegacyError>,
) -> Result<u64, LegacyError> {
    // Bundles are the app's, not a user's: a session is optional, gated when given.
    if caller.session.is_some() {
        gate(store, caller).await?;
    }
    let bundle = bundle?;
    let id = new_record_id();
    if !store
        .register_bundle(&caller.app.api_key, id, &bundle)
        .await?
    {
        return Err(LegacyError::new(
            ErrorCode::TooManyBundles,
            "100 bundles registered already",
        ));
    }
    Ok(id)
}

/// A user's name as a story shows it, HTML-escaped.
fn name_of(view: &GraphView, uid: Uid) -> String {
    let name = view
        .profiles
        .get(&uid)
        .and_then(|p| p.display_name())
        .unwrap_or_else(|| format!("User {uid}"));
    quick_xml::escape::escape(name.as_str()).into_owned()
}

/// Publishes one story of the session user.
#[tracing::instrument(name = "feed_publish", skip_all, fields(api_key = %caller.app.api_key))]
pub async fn publish_story<S: Sessions + Graph + Requests + Bundles>(
    store: &S,
    people: &impl PeopleDirectory,
    caller: &Caller<'_>,
    input: Result<PublishInput, LegacyError>,
) -> Result<(), LegacyError> {
    let app = caller.app;
    let targets = input
        .as_ref()
        .map(|i| i.targets.clone())
        .unwrap_or_default();
    let view = Social { store, people }
        .view_for(caller, true, &targets)
        .await?;
    let input = input?;
    let actor = view.user;
    if let Some(stranger) = input.targets.iter().find(|t| !view.is_friend(**t)) {
        return Err(LegacyError::new(
            ErrorCode::FeedTargets,
            format!("{stranger} is not a friend of {actor}"),
        ));
    }
    let actor_name = name_of(&view, actor);
    let target_names = (!input.targets.is_empty()).then(|| {
        join_names(
            &input
                .targets
                .iter()
                .map(|t| name_of(&view, *t))
                .collect::<Vec<_>>(),
        )
    });
    let mut images = input.images;
    let (title, body) = match input.source {
        StorySource::Plain { title, body } => (title, body),
        StorySource::Templatized {
            title_template,
            title_data,
            body_template,
            body_data,
        } => {
            let title_values = title_data.with_people(&actor_name, target_names.as_deref());
            let body_values = body_data.with_people(&actor_name, target_names.as_deref());
            templatized_story(
                &title_template,
                &title_values,
                &body_template,
                &body_values,
                &input.body_general,
            )
            .map_err(story_error)?
        }
        StorySource::Bundle {
            bundle_id,
            data,
            size,
        } => {
            let bundle = store
                .bundle(&app.api_key, bundle_id)
                .await?
                .ok_or_else(|| {
                    LegacyError::new(ErrorCode::NoSuchBundle, format!("bundle {bundle_id}"))
                })?;
            let values: HashMap<String, String> =
                data.with_people(&actor_name, target_names.as_deref());
            images.extend(data.images.clone());
            user_action_story(&bundle, size, &values, &input.body_general).map_err(story_error)?
        }
    };
    let story = Story {
        title: with_names(store, &app.api_key, &title, Some(actor)).await?,
        body: with_names(store, &app.api_key, &body, Some(actor)).await?,
        images: checked_images(images).map_err(story_error)?,
        targets: input.targets.iter().map(|t| t.get()).collect(),
    };
    let day = quota_day(chrono::Utc::now(), app.day_offset);
    let mut op = PublishOp {
        api_key: app.api_key.clone(),
        from: actor,
        id: new_record_id(),
        message: MessageKind::Story,
        kind: "story".into(),
        content: story.title.clone(),
        story: Some(story),
        recipients: vec![actor],
        quota: Some(QuotaTake {
            counter: Allowance::FeedActions.counter(&day.key),
            limit: app.daily_feed_limit,
            amount: 1,
        }),
        created_at_ms: super::now_ms(),
    };
    for _attempt in 0..3 {
        match store.publish(&op).await? {
            Ok(()) => return Ok(()),
            Err(PublishRefusal::Quota { used }) => {
                return Err(LegacyError::new(
                    ErrorCode::FeedActionLimit,
                    format!("{used} of {} stories today", app.daily_feed_limit),
                ))
            }
            Err(PublishRefusal::IdTaken) => op.id = new_record_id(),
        }
    }
    Err(LegacyError::new(
        ErrorCode::Unknown,
        "feed publish did not settle",
    ))
}
