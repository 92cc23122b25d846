//! Sync jobs: the database-backed queue and the record of every run (DESIGN.md, "Customers,
//! integrations, syncs").
//!
//! A job is queued as a row (QUEUED), claimed by a worker with a lease (RUNNING, `claimed_by`,
//! `lease_expires_at`), kept alive by heartbeats, and finished with its status, counts and errors.
//! A claim is one conditional UPDATE (`... WHERE id = ? AND (QUEUED, or RUNNING with an expired
//! lease)`; on PostgreSQL `... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED)`), so two workers,
//! in one process or several, never both win the same job; a job whose worker died is claimed
//! again once its lease lapses. At most one job of an integration runs at a time: the claim skips
//! integrations with a RUNNING job, and a partial unique index (migration `one_running_job`)
//! refuses the race where two workers start two jobs of one integration at once.
//!
//! Scheduled syncs are queued through [`enqueue_scheduled`]: a partial unique index (migration
//! `one_scheduled_sync`) admits one pending SCHEDULE job per integration, so schedulers in several
//! processes never queue the same sync twice.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use pmsgraph_connector_core::SyncScope;
use pmsgraph_entity::{integration, sync_job};

use super::ingest::Counts;
use super::{StoreError, now};
use crate::db::Db;

pub const QUEUED: &str = "QUEUED";
pub const RUNNING: &str = "RUNNING";
pub const SUCCESS: &str = "SUCCESS";
pub const PARTIAL_SUCCESS: &str = "PARTIAL_SUCCESS";
pub const FAILED: &str = "FAILED";

/// Why a sync runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Trigger {
    Schedule,
    Enable,
    OnDemand,
}

impl Trigger {
    pub const fn as_str(self) -> &'static str {
        match self {
            Trigger::Schedule => "SCHEDULE",
            Trigger::Enable => "ENABLE",
            Trigger::OnDemand => "ON_DEMAND",
        }
    }
}

/// One error of a run, as stored in `sync_job.errors`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobError {
    pub code: String,
    pub message: String,
    /// The property (remote id) or record the error is confined to, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub status: &'static str,
    pub counts: Counts,
    pub deleted: u64,
    pub errors: Vec<JobError>,
    /// For an incremental run, the instant it asked for changes from.
    pub changed_since: Option<chrono::DateTime<chrono::Utc>>,
}

impl Outcome {
    /// A run that failed before it could sync.
    pub fn failed(error: JobError) -> Outcome {
        Outcome { status: FAILED, counts: Counts::default(), deleted: 0, errors: vec![error], changed_since: None }
    }
}

/// The stored form of a scope: the kind in `scope`, the details in `scope_remote_id` as JSON.
fn scope_columns(scope: &SyncScope) -> (String, Option<String>) {
    let detail = match scope {
        SyncScope::Integration => None,
        other => serde_json::to_string(other).ok(),
    };
    (scope.kind().to_owned(), detail)
}

/// The scope a job row describes.
pub fn scope_of(job: &sync_job::Model) -> Result<SyncScope, StoreError> {
    match job.scope_remote_id.as_deref() {
        None => Ok(SyncScope::Integration),
        Some(detail) => serde_json::from_str(detail)
            .map_err(|e| StoreError::Invalid(format!("job {} has an unreadable scope: {e}", job.id))),
    }
}

/// Queues a sync of `scope` for an integration.
pub async fn enqueue(
    db: &Db,
    integration_id: Uuid,
    trigger: Trigger,
    scope: &SyncScope,
) -> Result<sync_job::Model, StoreError> {
    insert_job(&db.write, integration_id, trigger, scope).await
}

/// Inserts a QUEUED job through `conn` (a transaction of the caller's).
pub(crate) async fn insert_job(
    conn: &impl sea_orm::ConnectionTrait,
    integration_id: Uuid,
    trigger: Trigger,
    scope: &SyncScope,
) -> Result<sync_job::Model, StoreError> {
    let (scope_kind, detail) = scope_columns(scope);
    let job = sync_job::ActiveModel {
        id: Set(Uuid::now_v7()),
        integration_id: Set(integration_id),
        trigger: Set(trigger.as_str().to_owned()),
        scope: Set(scope_kind),
        scope_remote_id: Set(detail),
        status: Set(QUEUED.to_owned()),
        queued_at: Set(now()),
        started_at: Set(None),
        finished_at: Set(None),
        created_count: Set(0),
        updated_count: Set(0),
        unchanged_count: Set(0),
        deleted_count: Set(0),
        changed_since: Set(None),
        errors: Set(json!([])),
        claimed_by: Set(None),
        lease_expires_at: Set(None),
    };
    Ok(job.insert(conn).await?)
}

/// Queues a scheduled sync of the whole integration, unless a run of the whole integration (of any
/// trigger: the first sync on enable, `syncNow`) is already pending, queued or running: then
/// `None`. The check is made in the transaction that inserts, not at the scheduler's earlier read,
/// so a run queued in between (an integration enabled while the scheduler ticks) is seen.
pub async fn enqueue_scheduled(db: &Db, integration_id: Uuid) -> Result<Option<sync_job::Model>, StoreError> {
    let txn = db.write.begin().await?;
    let pending = sync_job::Entity::find()
        .select_only()
        .column(sync_job::Column::Id)
        .filter(sync_job::Column::IntegrationId.eq(integration_id))
        .filter(sync_job::Column::Scope.eq(SyncScope::Integration.kind()))
        .filter(sync_job::Column::Status.is_in([QUEUED, RUNNING]))
        .into_tuple::<Uuid>()
        .one(&txn)
        .await?;
    if pending.is_some() {
        return Ok(None);
    }
    let inserted = insert_job(&txn, integration_id, Trigger::Schedule, &SyncScope::Integration).await;
    match inserted {
        Ok(job) => {
            txn.commit().await?;
            Ok(Some(job))
        }
        Err(StoreError::Db(err)) if matches!(err.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))) => {
            Ok(None)
        }
        Err(err) => Err(err),
    }
}

/// The latest runs of the whole integration (any trigger), newest first: what the schedule is
/// derived from.
pub async fn recent_full(db: &Db, integration_id: Uuid, limit: u64) -> Result<Vec<sync_job::Model>, StoreError> {
    Ok(sync_job::Entity::find()
        .filter(sync_job::Column::IntegrationId.eq(integration_id))
        .filter(sync_job::Column::Scope.eq(SyncScope::Integration.kind()))
        .order_by_desc(sync_job::Column::QueuedAt)
        .order_by_desc(sync_job::Column::Id)
        .limit(limit)
        .all(&db.read)
        .await?)
}

/// Jobs that may be claimed at `at`: queued, or running with a lapsed lease, and of an integration
/// with no other job running under a live lease (one sync per integration at a time, so a scoped
/// sync never interleaves its writes with a full one; exact on SQLite, whose writes are serial, and
/// all but exact on PostgreSQL, where two claims committing at once may both pass).
/// A job a worker may take: QUEUED while no job of its integration is RUNNING (one run per
/// integration at a time; a partial unique index backs this up), or RUNNING with a lapsed lease
/// (its worker died: it is resumed before anything else of its integration runs).
fn claimable(at: DateTime<Utc>) -> Condition {
    let mut running = sea_orm::sea_query::Query::select();
    running
        .column(sync_job::Column::IntegrationId)
        .from(sync_job::Entity)
        .and_where(sync_job::Column::Status.eq(RUNNING));
    Condition::any()
        .add(
            Condition::all()
                .add(sync_job::Column::Status.eq(QUEUED))
                .add(sync_job::Column::IntegrationId.not_in_subquery(running.to_owned())),
        )
        .add(Condition::all().add(sync_job::Column::Status.eq(RUNNING)).add(sync_job::Column::LeaseExpiresAt.lt(at)))
}

/// Claims the oldest claimable job (queued, or running with a lapsed lease) for `worker`.
///
/// On PostgreSQL one statement picks and claims it, passing over rows other workers are claiming
/// at that moment (`FOR UPDATE SKIP LOCKED`), so workers in many processes never queue up behind
/// one row. On SQLite, whose writes are serial, the oldest candidates are tried in turn with the
/// conditional update of [`claim`].
pub async fn claim_next(db: &Db, worker: &str, lease: Duration) -> Result<Option<sync_job::Model>, StoreError> {
    if db.write.get_database_backend() == DbBackend::Postgres {
        return claim_next_skip_locked(db, worker, lease).await;
    }
    let at = now();
    let candidates: Vec<Uuid> = sync_job::Entity::find()
        .select_only()
        .column(sync_job::Column::Id)
        .filter(claimable(at))
        .order_by_asc(sync_job::Column::QueuedAt)
        .limit(8)
        .into_tuple()
        .all(&db.read)
        .await?;
    for id in candidates {
        if let Some(job) = claim(db, id, worker, lease).await? {
            return Ok(Some(job));
        }
    }
    Ok(None)
}

async fn claim_next_skip_locked(db: &Db, worker: &str, lease: Duration) -> Result<Option<sync_job::Model>, StoreError> {
    use sea_orm::sea_query::{LockBehavior, LockType, Order, Query};
    let at = now();
    let expires = at + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(5));
    let mut pick = Query::select();
    pick.column(sync_job::Column::Id)
        .from(sync_job::Entity)
        .cond_where(claimable(at))
        .order_by(sync_job::Column::QueuedAt, Order::Asc)
        .limit(1)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    let claimed = sync_job::Entity::update_many()
        .col_expr(sync_job::Column::Status, Expr::value(RUNNING))
        .col_expr(sync_job::Column::ClaimedBy, Expr::value(worker))
        .col_expr(sync_job::Column::LeaseExpiresAt, Expr::value(expires))
        .col_expr(sync_job::Column::StartedAt, Expr::value(at))
        .filter(sync_job::Column::Id.in_subquery(pick.to_owned()))
        .exec_with_returning(&db.write)
        .await;
    match claimed {
        Ok(mut rows) => Ok(rows.pop()),
        // Another worker started a job of the same integration between our snapshot and our
        // write: the one-running-job index refused this claim; the next poll tries again.
        Err(err) if matches!(err.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))) => Ok(None),
        Err(err) => Err(err.into()),
    }
}

/// Claims one job for `worker` if it is claimable; `None` if another worker holds it or it ended.
pub async fn claim(
    db: &Db,
    job_id: Uuid,
    worker: &str,
    lease: Duration,
) -> Result<Option<sync_job::Model>, StoreError> {
    let at = now();
    let expires = at + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(5));
    let claimed = sync_job::Entity::update_many()
        .col_expr(sync_job::Column::Status, Expr::value(RUNNING))
        .col_expr(sync_job::Column::ClaimedBy, Expr::value(worker))
        .col_expr(sync_job::Column::LeaseExpiresAt, Expr::value(expires))
        .col_expr(sync_job::Column::StartedAt, Expr::value(at))
        .filter(sync_job::Column::Id.eq(job_id))
        .filter(claimable(at))
        .exec(&db.write)
        .await;
    let claimed = match claimed {
        Ok(claimed) => claimed,
        Err(err) if matches!(err.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))) => return Ok(None),
        Err(err) => return Err(err.into()),
    };
    if claimed.rows_affected == 1 { Ok(sync_job::Entity::find_by_id(job_id).one(&db.write).await?) } else { Ok(None) }
}

/// Extends a running job's lease; false if the worker no longer holds it.
pub async fn heartbeat(db: &Db, job_id: Uuid, worker: &str, lease: Duration) -> Result<bool, StoreError> {
    let expires = now() + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(5));
    let result = sync_job::Entity::update_many()
        .col_expr(sync_job::Column::LeaseExpiresAt, Expr::value(expires))
        .filter(sync_job::Column::Id.eq(job_id))
        .filter(sync_job::Column::ClaimedBy.eq(worker))
        .filter(sync_job::Column::Status.eq(RUNNING))
        .exec(&db.write)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Records how a run ended and releases the claim. Bumps the integration's data generation: what
/// was last seen when (`lastSeenAt`, `lastFullSyncAt`) changes with every finished run.
pub async fn finish(db: &Db, job_id: Uuid, outcome: &Outcome) -> Result<sync_job::Model, StoreError> {
    let txn = db.write.begin().await?;
    let job = sync_job::Entity::find_by_id(job_id).one(&txn).await?.ok_or(StoreError::NotFound("sync job"))?;
    let integration_id = job.integration_id;
    let mut job: sync_job::ActiveModel = job.into();
    let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    job.status = Set(outcome.status.to_owned());
    job.finished_at = Set(Some(now()));
    job.created_count = Set(count(outcome.counts.created));
    job.updated_count = Set(count(outcome.counts.updated));
    job.unchanged_count = Set(count(outcome.counts.unchanged));
    job.deleted_count = Set(count(outcome.deleted));
    job.changed_since = Set(outcome.changed_since);
    job.errors = Set(serde_json::to_value(&outcome.errors).unwrap_or_else(|_| json!([])));
    job.lease_expires_at = Set(None);
    let job = job.update(&txn).await?;
    super::bump_integration(&txn, integration_id).await?;
    // The job's lifecycle events commit with its record, so a finished job always has them (and a
    // job resumed after a crash derives them once, from everything its attempts logged).
    let counts = json!({
        "created": outcome.counts.created,
        "updated": outcome.counts.updated,
        "unchanged": outcome.counts.unchanged,
        "deleted": outcome.deleted,
    });
    let events = crate::events::derive::for_job(&txn, &job, outcome.status, counts, now()).await?;
    if !events.is_empty() {
        let customer_id = integration::Entity::find_by_id(integration_id)
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound("integration"))?
            .customer_id;
        super::events::append(&txn, integration_id, customer_id, Some(job.id), events).await?;
    }
    txn.commit().await?;
    Ok(job)
}

pub async fn get(db: &Db, job_id: Uuid) -> Result<sync_job::Model, StoreError> {
    sync_job::Entity::find_by_id(job_id).one(&db.read).await?.ok_or(StoreError::NotFound("sync job"))
}

/// Whether the integration has completed a successful full sync before.
pub async fn has_full_sync(db: &Db, integration_id: Uuid) -> Result<bool, StoreError> {
    let found = sync_job::Entity::find()
        .select_only()
        .column(sync_job::Column::Id)
        .filter(sync_job::Column::IntegrationId.eq(integration_id))
        .filter(sync_job::Column::Scope.eq(SyncScope::Integration.kind()))
        .filter(sync_job::Column::Status.eq(SUCCESS))
        .into_tuple::<Uuid>()
        .one(&db.read)
        .await?;
    Ok(found.is_some())
}
