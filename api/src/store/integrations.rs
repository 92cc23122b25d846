//! Integration state: credentials, the data-access matrix, and the enable gate (DESIGN.md,
//! "Customers, integrations, syncs").
//!
//! A new integration is DISABLED. A data-access check marks each resource PENDING, then GRANTED,
//! DENIED or ERROR with the PMS's message. Enabling is refused, naming each resource that is not
//! GRANTED and why, until all four are; a paused integration (access newly denied, repeated
//! failures) is enabled the same way. Every state change bumps the owning app's generation.
//!
//! An integration's `settings` (JSON) hold what its owner may change through `updateIntegration`
//! beside whatever its connector reads: the sync interval ([`SYNC_INTERVAL_SECS`]) and the access
//! times of its properties ([`ACCESS_START_TIME`], [`ACCESS_END_TIME`], property-local `HH:MM`).

use chrono::NaiveTime;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, ModelTrait, QueryFilter, Set, TransactionTrait};
use uuid::Uuid;

use pmsgraph_connector_core::{Resource, SyncScope};
use pmsgraph_entity::{customer, data_access, integration, sync_job};

use super::{StoreError, bump_app, jobs, now};
use crate::db::Db;

pub const DISABLED: &str = "DISABLED";
pub const ENABLED: &str = "ENABLED";
pub const PAUSED: &str = "PAUSED";

pub const PENDING: &str = "PENDING";
pub const GRANTED: &str = "GRANTED";
pub const DENIED: &str = "DENIED";
pub const ERROR: &str = "ERROR";

/// Settings key: seconds between scheduled syncs.
pub const SYNC_INTERVAL_SECS: &str = "sync_interval_secs";
/// Settings key: the local time access starts on a move-in date (DESIGN.md default 10:00).
pub const ACCESS_START_TIME: &str = "access_start_time";
/// Settings key: the local time access ends on a move-out date (DESIGN.md default 16:00).
pub const ACCESS_END_TIME: &str = "access_end_time";

pub const DEFAULT_ACCESS_START: NaiveTime = NaiveTime::from_hms_opt(10, 0, 0).expect("valid time");
pub const DEFAULT_ACCESS_END: NaiveTime = NaiveTime::from_hms_opt(16, 0, 0).expect("valid time");

/// The sync interval an integration's settings name, if any.
pub fn sync_interval(settings: &serde_json::Value) -> Option<std::time::Duration> {
    settings.get(SYNC_INTERVAL_SECS).and_then(serde_json::Value::as_u64).map(std::time::Duration::from_secs)
}

/// The access start and end times of an integration's properties (defaults 10:00 and 16:00).
pub fn access_times(settings: &serde_json::Value) -> (NaiveTime, NaiveTime) {
    let time = |key: &str| {
        settings.get(key).and_then(serde_json::Value::as_str).and_then(|t| NaiveTime::parse_from_str(t, "%H:%M").ok())
    };
    (time(ACCESS_START_TIME).unwrap_or(DEFAULT_ACCESS_START), time(ACCESS_END_TIME).unwrap_or(DEFAULT_ACCESS_END))
}

/// The stored name of a resource (`data_access.resource`).
pub fn resource_name(resource: Resource) -> &'static str {
    match resource {
        Resource::Properties => "PROPERTIES",
        Resource::Units => "UNITS",
        Resource::Leases => "LEASES",
        Resource::Residents => "RESIDENTS",
    }
}

pub async fn get(db: &Db, integration_id: Uuid) -> Result<integration::Model, StoreError> {
    integration::Entity::find_by_id(integration_id).one(&db.read).await?.ok_or(StoreError::NotFound("integration"))
}

/// An integration and the id of the app that owns it (whose generation its changes bump).
async fn with_app(db: &Db, integration_id: Uuid) -> Result<(integration::Model, Uuid), StoreError> {
    let row = integration::Entity::find_by_id(integration_id)
        .one(&db.write)
        .await?
        .ok_or(StoreError::NotFound("integration"))?;
    let owner = row.find_related(customer::Entity).one(&db.write).await?.ok_or(StoreError::NotFound("customer"))?;
    Ok((row, owner.app_id))
}

/// Sets the status (and reason) of an integration.
pub async fn set_status(
    db: &Db,
    integration_id: Uuid,
    status: &str,
    reason: Option<String>,
) -> Result<integration::Model, StoreError> {
    let (row, app_id) = with_app(db, integration_id).await?;
    let txn = db.write.begin().await?;
    let row = status_in(&txn, row, app_id, status, reason).await?;
    txn.commit().await?;
    Ok(row)
}

/// Enables an integration and queues its first full sync (trigger ENABLE) in one transaction, so
/// no scheduler sees it ENABLED with no run pending and queues a second one.
pub async fn enable_with_first_sync(
    db: &Db,
    integration_id: Uuid,
) -> Result<(integration::Model, sync_job::Model), StoreError> {
    let (row, app_id) = with_app(db, integration_id).await?;
    let txn = db.write.begin().await?;
    let job = jobs::insert_job(&txn, integration_id, jobs::Trigger::Enable, &SyncScope::Integration).await?;
    let row = status_in(&txn, row, app_id, ENABLED, None).await?;
    txn.commit().await?;
    Ok((row, job))
}

async fn status_in(
    txn: &sea_orm::DatabaseTransaction,
    row: integration::Model,
    app_id: Uuid,
    status: &str,
    reason: Option<String>,
) -> Result<integration::Model, StoreError> {
    let mut active: integration::ActiveModel = row.into();
    active.status = Set(status.to_owned());
    active.status_reason = Set(reason);
    active.updated_at = Set(now());
    let row = active.update(txn).await?;
    bump_app(txn, app_id).await?;
    Ok(row)
}

/// Sets keys of an integration's settings (other keys are kept).
pub async fn update_settings(
    db: &Db,
    integration_id: Uuid,
    changes: serde_json::Map<String, serde_json::Value>,
) -> Result<integration::Model, StoreError> {
    let (row, app_id) = with_app(db, integration_id).await?;
    let mut settings = match row.settings.clone() {
        serde_json::Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    settings.extend(changes);
    let txn = db.write.begin().await?;
    let mut active: integration::ActiveModel = row.into();
    active.settings = Set(serde_json::Value::Object(settings));
    active.updated_at = Set(now());
    let row = active.update(&txn).await?;
    bump_app(&txn, app_id).await?;
    txn.commit().await?;
    Ok(row)
}

/// Forgets the data-access matrix (new credentials: every resource must be checked again).
pub async fn reset_access(db: &Db, integration_id: Uuid) -> Result<(), StoreError> {
    data_access::Entity::delete_many()
        .filter(data_access::Column::IntegrationId.eq(integration_id))
        .exec(&db.write)
        .await?;
    Ok(())
}

/// Every integration with this status.
pub async fn with_status(db: &Db, status: &str) -> Result<Vec<integration::Model>, StoreError> {
    Ok(integration::Entity::find().filter(integration::Column::Status.eq(status)).all(&db.read).await?)
}

/// Marks every resource PENDING: a check has started.
pub async fn mark_access_pending(db: &Db, integration_id: Uuid) -> Result<(), StoreError> {
    for resource in Resource::ALL {
        record_access(db, integration_id, resource, PENDING, None).await?;
    }
    Ok(())
}

/// Records the outcome of checking one resource.
pub async fn record_access(
    db: &Db,
    integration_id: Uuid,
    resource: Resource,
    status: &str,
    message: Option<String>,
) -> Result<(), StoreError> {
    let checked_at = (status != PENDING).then(now);
    let row = data_access::ActiveModel {
        integration_id: Set(integration_id),
        resource: Set(resource_name(resource).to_owned()),
        status: Set(status.to_owned()),
        message: Set(message),
        checked_at: Set(checked_at),
    };
    data_access::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([data_access::Column::IntegrationId, data_access::Column::Resource])
                .update_columns([
                    data_access::Column::Status,
                    data_access::Column::Message,
                    data_access::Column::CheckedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(&db.write)
        .await?;
    Ok(())
}

/// The access matrix of an integration, in resource order (resources never checked are absent).
pub async fn access(db: &Db, integration_id: Uuid) -> Result<Vec<data_access::Model>, StoreError> {
    let mut rows =
        data_access::Entity::find().filter(data_access::Column::IntegrationId.eq(integration_id)).all(&db.read).await?;
    let order = |name: &str| Resource::ALL.iter().position(|r| resource_name(*r) == name).unwrap_or(usize::MAX);
    rows.sort_by_key(|row| order(&row.resource));
    Ok(rows)
}

/// What keeps an integration from being enabled: one line per resource not GRANTED.
pub async fn missing_access(db: &Db, integration_id: Uuid) -> Result<Vec<String>, StoreError> {
    let rows = access(db, integration_id).await?;
    let mut missing = Vec::new();
    for resource in Resource::ALL {
        let name = resource_name(resource);
        match rows.iter().find(|r| r.resource == name) {
            Some(row) if row.status == GRANTED => {}
            Some(row) if row.status == PENDING => missing.push(format!("{resource}: the check is still running")),
            Some(row) => missing.push(format!(
                "{resource}: {} ({})",
                row.status,
                row.message.as_deref().unwrap_or("no message from the PMS")
            )),
            None => missing.push(format!("{resource}: not checked yet (run checkDataAccess)")),
        }
    }
    Ok(missing)
}

/// Deletes an integration and everything synced for it.
pub async fn delete(db: &Db, integration_id: Uuid) -> Result<(), StoreError> {
    let (row, app_id) = with_app(db, integration_id).await?;
    let txn = db.write.begin().await?;
    row.delete(&txn).await?;
    bump_app(&txn, app_id).await?;
    txn.commit().await?;
    Ok(())
}
