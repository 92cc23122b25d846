//! `change_log`: one row per change a sync wrote to a synced row: `CREATED` (after the first full
//! sync of the integration), `UPDATED` with the old and new values of each changed field, or
//! `REMOTE_DELETED`. `fields` is a JSON object `{field: {"old": ..., "new": ...}}`. Rows are
//! time-ordered by their v7 `id`. Lifecycle events and webhooks derive from this log.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "change_log")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub integration_id: Uuid,
    /// The sync job that wrote the change (NULL once the job record is gone).
    pub sync_job_id: Option<Uuid>,
    /// property, unit, unit_space, resident, lease or lease_resident.
    pub record_kind: String,
    /// The changed row's id.
    pub record_id: Uuid,
    pub remote_id: String,
    /// CREATED, UPDATED or REMOTE_DELETED.
    pub change: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub fields: Json,
    pub created_at: DateTimeUtc,
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
        belongs_to = "super::sync_job::Entity",
        from = "Column::SyncJobId",
        to = "super::sync_job::Column::Id",
        on_delete = "SetNull"
    )]
    SyncJob,
}

impl Related<super::integration::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Integration.def()
    }
}

impl Related<super::sync_job::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SyncJob.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
