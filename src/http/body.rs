//! Reading a request body within its size and time bounds, on every route that has one.
//!
//! Invariants:
//! - A body that does not arrive within its time bound is given up ([`BodyProblem::TooSlow`]):
//!   a client sending one byte a second holds a connection for the bound, not forever.
//! - An oversized body is still read on (up to [`DRAIN_LIMIT`]) so that the client
//!   finishes sending and hears the answer rather than a reset.

use std::time::Duration;

use actix_web::web::{Bytes, BytesMut, Payload};
use futures_util::StreamExt;

/// Past this many bytes an oversized body is no longer drained.
pub const DRAIN_LIMIT: usize = 16 * 1024 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyProblem {
    TooLarge,
    TooSlow,
    Broken,
}

impl BodyProblem {
    pub fn why(self) -> &'static str {
        match self {
            BodyProblem::TooLarge => "body too large",
            BodyProblem::TooSlow => "body not received in time",
            BodyProblem::Broken => "body could not be read",
        }
    }
}

pub async fn read_body(
    mut payload: Payload,
    limit: usize,
    timeout: Duration,
) -> Result<Bytes, BodyProblem> {
    let read = async {
        let mut buf = BytesMut::new();
        let mut seen = 0usize;
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|_| BodyProblem::Broken)?;
            seen += chunk.len();
            if seen > limit {
                if seen > DRAIN_LIMIT {
                    return Err(BodyProblem::TooLarge);
                }
                continue;
            }
            buf.extend_from_slice(&chunk);
        }
        if seen > limit {
            Err(BodyProblem::TooLarge)
        } else {
            Ok(buf.freeze())
        }
    };
    tokio::time::timeout(timeout, read)
        .await
        .unwrap_or(Err(BodyProblem::TooSlow))
}
