//! Writes the sandbox world as Buildium's JSON records (`RentalMessage`, `RentalUnitMessage`,
//! `LeaseMessage`, `TenantMessage`, `ApiErrorResponse` of the official OpenAPI document in
//! `shared/fixtures/pms/buildium/openapi.json`). Absent values are left out rather than written as
//! `null`: the schemas declare no field nullable.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use pmsgraph_connector_core::vocab::{LeaseStatus, ResidentRole};
use serde_json::{Map, Value, json};

use crate::world::{Lease, Person, Property, Unit, World};

/// Buildium's lease status word for a lease it shows (`None` for applications and cancellations,
/// which Buildium has no lease for).
pub fn lease_status(status: LeaseStatus) -> Option<&'static str> {
    match status {
        LeaseStatus::Future => Some("Future"),
        LeaseStatus::Current | LeaseStatus::Notice => Some("Active"),
        LeaseStatus::Past => Some("Past"),
        LeaseStatus::Applicant | LeaseStatus::Cancelled => None,
    }
}

/// Whether Buildium shows the lease at all.
pub fn is_visible(lease: &Lease) -> bool {
    lease_status(lease.status).is_some()
}

/// Whether a person's place on a lease is a Buildium tenant (occupants have no record of their
/// own in Buildium, guarantors are cosigners).
pub fn is_tenant(role: ResidentRole) -> bool {
    matches!(role, ResidentRole::Primary | ResidentRole::CoApplicant)
}

fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// An instant as Buildium writes it: `2024-06-02T09:00:00Z`.
pub fn instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn dollars(cents: i64) -> f64 {
    cents as f64 / 100.0
}

fn address(property: &Property) -> Value {
    json!({
        "AddressLine1": property.street,
        "City": property.city.name,
        "State": property.city.state,
        "PostalCode": property.city.postal_code,
        "Country": "UnitedStates",
    })
}

/// A phone as Buildium shows it: `(303) 555-0123`.
fn phone(digits: &str) -> String {
    match (digits.get(..3), digits.get(3..6), digits.get(6..)) {
        (Some(a), Some(b), Some(c)) if digits.len() == 10 => format!("({a}) {b}-{c}"),
        _ => digits.to_owned(),
    }
}

fn phones(person: &Person) -> Value {
    Value::Array(person.phone.iter().map(|p| json!({ "Number": phone(p), "Type": "Cell" })).collect())
}

/// The bedroom word of `UnitBedrooms`.
pub fn bedrooms(n: u8) -> &'static str {
    match n {
        0 => "Studio",
        1 => "OneBed",
        2 => "TwoBed",
        3 => "ThreeBed",
        4 => "FourBed",
        5 => "FiveBed",
        6 => "SixBed",
        7 => "SevenBed",
        8 => "EightBed",
        _ => "NineBedPlus",
    }
}

/// The bathroom word of `UnitBathrooms`, from half baths.
pub fn bathrooms(half_baths: u8) -> &'static str {
    match half_baths {
        2 => "OneBath",
        3 => "OnePointFiveBath",
        4 => "TwoBath",
        5 => "TwoPointFiveBath",
        6 => "ThreeBath",
        7 => "ThreePointFiveBath",
        8 => "FourBath",
        9 => "FourPointFiveBath",
        10 => "FiveBath",
        0 | 1 => "NotSet",
        _ => "FivePlusBath",
    }
}

/// `RentalMessage`.
pub fn rental(property: &Property) -> Value {
    json!({
        "Id": property.id,
        "Name": property.name,
        "StructureDescription": "",
        "NumberUnits": property.units.len(),
        "IsActive": true,
        "Address": address(property),
        "RentalType": "Residential",
        "RentalSubType": "MultiFamily",
    })
}

/// `RentalUnitMessage`; a unit leased by the bed is one unit priced at the sum of its beds.
pub fn unit(world: &World, unit: &Unit, occupied: bool) -> Value {
    let property = &world.properties[unit.property];
    let floorplan = &property.floorplans[unit.floorplan];
    json!({
        "Id": unit.id,
        "PropertyId": property.id,
        "BuildingName": property.buildings[unit.building].name,
        "UnitNumber": unit.number,
        "Description": "",
        "MarketRent": dollars(unit.market_rent_cents),
        "Address": address(property),
        "UnitBedrooms": bedrooms(floorplan.bedrooms),
        "UnitBathrooms": bathrooms(floorplan.half_baths),
        "UnitSize": unit.square_feet,
        "IsUnitListed": !occupied,
        "IsUnitOccupied": occupied,
    })
}

/// `TenantMessage` of a person; a `CosignerMessage` has the same fields.
pub fn tenant(person: &Person) -> Value {
    let mut out = Map::new();
    out.insert("Id".into(), json!(person.id));
    out.insert("FirstName".into(), json!(person.first_name));
    out.insert("LastName".into(), json!(person.last_name));
    if let Some(email) = &person.email {
        out.insert("Email".into(), json!(email));
    }
    out.insert("PhoneNumbers".into(), phones(person));
    out.insert("MailingPreference".into(), json!("PrimaryAddress"));
    Value::Object(out)
}

/// `LeaseMessage`, stamped `updated` (`LastUpdatedDateTime`).
pub fn lease(world: &World, lease: &Lease, updated: DateTime<Utc>) -> Value {
    let unit = &world.units[lease.unit];
    let property = &world.properties[lease.property];
    let tenant_word = match lease.status {
        LeaseStatus::Future => "Future",
        LeaseStatus::Past => "MovedOut",
        _ => "Current",
    };
    let mut current = Vec::new();
    let mut tenants = Vec::new();
    let mut cosigners = Vec::new();
    let mut move_outs = Vec::new();
    for r in &lease.residents {
        let Some(person) = world.person(r.person_id) else { continue };
        if is_tenant(r.role) {
            current.push(tenant(person));
            let mut t = Map::new();
            t.insert("Id".into(), json!(person.id));
            t.insert("Status".into(), json!(tenant_word));
            if let Some(d) = r.move_in {
                t.insert("MoveInDate".into(), json!(date(d)));
            }
            tenants.push(Value::Object(t));
            if r.move_out.is_some() || lease.notice.is_some() {
                let mut m = Map::new();
                m.insert("TenantId".into(), json!(person.id));
                if let Some(d) = r.move_out {
                    m.insert("MoveOutDate".into(), json!(date(d)));
                }
                if let Some(d) = lease.notice {
                    m.insert("NoticeGivenDate".into(), json!(date(d)));
                }
                move_outs.push(Value::Object(m));
            }
        } else if r.role == ResidentRole::Guarantor {
            cosigners.push(tenant(person));
        }
    }
    let occupants = lease.residents.iter().filter(|r| r.role != ResidentRole::Guarantor).count();
    let (lease_type, term_type) = if lease.month_to_month { ("AtWill", "MonthToMonth") } else { ("Fixed", "Standard") };
    let created = lease.terms[0].applied_on.and_hms_opt(12, 0, 0).map(|t| t.and_utc()).unwrap_or(updated);
    json!({
        "Id": lease.id,
        "PropertyId": property.id,
        "UnitId": unit.id,
        "UnitNumber": unit.number,
        "LeaseFromDate": date(lease.start_date()),
        "LeaseToDate": date(lease.end_date()),
        "LeaseType": lease_type,
        "LeaseStatus": lease_status(lease.status).unwrap_or("Active"),
        "IsEvictionPending": false,
        "TermType": term_type,
        "RenewalOfferStatus": if lease.terms.len() > 1 { "Renewed" } else { "NotStarted" },
        "CurrentTenants": current,
        "CurrentNumberOfOccupants": occupants,
        "AccountDetails": { "SecurityDeposit": dollars(lease.rent_cents()), "Rent": dollars(lease.rent_cents()) },
        "Cosigners": cosigners,
        "AutomaticallyMoveOutTenants": false,
        "CreatedDateTime": instant(created),
        "LastUpdatedDateTime": instant(updated),
        "MoveOutData": move_outs,
        "PaymentDueDay": 1,
        "Tenants": tenants,
    })
}

/// `ApiErrorResponse`.
pub fn error(message: &str, code: &str, errors: &[(&str, String)]) -> Value {
    json!({
        "UserMessage": message,
        "ErrorCode": code,
        "Errors": errors.iter().map(|(k, v)| json!({ "Key": k, "Value": v })).collect::<Vec<_>>(),
    })
}
