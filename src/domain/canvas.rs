//! The canvas bridge's own values: an app's `[app.canvas]` settings, the `fb_sig_*` set the
//! app receives, and the bridge token `fbb_t` that carries a viewer from click to click.
//!
//! Invariants:
//! - `fb_sig` is computed exactly as the official PHP client's `generate_sig` checks it:
//!   md5 of the sorted `key=value` pairs with the `fb_sig_` prefix stripped, then the secret.
//! - A bridge token binds (api_key, viewer uid, session key, expiry) under an HMAC keyed
//!   from the app secret; it is verified in constant time and refused once expired.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::ids::{SessionKey, Uid};
use super::secrets::{ct_eq, sign, Secret};

/// `[app.canvas]`, resolved: which secret checks entries, which certificate, which hosts.
#[derive(Clone, Debug)]
pub struct CanvasSettings {
    /// Old `apps.facebook.com/{canvas_name}/` URLs are this app's.
    pub canvas_name: Option<String>,
    /// The `oauth_consumer_key` entries must carry, when one is known.
    pub consumer_key: Option<String>,
    /// The HMAC-SHA1 key of entry requests.
    pub consumer_secret: Secret,
    /// The container's key for RSA-SHA1 entries.
    pub container_key: Option<rsa::RsaPublicKey>,
    pub locale: String,
    pub timeout: Duration,
    pub redirect_hosts: Vec<String>,
    /// `fb:name linked`: `{id}` is replaced by the user's platform id.
    pub profile_url: Option<String>,
}

/// The key the sandbox container signs launches with when no consumer secret is set.
pub fn sandbox_launch_secret(app_secret: &str) -> Secret {
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()).expect("any key");
    mac.update(b"fbbridge sandbox launch");
    Secret::new(hex::encode(mac.finalize().into_bytes()))
}

/// What the app is told about the viewer.
pub struct FbSigInput<'a> {
    pub api_key: &'a str,
    pub app_id: &'a str,
    pub user: Uid,
    pub session: &'a SessionKey,
    pub expires_secs: i64,
    pub friends: &'a [Uid],
    pub profile_user: Option<Uid>,
    pub locale: &'a str,
    pub request_method: &'a str,
    pub time: f64,
}

/// The `fb_sig_*` parameters with `fb_sig` last.
pub fn fb_sig_params(input: &FbSigInput<'_>, app_secret: &str) -> Vec<(String, String)> {
    let friends: Vec<String> = input.friends.iter().map(Uid::to_string).collect();
    let mut params: Vec<(String, String)> = vec![
        ("in_canvas".into(), "1".into()),
        ("request_method".into(), input.request_method.into()),
        ("time".into(), format!("{:.4}", input.time)),
        ("api_key".into(), input.api_key.into()),
        ("app_id".into(), input.app_id.into()),
        ("added".into(), "1".into()),
        ("user".into(), input.user.to_string()),
        ("session_key".into(), input.session.as_str().into()),
        ("expires".into(), input.expires_secs.to_string()),
        ("friends".into(), friends.join(",")),
        ("locale".into(), input.locale.into()),
    ];
    if let Some(owner) = input.profile_user.filter(|o| *o != input.user) {
        params.push(("profile_user".into(), owner.to_string()));
    }
    let sig = fb_sig(&params, app_secret);
    let mut out: Vec<(String, String)> = params
        .into_iter()
        .map(|(k, v)| (format!("fb_sig_{k}"), v))
        .collect();
    out.push(("fb_sig".into(), sig));
    out
}

/// md5 over the sorted pairs (names without the prefix) and the secret.
pub fn fb_sig(unprefixed: &[(String, String)], app_secret: &str) -> String {
    sign(
        unprefixed.iter().map(|(k, v)| (k.as_str(), v.as_bytes())),
        app_secret.as_bytes(),
    )
}

fn token_mac(app_secret: &str, payload: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()).expect("any key");
    mac.update(b"fbb_t\0");
    mac.update(payload.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// What a bridge token proves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bridge {
    pub viewer: Uid,
    pub owner: Option<Uid>,
    pub session: SessionKey,
    pub expires_ms: i64,
}

/// `payload.mac`, both URL-safe base64; the payload is `api|viewer|owner|session|expiry`.
pub fn seal_bridge(api_key: &str, bridge: &Bridge, app_secret: &str) -> String {
    let payload = format!(
        "{api_key}|{}|{}|{}|{}",
        bridge.viewer,
        bridge.owner.map(|o| o.to_string()).unwrap_or_default(),
        bridge.session.as_str(),
        bridge.expires_ms
    );
    let mac = token_mac(app_secret, &payload);
    format!("{}.{}", B64.encode(payload), B64.encode(mac))
}

/// The token's content when it is this app's, untampered and unexpired.
pub fn open_bridge(api_key: &str, token: &str, app_secret: &str, now_ms: i64) -> Option<Bridge> {
    let (payload_b64, mac_b64) = token.split_once('.')?;
    let payload = String::from_utf8(B64.decode(payload_b64).ok()?).ok()?;
    let mac = B64.decode(mac_b64).ok()?;
    if !ct_eq(&mac, &token_mac(app_secret, &payload)) {
        return None;
    }
    let mut parts = payload.split('|');
    let (api, viewer, owner, session, expires) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if api != api_key || parts.next().is_some() {
        return None;
    }
    let expires_ms: i64 = expires.parse().ok()?;
    if expires_ms <= now_ms {
        return None;
    }
    Some(Bridge {
        viewer: Uid::parse(viewer)?,
        owner: if owner.is_empty() {
            None
        } else {
            Some(Uid::parse(owner)?)
        },
        session: SessionKey::parse(session)?,
        expires_ms,
    })
}

/// Seals form fields the user must not alter (a request form's type, content, action).
pub fn seal_fields(fields: &[(&str, &str)], app_secret: &str) -> String {
    let json = serde_json::to_string(fields).expect("pairs serialise");
    let mac = token_mac(app_secret, &json);
    format!("{}.{}", B64.encode(json), B64.encode(mac))
}

pub fn open_fields(sealed: &str, app_secret: &str) -> Option<Vec<(String, String)>> {
    let (json_b64, mac_b64) = sealed.split_once('.')?;
    let json = String::from_utf8(B64.decode(json_b64).ok()?).ok()?;
    if !ct_eq(&B64.decode(mac_b64).ok()?, &token_mac(app_secret, &json)) {
        return None;
    }
    serde_json::from_str(&json).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first `fb_sig_*` vector of `shared/vectors/canvas-entries.txt`.
    #[test]
    fn fb_sig_matches_the_php_clients_generate_sig() {
        let pairs: Vec<(String, String)> = [
            ("added", "1"),
            ("api_key", "0123456789abcdef0123456789abcdef"),
            ("app_id", "12000129"),
            ("expires", "1795462467"),
            ("friends", "1002,1003,1004"),
            ("in_canvas", "1"),
            ("locale", "en_US"),
            ("request_method", "GET"),
            ("session_key", "048c0778041f710f32de8f51fe66471f-1001"),
            ("time", "1795376067.2672"),
            ("user", "1001"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(
            fb_sig(&pairs, "appsecret123"),
            "bbfb5899340bcd5ec32e4a77fe289701"
        );
        let second: Vec<(String, String)> = [
            ("added", "1"),
            ("api_key", "0123456789abcdef0123456789abcdef"),
            ("app_id", "12000129"),
            ("expires", "1795462500"),
            ("friends", ""),
            ("in_canvas", "1"),
            ("locale", "ja_JP"),
            ("profile_user", "1002"),
            ("request_method", "POST"),
            ("session_key", "9a1b-100000000001"),
            ("time", "1795376100.5"),
            ("user", "100000000001"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(
            fb_sig(&second, "appsecret123"),
            "b80916238274cecee3bbcbb5d1dde35b"
        );
    }

    #[test]
    fn bridge_tokens_bind_app_viewer_and_expiry() {
        let bridge = Bridge {
            viewer: Uid::new(1001).unwrap(),
            owner: None,
            session: SessionKey::mint(Uid::new(1001).unwrap()),
            expires_ms: 2_000,
        };
        let t = seal_bridge("app1", &bridge, "s3cret");
        assert_eq!(
            open_bridge("app1", &t, "s3cret", 1_000),
            Some(bridge.clone())
        );
        assert_eq!(open_bridge("app1", &t, "s3cret", 2_000), None, "expired");
        assert_eq!(
            open_bridge("app2", &t, "s3cret", 1_000),
            None,
            "another app"
        );
        assert_eq!(
            open_bridge("app1", &t, "other", 1_000),
            None,
            "another secret"
        );
        let mut forged = t.clone();
        forged.replace_range(0..1, if t.starts_with('A') { "B" } else { "A" });
        assert_eq!(open_bridge("app1", &forged, "s3cret", 1_000), None);
        let sealed = seal_fields(&[("type", "gift"), ("action", "/done")], "s3cret");
        assert_eq!(
            open_fields(&sealed, "s3cret").unwrap(),
            vec![
                ("type".to_string(), "gift".to_string()),
                ("action".into(), "/done".into())
            ]
        );
        assert_eq!(open_fields(&sealed, "x"), None);
    }
}
