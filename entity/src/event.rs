//! `event`: the lifecycle change feed (DESIGN.md, "Access-control semantics"). One row per event
//! derived from the change log of a finished sync job: LEASE_CREATED, MOVE_IN_SCHEDULED, MOVED_IN,
//! NOTICE_GIVEN, MOVED_OUT, TRANSFERRED, RENEWED, RESIDENT_UPDATED, EMAIL_CHANGED, REMOTE_DELETED
//! or INITIAL_SYNC_COMPLETED.
//!
//! `position` orders the feed and is handed out in commit order, so it is a gap-free cursor.
//! The row ids an event concerns are plain columns (synced rows are only soft-deleted). `data`
//! holds `{"changes": {field: {"old": .., "new": ..}}, ...}` and type-specific details.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "event")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The feed's order: 1, 2, 3... in commit order.
    pub position: i64,
    pub integration_id: Uuid,
    pub customer_id: Uuid,
    /// The sync job whose changes the event derives from (NULL once the job record is gone).
    pub sync_job_id: Option<Uuid>,
    pub event_type: String,
    pub occurred_at: DateTimeUtc,
    pub property_id: Option<Uuid>,
    pub unit_id: Option<Uuid>,
    pub lease_id: Option<Uuid>,
    pub resident_id: Option<Uuid>,
    pub lease_resident_id: Option<Uuid>,
    #[sea_orm(column_type = "JsonBinary")]
    pub data: Json,
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
        belongs_to = "super::customer::Entity",
        from = "Column::CustomerId",
        to = "super::customer::Column::Id",
        on_delete = "Cascade"
    )]
    Customer,
}

impl Related<super::integration::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Integration.def()
    }
}

impl Related<super::customer::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Customer.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
