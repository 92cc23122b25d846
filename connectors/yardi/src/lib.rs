//! The Yardi Voyager connector of pmsgraph: Yardi's SOAP 1.1 web services (the operations of
//! `ItfResidentData` and `ItfResidentTransactions20`, [`soap`]), a streaming reader of their XML
//! answers ([`xml`]), the mapping of Yardi's records to pmsgraph's normalized records ([`map`]) and
//! its errors ([`error`]).
//!
//! Follows DESIGN.md ("Normalized model", "Person identity", "Lease status: one vocabulary") and
//! the Yardi section of `shared/fixtures/pms/README.md`; the fixtures in `shared/fixtures/pms/yardi`
//! are the shapes it is tested against. [`client`] sends the calls over the shared HTTP layer of
//! `pmsgraph-connector-core`; [`YardiConnector`] is what the sync engine drives.

pub mod client;
pub mod error;
pub mod map;
pub mod soap;
pub mod xml;

pub use client::{Credentials, Settings, YardiConnector};
pub use error::YardiError;
pub use soap::Operation;
