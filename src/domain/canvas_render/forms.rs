//! `<fb:request-form>` and its friend selector, as HTML that posts to the bridge.

use lol_html::html_content::Element;

use super::tags::{attr, escape, flag};
use super::RenderContext;
use crate::domain::Uid;

/// Most friends a request form may offer at once (Facebook's own limit).
pub const MAX_SELECTABLE: u32 = 35;

pub(super) fn friend_selector(el: &Element<'_, '_>, ctx: &RenderContext<'_>) -> String {
    let excluded: Vec<Uid> = attr(el, "exclude_ids")
        .unwrap_or_default()
        .split(',')
        .filter_map(|s| Uid::parse(s.trim()))
        .collect();
    let max = attr(el, "max")
        .and_then(|m| m.trim().parse::<u32>().ok())
        .unwrap_or(MAX_SELECTABLE)
        .min(MAX_SELECTABLE)
        .min(ctx.remaining_quota);
    let condensed = super::tags::flag(el, "condensed", false);
    let action_text = attr(el, "actiontext").unwrap_or_else(|| "Choose friends to invite".into());
    let mut out = format!(
        r#"<fieldset class="fbb-selector"><legend>{}</legend>"#,
        escape(&action_text)
    );
    if max == 0 {
        out.push_str(r#"<p class="fbb-quota">You have sent as many invitations as you can today. Try again tomorrow.</p></fieldset>"#);
        return out;
    }
    out.push_str(&format!(
        r#"<p class="fbb-max">Choose up to {max}.</p><ul class="fbb-friends{}">"#,
        if condensed { " fbb-condensed" } else { "" }
    ));
    for friend in ctx.view.friend_uids().filter(|f| !excluded.contains(f)) {
        let profile = ctx.profile(friend);
        let name = profile
            .and_then(|p| p.display_name())
            .unwrap_or_else(|| format!("User {friend}"));
        // The condensed selector (Facebook's narrow one) is a plain list of names.
        let pic = profile
            .filter(|_| !condensed)
            .and_then(|p| p.picture())
            .map(|src| {
                format!(
                    r#"<img class="fbb-pic" src="{}" width="50" alt="">"#,
                    escape(src)
                )
            })
            .unwrap_or_default();
        out.push_str(&format!(
            r#"<li><label>{pic}<input type="checkbox" name="ids[]" value="{friend}"> {}</label></li>"#,
            escape(&name)
        ));
    }
    out.push_str(&format!(
        r#"</ul><input type="hidden" name="fbb_max" value="{max}"><button type="submit" name="fbb_action" value="send" class="fbb-send">Send</button></fieldset>"#
    ));
    out
}

/// `<fb:request-form>`: a form to the bridge with its fixed fields sealed.
pub(super) fn request_form_open(el: &Element<'_, '_>, ctx: &RenderContext<'_>) -> String {
    let kind = attr(el, "type").unwrap_or_default();
    let content = attr(el, "content").unwrap_or_default();
    let invite = flag(el, "invite", false);
    let action = attr(el, "action").unwrap_or_default();
    let method = attr(el, "method").unwrap_or_else(|| "POST".into());
    let sealed = (ctx.seal)(&[
        ("type", &kind),
        ("content", &content),
        ("invite", if invite { "1" } else { "0" }),
        ("action", &action),
        ("method", &method),
    ]);
    format!(
        r#"<form class="fbb-request-form" method="post" action="{}"><input type="hidden" name="fbb_form" value="{}"><input type="hidden" name="fbb_t" value="{}">"#,
        escape(&ctx.request_form_url),
        escape(&sealed),
        escape(&ctx.links.token)
    )
}
