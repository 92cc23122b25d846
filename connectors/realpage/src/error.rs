//! What can go wrong with a RealPage answer, as one typed error with a stable code per variant
//! (DESIGN.md, "Style": thiserror enums, a stable code per variant).
//!
//! RPX is a WCF service: it answers every application error as a `s:Fault` with HTTP 500, its
//! `faultstring` saying what went wrong. [`RealPageError::from_fault`] sorts faults by their text:
//! a licence key, PMC or partner the gateway refuses; an operation the licence may not call
//! ("access denied", "not authorized for"...), which denies that operation's resource; a site the
//! management company has not; anything else stays a fault, with its code and string.

use pmsgraph_connector_core::xml::XmlError;
use pmsgraph_connector_core::{ConnectorError, Resource};

use crate::soap::Operation;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RealPageError {
    /// The gateway refused the credentials (licence key, PMC id or partner).
    #[error("RealPage refused the credentials: {message}")]
    Unauthorized { message: String },
    /// The credentials work, but this licence may not call this operation for the site.
    #[error("the RealPage licence may not read {resource} ({operation}): {message}")]
    AccessDenied { resource: Resource, operation: Operation, message: String },
    /// The site id is not one of the management company's.
    #[error("RealPage does not know the site ({operation}): {message}")]
    UnknownSite { operation: Operation, message: String },
    /// Any other SOAP fault.
    #[error("RealPage answered {operation} with a SOAP fault{}: {message}", code.as_ref().map(|c| format!(" ({c})")).unwrap_or_default())]
    Fault { operation: Operation, code: Option<String>, message: String, http_status: Option<u16> },
    /// The answer does not have the expected shape; `path` names the element.
    #[error("malformed RealPage answer at {path}: {message}")]
    Malformed { path: String, message: String },
}

/// Fault strings that say the licence may not call the operation (lower case).
const ACCESS_PHRASES: &[&str] =
    &["access denied", "not authorized for", "not licensed for", "no access to", "permission"];

/// Fault strings that say the credentials are wrong (lower case).
const CREDENTIAL_PHRASES: &[&str] =
    &["invalid license", "license key", "invalid pmc", "invalid partner", "authentication", "login failed"];

/// Fault strings that say the site is unknown (lower case).
const SITE_PHRASES: &[&str] = &["invalid site", "site not found", "unknown site"];

impl RealPageError {
    /// The stable code of this error, for job records and logs.
    pub const fn code(&self) -> &'static str {
        match self {
            RealPageError::Unauthorized { .. } => "REALPAGE_UNAUTHORIZED",
            RealPageError::AccessDenied { .. } => "REALPAGE_ACCESS_DENIED",
            RealPageError::UnknownSite { .. } => "REALPAGE_UNKNOWN_SITE",
            RealPageError::Fault { .. } => "REALPAGE_SOAP_FAULT",
            RealPageError::Malformed { .. } => "REALPAGE_MALFORMED_RESPONSE",
        }
    }

    /// Sorts a fault answered to `operation` by its fault string.
    pub fn from_fault(operation: Operation, code: Option<String>, message: String, http_status: Option<u16>) -> Self {
        let lower = message.to_lowercase();
        if ACCESS_PHRASES.iter().any(|p| lower.contains(p)) {
            return RealPageError::AccessDenied { resource: operation.resource(), operation, message };
        }
        if SITE_PHRASES.iter().any(|p| lower.contains(p)) {
            return RealPageError::UnknownSite { operation, message };
        }
        if CREDENTIAL_PHRASES.iter().any(|p| lower.contains(p)) {
            return RealPageError::Unauthorized { message };
        }
        RealPageError::Fault { operation, code, message, http_status }
    }

    pub fn malformed(path: impl Into<String>, message: impl Into<String>) -> Self {
        RealPageError::Malformed { path: path.into(), message: message.into() }
    }
}

impl From<XmlError> for RealPageError {
    fn from(err: XmlError) -> Self {
        RealPageError::Malformed { path: err.path, message: err.message }
    }
}

impl From<RealPageError> for ConnectorError {
    fn from(err: RealPageError) -> Self {
        match err {
            RealPageError::Unauthorized { message } => ConnectorError::Unauthorized(message),
            RealPageError::AccessDenied { resource, operation, message } => {
                ConnectorError::AccessDenied { resource, message: format!("{operation}: {message}") }
            }
            RealPageError::UnknownSite { .. } => ConnectorError::InvalidConfig(err.to_string()),
            RealPageError::Fault { http_status, .. } => {
                ConnectorError::Upstream { status: http_status, message: err.to_string() }
            }
            RealPageError::Malformed { path, message } => ConnectorError::Malformed { path, message },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_sorted_by_their_text() {
        let op = Operation::GetLeaseInfo;
        let err = RealPageError::from_fault(op, None, "Access denied: getleaseinfo is not licensed".into(), Some(500));
        assert!(matches!(err, RealPageError::AccessDenied { resource: Resource::Leases, .. }), "{err:?}");
        assert_eq!(ConnectorError::from(err).code(), "PMS_ACCESS_DENIED");
        let err = RealPageError::from_fault(op, None, "Invalid license key".into(), Some(500));
        assert_eq!(err.code(), "REALPAGE_UNAUTHORIZED");
        assert_eq!(ConnectorError::from(err).code(), "PMS_UNAUTHORIZED");
        let err = RealPageError::from_fault(op, None, "Invalid site id 9".into(), Some(500));
        assert_eq!(ConnectorError::from(err).code(), "INVALID_CONFIGURATION");
        let err = RealPageError::from_fault(op, Some("s:Server".into()), "Object reference not set".into(), Some(500));
        assert_eq!(err.code(), "REALPAGE_SOAP_FAULT");
        let connector = ConnectorError::from(err);
        assert!(matches!(&connector, ConnectorError::Upstream { status: Some(500), .. }), "{connector:?}");
        assert!(connector.to_string().contains("(s:Server): Object reference not set"), "{connector}");
    }
}
