//! The service layer: every write to the database goes through here, so that each committed write
//! bumps the data generation the response cache keys on (DESIGN.md, "Cache").
//!
//! - [`access`]: apps' access overrides (early move-in, late move-out).
//! - [`access_checks`]: data-access checks as claimed jobs.
//! - [`apps`], [`customers`]: tenants and their integrations.
//! - [`ingest`]: stores normalized records for an integration, diffing by content hash, and logs
//!   each change; the sync engine and the end-to-end tests write synced data through it.
//! - [`events`]: the lifecycle event feed, with gap-free positions.
//! - [`integrations`]: integration status, the data-access matrix and the enable gate.
//! - [`jobs`]: the sync job queue and run records.
//! - [`sandbox`]: the built-in sandbox's timeline step.
//! - [`webhooks`]: apps' webhook endpoints, the delivery queue and the attempt log.

pub mod access;
pub mod access_checks;
pub mod apps;
pub mod cursors;
pub mod customers;
pub mod events;
pub mod ingest;
pub mod integrations;
pub mod jobs;
pub mod sandbox;
pub mod webhooks;

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use pmsgraph_entity::{app, integration};

/// Errors of the service layer, each with a stable code.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Invalid(String),
    #[error("database error: {0}")]
    Db(#[from] DbErr),
}

impl StoreError {
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::NotFound(_) => "NOT_FOUND",
            StoreError::Invalid(_) => "INVALID",
            StoreError::Db(_) => "DATABASE",
        }
    }
}

/// The current instant at the precision both databases keep (microseconds), so a value written and
/// read back compares equal.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Marks an integration's synced data as changed (call inside the writing transaction).
pub(crate) async fn bump_integration<C: ConnectionTrait>(db: &C, integration_id: Uuid) -> Result<(), DbErr> {
    integration::Entity::update_many()
        .col_expr(integration::Column::Generation, Expr::col(integration::Column::Generation).add(1))
        .filter(integration::Column::Id.eq(integration_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Marks an app's tenant structure (customers, integrations) as changed.
pub(crate) async fn bump_app<C: ConnectionTrait>(db: &C, app_id: Uuid) -> Result<(), DbErr> {
    app::Entity::update_many()
        .col_expr(app::Column::Generation, Expr::col(app::Column::Generation).add(1))
        .filter(app::Column::Id.eq(app_id))
        .exec(db)
        .await?;
    Ok(())
}
