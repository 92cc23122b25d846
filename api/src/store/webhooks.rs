//! Webhook endpoints, the delivery queue and the attempt log (see [`crate::webhooks`]).
//!
//! Endpoints belong to an app in one environment: every function here takes the owner
//! ([`Owner`]) and treats an endpoint of another owner as not found. Secrets are sealed by the
//! vault with the endpoint id as associated data and are returned in plain text only when issued.
//! Endpoint writes bump the app's generation, so no cached answer outlives them.
//!
//! Deliveries are claimed like sync jobs: an update takes due, unclaimed (or lapsed) rows for one
//! dispatcher with a lease (on PostgreSQL with `FOR UPDATE SKIP LOCKED`), so two dispatchers never
//! send the same delivery at once and a dispatcher that died loses its claims when they lapse.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};
use serde_json::Value;
use uuid::Uuid;

use pmsgraph_entity::{customer, event, webhook_attempt, webhook_delivery, webhook_endpoint};

use super::{StoreError, bump_app, now};
use crate::auth::Environment;
use crate::db::Db;
use crate::events::EventType;
use crate::vault::Vault;
use crate::webhooks::signature;

/// Waiting for its next attempt.
pub const PENDING: &str = "PENDING";
/// A 2xx answer was received.
pub const DELIVERED: &str = "DELIVERED";
/// Retried until the retry window closed; a replay makes it PENDING again.
pub const FAILED: &str = "FAILED";

/// Columns of a delivery row, for chunking inserts under the parameter limit.
const DELIVERY_COLUMNS: usize = 16;

/// Who owns endpoints: an app in one environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    pub app_id: Uuid,
    pub environment: Environment,
}

/// What an app registers.
#[derive(Debug, Clone)]
pub struct NewEndpoint {
    pub url: String,
    /// Empty: every type.
    pub event_types: Vec<EventType>,
    pub customer_id: Option<Uuid>,
    pub description: Option<String>,
}

/// Changes to an endpoint; `None` keeps a field.
#[derive(Debug, Clone, Default)]
pub struct EndpointUpdate {
    pub url: Option<String>,
    pub event_types: Option<Vec<EventType>>,
    /// `Some(None)` removes the customer filter.
    pub customer_id: Option<Option<Uuid>>,
    pub description: Option<Option<String>>,
    pub enabled: Option<bool>,
}

fn types_json(types: &[EventType]) -> Value {
    let mut names: Vec<&str> = types.iter().map(|t| t.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    Value::from(names)
}

/// The event types an endpoint receives (empty: all).
pub fn event_types(endpoint: &webhook_endpoint::Model) -> Vec<EventType> {
    let Some(names) = endpoint.event_types.as_array() else { return Vec::new() };
    names.iter().filter_map(Value::as_str).filter_map(|name| name.parse().ok()).collect()
}

fn receives(endpoint: &webhook_endpoint::Model, event: &event::Model) -> bool {
    let customer_ok = endpoint.customer_id.is_none_or(|c| c == event.customer_id);
    let names = endpoint.event_types.as_array();
    let type_ok = names
        .is_none_or(|names| names.is_empty() || names.iter().any(|n| n.as_str() == Some(event.event_type.as_str())));
    endpoint.enabled && customer_ok && type_ok
}

/// A customer id must be one of the owner's customers.
async fn check_customer<C: ConnectionTrait>(db: &C, owner: Owner, customer_id: Uuid) -> Result<(), StoreError> {
    customer::Entity::find_by_id(customer_id)
        .filter(customer::Column::AppId.eq(owner.app_id))
        .filter(customer::Column::Environment.eq(owner.environment.as_str()))
        .one(db)
        .await?
        .map(|_| ())
        .ok_or(StoreError::NotFound("customer"))
}

/// Registers an endpoint; returns it with its signing secret (the only time the secret is shown).
pub async fn create(
    db: &Db,
    vault: &Vault,
    owner: Owner,
    new: NewEndpoint,
) -> Result<(webhook_endpoint::Model, String), StoreError> {
    let txn = db.write.begin().await?;
    if let Some(customer_id) = new.customer_id {
        check_customer(&txn, owner, customer_id).await?;
    }
    let id = Uuid::now_v7();
    let secret = signature::new_secret();
    let sealed = vault.seal(id, secret.as_bytes()).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let at = now();
    let row = webhook_endpoint::ActiveModel {
        id: Set(id),
        app_id: Set(owner.app_id),
        environment: Set(owner.environment.as_str().to_owned()),
        customer_id: Set(new.customer_id),
        url: Set(new.url.trim().to_owned()),
        event_types: Set(types_json(&new.event_types)),
        description: Set(new.description),
        enabled: Set(true),
        secret: Set(sealed),
        previous_secret: Set(None),
        previous_secret_expires_at: Set(None),
        secret_rotated_at: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&txn)
    .await?;
    bump_app(&txn, owner.app_id).await?;
    txn.commit().await?;
    Ok((row, secret))
}

/// One of the owner's endpoints.
pub async fn get<C: ConnectionTrait>(db: &C, owner: Owner, id: Uuid) -> Result<webhook_endpoint::Model, StoreError> {
    webhook_endpoint::Entity::find_by_id(id)
        .filter(webhook_endpoint::Column::AppId.eq(owner.app_id))
        .filter(webhook_endpoint::Column::Environment.eq(owner.environment.as_str()))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("webhook endpoint"))
}

pub async fn update(
    db: &Db,
    owner: Owner,
    id: Uuid,
    update: EndpointUpdate,
) -> Result<webhook_endpoint::Model, StoreError> {
    let txn = db.write.begin().await?;
    let mut row: webhook_endpoint::ActiveModel = get(&txn, owner, id).await?.into();
    if let Some(Some(customer_id)) = update.customer_id {
        check_customer(&txn, owner, customer_id).await?;
    }
    if let Some(url) = update.url {
        row.url = Set(url.trim().to_owned());
    }
    if let Some(types) = update.event_types {
        row.event_types = Set(types_json(&types));
    }
    if let Some(customer_id) = update.customer_id {
        row.customer_id = Set(customer_id);
    }
    if let Some(description) = update.description {
        row.description = Set(description);
    }
    if let Some(enabled) = update.enabled {
        row.enabled = Set(enabled);
    }
    row.updated_at = Set(now());
    let row = row.update(&txn).await?;
    bump_app(&txn, owner.app_id).await?;
    txn.commit().await?;
    Ok(row)
}

/// Deletes an endpoint and its deliveries; false if there was none.
pub async fn delete(db: &Db, owner: Owner, id: Uuid) -> Result<bool, StoreError> {
    let txn = db.write.begin().await?;
    let deleted = webhook_endpoint::Entity::delete_many()
        .filter(webhook_endpoint::Column::Id.eq(id))
        .filter(webhook_endpoint::Column::AppId.eq(owner.app_id))
        .filter(webhook_endpoint::Column::Environment.eq(owner.environment.as_str()))
        .exec(&txn)
        .await?;
    bump_app(&txn, owner.app_id).await?;
    txn.commit().await?;
    Ok(deleted.rows_affected == 1)
}

/// Issues a new secret; the current one keeps signing (as a second signature) for `overlap`.
pub async fn rotate_secret(
    db: &Db,
    vault: &Vault,
    owner: Owner,
    id: Uuid,
    overlap: chrono::Duration,
) -> Result<(webhook_endpoint::Model, String), StoreError> {
    let txn = db.write.begin().await?;
    let current = get(&txn, owner, id).await?;
    let secret = signature::new_secret();
    let sealed = vault.seal(id, secret.as_bytes()).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let at = now();
    let keep_old = overlap > chrono::Duration::zero();
    let mut row: webhook_endpoint::ActiveModel = current.clone().into();
    row.previous_secret = Set(keep_old.then_some(current.secret));
    row.previous_secret_expires_at = Set(keep_old.then_some(at + overlap));
    row.secret = Set(sealed);
    row.secret_rotated_at = Set(Some(at));
    row.updated_at = Set(at);
    let row = row.update(&txn).await?;
    bump_app(&txn, owner.app_id).await?;
    txn.commit().await?;
    Ok((row, secret))
}

/// The secrets that sign a delivery now: the current one, then the previous one during the overlap.
pub fn signing_secrets(
    vault: &Vault,
    endpoint: &webhook_endpoint::Model,
    at: DateTime<Utc>,
) -> Result<Vec<Vec<u8>>, StoreError> {
    let open = |sealed: &[u8]| vault.open(endpoint.id, sealed).map_err(|e| StoreError::Invalid(e.to_string()));
    let mut secrets = vec![open(&endpoint.secret)?];
    if let (Some(previous), Some(until)) = (&endpoint.previous_secret, endpoint.previous_secret_expires_at)
        && until > at
    {
        secrets.push(open(previous)?);
    }
    Ok(secrets)
}

/// Creates the deliveries of freshly appended events, inside the appending transaction: one per
/// event and enabled endpoint of the customer's app and environment that wants it.
pub async fn enqueue<C: ConnectionTrait>(txn: &C, customer_id: Uuid, events: &[event::Model]) -> Result<u64, DbErr> {
    let Some(customer) = customer::Entity::find_by_id(customer_id).one(txn).await? else { return Ok(0) };
    let endpoints = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::AppId.eq(customer.app_id))
        .filter(webhook_endpoint::Column::Environment.eq(customer.environment.as_str()))
        .filter(webhook_endpoint::Column::Enabled.eq(true))
        .all(txn)
        .await?;
    if endpoints.is_empty() {
        return Ok(0);
    }
    let at = now();
    let rows: Vec<webhook_delivery::ActiveModel> = events
        .iter()
        .flat_map(|event| endpoints.iter().filter(|e| receives(e, event)).map(move |endpoint| (endpoint, event)))
        .map(|(endpoint, event)| webhook_delivery::ActiveModel {
            id: Set(Uuid::now_v7()),
            endpoint_id: Set(endpoint.id),
            event_id: Set(event.id),
            event_position: Set(event.position),
            status: Set(PENDING.to_owned()),
            attempts: Set(0),
            next_attempt_at: Set(Some(at)),
            retry_from: Set(at),
            claimed_by: Set(None),
            lease_expires_at: Set(None),
            last_status_code: Set(None),
            last_error: Set(None),
            created_at: Set(at),
            updated_at: Set(at),
            delivered_at: Set(None),
        })
        .collect();
    let count = rows.len() as u64;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(super::ingest::MAX_PARAMS / DELIVERY_COLUMNS).collect();
        webhook_delivery::Entity::insert_many(chunk).exec_without_returning(txn).await?;
    }
    Ok(count)
}

/// A due delivery, claimed, with what sending it needs.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub delivery: webhook_delivery::Model,
    pub endpoint: webhook_endpoint::Model,
    pub event: event::Model,
}

fn claimable(at: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(webhook_delivery::Column::Status.eq(PENDING))
        .add(webhook_delivery::Column::NextAttemptAt.lte(at))
        .add(
            Condition::any()
                .add(webhook_delivery::Column::LeaseExpiresAt.is_null())
                .add(webhook_delivery::Column::LeaseExpiresAt.lt(at)),
        )
}

/// Deliveries of enabled endpoints that are due and unclaimed (or whose claim lapsed).
fn due(at: DateTime<Utc>) -> Condition {
    let mut enabled = sea_orm::sea_query::Query::select();
    enabled
        .column(webhook_endpoint::Column::Id)
        .from(webhook_endpoint::Entity)
        .and_where(webhook_endpoint::Column::Enabled.eq(true));
    claimable(at).add(webhook_delivery::Column::EndpointId.in_subquery(enabled.to_owned()))
}

/// Claims up to `limit` due deliveries of enabled endpoints for `worker`, for `lease`. On
/// PostgreSQL one statement picks and claims them, passing over rows other dispatchers are
/// claiming (`FOR UPDATE SKIP LOCKED`); on SQLite each candidate is claimed by a conditional update.
pub async fn claim_due(
    db: &Db,
    worker: &str,
    lease: std::time::Duration,
    limit: u64,
) -> Result<Vec<Claimed>, StoreError> {
    let at = now();
    let expires = at + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(1));
    let claim = || {
        webhook_delivery::Entity::update_many()
            .col_expr(webhook_delivery::Column::ClaimedBy, Expr::value(worker))
            .col_expr(webhook_delivery::Column::LeaseExpiresAt, Expr::value(expires))
    };
    let deliveries = if db.write.get_database_backend() == DbBackend::Postgres {
        use sea_orm::sea_query::{LockBehavior, LockType, Order, Query};
        let mut pick = Query::select();
        pick.column(webhook_delivery::Column::Id)
            .from(webhook_delivery::Entity)
            .cond_where(due(at))
            .order_by(webhook_delivery::Column::NextAttemptAt, Order::Asc)
            .limit(limit)
            .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
        claim().filter(webhook_delivery::Column::Id.in_subquery(pick.to_owned())).exec_with_returning(&db.write).await?
    } else {
        let candidates: Vec<Uuid> = webhook_delivery::Entity::find()
            .select_only()
            .column(webhook_delivery::Column::Id)
            .filter(due(at))
            .order_by_asc(webhook_delivery::Column::NextAttemptAt)
            .limit(limit)
            .into_tuple()
            .all(&db.read)
            .await?;
        let mut claimed = Vec::with_capacity(candidates.len());
        for id in candidates {
            let rows = claim()
                .filter(webhook_delivery::Column::Id.eq(id))
                .filter(claimable(at))
                .exec_with_returning(&db.write)
                .await?;
            claimed.extend(rows);
        }
        claimed
    };
    if deliveries.is_empty() {
        return Ok(Vec::new());
    }
    let endpoint_ids: Vec<Uuid> = deliveries.iter().map(|d| d.endpoint_id).collect();
    let event_ids: Vec<Uuid> = deliveries.iter().map(|d| d.event_id).collect();
    let endpoints = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::Id.is_in(endpoint_ids))
        .all(&db.write)
        .await?;
    let events = event::Entity::find().filter(event::Column::Id.is_in(event_ids)).all(&db.write).await?;
    Ok(deliveries
        .into_iter()
        .filter_map(|delivery| {
            let endpoint = endpoints.iter().find(|e| e.id == delivery.endpoint_id)?.clone();
            let event = events.iter().find(|e| e.id == delivery.event_id)?.clone();
            Some(Claimed { delivery, endpoint, event })
        })
        .collect())
}

/// How one attempt went.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub attempted_at: DateTime<Utc>,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: i64,
    /// Delivered (a 2xx answer).
    pub delivered: bool,
    /// When to try again after a failure; `None` gives up (FAILED).
    pub retry_at: Option<DateTime<Utc>>,
}

/// Logs an attempt and moves the delivery on (DELIVERED, PENDING at `retry_at`, or FAILED), and
/// releases the claim. Nothing happens if `worker` no longer holds the claim.
pub async fn record_attempt(
    db: &Db,
    delivery: &webhook_delivery::Model,
    worker: &str,
    attempt: &Attempt,
) -> Result<webhook_delivery::Model, StoreError> {
    let txn = db.write.begin().await?;
    let current = webhook_delivery::Entity::find_by_id(delivery.id)
        .one(&txn)
        .await?
        .ok_or(StoreError::NotFound("webhook delivery"))?;
    if current.claimed_by.as_deref() != Some(worker) {
        return Ok(current);
    }
    let number = current.attempts.saturating_add(1);
    webhook_attempt::ActiveModel {
        id: Set(Uuid::now_v7()),
        delivery_id: Set(current.id),
        number: Set(number),
        attempted_at: Set(attempt.attempted_at),
        status_code: Set(attempt.status_code.map(i32::from)),
        error: Set(attempt.error.clone()),
        duration_ms: Set(attempt.duration_ms),
    }
    .insert(&txn)
    .await?;
    let (status, next) = match (attempt.delivered, attempt.retry_at) {
        (true, _) => (DELIVERED, None),
        (false, Some(at)) => (PENDING, Some(at)),
        (false, None) => (FAILED, None),
    };
    let mut row: webhook_delivery::ActiveModel = current.into();
    row.attempts = Set(number);
    row.status = Set(status.to_owned());
    row.next_attempt_at = Set(next);
    row.last_status_code = Set(attempt.status_code.map(i32::from));
    row.last_error = Set(attempt.error.clone());
    row.claimed_by = Set(None);
    row.lease_expires_at = Set(None);
    row.updated_at = Set(now());
    if attempt.delivered {
        row.delivered_at = Set(Some(attempt.attempted_at));
    }
    let row = row.update(&txn).await?;
    txn.commit().await?;
    Ok(row)
}

/// One of the owner's deliveries.
pub async fn delivery(db: &Db, owner: Owner, id: Uuid) -> Result<webhook_delivery::Model, StoreError> {
    let delivery = webhook_delivery::Entity::find_by_id(id)
        .one(&db.read)
        .await?
        .ok_or(StoreError::NotFound("webhook delivery"))?;
    get(&db.read, owner, delivery.endpoint_id).await.map_err(|_| StoreError::NotFound("webhook delivery"))?;
    Ok(delivery)
}

/// Sends a delivery again as soon as possible, whatever its state, with a fresh retry window.
pub async fn replay(db: &Db, owner: Owner, id: Uuid) -> Result<webhook_delivery::Model, StoreError> {
    let current = delivery(db, owner, id).await?;
    let at = now();
    let mut row: webhook_delivery::ActiveModel = current.into();
    row.status = Set(PENDING.to_owned());
    row.next_attempt_at = Set(Some(at));
    row.retry_from = Set(at);
    row.updated_at = Set(at);
    Ok(row.update(&db.write).await?)
}

/// A delivery's attempts, first first.
pub async fn attempts(db: &Db, delivery_id: Uuid) -> Result<Vec<webhook_attempt::Model>, DbErr> {
    webhook_attempt::Entity::find()
        .filter(webhook_attempt::Column::DeliveryId.eq(delivery_id))
        .order_by_asc(webhook_attempt::Column::Number)
        .all(&db.read)
        .await
}

/// Counts of an endpoint's deliveries by status.
pub async fn status_counts(db: &Db, endpoint_id: Uuid) -> Result<Vec<(String, i64)>, DbErr> {
    webhook_delivery::Entity::find()
        .select_only()
        .column(webhook_delivery::Column::Status)
        .column_as(webhook_delivery::Column::Id.count(), "n")
        .filter(webhook_delivery::Column::EndpointId.eq(endpoint_id))
        .group_by(webhook_delivery::Column::Status)
        .into_tuple()
        .all(&db.read)
        .await
}
