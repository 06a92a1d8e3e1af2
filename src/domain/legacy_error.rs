//! The one error model of the legacy API.
//!
//! Invariants:
//! - Every failure a legacy caller can see is a [`LegacyError`] carrying one of the codes of
//!   `legacy-rest.md`; its `error_msg` is exactly the table's text, except where Facebook
//!   itself answered a specific text (the FQL errors): then [`LegacyError::message`].
//! - `detail` is for logs only and never reaches the caller.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    Unknown,
    ServiceUnavailable,
    UnknownMethod,
    RequestLimitReached,
    UnauthorizedSourceIp,
    InvalidParameter,
    InvalidApiKey,
    InvalidSession,
    InvalidCallId,
    IncorrectSignature,
    InvalidUserId,
    PermissionError,
    FqlParser,
    FqlUnknownField,
    FqlUnknownTable,
    FqlNotIndexable,
    FqlInvalidFunction,
    MalformedJson,
    FeedActionLimit,
    FeedTitleData,
    FeedTitleParams,
    FeedBodyData,
    FeedBodyParams,
    FeedTargets,
    FeedDataCoverage,
    NoSuchBundle,
    TooManyBundles,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 27] = [
        ErrorCode::Unknown,
        ErrorCode::ServiceUnavailable,
        ErrorCode::UnknownMethod,
        ErrorCode::RequestLimitReached,
        ErrorCode::UnauthorizedSourceIp,
        ErrorCode::InvalidParameter,
        ErrorCode::InvalidApiKey,
        ErrorCode::InvalidSession,
        ErrorCode::InvalidCallId,
        ErrorCode::IncorrectSignature,
        ErrorCode::InvalidUserId,
        ErrorCode::PermissionError,
        ErrorCode::FqlParser,
        ErrorCode::FqlUnknownField,
        ErrorCode::FqlUnknownTable,
        ErrorCode::FqlNotIndexable,
        ErrorCode::FqlInvalidFunction,
        ErrorCode::MalformedJson,
        ErrorCode::FeedActionLimit,
        ErrorCode::FeedTitleData,
        ErrorCode::FeedTitleParams,
        ErrorCode::FeedBodyData,
        ErrorCode::FeedBodyParams,
        ErrorCode::FeedTargets,
        ErrorCode::FeedDataCoverage,
        ErrorCode::NoSuchBundle,
        ErrorCode::TooManyBundles,
    ];

    pub fn code(self) -> u16 {
        match self {
            ErrorCode::Unknown => 1,
            ErrorCode::ServiceUnavailable => 2,
            ErrorCode::UnknownMethod => 3,
            ErrorCode::RequestLimitReached => 4,
            ErrorCode::UnauthorizedSourceIp => 5,
            ErrorCode::InvalidParameter => 100,
            ErrorCode::InvalidApiKey => 101,
            ErrorCode::InvalidSession => 102,
            ErrorCode::InvalidCallId => 103,
            ErrorCode::IncorrectSignature => 104,
            ErrorCode::InvalidUserId => 110,
            ErrorCode::PermissionError => 200,
            ErrorCode::FqlParser => 601,
            ErrorCode::FqlUnknownField => 602,
            ErrorCode::FqlUnknownTable => 603,
            ErrorCode::FqlNotIndexable => 604,
            ErrorCode::FqlInvalidFunction => 605,
            ErrorCode::MalformedJson => 144,
            ErrorCode::FeedActionLimit => 341,
            ErrorCode::FeedTitleData => 360,
            ErrorCode::FeedTitleParams => 361,
            ErrorCode::FeedBodyData => 362,
            ErrorCode::FeedBodyParams => 363,
            ErrorCode::FeedTargets => 366,
            ErrorCode::FeedDataCoverage => 367,
            ErrorCode::NoSuchBundle => 807,
            ErrorCode::TooManyBundles => 810,
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            ErrorCode::Unknown => "An unknown error occurred",
            ErrorCode::ServiceUnavailable => "Service temporarily unavailable",
            ErrorCode::UnknownMethod => "Unknown method",
            ErrorCode::RequestLimitReached => "Application request limit reached",
            ErrorCode::UnauthorizedSourceIp => "Unauthorized source IP address",
            ErrorCode::InvalidParameter => "Invalid parameter",
            ErrorCode::InvalidApiKey => "Invalid API key",
            ErrorCode::InvalidSession => "Session key invalid or no longer valid",
            ErrorCode::InvalidCallId => "Invalid call_id",
            ErrorCode::IncorrectSignature => "Incorrect signature",
            ErrorCode::InvalidUserId => "Invalid user id",
            ErrorCode::PermissionError => "Permissions error",
            ErrorCode::FqlParser => "Error while parsing FQL statement",
            ErrorCode::FqlUnknownField => "The field you requested does not exist",
            ErrorCode::FqlUnknownTable => "The table you requested does not exist",
            ErrorCode::FqlNotIndexable => "Your statement is not indexable",
            ErrorCode::FqlInvalidFunction => "The function you called does not exist",
            ErrorCode::MalformedJson => "Malformed JSON string",
            ErrorCode::FeedActionLimit => "Feed action request limit reached",
            ErrorCode::FeedTitleData => "Feed story title_data argument was not a valid JSON-encoded array",
            ErrorCode::FeedTitleParams => "Feed story title template either missing required parameters, or did not have all parameters defined in title_data array",
            ErrorCode::FeedBodyData => "Feed story body_data argument was not a valid JSON-encoded array",
            ErrorCode::FeedBodyParams => "Feed story body template either missing required parameters, or did not have all parameters defined in body_data array",
            ErrorCode::FeedTargets => "One or more of the target ids for this story are invalid. They must all be ids of friends of the acting user",
            ErrorCode::FeedDataCoverage => "The template data provided doesn't cover the entire token set needed to publish the story",
            ErrorCode::NoSuchBundle => "Template bundle does not exist or is not active",
            ErrorCode::TooManyBundles => "Too many template bundles registered for this application",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegacyError {
    pub code: ErrorCode,
    /// Why, for the log. Never rendered.
    pub detail: String,
    /// The `error_msg` to answer instead of the table's text (FQL's own messages).
    pub message: Option<String>,
}

impl LegacyError {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
            message: None,
        }
    }
    /// An error whose `error_msg` is `message` (also logged as its detail).
    pub fn with_message(code: ErrorCode, message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            code,
            detail: message.clone(),
            message: Some(message),
        }
    }
    /// The `error_msg` a caller sees.
    pub fn public_message(&self) -> &str {
        self.message.as_deref().unwrap_or(self.code.message())
    }
    pub fn permission(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::PermissionError, detail)
    }
    pub fn invalid_parameter(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidParameter, detail)
    }
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::ServiceUnavailable, detail)
    }
}

impl fmt::Display for LegacyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} ({})",
            self.code.code(),
            self.public_message(),
            self.detail
        )
    }
}

impl std::error::Error for LegacyError {}
