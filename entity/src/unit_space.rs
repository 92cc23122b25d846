//! `unit_space`: a bedroom-level space of a unit (for by-the-bed leasing), synced from the PMS.
//! A lease may be for one space of a unit.
//!
//! Common synced columns: see the crate docs.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "unit_space")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub integration_id: Uuid,
    /// The PMS's id of the record, unique per integration.
    pub remote_id: String,
    /// The raw PMS record.
    #[sea_orm(column_type = "JsonBinary")]
    pub remote_data: Json,
    pub content_hash: String,
    pub created_at: DateTimeUtc,
    /// When a field last changed (our time).
    pub updated_at: DateTimeUtc,
    /// Set once a complete, successful full sync no longer sees the record.
    pub remote_deleted_at: Option<DateTimeUtc>,
    pub unit_id: Uuid,
    pub name: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::integration::Entity",
        from = "Column::IntegrationId",
        to = "super::integration::Column::Id",
        on_delete = "Cascade"
    )]
    Integration,
    #[sea_orm(
        belongs_to = "super::unit::Entity",
        from = "Column::UnitId",
        to = "super::unit::Column::Id",
        on_delete = "Cascade"
    )]
    Unit,
    #[sea_orm(has_many = "super::lease::Entity")]
    Lease,
}

impl Related<super::integration::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Integration.def()
    }
}

impl Related<super::unit::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Unit.def()
    }
}

impl Related<super::lease::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Lease.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
