//! `resident`: a person of an integration, synced from the PMS. One person on several leases of
//! the integration is one resident (see "Person identity" in the design); the person's leases
//! are reached through [`super::lease_resident`].
//!
//! Common synced columns: see the crate docs.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "resident")]
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
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
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
    #[sea_orm(has_many = "super::lease_resident::Entity")]
    LeaseResident,
}

impl Related<super::integration::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Integration.def()
    }
}

impl Related<super::lease_resident::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::LeaseResident.def()
    }
}

/// A resident's leases, through `lease_resident`.
impl Related<super::lease::Entity> for Entity {
    fn to() -> RelationDef {
        super::lease_resident::Relation::Lease.def()
    }
    fn via() -> Option<RelationDef> {
        Some(super::lease_resident::Relation::Resident.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
