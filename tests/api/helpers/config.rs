//! The gateway configuration the tests run with.

use fbbridge::config::{load_str, Config};

pub const APP_KEY: &str = "app1";
pub const APP_SECRET: &str = "secret1";
pub const ADMIN_TOKEN: &str = "test-admin-token";

/// The test configuration: `STORE` is replaced by the store section.
pub const BASE_TOML: &str = r#"
[server]
listen = "127.0.0.1:0"
public_url = "http://gateway.example"
admin_token = "test-admin-token"
max_body_bytes = 8192
body_timeout_ms = 2000
workers = 2

STORE

[confirm]
expiry_secs = 3600

[outbox]
workers = 1

[[app]]
api_key = "app1"
secret = "secret1"
name = "Sliced Bread"
app_id = "12000129"
callback_url = "http://apps.example.com/slicedbread/"
canvas_url = "http://apps.example.com/slicedbread/canvas/"
daily_request_limit = 10

[[app]]
api_key = "desk"
secret = "desksecret"
callback_url = "http://apps.example.com/desk/"
desktop = true

[[app]]
api_key = "nocallid"
secret = "nocallidsecret"
callback_url = "http://apps.example.com/nocallid/"
require_call_id = false

[[app]]
api_key = "office"
secret = "officesecret"
callback_url = "http://apps.example.com/office/"
allowed_ips = ["10.0.0.0/8", "192.0.2.7"]

[[app]]
api_key = "mixiapp"
secret = "mixisecret"
callback_url = "http://apps.example.com/mixi/"
platform = "mixi"

[[app]]
api_key = "brief"
secret = "briefsecret"
callback_url = "http://apps.example.com/brief/"
session_ttl_secs = 1

[[app]]
api_key = "myapikey"
secret = "appsecret123"
callback_url = "http://apps.example.com/vectors/"
require_call_id = false
"#;

pub fn test_config(store_section: &str, edit: impl FnOnce(String) -> String) -> Config {
    let toml = edit(BASE_TOML.replace("STORE", store_section));
    load_str(&toml, Vec::new()).expect("test config is valid")
}

pub fn redis_section(url: &str) -> String {
    format!("[store]\nbackend = \"redis\"\nurl = \"{url}\"\npartitions = 16\ntimeout_ms = 300\n")
}
