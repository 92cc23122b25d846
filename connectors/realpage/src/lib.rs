//! The RealPage RPX (OneSite) connector of pmsgraph: RealPage's SOAP 1.1 gateway (the operations
//! getsitelist, unitlist, getresidentlistinfo and getleaseinfo, [`soap`]), the reading of their
//! XML answers and the mapping of RealPage's records to pmsgraph's normalized records ([`map`]),
//! and its errors ([`error`]).
//!
//! Follows DESIGN.md ("Normalized model", "Person identity", "Roles", "Lease status: one
//! vocabulary") and the RealPage section of `shared/fixtures/pms/README.md`. No public capture of
//! a RealPage answer exists: the request envelopes are tested against the reconstructed ones in
//! `shared/fixtures/pms/realpage`, and the answers against the assumed documents in
//! `tests/data`, each of whose elements is one the public clients name. [`client`] sends the
//! calls over the shared HTTP layer of `pmsgraph-connector-core`; [`RealPageConnector`] is what
//! the sync engine drives.

pub mod client;
pub mod error;
pub mod map;
pub mod soap;

pub use client::{Credentials, RealPageConnector, Settings};
pub use error::RealPageError;
pub use soap::Operation;
