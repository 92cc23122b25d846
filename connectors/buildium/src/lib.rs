//! The Buildium connector of pmsgraph: Buildium's REST JSON API (`/v1/rentals`, `/v1/rentals/units`,
//! `/v1/leases`, `/v1/leases/tenants`), its records as serde types ([`wire`]), their mapping to
//! pmsgraph's normalized records ([`map`]) and its errors ([`error`]).
//!
//! Follows DESIGN.md ("Normalized model", "Person identity", "Lease status: one vocabulary") and
//! the Buildium section of `shared/fixtures/pms/README.md`; `shared/fixtures/pms/buildium` holds the
//! official OpenAPI document and the schema-derived examples it is tested against. [`client`] sends
//! the calls over the shared HTTP layer of `pmsgraph-connector-core`; [`BuildiumConnector`] is what
//! the sync engine drives. It can list only what changed since an instant (`lastupdatedfrom`),
//! which the engine uses for incremental syncs.

pub mod client;
pub mod error;
pub mod map;
pub mod wire;

pub use client::{BuildiumConnector, Credentials, Settings};
pub use error::BuildiumError;
