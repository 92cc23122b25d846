//! The Buildium connector against the schema-derived examples in
//! `shared/fixtures/pms/buildium/examples.schema-derived.json`: every example answer parsed and
//! mapped, the normalized records snapshotted (insta, `tests/snapshots`), and the error example
//! read as a typed error. The examples carry nulls the schemas forbid (`AddressLine2: null`,
//! `MoveOutDate: null`): they are read as absent.

use chrono::NaiveDate;
use pmsgraph_connector_buildium::map;
use pmsgraph_connector_buildium::wire::{Lease, Rental, RentalUnit, Tenant};
use pmsgraph_connector_buildium::{BuildiumError, error::ApiErrorResponse};
use pmsgraph_connector_core::{ConnectorError, LeaseStatus, Occupancy, RemoteData, ResidentRole, Resource};
use serde_json::Value;

fn examples() -> Value {
    let text = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/fixtures/pms/buildium/examples.schema-derived.json"
    ));
    serde_json::from_str(text).expect("the examples are JSON")
}

fn body(key_start: &str) -> (Vec<u8>, Value) {
    let all = examples();
    let (_, example) = all
        .as_object()
        .expect("an object")
        .iter()
        .find(|(k, _)| k.starts_with(key_start))
        .unwrap_or_else(|| panic!("no example {key_start}"));
    (serde_json::to_vec(&example["body"]).expect("serializes"), example["response_headers"].clone())
}

#[test]
fn every_example_is_covered() {
    let all = examples();
    let keys: Vec<&String> = all.as_object().expect("an object").keys().filter(|k| !k.starts_with('_')).collect();
    assert_eq!(keys.len(), 5, "a new example needs a test here: {keys:?}");
}

#[test]
fn rentals() {
    let (body, headers) = body("GET /v1/rentals?");
    assert_eq!(headers["X-Total-Count"], "57");
    let page = map::parse_page::<Rental>(&body, "/v1/rentals").expect("parses");
    let properties: Vec<_> = page.iter().map(|(r, raw)| map::property(r, raw).expect("maps")).collect();
    assert_eq!(properties[0].address.country.as_deref(), Some("US"));
    assert_eq!(properties[0].address.line2, None, "a null is absent");
    assert_eq!(properties[0].time_zone.as_deref(), Some("America/New_York"));
    insta::assert_json_snapshot!(properties);
}

#[test]
fn units() {
    let (body, _) = body("GET /v1/rentals/units");
    let page = map::parse_page::<RentalUnit>(&body, "/v1/rentals/units").expect("parses");
    let units: Vec<_> = page.iter().map(|(u, raw)| map::unit(u, raw).expect("maps")).collect();
    assert_eq!(units[0].bedrooms, Some(2));
    assert_eq!(units[0].bathrooms, Some(1.0));
    assert_eq!(units[0].occupancy, Occupancy::Occupied);
    assert_eq!(units[0].market_rent_cents, Some(210_000));
    assert_eq!(units[0].building, None, "an empty building name is none");
    insta::assert_json_snapshot!(units);
}

#[test]
fn leases() {
    let (body, _) = body("GET /v1/leases?");
    let page = map::parse_page::<Lease>(&body, "/v1/leases").expect("parses");
    let today = NaiveDate::from_ymd_opt(2024, 8, 1).expect("a date");
    let (lease, cosigners) = map::lease(&page[0].0, &page[0].1, today).expect("maps");
    assert_eq!(lease.status, LeaseStatus::Current, "Active without a notice (the MoveOutData dates are null)");
    assert_eq!(lease.rent_cents, Some(210_000));
    assert_eq!(lease.move_in_date, NaiveDate::from_ymd_opt(2024, 7, 1));
    assert_eq!(lease.residents.len(), 1);
    assert_eq!(lease.residents[0].role, ResidentRole::Primary);
    assert!(cosigners.is_empty());
    insta::assert_json_snapshot!(lease);
}

#[test]
fn tenants() {
    let (body, _) = body("GET /v1/leases/tenants");
    let page = map::parse_page::<Tenant>(&body, "/v1/leases/tenants").expect("parses");
    let people: Vec<_> =
        page.iter().map(|(t, raw)| map::resident(t, RemoteData::from_raw(raw.clone()), "Id").expect("maps")).collect();
    assert_eq!(people[0].phone.as_deref(), Some("5555550100"));
    assert_eq!(people[0].email.as_deref(), Some("alex@example.com"));
    insta::assert_json_snapshot!(people);
}

#[test]
fn the_error_example_is_a_typed_error() {
    let all = examples();
    let (_, example) = all
        .as_object()
        .expect("an object")
        .iter()
        .find(|(k, _)| k.starts_with("error_example_422"))
        .expect("the error example");
    let parsed: ApiErrorResponse = serde_json::from_value(example.clone()).expect("parses");
    assert_eq!(parsed.error_code.as_deref(), Some("ValidationFailed"));
    let bytes = serde_json::to_vec(example).expect("serializes");
    let err = BuildiumError::from_status(422, &bytes, "/v1/leases", Resource::Leases);
    assert_eq!(err.code(), "BUILDIUM_BAD_REQUEST");
    assert!(err.to_string().contains("limit: The field limit must be between 1 and 1000."), "{err}");
    assert!(matches!(ConnectorError::from(err), ConnectorError::Upstream { status: Some(422), .. }));
}
