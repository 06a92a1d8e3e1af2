//! Where a URL in an app's page leads: back into the canvas (with the bridge token),
//! to a listed host, or elsewhere.
//!
//! Invariant: only URLs inside the app (relative, under `callback_url`, or under
//! `apps.facebook.com/{canvas_name}/`) become canvas URLs; nothing else is made to look
//! like one, and an outside redirect is never followed.

/// What the rewriter knows about one app and one viewer.
#[derive(Clone, Debug)]
pub struct Links {
    /// `{public_url}/canvas/{api_key}/`
    pub canvas_base: String,
    pub token: String,
    pub callback_url: String,
    pub canvas_name: Option<String>,
    pub redirect_hosts: Vec<String>,
}

/// Where a redirect may go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// Back into the canvas (the URL carries the token).
    Canvas(String),
    /// A host the configuration lists.
    Listed(String),
    /// Anywhere else: shown, never followed.
    Outside(String),
}

fn is_http(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

fn host_of(url: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()?
        .host_str()
        .map(str::to_ascii_lowercase)
}

impl Links {
    /// The path (and query) inside the app, if `url` points into it.
    pub fn inside(&self, url: &str) -> Option<String> {
        let url = url.trim();
        if url.is_empty() || url.starts_with('#') {
            return None;
        }
        if let Some(rest) = url.strip_prefix(&self.callback_url) {
            return Some(rest.to_string());
        }
        if let Some(name) = &self.canvas_name {
            for scheme in ["http://", "https://"] {
                let prefix = format!("{scheme}apps.facebook.com/{name}/");
                if url.len() >= prefix.len() && url[..prefix.len()].eq_ignore_ascii_case(&prefix) {
                    return Some(url[prefix.len()..].to_string());
                }
            }
        }
        let has_scheme = url.split_once(':').is_some_and(|(s, _)| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
                && !s.contains('/')
        });
        if has_scheme || url.starts_with("//") || url.starts_with('\\') {
            return None;
        }
        Some(url.trim_start_matches('/').to_string())
    }

    /// The canvas URL of a path inside the app, with the token.
    pub fn canvas_url(&self, path: &str) -> String {
        let (before_fragment, fragment) = match path.split_once('#') {
            Some((p, f)) => (p, Some(f)),
            None => (path, None),
        };
        let sep = if before_fragment.contains('?') {
            '&'
        } else {
            '?'
        };
        let mut out = format!(
            "{}{before_fragment}{sep}fbb_t={}",
            self.canvas_base,
            crate::domain::oauth::percent_encode(&self.token)
        );
        if let Some(f) = fragment {
            out.push('#');
            out.push_str(f);
        }
        out
    }

    /// `href`, `action` and `src` values as the rendered page uses them.
    pub fn rewrite(&self, url: &str) -> Option<String> {
        self.inside(url).map(|p| self.canvas_url(&p))
    }

    pub fn redirect(&self, url: &str) -> Target {
        if let Some(path) = self.inside(url) {
            return Target::Canvas(self.canvas_url(&path));
        }
        match host_of(url) {
            Some(h) if is_http(url) && self.redirect_hosts.contains(&h) => {
                Target::Listed(url.to_string())
            }
            _ => Target::Outside(url.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links() -> Links {
        Links {
            canvas_base: "http://gw/canvas/app1/".into(),
            token: "T.k".into(),
            callback_url: "http://apps.example.com/bread/".into(),
            canvas_name: Some("bread".into()),
            redirect_hosts: vec!["container.example".into()],
        }
    }

    #[test]
    fn inside_urls_come_back_through_the_canvas() {
        let l = links();
        assert_eq!(
            l.rewrite("invite.php?x=1").as_deref(),
            Some("http://gw/canvas/app1/invite.php?x=1&fbb_t=T.k")
        );
        assert_eq!(
            l.rewrite("/play#top").as_deref(),
            Some("http://gw/canvas/app1/play?fbb_t=T.k#top")
        );
        assert_eq!(
            l.rewrite("http://apps.example.com/bread/a").as_deref(),
            Some("http://gw/canvas/app1/a?fbb_t=T.k")
        );
        assert_eq!(
            l.rewrite("http://apps.facebook.com/bread/b?c=d").as_deref(),
            Some("http://gw/canvas/app1/b?c=d&fbb_t=T.k")
        );
        for outside in [
            "http://evil.example/",
            "//evil.example/x",
            "javascript:alert(1)",
            "data:text/html,x",
            "#frag",
            "http://apps.facebook.com/other/",
        ] {
            assert_eq!(l.rewrite(outside), None, "{outside}");
        }
        assert_eq!(
            l.redirect("https://container.example/home"),
            Target::Listed("https://container.example/home".into())
        );
        assert_eq!(
            l.redirect("http://evil.example/"),
            Target::Outside("http://evil.example/".into())
        );
        assert_eq!(
            l.redirect("//evil.example/"),
            Target::Outside("//evil.example/".into())
        );
        assert!(matches!(l.redirect("done.php"), Target::Canvas(_)));
    }
}
