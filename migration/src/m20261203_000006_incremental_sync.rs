//! Incremental syncs: `sync_cursor` keeps, per integration and resource, the instant from which
//! the next incremental sync asks the PMS for changes (the last successful integration sync's
//! start, less a clock-skew margin); `sync_job.changed_since` records the instant an incremental
//! run asked from (null for a full run); `sandbox_step` keeps when each built-in sandbox world
//! reached each timeline step, so that every process stamps a step's changes with the same time
//! (the Buildium simulator's `lastupdatedfrom`).

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000001_initial::foreign_key;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum SyncCursor {
    Table,
    IntegrationId,
    Resource,
    CursorAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum SandboxStep {
    Table,
    World,
    Step,
    ReachedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum SyncJob {
    Table,
    ChangedSince,
}

#[derive(DeriveIden, Clone, Copy)]
enum Integration {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SyncCursor::Table)
                    .col(uuid(SyncCursor::IntegrationId))
                    .col(text(SyncCursor::Resource))
                    .col(timestamp_with_time_zone(SyncCursor::CursorAt))
                    .col(timestamp_with_time_zone(SyncCursor::UpdatedAt))
                    .primary_key(Index::create().col(SyncCursor::IntegrationId).col(SyncCursor::Resource))
                    .foreign_key(&mut foreign_key(
                        SyncCursor::Table,
                        SyncCursor::IntegrationId,
                        Integration::Table,
                        Integration::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SandboxStep::Table)
                    .col(text(SandboxStep::World))
                    .col(big_integer(SandboxStep::Step))
                    .col(timestamp_with_time_zone(SandboxStep::ReachedAt))
                    .primary_key(Index::create().col(SandboxStep::World).col(SandboxStep::Step))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(SyncJob::Table)
                    .add_column(timestamp_with_time_zone_null(SyncJob::ChangedSince))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(SyncJob::Table).drop_column(SyncJob::ChangedSince).to_owned()).await?;
        manager.drop_table(Table::drop().table(SandboxStep::Table).if_exists().to_owned()).await?;
        manager.drop_table(Table::drop().table(SyncCursor::Table).if_exists().to_owned()).await
    }
}
