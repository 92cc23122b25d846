//! What can go wrong with a Buildium answer, as one typed error with a stable code per variant.
//!
//! Buildium answers errors with an HTTP status and an `ApiErrorResponse` body,
//! `{UserMessage, ErrorCode, Errors[{Key, Value}]}`: 401 for credentials it cannot authorize, 403
//! for a resource the credentials may not read, 400/422 for a request it cannot use. 429 and 5xx
//! are retried by the shared HTTP layer before they get here.

use pmsgraph_connector_core::{ConnectorError, Resource};
use serde::Deserialize;

/// The body of a Buildium error (`ApiErrorResponse`), read leniently: every field may be missing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ApiErrorResponse {
    pub user_message: Option<String>,
    pub error_code: Option<String>,
    pub errors: Option<Vec<ApiError>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ApiError {
    pub key: Option<String>,
    pub value: Option<String>,
}

impl ApiErrorResponse {
    /// One line: the user message, the code and each `Key: Value`.
    pub fn describe(&self) -> String {
        let mut out = self.user_message.clone().unwrap_or_else(|| "no message".to_owned());
        if let Some(code) = &self.error_code {
            out.push_str(&format!(" ({code})"));
        }
        for e in self.errors.iter().flatten() {
            out.push_str(&format!("; {}: {}", e.key.as_deref().unwrap_or("?"), e.value.as_deref().unwrap_or("")));
        }
        out
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildiumError {
    /// HTTP 401: Buildium could not authorize the client id and secret.
    #[error("Buildium refused the credentials: {message}")]
    Unauthorized { message: String },
    /// HTTP 403: the credentials may not read this resource.
    #[error("the Buildium credentials may not read {resource} ({endpoint}): {message}")]
    AccessDenied { resource: Resource, endpoint: &'static str, message: String },
    /// HTTP 400 or 422: Buildium could not use the request.
    #[error("Buildium refused the request to {endpoint} (HTTP {status}): {message}")]
    BadRequest { endpoint: &'static str, status: u16, message: String },
    /// Any other error status.
    #[error("Buildium answered {endpoint} with HTTP {status}: {message}")]
    Upstream { endpoint: &'static str, status: u16, message: String },
    /// The answer does not have the expected shape; `path` names the field.
    #[error("malformed Buildium answer at {path}: {message}")]
    Malformed { path: String, message: String },
}

impl BuildiumError {
    /// The stable code of this error, for job records and logs.
    pub const fn code(&self) -> &'static str {
        match self {
            BuildiumError::Unauthorized { .. } => "BUILDIUM_UNAUTHORIZED",
            BuildiumError::AccessDenied { .. } => "BUILDIUM_ACCESS_DENIED",
            BuildiumError::BadRequest { .. } => "BUILDIUM_BAD_REQUEST",
            BuildiumError::Upstream { .. } => "BUILDIUM_UPSTREAM_ERROR",
            BuildiumError::Malformed { .. } => "BUILDIUM_MALFORMED_RESPONSE",
        }
    }

    /// The error of an error status with its body, for a call to `endpoint` (reading `resource`).
    pub fn from_status(status: u16, body: &[u8], endpoint: &'static str, resource: Resource) -> Self {
        let message = match serde_json::from_slice::<ApiErrorResponse>(body) {
            Ok(parsed) if parsed != ApiErrorResponse::default() => parsed.describe(),
            _ => String::from_utf8_lossy(body)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .chars()
                .take(300)
                .collect(),
        };
        match status {
            401 => BuildiumError::Unauthorized { message },
            403 => BuildiumError::AccessDenied { resource, endpoint, message },
            400 | 422 => BuildiumError::BadRequest { endpoint, status, message },
            _ => BuildiumError::Upstream { endpoint, status, message },
        }
    }

    pub fn malformed(path: impl Into<String>, message: impl Into<String>) -> Self {
        BuildiumError::Malformed { path: path.into(), message: message.into() }
    }
}

impl From<BuildiumError> for ConnectorError {
    fn from(err: BuildiumError) -> Self {
        match err {
            BuildiumError::Unauthorized { message } => ConnectorError::Unauthorized(message),
            BuildiumError::AccessDenied { resource, endpoint, message } => {
                ConnectorError::AccessDenied { resource, message: format!("{endpoint}: {message}") }
            }
            BuildiumError::BadRequest { status, .. } | BuildiumError::Upstream { status, .. } => {
                ConnectorError::Upstream { status: Some(status), message: err.to_string() }
            }
            BuildiumError::Malformed { path, message } => ConnectorError::Malformed { path, message },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_bodies_become_typed_errors() {
        let body = br#"{"UserMessage":"Validation failed","ErrorCode":"ValidationFailed","Errors":[{"Key":"limit","Value":"too big"}]}"#;
        let err = BuildiumError::from_status(422, body, "/v1/leases", Resource::Leases);
        assert_eq!(err.code(), "BUILDIUM_BAD_REQUEST");
        assert_eq!(
            err.to_string(),
            "Buildium refused the request to /v1/leases (HTTP 422): Validation failed (ValidationFailed); limit: too big"
        );
        let err =
            BuildiumError::from_status(403, br#"{"UserMessage":"No permission"}"#, "/v1/leases", Resource::Leases);
        let connector = ConnectorError::from(err);
        assert_eq!(connector.to_string(), "no access to leases: /v1/leases: No permission");
        let err = BuildiumError::from_status(401, b"not json", "/v1/rentals", Resource::Properties);
        assert!(matches!(ConnectorError::from(err), ConnectorError::Unauthorized(m) if m == "not json"));
        let err = BuildiumError::from_status(404, b"{}", "/v1/rentals", Resource::Properties);
        assert_eq!(err.code(), "BUILDIUM_UPSTREAM_ERROR");
    }
}
