//! The RealPage client: an integration's credentials and settings, the SOAP calls over the shared
//! HTTP layer, and the [`Connector`] the sync engine drives.
//!
//! RPX has no paging: a call returns one site whole. A sync is, per site (getsitelist, narrowed
//! to the credentials' site ids when they list any): unitlist (the units, and the site's unit
//! count), getresidentlistinfo with status ALL (every person of every household: the leases),
//! then getleaseinfo (the lease records of the look-back window, joined by household; see
//! [`crate::map`]). Each per-site call names that site in its auth block.
//!
//! Scoped syncs fetch the site and keep the scope (RPX's calls take no unit or resident).
//!
//! Data-access check, one call per resource (a refusal is a SOAP fault saying so): properties
//! getsitelist; for the first site, units unitlist, leases getleaseinfo, residents
//! getresidentlistinfo.

use std::fmt;

use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use pmsgraph_connector_core::narrow::{self, WholeProperties};
use pmsgraph_connector_core::reqwest::Url;
use pmsgraph_connector_core::soap::Answer;
use pmsgraph_connector_core::{
    Capabilities, Connector, ConnectorError, HttpClient, NormalizedLease, NormalizedProperty, NormalizedResident,
    NormalizedUnit, Pms, Resource, SyncItem, SyncScope,
};

use crate::error::RealPageError;
use crate::map::{self, MapContext, Tenancies};
use crate::soap::{self, Auth, Call};

/// Records per streamed page: a big site's leases go to the engine in pieces.
pub const PAGE_RECORDS: usize = 500;

/// getleaseinfo's look-back window when the settings do not say (the public clients' value).
pub const DEFAULT_LOOKBACK_DAYS: u32 = 365;

/// An integration's RealPage credentials, as stored (sealed) by pmsgraph.
#[derive(Clone, Deserialize, Serialize)]
pub struct Credentials {
    /// The RPX gateway, `https://gateway.rpx.realpage.com` (the whole `.svc` URL is accepted too).
    pub gateway_url: String,
    /// The partner name RealPage registered the vendor under (`/partner/{Partner}/{Partner}.svc`).
    pub partner: String,
    /// The property management company's id (`pmcid`).
    pub pmc_id: String,
    /// A site of the company (`siteid`), named by the getsitelist call.
    pub site_id: String,
    pub license_key: String,
    /// The sites to sync; empty: every site getsitelist lists.
    #[serde(default)]
    pub site_ids: Vec<String>,
}

/// Never prints the licence key.
impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("gateway_url", &self.gateway_url)
            .field("partner", &self.partner)
            .field("pmc_id", &self.pmc_id)
            .field("site_id", &self.site_id)
            .field("license_key", &"<redacted>")
            .field("site_ids", &self.site_ids)
            .finish()
    }
}

/// An integration's RealPage settings (all optional).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// getleaseinfo's `residentheldthestatus` (days); by default [`DEFAULT_LOOKBACK_DAYS`].
    pub lease_lookback_days: Option<u32>,
}

/// The RealPage connector of one integration.
pub struct RealPageConnector {
    http: HttpClient,
    /// `{gateway}/rpxgateway/partner/{Partner}/{Partner}.svc`.
    endpoint: String,
    auth: Auth,
    site_id: String,
    site_ids: Vec<String>,
    lookback_days: u32,
}

impl fmt::Debug for RealPageConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RealPageConnector")
            .field("endpoint", &self.endpoint)
            .field("auth", &self.auth)
            .field("site_id", &self.site_id)
            .finish_non_exhaustive()
    }
}

impl RealPageConnector {
    pub fn new(credentials: Credentials, settings: Settings, http: HttpClient) -> Result<Self, ConnectorError> {
        let invalid = |message: String| ConnectorError::InvalidConfig(message);
        let required = |name: &str, value: String| {
            let value = value.trim().to_owned();
            if value.is_empty() { Err(invalid(format!("RealPage needs the {name}"))) } else { Ok(value) }
        };
        let partner = required("partner name", credentials.partner)?;
        if partner.contains(['/', '?', '#']) {
            return Err(invalid(format!("`{partner}` is not a RealPage partner name")));
        }
        let url = Url::parse(credentials.gateway_url.trim())
            .map_err(|e| invalid(format!("the RealPage gateway URL is not a URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(invalid("the RealPage gateway URL must be an http(s) URL with a host".into()));
        }
        let gateway = url.as_str().trim_end_matches('/').to_owned();
        let endpoint = if gateway.to_ascii_lowercase().ends_with(".svc") {
            gateway
        } else {
            format!("{gateway}/rpxgateway/partner/{partner}/{partner}.svc")
        };
        let lookback_days = settings.lease_lookback_days.unwrap_or(DEFAULT_LOOKBACK_DAYS);
        if lookback_days == 0 {
            return Err(invalid("the RealPage lease look-back must be at least one day".into()));
        }
        Ok(RealPageConnector {
            http,
            endpoint,
            auth: Auth {
                pmc_id: required("PMC id", credentials.pmc_id)?,
                license_key: required("license key", credentials.license_key)?,
            },
            site_id: required("site id", credentials.site_id)?,
            site_ids: credentials.site_ids.into_iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect(),
            lookback_days,
        })
    }

    /// From the stored forms: credentials as JSON bytes, settings as the integration's JSON.
    pub fn from_stored(credentials: &[u8], settings: &Value, http: HttpClient) -> Result<Self, ConnectorError> {
        let (credentials, settings) = pmsgraph_connector_core::connector::read_stored::<Credentials, Settings>(
            credentials,
            settings,
            "RealPage",
        )?;
        RealPageConnector::new(credentials, settings, http)
    }

    /// The endpoint every call goes to.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Sends one call and returns the response body; a SOAP fault ends as a [`RealPageError`]
    /// sorted by its fault string.
    pub async fn send(&self, call: &Call) -> Result<Vec<u8>, ConnectorError> {
        self.send_dated(call).await.map(|(body, _)| body)
    }

    /// [`Self::send`], with the instant of the answer's `Date` header (RealPage's clock).
    async fn send_dated(&self, call: &Call) -> Result<(Vec<u8>, Option<DateTime<Utc>>), ConnectorError> {
        let operation = call.operation;
        let body = soap::request_body(call, &self.auth);
        match pmsgraph_connector_core::soap::post(&self.http, &self.endpoint, &operation.soap_action(), body).await? {
            Answer::Body { body, date } => Ok((body, date)),
            Answer::Fault { status, code, message } => {
                Err(RealPageError::from_fault(operation, code, message, Some(status)).into())
            }
        }
    }

    /// The sites to sync, narrowed to the credentials' site ids (and to `only`); a listed id
    /// getsitelist does not show is returned apart, as not found.
    async fn sites(&self, only: &[String]) -> Result<(Vec<NormalizedProperty>, Vec<String>), ConnectorError> {
        let all = map::parse_site_list(&self.send(&Call::site_list(&self.site_id)).await?)?;
        Ok(narrow::select(all, &self.site_ids, only))
    }

    async fn units(&self, site: &str) -> Result<Vec<NormalizedUnit>, ConnectorError> {
        Ok(map::parse_unit_list(&self.send(&Call::unit_list(site)).await?, site)?)
    }

    /// A site's resident list, and the instant RealPage answered it.
    async fn members(&self, site: &str) -> Result<(Vec<map::Member>, Option<DateTime<Utc>>), ConnectorError> {
        let (body, date) = self.send_dated(&Call::resident_list(site)).await?;
        Ok((map::parse_resident_list(&body)?, date))
    }

    async fn lease_info(
        &self,
        site: &str,
    ) -> Result<std::collections::HashMap<String, map::LeaseInfo>, ConnectorError> {
        Ok(map::parse_lease_info(&self.send(&Call::lease_info(site, self.lookback_days)).await?)?)
    }

    /// A site's leases and their people: the resident list joined with getleaseinfo, read as of
    /// the resident list's answer.
    async fn tenancies(&self, site: &str, zone: Option<&str>) -> Result<Tenancies, ConnectorError> {
        let (members, answered) = self.members(site).await?;
        let leases = self.lease_info(site).await?;
        // "Today" is RealPage's: the date of its answer (our clock when it names none).
        let ctx = MapContext::new(answered.unwrap_or_else(Utc::now));
        Ok(map::tenancies(site, members, &leases, zone, &ctx))
    }
}

#[async_trait::async_trait]
impl Connector for RealPageConnector {
    fn pms(&self) -> Pms {
        Pms::RealPage
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities { person_ids_per_lease: true, ..Capabilities::default() }
    }

    async fn check_access(&self, resource: Resource) -> Result<(), ConnectorError> {
        let (sites, _) = self.sites(&[]).await?;
        let Some(first) = sites.first() else {
            return Ok(());
        };
        let site = first.remote_id.as_str();
        match resource {
            Resource::Properties => Ok(()),
            Resource::Units => self.units(site).await.map(drop),
            Resource::Leases => self.lease_info(site).await.map(drop),
            Resource::Residents => self.members(site).await.map(drop),
        }
    }

    fn sync(&self, scope: SyncScope, _changed_since: Option<DateTime<Utc>>) -> BoxStream<'_, SyncItem> {
        narrow::sync_whole_properties(self, scope, PAGE_RECORDS)
    }
}

#[async_trait::async_trait]
impl WholeProperties for RealPageConnector {
    async fn properties(&self, only: &[String]) -> Result<(Vec<NormalizedProperty>, Vec<String>), ConnectorError> {
        self.sites(only).await
    }

    async fn units(&self, property: &NormalizedProperty) -> Result<Vec<NormalizedUnit>, ConnectorError> {
        RealPageConnector::units(self, &property.remote_id).await
    }

    async fn tenancies(
        &self,
        property: &NormalizedProperty,
    ) -> Result<(Vec<NormalizedResident>, Vec<NormalizedLease>), ConnectorError> {
        let t = RealPageConnector::tenancies(self, &property.remote_id, property.time_zone.as_deref()).await?;
        Ok((t.residents, t.leases))
    }

    fn not_found(&self, site: &str) -> ConnectorError {
        ConnectorError::InvalidConfig(format!(
            "the RealPage site `{site}` is not among the sites this licence may read"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pmsgraph_connector_core::HttpPolicy;
    use serde_json::json;

    fn credentials() -> Value {
        json!({
            "gateway_url": "https://gateway.rpx.realpage.com/", "partner": "Acme",
            "pmc_id": "1000000", "site_id": "2000000", "license_key": "SECRET-KEY",
        })
    }

    fn connector(credentials: Value) -> Result<RealPageConnector, ConnectorError> {
        let http = HttpClient::new(HttpPolicy::default())?;
        RealPageConnector::from_stored(credentials.to_string().as_bytes(), &Value::Null, http)
    }

    #[test]
    fn the_endpoint_is_the_partners_service() {
        let c = connector(credentials()).expect("a connector");
        assert_eq!(c.endpoint(), "https://gateway.rpx.realpage.com/rpxgateway/partner/Acme/Acme.svc");
        assert_eq!(c.lookback_days, DEFAULT_LOOKBACK_DAYS);
        let mut whole = credentials();
        whole["gateway_url"] = json!("https://gateway.rpx.realpage.com/rpxgateway/partner/Acme/Acme.svc");
        assert_eq!(connector(whole).expect("a connector").endpoint(), c.endpoint());
    }

    #[test]
    fn unusable_credentials_are_refused_clearly() {
        for (field, value, says) in [
            ("gateway_url", json!("gateway.rpx.realpage.com"), "not a URL"),
            ("gateway_url", json!("ftp://gateway.example/x"), "http(s)"),
            ("partner", json!(" "), "partner name"),
            ("partner", json!("a/b"), "not a RealPage partner name"),
            ("pmc_id", json!(""), "PMC id"),
            ("site_id", json!(""), "site id"),
            ("license_key", json!(""), "license key"),
            ("pmc_id", json!(null), "unreadable"),
        ] {
            let mut c = credentials();
            c[field] = value;
            let err = connector(c).expect_err("refused");
            assert!(matches!(err, ConnectorError::InvalidConfig(_)), "{err:?}");
            assert!(err.to_string().contains(says), "{field}: {err}");
        }
    }

    #[test]
    fn debug_output_never_shows_the_licence_key() {
        let c: Credentials = serde_json::from_value(credentials()).expect("credentials");
        assert!(!format!("{c:?}").contains("SECRET"));
        assert!(!format!("{:?}", connector(credentials()).expect("a connector")).contains("SECRET"));
    }
}
