//! The RealPage connector against RealPage's shapes. No public capture of an RPX answer exists
//! (`shared/fixtures/pms/README.md`), so:
//! - the request envelopes the connector writes are compared, element by element (qualified
//!   names, namespaces, order, text), with the reconstructed ones in
//!   `shared/fixtures/pms/realpage/rpx.requests.reconstructed.xml`, whose credentials are
//!   placeholders;
//! - the answers are the assumed documents in `tests/data`, every element of which is one the
//!   fixtures README lists for that operation; they are parsed and mapped, and the normalized
//!   records snapshotted (insta, `tests/snapshots`), including a SOAP fault, an access refusal and
//!   a refused licence key.

use std::collections::HashMap;

use chrono::{TimeZone, Utc};
use pmsgraph_connector_core::{ConnectorError, LeaseStatus, Occupancy, People, ResidentRole, Resource};
use pmsgraph_connector_realpage::RealPageError;
use pmsgraph_connector_realpage::map::{self, MapContext};
use pmsgraph_connector_realpage::soap::{self, Auth, Call, Operation};
use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;

macro_rules! data {
    ($name:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/", $name)).as_slice()
    };
}

const RECONSTRUCTED: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/fixtures/pms/realpage/rpx.requests.reconstructed.xml"
));

fn ctx() -> MapContext {
    MapContext::new(Utc.with_ymd_and_hms(2025, 1, 15, 17, 0, 0).single().expect("a valid instant"))
}

// ----- requests -----

/// An element of a request, as compared: its qualified name, its namespace, its text, its depth.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    depth: usize,
    qname: String,
    namespace: Option<String>,
    text: String,
}

/// The elements of one envelope, in document order.
fn elements(xml: &str) -> Vec<Seen> {
    let mut reader = NsReader::from_str(xml);
    let mut out: Vec<Seen> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    loop {
        let (ns, event) = reader.read_resolved_event().expect("well-formed XML");
        let namespace = match ns {
            ResolveResult::Bound(ns) => Some(String::from_utf8_lossy(ns.as_ref()).into_owned()),
            _ => None,
        };
        match event {
            Event::Start(e) => {
                out.push(Seen { depth: open.len(), qname: qname(e.name().as_ref()), namespace, text: String::new() });
                open.push(out.len() - 1);
            }
            Event::Empty(e) => {
                out.push(Seen { depth: open.len(), qname: qname(e.name().as_ref()), namespace, text: String::new() });
            }
            Event::Text(t) => {
                let text = t.decode().expect("text");
                if let Some(&at) = open.last() {
                    out[at].text.push_str(text.trim());
                }
            }
            Event::End(_) => {
                open.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

fn qname(name: &[u8]) -> String {
    String::from_utf8_lossy(name).into_owned()
}

/// The reconstructed envelopes, by operation, with the placeholder credentials they carry.
fn reconstructed() -> HashMap<String, String> {
    let mut out = HashMap::new();
    for chunk in RECONSTRUCTED.split("<soapenv:Envelope").skip(1) {
        let end = chunk.find("</soapenv:Envelope>").expect("a closed envelope") + "</soapenv:Envelope>".len();
        let envelope = format!("<soapenv:Envelope{}", &chunk[..end]);
        let operation = elements(&envelope)
            .into_iter()
            .find(|e| e.depth == 2)
            .map(|e| e.qname.trim_start_matches("tem:").to_owned())
            .expect("an operation element");
        out.insert(operation, envelope);
    }
    out
}

#[test]
fn requests_match_the_reconstructed_envelopes() {
    let fixtures = reconstructed();
    assert_eq!(fixtures.len(), Operation::ALL.len());
    let auth = Auth { pmc_id: "1000000".into(), license_key: "00000000-0000-0000-0000-000000000000".into() };
    let site = "2000000";
    for call in [Call::site_list(site), Call::unit_list(site), Call::resident_list(site), Call::lease_info(site, 365)] {
        let name = call.operation.name();
        let fixture = fixtures.get(name).unwrap_or_else(|| panic!("no reconstructed {name}"));
        let written = soap::request_body(&call, &auth);
        assert_eq!(elements(&written), elements(fixture), "{name}: {written}");
    }
    assert_eq!(Operation::GetLeaseInfo.soap_action(), "http://tempuri.org/IRPXService/getleaseinfo");
}

// ----- answers -----

#[test]
fn getsitelist() {
    let sites = map::parse_site_list(data!("getsitelist.response.xml")).expect("parses");
    assert_eq!(sites.len(), 2);
    assert_eq!(sites[0].time_zone.as_deref(), Some("America/Chicago"));
    assert_eq!(sites[1].address.line1.as_deref(), Some("20 Birch St"), "Adr1 is the address too");
    assert_eq!(sites[1].name, "Birch & Pine Flats");
    insta::assert_json_snapshot!(sites);
}

#[test]
fn unitlist() {
    let units = map::parse_unit_list(data!("unitlist.response.xml"), "2000000").expect("parses");
    assert_eq!(units.len(), 2);
    assert_eq!((units[0].occupancy, units[1].occupancy), (Occupancy::Occupied, Occupancy::Vacant));
    assert_eq!(units[0].remote_id, "2000000:5101");
    assert_eq!(units[0].square_feet, Some(712), "rentable square feet first");
    assert_eq!(units[1].square_feet, Some(1010), "else gross");
    assert_eq!(units[1].bathrooms, Some(1.5));
    insta::assert_json_snapshot!(units);
}

fn tenancies() -> map::Tenancies {
    let members = map::parse_resident_list(data!("getresidentlistinfo.response.xml")).expect("parses");
    let leases = map::parse_lease_info(data!("getleaseinfo.response.xml")).expect("parses");
    map::tenancies("2000000", members, &leases, Some("America/Chicago"), &ctx())
}

#[test]
fn getresidentlistinfo_joined_with_getleaseinfo() {
    let t = tenancies();
    let lease = |id: &str| t.leases.iter().find(|l| l.remote_id == id).unwrap_or_else(|| panic!("lease {id}"));
    let statuses: Vec<(String, LeaseStatus, Option<String>)> =
        t.leases.iter().map(|l| (l.remote_id.clone(), l.status, l.remote_status.clone())).collect();
    let want = [
        ("3001", LeaseStatus::Notice, "Current"),
        ("3002", LeaseStatus::Future, "Future Lease"),
        ("3003", LeaseStatus::Past, "Former"),
        ("3004", LeaseStatus::Applicant, "Applicant - Lease Signed"),
        ("3005", LeaseStatus::Cancelled, "Former Applicant"),
        ("3006", LeaseStatus::Current, "Current"),
    ];
    assert_eq!(statuses, want.map(|(id, s, w)| (id.to_owned(), s, Some(w.to_owned()))));
    // Roles: the head of household, a signer (who carries the rent), an occupant.
    let roles: Vec<ResidentRole> = lease("3001").residents.iter().map(|r| r.role).collect();
    assert_eq!(roles, [ResidentRole::Primary, ResidentRole::CoApplicant, ResidentRole::Occupant]);
    // The renewal's lease record, not its prior one: its rent, the household's first move-in.
    assert_eq!(lease("3001").rent_cents, Some(145_000));
    assert_eq!(lease("3001").move_in_date, chrono::NaiveDate::from_ymd_opt(2023, 3, 1));
    assert!(lease("3003").is_month_to_month, "LeaseTermDesc Month-to-Month");
    // "Patel, Dev" names the head as "last, first".
    assert_eq!(lease("3002").residents[0].role, ResidentRole::Primary);
    // Outside getleaseinfo's window: read from the resident rows alone, lived in past its end.
    let old = lease("3006");
    assert!(old.is_month_to_month && old.rent_cents == Some(125_000), "{old:?}");
    assert_eq!(old.remote_data.to_value()["lease"], serde_json::Value::Null);
    // One person on two households (same email, trimmed and case-insensitive, same last name).
    let (residents, leases) = People::default().records(t.residents.clone(), t.leases.clone());
    assert_eq!(residents.len(), t.residents.len() - 1);
    let ann: Vec<_> = leases
        .iter()
        .filter_map(|r| match r {
            pmsgraph_connector_core::NormalizedRecord::Lease(l) => Some(l),
            _ => None,
        })
        .filter(|l| l.residents.iter().any(|r| r.resident_remote_id == "9001"))
        .map(|l| l.remote_id.as_str())
        .collect();
    assert_eq!(ann, ["3001", "3003"]);
    insta::assert_json_snapshot!(t);
}

#[test]
fn a_soap_fault_is_a_typed_error() {
    let err = map::parse_unit_list(data!("unitlist.fault.response.xml"), "2000000").expect_err("a fault");
    assert_eq!(
        err,
        RealPageError::Fault {
            operation: Operation::UnitList,
            code: Some("a:InternalServiceFault".into()),
            message: "The server was unable to process the request due to an internal error.".into(),
            http_status: None,
        }
    );
    insta::assert_debug_snapshot!(ConnectorError::from(err));
}

#[test]
fn an_access_refusal_denies_the_operations_resource() {
    let err = map::parse_lease_info(data!("getleaseinfo.access_denied.response.xml")).expect_err("denied");
    assert_eq!(err.code(), "REALPAGE_ACCESS_DENIED");
    let err = ConnectorError::from(err);
    assert!(
        matches!(&err, ConnectorError::AccessDenied { resource: Resource::Leases, message } if message.starts_with("getleaseinfo: Access denied")),
        "{err:?}"
    );
    let err = map::parse_site_list(data!("getsitelist.bad_license.response.xml")).expect_err("refused");
    assert!(matches!(ConnectorError::from(err), ConnectorError::Unauthorized(m) if m.contains("Invalid license key")));
}

#[test]
fn bad_values_name_their_element() {
    let body = String::from_utf8_lossy(data!("unitlist.response.xml")).replacen(
        "<Vacant>F</Vacant>",
        "<Vacant>No</Vacant>",
        1,
    );
    let err = map::parse_unit_list(body.as_bytes(), "2000000").expect_err("bad flag");
    let RealPageError::Malformed { path, message } = err else { panic!("{err:?}") };
    assert_eq!(path, "Envelope/Body/unitlistResponse/unitlistResult/UnitList/Unit[1]/Vacant");
    assert!(message.contains("T/F"), "{message}");
}
