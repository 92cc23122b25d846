//! The shared language of pmsgraph connectors and its sync engine.
//!
//! Every connector implements the [`Connector`] trait, sends its requests through the shared
//! [`http`] layer (retries, backoff, 429s, rate limits), reports failures as [`ConnectorError`]s and
//! turns its PMS's wire format into the [`record`] types here, which the sync engine stores. The
//! SOAP connectors share [`soap`] (envelopes, calls, faults), [`xml`] (a streaming reader),
//! [`text`] (dates and amounts), [`identity`] (people whose ids are per lease) and [`narrow`]
//! (scoped syncs of PMSs that read a property whole). The vocabulary ([`vocab`]) is the one lease-status / role / occupancy language of
//! DESIGN.md; the GraphQL API serves the same enums (feature `graphql`).

pub mod connector;
pub mod error;
pub mod guard;
pub mod http;
pub mod identity;
pub mod narrow;
pub mod raw;
pub mod record;
pub mod soap;
pub mod text;
pub mod vocab;
pub mod xml;
pub mod zone;

pub use connector::{Capabilities, Connector, Pms, Resource, SyncItem, SyncScope};
pub use error::ConnectorError;
pub use guard::AddressPolicy;
pub use http::{HttpClient, HttpPolicy};
pub use identity::People;
pub use raw::RemoteData;
pub use record::{
    Address, ContentHash, NormalizedLease, NormalizedLeaseResident, NormalizedProperty, NormalizedRecord,
    NormalizedResident, NormalizedUnit, NormalizedUnitSpace, PersonKey, RecordKind, hash_with_parent, person_key,
};
pub use reqwest;
pub use vocab::{LeaseStatus, Occupancy, ResidentRole, UnknownWord};
