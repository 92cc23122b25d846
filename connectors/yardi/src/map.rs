//! Mapping of Yardi's records to pmsgraph's normalized records (DESIGN.md, "Normalized model",
//! "Person identity", "Roles", "Lease status: one vocabulary").
//!
//! - Properties (GetPropertyConfigurations): code, marketing name, address; the zone inferred from
//!   the address (Yardi names none); the unit count from GetUnitInformation_Login.
//! - Units (GetUnitInformation_Login, and the `RT_Unit`s of GetResidentTransactions_Login). Yardi
//!   unit codes are unique per property only, so a unit's remote id is `{property}:{unit}`
//!   ([`unit_remote_id`]).
//! - Leases and their people (GetResidents; GetResidentData; GetResidentTransactions_Login). A
//!   lease is a Yardi tenant (household), keyed by its tenant code; its people are the tenant
//!   (PRIMARY) and its roommates: responsible for the lease -> CO_APPLICANT, a guarantor ->
//!   GUARANTOR, others -> OCCUPANT.
//! - Residents: tenant and roommate codes are per lease, so one person on several leases is
//!   found by [`People`]: same email (trimmed, case-insensitive) and same last name; without an
//!   email a record stays a person of its own. The person keeps the code of their first sighting in
//!   this sync; across syncs the engine keeps them under the id they are stored with
//!   (`Capabilities::person_ids_per_lease`), so a transfer does not make them someone new.
//!
//! Status words: Current, Future, Past, Notice, Applicant as such, Eviction -> NOTICE,
//! Canceled / Denied -> CANCELLED, and the MITS customer types (`current resident`, `former
//! resident`...); any other word maps to the nearest state by dates and is kept in
//! `remote_status`. Text quirks: `0001-01-01` is no date, numbers look like `1.000000`, dates
//! come as `YYYY-MM-DD` or `MM/DD/YYYY`; a value that cannot be read fails with its element path.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
pub use pmsgraph_connector_core::People;
pub use pmsgraph_connector_core::text::{parse_cents, parse_date};
use pmsgraph_connector_core::vocab::{LeaseDates, status_by_dates};
use pmsgraph_connector_core::zone::infer_time_zone;
use pmsgraph_connector_core::{
    Address, LeaseStatus, NormalizedLease, NormalizedLeaseResident, NormalizedProperty, NormalizedResident,
    NormalizedUnit, Occupancy, RemoteData, ResidentRole,
};

use crate::error::YardiError;
use crate::soap::Operation;
use crate::xml::{self, Node, RecordSpec};

/// What mapping needs beyond the records: the moment of the sync and the zone of Yardi's clock
/// (server-local without offset: a setting; without it, the property's own zone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapContext {
    pub as_of: DateTime<Utc>,
    pub clock: Option<Tz>,
}

impl MapContext {
    pub fn new(as_of: DateTime<Utc>) -> Self {
        MapContext { as_of, clock: None }
    }

    pub fn with_clock(self, clock: Option<Tz>) -> Self {
        MapContext { clock, ..self }
    }

    /// Today for a property in `zone` (the clock setting wins; UTC when nothing is known).
    pub fn today(&self, zone: Option<&str>) -> NaiveDate {
        match self.clock.or_else(|| zone.and_then(|z| z.parse::<Tz>().ok())) {
            Some(tz) => self.as_of.with_timezone(&tz).date_naive(),
            None => self.as_of.date_naive(),
        }
    }
}

/// The remote id of a unit: Yardi's unit codes are unique within a property only.
pub fn unit_remote_id(property: &str, unit: &str) -> String {
    format!("{property}:{unit}")
}

// ---------------------------------------------------------------------------------------------
// Reading values
// ---------------------------------------------------------------------------------------------

/// A record and its path, for reading typed values with errors that name the element.
#[derive(Clone, Copy)]
struct Fields<'a> {
    node: &'a Node,
    path: &'a str,
}

impl<'a> Fields<'a> {
    fn new(node: &'a Node, path: &'a str) -> Self {
        Fields { node, path }
    }

    fn error(&self, field: &str, message: impl Into<String>) -> YardiError {
        YardiError::malformed(format!("{}/{field}", self.path), message)
    }

    fn text(&self, field: &str) -> Option<&'a str> {
        self.node.text_at(field)
    }

    fn string(&self, field: &str) -> Option<String> {
        self.text(field).map(str::to_owned)
    }

    fn required(&self, field: &str) -> Result<String, YardiError> {
        self.string(field).ok_or_else(|| self.error(field, "missing"))
    }

    fn date(&self, field: &str) -> Result<Option<NaiveDate>, YardiError> {
        match self.text(field) {
            None => Ok(None),
            Some(text) => parse_date(text).map_err(|m| self.error(field, m)),
        }
    }

    fn cents(&self, field: &str) -> Result<Option<i64>, YardiError> {
        match self.text(field) {
            None => Ok(None),
            Some(text) => {
                parse_cents(text).map(Some).ok_or_else(|| self.error(field, format!("`{text}` is not an amount")))
            }
        }
    }

    fn float(&self, field: &str) -> Result<Option<f64>, YardiError> {
        match self.text(field) {
            None => Ok(None),
            Some(text) => text
                .replace(',', "")
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(Some)
                .ok_or_else(|| self.error(field, format!("`{text}` is not a number"))),
        }
    }

    fn int(&self, field: &str) -> Result<Option<i32>, YardiError> {
        match self.float(field)? {
            None => Ok(None),
            Some(f) if f.fract() == 0.0 && f.abs() < f64::from(i32::MAX) => Ok(Some(f as i32)),
            Some(_) => Err(self.error(field, format!("`{}` is not a whole number", self.text(field).unwrap_or("")))),
        }
    }

    fn flag(&self, field: &str) -> Result<Option<bool>, YardiError> {
        match self.text(field).map(str::to_ascii_lowercase).as_deref() {
            None => Ok(None),
            Some("true" | "1" | "yes" | "y") => Ok(Some(true)),
            Some("false" | "0" | "no" | "n") => Ok(Some(false)),
            Some(other) => Err(self.error(field, format!("`{other}` is not a boolean"))),
        }
    }
}

/// Lower case, letters and digits only: "Former Resident" and "former resident" read alike.
fn normalize(word: &str) -> String {
    word.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

// ---------------------------------------------------------------------------------------------
// Status and roles
// ---------------------------------------------------------------------------------------------

/// Yardi's tenant status words and MITS customer types. `None` for a word we do not know (and for
/// `customer`, a roommate's type, which says nothing of the lease).
pub fn status_from_word(word: &str) -> Option<LeaseStatus> {
    match normalize(word).as_str() {
        "current" | "currentresident" => Some(LeaseStatus::Current),
        "future" | "futureresident" => Some(LeaseStatus::Future),
        "past" | "former" | "formerresident" => Some(LeaseStatus::Past),
        "notice" | "eviction" | "noticeresident" => Some(LeaseStatus::Notice),
        "applicant" | "prospect" => Some(LeaseStatus::Applicant),
        "canceled" | "cancelled" | "denied" | "canceledapplicant" | "cancelledapplicant" | "deniedapplicant" => {
            Some(LeaseStatus::Cancelled)
        }
        _ => None,
    }
}

/// A roommate's role: a guarantor, else responsible for the lease (CO_APPLICANT), else OCCUPANT.
pub fn roommate_role(relationship: Option<&str>, kind: Option<&str>, responsible: Option<bool>) -> ResidentRole {
    let guarantor = [relationship, kind].into_iter().flatten().any(|w| {
        let w = normalize(w);
        w.contains("guarant") || w.contains("cosign")
    });
    if guarantor {
        ResidentRole::Guarantor
    } else if responsible == Some(true) {
        ResidentRole::CoApplicant
    } else {
        ResidentRole::Occupant
    }
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

const PROPERTY_CONFIGURATIONS: &[RecordSpec] = &[RecordSpec { parent: "Properties", name: "Property" }];

/// GetPropertyConfigurations.
pub fn parse_property_configurations(body: &[u8]) -> Result<Vec<NormalizedProperty>, YardiError> {
    let mut out = Vec::new();
    xml::read(body, Operation::GetPropertyConfigurations, PROPERTY_CONFIGURATIONS, &mut |_, node, path| {
        out.push(property_configuration(&node, path)?);
        Ok(())
    })?;
    Ok(out)
}

fn property_configuration(node: &Node, path: &str) -> Result<NormalizedProperty, YardiError> {
    let f = Fields::new(node, path);
    let code = f.required("Code")?;
    let line2 = [f.text("AddressLine2"), f.text("AddressLine3")].into_iter().flatten().collect::<Vec<_>>().join(", ");
    let address = Address {
        line1: f.string("AddressLine1"),
        line2: (!line2.is_empty()).then_some(line2),
        city: f.string("City"),
        state: f.string("State"),
        postal_code: f.string("PostalCode"),
        country: f.string("Country"),
    };
    Ok(property_record(code, f.string("MarketingName"), address, node))
}

/// A property of its code, name and address; the zone inferred from the address (Yardi names none).
fn property_record(code: String, name: Option<String>, address: Address, node: &Node) -> NormalizedProperty {
    NormalizedProperty {
        name: name.unwrap_or_else(|| code.clone()),
        remote_id: code,
        time_zone: infer_time_zone(address.state.as_deref(), address.postal_code.as_deref()).map(str::to_owned),
        address,
        unit_count: None,
        remote_data: RemoteData::from_value(&node.to_json()),
    }
}

// ---------------------------------------------------------------------------------------------
// Units
// ---------------------------------------------------------------------------------------------

const UNIT_INFORMATION: &[RecordSpec] = &[RecordSpec { parent: "Property", name: "RT_Customer" }];

/// GetUnitInformation_Login of `property`: each unit once, in the order first seen. A unit listed
/// under several customers (a current and a future one) is the same unit.
pub fn parse_unit_information(body: &[u8], property: &str) -> Result<Vec<NormalizedUnit>, YardiError> {
    let mut units = UnitSet::default();
    xml::read(body, Operation::GetUnitInformationLogin, UNIT_INFORMATION, &mut |_, node, path| {
        for (i, rt_unit) in node.children("RT_Unit").enumerate() {
            let at = format!("{path}/RT_Unit[{}]", i + 1);
            units.insert(unit(rt_unit, &at, property)?);
        }
        Ok(())
    })?;
    Ok(units.units)
}

#[derive(Default)]
struct UnitSet {
    units: Vec<NormalizedUnit>,
    seen: HashSet<String>,
}

impl UnitSet {
    fn insert(&mut self, unit: NormalizedUnit) {
        if self.seen.insert(unit.remote_id.clone()) {
            self.units.push(unit);
        }
    }
}

/// One `RT_Unit`: its code, and the MITS `Unit/Information` block.
fn unit(rt_unit: &Node, path: &str, property: &str) -> Result<NormalizedUnit, YardiError> {
    let f = Fields::new(rt_unit, path);
    let code = f
        .string("UnitID")
        .or_else(|| f.string("Unit/Information/UnitID"))
        .ok_or_else(|| f.error("UnitID", "missing"))?;
    let property = f.text("Unit/PropertyPrimaryID").unwrap_or(property);
    let info_path = format!("{path}/Unit/Information");
    let empty = Node::default();
    let info = Fields::new(rt_unit.get("Unit/Information").unwrap_or(&empty), &info_path);
    let occupancy = match info.text("UnitOccupancyStatus").map(normalize).as_deref() {
        Some("occupied") => Occupancy::Occupied,
        Some("vacant") => Occupancy::Vacant,
        _ => info.text("UnitEconomicStatusDescription").map_or(Occupancy::Unknown, economic_status),
    };
    Ok(NormalizedUnit {
        remote_id: unit_remote_id(property, &code),
        property_remote_id: property.to_owned(),
        number: code,
        building: info.string("BuildingName").or_else(|| info.string("BuildingID")),
        floorplan: info.string("FloorplanName").or_else(|| info.string("UnitTypeDescription")),
        bedrooms: info.int("UnitBedrooms")?,
        bathrooms: info.float("UnitBathrooms")?,
        square_feet: match info.int("MinSquareFeet")? {
            Some(sq) => Some(sq),
            None => info.int("UnitSquareFeet")?.or(info.int("MaxSquareFeet")?),
        },
        market_rent_cents: match info.cents("MarketRent")? {
            Some(rent) => Some(rent),
            None => info.cents("UnitRent")?,
        },
        occupancy,
        spaces: Vec::new(),
        remote_data: RemoteData::from_value(&rt_unit.to_json()),
    })
}

/// Yardi's unit status descriptions: "Occupied No Notice", "Notice Rented/Unrented" (still lived
/// in), "Vacant Rented/Unrented (Not) Ready"; others ("Excluded", "Down", "Model") say nothing.
pub fn economic_status(description: &str) -> Occupancy {
    let word = normalize(description);
    if word.starts_with("occupied") || word.starts_with("notice") {
        Occupancy::Occupied
    } else if word.starts_with("vacant") {
        Occupancy::Vacant
    } else {
        Occupancy::Unknown
    }
}

// ---------------------------------------------------------------------------------------------
// Leases and their people
// ---------------------------------------------------------------------------------------------

/// Leases and the people on them as one answer shows them: people by their per-lease codes,
/// before [`People`] finds who is the same person.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Tenancies {
    pub leases: Vec<NormalizedLease>,
    pub residents: Vec<NormalizedResident>,
}

/// One person of a lease, as read.
struct Person {
    resident: NormalizedResident,
    role: ResidentRole,
    move_in: Option<NaiveDate>,
    move_out: Option<NaiveDate>,
}

/// A lease's own fields, as read.
struct LeaseFields {
    code: String,
    property: String,
    unit: Option<String>,
    word: Option<String>,
    dates: LeaseDates,
    rent_cents: Option<i64>,
    month_to_month: bool,
    remote_data: RemoteData,
}

impl Tenancies {
    fn push(&mut self, lease: LeaseFields, people: Vec<Person>, ctx: &MapContext, zone: Option<&str>) {
        let status = lease
            .word
            .as_deref()
            .and_then(status_from_word)
            .unwrap_or_else(|| status_by_dates(&lease.dates, lease.month_to_month, ctx.today(zone)));
        let residents = people
            .iter()
            .map(|p| NormalizedLeaseResident {
                resident_remote_id: p.resident.remote_id.clone(),
                role: p.role,
                move_in_date: p.move_in,
                move_out_date: p.move_out,
                status,
                remote_data: p.resident.remote_data.clone(),
            })
            .collect();
        self.residents.extend(people.into_iter().map(|p| p.resident));
        self.leases.push(NormalizedLease {
            remote_id: lease.code,
            property_remote_id: lease.property.clone(),
            unit_remote_id: lease.unit.map(|u| unit_remote_id(&lease.property, &u)),
            unit_space_remote_id: None,
            status,
            remote_status: lease.word,
            start_date: lease.dates.start,
            end_date: lease.dates.end,
            move_in_date: lease.dates.move_in,
            move_out_date: lease.dates.move_out,
            notice_date: lease.dates.notice,
            rent_cents: lease.rent_cents,
            is_month_to_month: lease.month_to_month,
            residents,
            remote_data: lease.remote_data,
        });
    }
}

/// A mobile number first, else the first number, of `Phone` elements (`@Type`, `@PhoneType`,
/// `PhoneType` or `PhoneDescription` say which).
fn pick_phone(node: &Node) -> Option<String> {
    let phones: Vec<(&Node, Option<&str>)> = node
        .children("Phone")
        .filter_map(|p| {
            p.text_at("PhoneNumber").or((!p.text.is_empty()).then_some(p.text.as_str())).map(|n| (p, Some(n)))
        })
        .collect();
    let kind = |p: &Node| {
        [p.attr("Type"), p.attr("PhoneType"), p.text_at("PhoneType"), p.text_at("PhoneDescription")]
            .into_iter()
            .flatten()
            .map(normalize)
            .any(|k| k == "cell" || k == "mobile" || k == "cellular")
    };
    phones.iter().find(|(p, _)| kind(p)).or_else(|| phones.first()).and_then(|(_, n)| n.map(str::to_owned))
}

fn resident(
    code: String,
    first: Option<&str>,
    last: Option<&str>,
    email: Option<&str>,
    phone: Option<String>,
    raw: RemoteData,
) -> NormalizedResident {
    NormalizedResident {
        remote_id: code,
        first_name: first.unwrap_or_default().to_owned(),
        last_name: last.unwrap_or_default().to_owned(),
        email: email.map(str::to_owned),
        phone,
        remote_data: raw,
    }
}

const RESIDENTS: &[RecordSpec] = &[RecordSpec { parent: "Residents", name: "Resident" }];

/// GetResidents of `property`: every tenant with their roommates (`OtherOccupants`).
pub fn parse_residents(
    body: &[u8],
    property: &str,
    zone: Option<&str>,
    ctx: &MapContext,
) -> Result<Tenancies, YardiError> {
    let mut out = Tenancies::default();
    xml::read(body, Operation::GetResidents, RESIDENTS, &mut |_, node, path| {
        let (lease, people) = resident_record(&node, path, property)?;
        out.push(lease, people, ctx, zone);
        Ok(())
    })?;
    Ok(out)
}

fn resident_record(node: &Node, path: &str, property: &str) -> Result<(LeaseFields, Vec<Person>), YardiError> {
    let f = Fields::new(node, path);
    let code = node
        .attr("tCode")
        .map(str::to_owned)
        .or_else(|| f.string("TenantCode"))
        .ok_or_else(|| f.error("@tCode", "missing"))?;
    let dates = LeaseDates {
        start: f.date("LeaseFromDate")?,
        end: f.date("LeaseToDate")?,
        move_in: f.date("MoveInDate")?,
        move_out: f.date("MoveOutDate")?,
        notice: f.date("NoticeDate")?,
    };
    let mut own = node.clone();
    own.children.retain(|c| c.name != "OtherOccupants");
    let mut people = vec![Person {
        resident: resident(
            code.clone(),
            f.text("FirstName"),
            f.text("LastName"),
            f.text("Email"),
            pick_phone(node),
            RemoteData::from_value(&own.to_json()),
        ),
        role: ResidentRole::Primary,
        move_in: dates.move_in,
        move_out: dates.move_out,
    }];
    let empty = Node::default();
    for (i, other) in node.child("OtherOccupants").unwrap_or(&empty).children("OtherOccupant").enumerate() {
        let at = format!("{path}/OtherOccupants/OtherOccupant[{}]", i + 1);
        let o = Fields::new(other, &at);
        let other_code = other.attr("Code").map(str::to_owned).ok_or_else(|| o.error("@Code", "missing"))?;
        people.push(Person {
            resident: resident(
                other_code,
                o.text("FirstName"),
                o.text("LastName"),
                o.text("Email"),
                pick_phone(other),
                RemoteData::from_value(&other.to_json()),
            ),
            role: roommate_role(o.text("Relationship"), None, o.flag("ResponsibleForLease")?),
            move_in: o.date("MoveInDate")?,
            move_out: o.date("MoveOutDate")?,
        });
    }
    let lease = LeaseFields {
        code,
        property: property.to_owned(),
        unit: f.string("UnitCode"),
        word: f.string("Status"),
        dates,
        rent_cents: f.cents("Rent")?,
        month_to_month: f.flag("MonthToMonth")?.unwrap_or(false),
        remote_data: RemoteData::from_value(&node.to_json()),
    };
    Ok((lease, people))
}

const LEASE_FILES: &[RecordSpec] = &[RecordSpec { parent: "LeaseFiles", name: "LeaseFile" }];

/// GetResidentData: lease files, each a tenant (`Tenants` elements: the tenant first, then its
/// roommates), with the property and unit they belong to.
pub fn parse_resident_data(body: &[u8], ctx: &MapContext) -> Result<Tenancies, YardiError> {
    let mut out = Tenancies::default();
    xml::read(body, Operation::GetResidentData, LEASE_FILES, &mut |_, node, path| {
        let (lease, people, zone) = lease_file(&node, path)?;
        out.push(lease, people, ctx, zone.as_deref());
        Ok(())
    })?;
    Ok(out)
}

/// The person's code and IDType: the `Identification` without an organization (deposits are
/// identifications too).
fn identification(node: &Node) -> Option<(&str, Option<&str>)> {
    node.children("Identification")
        .find(|i| i.attr("OrganizationName").is_none())
        .and_then(|i| i.attr("IDValue").map(|v| (v, i.attr("IDType"))))
}

fn lease_file(node: &Node, path: &str) -> Result<(LeaseFields, Vec<Person>, Option<String>), YardiError> {
    let f = Fields::new(node, path);
    let property = node
        .get("Property")
        .and_then(identification)
        .map(|(code, _)| code.to_owned())
        .ok_or_else(|| f.error("Property/Identification/@IDValue", "missing"))?;
    let zone =
        infer_time_zone(f.text("Property/Address/State"), f.text("Property/Address/PostalCode")).map(str::to_owned);
    let mut people = Vec::new();
    let mut word = None;
    let mut code = None;
    for (i, tenant) in node.children("Tenants").enumerate() {
        let at = format!("{path}/Tenants[{}]", i + 1);
        let t = Fields::new(tenant, &at);
        let (id, id_type) = identification(tenant).ok_or_else(|| t.error("Identification/@IDValue", "missing"))?;
        let role = if i == 0 {
            word = id_type.map(str::to_owned);
            code = Some(id.to_owned());
            ResidentRole::Primary
        } else {
            roommate_role(t.text("Relationship"), id_type, t.flag("ResponsibleForLease")?)
        };
        let details = tenant.child("PersonDetails");
        people.push(Person {
            resident: resident(
                id.to_owned(),
                t.text("PersonDetails/Name/FirstName"),
                t.text("PersonDetails/Name/LastName"),
                t.text("PersonDetails/Email"),
                details.and_then(pick_phone),
                RemoteData::from_value(&tenant.to_json()),
            ),
            role,
            move_in: t.date("MoveInDate")?,
            move_out: t.date("MoveOutDate")?,
        });
    }
    let code = code.ok_or_else(|| f.error("Tenants", "missing"))?;
    let lease = LeaseFields {
        code,
        property,
        unit: node.get("Unit").and_then(identification).map(|(u, _)| u.to_owned()),
        word,
        dates: LeaseDates {
            start: f.date("LeaseBegin")?,
            end: f.date("LeaseEnd")?,
            move_in: f.date("MoveInDate")?,
            move_out: f.date("MoveOutDate")?,
            notice: f.date("NoticeDate")?,
        },
        rent_cents: f.cents("MonthlyRentAmount")?,
        month_to_month: f.flag("MonthToMonth")?.unwrap_or(false),
        remote_data: RemoteData::from_value(&node.to_json()),
    };
    Ok((lease, people, zone))
}

/// GetResidentTransactions_Login: the property, its units and its tenants.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ResidentTransactions {
    pub property: Option<NormalizedProperty>,
    pub units: Vec<NormalizedUnit>,
    pub tenancies: Tenancies,
}

const RESIDENT_TRANSACTIONS: &[RecordSpec] =
    &[RecordSpec { parent: "Property", name: "PropertyID" }, RecordSpec { parent: "Property", name: "RT_Customer" }];

pub fn parse_resident_transactions(
    body: &[u8],
    property: &str,
    ctx: &MapContext,
) -> Result<ResidentTransactions, YardiError> {
    let mut out = ResidentTransactions::default();
    let mut units = UnitSet::default();
    let mut code = property.to_owned();
    let mut zone: Option<String> = None;
    xml::read(body, Operation::GetResidentTransactionsLogin, RESIDENT_TRANSACTIONS, &mut |kind, node, path| {
        if kind == 0 {
            let p = rt_property(&node, path)?;
            code = p.remote_id.clone();
            zone = p.time_zone.clone();
            out.property = Some(p);
            return Ok(());
        }
        for (i, rt_unit) in node.children("RT_Unit").enumerate() {
            units.insert(unit(rt_unit, &format!("{path}/RT_Unit[{}]", i + 1), &code)?);
        }
        let (lease, people) = rt_customer(&node, path, &code)?;
        out.tenancies.push(lease, people, ctx, zone.as_deref());
        Ok(())
    })?;
    out.units = units.units;
    Ok(out)
}

fn rt_property(node: &Node, path: &str) -> Result<NormalizedProperty, YardiError> {
    let f = Fields::new(node, path);
    let code = f.required("Identification/PrimaryID")?;
    let address = Address {
        line1: f.string("Address/Address1"),
        line2: f.string("Address/Address2"),
        city: f.string("Address/City"),
        state: f.string("Address/State"),
        postal_code: f.string("Address/PostalCode"),
        country: f.string("Address/Country"),
    };
    Ok(property_record(code, f.string("Identification/MarketingName"), address, node))
}

fn rt_customer(node: &Node, path: &str, property: &str) -> Result<(LeaseFields, Vec<Person>), YardiError> {
    let f = Fields::new(node, path);
    let code = f.required("CustomerID")?;
    let empty = Node::default();
    let customers: Vec<&Node> = node.child("Customers").unwrap_or(&empty).children("Customer").collect();
    let primary_at = customers
        .iter()
        .position(|c| c.text_at("CustomerID") == Some(code.as_str()))
        .or_else(|| customers.iter().position(|c| c.attr("Type").is_none_or(|t| normalize(t) != "customer")))
        .ok_or_else(|| f.error("Customers/Customer", "no customer is the tenant"))?;
    let mut people = Vec::new();
    let mut lease_dates = LeaseDates::default();
    let mut rent = None;
    let mut word = None;
    for (i, customer) in customers.iter().enumerate() {
        let at = format!("{path}/Customers/Customer[{}]", i + 1);
        let c = Fields::new(customer, &at);
        let id = c.required("CustomerID")?;
        let dates = LeaseDates {
            start: c.date("Lease/LeaseFromDate")?,
            end: c.date("Lease/LeaseToDate")?,
            move_in: match c.date("Lease/ActualMoveIn")? {
                Some(d) => Some(d),
                None => c.date("Lease/ExpectedMoveInDate")?,
            },
            move_out: match c.date("Lease/ActualMoveOut")? {
                Some(d) => Some(d),
                None => c.date("Lease/ExpectedMoveOutDate")?,
            },
            notice: c.date("Lease/NoticeDate")?,
        };
        let role = if i == primary_at {
            lease_dates = dates;
            rent = c.cents("Lease/CurrentRent")?;
            word = customer.attr("Type").map(str::to_owned);
            ResidentRole::Primary
        } else {
            roommate_role(c.text("Relationship"), customer.attr("Type"), c.flag("Lease/ResponsibleForLease")?)
        };
        let email = c.text("Address/Email").or_else(|| c.text("Email"));
        people.push(Person {
            resident: resident(
                id,
                c.text("Name/FirstName"),
                c.text("Name/LastName"),
                email,
                pick_phone(customer),
                RemoteData::from_value(&customer.to_json()),
            ),
            role,
            move_in: dates.move_in,
            move_out: dates.move_out,
        });
    }
    // The tenant first, as every other answer lists them.
    if primary_at > 0 {
        let primary = people.remove(primary_at);
        people.insert(0, primary);
    }
    let lease = LeaseFields {
        code,
        property: property.to_owned(),
        unit: f.string("RT_Unit/UnitID"),
        word,
        dates: lease_dates,
        rent_cents: rent,
        month_to_month: false,
        remote_data: RemoteData::from_value(&node.to_json()),
    };
    Ok((lease, people))
}

// ---------------------------------------------------------------------------------------------
// Person identity
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a valid date")
    }

    #[test]
    fn yardi_text_quirks_are_read() {
        // The shared readers (`pmsgraph_connector_core::text`), on Yardi's forms.
        assert_eq!(parse_date("06/24/2011"), Ok(Some(date(2011, 6, 24))));
        assert_eq!(parse_date("0001-01-01"), Ok(None));
        assert_eq!(parse_cents("850.000000"), Some(85_000));
    }

    #[test]
    fn status_words_follow_the_design_table() {
        for (word, status) in [
            ("Current", LeaseStatus::Current),
            ("Future", LeaseStatus::Future),
            ("Past", LeaseStatus::Past),
            ("Notice", LeaseStatus::Notice),
            ("Eviction", LeaseStatus::Notice),
            ("Applicant", LeaseStatus::Applicant),
            ("Canceled", LeaseStatus::Cancelled),
            ("Denied", LeaseStatus::Cancelled),
            ("former resident", LeaseStatus::Past),
            ("future resident", LeaseStatus::Future),
        ] {
            assert_eq!(status_from_word(word), Some(status), "{word}");
        }
        assert_eq!(status_from_word("customer"), None);
        assert_eq!(status_from_word("Waitlist"), None);
    }

    #[test]
    fn an_unknown_word_maps_by_dates_and_is_kept() {
        let body = br#"<Envelope><Body><GetResidentsResponse><GetResidentsResult><MITS-ResidentData><PropertyResidents><Residents>
            <Resident tCode="t1"><Status>Waitlist</Status><LeaseFromDate>01/01/2025</LeaseFromDate><LeaseToDate>12/31/2025</LeaseToDate><MoveInDate>01/01/2025</MoveInDate></Resident>
            </Residents></PropertyResidents></MITS-ResidentData></GetResidentsResult></GetResidentsResponse></Body></Envelope>"#;
        let ctx = MapContext::new(DateTime::from_naive_utc_and_offset(
            date(2025, 3, 1).and_hms_opt(12, 0, 0).unwrap_or_default(),
            Utc,
        ));
        let t = parse_residents(body, "p1", None, &ctx).expect("parses");
        assert_eq!(t.leases[0].status, LeaseStatus::Current);
        assert_eq!(t.leases[0].remote_status.as_deref(), Some("Waitlist"));
    }

    #[test]
    fn roles_follow_the_design_table() {
        assert_eq!(roommate_role(Some("Guarantor"), None, Some(true)), ResidentRole::Guarantor);
        assert_eq!(roommate_role(None, Some("guarantor"), None), ResidentRole::Guarantor);
        assert_eq!(roommate_role(Some("Roommate"), None, Some(true)), ResidentRole::CoApplicant);
        assert_eq!(roommate_role(Some("Child"), None, Some(false)), ResidentRole::Occupant);
        assert_eq!(roommate_role(None, Some("customer"), None), ResidentRole::Occupant);
    }
}
