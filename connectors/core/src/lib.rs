//! The shared language of pmsgraph connectors and its sync engine.
//!
//! Every connector turns its PMS's wire format into the [`record`] types here, and the sync engine
//! stores them. The vocabulary ([`vocab`]) is the one lease-status / role / occupancy language of
//! DESIGN.md; the GraphQL API serves the same enums (feature `graphql`).

pub mod record;
pub mod vocab;

pub use record::{
    Address, ContentHash, NormalizedLease, NormalizedLeaseResident, NormalizedProperty, NormalizedRecord,
    NormalizedResident, NormalizedUnit, NormalizedUnitSpace, RecordKind, hash_with_parent,
};
pub use vocab::{LeaseStatus, Occupancy, ResidentRole, UnknownWord};
