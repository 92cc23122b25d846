//! Webhooks in GraphQL: an app's endpoints (`webhookEndpoints`), their deliveries and attempt
//! logs, and the mutations that register, change, rotate and replay (see [`crate::webhooks`]).
//!
//! Endpoints belong to the token's app and environment; an id of another app's endpoint is
//! NOT_FOUND. A secret is shown once, in the payload of the mutation that issues it. Delivery
//! states change without a sync, so answers that show them are never cached.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use pmsgraph_entity::{webhook_attempt, webhook_delivery, webhook_endpoint};

use super::connection::{Conn, Page, paginate};
use super::events::Event;
use super::ids::{self, NodeType};
use super::types::Customer;
use super::{RequestCtx, rctx};
use crate::error::{ApiError, GqlResult};
use crate::events::EventType;
use crate::store::StoreError;
use crate::store::webhooks::{self as store, EndpointUpdate, NewEndpoint, Owner};

/// The longest overlap of an old and a new secret after a rotation (7 days).
const MAX_OVERLAP_SECS: i32 = 7 * 24 * 3600;

fn owner(rc: &RequestCtx) -> Owner {
    Owner { app_id: rc.scope.principal.app_id, environment: rc.scope.principal.environment }
}

/// A registered webhook receiver.
pub struct WebhookEndpoint(pub webhook_endpoint::Model);

#[Object]
impl WebhookEndpoint {
    pub async fn id(&self) -> ID {
        ids::encode(NodeType::WebhookEndpoint, self.0.id)
    }
    async fn url(&self) -> &str {
        &self.0.url
    }
    /// The event types delivered; empty means every type.
    async fn event_types(&self) -> Vec<EventType> {
        store::event_types(&self.0)
    }
    /// Only this customer's events, if set.
    async fn customer(&self, ctx: &Context<'_>) -> GqlResult<Option<Customer>> {
        let Some(id) = self.0.customer_id else { return Ok(None) };
        let rc = rctx(ctx)?;
        let row = rc.loaders.customers.load_one(id).await.map_err(|e| ApiError::internal(e.as_ref().clone()))?;
        Ok(row.map(Customer))
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// A disabled endpoint gets no new deliveries, and its pending ones wait.
    async fn enabled(&self) -> bool {
        self.0.enabled
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn secret_rotated_at(&self) -> Option<DateTime<Utc>> {
        self.0.secret_rotated_at
    }
    /// Until when the secret before the last rotation still signs (as a second `v1=` signature).
    async fn previous_secret_expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.previous_secret_expires_at.filter(|at| *at > Utc::now())
    }
    /// How many deliveries are in each state.
    async fn delivery_counts(&self, ctx: &Context<'_>) -> GqlResult<Vec<DeliveryCount>> {
        let rc = rctx(ctx)?;
        rc.cache.forbid();
        let counts = store::status_counts(&rc.db, self.0.id).await?;
        Ok(counts
            .into_iter()
            .filter_map(|(status, count)| Some(DeliveryCount { status: DeliveryStatus::parse(&status)?, count }))
            .collect())
    }
    /// The endpoint's deliveries, oldest first (use `last` for the newest).
    #[graphql(complexity = "super::connection::page_cost(first, last, child_complexity)")]
    async fn deliveries(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        status: Option<DeliveryStatus>,
    ) -> GqlResult<Conn<WebhookDelivery>> {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let rc = rctx(ctx)?;
        rc.cache.forbid();
        let page = Page::new(&rc.limits, first, after, last, before)?;
        let mut select = webhook_delivery::Entity::find().filter(webhook_delivery::Column::EndpointId.eq(self.0.id));
        if let Some(status) = status {
            select = select.filter(webhook_delivery::Column::Status.eq(status.as_str()));
        }
        Ok(paginate(&rc.db.read, select, webhook_delivery::Column::Id, page, |row| row.id, WebhookDelivery, None)
            .await?)
    }
}

/// Where a delivery stands.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Waiting for its next attempt.
    Pending,
    /// The endpoint answered 2xx.
    Delivered,
    /// Retried until the retry window closed; `replayWebhookDelivery` sends it again.
    Failed,
}

impl DeliveryStatus {
    const fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => store::PENDING,
            DeliveryStatus::Delivered => store::DELIVERED,
            DeliveryStatus::Failed => store::FAILED,
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [DeliveryStatus::Pending, DeliveryStatus::Delivered, DeliveryStatus::Failed]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

#[derive(SimpleObject)]
pub struct DeliveryCount {
    pub status: DeliveryStatus,
    pub count: i64,
}

/// One event owed to one endpoint.
pub struct WebhookDelivery(pub webhook_delivery::Model);

#[Object]
impl WebhookDelivery {
    pub async fn id(&self) -> ID {
        ids::encode(NodeType::WebhookDelivery, self.0.id)
    }
    async fn status(&self, ctx: &Context<'_>) -> GqlResult<DeliveryStatus> {
        rctx(ctx)?.cache.forbid();
        Ok(DeliveryStatus::parse(&self.0.status)
            .ok_or_else(|| ApiError::internal(std::io::Error::other("unknown delivery status")))?)
    }
    /// The event delivered (its id is the body's `id` and the `Pmsgraph-Event-Id` header).
    async fn event(&self, ctx: &Context<'_>) -> GqlResult<Option<Event>> {
        let rc = rctx(ctx)?;
        let row =
            rc.loaders.events.load_one(self.0.event_id).await.map_err(|e| ApiError::internal(e.as_ref().clone()))?;
        Ok(row.map(Event))
    }
    /// Attempts made so far.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    /// When the next attempt is due (PENDING only).
    async fn next_attempt_at(&self) -> Option<DateTime<Utc>> {
        self.0.next_attempt_at
    }
    async fn last_status_code(&self) -> Option<i32> {
        self.0.last_status_code
    }
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.0.delivered_at
    }
    /// Every attempt, first first.
    async fn attempt_log(&self, ctx: &Context<'_>) -> GqlResult<Vec<WebhookAttempt>> {
        let rc = rctx(ctx)?;
        rc.cache.forbid();
        Ok(store::attempts(&rc.db, self.0.id).await?.into_iter().map(WebhookAttempt).collect())
    }
}

/// One try at a delivery.
pub struct WebhookAttempt(pub webhook_attempt::Model);

#[Object]
impl WebhookAttempt {
    /// 1 for the first attempt.
    async fn number(&self) -> i32 {
        self.0.number
    }
    async fn attempted_at(&self) -> DateTime<Utc> {
        self.0.attempted_at
    }
    /// The endpoint's HTTP status, if it answered.
    async fn status_code(&self) -> Option<i32> {
        self.0.status_code
    }
    /// Why the attempt failed: a non-2xx answer, a timeout, a refused connection...
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
    async fn duration_ms(&self) -> i64 {
        self.0.duration_ms
    }
}

/// A new endpoint.
#[derive(InputObject)]
pub struct WebhookEndpointInput {
    /// Where to POST events: https and a public address for production tokens.
    pub url: String,
    /// Only these event types (default: all).
    pub event_types: Option<Vec<EventType>>,
    /// Only this customer's events (default: every customer of the app in this environment).
    pub customer_id: Option<ID>,
    pub description: Option<String>,
}

/// Changes to an endpoint; omitted fields stay as they are.
#[derive(InputObject, Default)]
pub struct WebhookEndpointUpdateInput {
    pub url: Option<String>,
    /// The event types delivered (an empty list: all).
    pub event_types: Option<Vec<EventType>>,
    /// Narrow to one customer.
    pub customer_id: Option<ID>,
    /// Remove the customer filter.
    #[graphql(default)]
    pub all_customers: bool,
    pub description: Option<String>,
    pub enabled: Option<bool>,
}

/// An endpoint with a freshly issued signing secret.
#[derive(SimpleObject)]
pub struct WebhookSecretPayload {
    pub endpoint: WebhookEndpoint,
    /// The signing secret, shown this once: verify `Pmsgraph-Signature` with it.
    pub secret: String,
}

fn check_url(rc: &RequestCtx, url: &str) -> GqlResult<()> {
    crate::onboarding::check_webhook_url(url, rc.scope.principal.environment, rc.allow_private_pms_urls)?;
    Ok(())
}

async fn customer_id(rc: &RequestCtx, id: &ID) -> GqlResult<uuid::Uuid> {
    let uuid = ids::expect(id, NodeType::Customer, "customerId")?;
    let found = rc.loaders.customers.load_one(uuid).await.map_err(|e| ApiError::internal(e.as_ref().clone()))?;
    found.map(|c| c.id).ok_or_else(|| ApiError::NotFound("customer").into())
}

fn endpoint_id(id: &ID) -> GqlResult<uuid::Uuid> {
    Ok(ids::expect(id, NodeType::WebhookEndpoint, "id")?)
}

/// `webhookEndpoints`: the app's endpoints in the token's environment.
pub async fn endpoints(
    ctx: &Context<'_>,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> GqlResult<Conn<WebhookEndpoint>> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let rc = rctx(ctx)?;
    rc.cache.forbid();
    let page = Page::new(&rc.limits, first, after, last, before)?;
    let owner = owner(rc);
    let select = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::AppId.eq(owner.app_id))
        .filter(webhook_endpoint::Column::Environment.eq(owner.environment.as_str()));
    Ok(paginate(&rc.db.read, select, webhook_endpoint::Column::Id, page, |row| row.id, WebhookEndpoint, None).await?)
}

/// `node(id)` of an endpoint or a delivery of the app's.
pub async fn node(rc: &RequestCtx, node: NodeType, id: uuid::Uuid) -> GqlResult<Option<super::types::Node>> {
    rc.cache.forbid();
    fn found<T>(result: Result<T, StoreError>) -> Result<Option<T>, StoreError> {
        match result {
            Ok(row) => Ok(Some(row)),
            Err(StoreError::NotFound(_)) => Ok(None),
            Err(other) => Err(other),
        }
    }
    let owner = owner(rc);
    Ok(match node {
        NodeType::WebhookEndpoint => found(store::get(&rc.db.read, owner, id).await)?
            .map(|m| super::types::Node::WebhookEndpoint(WebhookEndpoint(m))),
        NodeType::WebhookDelivery => found(store::delivery(&rc.db, owner, id).await)?
            .map(|m| super::types::Node::WebhookDelivery(WebhookDelivery(m))),
        _ => None,
    })
}

/// The webhook mutations, merged into the mutation root.
#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Registers a webhook endpoint for the token's app and environment. The payload holds the
    /// signing secret, shown this once.
    async fn create_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: WebhookEndpointInput,
    ) -> GqlResult<WebhookSecretPayload> {
        let rc = rctx(ctx)?;
        rc.cache.forbid();
        check_url(rc, &input.url)?;
        let customer_id = match &input.customer_id {
            Some(id) => Some(customer_id(rc, id).await?),
            None => None,
        };
        let new = NewEndpoint {
            url: input.url,
            event_types: input.event_types.unwrap_or_default(),
            customer_id,
            description: input.description,
        };
        let (row, secret) = store::create(&rc.db, rc.worker.vault(), owner(rc), new).await?;
        Ok(WebhookSecretPayload { endpoint: WebhookEndpoint(row), secret })
    }

    /// Changes an endpoint's URL, event types, customer filter, description or enabled state.
    async fn update_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: WebhookEndpointUpdateInput,
    ) -> GqlResult<WebhookEndpoint> {
        let rc = rctx(ctx)?;
        rc.cache.forbid();
        let id = endpoint_id(&id)?;
        if let Some(url) = &input.url {
            check_url(rc, url)?;
        }
        let customer = match (&input.customer_id, input.all_customers) {
            (Some(_), true) => return Err(ApiError::bad_input("give customerId or allCustomers, not both").into()),
            (Some(id), false) => Some(Some(customer_id(rc, id).await?)),
            (None, true) => Some(None),
            (None, false) => None,
        };
        let update = EndpointUpdate {
            url: input.url,
            event_types: input.event_types,
            customer_id: customer,
            description: input.description.map(Some),
            enabled: input.enabled,
        };
        Ok(WebhookEndpoint(store::update(&rc.db, owner(rc), id, update).await?))
    }

    /// Deletes an endpoint and its delivery log.
    async fn delete_webhook_endpoint(&self, ctx: &Context<'_>, id: ID) -> GqlResult<bool> {
        let rc = rctx(ctx)?;
        rc.cache.forbid();
        let id = endpoint_id(&id)?;
        if !store::delete(&rc.db, owner(rc), id).await? {
            return Err(ApiError::NotFound("webhook endpoint").into());
        }
        Ok(true)
    }

    /// Issues a new signing secret. For `overlapSeconds` (default a day, at most 7 days) deliveries
    /// carry a second signature made with the old secret, so receivers can switch without a gap.
    async fn rotate_webhook_secret(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(default = 86400)] overlap_seconds: i32,
    ) -> GqlResult<WebhookSecretPayload> {
        let rc = rctx(ctx)?;
        rc.cache.forbid();
        let id = endpoint_id(&id)?;
        if !(0..=MAX_OVERLAP_SECS).contains(&overlap_seconds) {
            return Err(
                ApiError::bad_input(format!("`overlapSeconds` must be between 0 and {MAX_OVERLAP_SECS}")).into()
            );
        }
        let overlap = chrono::Duration::seconds(i64::from(overlap_seconds));
        let (row, secret) = store::rotate_secret(&rc.db, rc.worker.vault(), owner(rc), id, overlap).await?;
        Ok(WebhookSecretPayload { endpoint: WebhookEndpoint(row), secret })
    }

    /// Sends a delivery again as soon as possible (delivered or failed alike), with the same event
    /// id, and a fresh retry window.
    async fn replay_webhook_delivery(&self, ctx: &Context<'_>, id: ID) -> GqlResult<WebhookDelivery> {
        let rc = rctx(ctx)?;
        rc.cache.forbid();
        let id = ids::expect(&id, NodeType::WebhookDelivery, "id")?;
        Ok(WebhookDelivery(store::replay(&rc.db, owner(rc), id).await?))
    }
}
