//! The Entrata client: an integration's credentials and settings, the JSON-RPC calls over the shared
//! HTTP layer, and the [`Connector`] the sync engine drives.
//!
//! Two hosts, as the fixtures README says: the legacy host (`https://{org}.entrata.com`, HTTP Basic,
//! calls to `{base}/api/v1/{module}`) and the API gateway (`https://apis.entrata.com/ext/orgs/{org}`,
//! header `X-Api-Key`, calls to `{base}/v1/{module}`). The credentials decide which: a username and
//! password mean the legacy host, an API key the gateway.
//!
//! Entrata has no modified-since filter, so a sync is a full pull per property: getProperties once,
//! then for each property getPropertyUnits and the pages of getLeases (every status, with history).
//! The people come with their leases; a person on several leases is emitted once per sync (the first
//! sighting), so a stored resident does not flip between two views of the same person.

use std::collections::HashSet;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use futures::StreamExt;
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use pmsgraph_connector_core::reqwest::Url;
use pmsgraph_connector_core::{
    Capabilities, Connector, ConnectorError, HttpClient, NormalizedProperty, NormalizedRecord, Pms, Resource, SyncItem,
    SyncScope,
};

use crate::map::{self, ENTRATA_CLOCK, LeasesPage, MapContext};
use crate::wire::{self, AuthType, Call, LeasesQuery, Page};

/// Leases per getLeases page (the gateway's `per_page`; Entrata allows up to 1000).
pub const DEFAULT_PAGE_SIZE: u32 = 500;

/// An integration's Entrata credentials, as stored (sealed) by pmsgraph.
#[derive(Clone, Deserialize, Serialize)]
pub struct Credentials {
    /// `https://{org}.entrata.com` (Basic) or `https://apis.entrata.com/ext/orgs/{org}` (API key).
    pub base_url: String,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub api_key: Option<String>,
}

/// Never prints a secret.
impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("base_url", &self.base_url)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// An integration's Entrata settings (all optional).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// The zone of the PMS's clock (IANA name); Mountain Time by default.
    pub pms_clock: Option<String>,
    /// Leases per page.
    pub page_size: Option<u32>,
}

#[derive(Clone)]
enum Auth {
    Basic { username: String, password: String },
    ApiKey(String),
}

impl Auth {
    const fn kind(&self) -> AuthType {
        match self {
            Auth::Basic { .. } => AuthType::Basic,
            Auth::ApiKey(_) => AuthType::ApiKey,
        }
    }
}

/// The Entrata connector of one integration.
pub struct EntrataConnector {
    http: HttpClient,
    /// Where `{module}` is appended: `{base}/api/v1` or `{base}/v1`.
    root: String,
    auth: Auth,
    clock: Tz,
    page_size: u32,
    request_ids: AtomicU64,
}

impl fmt::Debug for EntrataConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EntrataConnector").field("root", &self.root).field("clock", &self.clock).finish_non_exhaustive()
    }
}

impl EntrataConnector {
    pub fn new(credentials: Credentials, settings: Settings, http: HttpClient) -> Result<Self, ConnectorError> {
        let invalid = |message: &str| ConnectorError::InvalidConfig(message.to_owned());
        let base = Url::parse(credentials.base_url.trim())
            .map_err(|e| ConnectorError::InvalidConfig(format!("the Entrata base URL is not a URL: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") || base.host().is_none() {
            return Err(invalid("the Entrata base URL must be an http(s) URL with a host"));
        }
        let nonempty = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
        let auth = match (nonempty(credentials.api_key), nonempty(credentials.username), credentials.password) {
            (Some(key), None, _) => Auth::ApiKey(key),
            (None, Some(username), Some(password)) if !password.is_empty() => Auth::Basic { username, password },
            (Some(_), Some(_), _) => {
                return Err(invalid("give either a username and password or an API key, not both"));
            }
            _ => return Err(invalid("Entrata needs a username and password, or an API key")),
        };
        let base = base.as_str().trim_end_matches('/');
        let root = match auth {
            Auth::Basic { .. } => format!("{base}/api/v1"),
            Auth::ApiKey(_) => format!("{base}/v1"),
        };
        let clock = match settings.pms_clock.as_deref() {
            None => ENTRATA_CLOCK,
            Some(zone) => zone
                .parse::<Tz>()
                .map_err(|_| ConnectorError::InvalidConfig(format!("`{zone}` is not an IANA time zone")))?,
        };
        let page_size = settings.page_size.unwrap_or(DEFAULT_PAGE_SIZE).clamp(1, 1000);
        Ok(EntrataConnector { http, root, auth, clock, page_size, request_ids: AtomicU64::new(1) })
    }

    /// From the stored forms: credentials as JSON bytes, settings as the integration's JSON.
    pub fn from_stored(credentials: &[u8], settings: &Value, http: HttpClient) -> Result<Self, ConnectorError> {
        let (credentials, settings) =
            pmsgraph_connector_core::connector::read_stored::<Credentials, Settings>(credentials, settings, "Entrata")?;
        EntrataConnector::new(credentials, settings, http)
    }

    fn request_id(&self) -> String {
        self.request_ids.fetch_add(1, Ordering::Relaxed).to_string()
    }

    /// Sends one call and returns the response body (the caller decodes it: errors travel in it).
    async fn send<P: Serialize>(&self, call: &Call<P>) -> Result<Vec<u8>, ConnectorError> {
        let mut url = Url::parse(&format!("{}/{}", self.root, call.method.module()))
            .map_err(|e| ConnectorError::InvalidConfig(format!("cannot build the Entrata URL: {e}")))?;
        if !call.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&call.query);
        }
        let request = self.http.client().post(url).json(&call.body);
        let request = match &self.auth {
            Auth::Basic { username, password } => request.basic_auth(username, Some(password)),
            Auth::ApiKey(key) => request.header("X-Api-Key", key),
        };
        let response = self.http.send(request).await?;
        let body = response.bytes().await.map_err(|e| {
            if e.is_timeout() { ConnectorError::Timeout } else { ConnectorError::Transport(e.to_string()) }
        })?;
        Ok(body.to_vec())
    }

    async fn properties(&self, ids: &[&str]) -> Result<Vec<NormalizedProperty>, ConnectorError> {
        let body = self.send(&wire::get_properties(self.auth.kind(), self.request_id(), ids)).await?;
        Ok(map::parse_properties(&body)?)
    }

    /// One property with its unit count, the units `wanted`, and the ids of its bedroom spaces.
    async fn property_with_units(
        &self,
        mut property: NormalizedProperty,
        wanted: &Units,
    ) -> Result<(Vec<NormalizedRecord>, HashSet<String>), ConnectorError> {
        let call = wire::get_property_units(self.auth.kind(), self.request_id(), &[property.remote_id.as_str()]);
        let units = map::parse_property_units(&self.send(&call).await?)?;
        map::with_unit_counts(std::slice::from_mut(&mut property), &units);
        let units: Vec<_> = units.into_iter().flat_map(|p| p.units).collect();
        let beds = units.iter().flat_map(|u| &u.spaces).map(|s| s.remote_id.clone()).collect();
        let mut records = Vec::new();
        if matches!(wanted, Units::All) {
            records.push(NormalizedRecord::Property(property));
        }
        records.extend(
            units
                .into_iter()
                .filter(|u| match wanted {
                    Units::All => true,
                    Units::One(id) => &u.remote_id == id,
                    Units::None => false,
                })
                .map(NormalizedRecord::Unit),
        );
        Ok((records, beds))
    }

    async fn leases_page(&self, query: &LeasesQuery, ctx: &MapContext) -> Result<LeasesPage, ConnectorError> {
        let body = self.send(&wire::get_leases(self.auth.kind(), self.request_id(), query)).await?;
        Ok(map::parse_leases(&body, &query.property_id, ctx)?)
    }

    /// Streams one property: the property and the units `wanted`, then its leases (narrowed by
    /// `query`), page by page, each page's people before its leases. A failure ends this property
    /// with [`SyncItem::Failed`]; the pages streamed before it stand.
    fn read_property(
        &self,
        property: NormalizedProperty,
        query: LeasesQuery,
        wanted: Units,
        ctx: MapContext,
    ) -> BoxStream<'_, SyncItem> {
        Box::pin(async_stream::stream! {
            let property_id = property.remote_id.clone();
            let failed = |error: ConnectorError| SyncItem::Failed { property: Some(property_id.clone()), error };
            let beds = match self.property_with_units(property, &wanted).await {
                Ok((records, beds)) => {
                    if !records.is_empty() {
                        yield SyncItem::Page(records);
                    }
                    beds
                }
                Err(error) => {
                    yield failed(error);
                    return;
                }
            };
            let mut page = Page { number: 1, size: self.page_size };
            loop {
                let answer = match self.leases_page(&query.clone().page(page), &ctx).await {
                    Ok(answer) => answer,
                    Err(error) => {
                        yield failed(error);
                        return;
                    }
                };
                let next = answer.next_page;
                yield SyncItem::Page(page_records(answer, &beds));
                match next {
                    Some(next) if next.number > page.number => page = next,
                    _ => return,
                }
            }
        })
    }
}

/// A leases page as records: its people, then its leases. A lease names its unit space only when it
/// lets one bed of a unit let by the bed (`beds`): otherwise Entrata gives it the id of the one
/// space that is the whole unit.
fn page_records(page: LeasesPage, beds: &HashSet<String>) -> Vec<NormalizedRecord> {
    let mut records: Vec<NormalizedRecord> = page.residents.into_iter().map(NormalizedRecord::Resident).collect();
    records.extend(page.leases.into_iter().map(|mut lease| {
        lease.unit_space_remote_id = lease.unit_space_remote_id.filter(|space| beds.contains(space));
        NormalizedRecord::Lease(lease)
    }));
    records
}

/// Keeps the first sighting of each person in a sync: a person on leases at several properties is
/// emitted once, so the stored row does not flip between two views of them.
fn first_sightings(item: SyncItem, seen: &mut HashSet<String>) -> SyncItem {
    match item {
        SyncItem::Page(records) => SyncItem::Page(
            records
                .into_iter()
                .filter(|r| match r {
                    NormalizedRecord::Resident(person) => seen.insert(person.remote_id.clone()),
                    _ => true,
                })
                .collect(),
        ),
        failed => failed,
    }
}

/// Which of a property's units a sync emits (the property itself comes with `All`).
enum Units {
    All,
    One(String),
    None,
}

#[async_trait::async_trait]
impl Connector for EntrataConnector {
    fn pms(&self) -> Pms {
        Pms::Entrata
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities { narrow_to_unit: true, narrow_to_resident: true, ..Capabilities::default() }
    }

    /// One call per resource: getProperties, then for the first property getPropertyUnits, getLeases
    /// (one lease) and getCustomers. With no property at all, only properties can be judged; the
    /// others answer as getProperties did.
    async fn check_access(&self, resource: Resource) -> Result<(), ConnectorError> {
        let properties = self.properties(&[]).await?;
        let Some(first) = properties.first().map(|p| p.remote_id.clone()) else {
            return Ok(());
        };
        let auth = self.auth.kind();
        match resource {
            Resource::Properties => Ok(()),
            Resource::Units => {
                let body = self.send(&wire::get_property_units(auth, self.request_id(), &[first.as_str()])).await?;
                map::parse_property_units(&body).map(drop).map_err(Into::into)
            }
            Resource::Leases => {
                let query = LeasesQuery::property(first.as_str()).page(Page { number: 1, size: 1 });
                self.leases_page(&query, &MapContext::new(Utc::now()).with_clock(self.clock)).await.map(drop)
            }
            Resource::Residents => {
                let call = wire::get_customers(auth, self.request_id(), &first, &[]);
                let call = Call { query: Page { number: 1, size: 1 }.query().into(), ..call };
                map::parse_customers(&self.send(&call).await?).map(drop).map_err(Into::into)
            }
        }
    }

    fn sync(&self, scope: SyncScope, _changed_since: Option<DateTime<Utc>>) -> BoxStream<'_, SyncItem> {
        let ctx = MapContext::new(Utc::now()).with_clock(self.clock);
        Box::pin(async_stream::stream! {
            let mut seen = HashSet::new();
            let (wanted, narrow): (Vec<String>, Narrow) = match scope {
                SyncScope::Integration => (Vec::new(), Narrow::None),
                SyncScope::Property { property } => (vec![property], Narrow::None),
                SyncScope::Unit { property, unit } => (vec![property], Narrow::Unit(unit)),
                SyncScope::Resident { resident, properties } => {
                    if properties.is_empty() {
                        return;
                    }
                    (properties, Narrow::Customer(resident))
                }
            };
            let ids: Vec<&str> = wanted.iter().map(String::as_str).collect();
            let properties = match self.properties(&ids).await {
                Ok(properties) => properties,
                Err(error) => {
                    yield SyncItem::Failed { property: None, error };
                    return;
                }
            };
            // Properties in order, each read whole while the one before it is handed on: the
            // next property's requests and parsing run beside the engine's work on this one, and
            // memory stays at a few properties whatever the portfolio.
            let reads = properties.into_iter().map(|property| {
                let query = LeasesQuery::property(property.remote_id.as_str());
                let (query, units) = match &narrow {
                    Narrow::None => (query, Units::All),
                    Narrow::Unit(unit) => (query.unit(unit.as_str()), Units::One(unit.clone())),
                    Narrow::Customer(customer) => (query.customer(customer.as_str()), Units::None),
                };
                self.read_property(property, query, units, ctx).collect::<Vec<SyncItem>>()
            });
            let mut reads = futures::stream::iter(reads).buffered(pmsgraph_connector_core::narrow::PROPERTIES_AHEAD).flat_map(futures::stream::iter);
            while let Some(item) = reads.next().await {
                yield first_sightings(item, &mut seen);
            }
        })
    }
}

/// How a scoped sync narrows getLeases.
enum Narrow {
    None,
    Unit(String),
    Customer(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use pmsgraph_connector_core::HttpPolicy;

    fn connector(credentials: Value) -> Result<EntrataConnector, ConnectorError> {
        let http = HttpClient::new(HttpPolicy::default())?;
        EntrataConnector::from_stored(credentials.to_string().as_bytes(), &Value::Null, http)
    }

    #[test]
    fn the_credentials_choose_the_host() {
        let basic =
            connector(serde_json::json!({"base_url": "https://acme.entrata.com/", "username": "u", "password": "p"}))
                .expect("basic");
        assert_eq!(basic.root, "https://acme.entrata.com/api/v1");
        let gateway =
            connector(serde_json::json!({"base_url": "https://apis.entrata.com/ext/orgs/acme", "api_key": "k"}))
                .expect("api key");
        assert_eq!(gateway.root, "https://apis.entrata.com/ext/orgs/acme/v1");
    }

    #[test]
    fn unusable_credentials_are_refused_clearly() {
        for (credentials, says) in [
            (serde_json::json!({"base_url": "acme.entrata.com", "api_key": "k"}), "not a URL"),
            (serde_json::json!({"base_url": "ftp://acme.entrata.com", "api_key": "k"}), "http(s)"),
            (serde_json::json!({"base_url": "https://acme.entrata.com", "username": "u"}), "username and password"),
            (
                serde_json::json!({"base_url": "https://a.io", "username": "u", "password": "p", "api_key": "k"}),
                "not both",
            ),
            (serde_json::json!({"username": "u"}), "unreadable"),
        ] {
            let err = connector(credentials).expect_err("refused");
            assert!(matches!(err, ConnectorError::InvalidConfig(_)), "{err:?}");
            assert!(err.to_string().contains(says), "{err}");
        }
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let credentials = Credentials {
            base_url: "https://acme.entrata.com".into(),
            username: Some("api-user".into()),
            password: Some("hunter2".into()),
            api_key: Some("k-123".into()),
        };
        let shown = format!("{credentials:?}");
        assert!(!shown.contains("hunter2") && !shown.contains("k-123"), "{shown}");
    }
}
