//! `sync_cursor`: per integration and resource (properties, units, leases, residents), the instant
//! from which the next incremental sync asks the PMS for changes.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "sync_cursor")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub integration_id: Uuid,
    /// properties, units, leases or residents.
    #[sea_orm(primary_key, auto_increment = false)]
    pub resource: String,
    pub cursor_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
