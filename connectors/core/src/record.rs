//! Normalized records: what every connector produces and the sync engine stores (DESIGN.md,
//! "Normalized model").
//!
//! Records reference each other by the PMS's own ids (`*_remote_id`); the sync engine resolves those
//! to pmsgraph ids within one integration. Each record keeps the PMS's raw record in `remote_data`.
//! A unit carries its bedroom-level spaces and a lease carries its people, because the PMSs deliver
//! them that way; each of those is still stored (and hashed) as a row of its own.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::raw::RemoteData;
use crate::vocab::{LeaseStatus, Occupancy, ResidentRole};

/// The kinds of synced rows, in the order the sync engine writes them (parents first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Property,
    Unit,
    UnitSpace,
    Resident,
    Lease,
    LeaseResident,
}

impl RecordKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            RecordKind::Property => "property",
            RecordKind::Unit => "unit",
            RecordKind::UnitSpace => "unit_space",
            RecordKind::Resident => "resident",
            RecordKind::Lease => "lease",
            RecordKind::LeaseResident => "lease_resident",
        }
    }
}

/// One record as a connector streams it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NormalizedRecord {
    Property(NormalizedProperty),
    Unit(NormalizedUnit),
    Resident(NormalizedResident),
    Lease(NormalizedLease),
}

impl NormalizedRecord {
    pub fn kind(&self) -> RecordKind {
        match self {
            NormalizedRecord::Property(_) => RecordKind::Property,
            NormalizedRecord::Unit(_) => RecordKind::Unit,
            NormalizedRecord::Resident(_) => RecordKind::Resident,
            NormalizedRecord::Lease(_) => RecordKind::Lease,
        }
    }

    pub fn remote_id(&self) -> &str {
        match self {
            NormalizedRecord::Property(p) => &p.remote_id,
            NormalizedRecord::Unit(u) => &u.remote_id,
            NormalizedRecord::Resident(r) => &r.remote_id,
            NormalizedRecord::Lease(l) => &l.remote_id,
        }
    }
}

/// A postal address; every part is optional because PMSs leave parts out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NormalizedProperty {
    pub remote_id: String,
    pub name: String,
    pub address: Address,
    /// IANA zone, where the PMS says or the connector could infer it.
    pub time_zone: Option<String>,
    pub unit_count: Option<i32>,
    pub remote_data: RemoteData,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NormalizedUnit {
    pub remote_id: String,
    pub property_remote_id: String,
    pub number: String,
    pub building: Option<String>,
    pub floorplan: Option<String>,
    pub bedrooms: Option<i32>,
    pub bathrooms: Option<f64>,
    pub square_feet: Option<i32>,
    /// Market rent in minor units (cents), so money is never a float.
    pub market_rent_cents: Option<i64>,
    pub occupancy: Occupancy,
    /// Bedroom-level spaces (student housing); empty for ordinary units.
    pub spaces: Vec<NormalizedUnitSpace>,
    pub remote_data: RemoteData,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NormalizedUnitSpace {
    pub remote_id: String,
    pub name: String,
    pub remote_data: RemoteData,
}

/// A person. One person on several leases of one integration is one resident (DESIGN.md, "Person
/// identity"): connectors whose PMS has per-lease person ids merge them before emitting this.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NormalizedResident {
    pub remote_id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub remote_data: RemoteData,
}

impl NormalizedResident {
    /// Who this person is where the PMS's person ids are per lease: see [`person_key`].
    pub fn identity_key(&self) -> Option<PersonKey> {
        person_key(self.email.as_deref(), &self.last_name)
    }
}

/// The identity of a person whose PMS ids are per lease (DESIGN.md, "Person identity"): the email
/// (trimmed, case-insensitive) and the last name (likewise). Without an email there is none: such
/// records are never merged, on name alone or otherwise.
pub type PersonKey = (String, String);

/// The [`PersonKey`] of an email and a last name, `None` without an email.
pub fn person_key(email: Option<&str>, last_name: &str) -> Option<PersonKey> {
    let email = email.map(|e| e.trim().to_lowercase()).filter(|e| !e.is_empty())?;
    Some((email, last_name.trim().to_lowercase()))
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NormalizedLease {
    pub remote_id: String,
    pub property_remote_id: String,
    pub unit_remote_id: Option<String>,
    pub unit_space_remote_id: Option<String>,
    pub status: LeaseStatus,
    /// The PMS's own status word, kept verbatim.
    pub remote_status: Option<String>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub move_in_date: Option<NaiveDate>,
    pub move_out_date: Option<NaiveDate>,
    pub notice_date: Option<NaiveDate>,
    pub rent_cents: Option<i64>,
    pub is_month_to_month: bool,
    pub residents: Vec<NormalizedLeaseResident>,
    pub remote_data: RemoteData,
}

/// One person's occupancy of one lease.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NormalizedLeaseResident {
    pub resident_remote_id: String,
    pub role: ResidentRole,
    pub move_in_date: Option<NaiveDate>,
    pub move_out_date: Option<NaiveDate>,
    pub status: LeaseStatus,
    pub remote_data: RemoteData,
}

impl NormalizedLease {
    /// A lease with only its ids, status and people: no dates, no rent, no raw record.
    pub fn new(
        remote_id: impl Into<String>,
        property_remote_id: impl Into<String>,
        status: LeaseStatus,
        residents: Vec<NormalizedLeaseResident>,
    ) -> Self {
        NormalizedLease {
            remote_id: remote_id.into(),
            property_remote_id: property_remote_id.into(),
            unit_remote_id: None,
            unit_space_remote_id: None,
            status,
            remote_status: None,
            start_date: None,
            end_date: None,
            move_in_date: None,
            move_out_date: None,
            notice_date: None,
            rent_cents: None,
            is_month_to_month: false,
            residents,
            remote_data: RemoteData::null(),
        }
    }
}

impl NormalizedLeaseResident {
    /// One person's place on a lease, without dates or a raw record.
    pub fn new(resident_remote_id: impl Into<String>, role: ResidentRole, status: LeaseStatus) -> Self {
        NormalizedLeaseResident {
            resident_remote_id: resident_remote_id.into(),
            role,
            move_in_date: None,
            move_out_date: None,
            status,
            remote_data: RemoteData::null(),
        }
    }

    /// The occupancy's own remote id: PMSs have none, so it is the pair (lease, person).
    pub fn remote_id(&self, lease_remote_id: &str) -> String {
        format!("{lease_remote_id}:{}", self.resident_remote_id)
    }
}

/// A stable digest of the fields stored in one row, so the sync engine can skip rows whose content
/// did not change without comparing field by field.
pub trait ContentHash {
    fn content_hash(&self) -> String;
}

/// Hashes a serializable view of a row's own fields, then its raw record's text as it is.
/// serde_json writes struct and tuple fields in declaration order, so the digest is stable for
/// equal content.
///
/// The fields are serialized into a reused buffer and hashed in one call: serde_json writes a
/// token at a time, and feeding blake3 a few bytes per call cost more than the hashing itself.
/// (The digest does not depend on how its input is split.)
fn digest<T: Serialize>(fields: &T, raw: &RemoteData) -> String {
    thread_local! {
        static FIELDS: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let mut hasher = blake3::Hasher::new();
    FIELDS.with_borrow_mut(|buffer| {
        buffer.clear();
        // Serializing plain data cannot fail: every type here is a tree of strings, numbers and
        // dates.
        if serde_json::to_writer(&mut *buffer, fields).is_err() {
            buffer.clear();
            buffer.extend_from_slice(b"\0unserializable");
        }
        hasher.update(buffer);
    });
    hasher.update(b"\0");
    hasher.update(raw.as_str().as_bytes());
    hasher.finalize().to_hex()[..32].to_owned()
}

impl ContentHash for NormalizedProperty {
    fn content_hash(&self) -> String {
        digest(&(&self.remote_id, &self.name, &self.address, &self.time_zone, &self.unit_count), &self.remote_data)
    }
}

impl ContentHash for NormalizedUnit {
    /// Spaces are rows of their own and are hashed apart.
    fn content_hash(&self) -> String {
        digest(
            &(
                &self.remote_id,
                &self.property_remote_id,
                &self.number,
                &self.building,
                &self.floorplan,
                &self.bedrooms,
                &self.bathrooms,
                &self.square_feet,
                &self.market_rent_cents,
                &self.occupancy,
            ),
            &self.remote_data,
        )
    }
}

impl ContentHash for NormalizedUnitSpace {
    fn content_hash(&self) -> String {
        digest(&(&self.remote_id, &self.name), &self.remote_data)
    }
}

impl ContentHash for NormalizedResident {
    fn content_hash(&self) -> String {
        digest(&(&self.remote_id, &self.first_name, &self.last_name, &self.email, &self.phone), &self.remote_data)
    }
}

impl ContentHash for NormalizedLease {
    /// The lease's people are rows of their own and are hashed apart.
    fn content_hash(&self) -> String {
        digest(
            &(
                &self.remote_id,
                &self.property_remote_id,
                &self.unit_remote_id,
                &self.unit_space_remote_id,
                &self.status,
                &self.remote_status,
                (&self.start_date, &self.end_date, &self.move_in_date, &self.move_out_date, &self.notice_date),
                &self.rent_cents,
                &self.is_month_to_month,
            ),
            &self.remote_data,
        )
    }
}

impl ContentHash for NormalizedLeaseResident {
    fn content_hash(&self) -> String {
        digest(
            &(&self.resident_remote_id, &self.role, &self.move_in_date, &self.move_out_date, &self.status),
            &self.remote_data,
        )
    }
}

/// The hash of a child row whose parent is not among its own fields (a unit space in its unit), so
/// that moving it to another parent counts as a change.
pub fn hash_with_parent(hash: &str, parent_remote_id: &str) -> String {
    digest(&(hash, parent_remote_id), &RemoteData::null())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn unit() -> NormalizedUnit {
        NormalizedUnit {
            remote_id: "u1".into(),
            property_remote_id: "p1".into(),
            number: "101".into(),
            building: None,
            floorplan: Some("2x1".into()),
            bedrooms: Some(2),
            bathrooms: Some(1.0),
            square_feet: Some(850),
            market_rent_cents: Some(145_000),
            occupancy: Occupancy::Occupied,
            spaces: vec![],
            remote_data: json!({"UnitNumber": "101"}).into(),
        }
    }

    #[test]
    fn equal_content_hashes_equal_and_any_field_change_shows() {
        let a = unit();
        assert_eq!(a.content_hash(), unit().content_hash());
        let mut b = unit();
        b.market_rent_cents = Some(145_001);
        assert_ne!(a.content_hash(), b.content_hash());
        let mut c = unit();
        c.remote_data = json!({"UnitNumber": "101", "extra": true}).into();
        assert_ne!(a.content_hash(), c.content_hash());
    }

    #[test]
    fn a_unit_hash_ignores_its_spaces() {
        let mut with_spaces = unit();
        with_spaces.spaces.push(NormalizedUnitSpace {
            remote_id: "s1".into(),
            name: "Bedroom A".into(),
            remote_data: json!({}).into(),
        });
        assert_eq!(unit().content_hash(), with_spaces.content_hash());
    }

    #[test]
    fn records_round_trip_through_json() {
        let record = NormalizedRecord::Unit(unit());
        let json = serde_json::to_value(&record).expect("serializes");
        assert_eq!(json["kind"], "unit");
        let back: NormalizedRecord = serde_json::from_value(json).expect("parses");
        assert_eq!(back, record);
        assert_eq!(back.kind(), RecordKind::Unit);
        assert_eq!(back.remote_id(), "u1");
    }
}
