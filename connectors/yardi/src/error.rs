//! What can go wrong with a Yardi answer, as one typed error with a stable code per variant
//! (DESIGN.md, "Style": thiserror enums, a stable code per variant).
//!
//! Yardi answers application errors with HTTP 200 and `<Messages><Message>text</Message></Messages>`
//! in place of the data; [`YardiError::from_message`] sorts them by their text: refused
//! credentials, a property the interface may not read ("Invalid or no access to Yardi Property"),
//! an unknown property code, or any other error. "No tenants exist with the given search criteria"
//! is not an error at all: the reader turns it into an empty answer. A malformed request gets a
//! `soap:Fault` (HTTP 500), kept with its fault code and string.

use pmsgraph_connector_core::{ConnectorError, Resource};

use crate::soap::Operation;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum YardiError {
    /// Yardi refused the credentials (user name, password, interface entity or licence).
    #[error("Yardi refused the credentials: {message}")]
    Unauthorized { message: String },
    /// The credentials work but may not read this property through this interface.
    #[error("the Yardi interface may not read {resource} ({operation}): {message}")]
    AccessDenied { resource: Resource, operation: Operation, message: String },
    /// The property code is not one Yardi knows.
    #[error("Yardi does not know the property ({operation}): {message}")]
    UnknownProperty { operation: Operation, message: String },
    /// Any other `<Message>` Yardi answered with.
    #[error("Yardi answered {operation} with: {message}")]
    Upstream { operation: Operation, message: String },
    /// A `soap:Fault`: Yardi could not process the request.
    #[error("Yardi answered {operation} with a SOAP fault{}: {message}", code.as_ref().map(|c| format!(" ({c})")).unwrap_or_default())]
    Fault { operation: Operation, code: Option<String>, message: String, http_status: Option<u16> },
    /// The answer does not have the expected shape; `path` names the element.
    #[error("malformed Yardi answer at {path}: {message}")]
    Malformed { path: String, message: String },
}

/// Messages that say the credentials are wrong (lower case).
const CREDENTIAL_PHRASES: &[&str] = &[
    "password",
    "user name",
    "username",
    "login failed",
    "invalid interface entity",
    "interface license",
    "license is invalid",
    "invalid license",
    "not authorized to use this interface",
    "authentication",
];

/// Messages that say the interface may not read the property (lower case).
const ACCESS_PHRASES: &[&str] =
    &["invalid or no access to yardi property", "no access to", "access denied", "permission"];

/// Messages that mean "nothing matched", an empty answer (lower case).
const EMPTY_PHRASES: &[&str] = &["no tenants exist", "no residents exist", "no records found", "no units exist"];

impl YardiError {
    /// The stable code of this error, for job records and logs.
    pub const fn code(&self) -> &'static str {
        match self {
            YardiError::Unauthorized { .. } => "YARDI_UNAUTHORIZED",
            YardiError::AccessDenied { .. } => "YARDI_ACCESS_DENIED",
            YardiError::UnknownProperty { .. } => "YARDI_UNKNOWN_PROPERTY",
            YardiError::Upstream { .. } => "YARDI_UPSTREAM_ERROR",
            YardiError::Fault { .. } => "YARDI_SOAP_FAULT",
            YardiError::Malformed { .. } => "YARDI_MALFORMED_RESPONSE",
        }
    }

    /// Whether a `<Message>` text means an empty answer rather than an error.
    pub fn means_empty(message: &str) -> bool {
        let lower = message.to_lowercase();
        EMPTY_PHRASES.iter().any(|p| lower.contains(p))
    }

    /// Sorts the `<Message>` text of an answer to `operation`.
    pub fn from_message(operation: Operation, message: String) -> Self {
        let lower = message.to_lowercase();
        if ACCESS_PHRASES.iter().any(|p| lower.contains(p)) {
            return YardiError::AccessDenied { resource: operation.resource(), operation, message };
        }
        if lower.contains("invalid yardi property code") || lower.contains("invalid property") {
            return YardiError::UnknownProperty { operation, message };
        }
        if CREDENTIAL_PHRASES.iter().any(|p| lower.contains(p)) {
            return YardiError::Unauthorized { message };
        }
        YardiError::Upstream { operation, message }
    }

    pub fn malformed(path: impl Into<String>, message: impl Into<String>) -> Self {
        YardiError::Malformed { path: path.into(), message: message.into() }
    }
}

impl From<YardiError> for ConnectorError {
    fn from(err: YardiError) -> Self {
        match err {
            YardiError::Unauthorized { message } => ConnectorError::Unauthorized(message),
            YardiError::AccessDenied { resource, operation, message } => {
                ConnectorError::AccessDenied { resource, message: format!("{operation}: {message}") }
            }
            YardiError::UnknownProperty { .. } => ConnectorError::InvalidConfig(err.to_string()),
            upstream @ YardiError::Upstream { .. } => {
                ConnectorError::Upstream { status: None, message: upstream.to_string() }
            }
            YardiError::Fault { http_status, .. } => {
                ConnectorError::Upstream { status: http_status, message: err.to_string() }
            }
            YardiError::Malformed { path, message } => ConnectorError::Malformed { path, message },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_sorted_by_their_text() {
        let op = Operation::GetResidents;
        let err = YardiError::from_message(op, "Invalid or no access to Yardi Property".into());
        assert!(matches!(err, YardiError::AccessDenied { resource: Resource::Leases, .. }), "{err:?}");
        assert_eq!(err.code(), "YARDI_ACCESS_DENIED");
        let connector = ConnectorError::from(err);
        assert_eq!(connector.code(), "PMS_ACCESS_DENIED");
        assert_eq!(connector.to_string(), "no access to leases: GetResidents: Invalid or no access to Yardi Property");

        let err = YardiError::from_message(op, "Invalid Yardi Property Code".into());
        assert_eq!(err.code(), "YARDI_UNKNOWN_PROPERTY");
        let err = YardiError::from_message(op, "Invalid User Name or Password".into());
        assert_eq!(err, YardiError::Unauthorized { message: "Invalid User Name or Password".into() });
        assert!(matches!(ConnectorError::from(err), ConnectorError::Unauthorized(_)));
        let err = YardiError::from_message(op, "Database is being upgraded".into());
        assert_eq!(err.to_string(), "Yardi answered GetResidents with: Database is being upgraded");
        assert!(YardiError::means_empty("No tenants exist with the given search criteria"));
        assert!(!YardiError::means_empty("Invalid or no access to Yardi Property"));
    }

    #[test]
    fn faults_and_malformed_answers_keep_their_detail() {
        let err = YardiError::Fault {
            operation: Operation::GetResidents,
            code: Some("soap:Client".into()),
            message: "Server was unable to read request.".into(),
            http_status: Some(500),
        };
        assert_eq!(err.code(), "YARDI_SOAP_FAULT");
        assert_eq!(
            err.to_string(),
            "Yardi answered GetResidents with a SOAP fault (soap:Client): Server was unable to read request."
        );
        let connector = ConnectorError::from(err);
        assert!(matches!(connector, ConnectorError::Upstream { status: Some(500), .. }));
        let err = YardiError::malformed("Envelope/Body/Resident[2]/MoveInDate", "`13/45/2024` is not a date");
        assert_eq!(ConnectorError::from(err).code(), "PMS_MALFORMED_RESPONSE");
    }
}
