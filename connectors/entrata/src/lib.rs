//! The Entrata connector of pmsgraph: Entrata's JSON-RPC wire format ([`wire`]), the mapping of its
//! records to pmsgraph's normalized records ([`map`]) and its errors ([`error`]).
//!
//! Follows DESIGN.md ("Normalized model", "Lease status: one vocabulary", "Time") and the Entrata
//! section of `shared/fixtures/pms/README.md`; the fixtures in `shared/fixtures/pms/entrata` are the
//! shapes it is tested against. The HTTP client is built on the shared HTTP layer of
//! `pmsgraph-connector-core`: [`client`] sends [`wire::Call`]s and hands the bodies to
//! `map::parse_*`; [`EntrataConnector`] is what the sync engine drives.

pub mod client;
pub mod error;
pub mod map;
pub mod wire;

pub use client::{Credentials, EntrataConnector, Settings};
pub use error::EntrataError;
pub use map::MapContext;
