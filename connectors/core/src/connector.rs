//! The `Connector` trait every PMS connector implements, and the words it is described with: the
//! PMSs ([`Pms`]), the resources a data-access check tests ([`Resource`]), what a sync covers
//! ([`SyncScope`]) and what a connector streams back ([`SyncItem`]).
//!
//! A connector only speaks its PMS's protocol and maps records; it never touches the database. The
//! sync engine drives it: it checks access per resource, then consumes the stream of pages for a
//! scope. Pages come parents first (properties, then each property's units, residents and leases),
//! so every record's parents are stored before it. A failure confined to one property is streamed as
//! [`SyncItem::Failed`] and the stream goes on with the next property; the engine then records a
//! partial success and deletes nothing.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};

use crate::error::ConnectorError;
use crate::record::NormalizedRecord;

/// The PMSs pmsgraph connects to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Pms {
    Entrata,
    Yardi,
    RealPage,
    Buildium,
}

impl Pms {
    pub const ALL: [Pms; 4] = [Pms::Entrata, Pms::Yardi, Pms::RealPage, Pms::Buildium];

    /// The stored name (`integration.pms`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Pms::Entrata => "ENTRATA",
            Pms::Yardi => "YARDI",
            Pms::RealPage => "REAL_PAGE",
            Pms::Buildium => "BUILDIUM",
        }
    }
}

impl fmt::Display for Pms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Pms {
    type Err = crate::vocab::UnknownWord;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Pms::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| crate::vocab::UnknownWord { vocabulary: "PMS", word: s.to_owned() })
    }
}

/// What a data-access check tests, one call each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Resource {
    Properties,
    Units,
    Leases,
    Residents,
}

impl Resource {
    pub const ALL: [Resource; 4] = [Resource::Properties, Resource::Units, Resource::Leases, Resource::Residents];

    pub const fn as_str(self) -> &'static str {
        match self {
            Resource::Properties => "properties",
            Resource::Units => "units",
            Resource::Leases => "leases",
            Resource::Residents => "residents",
        }
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one sync covers, by the PMS's own ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "scope", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SyncScope {
    /// Everything the credentials can see.
    Integration,
    /// One property and everything in it.
    Property { property: String },
    /// One unit (of a property): the unit, its leases and their people.
    Unit { property: String, unit: String },
    /// One person: their leases (at the properties where they are known) and their co-residents.
    Resident { resident: String, properties: Vec<String> },
}

impl SyncScope {
    /// `INTEGRATION`, `PROPERTY`, `UNIT` or `RESIDENT`, as job records store it.
    pub const fn kind(&self) -> &'static str {
        match self {
            SyncScope::Integration => "INTEGRATION",
            SyncScope::Property { .. } => "PROPERTY",
            SyncScope::Unit { .. } => "UNIT",
            SyncScope::Resident { .. } => "RESIDENT",
        }
    }

    /// Whether this is a complete view of the integration, after which unseen rows are deleted.
    pub const fn is_full(&self) -> bool {
        matches!(self, SyncScope::Integration)
    }
}

/// What a connector can do beyond the basics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// Can list only the records changed since an instant (Buildium's `lastupdatedfrom`).
    pub changes_since: bool,
    /// Can ask the PMS for one unit's leases rather than the whole property's.
    pub narrow_to_unit: bool,
    /// Can ask the PMS for one person's leases rather than the whole property's.
    pub narrow_to_resident: bool,
    /// The PMS's person ids are per lease (Yardi, RealPage): the connector merges one sync's ids
    /// by [`person_key`](crate::person_key), and the engine keeps each person under the remote
    /// id they are already stored with, whatever code the connector names them by this time.
    pub person_ids_per_lease: bool,
}

/// One item of a sync stream.
#[derive(Debug, Clone, PartialEq)]
pub enum SyncItem {
    /// Records to store, parents before children.
    Page(Vec<NormalizedRecord>),
    /// A part of the scope could not be read (after retries); the stream goes on with the rest.
    /// `property` names the property whose data is incomplete, if the failure is confined to one.
    Failed { property: Option<String>, error: ConnectorError },
}

/// Reads an integration's stored credentials (JSON bytes) and settings (its JSON, `null` for the
/// defaults) into a connector's own types; `pms` names the PMS in the error.
pub fn read_stored<C, S>(credentials: &[u8], settings: &serde_json::Value, pms: &str) -> Result<(C, S), ConnectorError>
where
    C: serde::de::DeserializeOwned,
    S: serde::de::DeserializeOwned + Default,
{
    let credentials: C = serde_json::from_slice(credentials)
        .map_err(|e| ConnectorError::InvalidConfig(format!("unreadable {pms} credentials: {e}")))?;
    let settings: S = if settings.is_null() {
        S::default()
    } else {
        S::deserialize(settings)
            .map_err(|e| ConnectorError::InvalidConfig(format!("unreadable {pms} settings: {e}")))?
    };
    Ok((credentials, settings))
}

/// A PMS connector, ready to use with one integration's credentials.
#[async_trait::async_trait]
pub trait Connector: Send + Sync {
    fn pms(&self) -> Pms;

    fn capabilities(&self) -> Capabilities {
        Capabilities::default()
    }

    /// Calls the PMS once for `resource` and says whether the credentials may read it.
    async fn check_access(&self, resource: Resource) -> Result<(), ConnectorError>;

    /// Streams the records of `scope`, parents first. With `changed_since` (only when
    /// `capabilities().changes_since`), only records changed since then.
    fn sync(&self, scope: SyncScope, changed_since: Option<DateTime<Utc>>) -> BoxStream<'_, SyncItem>;
}
