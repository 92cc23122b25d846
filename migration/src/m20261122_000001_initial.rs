//! The initial schema: control tables (`app`, `api_token`, `customer`, `integration`,
//! `sync_job`) and synced tables (`property`, `unit`, `unit_space`, `resident`, `lease`,
//! `lease_resident`), with their foreign keys and indexes.
//!
//! Column types are chosen through the sea-query builder so that one definition works on both
//! backends: ids are `uuid`, instants `timestamp with time zone`, calendar dates `date`,
//! wall-clock times `time`, JSON `jsonb`, bytes `bytea`/`blob`, enumerations `text`. (SQLite
//! gets the same declarations as type names with TEXT, INTEGER, REAL or BLOB affinity.)
//!
//! Every synced table starts with the same columns (see [`Synced`]), has a foreign key to its
//! integration (ON DELETE CASCADE), `UNIQUE (integration_id, remote_id)` and an index on
//! `(integration_id, updated_at)` for incremental reads.

use sea_orm_migration::{prelude::*, schema::*};

/// Creates the initial schema; `down` drops it all.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// Run in a transaction on SQLite too (PostgreSQL always does): a failed migration leaves
    /// nothing half-created.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_control_tables(manager).await?;
        create_synced_tables(manager).await?;
        create_change_log(manager).await?;
        create_sandbox_timeline(manager).await?;
        create_data_access(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Reverse creation order: every table is dropped before the tables it references.
        for table in [
            DataAccess::Table.into_iden(),
            SandboxTimeline::Table.into_iden(),
            ChangeLog::Table.into_iden(),
            LeaseResident::Table.into_iden(),
            Lease::Table.into_iden(),
            Resident::Table.into_iden(),
            UnitSpace::Table.into_iden(),
            Unit::Table.into_iden(),
            Property::Table.into_iden(),
            SyncJob::Table.into_iden(),
            Integration::Table.into_iden(),
            Customer::Table.into_iden(),
            ApiToken::Table.into_iden(),
            App::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum App {
    Table,
    Id,
    Name,
    Generation,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ApiToken {
    Table,
    Id,
    AppId,
    Environment,
    Label,
    Kid,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Customer {
    Table,
    Id,
    AppId,
    Name,
    Environment,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Integration {
    Table,
    Id,
    CustomerId,
    Pms,
    Status,
    StatusReason,
    Credentials,
    Settings,
    Generation,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum SyncJob {
    Table,
    Id,
    IntegrationId,
    Trigger,
    Scope,
    ScopeRemoteId,
    Status,
    QueuedAt,
    StartedAt,
    FinishedAt,
    CreatedCount,
    UpdatedCount,
    UnchangedCount,
    DeletedCount,
    Errors,
    ClaimedBy,
    LeaseExpiresAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ChangeLog {
    Table,
    Id,
    IntegrationId,
    SyncJobId,
    RecordKind,
    RecordId,
    RemoteId,
    Change,
    Fields,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum DataAccess {
    Table,
    IntegrationId,
    Resource,
    Status,
    Message,
    CheckedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum SandboxTimeline {
    Table,
    Name,
    Step,
    UpdatedAt,
}

/// The columns every synced table starts with.
#[derive(DeriveIden, Clone, Copy)]
enum Synced {
    Id,
    IntegrationId,
    RemoteId,
    RemoteData,
    ContentHash,
    CreatedAt,
    UpdatedAt,
    RemoteDeletedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Property {
    Table,
    Name,
    AddressLine1,
    AddressLine2,
    City,
    State,
    PostalCode,
    Country,
    TimeZone,
    TimeZoneOverride,
    AccessStartTime,
    AccessEndTime,
    UnitCount,
}

#[derive(DeriveIden, Clone, Copy)]
enum Unit {
    Table,
    PropertyId,
    Number,
    Building,
    Floorplan,
    Bedrooms,
    Bathrooms,
    SquareFeet,
    MarketRentCents,
    Occupancy,
}

#[derive(DeriveIden, Clone, Copy)]
enum UnitSpace {
    Table,
    UnitId,
    Name,
}

#[derive(DeriveIden, Clone, Copy)]
enum Resident {
    Table,
    FirstName,
    LastName,
    Email,
    Phone,
}

#[derive(DeriveIden, Clone, Copy)]
enum Lease {
    Table,
    PropertyId,
    UnitId,
    UnitSpaceId,
    Status,
    RemoteStatus,
    StartDate,
    EndDate,
    MoveInDate,
    MoveOutDate,
    NoticeDate,
    RentCents,
    IsMonthToMonth,
}

#[derive(DeriveIden, Clone, Copy)]
enum LeaseResident {
    Table,
    LeaseId,
    ResidentId,
    Role,
    MoveInDate,
    MoveOutDate,
    Status,
}

/// `fk_{table}_{column}`: `table.column` references `to_table.to_column`.
pub(crate) fn foreign_key(
    table: impl IntoIden,
    column: impl IntoIden,
    to_table: impl IntoIden,
    to_column: impl IntoIden,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    let (table, column) = (table.into_iden(), column.into_iden());
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table, column)
        .to(to_table, to_column)
        .on_delete(on_delete)
        .on_update(ForeignKeyAction::NoAction)
        .to_owned()
}

/// Creates the index `idx_{table}_{columns}` (`uq_...` when unique).
pub(crate) async fn create_index(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    columns: &[DynIden],
    unique: bool,
) -> Result<(), DbErr> {
    let table = table.into_iden();
    let names: Vec<String> = columns.iter().map(ToString::to_string).collect();
    let prefix = if unique { "uq" } else { "idx" };
    let mut index = Index::create();
    index.name(format!("{prefix}_{table}_{}", names.join("_"))).table(table);
    for column in columns {
        index.col(column.clone());
    }
    if unique {
        index.unique();
    }
    manager.create_index(index).await
}

async fn create_control_tables(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(App::Table)
                .col(pk_uuid(App::Id))
                .col(text(App::Name))
                .col(big_integer(App::Generation))
                .col(timestamp_with_time_zone(App::CreatedAt))
                .to_owned(),
        )
        .await?;
    create_index(manager, App::Table, &[App::Name.into_iden()], true).await?;

    manager
        .create_table(
            Table::create()
                .table(ApiToken::Table)
                .col(pk_uuid(ApiToken::Id))
                .col(uuid(ApiToken::AppId))
                .col(text(ApiToken::Environment))
                .col(text_null(ApiToken::Label))
                .col(text(ApiToken::Kid))
                .col(timestamp_with_time_zone(ApiToken::CreatedAt))
                .col(timestamp_with_time_zone(ApiToken::ExpiresAt))
                .col(timestamp_with_time_zone_null(ApiToken::RevokedAt))
                .foreign_key(&mut foreign_key(
                    ApiToken::Table,
                    ApiToken::AppId,
                    App::Table,
                    App::Id,
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
    create_index(manager, ApiToken::Table, &[ApiToken::AppId.into_iden()], false).await?;

    manager
        .create_table(
            Table::create()
                .table(Customer::Table)
                .col(pk_uuid(Customer::Id))
                .col(uuid(Customer::AppId))
                .col(text(Customer::Name))
                .col(text(Customer::Environment))
                .col(timestamp_with_time_zone(Customer::CreatedAt))
                .col(timestamp_with_time_zone(Customer::UpdatedAt))
                .foreign_key(&mut foreign_key(
                    Customer::Table,
                    Customer::AppId,
                    App::Table,
                    App::Id,
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
    create_index(manager, Customer::Table, &[Customer::AppId.into_iden(), Customer::Environment.into_iden()], false)
        .await?;

    manager
        .create_table(
            Table::create()
                .table(Integration::Table)
                .col(pk_uuid(Integration::Id))
                .col(uuid(Integration::CustomerId))
                .col(text(Integration::Pms))
                .col(text(Integration::Status))
                .col(text_null(Integration::StatusReason))
                .col(blob_null(Integration::Credentials))
                .col(json_binary(Integration::Settings))
                .col(big_integer(Integration::Generation))
                .col(timestamp_with_time_zone(Integration::CreatedAt))
                .col(timestamp_with_time_zone(Integration::UpdatedAt))
                .foreign_key(&mut foreign_key(
                    Integration::Table,
                    Integration::CustomerId,
                    Customer::Table,
                    Customer::Id,
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
    create_index(manager, Integration::Table, &[Integration::CustomerId.into_iden()], false).await?;

    manager
        .create_table(
            Table::create()
                .table(SyncJob::Table)
                .col(pk_uuid(SyncJob::Id))
                .col(uuid(SyncJob::IntegrationId))
                .col(text(SyncJob::Trigger))
                .col(text(SyncJob::Scope))
                .col(text_null(SyncJob::ScopeRemoteId))
                .col(text(SyncJob::Status))
                .col(timestamp_with_time_zone(SyncJob::QueuedAt))
                .col(timestamp_with_time_zone_null(SyncJob::StartedAt))
                .col(timestamp_with_time_zone_null(SyncJob::FinishedAt))
                .col(big_integer(SyncJob::CreatedCount))
                .col(big_integer(SyncJob::UpdatedCount))
                .col(big_integer(SyncJob::UnchangedCount))
                .col(big_integer(SyncJob::DeletedCount))
                .col(json_binary(SyncJob::Errors))
                .col(text_null(SyncJob::ClaimedBy))
                .col(timestamp_with_time_zone_null(SyncJob::LeaseExpiresAt))
                .foreign_key(&mut foreign_key(
                    SyncJob::Table,
                    SyncJob::IntegrationId,
                    Integration::Table,
                    Integration::Id,
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
    create_index(manager, SyncJob::Table, &[SyncJob::IntegrationId.into_iden(), SyncJob::QueuedAt.into_iden()], false)
        .await?;
    create_index(manager, SyncJob::Table, &[SyncJob::Status.into_iden()], false).await
}

/// A synced table's `CREATE TABLE` with the common columns and the foreign key to its
/// integration; the caller adds the table's own columns and foreign keys.
fn synced_table(table: impl IntoIden) -> TableCreateStatement {
    let table = table.into_iden();
    Table::create()
        .table(table.clone())
        .col(pk_uuid(Synced::Id))
        .col(uuid(Synced::IntegrationId))
        .col(text(Synced::RemoteId))
        .col(json_binary(Synced::RemoteData))
        .col(text(Synced::ContentHash))
        .col(timestamp_with_time_zone(Synced::CreatedAt))
        .col(timestamp_with_time_zone(Synced::UpdatedAt))
        .col(timestamp_with_time_zone_null(Synced::RemoteDeletedAt))
        .foreign_key(&mut foreign_key(
            table,
            Synced::IntegrationId,
            Integration::Table,
            Integration::Id,
            ForeignKeyAction::Cascade,
        ))
        .to_owned()
}

/// Creates a synced table and its common indexes, then the table's own `indexes`
/// (non-unique).
async fn create_synced_table(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    create: TableCreateStatement,
    indexes: &[&[DynIden]],
) -> Result<(), DbErr> {
    let table = table.into_iden();
    manager.create_table(create).await?;
    let integration_id = Synced::IntegrationId.into_iden();
    create_index(manager, table.clone(), &[integration_id.clone(), Synced::RemoteId.into_iden()], true).await?;
    create_index(manager, table.clone(), &[integration_id, Synced::UpdatedAt.into_iden()], false).await?;
    for columns in indexes {
        create_index(manager, table.clone(), columns, false).await?;
    }
    Ok(())
}

async fn create_synced_tables(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let integration_id = || Synced::IntegrationId.into_iden();

    create_synced_table(
        manager,
        Property::Table,
        synced_table(Property::Table)
            .col(text(Property::Name))
            .col(text_null(Property::AddressLine1))
            .col(text_null(Property::AddressLine2))
            .col(text_null(Property::City))
            .col(text_null(Property::State))
            .col(text_null(Property::PostalCode))
            .col(text_null(Property::Country))
            .col(text_null(Property::TimeZone))
            .col(text_null(Property::TimeZoneOverride))
            .col(time_null(Property::AccessStartTime))
            .col(time_null(Property::AccessEndTime))
            .col(integer_null(Property::UnitCount))
            .to_owned(),
        &[],
    )
    .await?;

    create_synced_table(
        manager,
        Unit::Table,
        synced_table(Unit::Table)
            .col(uuid(Unit::PropertyId))
            .col(text(Unit::Number))
            .col(text_null(Unit::Building))
            .col(text_null(Unit::Floorplan))
            .col(integer_null(Unit::Bedrooms))
            .col(double_null(Unit::Bathrooms))
            .col(integer_null(Unit::SquareFeet))
            .col(big_integer_null(Unit::MarketRentCents))
            .col(text(Unit::Occupancy))
            .foreign_key(&mut foreign_key(
                Unit::Table,
                Unit::PropertyId,
                Property::Table,
                Synced::Id,
                ForeignKeyAction::Cascade,
            ))
            .to_owned(),
        &[&[Unit::PropertyId.into_iden()], &[integration_id(), Unit::Number.into_iden()]],
    )
    .await?;

    create_synced_table(
        manager,
        UnitSpace::Table,
        synced_table(UnitSpace::Table)
            .col(uuid(UnitSpace::UnitId))
            .col(text(UnitSpace::Name))
            .foreign_key(&mut foreign_key(
                UnitSpace::Table,
                UnitSpace::UnitId,
                Unit::Table,
                Synced::Id,
                ForeignKeyAction::Cascade,
            ))
            .to_owned(),
        &[&[UnitSpace::UnitId.into_iden()]],
    )
    .await?;

    create_synced_table(
        manager,
        Resident::Table,
        synced_table(Resident::Table)
            .col(text(Resident::FirstName))
            .col(text(Resident::LastName))
            .col(text_null(Resident::Email))
            .col(text_null(Resident::Phone))
            .to_owned(),
        &[&[integration_id(), Resident::Email.into_iden()], &[integration_id(), Resident::LastName.into_iden()]],
    )
    .await?;

    create_synced_table(
        manager,
        Lease::Table,
        synced_table(Lease::Table)
            .col(uuid(Lease::PropertyId))
            .col(uuid_null(Lease::UnitId))
            .col(uuid_null(Lease::UnitSpaceId))
            .col(text(Lease::Status))
            .col(text_null(Lease::RemoteStatus))
            .col(date_null(Lease::StartDate))
            .col(date_null(Lease::EndDate))
            .col(date_null(Lease::MoveInDate))
            .col(date_null(Lease::MoveOutDate))
            .col(date_null(Lease::NoticeDate))
            .col(big_integer_null(Lease::RentCents))
            .col(boolean(Lease::IsMonthToMonth))
            .foreign_key(&mut foreign_key(
                Lease::Table,
                Lease::PropertyId,
                Property::Table,
                Synced::Id,
                ForeignKeyAction::Cascade,
            ))
            .foreign_key(&mut foreign_key(
                Lease::Table,
                Lease::UnitId,
                Unit::Table,
                Synced::Id,
                ForeignKeyAction::SetNull,
            ))
            .foreign_key(&mut foreign_key(
                Lease::Table,
                Lease::UnitSpaceId,
                UnitSpace::Table,
                Synced::Id,
                ForeignKeyAction::SetNull,
            ))
            .to_owned(),
        &[
            &[Lease::PropertyId.into_iden()],
            &[Lease::UnitId.into_iden()],
            &[integration_id(), Lease::Status.into_iden()],
            &[integration_id(), Lease::MoveInDate.into_iden()],
        ],
    )
    .await?;

    create_synced_table(
        manager,
        LeaseResident::Table,
        synced_table(LeaseResident::Table)
            .col(uuid(LeaseResident::LeaseId))
            .col(uuid(LeaseResident::ResidentId))
            .col(text(LeaseResident::Role))
            .col(date_null(LeaseResident::MoveInDate))
            .col(date_null(LeaseResident::MoveOutDate))
            .col(text(LeaseResident::Status))
            .foreign_key(&mut foreign_key(
                LeaseResident::Table,
                LeaseResident::LeaseId,
                Lease::Table,
                Synced::Id,
                ForeignKeyAction::Cascade,
            ))
            .foreign_key(&mut foreign_key(
                LeaseResident::Table,
                LeaseResident::ResidentId,
                Resident::Table,
                Synced::Id,
                ForeignKeyAction::Cascade,
            ))
            .to_owned(),
        &[&[LeaseResident::LeaseId.into_iden()], &[LeaseResident::ResidentId.into_iden()]],
    )
    .await
}

/// `change_log`: every change a sync wrote (created, updated with old and new field values,
/// remote-deleted), in commit order per integration; lifecycle events derive from it.
async fn create_change_log(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(ChangeLog::Table)
                .col(pk_uuid(ChangeLog::Id))
                .col(uuid(ChangeLog::IntegrationId))
                .col(uuid_null(ChangeLog::SyncJobId))
                .col(text(ChangeLog::RecordKind))
                .col(uuid(ChangeLog::RecordId))
                .col(text(ChangeLog::RemoteId))
                .col(text(ChangeLog::Change))
                .col(json_binary(ChangeLog::Fields))
                .col(timestamp_with_time_zone(ChangeLog::CreatedAt))
                .foreign_key(&mut foreign_key(
                    ChangeLog::Table,
                    ChangeLog::IntegrationId,
                    Integration::Table,
                    Integration::Id,
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut foreign_key(
                    ChangeLog::Table,
                    ChangeLog::SyncJobId,
                    SyncJob::Table,
                    SyncJob::Id,
                    ForeignKeyAction::SetNull,
                ))
                .to_owned(),
        )
        .await?;
    create_index(manager, ChangeLog::Table, &[ChangeLog::IntegrationId.into_iden(), ChangeLog::Id.into_iden()], false)
        .await?;
    create_index(manager, ChangeLog::Table, &[ChangeLog::SyncJobId.into_iden()], false).await
}

/// `sandbox_timeline`: the timeline step of each built-in sandbox world, so that a restart or
/// another process serves exactly the same sandbox data.
async fn create_sandbox_timeline(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(SandboxTimeline::Table)
                .col(text(SandboxTimeline::Name).primary_key())
                .col(big_integer(SandboxTimeline::Step))
                .col(timestamp_with_time_zone(SandboxTimeline::UpdatedAt))
                .to_owned(),
        )
        .await?;
    Ok(())
}

/// `data_access`: the last data-access check of each resource of an integration.
async fn create_data_access(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(DataAccess::Table)
                .col(uuid(DataAccess::IntegrationId))
                .col(text(DataAccess::Resource))
                .col(text(DataAccess::Status))
                .col(text_null(DataAccess::Message))
                .col(timestamp_with_time_zone_null(DataAccess::CheckedAt))
                .primary_key(Index::create().col(DataAccess::IntegrationId).col(DataAccess::Resource))
                .foreign_key(&mut foreign_key(
                    DataAccess::Table,
                    DataAccess::IntegrationId,
                    Integration::Table,
                    Integration::Id,
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
    Ok(())
}
