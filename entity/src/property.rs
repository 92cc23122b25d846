//! `property`: a property (building or community) of an integration, synced from the PMS.
//!
//! `time_zone` is the IANA zone from the PMS or inferred from the address; `time_zone_override`
//! is the app's override, which wins when set. `access_start_time` / `access_end_time` are the
//! property-local times at which access windows open on move-in and close on move-out (NULL
//! means the defaults, 10:00 and 16:00).
//!
//! Common synced columns: see the crate docs.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "property")]
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
    pub name: String,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    /// IANA time zone, from the PMS or inferred from the address.
    pub time_zone: Option<String>,
    /// IANA time zone set by the app; wins over `time_zone`.
    pub time_zone_override: Option<String>,
    pub access_start_time: Option<Time>,
    pub access_end_time: Option<Time>,
    pub unit_count: Option<i32>,
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
    #[sea_orm(has_many = "super::unit::Entity")]
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
