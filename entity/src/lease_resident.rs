//! `lease_resident`: a person's occupancy on a lease (the lease <-> resident join), synced from
//! the PMS.
//!
//! `role` is PRIMARY, CO_APPLICANT, OCCUPANT or GUARANTOR; `status` uses the lease-status
//! vocabulary, per person; the person's own move-in / move-out dates override the lease's.
//!
//! Common synced columns: see the crate docs.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "lease_resident")]
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
    pub lease_id: Uuid,
    pub resident_id: Uuid,
    /// PRIMARY, CO_APPLICANT, OCCUPANT or GUARANTOR.
    pub role: String,
    pub move_in_date: Option<Date>,
    pub move_out_date: Option<Date>,
    /// The lease-status vocabulary, for this person.
    pub status: String,
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
        belongs_to = "super::lease::Entity",
        from = "Column::LeaseId",
        to = "super::lease::Column::Id",
        on_delete = "Cascade"
    )]
    Lease,
    #[sea_orm(
        belongs_to = "super::resident::Entity",
        from = "Column::ResidentId",
        to = "super::resident::Column::Id",
        on_delete = "Cascade"
    )]
    Resident,
}

impl Related<super::integration::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Integration.def()
    }
}

impl Related<super::lease::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Lease.def()
    }
}

impl Related<super::resident::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Resident.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
