//! `access_override`: an app's override of one lease resident's access window (early move-in,
//! late move-out). Kept by pmsgraph, never written by a sync, so it survives every sync until the
//! app clears it. A NULL bound keeps the bound computed from the PMS's dates.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "access_override")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub integration_id: Uuid,
    /// One override per lease resident.
    pub lease_resident_id: Uuid,
    pub starts_at: Option<DateTimeUtc>,
    pub ends_at: Option<DateTimeUtc>,
    pub note: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
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
        belongs_to = "super::lease_resident::Entity",
        from = "Column::LeaseResidentId",
        to = "super::lease_resident::Column::Id",
        on_delete = "Cascade"
    )]
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

impl ActiveModelBehavior for ActiveModel {}
