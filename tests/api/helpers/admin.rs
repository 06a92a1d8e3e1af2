//! The admin API and the sandbox inbox, as tests use them to set up and read state.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::config::{ADMIN_TOKEN, APP_KEY};
use super::legacy::confirmation_parts;
use super::TestApp;

impl TestApp {
    pub async fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.address))
            .bearer_auth(ADMIN_TOKEN);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("admin answers");
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// The admin view of the request behind a confirmation URL.
    pub async fn request_view(&self, api_key: &str, confirmation_url: &str) -> Value {
        let (from, id) = confirmation_parts(confirmation_url);
        let path = format!("/admin/v1/apps/{api_key}/requests/{from}/{id}");
        let (status, view) = self.admin(reqwest::Method::GET, &path, None).await;
        assert_eq!(status, 200, "{view}");
        view
    }

    /// A session of `uid` in `api_key`: (session_key, session_secret).
    pub async fn session_in(&self, api_key: &str, uid: u64) -> (String, String) {
        let (status, body) = self
            .admin(
                reqwest::Method::POST,
                "/admin/v1/sessions",
                Some(serde_json::json!({"api_key": api_key, "uid": uid.to_string()})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        (
            body["session_key"].as_str().unwrap().to_string(),
            body["session_secret"].as_str().unwrap().to_string(),
        )
    }

    pub async fn session(&self, uid: u64) -> String {
        self.session_in(APP_KEY, uid).await.0
    }

    pub async fn befriend(&self, api_key: &str, uid: u64, friends: &[u64]) {
        let friends: Vec<String> = friends.iter().map(|f| f.to_string()).collect();
        let (status, body) = self
            .admin(
                reqwest::Method::PUT,
                &format!("/admin/v1/apps/{api_key}/users/{uid}/friends"),
                Some(serde_json::json!({ "friends": friends })),
            )
            .await;
        assert_eq!(status, 204, "{body}");
    }

    pub async fn install(&self, api_key: &str, uid: u64) {
        let (status, body) = self
            .admin(
                reqwest::Method::PUT,
                &format!("/admin/v1/apps/{api_key}/users/{uid}/installed"),
                Some(serde_json::json!({ "installed": true })),
            )
            .await;
        assert_eq!(status, 204, "{body}");
    }

    /// 1001 uses the app and is friends with 1002, 1003 (app users) and 1004 (not).
    pub async fn seed_graph(&self, api_key: &str) {
        for uid in [1001, 1002, 1003] {
            self.install(api_key, uid).await;
        }
        self.befriend(api_key, 1001, &[1002, 1003, 1004]).await;
    }

    pub async fn inbox(&self, api_key: &str, uid: u64) -> Value {
        let res = self
            .client
            .get(format!("{}/sandbox/{api_key}/inbox/{uid}", self.address))
            .header("accept", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200);
        res.json().await.unwrap()
    }

    /// Polls the inbox until it holds `n` items (deliveries are asynchronous).
    pub async fn wait_inbox(&self, api_key: &str, uid: u64, n: usize) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let inbox = self.inbox(api_key, uid).await;
            if inbox["items"].as_array().unwrap().len() >= n || Instant::now() > deadline {
                return inbox;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl TestApp {
    /// Stores a profile through the admin API.
    pub async fn set_profile(&self, api_key: &str, uid: u64, profile: Value) {
        let path = format!("/admin/v1/apps/{api_key}/users/{uid}/profile");
        let (status, body) = self.admin(reqwest::Method::PUT, &path, Some(profile)).await;
        assert_eq!(status, 204, "{body}");
    }

    /// The graph of `seed_graph` with names and pictures for 1001..1004.
    pub async fn seed_profiles(&self, api_key: &str) {
        self.seed_graph(api_key).await;
        for (uid, name) in [
            (1001, "Ann Lee"),
            (1002, "Alice Smith"),
            (1003, "Bob Jones"),
            (1004, "Carol <b>King</b>"),
        ] {
            let (first, last) = name.split_once(' ').unwrap();
            self.set_profile(
                api_key,
                uid,
                serde_json::json!({
                    "name": name,
                    "first_name": first,
                    "last_name": last,
                    "pic_square": format!("http://img.example/{uid}.png"),
                    "sex": "female",
                }),
            )
            .await;
        }
    }
}
