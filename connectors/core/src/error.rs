//! What can go wrong talking to a PMS, as one typed error every connector shares, with a stable code
//! per variant. The sync engine branches on the variant (retry, pause the integration, record a
//! denied resource); the API shows the code and message, never credentials.

use std::time::Duration;

use crate::connector::Resource;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectorError {
    /// The PMS refused the credentials (expired, revoked, wrong).
    #[error("the PMS refused the credentials: {0}")]
    Unauthorized(String),
    /// The credentials are valid but may not read this resource.
    #[error("no access to {resource}: {message}")]
    AccessDenied { resource: Resource, message: String },
    /// The PMS asked us to slow down for longer than we are willing to wait.
    #[error("rate limited by the PMS{}", retry_after.map(|d| format!("; retry after {} s", d.as_secs())).unwrap_or_default())]
    RateLimited { retry_after: Option<Duration> },
    /// The PMS answered with an error (an HTTP status, or an error body with a 200).
    #[error("the PMS answered {}: {message}", status.map_or_else(|| "an error".to_owned(), |s| format!("HTTP {s}")))]
    Upstream { status: Option<u16>, message: String },
    /// A response did not have the expected shape; `path` names the field.
    #[error("malformed response at {path}: {message}")]
    Malformed { path: String, message: String },
    /// No answer in time.
    #[error("the PMS did not answer in time")]
    Timeout,
    /// The connection could not be made or broke.
    #[error("cannot reach the PMS: {0}")]
    Transport(String),
    /// The integration's settings or credentials are not usable (a bad URL, a missing field).
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
}

impl ConnectorError {
    /// The stable code of this error, for job records and API errors.
    pub const fn code(&self) -> &'static str {
        match self {
            ConnectorError::Unauthorized(_) => "PMS_UNAUTHORIZED",
            ConnectorError::AccessDenied { .. } => "PMS_ACCESS_DENIED",
            ConnectorError::RateLimited { .. } => "PMS_RATE_LIMITED",
            ConnectorError::Upstream { .. } => "PMS_UPSTREAM_ERROR",
            ConnectorError::Malformed { .. } => "PMS_MALFORMED_RESPONSE",
            ConnectorError::Timeout => "PMS_TIMEOUT",
            ConnectorError::Transport(_) => "PMS_UNREACHABLE",
            ConnectorError::InvalidConfig(_) => "INVALID_CONFIGURATION",
        }
    }

    /// Whether trying the same request again may succeed (outages, timeouts, 5xx).
    pub fn is_transient(&self) -> bool {
        match self {
            ConnectorError::Timeout | ConnectorError::Transport(_) => true,
            ConnectorError::Upstream { status: Some(status), .. } => *status >= 500,
            _ => false,
        }
    }

    pub fn malformed(path: impl Into<String>, message: impl Into<String>) -> Self {
        ConnectorError::Malformed { path: path.into(), message: message.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_what_happened() {
        let err = ConnectorError::RateLimited { retry_after: Some(Duration::from_secs(3600)) };
        assert_eq!(err.to_string(), "rate limited by the PMS; retry after 3600 s");
        let err = ConnectorError::Upstream { status: Some(503), message: "maintenance".into() };
        assert_eq!(err.to_string(), "the PMS answered HTTP 503: maintenance");
        assert!(err.is_transient());
        let err = ConnectorError::AccessDenied { resource: Resource::Leases, message: "no lease service".into() };
        assert_eq!(err.to_string(), "no access to leases: no lease service");
        assert_eq!(err.code(), "PMS_ACCESS_DENIED");
        assert!(!err.is_transient());
    }
}
