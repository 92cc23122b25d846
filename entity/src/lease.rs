//! `lease`: a lease of a property, synced from the PMS, optionally for one unit and one unit
//! space. Its people are [`super::lease_resident`] rows.
//!
//! `status` is the pmsgraph lease-status vocabulary (APPLICANT, FUTURE, CURRENT, NOTICE, PAST,
//! CANCELLED); `remote_status` keeps the PMS's own word. Dates are property-local calendar dates.
//! `unit_id` and `unit_space_id` become NULL if the unit or space is deleted.
//!
//! Common synced columns: see the crate docs.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "lease")]
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
    pub property_id: Uuid,
    pub unit_id: Option<Uuid>,
    pub unit_space_id: Option<Uuid>,
    /// APPLICANT, FUTURE, CURRENT, NOTICE, PAST or CANCELLED.
    pub status: String,
    /// The PMS's own status word.
    pub remote_status: Option<String>,
    pub start_date: Option<Date>,
    pub end_date: Option<Date>,
    pub move_in_date: Option<Date>,
    pub move_out_date: Option<Date>,
    pub notice_date: Option<Date>,
    pub rent_cents: Option<i64>,
    pub is_month_to_month: bool,
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
        belongs_to = "super::property::Entity",
        from = "Column::PropertyId",
        to = "super::property::Column::Id",
        on_delete = "Cascade"
    )]
    Property,
    #[sea_orm(
        belongs_to = "super::unit::Entity",
        from = "Column::UnitId",
        to = "super::unit::Column::Id",
        on_delete = "SetNull"
    )]
    Unit,
    #[sea_orm(
        belongs_to = "super::unit_space::Entity",
        from = "Column::UnitSpaceId",
        to = "super::unit_space::Column::Id",
        on_delete = "SetNull"
    )]
    UnitSpace,
    #[sea_orm(has_many = "super::lease_resident::Entity")]
    LeaseResident,
}

impl Related<super::integration::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Integration.def()
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

impl Related<super::lease_resident::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::LeaseResident.def()
    }
}

/// A lease's residents, through `lease_resident`.
impl Related<super::resident::Entity> for Entity {
    fn to() -> RelationDef {
        super::lease_resident::Relation::Resident.def()
    }
    fn via() -> Option<RelationDef> {
        Some(super::lease_resident::Relation::Lease.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
