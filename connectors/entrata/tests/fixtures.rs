//! The Entrata connector against the public Entrata shapes in `shared/fixtures/pms/entrata`: every
//! response file parsed and mapped, the normalized records snapshotted (insta, `tests/snapshots`),
//! every request file rebuilt by its builder.

use chrono::{TimeZone, Utc};
use pmsgraph_connector_core::{LeaseStatus, Occupancy, ResidentRole};
use pmsgraph_connector_entrata::map::{self, MapContext};
use pmsgraph_connector_entrata::wire::{self, AuthType, LeasesQuery};
use serde_json::Value;

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures/pms/entrata/", $name)).as_slice()
    };
}

/// Every fixture file and the test that reads it: a new file fails here until it has a test.
const COVERED: &[&str] = &[
    "getCustomers.response.json",
    "getLeases.r1.request.json",
    "getLeases.r1.response.json",
    "getProperties.response.json",
    "getPropertyUnits.schema-derived.json",
    "getStatus.request.json",
    "getStatus.response.json",
];

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("the fixture is JSON")
}

fn ctx() -> MapContext {
    // A fixed "now", inside the captured lease's term (2024-08-01 .. 2025-07-31).
    MapContext::new(Utc.with_ymd_and_hms(2025, 1, 15, 17, 0, 0).single().expect("a valid instant"))
}

#[test]
fn every_fixture_file_is_covered() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures/pms/entrata");
    let mut found: Vec<String> = std::fs::read_dir(dir)
        .expect("the fixture directory")
        .map(|entry| entry.expect("a directory entry").file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    assert_eq!(found, COVERED);
}

#[test]
fn get_status_request_is_rebuilt() {
    let call = wire::get_status(AuthType::ApiKey, "1");
    assert_eq!(call.method.module(), "status");
    assert!(call.query.is_empty());
    assert_eq!(serde_json::to_value(&call.body).expect("serializes"), json(fixture!("getStatus.request.json")));
}

#[test]
fn get_status_response() {
    let status = map::parse_status(fixture!("getStatus.response.json")).expect("parses");
    assert_eq!(status.status.as_deref(), Some("Success"));
    assert_eq!(status.message.as_deref(), Some("API service is available and running."));
}

#[test]
fn get_properties_response() {
    let properties = map::parse_properties(fixture!("getProperties.response.json")).expect("parses");
    assert_eq!(properties.len(), 2);
    let academy = &properties[0];
    assert_eq!((academy.remote_id.as_str(), academy.name.as_str()), ("739076", "1008 S. 4th"));
    assert_eq!(academy.address.state.as_deref(), Some("IL"));
    // Entrata names no zone: it is inferred from the address (Champaign, IL).
    assert_eq!(academy.time_zone.as_deref(), Some("America/Chicago"));
    // The child property has no address at all.
    assert_eq!(properties[1].address, Default::default());
    insta::assert_json_snapshot!("get_properties", properties);
}

#[test]
fn get_property_units_response() {
    let properties = map::parse_property_units(fixture!("getPropertyUnits.schema-derived.json")).expect("parses");
    assert_eq!(properties.len(), 1);
    let unit = &properties[0].units[0];
    assert_eq!((unit.bedrooms, unit.bathrooms, unit.square_feet), (Some(4), Some(4.0), Some(1400)));
    assert_eq!(unit.occupancy, Occupancy::Occupied);
    assert_eq!(unit.spaces.len(), 1);
    assert_eq!((unit.spaces[0].remote_id.as_str(), unit.spaces[0].name.as_str()), ("4192730", "512-A"));
    insta::assert_json_snapshot!("get_property_units", properties);
}

#[test]
fn get_leases_request_is_rebuilt() {
    let call = wire::get_leases(AuthType::ApiKey, "15", &LeasesQuery::property("100002775"));
    assert_eq!(call.method.module(), "leases");
    assert!(call.query.is_empty(), "no page asked for");
    assert_eq!(serde_json::to_value(&call.body).expect("serializes"), json(fixture!("getLeases.r1.request.json")));
}

#[test]
fn get_leases_response() {
    let page = map::parse_leases(fixture!("getLeases.r1.response.json"), "100002775", &ctx()).expect("parses");
    assert_eq!(page.leases.len(), 1);
    let lease = &page.leases[0];
    assert_eq!(lease.status, LeaseStatus::Current);
    assert_eq!(lease.rent_cents, Some(103_500), "Base Rent only, not the one-time deposit");
    let people: Vec<_> = lease.residents.iter().map(|r| (r.resident_remote_id.as_str(), r.role, r.status)).collect();
    assert_eq!(
        people,
        [
            ("17234385", ResidentRole::Primary, LeaseStatus::Current),
            ("17234430", ResidentRole::Guarantor, LeaseStatus::Cancelled)
        ]
    );
    assert_eq!(page.residents.len(), 2);
    insta::assert_json_snapshot!("get_leases", page);
}

#[test]
fn get_customers_response() {
    let residents = map::parse_customers(fixture!("getCustomers.response.json")).expect("parses");
    let ids: Vec<_> = residents.iter().map(|r| r.remote_id.as_str()).collect();
    assert_eq!(ids, ["17563935", "18099868"]);
    insta::assert_json_snapshot!("get_customers", residents);
}
