//! `integration`: one PMS connection of a customer, and the owner of every synced row.
//!
//! `pms` names the property-management system, `status` / `status_reason` its state (a new
//! integration starts disabled; data-access checks and syncs move it). `credentials` are the
//! PMS credentials encrypted at rest (never returned through the API), `settings` the
//! integration's JSON settings (schedule, the PMS's clock...). `generation` is the integration's
//! data generation, bumped by every write (committed sync, mutation) touching its data; the
//! response cache keys on it.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "integration")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub customer_id: Uuid,
    pub pms: String,
    pub status: String,
    pub status_reason: Option<String>,
    /// Encrypted credentials (AES-256-GCM); write-only through the API.
    pub credentials: Option<Vec<u8>>,
    #[sea_orm(column_type = "JsonBinary")]
    pub settings: Json,
    pub generation: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::customer::Entity",
        from = "Column::CustomerId",
        to = "super::customer::Column::Id",
        on_delete = "Cascade"
    )]
    Customer,
    #[sea_orm(has_many = "super::sync_job::Entity")]
    SyncJob,
    #[sea_orm(has_many = "super::property::Entity")]
    Property,
    #[sea_orm(has_many = "super::unit::Entity")]
    Unit,
    #[sea_orm(has_many = "super::unit_space::Entity")]
    UnitSpace,
    #[sea_orm(has_many = "super::resident::Entity")]
    Resident,
    #[sea_orm(has_many = "super::lease::Entity")]
    Lease,
    #[sea_orm(has_many = "super::lease_resident::Entity")]
    LeaseResident,
}

impl Related<super::customer::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Customer.def()
    }
}

impl Related<super::sync_job::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SyncJob.def()
    }
}

impl Related<super::property::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Property.def()
    }
}

impl Related<super::unit::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Unit.def()
    }
}

impl Related<super::unit_space::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::UnitSpace.def()
    }
}

impl Related<super::resident::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Resident.def()
    }
}

impl Related<super::lease::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Lease.def()
    }
}

impl Related<super::lease_resident::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::LeaseResident.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
