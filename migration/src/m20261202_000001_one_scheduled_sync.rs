//! At most one pending scheduled sync per integration: a partial unique index on
//! `sync_job (integration_id)` over jobs with trigger SCHEDULE that are QUEUED or RUNNING.
//!
//! The scheduler of every process looks for due integrations; when two processes see the same one
//! due at once, the second insert fails on this index instead of queueing a duplicate sync, on
//! SQLite and on PostgreSQL alike (both support partial indexes).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SyncJob {
    Table,
    IntegrationId,
    Trigger,
    Status,
}

const INDEX: &str = "sync_job_one_pending_schedule";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(SyncJob::Table)
                    .col(SyncJob::IntegrationId)
                    .unique()
                    .and_where(Expr::col(SyncJob::Trigger).eq("SCHEDULE"))
                    .and_where(Expr::col(SyncJob::Status).is_in(["QUEUED", "RUNNING"]))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name(INDEX).table(SyncJob::Table).to_owned()).await
    }
}
