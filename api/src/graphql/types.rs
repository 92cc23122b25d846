//! GraphQL object types of the normalized model (DESIGN.md, "Normalized model").
//!
//! Each synced type carries the common fields (`id`, `remoteId`, `createdAt`, `updatedAt`,
//! `lastSeenAt`, `remoteDeletedAt`, `remoteData`, `integration`); the `synced_object!` macro writes
//! them once. Nested objects load through the request's dataloaders.

use async_graphql::{Context, ID, Interface, Json, Object, SimpleObject};
use chrono::{DateTime, NaiveTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use pmsgraph_connector_core::{LeaseStatus, Occupancy, RecordKind, ResidentRole};
use pmsgraph_entity::{customer, integration, lease, lease_resident, property, resident, sync_job, unit, unit_space};

use super::connection::{Conn, Page, paginate};
use super::ids::{self, NodeType};
use super::lean;
use super::scalars::Date;
use super::{LeaseConnectionFilter, rctx};
use crate::auth::Environment;
use crate::error::{ApiError, GqlResult};

/// Any object with a global id.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "The global, opaque id of this object."))]
pub enum Node {
    Customer(Customer),
    Integration(Integration),
    Property(Property),
    Unit(Unit),
    UnitSpace(UnitSpace),
    Resident(Resident),
    Lease(Lease),
    LeaseResident(LeaseResident),
    SyncJob(SyncJob),
    Event(super::events::Event),
    WebhookEndpoint(super::webhooks::WebhookEndpoint),
    WebhookDelivery(super::webhooks::WebhookDelivery),
}

/// The app behind the token, and the environment the token sees.
pub struct Viewer {
    pub app_id: uuid::Uuid,
    pub name: String,
    pub environment: Environment,
    pub token_id: uuid::Uuid,
    pub token_expires_at: DateTime<Utc>,
}

#[Object]
impl Viewer {
    async fn app_id(&self) -> ID {
        ID(self.app_id.to_string())
    }
    async fn name(&self) -> &str {
        &self.name
    }
    /// SANDBOX or PRODUCTION: the only customers this token can see.
    async fn environment(&self) -> Environment {
        self.environment
    }
    async fn token_id(&self) -> ID {
        ID(self.token_id.to_string())
    }
    async fn token_expires_at(&self) -> DateTime<Utc> {
        self.token_expires_at
    }
}

fn parse<T: std::str::FromStr>(word: &str) -> GqlResult<T>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    Ok(word.parse::<T>().map_err(ApiError::internal)?)
}

fn money(cents: Option<i64>) -> Option<f64> {
    cents.map(|c| c as f64 / 100.0)
}

async fn load_integration(ctx: &Context<'_>, id: uuid::Uuid) -> GqlResult<Integration> {
    let rc = rctx(ctx)?;
    let row = rc.loaders.integrations.load_one(id).await.map_err(|e| ApiError::internal(e.as_ref().clone()))?;
    Ok(Integration(row.ok_or(ApiError::NotFound("integration"))?))
}

/// `lastSeenAt`: a row not deleted was seen by the last complete sync of its integration, or when it
/// last changed if that is later (a scoped sync).
async fn last_seen(
    ctx: &Context<'_>,
    integration_id: uuid::Uuid,
    updated_at: DateTime<Utc>,
    deleted: Option<DateTime<Utc>>,
) -> GqlResult<Option<DateTime<Utc>>> {
    if deleted.is_some() {
        return Ok(None);
    }
    let rc = rctx(ctx)?;
    let full =
        rc.loaders.last_full_sync.load_one(integration_id).await.map_err(|e| ApiError::internal(e.as_ref().clone()))?;
    Ok(Some(full.map_or(updated_at, |at| at.max(updated_at))))
}

/// `remoteData`: the row's raw record, or for a lean row (see [`lean`](super::lean)) the one its
/// table stores, loaded with the raw records of the other rows of the response.
async fn raw_data(
    ctx: &Context<'_>,
    node: NodeType,
    id: uuid::Uuid,
    row: &serde_json::Value,
) -> GqlResult<Json<serde_json::Value>> {
    if !row.is_null() {
        return Ok(Json(row.clone()));
    }
    let Some(table) = lean::record_kind(node) else {
        return Ok(Json(serde_json::Value::Null));
    };
    let rc = rctx(ctx)?;
    let raw = rc.loaders.raw_data.load_one((table, id)).await.map_err(|e| ApiError::internal(e.as_ref().clone()))?;
    Ok(Json(raw.unwrap_or(serde_json::Value::Null)))
}

macro_rules! load {
    ($ctx:expr, $loader:ident, $id:expr) => {{
        let rc = rctx($ctx)?;
        rc.loaders.$loader.load_one($id).await.map_err(|e| ApiError::internal(e.as_ref().clone()))?
    }};
}

/// [`load!`] of child rows, with the rows the field's selection follows by to-one fields joined
/// into the same query (see [`joins`](super::joins)).
macro_rules! load_children {
    ($ctx:expr, $loader:ident, $id:expr) => {{
        let rc = rctx($ctx)?;
        rc.loaders.$loader.loader().want(&$ctx.look_ahead());
        rc.loaders.$loader.load_one($id).await.map_err(|e| ApiError::internal(e.as_ref().clone()))?
    }};
}

/// Writes a synced type and its `#[Object]` impl with the common fields. The caller spells out the
/// `#[Object]` attribute, so identifiers the attribute introduces (`child_complexity` in complexity
/// expressions) resolve at the caller.
macro_rules! synced_object {
    ($(#[$meta:meta])* $ty:ident($m:ident), $node:expr, $hash:tt $object:tt { $($fields:tt)* }) => {
        $(#[$meta])*
        #[derive(Clone)]
        pub struct $ty(pub $m::Model);

        $hash $object
        impl $ty {
            /// The global, opaque id of this object.
            async fn id(&self) -> ID {
                ids::encode($node, self.0.id)
            }
            /// The PMS's own id of this record.
            async fn remote_id(&self) -> &str {
                &self.0.remote_id
            }
            /// When pmsgraph first stored this record.
            async fn created_at(&self) -> DateTime<Utc> {
                self.0.created_at
            }
            /// When a field of this record last changed.
            async fn updated_at(&self) -> DateTime<Utc> {
                self.0.updated_at
            }
            /// When a sync last saw this record at the PMS (null once it is deleted there).
            async fn last_seen_at(&self, ctx: &Context<'_>) -> GqlResult<Option<DateTime<Utc>>> {
                last_seen(ctx, self.0.integration_id, self.0.updated_at, self.0.remote_deleted_at).await
            }
            /// When a complete sync first no longer found this record at the PMS.
            async fn remote_deleted_at(&self) -> Option<DateTime<Utc>> {
                self.0.remote_deleted_at
            }
            /// The PMS's raw record, as it was last synced.
            async fn remote_data(&self, ctx: &Context<'_>) -> GqlResult<Json<serde_json::Value>> {
                raw_data(ctx, $node, self.0.id, &self.0.remote_data).await
            }
            /// The PMS connection this record came from.
            async fn integration(&self, ctx: &Context<'_>) -> GqlResult<Integration> {
                load_integration(ctx, self.0.integration_id).await
            }
            $($fields)*
        }
    };
}

/// A property management company, onboarded by an app.
#[derive(Clone)]
pub struct Customer(pub customer::Model);

#[Object]
impl Customer {
    async fn id(&self) -> ID {
        ids::encode(NodeType::Customer, self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn environment(&self) -> GqlResult<Environment> {
        Ok(self.0.environment.parse::<Environment>().map_err(|e| ApiError::internal(std::io::Error::other(e)))?)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The customer's PMS connections.
    async fn integrations(&self, ctx: &Context<'_>) -> GqlResult<Vec<Integration>> {
        let rows = load!(ctx, integrations_by_customer, self.0.id).unwrap_or_default();
        Ok(rows.into_iter().map(Integration).collect())
    }
}

/// One connection of a customer to one PMS.
#[derive(Clone)]
pub struct Integration(pub integration::Model);

#[Object]
impl Integration {
    async fn id(&self) -> ID {
        ids::encode(NodeType::Integration, self.0.id)
    }
    /// Which PMS: ENTRATA, YARDI, REALPAGE, BUILDIUM.
    async fn pms(&self) -> &str {
        &self.0.pms
    }
    /// DISABLED, ENABLED, or PAUSED (see `statusReason`).
    async fn status(&self) -> &str {
        &self.0.status
    }
    async fn status_reason(&self) -> Option<&str> {
        self.0.status_reason.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// Seconds between scheduled syncs (default 3600).
    async fn sync_interval_seconds(&self, ctx: &Context<'_>) -> GqlResult<i32> {
        let rc = rctx(ctx)?;
        let interval = rc.worker.config().schedule.interval_of(&self.0.settings);
        Ok(i32::try_from(interval.as_secs()).unwrap_or(i32::MAX))
    }
    /// When the next scheduled sync is due: derived from the last run of the whole integration,
    /// the interval, a backoff after failures and a little jitter. Null unless ENABLED, and while a
    /// sync of the whole integration is queued or running.
    async fn next_sync_at(&self, ctx: &Context<'_>) -> GqlResult<Option<DateTime<Utc>>> {
        let rc = rctx(ctx)?;
        // Depends on running jobs and the clock: never cached.
        rc.cache.forbid();
        Ok(crate::sync::scheduler::next_sync_at(&rc.db, &rc.worker.config().schedule, &self.0).await?)
    }
    /// The property-local time access starts on a move-in date, `HH:MM`, for properties that do not
    /// set their own (default 10:00).
    async fn access_start_time(&self) -> String {
        crate::store::integrations::access_times(&self.0.settings).0.format("%H:%M").to_string()
    }
    /// The property-local time access ends on a move-out date, `HH:MM`, for properties that do not
    /// set their own (default 16:00).
    async fn access_end_time(&self) -> String {
        crate::store::integrations::access_times(&self.0.settings).1.format("%H:%M").to_string()
    }
    /// When the last complete, successful sync of the whole integration finished.
    async fn last_full_sync_at(&self, ctx: &Context<'_>) -> GqlResult<Option<DateTime<Utc>>> {
        Ok(load!(ctx, last_full_sync, self.0.id))
    }
    async fn customer(&self, ctx: &Context<'_>) -> GqlResult<Customer> {
        Ok(Customer(load!(ctx, customers, self.0.customer_id).ok_or(ApiError::NotFound("customer"))?))
    }
    /// The last data-access check of each resource (PENDING while it runs).
    async fn data_access(&self, ctx: &Context<'_>) -> GqlResult<Vec<ResourceAccess>> {
        let rc = rctx(ctx)?;
        rc.cache.forbid();
        let rows = crate::store::integrations::access(&rc.db, self.0.id).await?;
        Ok(rows.into_iter().map(ResourceAccess).collect())
    }
    /// The integration's sync runs, newest last (page backwards with `last` for the latest).
    #[graphql(complexity = "super::connection::page_cost(first, last, child_complexity)")]
    async fn sync_jobs(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> GqlResult<Conn<SyncJob>> {
        let rc = rctx(ctx)?;
        // Jobs change while they run, without a data write: never cache them.
        rc.cache.forbid();
        let page = Page::new(&rc.limits, first, after, last, before)?;
        let select = sync_job::Entity::find().filter(sync_job::Column::IntegrationId.eq(self.0.id));
        Ok(paginate(&rc.db.read, select, sync_job::Column::Id, page, |row| row.id, SyncJob, None).await?)
    }
}

/// Whether the integration's credentials may read one resource.
pub struct ResourceAccess(pub pmsgraph_entity::data_access::Model);

#[Object]
impl ResourceAccess {
    /// PROPERTIES, UNITS, LEASES or RESIDENTS.
    async fn resource(&self) -> &str {
        &self.0.resource
    }
    /// PENDING, GRANTED, DENIED or ERROR.
    async fn status(&self) -> &str {
        &self.0.status
    }
    /// The PMS's reason, for DENIED and ERROR.
    async fn message(&self) -> Option<&str> {
        self.0.message.as_deref()
    }
    async fn checked_at(&self) -> Option<DateTime<Utc>> {
        self.0.checked_at
    }
}

/// One sync run of an integration: why it ran, what it covered, how it ended.
#[derive(Clone)]
pub struct SyncJob(pub sync_job::Model);

/// Rows a sync run wrote, or found unchanged.
#[derive(SimpleObject)]
pub struct SyncCounts {
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub deleted: i64,
}

/// One error of a sync run.
#[derive(SimpleObject, serde::Deserialize)]
pub struct SyncError {
    /// A stable code (PMS_RATE_LIMITED, PMS_MALFORMED_RESPONSE, RECORD_REJECTED...).
    pub code: String,
    pub message: String,
    /// The property or record the error is confined to, if any.
    pub at: Option<String>,
}

#[Object]
impl SyncJob {
    async fn id(&self) -> ID {
        ids::encode(NodeType::SyncJob, self.0.id)
    }
    /// SCHEDULE, ENABLE or ON_DEMAND.
    async fn trigger(&self) -> &str {
        &self.0.trigger
    }
    /// INTEGRATION, PROPERTY, UNIT or RESIDENT.
    async fn scope(&self) -> &str {
        &self.0.scope
    }
    /// QUEUED, RUNNING, SUCCESS, PARTIAL_SUCCESS or FAILED.
    async fn status(&self) -> &str {
        &self.0.status
    }
    async fn queued_at(&self) -> DateTime<Utc> {
        self.0.queued_at
    }
    async fn started_at(&self) -> Option<DateTime<Utc>> {
        self.0.started_at
    }
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at
    }
    async fn counts(&self) -> SyncCounts {
        SyncCounts {
            created: self.0.created_count,
            updated: self.0.updated_count,
            unchanged: self.0.unchanged_count,
            deleted: self.0.deleted_count,
        }
    }
    async fn errors(&self) -> Vec<SyncError> {
        serde_json::from_value(self.0.errors.clone()).unwrap_or_default()
    }
    /// Whether the run asked the PMS only for what changed since `changedSince` (an incremental
    /// run never marks records deleted: a periodic full run does).
    async fn incremental(&self) -> bool {
        self.0.changed_since.is_some()
    }
    /// For an incremental run, the instant it asked for changes from.
    async fn changed_since(&self) -> Option<DateTime<Utc>> {
        self.0.changed_since
    }
    async fn integration(&self, ctx: &Context<'_>) -> GqlResult<Integration> {
        load_integration(ctx, self.0.integration_id).await
    }
}

/// A postal address.
#[derive(SimpleObject)]
pub struct Address {
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
}

/// The access times an integration sets for its properties (DESIGN.md defaults if none).
async fn integration_access_times(ctx: &Context<'_>, integration_id: uuid::Uuid) -> GqlResult<(NaiveTime, NaiveTime)> {
    let row = load!(ctx, integrations, integration_id);
    Ok(row.map_or(
        (crate::store::integrations::DEFAULT_ACCESS_START, crate::store::integrations::DEFAULT_ACCESS_END),
        |row| crate::store::integrations::access_times(&row.settings),
    ))
}

synced_object!(
    /// A property (a building or a community) at a PMS.
    Property(property), NodeType::Property, #[Object] {
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn address(&self) -> Address {
        let p = &self.0;
        Address {
            line1: p.address_line1.clone(),
            line2: p.address_line2.clone(),
            city: p.city.clone(),
            state: p.state.clone(),
            postal_code: p.postal_code.clone(),
            country: p.country.clone(),
        }
    }
    /// The property's IANA time zone: the app's override, else the PMS's or the inferred one.
    async fn time_zone(&self) -> Option<&str> {
        self.0.time_zone_override.as_deref().or(self.0.time_zone.as_deref())
    }
    /// Local time access starts on a move-in date, `HH:MM`: the property's own, else its
    /// integration's (default 10:00).
    async fn access_start_time(&self, ctx: &Context<'_>) -> GqlResult<String> {
        let time = match self.0.access_start_time {
            Some(time) => time,
            None => integration_access_times(ctx, self.0.integration_id).await?.0,
        };
        Ok(time.format("%H:%M").to_string())
    }
    /// Local time access ends on a move-out date, `HH:MM`: the property's own, else its
    /// integration's (default 16:00).
    async fn access_end_time(&self, ctx: &Context<'_>) -> GqlResult<String> {
        let time = match self.0.access_end_time {
            Some(time) => time,
            None => integration_access_times(ctx, self.0.integration_id).await?.1,
        };
        Ok(time.format("%H:%M").to_string())
    }
    /// The number of units the PMS reports for the property.
    async fn unit_count(&self) -> Option<i32> {
        self.0.unit_count
    }
    /// The property's units, by unit number search if given.
    #[graphql(complexity = "super::connection::page_cost(first, last, child_complexity)")]
    async fn units(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        #[graphql(desc = "Only units with this number.")] number: Option<String>,
        #[graphql(default)] include_deleted: bool,
    ) -> GqlResult<Conn<Unit>> {
        let rc = rctx(ctx)?;
        let page = Page::new(&rc.limits, first, after, last, before)?;
        let mut select = unit::Entity::find().filter(unit::Column::PropertyId.eq(self.0.id));
        if let Some(number) = number {
            select = select.filter(unit::Column::Number.eq(number));
        }
        if !include_deleted {
            select = select.filter(unit::Column::RemoteDeletedAt.is_null());
        }
        Ok(synced_page!(ctx, rc, select, page, unit, Unit))
    }
    /// The property's leases.
    #[graphql(complexity = "super::connection::page_cost(first, last, child_complexity)")]
    async fn leases(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<LeaseConnectionFilter>,
    ) -> GqlResult<Conn<Lease>> {
        let rc = rctx(ctx)?;
        let page = Page::new(&rc.limits, first, after, last, before)?;
        let select = filter.unwrap_or_default().apply(lease::Entity::find().filter(lease::Column::PropertyId.eq(self.0.id)));
        Ok(synced_page!(ctx, rc, select, page, lease, Lease))
    }
});

synced_object!(
    /// A rentable unit (an apartment) of a property.
    Unit(unit), NodeType::Unit, #[Object] {
    async fn property(&self, ctx: &Context<'_>) -> GqlResult<Property> {
        Ok(Property(load!(ctx, properties, self.0.property_id).ok_or(ApiError::NotFound("property"))?))
    }
    /// The unit number, as the PMS shows it.
    async fn number(&self) -> &str {
        &self.0.number
    }
    async fn building(&self) -> Option<&str> {
        self.0.building.as_deref()
    }
    async fn floorplan(&self) -> Option<&str> {
        self.0.floorplan.as_deref()
    }
    async fn bedrooms(&self) -> Option<i32> {
        self.0.bedrooms
    }
    async fn bathrooms(&self) -> Option<f64> {
        self.0.bathrooms
    }
    async fn square_feet(&self) -> Option<i32> {
        self.0.square_feet
    }
    /// Market rent per month, in the property's currency.
    async fn market_rent(&self) -> Option<f64> {
        money(self.0.market_rent_cents)
    }
    async fn occupancy(&self) -> GqlResult<Occupancy> {
        parse(&self.0.occupancy)
    }
    /// Bedroom-level spaces (student housing); empty for ordinary units.
    async fn spaces(&self, ctx: &Context<'_>) -> GqlResult<Vec<UnitSpace>> {
        let rows = load_children!(ctx, spaces_by_unit, self.0.id).unwrap_or_default();
        Ok(rows.into_iter().filter(|s| s.remote_deleted_at.is_none()).map(UnitSpace).collect())
    }
    /// Who should have access to this unit at `at` (default: now), by bedroom space where the unit
    /// is let by the bed: every person on a live lease whose access window contains the instant.
    /// Never cached.
    async fn occupants(&self, ctx: &Context<'_>, at: Option<DateTime<Utc>>) -> GqlResult<Vec<super::access::UnitOccupant>> {
        rctx(ctx)?.cache.forbid();
        super::access::occupants(ctx, self.0.id, at.unwrap_or_else(Utc::now)).await
    }
    /// Leases of this unit, optionally only those in the given states.
    async fn leases(
        &self,
        ctx: &Context<'_>,
        status: Option<Vec<LeaseStatus>>,
        #[graphql(default)] include_deleted: bool,
    ) -> GqlResult<Vec<Lease>> {
        let rows = load_children!(ctx, leases_by_unit, self.0.id).unwrap_or_default();
        let wanted = status.map(|s| s.iter().map(|s| s.as_str()).collect::<Vec<_>>());
        Ok(rows
            .into_iter()
            .filter(|l| include_deleted || l.remote_deleted_at.is_none())
            .filter(|l| wanted.as_ref().is_none_or(|w| w.contains(&l.status.as_str())))
            .map(Lease)
            .collect())
    }
});

synced_object!(
    /// A bedroom-level space of a unit (student housing leases by the bed).
    UnitSpace(unit_space), NodeType::UnitSpace, #[Object] {
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn unit(&self, ctx: &Context<'_>) -> GqlResult<Unit> {
        Ok(Unit(load!(ctx, units, self.0.unit_id).ok_or(ApiError::NotFound("unit"))?))
    }
});

synced_object!(
    /// A person: one resident across all their leases at one integration.
    Resident(resident), NodeType::Resident, #[Object] {
    async fn first_name(&self) -> &str {
        &self.0.first_name
    }
    async fn last_name(&self) -> &str {
        &self.0.last_name
    }
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    /// The person's place on each of their leases.
    async fn leases(&self, ctx: &Context<'_>, #[graphql(default)] include_deleted: bool) -> GqlResult<Vec<LeaseResident>> {
        let rows = load_children!(ctx, occupancies_by_resident, self.0.id).unwrap_or_default();
        Ok(rows.into_iter().filter(|r| include_deleted || r.remote_deleted_at.is_none()).map(LeaseResident).collect())
    }
    /// The person's one active lease for access purposes: CURRENT over NOTICE over FUTURE, then
    /// the latest move-in (a transfer moves it).
    async fn active_lease(&self, ctx: &Context<'_>) -> GqlResult<Option<Lease>> {
        super::access::active_lease(ctx, self.0.id).await
    }
    /// The person's access windows, one per lease that grants access.
    async fn access_windows(&self, ctx: &Context<'_>) -> GqlResult<Vec<super::access::AccessWindow>> {
        super::access::windows_of_resident(ctx, self.0.id).await
    }
});

synced_object!(
    /// A lease of a unit (or of one bedroom space), with its people.
    Lease(lease), NodeType::Lease, #[Object] {
    async fn property(&self, ctx: &Context<'_>) -> GqlResult<Property> {
        Ok(Property(load!(ctx, properties, self.0.property_id).ok_or(ApiError::NotFound("property"))?))
    }
    async fn unit(&self, ctx: &Context<'_>) -> GqlResult<Option<Unit>> {
        let Some(id) = self.0.unit_id else { return Ok(None) };
        Ok(load!(ctx, units, id).map(Unit))
    }
    /// The bedroom space leased, for by-the-bed leases.
    async fn unit_space(&self, ctx: &Context<'_>) -> GqlResult<Option<UnitSpace>> {
        let Some(id) = self.0.unit_space_id else { return Ok(None) };
        Ok(load!(ctx, unit_spaces, id).map(UnitSpace))
    }
    /// The lease status in pmsgraph's one vocabulary.
    async fn status(&self) -> GqlResult<LeaseStatus> {
        parse(&self.0.status)
    }
    /// The PMS's own status word.
    async fn remote_status(&self) -> Option<&str> {
        self.0.remote_status.as_deref()
    }
    async fn start_date(&self) -> Option<Date> {
        self.0.start_date.map(Date)
    }
    async fn end_date(&self) -> Option<Date> {
        self.0.end_date.map(Date)
    }
    async fn move_in_date(&self) -> Option<Date> {
        self.0.move_in_date.map(Date)
    }
    async fn move_out_date(&self) -> Option<Date> {
        self.0.move_out_date.map(Date)
    }
    async fn notice_date(&self) -> Option<Date> {
        self.0.notice_date.map(Date)
    }
    /// Rent per month, in the property's currency.
    async fn rent(&self) -> Option<f64> {
        money(self.0.rent_cents)
    }
    async fn is_month_to_month(&self) -> bool {
        self.0.is_month_to_month
    }
    /// The people on this lease and their roles.
    async fn residents(&self, ctx: &Context<'_>, #[graphql(default)] include_deleted: bool) -> GqlResult<Vec<LeaseResident>> {
        let rows = load_children!(ctx, people_by_lease, self.0.id).unwrap_or_default();
        Ok(rows.into_iter().filter(|r| include_deleted || r.remote_deleted_at.is_none()).map(LeaseResident).collect())
    }
});

synced_object!(
    /// One person's place on one lease.
    LeaseResident(lease_resident), NodeType::LeaseResident, #[Object] {
    async fn lease(&self, ctx: &Context<'_>) -> GqlResult<Lease> {
        Ok(Lease(load!(ctx, leases, self.0.lease_id).ok_or(ApiError::NotFound("lease"))?))
    }
    async fn resident(&self, ctx: &Context<'_>) -> GqlResult<Resident> {
        Ok(Resident(load!(ctx, residents, self.0.resident_id).ok_or(ApiError::NotFound("resident"))?))
    }
    async fn role(&self) -> GqlResult<ResidentRole> {
        parse(&self.0.role)
    }
    /// This person's status on the lease (people on one lease can differ: one has moved out).
    async fn status(&self) -> GqlResult<LeaseStatus> {
        parse(&self.0.status)
    }
    async fn move_in_date(&self) -> Option<Date> {
        self.0.move_in_date.map(Date)
    }
    async fn move_out_date(&self) -> Option<Date> {
        self.0.move_out_date.map(Date)
    }
    /// When this person may enter (UTC), from the property-local move-in and move-out dates at the
    /// property's access times, or an app's override; null for applicants, cancelled leases and
    /// guarantors.
    async fn access_window(&self, ctx: &Context<'_>) -> GqlResult<Option<super::access::AccessWindow>> {
        Ok(super::access::window_of(ctx, &self.0)
            .await?
            .map(|(window, overridden)| super::access::AccessWindow { window, person: self.0.clone(), overridden }))
    }
});
