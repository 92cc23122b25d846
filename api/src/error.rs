//! API errors: one `thiserror` enum with a stable code per variant (DESIGN.md, "GraphQL
//! conventions"), and the GraphQL error type resolvers return.
//!
//! Internal causes (database errors, bugs) are logged with a reference id and never reach the client:
//! the client sees "internal error" and the reference.

use std::sync::Arc;

use async_graphql::ErrorExtensions;

/// Every error the API reports, by stable code.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Unauthenticated(&'static str),
    #[error("{0}")]
    Forbidden(String),
    /// Also answered for objects of another app or environment: never reveal they exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    BadUserInput(String),
    #[error("{0}")]
    DataAccessIncomplete(String),
    #[error("rate limit exceeded; retry after {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("internal error")]
    Internal(Arc<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    /// The stable code clients branch on (`extensions.code`).
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthenticated(_) => "UNAUTHENTICATED",
            ApiError::Forbidden(_) => "FORBIDDEN",
            ApiError::NotFound(_) => "NOT_FOUND",
            ApiError::BadUserInput(_) => "BAD_USER_INPUT",
            ApiError::DataAccessIncomplete(_) => "DATA_ACCESS_INCOMPLETE",
            ApiError::RateLimited { .. } => "RATE_LIMITED",
            ApiError::Internal(_) => "INTERNAL",
        }
    }

    pub fn internal(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        ApiError::Internal(Arc::new(err))
    }

    pub fn bad_input(message: impl Into<String>) -> Self {
        ApiError::BadUserInput(message.into())
    }

    /// The GraphQL error for this one; an internal cause is logged here, under a reference id that
    /// the client also gets.
    pub fn to_graphql(&self) -> async_graphql::Error {
        match self {
            ApiError::Internal(cause) => {
                let reference = uuid::Uuid::new_v4().simple().to_string();
                tracing::error!(%reference, error = %cause, "internal error while answering a request");
                async_graphql::Error::new("internal error").extend_with(|_, ext| {
                    ext.set("code", "INTERNAL");
                    ext.set("reference", reference.as_str());
                })
            }
            ApiError::RateLimited { retry_after_secs } => {
                async_graphql::Error::new(self.to_string()).extend_with(|_, ext| {
                    ext.set("code", self.code());
                    ext.set("retryAfter", *retry_after_secs);
                })
            }
            _ => async_graphql::Error::new(self.to_string()).extend_with(|_, ext| ext.set("code", self.code())),
        }
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(err: sea_orm::DbErr) -> Self {
        ApiError::internal(err)
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(err: crate::store::StoreError) -> Self {
        match err {
            crate::store::StoreError::NotFound(what) => ApiError::NotFound(what),
            crate::store::StoreError::Invalid(message) => ApiError::BadUserInput(message),
            other => ApiError::internal(other),
        }
    }
}

/// What resolvers return in place of `async_graphql::Error`.
///
/// It deliberately does not implement `Display`: async-graphql converts any `Display` error into a
/// message without a code, which would both drop `extensions.code` and leak internal text. Every
/// conversion into this type goes through [`ApiError::to_graphql`].
#[derive(Debug, Clone)]
pub struct GqlError(async_graphql::Error);

pub type GqlResult<T> = Result<T, GqlError>;

impl From<ApiError> for GqlError {
    fn from(err: ApiError) -> Self {
        GqlError(err.to_graphql())
    }
}

impl From<sea_orm::DbErr> for GqlError {
    fn from(err: sea_orm::DbErr) -> Self {
        ApiError::from(err).into()
    }
}

impl From<crate::store::StoreError> for GqlError {
    fn from(err: crate::store::StoreError) -> Self {
        ApiError::from(err).into()
    }
}

impl From<GqlError> for async_graphql::Error {
    fn from(err: GqlError) -> Self {
        err.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_hide_their_cause() {
        let err = ApiError::internal(std::io::Error::other("password=hunter2 at db"));
        let gql = err.to_graphql();
        assert_eq!(gql.message, "internal error");
        let ext = format!("{:?}", gql.extensions);
        assert!(ext.contains("INTERNAL"), "{ext}");
        assert!(!ext.contains("hunter2"), "{ext}");
    }

    #[test]
    fn every_error_carries_its_code() {
        let gql = ApiError::NotFound("property").to_graphql();
        assert_eq!(gql.message, "property not found");
        assert!(format!("{:?}", gql.extensions).contains("NOT_FOUND"));
    }
}
