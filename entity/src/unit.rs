//! `unit`: a rentable unit (apartment) of a property, synced from the PMS.
//!
//! `occupancy` is OCCUPIED, VACANT or UNKNOWN; `market_rent_cents` is the market rent in cents.
//! Bedroom-level spaces of the unit are [`super::unit_space`] rows.
//!
//! Common synced columns: see the crate docs.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "unit")]
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
    pub number: String,
    pub building: Option<String>,
    pub floorplan: Option<String>,
    pub bedrooms: Option<i32>,
    pub bathrooms: Option<f64>,
    pub square_feet: Option<i32>,
    pub market_rent_cents: Option<i64>,
    /// OCCUPIED, VACANT or UNKNOWN.
    pub occupancy: String,
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
    #[sea_orm(has_many = "super::unit_space::Entity")]
    UnitSpace,
    #[sea_orm(has_many = "super::lease::Entity")]
    Lease,
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

impl Related<super::unit_space::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::UnitSpace.def()
    }
}

impl Related<super::lease::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Lease.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
