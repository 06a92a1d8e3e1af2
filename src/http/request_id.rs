//! A request id on every answer, and a tracing span around every request carrying it.
//!
//! Invariants:
//! - Every answer carries `X-Request-Id`; the legacy error 1's correlation id is that id.
//! - An incoming `X-Request-Id` (from a proxy in front) is kept only when it is 1-64
//!   characters of `[A-Za-z0-9_.-]`, so a client cannot inject text into the logs.

use std::future::{ready, Ready};
use std::rc::Rc;

use actix_web::dev::{forward_ready, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;
use tracing::Instrument;

const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the request being answered.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

impl FromRequest for RequestId {
    type Error = Error;
    type Future = Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let id = req
            .extensions()
            .get::<RequestId>()
            .cloned()
            .unwrap_or_else(|| RequestId(new_id()));
        ready(Ok(id))
    }
}

fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn acceptable(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// The middleware: `App::wrap(RequestIdentity)`.
pub struct RequestIdentity;

impl<S, B> Transform<S, ServiceRequest> for RequestIdentity
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = RequestIdentityService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequestIdentityService {
            service: Rc::new(service),
        }))
    }
}

pub struct RequestIdentityService<S> {
    service: Rc<S>,
}

impl<S, B> Service<ServiceRequest> for RequestIdentityService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let id = req
            .headers()
            .get(&HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|v| acceptable(v))
            .map(str::to_string)
            .unwrap_or_else(new_id);
        req.extensions_mut().insert(RequestId(id.clone()));
        let span = tracing::info_span!(
            "http",
            request_id = %id,
            method = %req.method(),
            path = %req.path(),
        );
        let service = self.service.clone();
        Box::pin(
            async move {
                let mut res = service.call(req).await?;
                if let Ok(v) = HeaderValue::from_str(&id) {
                    res.headers_mut().insert(HEADER, v);
                }
                tracing::debug!(status = res.status().as_u16(), "answered");
                Ok(res)
            }
            .instrument(span),
        )
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_plain_ids_are_kept() {
        assert!(super::acceptable("abc-123_x.y"));
        assert!(!super::acceptable(""));
        assert!(!super::acceptable("a b"));
        assert!(!super::acceptable("x\nforged log line"));
        assert!(!super::acceptable(&"a".repeat(65)));
    }
}
