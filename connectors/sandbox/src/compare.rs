//! Comparing what a connector read back from a simulator with what the sandbox generated, record by
//! record (DESIGN.md, "Testing": the round trip must equal the world). Shared by every connector's
//! round-trip test and the end-to-end tests.

use std::collections::BTreeMap;

use futures::StreamExt;
use pmsgraph_connector_core::{
    Connector, NormalizedLease, NormalizedRecord, NormalizedUnit, Occupancy, RecordKind, RemoteData, SyncItem,
    SyncScope,
};

use crate::world::{Person, Property, World};

/// Records by (kind, remote id), with `remote_data` blanked (the world has none). Panics on a
/// record that comes twice.
pub fn keyed(records: impl IntoIterator<Item = NormalizedRecord>) -> BTreeMap<(RecordKind, String), NormalizedRecord> {
    let mut out = BTreeMap::new();
    for record in records {
        let blank = blank(record);
        let key = (blank.kind(), blank.remote_id().to_owned());
        assert!(out.insert(key.clone(), blank).is_none(), "{key:?} came twice");
    }
    out
}

/// A record without its raw PMS records.
pub fn blank(record: NormalizedRecord) -> NormalizedRecord {
    match record {
        NormalizedRecord::Property(mut p) => {
            p.remote_data = RemoteData::null();
            NormalizedRecord::Property(p)
        }
        NormalizedRecord::Unit(mut u) => {
            u.remote_data = RemoteData::null();
            u.spaces.iter_mut().for_each(|s| s.remote_data = RemoteData::null());
            NormalizedRecord::Unit(u)
        }
        NormalizedRecord::Resident(mut r) => {
            r.remote_data = RemoteData::null();
            NormalizedRecord::Resident(r)
        }
        NormalizedRecord::Lease(mut l) => {
            l.remote_data = RemoteData::null();
            l.residents.iter_mut().for_each(|r| r.remote_data = RemoteData::null());
            NormalizedRecord::Lease(l)
        }
    }
}

/// Runs a sync of `scope` to its end: the records, and the failures.
pub async fn collect(connector: &dyn Connector, scope: SyncScope) -> (Vec<NormalizedRecord>, Vec<SyncItem>) {
    let mut records = Vec::new();
    let mut failures = Vec::new();
    let mut stream = connector.sync(scope, None);
    while let Some(item) = stream.next().await {
        match item {
            SyncItem::Page(page) => records.extend(page),
            failed @ SyncItem::Failed { .. } => failures.push(failed),
        }
    }
    (records, failures)
}

/// Panics naming the first records missing, extra or different.
pub fn assert_same(
    read: BTreeMap<(RecordKind, String), NormalizedRecord>,
    want: BTreeMap<(RecordKind, String), NormalizedRecord>,
) {
    let missing: Vec<_> = want.keys().filter(|k| !read.contains_key(*k)).take(5).collect();
    let extra: Vec<_> = read.keys().filter(|k| !want.contains_key(*k)).take(5).collect();
    assert!(missing.is_empty() && extra.is_empty(), "missing {missing:?}, extra {extra:?}");
    for (key, record) in &want {
        assert_eq!(&read[key], record, "{key:?} differs");
    }
}

/// Checks a connector's scoped syncs against the world it reads: a unit sync reads that unit, its
/// leases and their people, each equal to the world's and nothing of the rest of the property; a
/// resident sync reads the person's leases. Returns the lease (one with several people) it used.
pub async fn assert_scoped_syncs(
    connector: &dyn Connector,
    world: &BTreeMap<(RecordKind, String), NormalizedRecord>,
) -> NormalizedLease {
    let lease = world
        .values()
        .find_map(|r| match r {
            NormalizedRecord::Lease(l) if l.residents.len() > 1 => Some(l.clone()),
            _ => None,
        })
        .expect("a lease with several people");
    let unit = lease.unit_remote_id.clone().expect("a unit");
    let scope = SyncScope::Unit { property: lease.property_remote_id.clone(), unit: unit.clone() };
    let (records, failures) = collect(connector, scope).await;
    assert!(failures.is_empty(), "{failures:?}");
    assert!(!records.is_empty());
    let mut units = 0;
    for record in keyed(records).into_values() {
        match &record {
            NormalizedRecord::Lease(l) => assert_eq!(l.unit_remote_id.as_deref(), Some(unit.as_str())),
            NormalizedRecord::Unit(u) => {
                assert_eq!(u.remote_id, unit);
                units += 1;
            }
            NormalizedRecord::Property(_) => panic!("a unit sync reads no property"),
            NormalizedRecord::Resident(_) => {}
        }
        assert_eq!(world[&(record.kind(), record.remote_id().to_owned())], record);
    }
    assert_eq!(units, 1);

    let person = lease.residents[0].resident_remote_id.clone();
    let scope = SyncScope::Resident { resident: person.clone(), properties: vec![lease.property_remote_id.clone()] };
    let (records, failures) = collect(connector, scope).await;
    assert!(failures.is_empty(), "{failures:?}");
    let leases: Vec<_> = records
        .iter()
        .filter_map(|r| match r {
            NormalizedRecord::Lease(l) => Some(l),
            _ => None,
        })
        .collect();
    assert!(leases.iter().any(|l| l.remote_id == lease.remote_id));
    assert!(leases.iter().all(|l| l.residents.iter().any(|r| r.resident_remote_id == person)));
    lease
}

/// Panics at the first record streamed before a parent it names (DESIGN.md: parents first).
pub fn assert_parents_first(records: &[NormalizedRecord]) {
    let mut seen = std::collections::HashSet::new();
    for record in records {
        match record {
            NormalizedRecord::Property(_) | NormalizedRecord::Resident(_) => {}
            NormalizedRecord::Unit(u) => assert!(seen.contains(&(RecordKind::Property, u.property_remote_id.clone()))),
            NormalizedRecord::Lease(l) => {
                assert!(seen.contains(&(RecordKind::Property, l.property_remote_id.clone())));
                let unit = l.unit_remote_id.clone().expect("a unit");
                assert!(seen.contains(&(RecordKind::Unit, unit)), "lease {} before its unit", l.remote_id);
                for person in &l.residents {
                    assert!(seen.contains(&(RecordKind::Resident, person.resident_remote_id.clone())));
                }
            }
        }
        seen.insert((record.kind(), record.remote_id().to_owned()));
    }
}

/// The world's properties and units as a SOAP PMS (Yardi, RealPage) carries them, under its own
/// ids: no country, no unit spaces (a unit leased by the bed is one unit, at its market rent).
pub fn soap_properties_and_units(
    world: &World,
    property_id: impl Fn(&Property) -> String,
    unit_id: impl Fn(usize) -> String,
) -> Vec<NormalizedRecord> {
    properties_and_units(world, property_id, unit_id, None, true)
}

/// The world's properties and units as a PMS without unit spaces carries them, under its own ids
/// (a unit leased by the bed is one unit, at its market rent): with `country` on every address,
/// and floorplan names only if the PMS has `floorplans`.
pub fn properties_and_units(
    world: &World,
    property_id: impl Fn(&Property) -> String,
    unit_id: impl Fn(usize) -> String,
    country: Option<&str>,
    floorplans: bool,
) -> Vec<NormalizedRecord> {
    let occupied = world.occupied_slots();
    let mut out: Vec<_> = world.properties.iter().map(|p| p.normalized(property_id(p), country)).collect();
    for (i, u) in world.units.iter().enumerate() {
        let p = &world.properties[u.property];
        let fp = &p.floorplans[u.floorplan];
        let lived_in = occupied.iter().any(|(unit, _)| *unit == i);
        out.push(NormalizedRecord::Unit(NormalizedUnit {
            remote_id: unit_id(i),
            property_remote_id: property_id(p),
            number: u.number.clone(),
            building: Some(p.buildings[u.building].name.clone()),
            floorplan: floorplans.then(|| fp.name.to_owned()),
            bedrooms: Some(i32::from(fp.bedrooms)),
            bathrooms: Some(fp.bathrooms()),
            square_feet: i32::try_from(u.square_feet).ok(),
            market_rent_cents: Some(u.market_rent_cents),
            occupancy: if lived_in { Occupancy::Occupied } else { Occupancy::Vacant },
            spaces: Vec::new(),
            remote_data: RemoteData::null(),
        }));
    }
    out
}

/// The people of a PMS whose person ids are per lease, as a test expects them (written apart
/// from any connector): DESIGN.md's rule, the same email (trimmed, case-insensitive) and last
/// name is one person, who keeps the id of their first sighting; without an email, each id is a
/// person.
#[derive(Debug, Default)]
pub struct PerLeasePeople {
    identity: std::collections::HashMap<(String, String), String>,
    emitted: std::collections::HashSet<String>,
}

impl PerLeasePeople {
    /// The id of `person`, seen under the per-lease `code`; the first sighting of a person is
    /// pushed to `out` as a resident.
    pub fn sight(&mut self, person: &Person, code: String, out: &mut Vec<NormalizedRecord>) -> String {
        let id = match &person.email {
            Some(email) => self
                .identity
                .entry((email.trim().to_lowercase(), person.last_name.to_lowercase()))
                .or_insert(code)
                .clone(),
            None => code,
        };
        if self.emitted.insert(id.clone()) {
            out.push(person.normalized(id.clone()));
        }
        id
    }
}

/// Checks that a connector waits out the sandbox's rate limit (429 with `Retry-After`) and its
/// outages (5xx): `connector` makes one for a sandbox credential, and every sync reads `want`.
pub async fn assert_waits_out_faults<C: Connector>(connector: impl Fn(&str) -> C, want: &[NormalizedRecord]) {
    for profile in ["sandbox+ratelimit", "sandbox+flaky"] {
        let (records, failures) = collect(&connector(profile), SyncScope::Integration).await;
        assert!(failures.is_empty(), "{profile}: {failures:?}");
        assert_same(keyed(records), keyed(want.to_vec()));
    }
}

/// Checks a sync in which the operation that reads leases answered a SOAP fault: every property
/// failed with an upstream 500 whose message holds `message`, and every property still came, with
/// its units, but no lease (`want` is the world as the connector reads it).
pub fn assert_soap_fault_fails_each_property(
    records: &[NormalizedRecord],
    failures: &[SyncItem],
    want: &[NormalizedRecord],
    message: &str,
) {
    let count = |records: &[NormalizedRecord], kind| records.iter().filter(|r| r.kind() == kind).count();
    assert_eq!(failures.len(), count(want, RecordKind::Property));
    for failure in failures {
        let SyncItem::Failed {
            property: Some(_),
            error: pmsgraph_connector_core::ConnectorError::Upstream { status: Some(500), message: got },
        } = failure
        else {
            panic!("{failure:?}");
        };
        assert!(got.contains(message), "{got}");
    }
    assert_eq!(count(records, RecordKind::Property), count(want, RecordKind::Property));
    assert_eq!(count(records, RecordKind::Unit), count(want, RecordKind::Unit));
    assert_eq!(count(records, RecordKind::Lease), 0);
}
