//! The lifecycle event feed's storage: appending events with gap-free positions, and reading the
//! feed in position order (DESIGN.md, "Access-control semantics": the feed is gap-free).
//!
//! **Why positions are gap-free.** A feed cursor is a position; a reader that was handed position N
//! must never later find an event below N. Ids or sequence values drawn at insert time do not give
//! that on PostgreSQL: two transactions draw 7 and 8, 8 commits first, a reader pages past 8, then
//! 7 commits behind its cursor. So positions are handed out under a transaction-scoped advisory
//! lock (`pg_advisory_xact_lock`) taken before the highest position is read and held until the
//! appending transaction commits: the next appender reads the highest position only after this one
//! has committed, so positions become visible in order. On SQLite every write transaction is
//! already serial (one writing connection), which gives the same order.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, Statement,
};
use serde_json::Value;
use uuid::Uuid;

use pmsgraph_entity::event;

use crate::db::Db;
use crate::events::EventType;

/// The advisory lock that orders feed positions ("pmsgev" in ASCII).
const FEED_LOCK: i64 = 0x706d_7367_6576;

/// Columns of an event row, for chunking inserts under the parameter limit.
const EVENT_COLUMNS: usize = 14;

/// An event before it has a position.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub event_type: EventType,
    pub occurred_at: DateTime<Utc>,
    pub property_id: Option<Uuid>,
    pub unit_id: Option<Uuid>,
    pub lease_id: Option<Uuid>,
    pub resident_id: Option<Uuid>,
    pub lease_resident_id: Option<Uuid>,
    pub data: Value,
}

/// Appends events of one integration to the feed, inside the caller's transaction, and returns
/// them with their positions, creating their webhook deliveries in the same transaction. Call it
/// last in the transaction: the feed lock is held until commit.
pub async fn append<C: ConnectionTrait>(
    txn: &C,
    integration_id: Uuid,
    customer_id: Uuid,
    sync_job_id: Option<Uuid>,
    events: Vec<NewEvent>,
) -> Result<Vec<event::Model>, DbErr> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT pg_advisory_xact_lock({FEED_LOCK})"),
        ))
        .await?;
    }
    let mut next = last_position(txn).await?;
    let rows: Vec<event::Model> = events
        .into_iter()
        .map(|e| {
            next += 1;
            event::Model {
                id: Uuid::now_v7(),
                position: next,
                integration_id,
                customer_id,
                sync_job_id,
                event_type: e.event_type.as_str().to_owned(),
                occurred_at: e.occurred_at,
                property_id: e.property_id,
                unit_id: e.unit_id,
                lease_id: e.lease_id,
                resident_id: e.resident_id,
                lease_resident_id: e.lease_resident_id,
                data: e.data,
            }
        })
        .collect();
    for chunk in rows.chunks(super::ingest::MAX_PARAMS / EVENT_COLUMNS) {
        let models = chunk.iter().cloned().map(|row| event::ActiveModel {
            id: Set(row.id),
            position: Set(row.position),
            integration_id: Set(row.integration_id),
            customer_id: Set(row.customer_id),
            sync_job_id: Set(row.sync_job_id),
            event_type: Set(row.event_type),
            occurred_at: Set(row.occurred_at),
            property_id: Set(row.property_id),
            unit_id: Set(row.unit_id),
            lease_id: Set(row.lease_id),
            resident_id: Set(row.resident_id),
            lease_resident_id: Set(row.lease_resident_id),
            data: Set(row.data),
        });
        event::Entity::insert_many(models).exec_without_returning(txn).await?;
    }
    // Deliveries commit with their events: a committed event always has its webhooks owed.
    super::webhooks::enqueue(txn, customer_id, &rows).await?;
    Ok(rows)
}

/// What part of the feed to read.
#[derive(Debug, Clone, Default)]
pub struct FeedQuery {
    /// The integrations the reader may see (its tenant scope, narrowed by customer).
    pub integration_ids: Vec<Uuid>,
    pub types: Option<Vec<EventType>>,
    pub property_id: Option<Uuid>,
    /// Only events that occurred at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// Only events after this position.
    pub after: Option<i64>,
}

impl FeedQuery {
    fn select(&self) -> sea_orm::Select<event::Entity> {
        let mut select =
            event::Entity::find().filter(event::Column::IntegrationId.is_in(self.integration_ids.iter().copied()));
        if let Some(types) = &self.types {
            select = select.filter(event::Column::EventType.is_in(types.iter().map(|t| t.as_str())));
        }
        if let Some(property) = self.property_id {
            select = select.filter(event::Column::PropertyId.eq(property));
        }
        if let Some(since) = self.since {
            select = select.filter(event::Column::OccurredAt.gte(since));
        }
        if let Some(after) = self.after {
            select = select.filter(event::Column::Position.gt(after));
        }
        select
    }
}

/// Up to `limit` events of the feed, in position order.
pub async fn read(db: &Db, query: &FeedQuery, limit: u64) -> Result<Vec<event::Model>, DbErr> {
    if query.integration_ids.is_empty() {
        return Ok(Vec::new());
    }
    query.select().order_by_asc(event::Column::Position).limit(limit).all(&db.read).await
}

/// How many events match (ignoring `after`).
pub async fn count(db: &Db, query: &FeedQuery) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    if query.integration_ids.is_empty() {
        return Ok(0);
    }
    FeedQuery { after: None, ..query.clone() }.select().count(&db.read).await
}

/// The highest position in the feed (0 when empty): where a live subscription starts.
pub async fn head(db: &Db) -> Result<i64, DbErr> {
    last_position(&db.read).await
}

async fn last_position<C: ConnectionTrait>(db: &C) -> Result<i64, DbErr> {
    let last: Option<Option<i64>> = event::Entity::find()
        .select_only()
        .column_as(event::Column::Position.max(), "position")
        .into_tuple()
        .one(db)
        .await?;
    Ok(last.flatten().unwrap_or(0))
}
