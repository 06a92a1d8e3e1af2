//! Pass 1: the `fb:*` tags, rendered from the viewer's graph. Self-closing FBML tags are
//! not self-closing in HTML, so a tag is never replaced with its "content": its output is
//! put before it and the tag itself removed, keeping whatever follows.

use std::cell::RefCell;
use std::rc::Rc;

use lol_html::html_content::{ContentType, Element};
use lol_html::{doc_text, element, rewrite_str, RewriteStrSettings};

use super::forms::{friend_selector, request_form_open};
use super::RenderContext;
use crate::domain::Uid;

/// One open conditional (`fb:if-is-app-user`, `fb:visible-to-owner`).
struct Frame {
    holds: bool,
    in_else: bool,
}

impl Frame {
    fn hides(&self) -> bool {
        self.holds == self.in_else
    }
}

#[derive(Default)]
pub struct State {
    frames: Vec<Frame>,
    capturing_title: bool,
    pub title: Option<String>,
    pub redirect: Option<String>,
    pub unknown: Vec<String>,
}

impl State {
    fn hidden(&self) -> bool {
        self.frames.iter().any(Frame::hides)
    }
}

pub fn escape(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

/// Attribute values as sent may carry entities (`&amp;`); they are decoded once.
pub fn decode_entities(text: &str) -> String {
    quick_xml::escape::unescape(text)
        .map(|c| c.into_owned())
        .unwrap_or_else(|_| text.to_string())
}

pub(super) fn attr(el: &Element<'_, '_>, name: &str) -> Option<String> {
    el.get_attribute(name).map(|v| decode_entities(&v))
}

pub(super) fn flag(el: &Element<'_, '_>, name: &str, default: bool) -> bool {
    match attr(el, name).map(|v| v.to_ascii_lowercase()) {
        None => default,
        Some(v) => matches!(v.as_str(), "true" | "1" | "yes"),
    }
}

fn uid_attr(el: &Element<'_, '_>, ctx: &RenderContext<'_>) -> Option<Uid> {
    match attr(el, "uid").as_deref().map(str::trim) {
        None | Some("loggedinuser") => Some(ctx.viewer),
        Some("profileowner") => ctx.owner.or(Some(ctx.viewer)),
        Some(u) => Uid::parse(u),
    }
}

/// Puts `html` where the tag is and drops the tag, keeping what it held.
fn stand_in(el: &mut Element<'_, '_>, html: &str) {
    el.before(html, ContentType::Html);
    el.remove_and_keep_content();
}

/// Wraps what the tag holds in `open` ... `close`.
fn wrap(el: &mut Element<'_, '_>, open: &str, close: &str) {
    el.before(open, ContentType::Html);
    if el.is_self_closing() {
        el.before(close, ContentType::Html);
    } else {
        el.after(close, ContentType::Html);
    }
    el.remove_and_keep_content();
}

fn fb_name(el: &Element<'_, '_>, ctx: &RenderContext<'_>) -> String {
    let Some(uid) = uid_attr(el, ctx) else {
        return "a friend".into();
    };
    let possessive = flag(el, "possessive", false);
    let capitalize = flag(el, "capitalize", false);
    let text = if uid == ctx.viewer && flag(el, "useyou", true) {
        let you = if possessive { "your" } else { "you" };
        if capitalize {
            let mut c = you.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default()
        } else {
            you.to_string()
        }
    } else {
        let profile = ctx.view.visible(uid).then(|| ctx.profile(uid)).flatten();
        let name = if flag(el, "firstnameonly", false) {
            profile.and_then(|p| {
                p.first_name.clone().or_else(|| {
                    p.display_name()
                        .and_then(|n| n.split(' ').next().map(str::to_string))
                })
            })
        } else {
            profile.and_then(|p| p.display_name())
        };
        let name = name.unwrap_or_else(|| "a friend".into());
        if possessive {
            format!("{name}'s")
        } else {
            name
        }
    };
    let linked = flag(el, "linked", true);
    match (linked, ctx.profile_url) {
        (true, Some(pattern)) if ctx.view.visible(uid) => format!(
            r#"<a class="fbb-name" href="{}">{}</a>"#,
            escape(
                &pattern.replace(
                    "{id}",
                    &crate::domain::oauth::percent_encode(
                        ctx.platform_ids
                            .get(&uid)
                            .cloned()
                            .unwrap_or_else(|| uid.to_string())
                            .as_str()
                    )
                )
            ),
            escape(&text)
        ),
        _ => format!(r#"<span class="fbb-name">{}</span>"#, escape(&text)),
    }
}

fn profile_pic(el: &Element<'_, '_>, ctx: &RenderContext<'_>) -> String {
    let size = match attr(el, "size").as_deref() {
        Some("thumb") | Some("t") => 50,
        Some("small") | Some("s") => 100,
        Some("normal") | Some("n") => 200,
        _ => 50,
    };
    let pic = uid_attr(el, ctx)
        .filter(|u| ctx.view.visible(*u))
        .and_then(|u| ctx.profile(u))
        .and_then(|p| match size {
            50 => p.picture().map(str::to_string),
            _ => p.pic.clone().or_else(|| p.picture().map(str::to_string)),
        });
    match pic {
        Some(src) => format!(
            r#"<img class="fbb-pic" src="{}" width="{size}" alt="">"#,
            escape(&src)
        ),
        None => String::new(),
    }
}

fn handle(el: &mut Element<'_, '_>, ctx: &RenderContext<'_>, state: &Rc<RefCell<State>>) {
    let tag = el.tag_name();
    if state.borrow().capturing_title {
        el.remove_and_keep_content();
        return;
    }
    if state.borrow().hidden()
        && !matches!(
            tag.as_str(),
            "fb:else" | "fb:if-is-app-user" | "fb:visible-to-owner"
        )
    {
        el.remove_and_keep_content();
        return;
    }
    if !tag.starts_with("fb:") {
        return;
    }
    match tag.as_str() {
        "fb:name" => {
            let html = fb_name(el, ctx);
            stand_in(el, &html);
        }
        "fb:profile-pic" => {
            let html = profile_pic(el, ctx);
            stand_in(el, &html);
        }
        "fb:redirect" => {
            let mut st = state.borrow_mut();
            if st.redirect.is_none() {
                st.redirect = attr(el, "url");
            }
            drop(st);
            el.remove_and_keep_content();
        }
        "fb:title" => {
            state.borrow_mut().capturing_title = true;
            let st = state.clone();
            let _ = el.on_end_tag(Box::new(move |_| {
                st.borrow_mut().capturing_title = false;
                Ok(())
            }));
            el.remove_and_keep_content();
        }
        "fb:success" | "fb:error" | "fb:explanation" => {
            let class = &tag[3..];
            let heading = attr(el, "message")
                .map(|m| format!("<h2>{}</h2>", escape(&m)))
                .unwrap_or_default();
            wrap(
                el,
                &format!(r#"<div class="fbb-{class}">{heading}"#),
                "</div>",
            );
        }
        "fb:message" => wrap(el, "<h2>", "</h2>"),
        "fb:if-is-app-user" | "fb:visible-to-owner" => {
            let holds = if tag == "fb:visible-to-owner" {
                ctx.owner.is_none_or(|o| o == ctx.viewer)
            } else {
                uid_attr(el, ctx)
                    .and_then(|u| ctx.view.uses_app(u))
                    .unwrap_or(false)
            };
            state.borrow_mut().frames.push(Frame {
                holds,
                in_else: false,
            });
            let st = state.clone();
            let _ = el.on_end_tag(Box::new(move |_| {
                st.borrow_mut().frames.pop();
                Ok(())
            }));
            el.remove_and_keep_content();
        }
        "fb:else" => {
            if let Some(top) = state.borrow_mut().frames.last_mut() {
                top.in_else = true;
            }
            el.remove_and_keep_content();
        }
        "fb:tabs" => wrap(el, r#"<nav class="fbb-tabs">"#, "</nav>"),
        "fb:tab-item" => {
            let href = attr(el, "href").unwrap_or_default();
            let title = attr(el, "title").unwrap_or_default();
            let selected = if flag(el, "selected", false) {
                " fbb-selected"
            } else {
                ""
            };
            stand_in(
                el,
                &format!(
                    r#"<a class="fbb-tab{selected}" href="{}">{}</a>"#,
                    escape(&href),
                    escape(&title)
                ),
            );
        }
        "fb:dashboard" => wrap(el, r#"<div class="fbb-dashboard">"#, "</div>"),
        "fb:action" | "fb:create-button" => {
            let href = attr(el, "href").unwrap_or_default();
            let class = if tag == "fb:action" {
                "fbb-action"
            } else {
                "fbb-create"
            };
            wrap(
                el,
                &format!(r#"<a class="{class}" href="{}">"#, escape(&href)),
                "</a>",
            );
        }
        "fb:request-form" => {
            let open = request_form_open(el, ctx);
            wrap(el, &open, "</form>");
        }
        "fb:multi-friend-selector" | "fb:friend-selector" | "fb:multi-friend-input" => {
            let bypass = attr(el, "bypass").unwrap_or_else(|| "Skip".into());
            let html = format!(
                r#"{}<button type="submit" name="fbb_action" value="skip" class="fbb-skip">{}</button>"#,
                friend_selector(el, ctx),
                escape(&bypass)
            );
            stand_in(el, &html);
        }
        "fb:request-form-submit" => {
            let label = attr(el, "label").unwrap_or_else(|| "Send".into());
            stand_in(
                el,
                &format!(
                    r#"<button type="submit" name="fbb_action" value="send">{}</button>"#,
                    escape(&label)
                ),
            );
        }
        "fb:req-choice" => el.remove_and_keep_content(),
        other => {
            state.borrow_mut().unknown.push(other.to_string());
            el.remove_and_keep_content();
        }
    }
}

/// Pass 1 over the app's FBML.
pub fn render_tags(fbml: &str, ctx: &RenderContext<'_>) -> (String, State) {
    let state = Rc::new(RefCell::new(State::default()));
    let html = {
        let for_elements = state.clone();
        let for_text = state.clone();
        rewrite_str(
            fbml,
            RewriteStrSettings::new()
                .append_element_content_handler(element!("*", move |el| {
                    handle(el, ctx, &for_elements);
                    Ok(())
                }))
                .append_document_content_handler(doc_text!(move |t| {
                    let mut st = for_text.borrow_mut();
                    if st.capturing_title {
                        st.title
                            .get_or_insert_with(String::new)
                            .push_str(t.as_str());
                        t.remove();
                    } else if st.hidden() {
                        t.remove();
                    }
                    Ok(())
                })),
        )
        .unwrap_or_default()
    };
    let state = Rc::try_unwrap(state)
        .map(RefCell::into_inner)
        .unwrap_or_default();
    (html, state)
}
