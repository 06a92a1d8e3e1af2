//! `notifications.send` and the `feed.*` methods at the boundary: parameters parsed into
//! the services' typed inputs, answers in the shapes of `legacy-shapes.md`.
//!
//! Invariants:
//! - A parameter error is answered after the session gate (the services gate first), so
//!   a refused call still advances the call_id as any signed call with a session does.
//! - `notifications.send` answers the notified uids as one comma-separated string (`""`
//!   when none); the publish methods answer the list form `[true]`; a bundle id is a
//!   number.

use std::borrow::Cow;

use super::graph_methods::split_list;
use super::params::Params;
use super::response::{root_element, Value};
use crate::domain::story::TemplateData;
use crate::domain::{LegacyError, StoryImage, TemplateBundle, Uid};
use crate::http::state::AppState;
use crate::services::caller::Caller;
use crate::services::feed::{
    publish_story, register_bundle, story_error, PublishInput, StorySource,
};
use crate::services::notify::{send_notification, NotificationInput, NotificationType};

pub const NOTIFICATIONS_SEND: &str = "notifications.send";
pub const REGISTER_TEMPLATE_BUNDLE: &str = "feed.registerTemplateBundle";
pub const PUBLISH_USER_ACTION: &str = "feed.publishUserAction";
pub const PUBLISH_TEMPLATIZED_ACTION: &str = "feed.publishTemplatizedAction";
pub const PUBLISH_ACTION_OF_USER: &str = "feed.publishActionOfUser";

pub const METHODS: [&str; 5] = [
    NOTIFICATIONS_SEND,
    REGISTER_TEMPLATE_BUNDLE,
    PUBLISH_USER_ACTION,
    PUBLISH_TEMPLATIZED_ACTION,
    PUBLISH_ACTION_OF_USER,
];

/// Most recipients of one notification, and most targets of one story.
pub const MAX_NOTIFIED: usize = 100;
const MAX_FBML: usize = 16 * 1024;
const MAX_TEMPLATE_PARAM: usize = 64 * 1024;

/// Answers one of [`METHODS`]; `None` when `method` is not one of them.
pub async fn call(
    state: &AppState,
    caller: &Caller<'_>,
    method: &str,
    params: &Params,
) -> Option<Result<Value, LegacyError>> {
    let method = METHODS.iter().find(|m| **m == method)?;
    Some(answer(state, caller, method, params).await)
}

async fn answer(
    state: &AppState,
    caller: &Caller<'_>,
    method: &str,
    params: &Params,
) -> Result<Value, LegacyError> {
    let (store, people) = (&state.store, &state.people);
    match method {
        NOTIFICATIONS_SEND => {
            let notified = send_notification(store, people, caller, notification(params)).await?;
            if notified.is_empty() {
                return Ok(Value::Empty);
            }
            let csv: Vec<String> = notified.iter().map(Uid::to_string).collect();
            Ok(Value::Str(csv.join(",")))
        }
        REGISTER_TEMPLATE_BUNDLE => {
            let id = register_bundle(store, caller, bundle(params)).await?;
            Ok(Value::Int(id as i64))
        }
        _ => {
            publish_story(store, people, caller, publish_input(method, params)).await?;
            Ok(Value::list(
                format!("{}_elt", root_element(method)),
                vec![Value::Bool(true)],
            ))
        }
    }
}

fn text<'a>(params: &'a Params, name: &str) -> Cow<'a, str> {
    params.get_str(name).unwrap_or(Cow::Borrowed(""))
}

fn required(params: &Params, name: &str, max: usize) -> Result<String, LegacyError> {
    let value = text(params, name);
    let value = value.trim();
    if value.is_empty() {
        return Err(LegacyError::invalid_parameter(format!(
            "{name} is required"
        )));
    }
    bounded(name, value, max)
}

fn bounded(name: &str, value: &str, max: usize) -> Result<String, LegacyError> {
    if value.len() > max {
        return Err(LegacyError::invalid_parameter(format!(
            "{name} is too long"
        )));
    }
    Ok(value.to_string())
}

/// A list of uids (CSV or JSON); absent or empty is none. Duplicates collapse.
fn uids(params: &Params, name: &str) -> Result<Vec<Uid>, LegacyError> {
    let mut out: Vec<Uid> = Vec::new();
    for item in split_list(&text(params, name), name)? {
        let uid = Uid::parse(item.trim()).ok_or_else(|| {
            LegacyError::invalid_parameter(format!("{name}: `{item}` is not a user id"))
        })?;
        if !out.contains(&uid) {
            out.push(uid);
        }
    }
    if out.len() > MAX_NOTIFIED {
        return Err(LegacyError::invalid_parameter(format!(
            "{name} has more than {MAX_NOTIFIED} users"
        )));
    }
    Ok(out)
}

fn notification(params: &Params) -> Result<NotificationInput, LegacyError> {
    let kind = NotificationType::parse(text(params, "type").trim()).ok_or_else(|| {
        LegacyError::invalid_parameter("type must be user_to_user or app_to_user")
    })?;
    Ok(NotificationInput {
        to_ids: uids(params, "to_ids")?,
        notification: required(params, "notification", MAX_FBML)?,
        kind,
    })
}

fn optional<'a>(params: &'a Params, name: &str) -> Option<Cow<'a, str>> {
    params.get_str(name).filter(|v| !v.trim().is_empty())
}

fn bundle(params: &Params) -> Result<TemplateBundle, LegacyError> {
    let one_line = required(params, "one_line_story_templates", MAX_TEMPLATE_PARAM)?;
    let short = optional(params, "short_story_templates");
    let full = optional(params, "full_story_template");
    let links = optional(params, "action_links");
    for (name, v) in [
        ("short_story_templates", &short),
        ("full_story_template", &full),
        ("action_links", &links),
    ] {
        if let Some(v) = v {
            bounded(name, v, MAX_TEMPLATE_PARAM)?;
        }
    }
    TemplateBundle::parse(
        &one_line,
        short.as_deref(),
        full.as_deref(),
        links.as_deref(),
    )
    .map_err(story_error)
}

/// `image_1..image_4` with their `image_N_link`s.
fn images(params: &Params) -> Vec<StoryImage> {
    (1..=4)
        .filter_map(|n| {
            let src = optional(params, &format!("image_{n}"))?;
            Some(StoryImage {
                src: src.trim().to_string(),
                href: optional(params, &format!("image_{n}_link")).map(|h| h.trim().to_string()),
            })
        })
        .collect()
}

/// Template data; `bad` is the error for data that is not a JSON object.
fn data(params: &Params, name: &str, bad: LegacyError) -> Result<TemplateData, LegacyError> {
    let raw = optional(params, name);
    if let Some(raw) = &raw {
        bounded(name, raw, MAX_TEMPLATE_PARAM)?;
    }
    TemplateData::parse(raw.as_deref()).map_err(|_| bad)
}

fn publish_input(method: &str, params: &Params) -> Result<PublishInput, LegacyError> {
    use crate::domain::story::StoryError;
    let source = match method {
        PUBLISH_USER_ACTION => {
            let id = text(params, "template_bundle_id");
            let bundle_id = id.trim().parse::<u64>().map_err(|_| {
                LegacyError::invalid_parameter("template_bundle_id must be a whole number")
            })?;
            let size = match text(params, "story_size").trim() {
                "" | "1" => 1,
                "2" => 2,
                "4" => 4,
                _ => {
                    return Err(LegacyError::invalid_parameter(
                        "story_size must be 1, 2 or 4",
                    ))
                }
            };
            let raw = optional(params, "template_data");
            if let Some(raw) = &raw {
                bounded("template_data", raw, MAX_TEMPLATE_PARAM)?;
            }
            let data = TemplateData::parse(raw.as_deref()).map_err(|e| match e {
                None => story_error(StoryError::MalformedJson("template_data".into())),
                Some(why) => LegacyError::invalid_parameter(format!("template_data: {why}")),
            })?;
            StorySource::Bundle {
                bundle_id,
                data,
                size,
            }
        }
        PUBLISH_TEMPLATIZED_ACTION => StorySource::Templatized {
            title_template: required(params, "title_template", MAX_FBML)?,
            title_data: data(
                params,
                "title_data",
                story_error(StoryError::BadData { body: false }),
            )?,
            body_template: bounded("body_template", &text(params, "body_template"), MAX_FBML)?,
            body_data: data(
                params,
                "body_data",
                story_error(StoryError::BadData { body: true }),
            )?,
        },
        // PUBLISH_ACTION_OF_USER
        _ => StorySource::Plain {
            title: required(params, "title", MAX_FBML)?,
            body: bounded("body", &text(params, "body"), MAX_FBML)?,
        },
    };
    let targets = if method == PUBLISH_ACTION_OF_USER {
        Vec::new()
    } else {
        uids(params, "target_ids")?
    };
    Ok(PublishInput {
        source,
        targets,
        body_general: bounded("body_general", &text(params, "body_general"), MAX_FBML)?,
        images: images(params),
    })
}
