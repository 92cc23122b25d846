//! Incremental-sync cursors (`sync_cursor`): per integration and resource, the instant from which
//! the next incremental sync asks the PMS for changes. Written after a successful integration
//! sync, full or incremental: the run's start less [`SKEW_MARGIN`], so that a record the PMS stamps
//! a little before our clock says the run began is still asked for again.

use chrono::{DateTime, Duration, Utc};
use pmsgraph_connector_core::{Resource, SyncScope};
use pmsgraph_entity::{sync_cursor, sync_job};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

use super::{StoreError, now};
use crate::db::Db;

/// How far before a run's start its cursor is put: clock skew between us and the PMS.
pub const SKEW_MARGIN: Duration = Duration::minutes(5);

/// The instant the next incremental sync asks from: the earliest of the resources' cursors, or
/// `None` when any resource has none.
pub async fn cursor(db: &Db, integration_id: Uuid) -> Result<Option<DateTime<Utc>>, StoreError> {
    let rows =
        sync_cursor::Entity::find().filter(sync_cursor::Column::IntegrationId.eq(integration_id)).all(&db.read).await?;
    if Resource::ALL.iter().any(|r| !rows.iter().any(|row| row.resource == r.as_str())) {
        return Ok(None);
    }
    Ok(rows.iter().map(|r| r.cursor_at).min())
}

/// Records the cursor of every resource after a successful integration sync begun at `started`.
pub async fn record(db: &Db, integration_id: Uuid, started: DateTime<Utc>) -> Result<(), StoreError> {
    let at = started - SKEW_MARGIN;
    let rows = Resource::ALL.iter().map(|r| sync_cursor::ActiveModel {
        integration_id: Set(integration_id),
        resource: Set(r.as_str().to_owned()),
        cursor_at: Set(at),
        updated_at: Set(now()),
    });
    sync_cursor::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([sync_cursor::Column::IntegrationId, sync_cursor::Column::Resource])
                .update_columns([sync_cursor::Column::CursorAt, sync_cursor::Column::UpdatedAt])
                .to_owned(),
        )
        .exec_without_returning(&db.write)
        .await?;
    Ok(())
}

/// When the last successful full (not incremental) integration sync started.
pub async fn last_full_sync(db: &Db, integration_id: Uuid) -> Result<Option<DateTime<Utc>>, StoreError> {
    let started: Option<Option<DateTime<Utc>>> = sync_job::Entity::find()
        .select_only()
        .column(sync_job::Column::StartedAt)
        .filter(sync_job::Column::IntegrationId.eq(integration_id))
        .filter(sync_job::Column::Scope.eq(SyncScope::Integration.kind()))
        .filter(sync_job::Column::Status.eq(super::jobs::SUCCESS))
        .filter(sync_job::Column::ChangedSince.is_null())
        .order_by_desc(sync_job::Column::StartedAt)
        .into_tuple()
        .one(&db.read)
        .await?;
    Ok(started.flatten())
}
