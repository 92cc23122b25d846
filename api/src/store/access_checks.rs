//! Data-access checks as jobs: asked for by a mutation (QUEUED), claimed by a worker with a lease
//! (RUNNING), DONE when the answers are recorded (see the `access_checks` migration).
//!
//! Claims work like sync jobs' (see [`super::jobs`]): on PostgreSQL one `UPDATE ... WHERE id IN
//! (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING *`, on SQLite a conditional update; a check whose
//! worker died is taken again once its lease lapses. A check asked for while one is QUEUED for the
//! same integration joins it rather than queueing a second.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use pmsgraph_entity::access_check;

use super::{StoreError, now};
use crate::db::Db;

pub const QUEUED: &str = "QUEUED";
pub const RUNNING: &str = "RUNNING";
pub const DONE: &str = "DONE";

/// Queues a check of the integration, unless one is already queued.
pub async fn request(db: &Db, integration_id: Uuid) -> Result<(), StoreError> {
    let queued = access_check::Entity::find()
        .filter(access_check::Column::IntegrationId.eq(integration_id))
        .filter(access_check::Column::Status.eq(QUEUED))
        .one(&db.write)
        .await?;
    if queued.is_none() {
        access_check::ActiveModel {
            id: Set(Uuid::now_v7()),
            integration_id: Set(integration_id),
            status: Set(QUEUED.to_owned()),
            claimed_by: Set(None),
            lease_expires_at: Set(None),
            queued_at: Set(now()),
            started_at: Set(None),
            finished_at: Set(None),
        }
        .insert(&db.write)
        .await?;
    }
    Ok(())
}

fn claimable(at: DateTime<Utc>) -> Condition {
    Condition::any().add(access_check::Column::Status.eq(QUEUED)).add(
        Condition::all().add(access_check::Column::Status.eq(RUNNING)).add(access_check::Column::LeaseExpiresAt.lt(at)),
    )
}

fn lease_end(at: DateTime<Utc>, lease: Duration) -> DateTime<Utc> {
    at + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(1))
}

/// Claims the oldest claimable check for `worker`.
pub async fn claim_next(db: &Db, worker: &str, lease: Duration) -> Result<Option<access_check::Model>, StoreError> {
    let at = now();
    let claim = || {
        access_check::Entity::update_many()
            .col_expr(access_check::Column::Status, Expr::value(RUNNING))
            .col_expr(access_check::Column::ClaimedBy, Expr::value(worker))
            .col_expr(access_check::Column::LeaseExpiresAt, Expr::value(lease_end(at, lease)))
            .col_expr(access_check::Column::StartedAt, Expr::value(at))
    };
    if db.write.get_database_backend() == DbBackend::Postgres {
        use sea_orm::sea_query::{LockBehavior, LockType, Order, Query};
        let mut pick = Query::select();
        pick.column(access_check::Column::Id)
            .from(access_check::Entity)
            .cond_where(claimable(at))
            .order_by(access_check::Column::QueuedAt, Order::Asc)
            .limit(1)
            .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
        let mut rows = claim()
            .filter(access_check::Column::Id.in_subquery(pick.to_owned()))
            .exec_with_returning(&db.write)
            .await?;
        return Ok(rows.pop());
    }
    let candidates: Vec<Uuid> = access_check::Entity::find()
        .select_only()
        .column(access_check::Column::Id)
        .filter(claimable(at))
        .order_by_asc(access_check::Column::QueuedAt)
        .limit(4)
        .into_tuple()
        .all(&db.read)
        .await?;
    for id in candidates {
        let mut rows = claim()
            .filter(access_check::Column::Id.eq(id))
            .filter(claimable(at))
            .exec_with_returning(&db.write)
            .await?;
        if let Some(row) = rows.pop() {
            return Ok(Some(row));
        }
    }
    Ok(None)
}

/// Extends a running check's lease; false if the worker no longer holds it.
pub async fn heartbeat(db: &Db, id: Uuid, worker: &str, lease: Duration) -> Result<bool, StoreError> {
    let result = access_check::Entity::update_many()
        .col_expr(access_check::Column::LeaseExpiresAt, Expr::value(lease_end(now(), lease)))
        .filter(access_check::Column::Id.eq(id))
        .filter(access_check::Column::ClaimedBy.eq(worker))
        .filter(access_check::Column::Status.eq(RUNNING))
        .exec(&db.write)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Marks a check DONE (if `worker` still holds it).
pub async fn finish(db: &Db, id: Uuid, worker: &str) -> Result<(), StoreError> {
    access_check::Entity::update_many()
        .col_expr(access_check::Column::Status, Expr::value(DONE))
        .col_expr(access_check::Column::FinishedAt, Expr::value(now()))
        .col_expr(access_check::Column::LeaseExpiresAt, Expr::value(Option::<DateTime<Utc>>::None))
        .filter(access_check::Column::Id.eq(id))
        .filter(access_check::Column::ClaimedBy.eq(worker))
        .exec(&db.write)
        .await?;
    Ok(())
}
