//! The lifecycle event feed in GraphQL: the `Event` object, the `events` connection, paged by
//! feed position (gap-free: see [`crate::store::events`]), so a client that stores the last cursor
//! it saw and asks for `after` it never misses an event, however syncs commit; and the live
//! `events` subscription (graphql-ws), which reads the same feed by position as events commit.

use async_graphql::connection::{Connection, CursorType, Edge, EmptyFields};
use async_graphql::{Context, ID, InputObject, Json, Object, SimpleObject, Subscription};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use futures::Stream;
use serde_json::Value;
use uuid::Uuid;

use pmsgraph_entity::event;

use super::ids::{self, NodeType};
use super::rctx;
use super::types::{Customer, Integration, Lease, LeaseResident, Property, Resident, Unit};
use crate::error::{ApiError, GqlResult};
use crate::events::EventType;
use crate::store::events::{self as feed, FeedQuery};

/// A feed cursor: the position of the last event seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PositionCursor(pub i64);

impl CursorType for PositionCursor {
    type Error = ApiError;

    fn decode_cursor(s: &str) -> Result<Self, Self::Error> {
        URL_SAFE_NO_PAD
            .decode(s.trim())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|text| text.strip_prefix("event:").and_then(|n| n.parse::<i64>().ok()))
            .filter(|n| *n >= 0)
            .map(PositionCursor)
            .ok_or_else(|| ApiError::bad_input(format!("`{s}` is not a valid event cursor")))
    }

    fn encode_cursor(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("event:{}", self.0))
    }
}

/// Which events to read.
#[derive(InputObject, Default)]
pub struct EventFilter {
    /// Only events of these types.
    pub types: Option<Vec<EventType>>,
    pub customer_id: Option<ID>,
    pub integration_id: Option<ID>,
    pub property_id: Option<ID>,
    /// Only events that occurred at or after this instant.
    pub since: Option<DateTime<Utc>>,
}

/// The old and new value of one changed field.
#[derive(SimpleObject)]
pub struct FieldChange {
    /// The field's name, as the API names it (`moveOutDate`, `email`...).
    pub field: String,
    pub old: Json<Value>,
    pub new: Json<Value>,
}

/// The part of an event's `data` for a transfer.
#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Place {
    property_id: Option<Uuid>,
    unit_id: Option<Uuid>,
    lease_id: Option<Uuid>,
}

/// One lifecycle event: what happened to a lease or a person, when pmsgraph saw it.
#[derive(Clone)]
pub struct Event(pub event::Model);

macro_rules! load_opt {
    ($ctx:expr, $loader:ident, $id:expr, $ty:ident) => {{
        let Some(id) = $id else { return Ok(None) };
        let rc = rctx($ctx)?;
        Ok(rc.loaders.$loader.load_one(id).await.map_err(|e| ApiError::internal(e.as_ref().clone()))?.map($ty))
    }};
}

impl Event {
    fn previous(&self) -> Place {
        self.0.data.get("from").cloned().and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default()
    }
}

#[Object]
impl Event {
    pub async fn id(&self) -> ID {
        ids::encode(NodeType::Event, self.0.id)
    }
    /// The event's place in the feed: strictly increasing in commit order.
    async fn position(&self) -> i64 {
        self.0.position
    }
    #[graphql(name = "type")]
    async fn event_type(&self) -> GqlResult<EventType> {
        Ok(self.0.event_type.parse::<EventType>().map_err(ApiError::internal)?)
    }
    /// When pmsgraph saw the change (the sync that found it).
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
    async fn customer(&self, ctx: &Context<'_>) -> GqlResult<Option<Customer>> {
        load_opt!(ctx, customers, Some(self.0.customer_id), Customer)
    }
    async fn integration(&self, ctx: &Context<'_>) -> GqlResult<Option<Integration>> {
        load_opt!(ctx, integrations, Some(self.0.integration_id), Integration)
    }
    async fn property(&self, ctx: &Context<'_>) -> GqlResult<Option<Property>> {
        load_opt!(ctx, properties, self.0.property_id, Property)
    }
    async fn unit(&self, ctx: &Context<'_>) -> GqlResult<Option<Unit>> {
        load_opt!(ctx, units, self.0.unit_id, Unit)
    }
    async fn lease(&self, ctx: &Context<'_>) -> GqlResult<Option<Lease>> {
        load_opt!(ctx, leases, self.0.lease_id, Lease)
    }
    async fn resident(&self, ctx: &Context<'_>) -> GqlResult<Option<Resident>> {
        load_opt!(ctx, residents, self.0.resident_id, Resident)
    }
    /// The person's place on the lease, for events about one person on one lease.
    async fn lease_resident(&self, ctx: &Context<'_>) -> GqlResult<Option<LeaseResident>> {
        load_opt!(ctx, lease_residents, self.0.lease_resident_id, LeaseResident)
    }
    /// For TRANSFERRED: the lease the person moved from (the event's `lease` is the new one).
    async fn previous_lease(&self, ctx: &Context<'_>) -> GqlResult<Option<Lease>> {
        load_opt!(ctx, leases, self.previous().lease_id, Lease)
    }
    /// For TRANSFERRED: the unit the person moved from.
    async fn previous_unit(&self, ctx: &Context<'_>) -> GqlResult<Option<Unit>> {
        load_opt!(ctx, units, self.previous().unit_id, Unit)
    }
    /// For TRANSFERRED: the property the person moved from.
    async fn previous_property(&self, ctx: &Context<'_>) -> GqlResult<Option<Property>> {
        load_opt!(ctx, properties, self.previous().property_id, Property)
    }
    /// The fields whose change this event reports, with their old and new values.
    async fn changes(&self) -> Vec<FieldChange> {
        let Some(Value::Object(changes)) = self.0.data.get("changes") else { return Vec::new() };
        changes
            .iter()
            .map(|(field, pair)| FieldChange {
                field: field.clone(),
                old: Json(pair.get("old").cloned().unwrap_or(Value::Null)),
                new: Json(pair.get("new").cloned().unwrap_or(Value::Null)),
            })
            .collect()
    }
    /// Everything pmsgraph recorded with the event (the counts of an INITIAL_SYNC_COMPLETED, the
    /// record kind and remote id of a REMOTE_DELETED...).
    async fn data(&self) -> Json<Value> {
        Json(self.0.data.clone())
    }
}

/// `totalCount` of an event connection.
pub struct EventTotal {
    query: FeedQuery,
}

#[Object]
impl EventTotal {
    /// How many events match, across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> GqlResult<i64> {
        let rc = rctx(ctx)?;
        Ok(i64::try_from(feed::count(&rc.db, &self.query).await?).unwrap_or(i64::MAX))
    }
}

pub type EventConn = Connection<PositionCursor, Event, EventTotal, EmptyFields>;

/// The feed query a filter describes, within the request's scope.
pub async fn feed_query(ctx: &Context<'_>, filter: EventFilter, after: Option<i64>) -> GqlResult<FeedQuery> {
    let rc = rctx(ctx)?;
    let integration_ids =
        super::integrations_for(rc, filter.customer_id.as_ref(), filter.integration_id.as_ref()).await?;
    let property_id =
        filter.property_id.as_ref().map(|id| ids::expect(id, NodeType::Property, "propertyId")).transpose()?;
    Ok(FeedQuery { integration_ids, types: filter.types, property_id, since: filter.since, after })
}

/// One page of the feed, oldest first.
pub async fn page(
    ctx: &Context<'_>,
    first: Option<i32>,
    after: Option<String>,
    filter: Option<EventFilter>,
) -> GqlResult<EventConn> {
    let rc = rctx(ctx)?;
    let size = match first {
        None => rc.limits.default_page_size,
        Some(n) => usize::try_from(n)
            .ok()
            .filter(|n| *n <= rc.limits.max_page_size)
            .ok_or_else(|| ApiError::bad_input(format!("`first` must be between 0 and {}", rc.limits.max_page_size)))?,
    };
    let after = after.as_deref().map(PositionCursor::decode_cursor).transpose()?.map(|c| c.0);
    let query = feed_query(ctx, filter.unwrap_or_default(), after).await?;
    let mut rows = feed::read(&rc.db, &query, size as u64 + 1).await?;
    let more = rows.len() > size;
    rows.truncate(size);
    let mut connection = Connection::with_additional_fields(after.is_some(), more, EventTotal { query });
    connection.edges.extend(rows.into_iter().map(|row| Edge::new(PositionCursor(row.position), Event(row))));
    Ok(connection)
}

/// The token a subscription was opened with, rechecked while it runs.
#[derive(Clone)]
pub struct SubscriptionAuth {
    /// The `Authorization` value (`Bearer ...`).
    pub authorization: String,
    pub tokens: crate::auth::Tokens,
    /// How often to look for new events.
    pub poll: std::time::Duration,
}

/// How many polls between two checks that the token is still valid and the scope unchanged.
const RECHECK_EVERY: u32 = 20;

/// The subscription root.
#[derive(Default)]
pub struct EventSubscription;

#[Subscription(name = "Subscription")]
impl EventSubscription {
    /// Lifecycle events as they commit, in feed order, over graphql-ws at `/graphql/ws`. With
    /// `after` (an `events` cursor), the events after it come first, so a client that reconnects
    /// with the last cursor it saw misses nothing. The stream ends when the token is revoked or
    /// expires, or when the app's customers or integrations change (subscribe again to see them).
    async fn events(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        filter: Option<EventFilter>,
    ) -> async_graphql::Result<impl Stream<Item = Event>> {
        Ok(live(ctx, after, filter).await?)
    }
}

/// The stream of the `events` subscription.
async fn live(
    ctx: &Context<'_>,
    after: Option<String>,
    filter: Option<EventFilter>,
) -> GqlResult<impl Stream<Item = Event> + use<>> {
    let rc: std::sync::Arc<super::RequestCtx> = ctx
        .data::<std::sync::Arc<super::RequestCtx>>()
        .map_err(|_| ApiError::internal(std::io::Error::other("request context missing")))?
        .clone();
    let auth = ctx
        .data::<SubscriptionAuth>()
        .map_err(|_| ApiError::bad_input("subscriptions are served over graphql-ws at /graphql/ws"))?
        .clone();
    let after = after.as_deref().map(PositionCursor::decode_cursor).transpose()?.map(|c| c.0);
    let start = match after {
        Some(position) => position,
        None => feed::head(&rc.db).await?,
    };
    let mut query = feed_query(ctx, filter.unwrap_or_default(), Some(start)).await?;
    let batch = rc.limits.max_page_size as u64;
    Ok(async_stream::stream! {
        let mut ticker = tokio::time::interval(auth.poll);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut polls = 0u32;
        loop {
            ticker.tick().await;
            polls = polls.wrapping_add(1);
            if polls.is_multiple_of(RECHECK_EVERY) && !still_valid(&rc, &auth).await {
                break;
            }
            match feed::read(&rc.db, &query, batch).await {
                Ok(rows) => {
                    for row in rows {
                        query.after = Some(row.position);
                        yield Event(row);
                    }
                }
                Err(err) => tracing::warn!(error = %err, "an events subscription cannot read the feed"),
            }
        }
    })
}

/// Whether a subscription may go on: its token still authenticates, and its scope still holds the
/// same integrations. A database error keeps it going (the next check decides).
async fn still_valid(rc: &super::RequestCtx, auth: &SubscriptionAuth) -> bool {
    match auth.tokens.authenticate(&rc.db, Some(&auth.authorization)).await {
        Ok(scope) => scope.integration_ids() == rc.scope.integration_ids(),
        Err(ApiError::Internal(_)) => true,
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_bad_input() {
        let cursor = PositionCursor(42);
        assert_eq!(PositionCursor::decode_cursor(&cursor.encode_cursor()).expect("decodes"), cursor);
        for bad in ["", "abc", &URL_SAFE_NO_PAD.encode("event:-1"), &URL_SAFE_NO_PAD.encode("lease:4")] {
            assert!(PositionCursor::decode_cursor(bad).is_err(), "{bad}");
        }
    }
}
