//! The Buildium client: an integration's credentials and settings, the list calls over the shared
//! HTTP layer, and the [`Connector`] the sync engine drives.
//!
//! Every list is paged by `offset` and `limit` until the `X-Total-Count` of the first page (records
//! in id order). A sync reads, in this order so that parents come first: `/v1/rentals`,
//! `/v1/rentals/units`, `/v1/leases/tenants` (the residents), then `/v1/leases` (each page with the
//! cosigners it names, not yet read, as residents). With `changed_since`, every list passes
//! `lastupdatedfrom` (UTC `YYYY-MM-DDTHH:MM:SSZ`), so a re-sync after few changes costs a few calls
//! per list; such listings cannot show deletions, which the engine's periodic full sync finds.
//!
//! Scoped syncs ask Buildium for the scope: a property by `propertyids`, a unit's tenants by
//! `unitids` and its leases by `propertyids` + `unitnumber` (kept to the unit's id), a person's
//! leases by their properties' `propertyids`, kept to the leases that name them.
//!
//! Errors: 401 -> Unauthorized, 403 -> AccessDenied of the list's resource, 400/422 -> a bad
//! request; 429 (with `Retry-After`) and 5xx are retried by the shared HTTP layer.

use std::collections::HashSet;
use std::fmt;

use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use pmsgraph_connector_core::reqwest::header::{ACCEPT, HeaderMap, HeaderValue};
use pmsgraph_connector_core::reqwest::{StatusCode, Url};
use pmsgraph_connector_core::{
    Capabilities, Connector, ConnectorError, HttpClient, NormalizedRecord, Pms, Resource, SyncItem, SyncScope,
};

use crate::error::BuildiumError;
use crate::map::{self, Parsed};
use crate::wire;

/// The largest page Buildium serves.
pub const MAX_PAGE_SIZE: usize = 1000;

/// An integration's Buildium credentials, as stored (sealed) by pmsgraph.
#[derive(Clone, Deserialize, Serialize)]
pub struct Credentials {
    /// The API's base URL, under which `/v1/...` lives (`https://api.buildium.com`).
    pub base_url: String,
    pub client_id: String,
    pub client_secret: String,
}

/// Never prints the secret.
impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("base_url", &self.base_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .finish()
    }
}

/// An integration's Buildium settings (all optional).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Records per call (1..=1000; default 1000).
    pub page_size: Option<usize>,
}

/// The four lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Rentals,
    Units,
    Leases,
    Tenants,
}

impl Endpoint {
    pub const fn path(self) -> &'static str {
        match self {
            Endpoint::Rentals => "/v1/rentals",
            Endpoint::Units => "/v1/rentals/units",
            Endpoint::Leases => "/v1/leases",
            Endpoint::Tenants => "/v1/leases/tenants",
        }
    }

    pub const fn resource(self) -> Resource {
        match self {
            Endpoint::Rentals => Resource::Properties,
            Endpoint::Units => Resource::Units,
            Endpoint::Leases => Resource::Leases,
            Endpoint::Tenants => Resource::Residents,
        }
    }

    const fn of(resource: Resource) -> Endpoint {
        match resource {
            Resource::Properties => Endpoint::Rentals,
            Resource::Units => Endpoint::Units,
            Resource::Leases => Endpoint::Leases,
            Resource::Residents => Endpoint::Tenants,
        }
    }
}

/// The Buildium connector of one integration.
pub struct BuildiumConnector {
    http: HttpClient,
    /// The base URL without a trailing slash.
    base: String,
    client_id: HeaderValue,
    client_secret: HeaderValue,
    page_size: usize,
}

impl fmt::Debug for BuildiumConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BuildiumConnector")
            .field("base", &self.base)
            .field("page_size", &self.page_size)
            .finish_non_exhaustive()
    }
}

/// The `lastupdatedfrom` form of an instant.
pub fn buildium_instant(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl BuildiumConnector {
    pub fn new(credentials: Credentials, settings: Settings, http: HttpClient) -> Result<Self, ConnectorError> {
        let invalid = |message: String| ConnectorError::InvalidConfig(message);
        let url = Url::parse(credentials.base_url.trim())
            .map_err(|e| invalid(format!("the Buildium base URL is not a URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(invalid("the Buildium base URL must be an http(s) URL with a host".into()));
        }
        let base = url.as_str().trim_end_matches('/').to_owned();
        let header = |name: &str, value: &str| {
            let value = value.trim();
            if value.is_empty() {
                return Err(invalid(format!("Buildium needs the {name}")));
            }
            let mut header = HeaderValue::from_str(value)
                .map_err(|_| invalid(format!("the Buildium {name} is not a header value")))?;
            header.set_sensitive(true);
            Ok(header)
        };
        let client_id = header("client id", &credentials.client_id)?;
        let client_secret = header("client secret", &credentials.client_secret)?;
        let page_size = match settings.page_size {
            None => MAX_PAGE_SIZE,
            Some(n) if (1..=MAX_PAGE_SIZE).contains(&n) => n,
            Some(n) => return Err(invalid(format!("the Buildium page size {n} is not within 1..={MAX_PAGE_SIZE}"))),
        };
        Ok(BuildiumConnector { http, base, client_id, client_secret, page_size })
    }

    /// From the stored forms: credentials as JSON bytes, settings as the integration's JSON.
    pub fn from_stored(credentials: &[u8], settings: &Value, http: HttpClient) -> Result<Self, ConnectorError> {
        let (credentials, settings) = pmsgraph_connector_core::connector::read_stored::<Credentials, Settings>(
            credentials,
            settings,
            "Buildium",
        )?;
        BuildiumConnector::new(credentials, settings, http)
    }

    /// One page of a list: its records and the total.
    pub async fn page<T: DeserializeOwned>(
        &self,
        endpoint: Endpoint,
        params: &[(&str, String)],
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<Parsed<T>>, usize), ConnectorError> {
        let mut query: Vec<(&str, String)> = params.to_vec();
        query.push(("offset", offset.to_string()));
        query.push(("limit", limit.to_string()));
        let mut url = Url::parse(&format!("{}{}", self.base, endpoint.path()))
            .map_err(|e| ConnectorError::InvalidConfig(format!("the Buildium base URL cannot take a path: {e}")))?;
        url.query_pairs_mut().extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        let request = self
            .http
            .client()
            .get(url)
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .header("x-buildium-client-id", self.client_id.clone())
            .header("x-buildium-client-secret", self.client_secret.clone());
        // Buildium explains a refusal in the body: the connector reads it itself.
        let explained = |status: StatusCode, _: &HeaderMap| matches!(status.as_u16(), 400 | 401 | 403 | 404 | 422);
        let response = self.http.send_accepting(request, explained).await?;
        let status = response.status();
        let total = response
            .headers()
            .get("x-total-count")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<usize>().ok());
        let body = response.bytes().await.map_err(|e| {
            if e.is_timeout() { ConnectorError::Timeout } else { ConnectorError::Transport(e.to_string()) }
        })?;
        if !status.is_success() {
            return Err(BuildiumError::from_status(status.as_u16(), &body, endpoint.path(), endpoint.resource()).into());
        }
        let records = map::parse_page::<T>(&body, endpoint.path())?;
        let total = total.unwrap_or(offset + records.len());
        Ok((records, total))
    }

    /// Every page of a list, as a stream of pages.
    fn pages<'a, T: DeserializeOwned + Send + 'a>(
        &'a self,
        endpoint: Endpoint,
        params: Vec<(&'static str, String)>,
    ) -> BoxStream<'a, Result<Vec<Parsed<T>>, ConnectorError>> {
        Box::pin(async_stream::stream! {
            let mut offset = 0;
            loop {
                match self.page::<T>(endpoint, &params, offset, self.page_size).await {
                    Ok((records, total)) => {
                        let n = records.len();
                        offset += n;
                        yield Ok(records);
                        if n == 0 || offset >= total {
                            break;
                        }
                    }
                    Err(error) => {
                        yield Err(error);
                        break;
                    }
                }
            }
        })
    }
}

/// What a sync asks for and keeps.
struct Plan {
    params: Vec<(&'static str, String)>,
    /// Emit properties and units (not for a unit or resident scope's parents).
    properties: bool,
    unit: Option<String>,
    resident: Option<String>,
    /// Extra parameters of the tenants list (a unit's `unitids`).
    tenant_params: Vec<(&'static str, String)>,
    /// Extra parameters of the leases list (a unit's `unitnumber`, found from its unit).
    lease_params: Vec<(&'static str, String)>,
}

fn failed(error: ConnectorError) -> SyncItem {
    SyncItem::Failed { property: None, error }
}

impl BuildiumConnector {
    fn run(&self, scope: SyncScope, changed_since: Option<DateTime<Utc>>) -> BoxStream<'_, SyncItem> {
        Box::pin(async_stream::stream! {
            let mut params: Vec<(&'static str, String)> = Vec::new();
            if let Some(since) = changed_since {
                params.push(("lastupdatedfrom", buildium_instant(since)));
            }
            let mut plan = Plan { params, properties: true, unit: None, resident: None, tenant_params: vec![], lease_params: vec![] };
            match scope {
                SyncScope::Integration => {}
                SyncScope::Property { property } => plan.params.push(("propertyids", property)),
                SyncScope::Unit { property, unit } => {
                    plan.params.push(("propertyids", property));
                    plan.properties = false;
                    plan.tenant_params.push(("unitids", unit.clone()));
                    plan.unit = Some(unit);
                }
                SyncScope::Resident { resident, properties } => {
                    if properties.is_empty() {
                        return;
                    }
                    plan.params.extend(properties.into_iter().map(|p| ("propertyids", p)));
                    plan.properties = false;
                    plan.resident = Some(resident);
                }
            }
            let today = Utc::now().date_naive();

            if plan.properties {
                let mut pages = self.pages::<wire::Rental>(Endpoint::Rentals, plan.params.clone());
                while let Some(page) = futures::StreamExt::next(&mut pages).await {
                    let records: Result<Vec<_>, ConnectorError> = page.and_then(|p| {
                        p.iter().map(|(r, raw)| map::property(r, raw).map(NormalizedRecord::Property).map_err(Into::into)).collect()
                    });
                    match records {
                        Ok(records) if records.is_empty() => {}
                        Ok(records) => yield SyncItem::Page(records),
                        Err(error) => { yield failed(error); return; }
                    }
                }
            }
            if plan.properties || plan.unit.is_some() {
                let mut pages = self.pages::<wire::RentalUnit>(Endpoint::Units, plan.params.clone());
                while let Some(page) = futures::StreamExt::next(&mut pages).await {
                    let records: Result<Vec<_>, ConnectorError> = page.and_then(|p| {
                        p.iter().map(|(u, raw)| map::unit(u, raw).map_err(Into::into)).collect()
                    });
                    match records {
                        Ok(units) => {
                            let units: Vec<NormalizedRecord> = units
                                .into_iter()
                                .filter(|u| plan.unit.as_ref().is_none_or(|id| &u.remote_id == id))
                                .inspect(|u| if plan.unit.is_some() { plan.lease_params = vec![("unitnumber", u.number.clone())]; })
                                .map(NormalizedRecord::Unit)
                                .collect();
                            if !units.is_empty() {
                                yield SyncItem::Page(units);
                            }
                        }
                        Err(error) => { yield failed(error); return; }
                    }
                }
                if plan.unit.is_some() && plan.lease_params.is_empty() {
                    // The unit is not there (any more): nothing of it to read.
                    return;
                }
            }
            // A person's scope needs their leases first, to know which co-residents to read.
            let mut lease_records: Option<Vec<(pmsgraph_connector_core::NormalizedLease, Vec<pmsgraph_connector_core::NormalizedResident>)>> = None;
            let mut lease_params = plan.params.clone();
            lease_params.extend(plan.lease_params.iter().cloned());
            let keep_lease = |l: &pmsgraph_connector_core::NormalizedLease| {
                plan.unit.as_ref().is_none_or(|u| l.unit_remote_id.as_ref() == Some(u))
                    && plan.resident.as_ref().is_none_or(|r| l.residents.iter().any(|p| &p.resident_remote_id == r))
            };
            if plan.resident.is_some() {
                let mut kept = Vec::new();
                let mut pages = self.pages::<wire::Lease>(Endpoint::Leases, lease_params.clone());
                while let Some(page) = futures::StreamExt::next(&mut pages).await {
                    match page.and_then(|p| p.iter().map(|(l, raw)| map::lease(l, raw, today).map_err(ConnectorError::from)).collect::<Result<Vec<_>, _>>()) {
                        Ok(leases) => kept.extend(leases.into_iter().filter(|(l, _)| keep_lease(l))),
                        Err(error) => { yield failed(error); return; }
                    }
                }
                lease_records = Some(kept);
            }
            let wanted: Option<HashSet<String>> = lease_records.as_ref().map(|leases| {
                leases.iter().flat_map(|(l, _)| l.residents.iter().map(|r| r.resident_remote_id.clone())).collect()
            });
            let mut emitted: HashSet<String> = HashSet::new();
            {
                let mut tenant_params = plan.params.clone();
                tenant_params.extend(plan.tenant_params.iter().cloned());
                let mut pages = self.pages::<wire::Tenant>(Endpoint::Tenants, tenant_params);
                while let Some(page) = futures::StreamExt::next(&mut pages).await {
                    let records: Result<Vec<_>, ConnectorError> = page.and_then(|p| {
                        p.iter()
                            .map(|(t, raw)| {
                                map::resident(t, pmsgraph_connector_core::RemoteData::from_raw(raw.clone()), "leases/tenants.Id")
                                    .map_err(Into::into)
                            })
                            .collect()
                    });
                    match records {
                        Ok(people) => {
                            let people: Vec<NormalizedRecord> = people
                                .into_iter()
                                .filter(|p| wanted.as_ref().is_none_or(|w| w.contains(&p.remote_id)))
                                .filter(|p| emitted.insert(p.remote_id.clone()))
                                .map(NormalizedRecord::Resident)
                                .collect();
                            if !people.is_empty() {
                                yield SyncItem::Page(people);
                            }
                        }
                        Err(error) => { yield failed(error); return; }
                    }
                }
            }
            let mut emit = |leases: Vec<(pmsgraph_connector_core::NormalizedLease, Vec<pmsgraph_connector_core::NormalizedResident>)>| {
                let mut records = Vec::new();
                let mut kept = Vec::new();
                for (lease, cosigners) in leases {
                    for c in cosigners {
                        if emitted.insert(c.remote_id.clone()) {
                            records.push(NormalizedRecord::Resident(c));
                        }
                    }
                    kept.push(NormalizedRecord::Lease(lease));
                }
                records.extend(kept);
                records
            };
            match lease_records {
                Some(leases) => {
                    let records = emit(leases);
                    if !records.is_empty() {
                        yield SyncItem::Page(records);
                    }
                }
                None => {
                    let mut pages = self.pages::<wire::Lease>(Endpoint::Leases, lease_params);
                    while let Some(page) = futures::StreamExt::next(&mut pages).await {
                        match page.and_then(|p| p.iter().map(|(l, raw)| map::lease(l, raw, today).map_err(ConnectorError::from)).collect::<Result<Vec<_>, _>>()) {
                            Ok(leases) => {
                                let records = emit(leases.into_iter().filter(|(l, _)| keep_lease(l)).collect());
                                if !records.is_empty() {
                                    yield SyncItem::Page(records);
                                }
                            }
                            Err(error) => { yield failed(error); return; }
                        }
                    }
                }
            }
        })
    }
}

#[async_trait::async_trait]
impl Connector for BuildiumConnector {
    fn pms(&self) -> Pms {
        Pms::Buildium
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities { changes_since: true, narrow_to_unit: true, ..Capabilities::default() }
    }

    async fn check_access(&self, resource: Resource) -> Result<(), ConnectorError> {
        let endpoint = Endpoint::of(resource);
        self.page::<Value>(endpoint, &[], 0, 1).await.map(drop)
    }

    fn sync(&self, scope: SyncScope, changed_since: Option<DateTime<Utc>>) -> BoxStream<'_, SyncItem> {
        self.run(scope, changed_since)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pmsgraph_connector_core::HttpPolicy;
    use serde_json::json;

    fn connector(credentials: Value, settings: Value) -> Result<BuildiumConnector, ConnectorError> {
        let http = HttpClient::new(HttpPolicy::default())?;
        BuildiumConnector::from_stored(credentials.to_string().as_bytes(), &settings, http)
    }

    fn credentials() -> Value {
        json!({ "base_url": "https://api.buildium.example/", "client_id": "id", "client_secret": "topsecret" })
    }

    #[test]
    fn credentials_and_settings_are_checked() {
        let c = connector(credentials(), Value::Null).expect("a connector");
        assert_eq!(c.base, "https://api.buildium.example");
        assert_eq!(c.page_size, MAX_PAGE_SIZE);
        for (field, value, says) in [
            ("base_url", json!("api.buildium.example"), "not a URL"),
            ("base_url", json!("ftp://api.buildium.example"), "http(s)"),
            ("client_id", json!(" "), "client id"),
            ("client_secret", json!(""), "client secret"),
            ("client_secret", json!(null), "unreadable"),
        ] {
            let mut c = credentials();
            c[field] = value;
            let err = connector(c, Value::Null).expect_err("refused");
            assert!(err.to_string().contains(says), "{field}: {err}");
        }
        let err = connector(credentials(), json!({ "page_size": 1001 })).expect_err("too big");
        assert!(err.to_string().contains("page size"), "{err}");
        assert_eq!(connector(credentials(), json!({ "page_size": 7 })).expect("ok").page_size, 7);
    }

    #[test]
    fn debug_output_never_shows_the_secret() {
        let c: Credentials = serde_json::from_value(credentials()).expect("credentials");
        assert!(!format!("{c:?}").contains("topsecret"));
        assert!(!format!("{:?}", connector(credentials(), Value::Null).expect("a connector")).contains("topsecret"));
    }

    #[test]
    fn instants_are_written_as_buildium_reads_them() {
        let t = DateTime::parse_from_rfc3339("2024-06-01T08:09:10.123+00:00").expect("instant").with_timezone(&Utc);
        assert_eq!(buildium_instant(t), "2024-06-01T08:09:10Z");
    }
}
