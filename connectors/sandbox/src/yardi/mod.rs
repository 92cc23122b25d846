//! The Yardi Voyager simulator: the sandbox world in Yardi's SOAP wire format, as the fixtures in
//! `shared/fixtures/pms/yardi` and their README show it (DESIGN.md, "Built-in sandbox PMSs").
//!
//! Written from its own code, never from the Yardi connector's (this crate depends on no
//! connector), so that a connector bug is not mirrored here. This module reads requests (the
//! envelope, `SOAPAction`, credentials, faults) and picks the records; [`wire`] writes them.
//!
//! # Endpoints
//!
//! Mounted under `/sandbox/yardi`: `POST /{database}/Webservices/{Interface}.asmx`, for the
//! interfaces `ItfResidentData` and `ItfResidentTransactions20`, with
//! `SOAPAction: http://tempuri.org/YSI.Interfaces.WebServices/{Interface}/{Operation}` and a SOAP
//! 1.1 body whose credentials are those of [`crate::faults`] (UserName `sandbox[+options]`,
//! Password `sandbox`; the other credential elements may hold anything).
//!
//! | interface | operation | parameters | answer |
//! |---|---|---|---|
//! | ItfResidentData | GetPropertyConfigurations | - | SOAP 1.2, `Properties/Property` |
//! | ItfResidentTransactions20 | GetUnitInformation_Login | YardiPropertyId | `PhysicalProperty/Property/RT_Customer/RT_Unit` (MITS) |
//! | ItfResidentData | GetResidents | YardiPropertyId | `MITS-ResidentData/PropertyResidents/Residents/Resident[@tCode]`, dates MM/DD/YYYY |
//! | ItfResidentData | GetResidentData | YardiPropertyId, TenantCode | `MITS-ResidentData/LeaseFiles/LeaseFile`, as escaped text |
//!
//! A call answers one property whole, in one document (Yardi has no paging).
//!
//! # Codes
//!
//! Yardi has its own codes for what the world numbers ([`property_code`], [`unit_code`],
//! [`tenant_code`], [`roommate_code`]): a property `p739001`, a unit its number (`101`, unique
//! within its property), a tenant (a lease) `t` and seven digits, a roommate `r` and nine. Tenant
//! and roommate codes are per lease, as in Voyager: one person on two leases has two codes.
//!
//! # Wire quirks reproduced
//!
//! Errors are HTTP 200 with `<Messages><Message messageType="Error">` in place of the data
//! ("Invalid or no access to Yardi Property" for a `deny=` resource, "Invalid Yardi Property
//! Code", "No tenants exist with the given search criteria", "Invalid User Name or Password");
//! a request that cannot be read, a wrong `SOAPAction`, an unknown operation or a `fault=`
//! credential get a `soap:Fault` with HTTP 500. Only the injected 429 and 503 use other statuses.
//! Status words: Current, Future, Past, Applicant, Notice (every ninth notice lease `Eviction`),
//! Canceled (every fourth cancelled lease `Denied`). Bedrooms are whole, bathrooms and amounts
//! `1.500000`, absent dates empty elements. A vacant unit's `CustomerID` is its vacancy status
//! ("Vacant Unrented Ready"), as in the capture.
//!
//! # Fields beyond the fixtures
//!
//! In Yardi's style, where the normalized model needs them: `MITS:BuildingName` and
//! `MITS:FloorplanName` in unit information; in GetResidents, `MonthToMonth` on a tenant and
//! `Phone`, `ResponsibleForLease` and `Relationship` (a guarantor's is `Guarantor`) on an
//! `OtherOccupant`; the same roommate elements in GetResidentData's `Tenants`. Yardi shows no unit
//! spaces: a unit leased by the bed is one unit whose market rent is the sum of its beds.

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::post;
use pmsgraph_connector_core::Resource;
use pmsgraph_connector_core::vocab::{LeaseStatus, ResidentRole};

use crate::faults::{Profile, SANDBOX_PASSWORD};
use crate::soap::{Request, bare_status, one_shot, read_request, xml_response};
use crate::state::SandboxState;
use crate::world::{Lease, LeaseResident, Property, Unit, World};

pub mod wire;

use wire::{Soap, Xml};

/// Where the interfaces' namespaces live.
pub const NAMESPACE_ROOT: &str = "http://tempuri.org/YSI.Interfaces.WebServices";

/// The routes, to be nested under `/sandbox/yardi`.
pub fn routes() -> Router<SandboxState> {
    Router::new().route("/{database}/Webservices/{file}", post(serve))
}

// ----- codes -----

pub fn property_code(property: &Property) -> String {
    format!("p{}", property.id)
}

pub fn unit_code(unit: &Unit) -> &str {
    &unit.number
}

/// A lease's tenant code.
pub fn tenant_code(lease: &Lease) -> String {
    format!("t{:07}", lease.id % 10_000_000)
}

/// The code of the person at `index` of a lease's people (not the tenant).
pub fn roommate_code(lease: &Lease, index: usize) -> String {
    format!("r{:07}{:02}", lease.id % 10_000_000, index % 100)
}

/// A person's code on a lease: the tenant's is the lease's.
pub fn person_code(lease: &Lease, index: usize) -> String {
    match lease.residents.get(index) {
        Some(r) if r.role == ResidentRole::Primary => tenant_code(lease),
        _ => roommate_code(lease, index),
    }
}

/// The status word Yardi shows for a lease.
pub fn status_word(lease: &Lease) -> &'static str {
    match lease.status {
        LeaseStatus::Applicant => "Applicant",
        LeaseStatus::Future => "Future",
        LeaseStatus::Current => "Current",
        LeaseStatus::Notice if lease.id.is_multiple_of(9) => "Eviction",
        LeaseStatus::Notice => "Notice",
        LeaseStatus::Past => "Past",
        LeaseStatus::Cancelled if lease.id.is_multiple_of(4) => "Denied",
        LeaseStatus::Cancelled => "Canceled",
    }
}

// ----- operations -----

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    PropertyConfigurations,
    UnitInformation,
    Residents,
    ResidentData,
}

impl Operation {
    fn from_name(name: &str) -> Option<Operation> {
        Some(match name {
            "GetPropertyConfigurations" => Operation::PropertyConfigurations,
            "GetUnitInformation_Login" => Operation::UnitInformation,
            "GetResidents" => Operation::Residents,
            "GetResidentData" => Operation::ResidentData,
            _ => return None,
        })
    }

    const fn name(self) -> &'static str {
        match self {
            Operation::PropertyConfigurations => "GetPropertyConfigurations",
            Operation::UnitInformation => "GetUnitInformation_Login",
            Operation::Residents => "GetResidents",
            Operation::ResidentData => "GetResidentData",
        }
    }

    const fn interface(self) -> &'static str {
        match self {
            Operation::UnitInformation => "ItfResidentTransactions20",
            _ => "ItfResidentData",
        }
    }

    const fn resource(self) -> Resource {
        match self {
            Operation::PropertyConfigurations => Resource::Properties,
            Operation::UnitInformation => Resource::Units,
            Operation::Residents => Resource::Leases,
            Operation::ResidentData => Resource::Residents,
        }
    }

    fn namespace(self) -> String {
        format!("{NAMESPACE_ROOT}/{}", self.interface())
    }
}

/// An answer other than the data.
enum Failure {
    /// `<Messages>` with HTTP 200.
    Message(String),
    /// `soap:Fault` with HTTP 500.
    Fault { code: &'static str, message: String },
    /// A bare HTTP status (the injected 429 and 503).
    Status(StatusCode),
}

async fn serve(
    State(state): State<SandboxState>,
    Path((_database, file)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (operation, answer) = answer(&state, &file, &headers, &body).await;
    match answer {
        Ok(body) => xml_response(StatusCode::OK, body),
        Err(Failure::Message(message)) => match operation {
            Some(op) => xml_response(StatusCode::OK, wire::messages(op.name(), &op.namespace(), &message)),
            None => xml_response(StatusCode::INTERNAL_SERVER_ERROR, wire::fault("soap:Client", &message)),
        },
        Err(Failure::Fault { code, message }) => {
            xml_response(StatusCode::INTERNAL_SERVER_ERROR, wire::fault(code, &message))
        }
        Err(Failure::Status(status)) => bare_status(status),
    }
}

async fn answer(
    state: &SandboxState,
    file: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> (Option<Operation>, Result<String, Failure>) {
    let client = |message: String| Failure::Fault { code: "soap:Client", message };
    let Some(interface) = file.strip_suffix(".asmx") else {
        return (None, Err(client(format!("No web service at `{file}`."))));
    };
    let request = match read_request(body) {
        Ok(request) => request,
        Err(e) => return (None, Err(client(format!("Server was unable to read request. ---> {e}")))),
    };
    let Some(operation) = Operation::from_name(&request.operation).filter(|op| op.interface() == interface) else {
        let message = format!("Server did not recognize the operation `{}` of {interface}.", request.operation);
        return (None, Err(client(message)));
    };
    let expected = format!("{}/{}", operation.namespace(), operation.name());
    let action = headers.get("soapaction").and_then(|v| v.to_str().ok()).map(|v| v.trim().trim_matches('"'));
    if action != Some(expected.as_str()) {
        let message =
            format!("Server did not recognize the value of HTTP Header SOAPAction: {}.", action.unwrap_or_default());
        return (Some(operation), Err(client(message)));
    }
    (Some(operation), respond(state, operation, &request).await)
}

async fn respond(state: &SandboxState, operation: Operation, request: &Request) -> Result<String, Failure> {
    let user = request.field("UserName").unwrap_or_default();
    let profile =
        user.parse::<Profile>().map_err(|e| Failure::Message(format!("Invalid User Name or Password: {e}.")))?;
    if request.fields.get("Password").map(String::as_str) != Some(SANDBOX_PASSWORD) {
        return Err(Failure::Message("Invalid User Name or Password: every sandbox password is `sandbox`.".into()));
    }
    if let Some(delay) = profile.slow {
        tokio::time::sleep(delay).await;
    }
    let name = operation.name();
    if let Some(status) = one_shot(state, &profile, user, name) {
        return Err(Failure::Status(status));
    }
    if profile.faults(name) {
        return Err(Failure::Fault {
            code: "soap:Server",
            message: format!("Server was unable to process request. ---> {name} failed (sandbox fault injection)."),
        });
    }
    if profile.denies(operation.resource()) {
        return Err(Failure::Message("Invalid or no access to Yardi Property".into()));
    }
    let corrupt = profile.malformed_page(name, 1);
    let world = state.world().await;
    if operation == Operation::PropertyConfigurations {
        return Ok(property_configurations(&world, corrupt));
    }
    let code = request.field("YardiPropertyId").unwrap_or_default();
    let (pi, property) = world
        .properties
        .iter()
        .enumerate()
        .find(|(_, p)| property_code(p) == code)
        .ok_or_else(|| Failure::Message("Invalid Yardi Property Code".into()))?;
    Ok(match operation {
        Operation::PropertyConfigurations => property_configurations(&world, corrupt),
        Operation::UnitInformation => unit_information(&world, pi, property, corrupt),
        Operation::Residents => residents(&world, pi, corrupt),
        Operation::ResidentData => {
            let tenant = request.field("TenantCode").unwrap_or_default();
            let lease = world
                .leases_of(pi)
                .find(|l| tenant_code(l) == tenant)
                .ok_or_else(|| Failure::Message("No tenants exist with the given search criteria".into()))?;
            resident_data(&world, property, lease, corrupt)
        }
    })
}

/// The date written where a `malformed=` credential breaks a record.
const BAD_DATE: &str = "13/45/2024";

// ----- GetPropertyConfigurations -----

fn property_configurations(world: &World, corrupt: bool) -> String {
    let op = Operation::PropertyConfigurations;
    let mut xml = Xml::new(512 + world.properties.len() * 512);
    wire::open_result(&mut xml, Soap::V12, op.name(), &op.namespace());
    xml.open("Properties", &[("xmlns", "")]);
    let period = world.today.format("%m/%Y").to_string();
    for (i, p) in world.properties.iter().enumerate() {
        xml.open("Property", &[]);
        let code = property_code(p);
        xml.leaf("Code", (!(corrupt && i == 0)).then_some(code.as_str()));
        xml.text("MarketingName", &p.name);
        xml.text("AddressLine1", &p.street);
        xml.leaf("AddressLine2", None);
        xml.leaf("AddressLine3", None);
        xml.text("City", p.city.name);
        xml.text("State", p.city.state);
        xml.text("PostalCode", p.city.postal_code);
        xml.text("AccountsReceivable", &period);
        xml.text("AccountsPayable", &period);
        xml.close("Property");
    }
    xml.close("Properties");
    wire::close_result(&mut xml, op.name());
    xml.finish()
}

// ----- GetUnitInformation_Login -----

fn unit_information(world: &World, pi: usize, property: &Property, corrupt: bool) -> String {
    let op = Operation::UnitInformation;
    let units = world.units_of(pi);
    // Per unit: the lease living in it, and whether one is coming.
    let mut living: HashMap<usize, &Lease> = HashMap::new();
    let mut coming: HashMap<usize, &Lease> = HashMap::new();
    for lease in world.leases_of(pi) {
        if lease.is_occupying() {
            living.entry(lease.unit).or_insert(lease);
        } else if lease.status == LeaseStatus::Future {
            coming.entry(lease.unit).or_insert(lease);
        }
    }
    let code = property_code(property);
    let mut xml = Xml::new(1024 + units.len() * 1400);
    wire::open_result(&mut xml, Soap::V11, op.name(), &op.namespace());
    xml.open(
        "PhysicalProperty",
        &[("xmlns", ""), ("xmlns:MITS", wire::MITS), ("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance")],
    );
    xml.open("Property", &[]);
    for (offset, unit) in units.iter().enumerate() {
        let ui = property.units.start + offset;
        let fp = &property.floorplans[unit.floorplan];
        let here = living.get(&ui);
        let next = coming.get(&ui);
        let description = match (here, next) {
            (Some(l), Some(_)) if l.status == LeaseStatus::Notice => "Notice Rented",
            (Some(l), None) if l.status == LeaseStatus::Notice => "Notice Unrented",
            (Some(_), _) => "Occupied No Notice",
            (None, Some(_)) => "Vacant Rented Ready",
            (None, None) => "Vacant Unrented Ready",
        };
        let customer = here.or(next).map_or_else(|| description.to_owned(), |l| tenant_code(l));
        xml.open("RT_Customer", &[]);
        xml.text("CustomerID", &customer);
        xml.open("RT_Unit", &[]);
        xml.text("UnitID", unit_code(unit));
        xml.open("Unit", &[]);
        xml.open("MITS:Information", &[]);
        xml.text("MITS:UnitID", unit_code(unit));
        xml.text("MITS:UnitType", &format!("{code}{}", fp.id % 1000));
        let bedrooms = if corrupt && offset == 0 { "two".to_owned() } else { fp.bedrooms.to_string() };
        xml.text("MITS:UnitBedrooms", &bedrooms);
        xml.text("MITS:UnitBathrooms", &wire::number6(fp.bathrooms()));
        xml.text("MITS:MinSquareFeet", &unit.square_feet.to_string());
        xml.text("MITS:MaxSquareFeet", &unit.square_feet.to_string());
        xml.text("MITS:UnitRent", &wire::money(unit.market_rent_cents));
        xml.text("MITS:MarketRent", &wire::money6(unit.market_rent_cents));
        xml.text("MITS:UnitEconomicStatus", "residential");
        xml.text("MITS:UnitOccupancyStatus", if here.is_some() { "occupied" } else { "vacant" });
        xml.text("MITS:UnitLeasedStatus", if here.or(next).is_some() { "leased" } else { "available" });
        xml.text("MITS:FloorPlanID", &fp.id.to_string());
        xml.text("MITS:FloorplanName", fp.name);
        xml.text("MITS:BuildingName", &property.buildings[unit.building].name);
        xml.text("UnitEconomicStatusDescription", description);
        xml.close("MITS:Information");
        xml.text("MITS:PropertyPrimaryID", &code);
        xml.text("MITS:MarketingName", &property.name);
        xml.close("Unit");
        xml.close("RT_Unit");
        xml.close("RT_Customer");
    }
    xml.close("Property");
    xml.close("PhysicalProperty");
    wire::close_result(&mut xml, op.name());
    xml.finish()
}

// ----- GetResidents -----

fn optional_date(xml: &mut Xml, tag: &str, date: Option<chrono::NaiveDate>) {
    let text = date.map(wire::us);
    xml.leaf(tag, text.as_deref());
}

fn phone(xml: &mut Xml, number: Option<&str>) {
    if let Some(number) = number {
        xml.open("Phone", &[]);
        xml.text("PhoneDescription", "Mobile");
        xml.text("PhoneNumber", number);
        xml.close("Phone");
    }
}

/// A roommate's part: responsible for the lease, and how they relate to the tenant.
fn roommate_terms(r: &LeaseResident) -> (&'static str, &'static str) {
    match r.role {
        ResidentRole::Guarantor => ("false", "Guarantor"),
        ResidentRole::CoApplicant => ("true", r.relationship),
        _ => ("false", r.relationship),
    }
}

fn residents(world: &World, pi: usize, corrupt: bool) -> String {
    let op = Operation::Residents;
    let leases: Vec<&Lease> = world.leases_of(pi).collect();
    let mut xml = Xml::new(1024 + leases.len() * 1600);
    wire::open_result(&mut xml, Soap::V11, op.name(), &op.namespace());
    xml.open("MITS-ResidentData", &[("xmlns", "")]);
    xml.open("PropertyResidents", &[]);
    xml.open("Residents", &[]);
    for (i, lease) in leases.iter().enumerate() {
        let unit = &world.units[lease.unit];
        let code = tenant_code(lease);
        xml.open("Resident", &[("tCode", &code)]);
        xml.text("Status", status_word(lease));
        let tenant = lease.residents.iter().position(|r| r.role == ResidentRole::Primary).unwrap_or(0);
        if let Some(person) = lease.residents.get(tenant).and_then(|r| world.person(r.person_id)) {
            xml.text("FirstName", person.first_name);
            xml.text("LastName", person.last_name);
            xml.leaf("Email", person.email.as_deref());
            phone(&mut xml, person.phone.as_deref());
        }
        xml.text("UnitCode", unit_code(unit));
        xml.text("Rent", &wire::money(lease.rent_cents()));
        xml.text("LeaseFromDate", &wire::us(lease.start_date()));
        xml.text("LeaseToDate", &wire::us(lease.end_date()));
        if corrupt && i == 0 {
            xml.text("MoveInDate", BAD_DATE);
        } else {
            optional_date(&mut xml, "MoveInDate", lease.move_in);
        }
        optional_date(&mut xml, "MoveOutDate", lease.move_out);
        optional_date(&mut xml, "NoticeDate", lease.notice);
        xml.text("MonthToMonth", if lease.month_to_month { "true" } else { "false" });
        xml.text("leaseId", &lease.id.to_string());
        xml.text("paymentAccepted", "0");
        let others: Vec<(usize, &LeaseResident)> =
            lease.residents.iter().enumerate().filter(|(i, _)| *i != tenant).collect();
        if !others.is_empty() {
            xml.open("OtherOccupants", &[]);
            for (index, r) in others {
                let Some(person) = world.person(r.person_id) else { continue };
                xml.open("OtherOccupant", &[("Code", &roommate_code(lease, index))]);
                xml.text("FirstName", person.first_name);
                xml.text("LastName", person.last_name);
                xml.leaf("Email", person.email.as_deref());
                phone(&mut xml, person.phone.as_deref());
                optional_date(&mut xml, "MoveInDate", r.move_in);
                optional_date(&mut xml, "MoveOutDate", r.move_out);
                let (responsible, relationship) = roommate_terms(r);
                xml.text("ResponsibleForLease", responsible);
                xml.text("Relationship", relationship);
                xml.close("OtherOccupant");
            }
            xml.close("OtherOccupants");
        }
        xml.close("Resident");
    }
    xml.close("Residents");
    xml.close("PropertyResidents");
    xml.close("MITS-ResidentData");
    wire::close_result(&mut xml, op.name());
    xml.finish()
}

// ----- GetResidentData -----

fn iso_leaf(xml: &mut Xml, tag: &str, date: Option<chrono::NaiveDate>) {
    let text = date.map(wire::iso);
    xml.leaf(tag, text.as_deref());
}

/// One lease file; the result is an escaped document, as some Yardi hosts answer.
fn resident_data(world: &World, property: &Property, lease: &Lease, corrupt: bool) -> String {
    let op = Operation::ResidentData;
    let unit = &world.units[lease.unit];
    let fp = &property.floorplans[unit.floorplan];
    let mut inner = Xml::inner(4096);
    inner.open("MITS-ResidentData", &[]);
    inner.open("LeaseFiles", &[]);
    inner.open("LeaseFile", &[]);
    inner.empty("Identification", &[("IDValue", &format!("a{:07}", lease.id % 10_000_000)), ("IDType", "Lease")]);
    inner.open("Property", &[]);
    inner.empty("Identification", &[("IDValue", &property_code(property))]);
    inner.text("MarketingName", &property.name);
    inner.open("Address", &[("AddressType", "property")]);
    inner.text("AddressLine1", &property.street);
    inner.text("City", property.city.name);
    inner.text("State", property.city.state);
    inner.text("PostalCode", property.city.postal_code);
    inner.text("Country", "United States");
    inner.close("Address");
    inner.close("Property");
    inner.open("Unit", &[]);
    inner.empty("Identification", &[("IDValue", unit_code(unit))]);
    inner.text("UnitBedrooms", &fp.bedrooms.to_string());
    inner.text("UnitBathrooms", &wire::number6(fp.bathrooms()));
    inner.text("UnitRent", &wire::money(unit.market_rent_cents));
    inner.close("Unit");
    iso_leaf(&mut inner, "MoveInDate", lease.move_in);
    iso_leaf(&mut inner, "MoveOutDate", lease.move_out);
    iso_leaf(&mut inner, "NoticeDate", lease.notice);
    if corrupt {
        inner.text("LeaseBegin", BAD_DATE);
    } else {
        inner.text("LeaseBegin", &wire::iso(lease.start_date()));
    }
    inner.text("LeaseEnd", &wire::iso(lease.end_date()));
    inner.text("MonthlyRentAmount", &wire::money(lease.rent_cents()));
    inner.text("MonthToMonth", if lease.month_to_month { "true" } else { "false" });
    let tenant = lease.residents.iter().position(|r| r.role == ResidentRole::Primary).unwrap_or(0);
    let order = std::iter::once(tenant).chain((0..lease.residents.len()).filter(|i| *i != tenant));
    for index in order {
        let Some(r) = lease.residents.get(index) else { continue };
        let Some(person) = world.person(r.person_id) else { continue };
        inner.open("Tenants", &[]);
        let kind = if index == tenant { status_word(lease) } else { "Roommate" };
        inner.empty("Identification", &[("IDValue", &person_code(lease, index)), ("IDType", kind)]);
        inner.open("PersonDetails", &[]);
        inner.open("Name", &[]);
        inner.text("FirstName", person.first_name);
        inner.text("LastName", person.last_name);
        inner.close("Name");
        if let Some(number) = person.phone.as_deref() {
            inner.open("Phone", &[("PhoneType", "cell")]);
            inner.text("PhoneDescription", "Mobile");
            inner.text("PhoneNumber", number);
            inner.close("Phone");
        }
        inner.leaf("Email", person.email.as_deref());
        inner.close("PersonDetails");
        iso_leaf(&mut inner, "MoveInDate", r.move_in);
        iso_leaf(&mut inner, "MoveOutDate", r.move_out);
        if index != tenant {
            let (responsible, relationship) = roommate_terms(r);
            inner.text("ResponsibleForLease", responsible);
            inner.text("Relationship", relationship);
        }
        inner.close("Tenants");
    }
    inner.close("LeaseFile");
    inner.close("LeaseFiles");
    inner.close("MITS-ResidentData");
    let inner = inner.finish();
    let mut xml = Xml::new(inner.len() * 2 + 1024);
    wire::open_result(&mut xml, Soap::V11, op.name(), &op.namespace());
    xml.raw(&quick_xml::escape::escape(inner.trim()));
    wire::close_result(&mut xml, op.name());
    xml.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::Size;

    #[test]
    fn requests_are_read_by_local_name() {
        let body = br#"<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><GetResidents xmlns="x"><UserName>sandbox</UserName><Password>a&amp;b</Password><Platform/></GetResidents></s:Body></s:Envelope>"#;
        let request = read_request(body).expect("reads");
        assert_eq!(request.operation, "GetResidents");
        assert_eq!(request.field("UserName"), Some("sandbox"));
        assert_eq!(request.fields.get("Password").map(String::as_str), Some("a&b"));
        assert_eq!(request.field("Platform"), None);
        assert!(read_request(b"<a><b>").is_err() || read_request(b"<a><b>").is_ok_and(|r| r.operation.is_empty()));
    }

    #[test]
    fn codes_are_per_lease_and_status_words_vary() {
        let world = World::generate(4, Size::SMALL, 0);
        let lease = &world.leases[0];
        assert_eq!(tenant_code(lease).len(), 8);
        assert_eq!(person_code(lease, 0), tenant_code(lease));
        let words: std::collections::BTreeSet<_> = world.leases.iter().map(status_word).collect();
        assert!(words.contains("Current") && words.contains("Canceled"), "{words:?}");
    }
}
