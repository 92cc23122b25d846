//! The GraphQL API (DESIGN.md, "GraphQL conventions"): the schema, its query root and filters.
//!
//! Every resolver reads the request's [`RequestCtx`]: the database, the tenant [`Scope`] (every query
//! is restricted to the scope's integrations), the limits, the dataloaders and the cache policy.

/// One page of a synced table's rows (module `$m`, GraphQL type and [`RecordKind`] `$node`) as a
/// connection, with the rows its nodes' selection follows by to-one fields joined in.
macro_rules! synced_page {
    ($ctx:expr, $rc:expr, $select:expr, $page:expr, $m:ident, $node:ident) => {
        $crate::graphql::connection::paginate(
            &$rc.db.read,
            $select,
            $m::Column::Id,
            $page,
            |row| row.id,
            $node,
            $crate::graphql::joins::Join::connection($ctx, RecordKind::$node, &$rc.loaders.prefetched),
        )
        .await?
    };
}

pub mod access;
pub mod connection;
pub mod events;
pub mod ids;
pub mod joins;
pub mod lean;
pub mod limits;
pub mod loaders;
pub mod mutation;
pub mod onboarding_link;
pub mod scalars;
pub mod types;
pub mod webhooks;

use async_graphql::{Context, ID, InputObject, Object, Schema};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr, Query as SqlQuery, SelectStatement, SimpleExpr};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, Select};
use uuid::Uuid;

use pmsgraph_connector_core::{LeaseStatus, Occupancy, RecordKind};
use pmsgraph_entity::{customer, lease, lease_resident, property, resident, unit};

use crate::auth::Environment;
use crate::cache::CachePolicy;
use crate::config::Limits;
use crate::db::Db;
use crate::error::{ApiError, GqlResult};
use crate::scope::Scope;
use connection::{Conn, Page, paginate};
use ids::NodeType;
use loaders::Loaders;
use scalars::Date;
use types::{Customer, Integration, Lease, LeaseResident, Node, Property, Resident, SyncJob, Unit, UnitSpace, Viewer};

pub type PmsSchema = Schema<Query, mutation::Mutation, events::EventSubscription>;

/// Builds the schema with its limits; it needs no database, so `pmsgraph schema` can print it.
/// It enforces the [onboarding-link rules](onboarding_link) on every field of every request.
pub fn build_schema(limits: &Limits, introspection: bool) -> PmsSchema {
    build(limits, introspection, true)
}

/// The same schema without extensions, for requests of an app's token that
/// [`QueryRules::admit`](limits::QueryRules::admit) checked beforehand: every extension wraps each
/// field a request resolves in a boxed future of its own.
pub fn build_app_schema(limits: &Limits, introspection: bool) -> PmsSchema {
    build(limits, introspection, false)
}

/// The request rules of a server's limits.
pub fn query_rules(limits: &Limits, introspection: bool) -> limits::QueryRules {
    limits::QueryRules { max_aliases: limits.max_aliases, introspection }
}

fn build(limits: &Limits, introspection: bool, extensions: bool) -> PmsSchema {
    let mut builder = Schema::build(Query, mutation::Mutation::default(), events::EventSubscription)
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
        .limit_recursive_depth(64)
        .limit_directives(10);
    if extensions {
        builder = builder.extension(query_rules(limits, introspection)).extension(onboarding_link::OnboardingLinkRules);
    }
    if !introspection {
        builder = builder.disable_introspection();
    }
    builder.finish()
}

/// What every resolver of one request needs.
pub struct RequestCtx {
    pub db: Db,
    pub scope: Scope,
    pub limits: Limits,
    pub loaders: Loaders,
    pub cache: CachePolicy,
    /// Runs syncs and data-access checks that mutations start.
    pub worker: crate::sync::Worker,
    /// Allow PMS URLs on private or loopback addresses for production customers (tests only).
    pub allow_private_pms_urls: bool,
    /// Where this server's built-in sandbox PMSs answer, when they are mounted.
    pub sandbox_addr: Option<std::net::SocketAddr>,
}

pub fn rctx<'a>(ctx: &Context<'a>) -> GqlResult<&'a RequestCtx> {
    // Shared by every operation of a batch.
    Ok(ctx
        .data::<std::sync::Arc<RequestCtx>>()
        .map_err(|_| ApiError::internal(std::io::Error::other("request context missing")))?)
}

/// `%text%` for LIKE, with the wildcards of the user's text escaped.
fn like_contains(text: &str) -> LikeExpr {
    let escaped = text.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    LikeExpr::new(format!("%{escaped}%")).escape('\\')
}

fn lower_contains(column: impl sea_orm::sea_query::IntoColumnRef, text: &str) -> SimpleExpr {
    Expr::expr(Func::lower(Expr::col(column))).like(like_contains(text))
}

/// The integrations a filter may see: the scope, narrowed by `customerId` and `integrationId`.
/// An id outside the scope is NOT_FOUND, as if it did not exist.
pub(crate) async fn integrations_for(
    rc: &RequestCtx,
    customer_id: Option<&ID>,
    integration_id: Option<&ID>,
) -> GqlResult<Vec<Uuid>> {
    let mut ids = rc.scope.integration_ids();
    if let Some(id) = customer_id {
        let customer = ids::expect(id, NodeType::Customer, "customerId")?;
        let found =
            rc.loaders.customers.load_one(customer).await.map_err(|e| ApiError::internal(e.as_ref().clone()))?;
        if found.is_none() {
            return Err(ApiError::NotFound("customer").into());
        }
        let of_customer = rc.scope.integrations_of_customer(customer);
        ids.retain(|i| of_customer.contains(i));
    }
    if let Some(id) = integration_id {
        let integration = ids::expect(id, NodeType::Integration, "integrationId")?;
        if !rc.scope.contains_integration(integration) {
            return Err(ApiError::NotFound("integration").into());
        }
        ids.retain(|i| *i == integration);
    }
    Ok(ids)
}

macro_rules! check_in_scope {
    ($rc:expr, $loader:ident, $id:expr, $node:expr, $arg:literal) => {{
        let uuid = ids::expect($id, $node, $arg)?;
        let found = $rc.loaders.$loader.load_one(uuid).await.map_err(|e| ApiError::internal(e.as_ref().clone()))?;
        if found.is_none() {
            return Err(ApiError::NotFound($node.noun()).into());
        }
        uuid
    }};
}

/// Filters of a property's leases.
#[derive(InputObject, Default)]
pub struct LeaseConnectionFilter {
    /// Only leases in these states.
    pub status: Option<Vec<LeaseStatus>>,
    /// Only leases moving in on or after this date.
    pub move_in_from: Option<Date>,
    /// Only leases moving in on or before this date.
    pub move_in_to: Option<Date>,
    /// Only leases changed since this instant.
    pub updated_since: Option<DateTime<Utc>>,
    /// Include leases no longer at the PMS.
    #[graphql(default)]
    pub include_deleted: bool,
}

impl LeaseConnectionFilter {
    pub fn apply(self, mut select: Select<lease::Entity>) -> Select<lease::Entity> {
        if let Some(status) = self.status {
            select = select.filter(lease::Column::Status.is_in(status.iter().map(|s| s.as_str())));
        }
        if let Some(from) = self.move_in_from {
            select = select.filter(lease::Column::MoveInDate.gte(from.0));
        }
        if let Some(to) = self.move_in_to {
            select = select.filter(lease::Column::MoveInDate.lte(to.0));
        }
        if let Some(since) = self.updated_since {
            select = select.filter(lease::Column::UpdatedAt.gte(since));
        }
        if !self.include_deleted {
            select = select.filter(lease::Column::RemoteDeletedAt.is_null());
        }
        select
    }
}

#[derive(InputObject, Default)]
pub struct CustomerFilter {
    /// Customers whose name contains this text (case-insensitive).
    pub name_contains: Option<String>,
}

#[derive(InputObject, Default)]
pub struct PropertyFilter {
    pub customer_id: Option<ID>,
    pub integration_id: Option<ID>,
    /// Properties whose name contains this text (case-insensitive).
    pub name_contains: Option<String>,
    pub updated_since: Option<DateTime<Utc>>,
    #[graphql(default)]
    pub include_deleted: bool,
}

#[derive(InputObject, Default)]
pub struct UnitFilter {
    pub customer_id: Option<ID>,
    pub integration_id: Option<ID>,
    pub property_id: Option<ID>,
    /// Units with exactly this number.
    pub number: Option<String>,
    pub occupancy: Option<Occupancy>,
    pub updated_since: Option<DateTime<Utc>>,
    #[graphql(default)]
    pub include_deleted: bool,
}

#[derive(InputObject, Default)]
pub struct LeaseFilter {
    pub customer_id: Option<ID>,
    pub integration_id: Option<ID>,
    pub property_id: Option<ID>,
    pub unit_id: Option<ID>,
    /// Leases this person is on.
    pub resident_id: Option<ID>,
    /// Leases of units with exactly this number.
    pub unit_number: Option<String>,
    pub status: Option<Vec<LeaseStatus>>,
    pub move_in_from: Option<Date>,
    pub move_in_to: Option<Date>,
    pub updated_since: Option<DateTime<Utc>>,
    #[graphql(default)]
    pub include_deleted: bool,
}

#[derive(InputObject, Default)]
pub struct ResidentFilter {
    pub customer_id: Option<ID>,
    pub integration_id: Option<ID>,
    /// People on a lease at this property.
    pub property_id: Option<ID>,
    /// People on a lease of this unit.
    pub unit_id: Option<ID>,
    /// People on a lease of a unit with exactly this number.
    pub unit_number: Option<String>,
    /// Exact email, case-insensitive.
    pub email: Option<String>,
    /// Every word must appear in the first or last name (case-insensitive).
    pub name: Option<String>,
    /// People whose place on some lease has one of these states.
    pub status: Option<Vec<LeaseStatus>>,
    pub updated_since: Option<DateTime<Utc>>,
    #[graphql(default)]
    pub include_deleted: bool,
}

/// `lease_resident.resident_id` of occupancies matching a condition on the lease / unit.
fn people_where(condition: Condition, join_unit: bool) -> SelectStatement {
    let mut sub = SqlQuery::select();
    sub.column((lease_resident::Entity, lease_resident::Column::ResidentId)).from(lease_resident::Entity).inner_join(
        lease::Entity,
        Expr::col((lease::Entity, lease::Column::Id)).equals((lease_resident::Entity, lease_resident::Column::LeaseId)),
    );
    if join_unit {
        sub.inner_join(
            unit::Entity,
            Expr::col((unit::Entity, unit::Column::Id)).equals((lease::Entity, lease::Column::UnitId)),
        );
    }
    sub.cond_where(
        condition.add(Expr::col((lease_resident::Entity, lease_resident::Column::RemoteDeletedAt)).is_null()),
    );
    sub.to_owned()
}

/// A PMS simulator served by this server, and how a sandbox customer connects to it.
#[derive(async_graphql::SimpleObject)]
pub struct BuiltInSandbox {
    /// ENTRATA, YARDI...
    pub pms: String,
    /// Where it answers.
    pub url: String,
    /// The fields of this PMS's `CredentialsInput` variant for a healthy sandbox customer.
    pub credentials: async_graphql::Json<serde_json::Value>,
}

/// `{"base_url": ...}` as GraphQL inputs name it: `{"baseUrl": ...}` (top-level keys only).
fn camel_case_keys(value: serde_json::Value) -> serde_json::Value {
    let serde_json::Value::Object(map) = value else { return value };
    let camel = |key: &str| {
        let mut out = String::with_capacity(key.len());
        let mut upper = false;
        for c in key.chars() {
            match (c, upper) {
                ('_', _) => upper = true,
                (c, true) => {
                    out.extend(c.to_uppercase());
                    upper = false;
                }
                (c, false) => out.push(c),
            }
        }
        out
    };
    serde_json::Value::Object(map.into_iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (camel(&k), v)).collect())
}

pub struct Query;

#[Object]
impl Query {
    /// The app behind the token.
    async fn viewer(&self, ctx: &Context<'_>) -> GqlResult<Viewer> {
        let rc = rctx(ctx)?;
        let p = rc.scope.principal;
        Ok(Viewer {
            app_id: p.app_id,
            name: rc.scope.app_name.clone(),
            environment: p.environment,
            token_id: p.token_id,
            token_expires_at: p.expires_at,
        })
    }

    /// The built-in sandbox PMSs this server serves, each with the credentials of a healthy
    /// sandbox customer (a `CredentialsInput` variant's fields). A username (or Entrata API key)
    /// of `sandbox+deny=leases,residents` makes the sandbox deny those resources, to show the
    /// data-access gate. Empty for production tokens and when the sandbox is not mounted.
    async fn built_in_sandboxes(&self, ctx: &Context<'_>) -> GqlResult<Vec<BuiltInSandbox>> {
        let rc = rctx(ctx)?;
        let Some(addr) = rc.sandbox_addr.filter(|_| rc.scope.principal.environment == Environment::Sandbox) else {
            return Ok(Vec::new());
        };
        Ok(crate::sandbox::built_in(addr)
            .into_iter()
            .map(|c| BuiltInSandbox {
                pms: c.pms.as_str().to_owned(),
                url: c.base_url,
                credentials: async_graphql::Json(camel_case_keys(c.json)),
            })
            .collect())
    }

    /// Any object by its global id.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> GqlResult<Node> {
        let rc = rctx(ctx)?;
        let (node, uuid) = ids::decode(&id)?;
        let map = |e: std::sync::Arc<sea_orm::DbErr>| ApiError::internal(e.as_ref().clone());
        let l = &rc.loaders;
        let found = match node {
            NodeType::Customer => l.customers.load_one(uuid).await.map_err(map)?.map(|m| Node::Customer(Customer(m))),
            NodeType::Integration => {
                l.integrations.load_one(uuid).await.map_err(map)?.map(|m| Node::Integration(Integration(m)))
            }
            NodeType::Property => l.properties.load_one(uuid).await.map_err(map)?.map(|m| Node::Property(Property(m))),
            NodeType::Unit => l.units.load_one(uuid).await.map_err(map)?.map(|m| Node::Unit(Unit(m))),
            NodeType::UnitSpace => {
                l.unit_spaces.load_one(uuid).await.map_err(map)?.map(|m| Node::UnitSpace(UnitSpace(m)))
            }
            NodeType::Resident => l.residents.load_one(uuid).await.map_err(map)?.map(|m| Node::Resident(Resident(m))),
            NodeType::Lease => l.leases.load_one(uuid).await.map_err(map)?.map(|m| Node::Lease(Lease(m))),
            NodeType::LeaseResident => {
                l.lease_residents.load_one(uuid).await.map_err(map)?.map(|m| Node::LeaseResident(LeaseResident(m)))
            }
            NodeType::SyncJob => {
                rc.cache.forbid();
                l.sync_jobs.load_one(uuid).await.map_err(map)?.map(|m| Node::SyncJob(SyncJob(m)))
            }
            NodeType::Event => l.events.load_one(uuid).await.map_err(map)?.map(|m| Node::Event(events::Event(m))),
            NodeType::WebhookEndpoint | NodeType::WebhookDelivery => webhooks::node(rc, node, uuid).await?,
        };
        Ok(found.ok_or(ApiError::NotFound(node.noun()))?)
    }

    /// The lifecycle event feed, oldest first: keep the last `endCursor` and ask `after` it to get
    /// every later event exactly once (positions are gap-free).
    #[graphql(complexity = "connection::page_cost(first, None, child_complexity)")]
    async fn events(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<events::EventFilter>,
    ) -> GqlResult<events::EventConn> {
        events::page(ctx, first, after, filter).await
    }

    /// The app's webhook endpoints in the token's environment.
    #[graphql(complexity = "connection::page_cost(first, last, child_complexity)")]
    async fn webhook_endpoints(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> GqlResult<Conn<webhooks::WebhookEndpoint>> {
        webhooks::endpoints(ctx, first, after, last, before).await
    }

    /// Matches an app's people to one customer's residents: MATCH when exactly one resident has
    /// the same first name, last name and email (ignoring case and spacing), REVIEW with the
    /// candidates and reasons when they agree in part, NONE otherwise. At most 500 people a call.
    async fn match_residents(
        &self,
        ctx: &Context<'_>,
        customer_id: ID,
        people: Vec<access::PersonInput>,
    ) -> GqlResult<Vec<access::ResidentMatch>> {
        access::match_residents(ctx, &customer_id, people).await
    }

    /// The app's customers in the token's environment.
    #[graphql(complexity = "connection::page_cost(first, last, child_complexity)")]
    async fn customers(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<CustomerFilter>,
    ) -> GqlResult<Conn<Customer>> {
        let rc = rctx(ctx)?;
        let page = Page::new(&rc.limits, first, after, last, before)?;
        let filter = filter.unwrap_or_default();
        let mut select = customer::Entity::find()
            .filter(customer::Column::AppId.eq(rc.scope.principal.app_id))
            .filter(customer::Column::Environment.eq(rc.scope.principal.environment.as_str()));
        if let Some(only) = rc.scope.principal.customer_id {
            select = select.filter(customer::Column::Id.eq(only));
        }
        if let Some(text) = filter.name_contains.as_deref() {
            select = select.filter(lower_contains(customer::Column::Name, text));
        }
        Ok(paginate(&rc.db.read, select, customer::Column::Id, page, |row| row.id, Customer, None).await?)
    }

    /// Properties of every integration the token can see.
    #[graphql(complexity = "connection::page_cost(first, last, child_complexity)")]
    async fn properties(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<PropertyFilter>,
    ) -> GqlResult<Conn<Property>> {
        let rc = rctx(ctx)?;
        let page = Page::new(&rc.limits, first, after, last, before)?;
        let filter = filter.unwrap_or_default();
        let integrations = integrations_for(rc, filter.customer_id.as_ref(), filter.integration_id.as_ref()).await?;
        let mut select = property::Entity::find().filter(property::Column::IntegrationId.is_in(integrations));
        if let Some(text) = filter.name_contains.as_deref() {
            select = select.filter(lower_contains(property::Column::Name, text));
        }
        if let Some(since) = filter.updated_since {
            select = select.filter(property::Column::UpdatedAt.gte(since));
        }
        if !filter.include_deleted {
            select = select.filter(property::Column::RemoteDeletedAt.is_null());
        }
        Ok(synced_page!(ctx, rc, select, page, property, Property))
    }

    /// Units of every integration the token can see.
    #[graphql(complexity = "connection::page_cost(first, last, child_complexity)")]
    async fn units(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<UnitFilter>,
    ) -> GqlResult<Conn<Unit>> {
        let rc = rctx(ctx)?;
        let page = Page::new(&rc.limits, first, after, last, before)?;
        let filter = filter.unwrap_or_default();
        let integrations = integrations_for(rc, filter.customer_id.as_ref(), filter.integration_id.as_ref()).await?;
        let mut select = unit::Entity::find().filter(unit::Column::IntegrationId.is_in(integrations));
        if let Some(id) = filter.property_id.as_ref() {
            let property = check_in_scope!(rc, properties, id, NodeType::Property, "propertyId");
            select = select.filter(unit::Column::PropertyId.eq(property));
        }
        if let Some(number) = filter.number {
            select = select.filter(unit::Column::Number.eq(number));
        }
        if let Some(occupancy) = filter.occupancy {
            select = select.filter(unit::Column::Occupancy.eq(occupancy.as_str()));
        }
        if let Some(since) = filter.updated_since {
            select = select.filter(unit::Column::UpdatedAt.gte(since));
        }
        if !filter.include_deleted {
            select = select.filter(unit::Column::RemoteDeletedAt.is_null());
        }
        Ok(synced_page!(ctx, rc, select, page, unit, Unit))
    }

    /// Leases of every integration the token can see.
    #[graphql(complexity = "connection::page_cost(first, last, child_complexity)")]
    async fn leases(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<LeaseFilter>,
    ) -> GqlResult<Conn<Lease>> {
        let rc = rctx(ctx)?;
        let page = Page::new(&rc.limits, first, after, last, before)?;
        let f = filter.unwrap_or_default();
        let integrations = integrations_for(rc, f.customer_id.as_ref(), f.integration_id.as_ref()).await?;
        let mut select = lease::Entity::find().filter(lease::Column::IntegrationId.is_in(integrations.clone()));
        if let Some(id) = f.property_id.as_ref() {
            let property = check_in_scope!(rc, properties, id, NodeType::Property, "propertyId");
            select = select.filter(lease::Column::PropertyId.eq(property));
        }
        if let Some(id) = f.unit_id.as_ref() {
            let unit = check_in_scope!(rc, units, id, NodeType::Unit, "unitId");
            select = select.filter(lease::Column::UnitId.eq(unit));
        }
        if let Some(id) = f.resident_id.as_ref() {
            let person = check_in_scope!(rc, residents, id, NodeType::Resident, "residentId");
            let mut sub = SqlQuery::select();
            sub.column(lease_resident::Column::LeaseId)
                .from(lease_resident::Entity)
                .and_where(Expr::col(lease_resident::Column::ResidentId).eq(person));
            select = select.filter(lease::Column::Id.in_subquery(sub.to_owned()));
        }
        if let Some(number) = f.unit_number {
            let mut sub = SqlQuery::select();
            sub.column(unit::Column::Id)
                .from(unit::Entity)
                .and_where(Expr::col(unit::Column::Number).eq(number))
                .and_where(Expr::col(unit::Column::IntegrationId).is_in(integrations));
            select = select.filter(lease::Column::UnitId.in_subquery(sub.to_owned()));
        }
        let rest = LeaseConnectionFilter {
            status: f.status,
            move_in_from: f.move_in_from,
            move_in_to: f.move_in_to,
            updated_since: f.updated_since,
            include_deleted: f.include_deleted,
        };
        Ok(synced_page!(ctx, rc, rest.apply(select), page, lease, Lease))
    }

    /// People of every integration the token can see.
    #[graphql(complexity = "connection::page_cost(first, last, child_complexity)")]
    async fn residents(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<ResidentFilter>,
    ) -> GqlResult<Conn<Resident>> {
        let rc = rctx(ctx)?;
        let page = Page::new(&rc.limits, first, after, last, before)?;
        let f = filter.unwrap_or_default();
        let integrations = integrations_for(rc, f.customer_id.as_ref(), f.integration_id.as_ref()).await?;
        let mut select = resident::Entity::find().filter(resident::Column::IntegrationId.is_in(integrations.clone()));
        let mut occupancy = Condition::all();
        let mut narrowed = false;
        let mut join_unit = false;
        if let Some(id) = f.property_id.as_ref() {
            let property = check_in_scope!(rc, properties, id, NodeType::Property, "propertyId");
            occupancy = occupancy.add(Expr::col((lease::Entity, lease::Column::PropertyId)).eq(property));
            narrowed = true;
        }
        if let Some(id) = f.unit_id.as_ref() {
            let unit = check_in_scope!(rc, units, id, NodeType::Unit, "unitId");
            occupancy = occupancy.add(Expr::col((lease::Entity, lease::Column::UnitId)).eq(unit));
            narrowed = true;
        }
        if let Some(number) = f.unit_number {
            occupancy = occupancy
                .add(Expr::col((unit::Entity, unit::Column::Number)).eq(number))
                .add(Expr::col((unit::Entity, unit::Column::IntegrationId)).is_in(integrations));
            narrowed = true;
            join_unit = true;
        }
        if let Some(status) = f.status {
            occupancy = occupancy.add(
                Expr::col((lease_resident::Entity, lease_resident::Column::Status))
                    .is_in(status.iter().map(|s| s.as_str())),
            );
            narrowed = true;
        }
        if narrowed {
            select = select.filter(resident::Column::Id.in_subquery(people_where(occupancy, join_unit)));
        }
        if let Some(email) = f.email.as_deref() {
            select = select
                .filter(Expr::expr(Func::lower(Expr::col(resident::Column::Email))).eq(email.trim().to_lowercase()));
        }
        if let Some(name) = f.name.as_deref() {
            for word in name.split_whitespace() {
                select = select.filter(
                    Condition::any()
                        .add(lower_contains(resident::Column::FirstName, word))
                        .add(lower_contains(resident::Column::LastName, word)),
                );
            }
        }
        if let Some(since) = f.updated_since {
            select = select.filter(resident::Column::UpdatedAt.gte(since));
        }
        if !f.include_deleted {
            select = select.filter(resident::Column::RemoteDeletedAt.is_null());
        }
        Ok(synced_page!(ctx, rc, select, page, resident, Resident))
    }
}
