//! The caller's address, for `allowed_ips`.
//!
//! Invariant: the socket peer, or, only when `trust_forwarded_for` is set (behind the
//! operator's own proxy), the LAST address in `X-Forwarded-For`: the one that proxy
//! appended. Never actix's `realip_remote_addr`, which trusts any client's header.

use std::net::{IpAddr, Ipv4Addr};

use actix_web::HttpRequest;

pub fn client_ip(req: &HttpRequest, trust_forwarded_for: bool) -> IpAddr {
    if trust_forwarded_for {
        let forwarded = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|s| s.trim().parse::<IpAddr>().ok())
            .next_back();
        if let Some(ip) = forwarded {
            return ip;
        }
    }
    req.peer_addr()
        .map(|a| a.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}
