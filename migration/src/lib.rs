//! SeaORM migrations of the pmsgraph schema.
//!
//! The schema is built with the sea-query builder, so the same migrations create it on SQLite and
//! on PostgreSQL; the one exception, which sea-query cannot express, is the deferral of the synced
//! tables' foreign keys (`m20261204_000001`), written per backend. Run them with [`Migrator`]:
//!
//! ```no_run
//! # async fn run(db: &sea_orm_migration::sea_orm::DatabaseConnection) -> Result<(), sea_orm_migration::DbErr> {
//! use pmsgraph_migration::{Migrator, MigratorTrait};
//! Migrator::up(db, None).await
//! # }
//! ```
//!
//! The entities mirroring these tables are in the `pmsgraph-entity` crate.

pub use sea_orm_migration::prelude::*;

pub mod m20261122_000001_initial;
pub mod m20261202_000001_one_scheduled_sync;
pub mod m20261203_000001_lifecycle;
pub mod m20261203_000002_webhooks;
pub mod m20261203_000003_one_running_job;
pub mod m20261203_000004_access_checks;
pub mod m20261203_000005_tenant_keyset_indexes;
pub mod m20261203_000006_incremental_sync;
pub mod m20261203_000010_parent_keyset_indexes;
pub mod m20261204_000001_deferred_synced_foreign_keys;
pub mod m20261207_000001_live_lease_status_index;

/// The pmsgraph migrator: every migration, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_initial::Migration),
            Box::new(m20261202_000001_one_scheduled_sync::Migration),
            Box::new(m20261203_000001_lifecycle::Migration),
            Box::new(m20261203_000002_webhooks::Migration),
            Box::new(m20261203_000003_one_running_job::Migration),
            Box::new(m20261203_000004_access_checks::Migration),
            Box::new(m20261203_000005_tenant_keyset_indexes::Migration),
            Box::new(m20261203_000006_incremental_sync::Migration),
            Box::new(m20261203_000010_parent_keyset_indexes::Migration),
            Box::new(m20261204_000001_deferred_synced_foreign_keys::Migration),
            Box::new(m20261207_000001_live_lease_status_index::Migration),
        ]
    }
}
