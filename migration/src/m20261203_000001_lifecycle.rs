//! Lifecycle events and access overrides (DESIGN.md, "Access-control semantics").
//!
//! - `event`: the change feed. Each row is one lifecycle event derived from the change log of a
//!   finished sync job. `position` is the feed's order: handed out in commit order (the writer
//!   holds a lock until its transaction commits, see `api/src/store/events.rs`), so a reader that
//!   has seen position N never later finds an event below N. Events name the rows they concern by
//!   id without foreign keys: synced rows are only ever soft-deleted, and an integration's deletion
//!   cascades here.
//! - `access_override`: an app's early move-in or late move-out for one lease resident, kept by
//!   pmsgraph (never written by a sync), so it survives every sync until it is cleared.
//! - an index on `change_log (record_id)`: when a lease resident was first seen PAST is read there.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000001_initial::{create_index, foreign_key};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
#[allow(clippy::enum_variant_names)] // `EventType` is the column's name.
enum Event {
    Table,
    Id,
    Position,
    IntegrationId,
    CustomerId,
    SyncJobId,
    EventType,
    OccurredAt,
    PropertyId,
    UnitId,
    LeaseId,
    ResidentId,
    LeaseResidentId,
    Data,
}

#[derive(DeriveIden, Clone, Copy)]
enum AccessOverride {
    Table,
    Id,
    IntegrationId,
    LeaseResidentId,
    StartsAt,
    EndsAt,
    Note,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Integration {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Customer {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum SyncJob {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum ChangeLog {
    Table,
    RecordId,
}

#[derive(DeriveIden, Clone, Copy)]
enum LeaseResident {
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
                    .table(Event::Table)
                    .col(pk_uuid(Event::Id))
                    .col(big_integer(Event::Position))
                    .col(uuid(Event::IntegrationId))
                    .col(uuid(Event::CustomerId))
                    .col(uuid_null(Event::SyncJobId))
                    .col(text(Event::EventType))
                    .col(timestamp_with_time_zone(Event::OccurredAt))
                    .col(uuid_null(Event::PropertyId))
                    .col(uuid_null(Event::UnitId))
                    .col(uuid_null(Event::LeaseId))
                    .col(uuid_null(Event::ResidentId))
                    .col(uuid_null(Event::LeaseResidentId))
                    .col(json_binary(Event::Data))
                    .foreign_key(&mut foreign_key(
                        Event::Table,
                        Event::IntegrationId,
                        Integration::Table,
                        Integration::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        Event::Table,
                        Event::CustomerId,
                        Customer::Table,
                        Customer::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        Event::Table,
                        Event::SyncJobId,
                        SyncJob::Table,
                        SyncJob::Id,
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        let (position, customer, integration) =
            (Event::Position.into_iden(), Event::CustomerId.into_iden(), Event::IntegrationId.into_iden());
        create_index(manager, Event::Table, std::slice::from_ref(&position), true).await?;
        create_index(manager, Event::Table, &[customer, position.clone()], false).await?;
        create_index(manager, Event::Table, &[integration, position], false).await?;
        create_index(manager, Event::Table, &[Event::LeaseResidentId.into_iden()], false).await?;

        manager
            .create_table(
                Table::create()
                    .table(AccessOverride::Table)
                    .col(pk_uuid(AccessOverride::Id))
                    .col(uuid(AccessOverride::IntegrationId))
                    .col(uuid(AccessOverride::LeaseResidentId))
                    .col(timestamp_with_time_zone_null(AccessOverride::StartsAt))
                    .col(timestamp_with_time_zone_null(AccessOverride::EndsAt))
                    .col(text_null(AccessOverride::Note))
                    .col(timestamp_with_time_zone(AccessOverride::CreatedAt))
                    .col(timestamp_with_time_zone(AccessOverride::UpdatedAt))
                    .foreign_key(&mut foreign_key(
                        AccessOverride::Table,
                        AccessOverride::IntegrationId,
                        Integration::Table,
                        Integration::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        AccessOverride::Table,
                        AccessOverride::LeaseResidentId,
                        LeaseResident::Table,
                        LeaseResident::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(manager, AccessOverride::Table, &[AccessOverride::LeaseResidentId.into_iden()], true).await?;
        // Access windows read when a lease resident was first seen PAST from its change log rows.
        create_index(manager, ChangeLog::Table, &[ChangeLog::RecordId.into_iden()], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("idx_change_log_record_id").table(ChangeLog::Table).to_owned()).await?;
        for table in [AccessOverride::Table.into_iden(), Event::Table.into_iden()] {
            manager.drop_table(Table::drop().table(table).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
