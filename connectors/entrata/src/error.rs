//! What can go wrong with an Entrata answer, as one typed error with a stable code per variant
//! (DESIGN.md, "Style": thiserror enums, a stable code per variant).
//!
//! Entrata reports errors in the body (`response.error {code, message}`), with HTTP 200 on the
//! legacy host. [`EntrataError::from_rpc`] sorts them: refused credentials, a method the API user
//! may not call (Entrata grants API access per service: getProperties may be allowed and getLeases
//! not), or any other upstream error. No capture of either error body is public, so the sorting
//! reads the message as well as the code (401/403); see the phrase lists below.

use pmsgraph_connector_core::{ConnectorError, Resource};

use crate::wire::{Method, PathError};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntrataError {
    /// Entrata refused the credentials (wrong, expired or revoked username/password or API key).
    #[error("Entrata refused the credentials: {message}")]
    Unauthorized { message: String },
    /// The credentials work but the API user may not call this method (service not enabled).
    #[error("the Entrata API user may not read {resource} ({method}): {message}")]
    AccessDenied { resource: Resource, method: Method, message: String },
    /// Any other error Entrata answered with.
    #[error("Entrata answered {}: {message}", code.map_or_else(|| "an error".to_owned(), |c| format!("error {c}")))]
    Upstream { code: Option<i64>, message: String },
    /// The answer does not have the expected shape; `path` names the JSON field.
    #[error("malformed Entrata answer at {path}: {message}")]
    Malformed { path: String, message: String },
}

/// Messages that say the credentials are wrong (lower case).
const CREDENTIAL_PHRASES: &[&str] = &[
    "authentication failed",
    "authentication failure",
    "failed to authenticate",
    "invalid credentials",
    "invalid username",
    "invalid user name",
    "invalid password",
    "username and/or password",
    "username or password",
    "invalid api key",
    "invalid apikey",
    "api key is invalid",
    "api key not found",
    "login failed",
];

/// Messages that say the API user may not use this service (lower case).
const PERMISSION_PHRASES: &[&str] = &[
    "permission",
    "not authorized to",
    "not authorised to",
    "access denied",
    "access is denied",
    "does not have access",
    "do not have access",
    "no access",
    "not allowed",
    "not enabled",
    "not subscribed",
    "forbidden",
];

impl EntrataError {
    /// The stable code of this error, for job records and logs.
    pub const fn code(&self) -> &'static str {
        match self {
            EntrataError::Unauthorized { .. } => "ENTRATA_UNAUTHORIZED",
            EntrataError::AccessDenied { .. } => "ENTRATA_ACCESS_DENIED",
            EntrataError::Upstream { .. } => "ENTRATA_UPSTREAM_ERROR",
            EntrataError::Malformed { .. } => "ENTRATA_MALFORMED_RESPONSE",
        }
    }

    /// Sorts the `response.error` of a call to `method`.
    pub fn from_rpc(method: Method, code: Option<i64>, message: String) -> Self {
        let lower = message.to_lowercase();
        let about_credentials = CREDENTIAL_PHRASES.iter().any(|p| lower.contains(p));
        let about_permission = PERMISSION_PHRASES.iter().any(|p| lower.contains(p));
        if about_credentials || (code == Some(401) && !about_permission) {
            return EntrataError::Unauthorized { message };
        }
        if about_permission || code == Some(403) {
            // getStatus guards no resource: a refusal there is not a data-access answer.
            if let Some(resource) = method.resource() {
                return EntrataError::AccessDenied { resource, method, message };
            }
        }
        EntrataError::Upstream { code, message }
    }
}

impl From<PathError> for EntrataError {
    fn from(err: PathError) -> Self {
        EntrataError::Malformed { path: err.display_path().to_owned(), message: err.message }
    }
}

impl From<EntrataError> for ConnectorError {
    fn from(err: EntrataError) -> Self {
        match err {
            EntrataError::Unauthorized { message } => ConnectorError::Unauthorized(message),
            EntrataError::AccessDenied { resource, method, message } => {
                ConnectorError::AccessDenied { resource, message: format!("{method}: {message}") }
            }
            upstream @ EntrataError::Upstream { .. } => {
                ConnectorError::Upstream { status: None, message: upstream.to_string() }
            }
            EntrataError::Malformed { path, message } => ConnectorError::Malformed { path, message },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{LeasesResult, StatusResult, decode};

    #[test]
    fn credential_errors_are_unauthorized() {
        let body = br#"{"response":{"requestId":"15","error":{"code":401,"message":"Authentication failed."}}}"#;
        let err = decode::<LeasesResult>(Method::GetLeases, body).expect_err("refused");
        assert_eq!(err, EntrataError::Unauthorized { message: "Authentication failed.".into() });
        assert_eq!(err.code(), "ENTRATA_UNAUTHORIZED");
        let err = EntrataError::from_rpc(Method::GetStatus, Some(113), "Invalid username and/or password".into());
        assert!(matches!(err, EntrataError::Unauthorized { .. }), "{err:?}");
        assert!(matches!(ConnectorError::from(err), ConnectorError::Unauthorized(_)));
    }

    #[test]
    fn per_service_refusals_name_the_resource() {
        let body = br#"{"response":{"requestId":"15","error":{"code":"403","message":"You do not have permission to access this service."}}}"#;
        let err = decode::<LeasesResult>(Method::GetLeases, body).expect_err("denied");
        assert_eq!(
            err,
            EntrataError::AccessDenied {
                resource: Resource::Leases,
                method: Method::GetLeases,
                message: "You do not have permission to access this service.".into()
            }
        );
        assert_eq!(err.code(), "ENTRATA_ACCESS_DENIED");
        assert_eq!(
            err.to_string(),
            "the Entrata API user may not read leases (getLeases): You do not have permission to access this service."
        );
        let connector = ConnectorError::from(err);
        assert_eq!(connector.code(), "PMS_ACCESS_DENIED");

        let err = EntrataError::from_rpc(Method::GetCustomers, Some(403), "Forbidden".into());
        assert!(matches!(err, EntrataError::AccessDenied { resource: Resource::Residents, .. }), "{err:?}");
        // getStatus guards no resource.
        let err = EntrataError::from_rpc(Method::GetStatus, Some(403), "Forbidden".into());
        assert_eq!(err, EntrataError::Upstream { code: Some(403), message: "Forbidden".into() });
    }

    #[test]
    fn other_errors_stay_upstream_errors_with_their_code() {
        let body = br#"{"response":{"requestId":"15","error":{"code":500,"message":"Property id is invalid."}}}"#;
        let err = decode::<StatusResult>(Method::GetStatus, body).expect_err("an error");
        assert_eq!(err.to_string(), "Entrata answered error 500: Property id is invalid.");
        assert_eq!(err.code(), "ENTRATA_UPSTREAM_ERROR");
        let err = EntrataError::from_rpc(Method::GetLeases, None, String::new());
        assert_eq!(err.to_string(), "Entrata answered an error: ");
    }

    #[test]
    fn malformed_errors_keep_their_path() {
        let err = EntrataError::from(PathError::new("response.result.leases.lease[0].id", "empty id"));
        assert_eq!(err.code(), "ENTRATA_MALFORMED_RESPONSE");
        assert_eq!(err.to_string(), "malformed Entrata answer at response.result.leases.lease[0].id: empty id");
        let connector = ConnectorError::from(err);
        assert_eq!(connector.code(), "PMS_MALFORMED_RESPONSE");
    }
}
