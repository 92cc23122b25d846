//! Apps: the developers' products that own customers and tokens.

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use pmsgraph_entity::app;

use super::{StoreError, now};
use crate::db::Db;

pub async fn find(db: &Db, name: &str) -> Result<Option<app::Model>, StoreError> {
    Ok(app::Entity::find().filter(app::Column::Name.eq(name)).one(&db.read).await?)
}

pub async fn get(db: &Db, id: Uuid) -> Result<app::Model, StoreError> {
    app::Entity::find_by_id(id).one(&db.read).await?.ok_or(StoreError::NotFound("app"))
}

pub async fn all(db: &Db) -> Result<Vec<app::Model>, StoreError> {
    Ok(app::Entity::find().order_by_asc(app::Column::Name).all(&db.read).await?)
}

/// The app of that name, created if it does not exist.
pub async fn find_or_create(db: &Db, name: &str) -> Result<app::Model, StoreError> {
    let name = name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(StoreError::Invalid("an app name is 1 to 100 characters".into()));
    }
    if let Some(existing) = app::Entity::find().filter(app::Column::Name.eq(name)).one(&db.write).await? {
        return Ok(existing);
    }
    let model = app::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name.to_owned()),
        generation: Set(0),
        created_at: Set(now()),
    };
    Ok(model.insert(&db.write).await?)
}
