//! Customers (property management companies) and their integrations (one per PMS connection).
//!
//! Every change here bumps the owning app's generation, so cached answers that list customers or
//! integrations are never stale.

use sea_orm::{ActiveModelTrait, EntityTrait, Set, TransactionTrait};
use serde_json::Value;
use uuid::Uuid;

use pmsgraph_entity::{customer, integration};

use super::{StoreError, bump_app, now};
use crate::auth::Environment;
use crate::db::Db;

use super::integrations::DISABLED;

pub async fn create_customer(
    db: &Db,
    app_id: Uuid,
    name: &str,
    environment: Environment,
) -> Result<customer::Model, StoreError> {
    let name = name.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(StoreError::Invalid("a customer name is 1 to 200 characters".into()));
    }
    let txn = db.write.begin().await?;
    let at = now();
    let model = customer::ActiveModel {
        id: Set(Uuid::now_v7()),
        app_id: Set(app_id),
        name: Set(name.to_owned()),
        environment: Set(environment.as_str().to_owned()),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&txn)
    .await?;
    bump_app(&txn, app_id).await?;
    txn.commit().await?;
    Ok(model)
}

/// Adds an integration for a customer, disabled until its data-access check passes.
pub async fn create_integration(
    db: &Db,
    customer_id: Uuid,
    pms: &str,
    settings: Value,
) -> Result<integration::Model, StoreError> {
    let owner =
        customer::Entity::find_by_id(customer_id).one(&db.write).await?.ok_or(StoreError::NotFound("customer"))?;
    let txn = db.write.begin().await?;
    let at = now();
    let model = integration::ActiveModel {
        id: Set(Uuid::now_v7()),
        customer_id: Set(customer_id),
        pms: Set(pms.to_owned()),
        status: Set(DISABLED.to_owned()),
        status_reason: Set(None),
        credentials: Set(None),
        settings: Set(settings),
        generation: Set(0),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&txn)
    .await?;
    bump_app(&txn, owner.app_id).await?;
    txn.commit().await?;
    Ok(model)
}

/// Stores an integration's credentials (JSON), sealed by the vault; they are never read back
/// through the API. Rotating credentials replaces the sealed value.
pub async fn set_credentials(
    db: &Db,
    vault: &crate::vault::Vault,
    integration_id: Uuid,
    credentials: &Value,
) -> Result<(), StoreError> {
    let row = integration::Entity::find_by_id(integration_id)
        .one(&db.write)
        .await?
        .ok_or(StoreError::NotFound("integration"))?;
    let plaintext = serde_json::to_vec(credentials).map_err(|e| StoreError::Invalid(format!("credentials: {e}")))?;
    let sealed = vault.seal(integration_id, &plaintext).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let mut active: integration::ActiveModel = row.into();
    active.credentials = Set(Some(sealed));
    active.updated_at = Set(now());
    active.update(&db.write).await?;
    Ok(())
}

/// Deletes a customer with its integrations and everything synced for them.
pub async fn delete_customer(db: &Db, customer_id: Uuid) -> Result<(), StoreError> {
    let row =
        customer::Entity::find_by_id(customer_id).one(&db.write).await?.ok_or(StoreError::NotFound("customer"))?;
    let txn = db.write.begin().await?;
    customer::Entity::delete_by_id(customer_id).exec(&txn).await?;
    bump_app(&txn, row.app_id).await?;
    txn.commit().await?;
    Ok(())
}

/// Re-encrypts every integration's credentials under the vault's active key (after a new master
/// key is configured as active). Returns (re-encrypted, already current).
pub async fn reseal_all(db: &Db, vault: &crate::vault::Vault) -> Result<(u64, u64), StoreError> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let rows =
        integration::Entity::find().filter(integration::Column::Credentials.is_not_null()).all(&db.write).await?;
    let (mut resealed, mut current) = (0, 0);
    for row in rows {
        let Some(sealed) = row.credentials.as_deref() else { continue };
        match vault.reseal(row.id, sealed).map_err(|e| StoreError::Invalid(format!("integration {}: {e}", row.id)))? {
            None => current += 1,
            Some(fresh) => {
                let mut active: integration::ActiveModel = row.into();
                active.credentials = Set(Some(fresh));
                active.update(&db.write).await?;
                resealed += 1;
            }
        }
    }
    Ok((resealed, current))
}
