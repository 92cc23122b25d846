//! Data-access checks as claimed jobs: `access_check` rows, QUEUED when a check is asked for,
//! claimed by a worker with a lease (RUNNING, `claimed_by`, `lease_expires_at`) like sync jobs, and
//! DONE once every resource's answer is recorded. A check whose worker died is claimed again when
//! its lease lapses, and an API-only process leaves its checks to the worker processes.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000001_initial::{create_index, foreign_key};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum AccessCheck {
    Table,
    Id,
    IntegrationId,
    Status,
    ClaimedBy,
    LeaseExpiresAt,
    QueuedAt,
    StartedAt,
    FinishedAt,
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
                    .table(AccessCheck::Table)
                    .col(pk_uuid(AccessCheck::Id))
                    .col(uuid(AccessCheck::IntegrationId))
                    .col(text(AccessCheck::Status))
                    .col(text_null(AccessCheck::ClaimedBy))
                    .col(timestamp_with_time_zone_null(AccessCheck::LeaseExpiresAt))
                    .col(timestamp_with_time_zone(AccessCheck::QueuedAt))
                    .col(timestamp_with_time_zone_null(AccessCheck::StartedAt))
                    .col(timestamp_with_time_zone_null(AccessCheck::FinishedAt))
                    .foreign_key(&mut foreign_key(
                        AccessCheck::Table,
                        AccessCheck::IntegrationId,
                        Integration::Table,
                        Integration::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            AccessCheck::Table,
            &[AccessCheck::Status.into_iden(), AccessCheck::QueuedAt.into_iden()],
            false,
        )
        .await?;
        create_index(manager, AccessCheck::Table, &[AccessCheck::IntegrationId.into_iden()], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(AccessCheck::Table).if_exists().to_owned()).await
    }
}
