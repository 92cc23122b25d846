//! `sync_job`: one sync run of an integration, and the database-backed job queue entry for it.
//!
//! `trigger` says why it runs (schedule, enable, on demand), `scope` / `scope_remote_id` what it
//! covers (the whole integration, or one property, unit or resident by remote id). `status` is
//! QUEUED, RUNNING, SUCCESS, PARTIAL_SUCCESS or FAILED. A worker claims a job by setting
//! `claimed_by` and `lease_expires_at`; a job whose lease expired can be claimed again.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "sync_job")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub integration_id: Uuid,
    pub trigger: String,
    pub scope: String,
    pub scope_remote_id: Option<String>,
    pub status: String,
    pub queued_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    pub created_count: i64,
    pub updated_count: i64,
    pub unchanged_count: i64,
    pub deleted_count: i64,
    /// For an incremental run, the instant it asked the PMS for changes from; null for a full run.
    pub changed_since: Option<DateTimeUtc>,
    /// The run's errors, as a JSON array.
    #[sea_orm(column_type = "JsonBinary")]
    pub errors: Json,
    /// Id of the worker holding the job.
    pub claimed_by: Option<String>,
    /// When the worker's claim lapses.
    pub lease_expires_at: Option<DateTimeUtc>,
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
