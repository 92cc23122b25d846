//! App-owned access overrides (early move-in, late move-out) of lease residents. A sync never
//! writes these rows, so an override survives every sync until the app clears it. Each write bumps
//! the integration's data generation, as every write does, so no cached answer outlives it.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use uuid::Uuid;

use pmsgraph_entity::{access_override, lease_resident};

use super::{StoreError, bump_integration, now};
use crate::db::Db;

/// Sets (or replaces) the override of a lease resident. At least one bound must be given, and a
/// start before the end.
pub async fn set_override(
    db: &Db,
    person: &lease_resident::Model,
    starts_at: Option<DateTime<Utc>>,
    ends_at: Option<DateTime<Utc>>,
    note: Option<String>,
) -> Result<access_override::Model, StoreError> {
    if starts_at.is_none() && ends_at.is_none() {
        return Err(StoreError::Invalid("an override needs startsAt, endsAt or both".into()));
    }
    if let (Some(start), Some(end)) = (starts_at, ends_at)
        && start >= end
    {
        return Err(StoreError::Invalid("an override's startsAt must be before its endsAt".into()));
    }
    let txn = db.write.begin().await?;
    let at = now();
    let existing = access_override::Entity::find()
        .filter(access_override::Column::LeaseResidentId.eq(person.id))
        .one(&txn)
        .await?;
    let row = match existing {
        Some(row) => {
            let mut row: access_override::ActiveModel = row.into();
            row.starts_at = Set(starts_at);
            row.ends_at = Set(ends_at);
            row.note = Set(note);
            row.updated_at = Set(at);
            row.update(&txn).await?
        }
        None => {
            access_override::ActiveModel {
                id: Set(Uuid::now_v7()),
                integration_id: Set(person.integration_id),
                lease_resident_id: Set(person.id),
                starts_at: Set(starts_at),
                ends_at: Set(ends_at),
                note: Set(note),
                created_at: Set(at),
                updated_at: Set(at),
            }
            .insert(&txn)
            .await?
        }
    };
    bump_integration(&txn, person.integration_id).await?;
    txn.commit().await?;
    Ok(row)
}

/// Removes a lease resident's override; the PMS's dates apply again. True if there was one.
pub async fn clear_override(db: &Db, person: &lease_resident::Model) -> Result<bool, StoreError> {
    let txn = db.write.begin().await?;
    let deleted = access_override::Entity::delete_many()
        .filter(access_override::Column::LeaseResidentId.eq(person.id))
        .exec(&txn)
        .await?;
    if deleted.rows_affected > 0 {
        bump_integration(&txn, person.integration_id).await?;
    }
    txn.commit().await?;
    Ok(deleted.rows_affected > 0)
}
