//! The social graph's methods: friends.*, users.*, fql.query, in XML, JSON and JSONP, with
//! the exact bodies of `legacy-shapes.md`; privacy; the People API as the graph's source.

mod fql;
mod people;
mod perl;
mod round_trips;
mod shapes;

use crate::helpers::*;

/// app1 with `seed_profiles` (1001 and friends 1002, 1003 use the app, 1004 does not).
async fn seeded() -> (TestApp, String) {
    let app = spawn_app().await;
    app.seed_profiles(APP_KEY).await;
    let session = app.session(1001).await;
    (app, session)
}

fn xml(root: &str, inner: &str) -> String {
    format!("{XML_DECL}<{root} {XML_NS}{inner}")
}
