//! The Yardi client: an integration's credentials and settings, the SOAP calls over the shared
//! HTTP layer, and the [`Connector`] the sync engine drives.
//!
//! Yardi has no paging: a call returns one property whole, as one XML document, read as it streams
//! through [`crate::xml`]. A sync is, per property: GetUnitInformation_Login (the units, and the
//! property's unit count), then GetResidents (every tenant with their roommates). The properties
//! come from GetPropertyConfigurations, narrowed to the property codes of the credentials when
//! they list any.
//!
//! Scoped syncs fetch the property and keep the scope (Yardi's calls take no unit; a person's
//! per-lease codes are resolved to one person only across the whole property).
//!
//! Data-access check, one call per resource (a refusal is the `<Message>` "Invalid or no access to
//! Yardi Property"): properties GetPropertyConfigurations; for the first property, units
//! GetUnitInformation_Login, leases GetResidents, residents GetResidentData of its first tenant.

use std::fmt;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
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

use crate::error::YardiError;
use crate::map::{self, MapContext};
use crate::soap::{self, Call, Login};

/// Records per streamed page: a big property's leases go to the engine in pieces.
pub const PAGE_RECORDS: usize = 500;

/// The platform Yardi is hosted on, when the credentials do not say.
pub const DEFAULT_PLATFORM: &str = "SQL Server";

/// An integration's Yardi credentials, as stored (sealed) by pmsgraph.
#[derive(Clone, Deserialize, Serialize)]
pub struct Credentials {
    /// Where the interfaces live: `https://{host}/{db}/Webservices` (the URL of one `.asmx` is
    /// accepted too).
    pub service_url: String,
    pub server_name: String,
    pub database: String,
    pub username: String,
    pub password: String,
    #[serde(default)]
    pub platform: Option<String>,
    pub interface_entity: String,
    pub interface_license: String,
    /// The Yardi property codes to sync; empty: every property the interface may read.
    #[serde(default)]
    pub property_codes: Vec<String>,
}

/// Never prints a secret.
impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("service_url", &self.service_url)
            .field("server_name", &self.server_name)
            .field("database", &self.database)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("platform", &self.platform)
            .field("interface_entity", &self.interface_entity)
            .field("interface_license", &"<redacted>")
            .field("property_codes", &self.property_codes)
            .finish()
    }
}

/// An integration's Yardi settings (all optional).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// The zone of the Yardi server's clock (IANA name); by default each property's own zone.
    pub pms_clock: Option<String>,
}

/// The Yardi connector of one integration.
pub struct YardiConnector {
    http: HttpClient,
    /// `{service}` under which `{Interface}.asmx` lives, without a trailing slash.
    service: String,
    login: Login,
    property_codes: Vec<String>,
    clock: Option<Tz>,
}

impl fmt::Debug for YardiConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("YardiConnector")
            .field("service", &self.service)
            .field("login", &self.login)
            .finish_non_exhaustive()
    }
}

impl YardiConnector {
    pub fn new(credentials: Credentials, settings: Settings, http: HttpClient) -> Result<Self, ConnectorError> {
        let invalid = |message: String| ConnectorError::InvalidConfig(message);
        let url = Url::parse(credentials.service_url.trim())
            .map_err(|e| invalid(format!("the Yardi service URL is not a URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(invalid("the Yardi service URL must be an http(s) URL with a host".into()));
        }
        let mut service = url.as_str().trim_end_matches('/').to_owned();
        if service.to_ascii_lowercase().ends_with(".asmx")
            && let Some(cut) = service.rfind('/')
        {
            service.truncate(cut);
        }
        let required = |name: &str, value: String| {
            let value = value.trim().to_owned();
            if value.is_empty() { Err(invalid(format!("Yardi needs the {name}"))) } else { Ok(value) }
        };
        let login = Login {
            username: required("user name", credentials.username)?,
            // A password is sent as given: spaces may be part of it.
            password: if credentials.password.is_empty() {
                return Err(invalid("Yardi needs the password".into()));
            } else {
                credentials.password
            },
            server_name: required("server name", credentials.server_name)?,
            database: required("database", credentials.database)?,
            platform: credentials
                .platform
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| DEFAULT_PLATFORM.to_owned()),
            interface_entity: required("interface entity", credentials.interface_entity)?,
            interface_license: required("interface license", credentials.interface_license)?,
        };
        let property_codes: Vec<String> =
            credentials.property_codes.into_iter().map(|c| c.trim().to_owned()).filter(|c| !c.is_empty()).collect();
        let clock = match settings.pms_clock.as_deref() {
            None => None,
            Some(zone) => Some(zone.parse::<Tz>().map_err(|_| invalid(format!("`{zone}` is not an IANA time zone")))?),
        };
        Ok(YardiConnector { http, service, login, property_codes, clock })
    }

    /// From the stored forms: credentials as JSON bytes, settings as the integration's JSON.
    pub fn from_stored(credentials: &[u8], settings: &Value, http: HttpClient) -> Result<Self, ConnectorError> {
        let (credentials, settings) =
            pmsgraph_connector_core::connector::read_stored::<Credentials, Settings>(credentials, settings, "Yardi")?;
        YardiConnector::new(credentials, settings, http)
    }

    fn context(&self) -> MapContext {
        MapContext::new(Utc::now()).with_clock(self.clock)
    }

    /// Sends one call and returns the response body. A `soap:Fault` (HTTP 500) ends as
    /// [`YardiError::Fault`] with its fault string; `<Messages>` are left to the parsers.
    pub async fn send(&self, call: &Call) -> Result<Vec<u8>, ConnectorError> {
        let operation = call.operation;
        let url = format!("{}/{}.asmx", self.service, operation.interface().name());
        let body = soap::request_body(call, &self.login);
        match pmsgraph_connector_core::soap::post(&self.http, &url, &operation.soap_action(), body).await? {
            Answer::Body { body, .. } => Ok(body),
            Answer::Fault { status, code, message } => {
                Err(YardiError::Fault { operation, code, message, http_status: Some(status) }.into())
            }
        }
    }

    /// The properties to sync: Yardi's, narrowed to the credentials' codes (and to `only`).
    /// A listed code Yardi does not show is returned apart, as not found.
    async fn property_list(&self, only: &[String]) -> Result<(Vec<NormalizedProperty>, Vec<String>), ConnectorError> {
        let body = self.send(&Call::property_configurations()).await?;
        let all = map::parse_property_configurations(&body)?;
        Ok(narrow::select(all, &self.property_codes, only))
    }

    /// A property's units.
    async fn unit_list(&self, property: &str) -> Result<Vec<NormalizedUnit>, ConnectorError> {
        let body = self.send(&Call::unit_information(property)).await?;
        Ok(map::parse_unit_information(&body, property)?)
    }

    async fn tenants(&self, property: &NormalizedProperty) -> Result<map::Tenancies, ConnectorError> {
        let body = self.send(&Call::residents(&property.remote_id)).await?;
        Ok(map::parse_residents(&body, &property.remote_id, property.time_zone.as_deref(), &self.context())?)
    }
}

#[async_trait::async_trait]
impl Connector for YardiConnector {
    fn pms(&self) -> Pms {
        Pms::Yardi
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities { person_ids_per_lease: true, ..Capabilities::default() }
    }

    async fn check_access(&self, resource: Resource) -> Result<(), ConnectorError> {
        let (properties, _) = self.property_list(&[]).await?;
        let Some(first) = properties.into_iter().next() else {
            return Ok(());
        };
        match resource {
            Resource::Properties => Ok(()),
            Resource::Units => self.unit_list(&first.remote_id).await.map(drop),
            Resource::Leases => self.tenants(&first).await.map(drop),
            Resource::Residents => {
                let tenancies = self.tenants(&first).await?;
                let Some(tenant) = tenancies.leases.first() else {
                    return Ok(());
                };
                let body = self.send(&Call::resident_data(&first.remote_id, &tenant.remote_id)).await?;
                map::parse_resident_data(&body, &self.context()).map(drop).map_err(Into::into)
            }
        }
    }

    fn sync(&self, scope: SyncScope, _changed_since: Option<DateTime<Utc>>) -> BoxStream<'_, SyncItem> {
        narrow::sync_whole_properties(self, scope, PAGE_RECORDS)
    }
}

#[async_trait::async_trait]
impl WholeProperties for YardiConnector {
    async fn properties(&self, only: &[String]) -> Result<(Vec<NormalizedProperty>, Vec<String>), ConnectorError> {
        self.property_list(only).await
    }

    async fn units(&self, property: &NormalizedProperty) -> Result<Vec<NormalizedUnit>, ConnectorError> {
        self.unit_list(&property.remote_id).await
    }

    async fn tenancies(
        &self,
        property: &NormalizedProperty,
    ) -> Result<(Vec<NormalizedResident>, Vec<NormalizedLease>), ConnectorError> {
        let t = self.tenants(property).await?;
        Ok((t.residents, t.leases))
    }

    fn not_found(&self, code: &str) -> ConnectorError {
        ConnectorError::InvalidConfig(format!(
            "the Yardi property `{code}` is not among the properties this interface may read"
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
            "service_url": "https://www.yardiasp.example/acme/Webservices/",
            "server_name": "acme_live", "database": "acme_live", "username": "api", "password": "secret",
            "interface_entity": "pmsgraph", "interface_license": "LICENSE",
        })
    }

    fn connector(credentials: Value) -> Result<YardiConnector, ConnectorError> {
        let http = HttpClient::new(HttpPolicy::default())?;
        YardiConnector::from_stored(credentials.to_string().as_bytes(), &Value::Null, http)
    }

    #[test]
    fn the_service_url_takes_either_form() {
        let c = connector(credentials()).expect("a connector");
        assert_eq!(c.service, "https://www.yardiasp.example/acme/Webservices");
        assert_eq!(c.login.platform, DEFAULT_PLATFORM);
        let mut asmx = credentials();
        asmx["service_url"] = json!("https://www.yardiasp.example/acme/Webservices/ItfResidentData.asmx");
        assert_eq!(connector(asmx).expect("a connector").service, "https://www.yardiasp.example/acme/Webservices");
    }

    #[test]
    fn unusable_credentials_are_refused_clearly() {
        for (field, value, says) in [
            ("service_url", json!("www.yardi.example"), "not a URL"),
            ("service_url", json!("ftp://www.yardi.example/x"), "http(s)"),
            ("username", json!(" "), "user name"),
            ("password", json!(""), "password"),
            ("interface_license", json!(""), "interface license"),
            ("database", json!(null), "unreadable"),
        ] {
            let mut c = credentials();
            c[field] = value;
            let err = connector(c).expect_err("refused");
            assert!(matches!(err, ConnectorError::InvalidConfig(_)), "{err:?}");
            assert!(err.to_string().contains(says), "{field}: {err}");
        }
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let c: Credentials = serde_json::from_value(credentials()).expect("credentials");
        let shown = format!("{c:?}");
        assert!(!shown.contains("secret") && !shown.contains("LICENSE"), "{shown}");
        let shown = format!("{:?}", connector(credentials()).expect("a connector"));
        assert!(!shown.contains("secret") && !shown.contains("LICENSE"), "{shown}");
    }
}
