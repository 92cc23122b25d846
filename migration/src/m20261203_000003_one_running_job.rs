//! At most one running sync per integration: a partial unique index on `sync_job (integration_id)`
//! over RUNNING jobs. Workers skip integrations with a running job when they claim; this index
//! refuses the one race that check cannot see (two workers, in two processes, claiming two jobs of
//! one integration in the same instant), on SQLite and on PostgreSQL alike.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SyncJob {
    Table,
    IntegrationId,
    Status,
}

const INDEX: &str = "sync_job_one_running";

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
                    .and_where(Expr::col(SyncJob::Status).eq("RUNNING"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name(INDEX).table(SyncJob::Table).to_owned()).await
    }
}
