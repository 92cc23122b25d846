//! The mutation root: onboarding (customers, integrations, credentials, data-access checks, the
//! enable gate, onboarding links) and on-demand syncs. Every mutation works within the token's
//! scope: an id of another app or environment is NOT_FOUND. Mutations are never cached.

use async_graphql::{Context, ID, InputObject, Object, OneofObject, SimpleObject};
use chrono::{DateTime, NaiveTime, Utc};
use serde_json::json;

use pmsgraph_connector_core::{Pms, SyncScope};
use pmsgraph_entity::{lease, lease_resident, property, resident, unit};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use super::ids::{self, NodeType};
use super::types::{Customer, Integration, LeaseResident, SyncJob};
use super::{RequestCtx, rctx};
use crate::auth::Environment;
use crate::error::{ApiError, GqlResult};
use crate::onboarding::{self, IntegrationUpdate, NewCredentials};
use crate::store::{customers, integrations};

/// Entrata credentials: the API base URL and either a username and password (Basic auth) or an
/// API key. Find them in Entrata under Settings > API access (ask the API administrator).
#[derive(InputObject)]
pub struct EntrataCredentialsInput {
    /// `https://{org}.entrata.com` (legacy host) or `https://apis.entrata.com/ext/orgs/{org}`.
    pub base_url: String,
    pub username: Option<String>,
    pub password: Option<String>,
    pub api_key: Option<String>,
}

/// Yardi Voyager credentials: the web-service URL and the interface login Yardi issues to a
/// vendor (ask the customer's Yardi administrator for an interface license for
/// ItfResidentData and ItfResidentTransactions20, and for access to each property).
#[derive(InputObject)]
pub struct YardiCredentialsInput {
    /// Where the interfaces live: `https://{host}/{database}/Webservices` (the URL of one `.asmx`
    /// works too).
    pub service_url: String,
    /// The Yardi SQL server name (`ServerName`).
    pub server_name: String,
    /// The Yardi database (`Database`).
    pub database: String,
    pub username: String,
    pub password: String,
    /// `SQL Server` (the default) or `Oracle`.
    pub platform: Option<String>,
    /// The vendor's interface entity name, as registered with Yardi.
    pub interface_entity: String,
    /// The interface license key.
    pub interface_license: String,
    /// The Yardi property codes to sync; none: every property the interface may read.
    #[graphql(default)]
    pub property_codes: Vec<String>,
}

/// RealPage RPX (OneSite) credentials: the gateway, the partner name RealPage registered the
/// vendor under, and the management company's PMC id, a site id and the licence key it issued to
/// the vendor (the customer enables the vendor's access per site and per operation in RealPage).
#[derive(InputObject)]
pub struct RealPageCredentialsInput {
    /// The RPX gateway, `https://gateway.rpx.realpage.com` (the partner's whole `.svc` URL works
    /// too).
    pub gateway_url: String,
    /// The partner name (`/rpxgateway/partner/{Partner}/{Partner}.svc`).
    pub partner: String,
    /// The property management company's id (`pmcid`).
    pub pmc_id: String,
    /// A site of the company (`siteid`), named when listing the sites.
    pub site_id: String,
    /// The licence key (`licensekey`).
    pub license_key: String,
    /// The site ids to sync; none: every site the licence lists.
    #[graphql(default)]
    pub site_ids: Vec<String>,
}

/// Buildium credentials: the API's base URL and an API key's client id and secret (created by
/// the customer's Buildium administrator under Settings > Developer tools, with read access to
/// rentals, units, leases and tenants).
#[derive(InputObject)]
pub struct BuildiumCredentialsInput {
    /// The API's base URL, under which `/v1/...` lives (`https://api.buildium.com`).
    pub base_url: String,
    pub client_id: String,
    pub client_secret: String,
}

/// Credentials for exactly one PMS.
#[derive(OneofObject)]
pub enum CredentialsInput {
    Entrata(EntrataCredentialsInput),
    Yardi(YardiCredentialsInput),
    RealPage(RealPageCredentialsInput),
    Buildium(BuildiumCredentialsInput),
}

/// Trimmed, de-duplicated ids of one PMS's properties; an empty, long or spaced one is refused.
fn property_ids(ids: &[String], what: &str) -> Result<Vec<String>, ApiError> {
    let mut out: Vec<String> = Vec::new();
    for id in ids {
        let id = id.trim();
        if id.is_empty() || id.len() > 64 || id.chars().any(char::is_whitespace) {
            return Err(ApiError::bad_input(format!("`{id}` is not a {what}")));
        }
        if !out.iter().any(|c| c == id) {
            out.push(id.to_owned());
        }
    }
    Ok(out)
}

impl CredentialsInput {
    fn into_new(self) -> Result<NewCredentials, ApiError> {
        match self {
            CredentialsInput::Entrata(e) => {
                let basic = e.username.is_some() || e.password.is_some();
                match (basic, e.api_key.is_some()) {
                    (true, true) => {
                        return Err(ApiError::bad_input("give a username and password, or an API key, not both"));
                    }
                    (false, false) => return Err(ApiError::bad_input("give a username and password, or an API key")),
                    (true, false) if e.username.is_none() || e.password.is_none() => {
                        return Err(ApiError::bad_input("a username needs its password"));
                    }
                    _ => {}
                }
                let json = json!({
                    "base_url": e.base_url.trim(),
                    "username": e.username,
                    "password": e.password,
                    "api_key": e.api_key,
                });
                Ok(NewCredentials { pms: Pms::Entrata, base_url: e.base_url, json })
            }
            CredentialsInput::Yardi(y) => {
                let required = [
                    ("serviceUrl", &y.service_url),
                    ("serverName", &y.server_name),
                    ("database", &y.database),
                    ("username", &y.username),
                    ("interfaceEntity", &y.interface_entity),
                    ("interfaceLicense", &y.interface_license),
                ];
                if let Some((name, _)) = required.iter().find(|(_, value)| value.trim().is_empty()) {
                    return Err(ApiError::bad_input(format!("Yardi credentials need `{name}`")));
                }
                if y.password.is_empty() {
                    return Err(ApiError::bad_input("Yardi credentials need `password`"));
                }
                let codes = property_ids(&y.property_codes, "Yardi property code")?;
                let json = json!({
                    "service_url": y.service_url.trim(),
                    "server_name": y.server_name.trim(),
                    "database": y.database.trim(),
                    "username": y.username.trim(),
                    "password": y.password,
                    "platform": y.platform.as_deref().map(str::trim).filter(|p| !p.is_empty()),
                    "interface_entity": y.interface_entity.trim(),
                    "interface_license": y.interface_license.trim(),
                    "property_codes": codes,
                });
                Ok(NewCredentials { pms: Pms::Yardi, base_url: y.service_url, json })
            }
            CredentialsInput::RealPage(r) => {
                let required = [
                    ("gatewayUrl", &r.gateway_url),
                    ("partner", &r.partner),
                    ("pmcId", &r.pmc_id),
                    ("siteId", &r.site_id),
                    ("licenseKey", &r.license_key),
                ];
                if let Some((name, _)) = required.iter().find(|(_, value)| value.trim().is_empty()) {
                    return Err(ApiError::bad_input(format!("RealPage credentials need `{name}`")));
                }
                let sites = property_ids(&r.site_ids, "RealPage site id")?;
                let json = json!({
                    "gateway_url": r.gateway_url.trim(),
                    "partner": r.partner.trim(),
                    "pmc_id": r.pmc_id.trim(),
                    "site_id": r.site_id.trim(),
                    "license_key": r.license_key.trim(),
                    "site_ids": sites,
                });
                Ok(NewCredentials { pms: Pms::RealPage, base_url: r.gateway_url, json })
            }
            CredentialsInput::Buildium(b) => {
                let required =
                    [("baseUrl", &b.base_url), ("clientId", &b.client_id), ("clientSecret", &b.client_secret)];
                if let Some((name, _)) = required.iter().find(|(_, value)| value.trim().is_empty()) {
                    return Err(ApiError::bad_input(format!("Buildium credentials need `{name}`")));
                }
                let json = json!({
                    "base_url": b.base_url.trim(),
                    "client_id": b.client_id.trim(),
                    "client_secret": b.client_secret.trim(),
                });
                Ok(NewCredentials { pms: Pms::Buildium, base_url: b.base_url, json })
            }
        }
    }
}

/// What `syncNow` covers: nothing for the whole integration, or exactly one of these.
#[derive(InputObject, Default)]
pub struct SyncScopeInput {
    pub property_id: Option<ID>,
    pub unit_id: Option<ID>,
    pub resident_id: Option<ID>,
}

async fn customer_in_scope(rc: &RequestCtx, id: &ID) -> GqlResult<uuid::Uuid> {
    let customer = ids::expect(id, NodeType::Customer, "customerId")?;
    let found = rc.loaders.customers.load_one(customer).await.map_err(|e| ApiError::internal(e.as_ref().clone()))?;
    found.map(|c| c.id).ok_or_else(|| ApiError::NotFound("customer").into())
}

fn integration_in_scope(rc: &RequestCtx, id: &ID) -> GqlResult<uuid::Uuid> {
    let integration = ids::expect(id, NodeType::Integration, "integrationId")?;
    if !rc.scope.contains_integration(integration) {
        return Err(ApiError::NotFound("integration").into());
    }
    Ok(integration)
}

/// The PMS-side scope of a `syncNow`, checked against the integration.
async fn sync_scope(rc: &RequestCtx, integration_id: uuid::Uuid, input: SyncScopeInput) -> GqlResult<SyncScope> {
    let db = &rc.db.read;
    let given = [input.property_id.is_some(), input.unit_id.is_some(), input.resident_id.is_some()];
    if given.iter().filter(|g| **g).count() > 1 {
        return Err(ApiError::bad_input("give at most one of propertyId, unitId, residentId").into());
    }
    let not_here = |what: &'static str| ApiError::NotFound(what);
    if let Some(id) = input.property_id {
        let uuid = ids::expect(&id, NodeType::Property, "propertyId")?;
        let row = property::Entity::find_by_id(uuid).one(db).await?.filter(|p| p.integration_id == integration_id);
        let row = row.ok_or(not_here("property"))?;
        return Ok(SyncScope::Property { property: row.remote_id });
    }
    if let Some(id) = input.unit_id {
        let uuid = ids::expect(&id, NodeType::Unit, "unitId")?;
        let row = unit::Entity::find_by_id(uuid).one(db).await?.filter(|u| u.integration_id == integration_id);
        let row = row.ok_or(not_here("unit"))?;
        let parent = property::Entity::find_by_id(row.property_id).one(db).await?.ok_or(not_here("property"))?;
        return Ok(SyncScope::Unit { property: parent.remote_id, unit: row.remote_id });
    }
    if let Some(id) = input.resident_id {
        let uuid = ids::expect(&id, NodeType::Resident, "residentId")?;
        let row = resident::Entity::find_by_id(uuid).one(db).await?.filter(|r| r.integration_id == integration_id);
        let row = row.ok_or(not_here("resident"))?;
        let lease_ids: Vec<uuid::Uuid> = lease_resident::Entity::find()
            .select_only()
            .column(lease_resident::Column::LeaseId)
            .filter(lease_resident::Column::ResidentId.eq(row.id))
            .into_tuple()
            .all(db)
            .await?;
        let property_ids: Vec<uuid::Uuid> = lease::Entity::find()
            .select_only()
            .column(lease::Column::PropertyId)
            .filter(lease::Column::Id.is_in(lease_ids))
            .distinct()
            .into_tuple()
            .all(db)
            .await?;
        let mut properties: Vec<String> = property::Entity::find()
            .select_only()
            .column(property::Column::RemoteId)
            .filter(property::Column::Id.is_in(property_ids))
            .into_tuple()
            .all(db)
            .await?;
        properties.sort();
        return Ok(SyncScope::Resident { resident: row.remote_id, properties });
    }
    Ok(SyncScope::Integration)
}

/// A token for one customer, to hand to its property manager: with it they can connect the
/// customer's PMS, run data-access checks, enable, and see that customer's integrations and sync
/// jobs, and nothing else.
#[derive(SimpleObject)]
pub struct OnboardingLink {
    /// The bearer token (shown once; it cannot be read back).
    pub token: String,
    /// The token's id (revoke it with `pmsgraph token revoke`).
    pub token_id: ID,
    pub expires_at: DateTime<Utc>,
    pub customer: Customer,
}

/// How long an onboarding link lives unless asked otherwise, and the longest it may.
const DEFAULT_LINK_HOURS: u64 = 24;
const MAX_LINK_HOURS: i32 = 7 * 24;

/// `HH:MM`, a property-local time of day.
fn time_of_day(value: Option<String>, name: &str) -> Result<Option<NaiveTime>, ApiError> {
    value
        .map(|text| {
            NaiveTime::parse_from_str(text.trim(), "%H:%M")
                .map_err(|_| ApiError::bad_input(format!("`{name}` is a time of day as HH:MM (24-hour), not `{text}`")))
        })
        .transpose()
}

/// The mutation root: onboarding, syncs and access overrides ([`CoreMutation`]) and webhooks.
#[derive(async_graphql::MergedObject, Default)]
pub struct Mutation(CoreMutation, super::webhooks::WebhookMutation);

#[derive(Default)]
pub struct CoreMutation;

#[Object]
impl CoreMutation {
    /// Adds a customer (a property management company) in the token's environment.
    async fn create_customer(
        &self,
        ctx: &Context<'_>,
        name: String,
        environment: Option<Environment>,
    ) -> GqlResult<Customer> {
        let rc = rctx(ctx)?;
        rc.cache.forbid();
        let env = rc.scope.principal.environment;
        if environment.is_some_and(|e| e != env) {
            return Err(ApiError::Forbidden(format!("a {env} token can only create {env} customers")).into());
        }
        let row = customers::create_customer(&rc.db, rc.scope.principal.app_id, &name, env).await?;
        Ok(Customer(row))
    }

    /// Connects a customer to its PMS. The integration starts DISABLED; run `checkDataAccess`, then
    /// `enableIntegration`. Credentials are stored encrypted and can never be read back.
    async fn connect_integration(
        &self,
        ctx: &Context<'_>,
        customer_id: ID,
        credentials: CredentialsInput,
    ) -> GqlResult<Integration> {
        let rc = rctx(ctx)?;
        rc.cache.forbid();
        let customer = customer_in_scope(rc, &customer_id).await?;
        let credentials = credentials.into_new()?;
        let env = rc.scope.principal.environment;
        let row = onboarding::connect(&rc.worker, customer, env, rc.allow_private_pms_urls, credentials).await?;
        Ok(Integration(row))
    }

    /// Starts the data-access check (it runs in the background, up to a minute): the integration's
    /// `dataAccess` shows PENDING until each resource answers.
    async fn check_data_access(&self, ctx: &Context<'_>, integration_id: ID) -> GqlResult<Integration> {
        let rc = rctx(ctx)?;
        rc.cache.forbid();
        let id = integration_in_scope(rc, &integration_id)?;
        onboarding::start_access_check(&rc.worker, id).await?;
        Ok(Integration(integrations::get(&rc.db, id).await?))
    }

    /// Enables the integration, refused with DATA_ACCESS_INCOMPLETE (naming each missing resource)
    /// until every resource is GRANTED; queues the first full sync.
    async fn enable_integration(&self, ctx: &Context<'_>, integration_id: ID) -> GqlResult<Integration> {
        let rc = rctx(ctx)?;
        rc.cache.forbid();
        let id = integration_in_scope(rc, &integration_id)?;
        Ok(Integration(onboarding::enable(&rc.worker, id).await?))
    }

    /// Changes an integration: its sync interval (seconds, at least 300 unless the server lowers the
    /// floor, at most a day), its credentials (rotated: sealed anew, the data access is checked
    /// again at once, and an ENABLED integration is PAUSED until it is enabled again after that
    /// check passes), and the access times of its properties (property-local `HH:MM`, defaults
    /// 10:00 on move-in and 16:00 on move-out; a property's own times win).
    async fn update_integration(
        &self,
        ctx: &Context<'_>,
        integration_id: ID,
        sync_interval_seconds: Option<i32>,
        credentials: Option<CredentialsInput>,
        access_start_time: Option<String>,
        access_end_time: Option<String>,
    ) -> GqlResult<Integration> {
        let rc = rctx(ctx)?;
        rc.cache.forbid();
        let id = integration_in_scope(rc, &integration_id)?;
        let sync_interval = sync_interval_seconds
            .map(|secs| {
                u64::try_from(secs)
                    .map(std::time::Duration::from_secs)
                    .map_err(|_| ApiError::bad_input("syncIntervalSeconds must be positive"))
            })
            .transpose()?;
        let update = IntegrationUpdate {
            sync_interval,
            credentials: credentials.map(CredentialsInput::into_new).transpose()?,
            access_start_time: time_of_day(access_start_time, "accessStartTime")?,
            access_end_time: time_of_day(access_end_time, "accessEndTime")?,
        };
        let env = rc.scope.principal.environment;
        Ok(Integration(onboarding::update(&rc.worker, id, env, rc.allow_private_pms_urls, update).await?))
    }

    /// Mints an onboarding link for one customer (default lifetime 24 hours, at most 7 days).
    async fn create_onboarding_link(
        &self,
        ctx: &Context<'_>,
        customer_id: ID,
        ttl_hours: Option<i32>,
    ) -> GqlResult<OnboardingLink> {
        let rc = rctx(ctx)?;
        rc.cache.forbid();
        let customer = customer_in_scope(rc, &customer_id).await?;
        let tokens = ctx
            .data::<crate::auth::Tokens>()
            .map_err(|_| ApiError::internal(std::io::Error::other("the token service is missing from the request")))?;
        let ttl = match ttl_hours {
            None => std::time::Duration::from_secs(DEFAULT_LINK_HOURS * 3600),
            Some(hours @ 1..=MAX_LINK_HOURS) => std::time::Duration::from_secs(u64::from(hours.unsigned_abs()) * 3600),
            Some(_) => return Err(ApiError::bad_input(format!("ttlHours is 1 to {MAX_LINK_HOURS}")).into()),
        };
        let p = rc.scope.principal;
        let issued = tokens
            .issue_onboarding_link(&rc.db, p.app_id, p.environment, customer, ttl)
            .await
            .map_err(ApiError::internal)?;
        let row = rc.loaders.customers.load_one(customer).await.map_err(|e| ApiError::internal(e.as_ref().clone()))?;
        let row = row.ok_or(ApiError::NotFound("customer"))?;
        Ok(OnboardingLink {
            token: issued.token,
            token_id: ID(issued.token_id.to_string()),
            expires_at: issued.expires_at,
            customer: Customer(row),
        })
    }

    /// Stops scheduled and on-demand syncs of the integration.
    async fn disable_integration(&self, ctx: &Context<'_>, integration_id: ID) -> GqlResult<Integration> {
        let rc = rctx(ctx)?;
        rc.cache.forbid();
        let id = integration_in_scope(rc, &integration_id)?;
        Ok(Integration(integrations::set_status(&rc.db, id, integrations::DISABLED, None).await?))
    }

    /// Queues a sync of the whole integration, or of one property, unit or resident; returns the job.
    async fn sync_now(
        &self,
        ctx: &Context<'_>,
        integration_id: ID,
        scope: Option<SyncScopeInput>,
    ) -> GqlResult<SyncJob> {
        let rc = rctx(ctx)?;
        rc.cache.forbid();
        let id = integration_in_scope(rc, &integration_id)?;
        let scope = sync_scope(rc, id, scope.unwrap_or_default()).await?;
        Ok(SyncJob(onboarding::sync_now(&rc.worker, id, scope).await?))
    }

    /// Deletes an integration and everything synced from it.
    async fn delete_integration(&self, ctx: &Context<'_>, integration_id: ID) -> GqlResult<bool> {
        let rc = rctx(ctx)?;
        rc.cache.forbid();
        let id = integration_in_scope(rc, &integration_id)?;
        integrations::delete(&rc.db, id).await?;
        Ok(true)
    }

    /// Deletes a customer, its integrations and everything synced for them.
    async fn delete_customer(&self, ctx: &Context<'_>, customer_id: ID) -> GqlResult<bool> {
        let rc = rctx(ctx)?;
        rc.cache.forbid();
        let id = customer_in_scope(rc, &customer_id).await?;
        customers::delete_customer(&rc.db, id).await?;
        Ok(true)
    }

    /// Overrides a lease resident's access window (early move-in, late move-out): either bound or
    /// both, kept by pmsgraph and surviving every sync until `clearAccessOverride`.
    async fn set_access_override(
        &self,
        ctx: &Context<'_>,
        lease_resident_id: ID,
        starts_at: Option<DateTime<Utc>>,
        ends_at: Option<DateTime<Utc>>,
        note: Option<String>,
    ) -> GqlResult<LeaseResident> {
        let rc = rctx(ctx)?;
        rc.cache.forbid();
        let person = super::access::lease_resident_in_scope(ctx, &lease_resident_id).await?;
        crate::store::access::set_override(&rc.db, &person, starts_at, ends_at, note).await?;
        Ok(LeaseResident(person))
    }

    /// Removes a lease resident's access override: the PMS's dates apply again.
    async fn clear_access_override(&self, ctx: &Context<'_>, lease_resident_id: ID) -> GqlResult<LeaseResident> {
        let rc = rctx(ctx)?;
        rc.cache.forbid();
        let person = super::access::lease_resident_in_scope(ctx, &lease_resident_id).await?;
        crate::store::access::clear_override(&rc.db, &person).await?;
        Ok(LeaseResident(person))
    }
}
