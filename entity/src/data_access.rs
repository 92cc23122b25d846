//! `data_access`: the outcome of the last data-access check of one resource (properties, units,
//! leases, residents) of an integration: PENDING while the check runs, then GRANTED, DENIED or
//! ERROR with the PMS's message. Enabling an integration requires every resource GRANTED.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "data_access")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub integration_id: Uuid,
    /// PROPERTIES, UNITS, LEASES or RESIDENTS.
    #[sea_orm(primary_key, auto_increment = false)]
    pub resource: String,
    /// PENDING, GRANTED, DENIED or ERROR.
    pub status: String,
    /// The PMS's own words, for DENIED and ERROR.
    pub message: Option<String>,
    pub checked_at: Option<DateTimeUtc>,
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
}

impl Related<super::integration::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Integration.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
