//! The Yardi connector against the public Yardi shapes in `shared/fixtures/pms/yardi`: every
//! response file parsed and mapped, the normalized records snapshotted (insta, `tests/snapshots`),
//! every request file rebuilt by the envelope writer; and the error forms (written for these tests
//! in `tests/data`, since the shared fixtures have none): an access refusal, "no tenants", a
//! refused login and a `soap:Fault`.

use chrono::{TimeZone, Utc};
use pmsgraph_connector_core::{ConnectorError, LeaseStatus, Occupancy, ResidentRole, Resource};
use pmsgraph_connector_yardi::YardiError;
use pmsgraph_connector_yardi::map::{self, MapContext, People};
use pmsgraph_connector_yardi::soap::{self, Call, Login, Operation};
use pmsgraph_connector_yardi::xml::{self, Node, RecordSpec};

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures/pms/yardi/", $name)).as_slice()
    };
}

macro_rules! data {
    ($name:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/", $name)).as_slice()
    };
}

/// Every fixture file and the test that reads it: a new file fails here until it has a test.
const COVERED: &[&str] = &[
    "GetPropertyConfigurations.response.xml",
    "GetRentroll.request.xml",
    "GetResidentData.request.xml",
    "GetResidentData.response.xml",
    "GetResidentTransactions_Login.result.xml",
    "GetResidents.request.xml",
    "GetUnitInformation_Login.result.xml",
];

fn ctx() -> MapContext {
    MapContext::new(Utc.with_ymd_and_hms(2025, 1, 15, 17, 0, 0).single().expect("a valid instant"))
}

#[test]
fn every_fixture_file_is_covered() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures/pms/yardi");
    let mut found: Vec<String> = std::fs::read_dir(dir)
        .expect("the fixture directory")
        .map(|entry| entry.expect("a directory entry").file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    assert_eq!(found, COVERED);
}

// ----- requests -----

fn placeholder_login() -> Login {
    Login {
        username: "USER".into(),
        password: "PASS".into(),
        server_name: "SERVER".into(),
        database: "DB".into(),
        platform: "SQL Server".into(),
        interface_entity: "Vendor Name".into(),
        interface_license: "LICENSE-TOKEN".into(),
    }
}

/// The operation element of a request envelope, read back.
fn request_element(body: &[u8], operation: &'static str) -> Node {
    let specs = [RecordSpec { parent: "Body", name: operation }];
    let mut found = None;
    xml::scan(body, &specs, &mut |_, node, _| {
        found = Some(node);
        Ok(())
    })
    .expect("a well-formed envelope");
    found.expect("the operation element")
}

fn assert_rebuilt(fixture: &[u8], call: &Call) {
    let name = call.operation.name();
    let written = soap::request_body(call, &placeholder_login());
    assert_eq!(request_element(written.as_bytes(), name), request_element(fixture, name));
    assert!(written.contains(&format!("<{name} xmlns=\"{}\">", call.operation.interface().namespace())));
}

#[test]
fn get_residents_request_is_rebuilt() {
    assert_rebuilt(fixture!("GetResidents.request.xml"), &Call::residents("prop01"));
    assert_eq!(
        Operation::GetResidents.soap_action(),
        "http://tempuri.org/YSI.Interfaces.WebServices/ItfResidentData/GetResidents"
    );
}

#[test]
fn get_resident_data_request_is_rebuilt() {
    // The fixture's flags; the connector asks for roommates and no ledger.
    let call = Call {
        operation: Operation::GetResidentData,
        params: vec![
            ("YardiPropertyId", "prop01".into()),
            ("TenantCode", "t0000001".into()),
            ("IncludeLedger", "true".into()),
            ("IncludeLeaseCharges", "true".into()),
            ("IncludeVehicleInfo", "false".into()),
            ("IncludeRoommateData", "false".into()),
            ("IncludeEmployerData", "false".into()),
        ],
    };
    assert_rebuilt(fixture!("GetResidentData.request.xml"), &call);
    let ours = Call::resident_data("prop01", "t0000001");
    assert_eq!(
        ours.params.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        call.params.iter().map(|(n, _)| *n).collect::<Vec<_>>()
    );
}

#[test]
fn get_rentroll_request_is_rebuilt_by_the_generic_writer() {
    let fixture = fixture!("GetRentroll.request.xml");
    let login = placeholder_login();
    let elements = [
        ("UserName", login.username.as_str()),
        ("Password", &login.password),
        ("ServerName", &login.server_name),
        ("Database", &login.database),
        ("Platform", &login.platform),
        ("InterfaceEntity", &login.interface_entity),
        ("InterfaceLicense", &login.interface_license),
        ("YardiPropertyId", "prop01"),
        ("MoveIn", "2015-01-01"),
        ("MoveOut", "2015-01-01"),
        ("LeaseChgFrom", "2000-01-01"),
        ("LeaseChgTo", "2025-01-01"),
    ];
    let written =
        soap::envelope("GetRentroll", "http://tempuri.org/YSI.Interfaces.WebServices/ItfResidentData", elements);
    assert_eq!(request_element(written.as_bytes(), "GetRentroll"), request_element(fixture, "GetRentroll"));
}

#[test]
fn text_is_escaped_in_requests() {
    let mut login = placeholder_login();
    login.password = "a<b&c".into();
    let written = soap::request_body(&Call::property_configurations(), &login);
    assert!(written.contains("<Password>a&lt;b&amp;c</Password>"), "{written}");
    assert_eq!(request_element(written.as_bytes(), "GetPropertyConfigurations").text_at("Password"), Some("a<b&c"));
}

// ----- responses -----

#[test]
fn get_property_configurations_response_soap_1_2() {
    let properties =
        map::parse_property_configurations(fixture!("GetPropertyConfigurations.response.xml")).expect("parses");
    let codes: Vec<_> = properties.iter().map(|p| p.remote_id.as_str()).collect();
    assert_eq!(codes, ["remark01", "remark02"]);
    assert_eq!(properties[0].name, "Remarkably 1 Test Property");
    assert_eq!(properties[0].address.line2, None, "empty AddressLine2/3");
    // Yardi names no zone: inferred from the address (Santa Monica, CA).
    assert_eq!(properties[0].time_zone.as_deref(), Some("America/Los_Angeles"));
    insta::assert_json_snapshot!("get_property_configurations", properties);
}

#[test]
fn get_unit_information_login_result() {
    let units =
        map::parse_unit_information(fixture!("GetUnitInformation_Login.result.xml"), "prvista1").expect("parses");
    let seen: Vec<_> = units.iter().map(|u| (u.remote_id.as_str(), u.occupancy)).collect();
    assert_eq!(
        seen,
        [
            ("prvista1:141", Occupancy::Vacant),
            ("prvista1:142", Occupancy::Occupied),
            ("prvista1:143", Occupancy::Vacant),
            ("prvista1:144", Occupancy::Occupied),
            ("prvista1:PARK01", Occupancy::Unknown),
        ]
    );
    insta::assert_json_snapshot!("get_unit_information_login", units);
}

#[test]
fn get_resident_data_response() {
    let tenancies = map::parse_resident_data(fixture!("GetResidentData.response.xml"), &ctx()).expect("parses");
    assert_eq!(tenancies.leases.len(), 1);
    let lease = &tenancies.leases[0];
    assert_eq!((lease.remote_id.as_str(), lease.property_remote_id.as_str()), ("000001", "testpay1"));
    assert_eq!(lease.unit_remote_id.as_deref(), Some("testpay1:001"));
    assert_eq!((lease.status, lease.remote_status.as_deref()), (LeaseStatus::Past, Some("Past")));
    assert_eq!(lease.rent_cents, Some(100_000));
    let person = &tenancies.residents[0];
    assert_eq!((person.email.as_deref(), person.phone.as_deref()), (Some("test@domain.com"), Some("0987654321")));
    insta::assert_json_snapshot!("get_resident_data", tenancies);
}

#[test]
fn get_resident_transactions_login_result() {
    let read =
        map::parse_resident_transactions(fixture!("GetResidentTransactions_Login.result.xml"), "prvista1", &ctx())
            .expect("parses");
    let property = read.property.as_ref().expect("the property");
    assert_eq!((property.remote_id.as_str(), property.address.city.as_deref()), ("prvista1", Some("Goleta")));
    assert_eq!(read.units.len(), 2);
    assert_eq!(read.units[0].bathrooms, Some(1.0), "1.000000");
    assert_eq!(read.units[0].market_rent_cents, Some(85_000), "850.000000");
    let leases = &read.tenancies.leases;
    let statuses: Vec<_> = leases.iter().map(|l| (l.remote_id.as_str(), l.status)).collect();
    assert_eq!(statuses, [("t0005518", LeaseStatus::Future), ("t0005344", LeaseStatus::Applicant)]);
    let people: Vec<_> =
        leases[0].residents.iter().map(|r| (r.resident_remote_id.as_str(), r.role, r.move_in_date)).collect();
    assert_eq!(
        people,
        [
            ("t0005518", ResidentRole::Primary, chrono::NaiveDate::from_ymd_opt(2011, 6, 24)),
            // A roommate responsible for the lease; 0001-01-01 is no date.
            ("r0000852", ResidentRole::CoApplicant, None),
        ]
    );
    assert_eq!(read.tenancies.residents[0].email.as_deref(), Some("fedor@pyx4j.com"));
    insta::assert_json_snapshot!("get_resident_transactions_login", read);
}

#[test]
fn get_residents_reconstructed_response() {
    let tenancies = map::parse_residents(
        data!("GetResidents.reconstructed.response.xml"),
        "prop01",
        Some("America/Los_Angeles"),
        &ctx(),
    )
    .expect("parses");
    let statuses: Vec<_> = tenancies.leases.iter().map(|l| (l.status, l.remote_status.as_deref())).collect();
    assert_eq!(
        statuses,
        [
            (LeaseStatus::Current, Some("Current")),
            (LeaseStatus::Notice, Some("Eviction")),
            (LeaseStatus::Cancelled, Some("Denied")),
            // Not a word Yardi documents: by dates (moved out), the word kept.
            (LeaseStatus::Past, Some("Former Applicant")),
        ]
    );
    let first = &tenancies.leases[0];
    assert_eq!(first.rent_cents, Some(145_000));
    assert_eq!(first.notice_date, None, "01/01/0001 is no date");
    assert_eq!(tenancies.leases[1].rent_cents, Some(130_000), "1,300.00");
    assert_eq!(tenancies.residents[0].phone.as_deref(), Some("8055550101"), "the mobile number");
    assert_eq!(tenancies.residents[0].email.as_deref(), Some("Ann.Diaz@example.com"), "trimmed");
    assert_eq!(first.residents[1].role, ResidentRole::Occupant, "a roommate not responsible for the lease");

    // Ann on two leases (same email and last name, other case) is one person; Bo, Cy without email stay apart.
    let (people, leases) = People::default().records(tenancies.residents, tenancies.leases);
    let ids: Vec<_> = people.iter().map(|p| p.remote_id()).collect();
    assert_eq!(ids, ["t0000101", "r0000201", "t0000102", "t0000103"]);
    let pmsgraph_connector_core::NormalizedRecord::Lease(last) = &leases[3] else { panic!("a lease") };
    assert_eq!(last.residents[0].resident_remote_id, "t0000101");
    insta::assert_json_snapshot!("get_residents", (people, leases));
}

// ----- error forms -----

#[test]
fn an_access_refusal_is_access_denied() {
    let err = map::parse_residents(data!("GetResidents.access_denied.response.xml"), "prop01", None, &ctx())
        .expect_err("denied");
    assert_eq!(
        err,
        YardiError::AccessDenied {
            resource: Resource::Leases,
            operation: Operation::GetResidents,
            message: "Invalid or no access to Yardi Property".into(),
        }
    );
    assert!(matches!(ConnectorError::from(err), ConnectorError::AccessDenied { resource: Resource::Leases, .. }));
}

#[test]
fn no_tenants_is_an_empty_answer() {
    let tenancies = map::parse_resident_data(data!("GetResidentData.no_tenants.response.xml"), &ctx()).expect("empty");
    assert!(tenancies.leases.is_empty() && tenancies.residents.is_empty());
}

#[test]
fn a_refused_login_is_unauthorized() {
    let err = map::parse_property_configurations(data!("GetPropertyConfigurations.bad_login.response.xml"))
        .expect_err("refused");
    assert_eq!(err, YardiError::Unauthorized { message: "Invalid User Name or Password".into() });
}

#[test]
fn a_soap_fault_is_an_upstream_error_with_its_fault_string() {
    let err = map::parse_unit_information(data!("GetUnitInformation_Login.fault.response.xml"), "prvista1")
        .expect_err("a fault");
    let YardiError::Fault { code, message, .. } = &err else { panic!("{err:?}") };
    assert_eq!(code.as_deref(), Some("soap:Client"));
    assert!(message.starts_with("Server was unable to read request. ---> There is an error"), "{message}");
    assert_eq!(ConnectorError::from(err).code(), "PMS_UPSTREAM_ERROR");
}

#[test]
fn a_bad_value_names_its_element_path() {
    let body = String::from_utf8_lossy(data!("GetResidents.reconstructed.response.xml"))
        .replace("<MoveInDate>2024-02-01</MoveInDate>", "<MoveInDate>13/45/2024</MoveInDate>");
    let err = map::parse_residents(body.as_bytes(), "prop01", None, &ctx()).expect_err("a bad date");
    assert_eq!(
        err,
        YardiError::Malformed {
            path: "Envelope/Body/GetResidentsResponse/GetResidentsResult/MITS-ResidentData/PropertyResidents/Residents/Resident[2]/MoveInDate".into(),
            message: "`13/45/2024` is not a date (YYYY-MM-DD or MM/DD/YYYY)".into(),
        }
    );
}
