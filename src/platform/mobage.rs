//! Platform `mobage`: one Message API POST per recipient (seed 004), one Activity API POST
//! per story.
//!
//! Invariants:
//! - An activity's title fits 21 double-byte (42 single-byte) columns and its body 140
//!   double-byte (280) columns, emoji removed; it carries at most 3 images.
//! - The title is the content's plain text, emoji removed, cut to a display width of 38
//!   (single-byte characters 1, others 2) with `..` when it does not fit; it never contains
//!   anything the user typed freely beyond the app's own content.
//! - The canvas URL is the app's canvas (top) URL, with deep state as `appParams`; the
//!   mobile URL is the first `fb:req-choice` URL when it lies inside the app.

use serde_json::json;

use super::url::with_query;
use crate::domain::story::image_mime;
use crate::domain::{fbml, App, Story};

pub const TITLE_WIDTH: usize = 38;
/// Activity titles: 21 double-byte characters.
pub const ACTIVITY_TITLE_WIDTH: usize = 42;
/// Activity bodies: 140 double-byte characters.
pub const ACTIVITY_BODY_WIDTH: usize = 280;
/// Images an activity may carry.
pub const ACTIVITY_IMAGES: usize = 3;

/// Shift_JIS single-byte: ASCII and half-width katakana.
fn width(c: char) -> usize {
    if c.is_ascii() || ('\u{FF61}'..='\u{FF9F}').contains(&c) {
        1
    } else {
        2
    }
}

fn is_emoji(c: char) -> bool {
    matches!(c as u32,
        0x1F000..=0x1FAFF      // pictographs, emoticons, transport, flags, symbols
        | 0x2600..=0x27BF      // misc symbols, dingbats
        | 0x2B00..=0x2BFF      // arrows and stars used as emoji
        | 0xE000..=0xF8FF      // private use: Japanese carriers' emoji
        | 0xFE00..=0xFE0F      // variation selectors
        | 0x200D | 0x20E3      // zero-width joiner, keycap
        | 0xE0020..=0xE007F    // tag characters
        | 0x3030 | 0x303D | 0x3297 | 0x3299)
}

/// The message title for `fbml` content.
pub fn title(fbml_content: &str) -> String {
    fit(fbml_content, TITLE_WIDTH)
}

/// `fbml`'s plain text, emoji removed, cut to `columns` display columns with `..`.
pub fn fit(fbml_content: &str, columns: usize) -> String {
    let text: String = fbml::plain_text(fbml_content)
        .chars()
        .filter(|c| !is_emoji(*c) && !c.is_control())
        .collect();
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let total: usize = text.chars().map(width).sum();
    if total <= columns {
        return text;
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        if used + width(c) + 2 > columns {
            break;
        }
        used += width(c);
        out.push(c);
    }
    out.truncate(out.trim_end().len());
    out.push_str("..");
    out
}

/// The JSON body of one activity for `story`.
pub fn activity_body(story: &Story) -> Vec<u8> {
    let media: Vec<serde_json::Value> = story
        .images
        .iter()
        .take(ACTIVITY_IMAGES)
        .map(|i| json!({"mimeType": image_mime(&i.src), "url": i.src, "type": "image"}))
        .collect();
    let mut body = json!({
        "title": fit(&story.title, ACTIVITY_TITLE_WIDTH),
        "mediaItems": media,
    });
    let text = fit(&story.body, ACTIVITY_BODY_WIDTH);
    if !text.is_empty() {
        body["body"] = json!(text);
    }
    body.to_string().into_bytes()
}

/// (canvas URL, mobile URL) for a request's content: the first choice inside the app
/// (under its URLs, or an old `apps.facebook.com/{canvas_name}/` link) as `appParams` of
/// the canvas URL, and as the app's own URL for phones.
pub fn urls(app: &App, fbml_content: &str) -> (String, String) {
    let choice = fbml::first_choice_url(fbml_content);
    match choice.as_deref().and_then(|c| app.path_inside(c)) {
        Some(rest) if !rest.is_empty() => (
            with_query(&app.canvas_url, "appParams", rest),
            format!("{}{rest}", app.callback_url),
        ),
        Some(_) | None => (app.canvas_url.clone(), app.callback_url.clone()),
    }
}

/// The JSON body of one message to `recipient`.
pub fn message_body(app: &App, fbml_content: &str, recipient: &str) -> Vec<u8> {
    let (canvas, mobile) = urls(app, fbml_content);
    json!({
        "type": "NOTIFICATION",
        "title": title(fbml_content),
        "recipients": [recipient],
        "urls": [
            {"value": canvas, "type": "canvas"},
            {"value": mobile, "type": "mobile"},
        ],
    })
    .to_string()
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> usize {
        s.chars().map(width).sum()
    }

    #[test]
    fn ascii_titles() {
        assert_eq!(title("Join me!"), "Join me!");
        let long = "Come and build the tallest sandwich in the whole world with me";
        let t = title(long);
        assert_eq!(t, "Come and build the tallest sandwich..");
        assert!(w(&t) <= 38);
        let exact = "a".repeat(38);
        assert_eq!(title(&exact), exact);
        assert_eq!(title(&"a".repeat(39)), format!("{}..", "a".repeat(36)));
    }

    #[test]
    fn japanese_titles() {
        // 19 double-byte characters fit exactly; one more and it is cut.
        assert_eq!(
            title("花束を贈りますので受け取ってくださいね"),
            "花束を贈りますので受け取ってくださいね"
        );
        assert_eq!(
            title("花束を贈りますので受け取ってくださいね！"),
            "花束を贈りますので受け取ってください.."
        );
        assert_eq!(w("花束を贈りますので受け取ってください.."), 38);
        assert_eq!(title("ギフトを受け取ってね"), "ギフトを受け取ってね");
        // Half-width katakana are single-byte.
        assert_eq!(title(&"ｱ".repeat(38)), "ｱ".repeat(38));
        let mixed = title("Aさんからのプレゼント: 金のリンゴ x10 をどうぞ");
        assert!(w(&mixed) <= 38, "{mixed}");
        assert!(mixed.ends_with(".."));
    }

    #[test]
    fn activities_fit_mobage_limits() {
        let story = Story {
            title: "<b>Ann</b> fed Bob a sandwich and then built the tallest tower of bread 🍞"
                .into(),
            body: "パン".repeat(100),
            images: (0..4)
                .map(|i| crate::domain::StoryImage {
                    src: format!("http://i.example/{i}.png"),
                    href: None,
                })
                .collect(),
            targets: vec![],
        };
        let body: serde_json::Value = serde_json::from_slice(&activity_body(&story)).unwrap();
        let title = body["title"].as_str().unwrap();
        assert!(w(title) <= 42, "{title}");
        assert!(title.starts_with("Ann fed Bob"));
        assert!(w(body["body"].as_str().unwrap()) <= 280);
        assert_eq!(body["mediaItems"].as_array().unwrap().len(), 3);
        assert_eq!(body["mediaItems"][0]["mimeType"], "image/png");
        assert_eq!(
            fit("花束を贈りますので受け取ってくださいね！花束", 42),
            "花束を贈りますので受け取ってくださいね！.."
        );
    }

    #[test]
    fn emoji_and_markup_are_removed() {
        assert_eq!(
            title("Party 🎉 time ☀️ <b>now</b> \u{E63E}"),
            "Party time now"
        );
        assert_eq!(
            title("Go! <fb:req-choice url=\"http://a.example/\" label=\"Play\"/>"),
            "Go!"
        );
    }
}
