//! Mapping of Entrata's wire records to pmsgraph's normalized records (DESIGN.md, "Normalized
//! model", "Lease status: one vocabulary", "Time").
//!
//! - Properties (getProperties): name, the property's own address, the zone where Entrata names an
//!   IANA one, else the one inferred from the address (state and ZIP code), the unit count from
//!   getPropertyUnits ([`with_unit_counts`]).
//! - Units (getPropertyUnits) with their bedroom-level unit spaces.
//! - Leases (getLeases) with their people, and the people as residents keyed by Entrata's customer
//!   id, which names one person across leases. Residents also come from getCustomers.
//!
//! Lease status comes from `leaseStatusTypeId` (1 Applicant, 2 Cancelled, 3 Future, 4 Current,
//! 5 Notice, 6 Past), else from the status word; anything else maps to the nearest state by the
//! lease's dates, with Entrata's word kept in `remote_status`, and never fails a sync. Judging dates
//! needs "today", which is a date on Entrata's clock: Mountain Time whatever the property's location
//! ([`MapContext`], converted with chrono-tz).
//!
//! Mapping itself cannot fail: every shape problem is caught while decoding ([`crate::wire`]) and
//! reported with its JSON path. The `parse_*` functions do both steps on a response body.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
pub use pmsgraph_connector_core::vocab::{LeaseDates, status_by_dates};
use pmsgraph_connector_core::zone::infer_time_zone;
use pmsgraph_connector_core::{
    Address, LeaseStatus, NormalizedLease, NormalizedLeaseResident, NormalizedProperty, NormalizedResident,
    NormalizedUnit, NormalizedUnitSpace, Occupancy, ResidentRole,
};

use crate::error::EntrataError;
use crate::wire::{
    self, Customer, CustomersResult, Lease, LeaseCustomer, LeasesResult, Method, Page, Phone, PropertiesResult,
    Property, PropertyAddress, PropertyUnitsResult, Raw, StatusResult, Unit, UnitProperty, UnitSpace,
};

/// Entrata's own clock: "all dates and times are Mountain Time unless stated".
pub const ENTRATA_CLOCK: Tz = chrono_tz::America::Denver;

/// What mapping needs beyond the records: the moment of the sync and the zone of Entrata's clock
/// (a setting of the integration, Mountain Time by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapContext {
    pub as_of: DateTime<Utc>,
    pub clock: Tz,
}

impl MapContext {
    pub fn new(as_of: DateTime<Utc>) -> Self {
        MapContext { as_of, clock: ENTRATA_CLOCK }
    }

    pub fn with_clock(self, clock: Tz) -> Self {
        MapContext { clock, ..self }
    }

    /// The date on Entrata's clock at `as_of`.
    pub fn today(&self) -> NaiveDate {
        self.as_of.with_timezone(&self.clock).date_naive()
    }
}

// ---------------------------------------------------------------------------------------------
// Response bodies to normalized records
// ---------------------------------------------------------------------------------------------

/// getStatus: the status and message Entrata answered.
pub fn parse_status(body: &[u8]) -> Result<StatusResult, EntrataError> {
    Ok(wire::decode::<StatusResult>(Method::GetStatus, body)?.result)
}

pub fn parse_properties(body: &[u8]) -> Result<Vec<NormalizedProperty>, EntrataError> {
    Ok(properties(&wire::decode::<PropertiesResult>(Method::GetProperties, body)?.result))
}

pub fn parse_property_units(body: &[u8]) -> Result<Vec<PropertyUnits>, EntrataError> {
    Ok(property_units(&wire::decode::<PropertyUnitsResult>(Method::GetPropertyUnits, body)?.result))
}

/// getLeases of `property_remote_id` (the answer does not repeat the property id).
pub fn parse_leases(body: &[u8], property_remote_id: &str, ctx: &MapContext) -> Result<LeasesPage, EntrataError> {
    Ok(leases(&wire::decode::<LeasesResult>(Method::GetLeases, body)?.result, property_remote_id, ctx))
}

pub fn parse_customers(body: &[u8]) -> Result<Vec<NormalizedResident>, EntrataError> {
    Ok(customers(&wire::decode::<CustomersResult>(Method::GetCustomers, body)?.result))
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

pub fn properties(result: &PropertiesResult) -> Vec<NormalizedProperty> {
    result.properties().iter().map(property).collect()
}

pub fn property(record: &Raw<Property>) -> NormalizedProperty {
    let p = &record.value;
    let address = property_address(p);
    NormalizedProperty {
        remote_id: p.id.clone(),
        name: p.marketing_name.clone(),
        time_zone: p
            .time_zone
            .as_deref()
            .and_then(|zone| zone.parse::<Tz>().ok())
            .map(|tz| tz.name())
            .or_else(|| infer_time_zone(address.state.as_deref(), address.postal_code.as_deref()))
            .map(str::to_owned),
        address,
        unit_count: None,
        remote_data: record.raw.clone(),
    }
}

/// The property's own address; else the Primary one of `Addresses`; else the first.
fn property_address(p: &Property) -> Address {
    let others = p.addresses.as_ref().map(|a| &a.address.0[..]).unwrap_or_default();
    let chosen = p
        .address
        .as_ref()
        .or_else(|| others.iter().find(|a| a.kind().is_some_and(|k| k.eq_ignore_ascii_case("primary"))))
        .or_else(|| others.first());
    chosen.map(address).unwrap_or_default()
}

fn address(a: &PropertyAddress) -> Address {
    Address {
        line1: a.street.clone(),
        line2: None,
        city: a.city.clone(),
        state: a.state.clone().or_else(|| a.state_code.clone()),
        postal_code: a.postal_code.clone(),
        country: a.country.clone(),
    }
}

/// Sets each property's unit count from getPropertyUnits, where getProperties gave none.
pub fn with_unit_counts(properties: &mut [NormalizedProperty], units: &[PropertyUnits]) {
    for property in properties.iter_mut().filter(|p| p.unit_count.is_none()) {
        if let Some(found) = units.iter().find(|u| u.property_remote_id == property.remote_id) {
            property.unit_count = found.unit_count;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Units
// ---------------------------------------------------------------------------------------------

/// The units of one property as getPropertyUnits answers them.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PropertyUnits {
    pub property_remote_id: String,
    /// Entrata's `unitCount`, else the number of units listed.
    pub unit_count: Option<i32>,
    pub units: Vec<NormalizedUnit>,
}

pub fn property_units(result: &PropertyUnitsResult) -> Vec<PropertyUnits> {
    result.properties().iter().map(units_of).collect()
}

fn units_of(p: &UnitProperty) -> PropertyUnits {
    let units: Vec<NormalizedUnit> = p.units().iter().map(|u| unit(&p.property_id, u)).collect();
    PropertyUnits {
        property_remote_id: p.property_id.clone(),
        unit_count: p.unit_count.or_else(|| i32::try_from(units.len()).ok()),
        units,
    }
}

pub fn unit(property_remote_id: &str, record: &Raw<Unit>) -> NormalizedUnit {
    let u = &record.value;
    let whole = whole_unit_space(u);
    NormalizedUnit {
        remote_id: u.id.clone(),
        property_remote_id: property_remote_id.to_owned(),
        number: u.unit_number.clone(),
        building: u.building_name.clone(),
        floorplan: u.floorplan_name.clone(),
        bedrooms: u.no_of_bedrooms,
        bathrooms: u.no_of_bathrooms,
        square_feet: u.square_feet,
        // A unit let whole is priced on its one space; a unit let by the bed has a rent per bed.
        market_rent_cents: whole.and_then(|s| s.rent.as_ref()).and_then(|r| r.min_rent.or(r.max_rent)),
        occupancy: unit_occupancy(u),
        spaces: u
            .spaces()
            .iter()
            .filter(|_| whole.is_none())
            .map(|s| NormalizedUnitSpace {
                remote_id: s.unit_space_id.clone(),
                name: s.unit_number.clone().unwrap_or_else(|| s.unit_space_id.clone()),
                remote_data: s.raw.clone(),
            })
            .collect(),
        remote_data: record.raw.clone(),
    }
}

/// Entrata gives every unit at least one space. A unit let whole has exactly one, numbered as the
/// unit (or unnumbered); a unit let by the bed has one per bed, numbered like `512-A`.
fn whole_unit_space(u: &Unit) -> Option<&UnitSpace> {
    match u.spaces() {
        [only] if only.unit_number.as_deref().is_none_or(|n| n == u.unit_number) => Some(&only.value),
        _ => None,
    }
}

/// The unit's own availability word where it has one; else its spaces': occupied when anyone lives
/// in it, vacant when every space is vacant.
fn unit_occupancy(u: &Unit) -> Occupancy {
    if let Some(own) = u.availability_status.as_deref().and_then(availability) {
        return own;
    }
    let spaces: Vec<Option<Occupancy>> =
        u.spaces().iter().map(|s| s.availability_status.as_deref().and_then(availability)).collect();
    if spaces.contains(&Some(Occupancy::Occupied)) {
        Occupancy::Occupied
    } else if !spaces.is_empty() && spaces.iter().all(|s| *s == Some(Occupancy::Vacant)) {
        Occupancy::Vacant
    } else {
        Occupancy::Unknown
    }
}

/// Entrata's availability words: "Occupied", "Occupied No Notice", "Notice Rented/Unrented" (still
/// lived in), "Vacant Rented/Unrented", "Available", "Unoccupied".
pub fn availability(word: &str) -> Option<Occupancy> {
    let word = normalize(word);
    if word.starts_with("occupied") || word.starts_with("notice") {
        Some(Occupancy::Occupied)
    } else if word.starts_with("vacant") || word.starts_with("available") || word.starts_with("unoccupied") {
        Some(Occupancy::Vacant)
    } else {
        None
    }
}

// ---------------------------------------------------------------------------------------------
// Leases
// ---------------------------------------------------------------------------------------------

/// One getLeases answer: its leases, the people on them (each once), and the next page, if any.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LeasesPage {
    pub leases: Vec<NormalizedLease>,
    pub residents: Vec<NormalizedResident>,
    pub next_page: Option<Page>,
}

pub fn leases(result: &LeasesResult, property_remote_id: &str, ctx: &MapContext) -> LeasesPage {
    let mut residents = ResidentSet::default();
    let mut leases = Vec::with_capacity(result.leases().len());
    for record in result.leases() {
        for customer in record.customers() {
            residents.insert(resident_of_lease(customer));
        }
        leases.push(lease(record, property_remote_id, ctx));
    }
    LeasesPage { leases, residents: residents.into_vec(), next_page: result.meta.and_then(|m| m.next_page()) }
}

pub fn lease(record: &Raw<Lease>, property_remote_id: &str, ctx: &MapContext) -> NormalizedLease {
    let l = &record.value;
    let dates = lease_dates(l);
    let month_to_month = l.is_month_to_month.unwrap_or(false);
    let (status, remote_status) = lease_status(l, &dates, month_to_month, ctx);
    let residents = l.customers().iter().map(|c| lease_resident(c, status, &dates, month_to_month, ctx)).collect();
    NormalizedLease {
        remote_id: l.id.clone(),
        property_remote_id: l.property_id.clone().unwrap_or_else(|| property_remote_id.to_owned()),
        unit_remote_id: l.unit_id.clone(),
        unit_space_remote_id: l.unit_space_id.clone(),
        status,
        remote_status,
        start_date: dates.start,
        end_date: dates.end,
        move_in_date: dates.move_in,
        move_out_date: dates.move_out,
        notice_date: dates.notice,
        rent_cents: rent_cents(l),
        is_month_to_month: month_to_month,
        residents,
        remote_data: record.raw.clone(),
    }
}

/// Term dates from the lease's current interval (`leaseIntervalId`), else the "Lease From/To"
/// activities; move-in, move-out and notice from the activities, else from the primary person.
fn lease_dates(l: &Lease) -> LeaseDates {
    let intervals = l.intervals();
    let interval =
        l.lease_interval_id.as_ref().and_then(|id| intervals.iter().find(|i| &i.id == id)).or_else(|| intervals.last());
    let primary = primary_customer(l);
    LeaseDates {
        start: interval.and_then(|i| i.start_date).or_else(|| activity(l, &["leasefrom", "leasestart"])),
        end: interval.and_then(|i| i.end_date).or_else(|| activity(l, &["leaseto", "leaseend"])),
        move_in: activity(l, &["actualmovein", "movein"])
            .or_else(|| activity(l, &["scheduledmovein", "expectedmovein"]))
            .or_else(|| primary.and_then(|c| c.move_in_date)),
        move_out: activity(l, &["actualmoveout", "moveout"])
            .or_else(|| activity(l, &["scheduledmoveout", "expectedmoveout"]))
            .or_else(|| primary.and_then(|c| c.move_out_date)),
        notice: activity(l, &["notice", "noticegiven", "noticedate", "noticereceived", "moveoutnotice"])
            .or_else(|| primary.and_then(|c| c.notice_date)),
    }
}

/// The date of the first activity whose event type is one of `kinds` (normalized).
fn activity(l: &Lease, kinds: &[&str]) -> Option<NaiveDate> {
    l.activities()
        .iter()
        .filter(|a| a.event_type.as_deref().is_some_and(|t| kinds.contains(&normalize(t).as_str())))
        .find_map(|a| a.date)
}

/// The person whose dates stand for the lease: the Primary, else the first who is no guarantor.
fn primary_customer(l: &Lease) -> Option<&LeaseCustomer> {
    let people = || l.customers().iter().map(|c| &c.value);
    people()
        .find(|c| role_of(c) == ResidentRole::Primary)
        .or_else(|| people().find(|c| role_of(c) != ResidentRole::Guarantor))
}

/// The monthly rent of the current term: the base-rent charges of the lease's interval; of several
/// rent steps, the latest (the answer carries no "today" of its own, and the latest step is the
/// rent the lease is heading to).
fn rent_cents(l: &Lease) -> Option<i64> {
    let candidates: Vec<_> = l
        .scheduled_charges()
        .iter()
        .filter(|c| {
            let kind = c.charge_type.as_deref().or(c.charge_code.as_deref()).map(normalize);
            let is_rent = kind.is_some_and(|k| k == "baserent" || k == "rent");
            let monthly = c.frequency.as_deref().is_none_or(|f| normalize(f) == "monthly");
            let same_term = match (&c.lease_interval_id, &l.lease_interval_id) {
                (Some(charge), Some(lease)) => charge == lease,
                _ => true,
            };
            is_rent && monthly && same_term && c.amount.is_some()
        })
        .collect();
    let latest = candidates.iter().map(|c| c.start_date).max()?;
    candidates.iter().filter(|c| c.start_date == latest).filter_map(|c| c.amount).try_fold(0_i64, i64::checked_add)
}

/// The lease's status and Entrata's own word for it.
fn lease_status(
    l: &Lease,
    dates: &LeaseDates,
    month_to_month: bool,
    ctx: &MapContext,
) -> (LeaseStatus, Option<String>) {
    let word = l.lease_status_type.as_deref().or(l.lease_interval_status.as_deref());
    let status = l
        .lease_status_type_id
        .as_deref()
        .and_then(status_from_id)
        .or_else(|| word.and_then(status_from_word))
        .unwrap_or_else(|| status_by_dates(dates, month_to_month, ctx.today()));
    let remote_status = word.map(str::to_owned).or_else(|| l.lease_status_type_id.clone());
    (status, remote_status)
}

/// Entrata's `leaseStatusTypeId`.
pub fn status_from_id(id: &str) -> Option<LeaseStatus> {
    match id.trim() {
        "1" => Some(LeaseStatus::Applicant),
        "2" => Some(LeaseStatus::Cancelled),
        "3" => Some(LeaseStatus::Future),
        "4" => Some(LeaseStatus::Current),
        "5" => Some(LeaseStatus::Notice),
        "6" => Some(LeaseStatus::Past),
        _ => None,
    }
}

/// Entrata's status words (lease and `leaseCustomerStatus`), in either spelling of "cancelled".
pub fn status_from_word(word: &str) -> Option<LeaseStatus> {
    match normalize(word).as_str() {
        "applicant" => Some(LeaseStatus::Applicant),
        "cancelled" | "canceled" => Some(LeaseStatus::Cancelled),
        "future" => Some(LeaseStatus::Future),
        "current" => Some(LeaseStatus::Current),
        "notice" => Some(LeaseStatus::Notice),
        "past" => Some(LeaseStatus::Past),
        _ => None,
    }
}

fn lease_resident(
    record: &Raw<LeaseCustomer>,
    lease_status: LeaseStatus,
    lease_dates: &LeaseDates,
    month_to_month: bool,
    ctx: &MapContext,
) -> NormalizedLeaseResident {
    let c = &record.value;
    let status = match c.lease_customer_status.as_deref() {
        None => lease_status,
        Some(word) => status_from_word(word).unwrap_or_else(|| {
            let own = LeaseDates {
                move_in: c.move_in_date.or(lease_dates.move_in),
                move_out: c.move_out_date.or(lease_dates.move_out),
                notice: c.notice_date.or(lease_dates.notice),
                ..*lease_dates
            };
            status_by_dates(&own, month_to_month, ctx.today())
        }),
    };
    NormalizedLeaseResident {
        resident_remote_id: c.id.clone(),
        role: role_of(c),
        move_in_date: c.move_in_date,
        move_out_date: c.move_out_date,
        status,
        remote_data: record.raw.clone(),
    }
}

fn role_of(c: &LeaseCustomer) -> ResidentRole {
    role(c.customer_type.as_deref().or(c.relationship_name.as_deref()))
}

/// Entrata's `customerType`: Primary -> PRIMARY; Responsible, Co-Applicant -> CO_APPLICANT;
/// Occupant, Non-Responsible (Not Responsible, Non-Leasing Occupant) -> OCCUPANT; Guarantor
/// (Co-Signer) -> GUARANTOR. A type we do not know reads as OCCUPANT: a person on the lease who
/// signed nothing we can tell.
pub fn role(word: Option<&str>) -> ResidentRole {
    let Some(word) = word.map(normalize) else {
        return ResidentRole::Occupant;
    };
    if word.contains("guarant") || word.contains("cosign") {
        ResidentRole::Guarantor
    } else if word.starts_with("primary") || word == "headofhousehold" {
        ResidentRole::Primary
    } else if word.contains("nonresponsible") || word.contains("notresponsible") || word.contains("occupant") {
        ResidentRole::Occupant
    } else if word.contains("responsible") || word.contains("coapplicant") || word.contains("coresident") {
        ResidentRole::CoApplicant
    } else {
        ResidentRole::Occupant
    }
}

// ---------------------------------------------------------------------------------------------
// Residents
// ---------------------------------------------------------------------------------------------

/// A person as getLeases shows them on one lease.
pub fn resident_of_lease(record: &Raw<LeaseCustomer>) -> NormalizedResident {
    let c = &record.value;
    let addresses = c.addresses.as_ref();
    let email = c.email.clone().or_else(|| {
        let with_email = addresses.into_iter().flat_map(|a| a.address.iter()).filter(|a| a.email.is_some());
        let current = with_email.clone().find(|a| {
            a.address_type
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case("current") || t.eq_ignore_ascii_case("primary"))
        });
        current.or_else(|| with_email.clone().next()).and_then(|a| a.email.clone())
    });
    let phone = pick_phone(&c.phone.0).or_else(|| addresses.and_then(|a| pick_phone(&a.phone.0)));
    NormalizedResident {
        remote_id: c.id.clone(),
        first_name: c.first_name.clone().unwrap_or_default(),
        last_name: c.last_name.clone().unwrap_or_default(),
        email,
        phone,
        remote_data: record.raw.clone(),
    }
}

/// A mobile number first, else the first number.
fn pick_phone(phones: &[Phone]) -> Option<String> {
    let numbered = || phones.iter().filter(|p| p.phone_number.is_some());
    numbered()
        .find(|p| p.phone_type.as_deref().is_some_and(|t| matches!(normalize(t).as_str(), "mobile" | "cell")))
        .or_else(|| numbered().next())
        .and_then(|p| p.phone_number.clone())
}

pub fn customers(result: &CustomersResult) -> Vec<NormalizedResident> {
    let mut residents = ResidentSet::default();
    for record in result.customers() {
        residents.insert(customer(record));
    }
    residents.into_vec()
}

/// A person as getCustomers answers them (PascalCase, the id in `@attributes`).
pub fn customer(record: &Raw<Customer>) -> NormalizedResident {
    let c = &record.value;
    NormalizedResident {
        remote_id: c.id().to_owned(),
        first_name: c.first_name.clone().unwrap_or_default(),
        last_name: c.last_name.clone().unwrap_or_default(),
        email: c.email.clone(),
        phone: c.phone_number.clone(),
        remote_data: record.raw.clone(),
    }
}

/// Residents by Entrata customer id, each person once, in order of first appearance. A later
/// sighting fills what an earlier one lacked (a co-resident's record may carry no email).
#[derive(Debug, Clone, Default)]
pub struct ResidentSet {
    residents: Vec<NormalizedResident>,
    index: HashMap<String, usize>,
}

impl ResidentSet {
    pub fn insert(&mut self, resident: NormalizedResident) {
        match self.index.get(&resident.remote_id) {
            Some(&at) => {
                let known = &mut self.residents[at];
                if known.first_name.is_empty() {
                    known.first_name = resident.first_name;
                }
                if known.last_name.is_empty() {
                    known.last_name = resident.last_name;
                }
                if known.email.is_none() {
                    known.email = resident.email;
                }
                if known.phone.is_none() {
                    known.phone = resident.phone;
                }
            }
            None => {
                self.index.insert(resident.remote_id.clone(), self.residents.len());
                self.residents.push(resident);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.residents.len()
    }

    pub fn is_empty(&self) -> bool {
        self.residents.is_empty()
    }

    pub fn into_vec(self) -> Vec<NormalizedResident> {
        self.residents
    }
}

/// Lower case, letters and digits only: "Co-Applicant" and "co applicant" read alike.
fn normalize(word: &str) -> String {
    word.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn ctx() -> MapContext {
        MapContext::new(Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).single().expect("a valid instant"))
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a valid date")
    }

    fn leases_body(lease: serde_json::Value) -> Vec<u8> {
        json!({"response": {"requestId": "15", "code": 200, "result": {"leases": {"lease": lease}}}})
            .to_string()
            .into_bytes()
    }

    #[test]
    fn today_is_a_date_on_mountain_time() {
        // 05:30 UTC on 2 March is still 1 March in Denver (UTC-7 in winter)...
        let winter = MapContext::new(Utc.with_ymd_and_hms(2025, 3, 2, 5, 30, 0).single().expect("instant"));
        assert_eq!(winter.today(), date(2025, 3, 1));
        // ...and 05:30 UTC in July is 23:30 the day before (UTC-6 in summer); 06:30 is the same day.
        let summer = MapContext::new(Utc.with_ymd_and_hms(2025, 7, 2, 5, 30, 0).single().expect("instant"));
        assert_eq!(summer.today(), date(2025, 7, 1));
        let summer = MapContext::new(Utc.with_ymd_and_hms(2025, 7, 2, 6, 30, 0).single().expect("instant"));
        assert_eq!(summer.today(), date(2025, 7, 2));
        let other = winter.with_clock(chrono_tz::America::New_York);
        assert_eq!(other.today(), date(2025, 3, 2));
    }

    #[test]
    fn every_status_id_maps_and_wins_over_the_word() {
        for (id, status) in [
            ("1", LeaseStatus::Applicant),
            ("2", LeaseStatus::Cancelled),
            ("3", LeaseStatus::Future),
            ("4", LeaseStatus::Current),
            ("5", LeaseStatus::Notice),
            ("6", LeaseStatus::Past),
        ] {
            let body = leases_body(json!({"id": 1, "leaseStatusTypeId": id, "leaseIntervalStatus": "Current"}));
            let page = parse_leases(&body, "p1", &ctx()).expect("parses");
            assert_eq!(page.leases[0].status, status, "{id}");
            assert_eq!(page.leases[0].remote_status.as_deref(), Some("Current"));
        }
        // A numeric id reads like a string one.
        let page = parse_leases(&leases_body(json!({"id": 1, "leaseStatusTypeId": 5})), "p1", &ctx()).expect("parses");
        assert_eq!(page.leases[0].status, LeaseStatus::Notice);
        assert_eq!(page.leases[0].remote_status.as_deref(), Some("5"));
    }

    #[test]
    fn a_known_word_stands_in_for_an_unknown_id() {
        let body = leases_body(json!({"id": 1, "leaseStatusTypeId": "9", "leaseStatusType": "Canceled"}));
        let lease = &parse_leases(&body, "p1", &ctx()).expect("parses").leases[0];
        assert_eq!(lease.status, LeaseStatus::Cancelled);
        assert_eq!(lease.remote_status.as_deref(), Some("Canceled"));
    }

    #[test]
    fn unknown_status_words_map_by_dates_and_keep_the_word() {
        let interval = |start: &str, end: &str| json!({"leaseInterval": {"id": 7, "startDate": start, "endDate": end}});
        let cases = [
            // In the term, moved in: current.
            (interval("2024-08-01", "2025-07-31"), json!({}), LeaseStatus::Current),
            // Not started yet.
            (interval("2025-08-01", "2026-07-31"), json!({}), LeaseStatus::Future),
            // Term over, no move-out, not month to month.
            (interval("2023-08-01", "2024-07-31"), json!({}), LeaseStatus::Past),
            // Moved in, move-out ahead.
            (
                interval("2024-08-01", "2025-07-31"),
                json!({"leasesActivity": {"date": "2025-04-30", "eventType": "Scheduled Move Out"}}),
                LeaseStatus::Notice,
            ),
            // Moved out.
            (
                interval("2024-08-01", "2025-07-31"),
                json!({"leasesActivity": [{"date": "2025-02-28", "eventType": "Actual Move Out"}]}),
                LeaseStatus::Past,
            ),
            // Nothing to go by.
            (json!(""), json!(""), LeaseStatus::Applicant),
        ];
        for (intervals, activities, expected) in cases {
            let body = leases_body(json!({
                "id": "1", "leaseStatusTypeId": "12", "leaseIntervalStatus": "Transfer Pending",
                "leaseIntervalId": 7, "leaseIntervals": intervals, "leaseActivities": activities,
            }));
            let lease = &parse_leases(&body, "p1", &ctx()).expect("parses").leases[0];
            assert_eq!(lease.status, expected, "{intervals} {activities}");
            assert_eq!(lease.remote_status.as_deref(), Some("Transfer Pending"));
        }
        let dates = LeaseDates { start: Some(date(2023, 1, 1)), end: Some(date(2024, 1, 1)), ..LeaseDates::default() };
        assert_eq!(status_by_dates(&dates, true, date(2025, 3, 1)), LeaseStatus::Current, "month to month");
        let dates = LeaseDates { move_in: Some(date(2024, 1, 1)), notice: Some(date(2025, 2, 1)), ..dates };
        assert_eq!(status_by_dates(&dates, true, date(2025, 3, 1)), LeaseStatus::Notice);
    }

    #[test]
    fn roles_follow_the_design_table() {
        for (word, role_) in [
            ("Primary", ResidentRole::Primary),
            ("Responsible", ResidentRole::CoApplicant),
            ("Co-Applicant", ResidentRole::CoApplicant),
            ("Occupant", ResidentRole::Occupant),
            ("Non-Responsible", ResidentRole::Occupant),
            ("Not Responsible", ResidentRole::Occupant),
            ("Non-Leasing Occupant", ResidentRole::Occupant),
            ("Guarantor", ResidentRole::Guarantor),
            ("Co-Signer", ResidentRole::Guarantor),
            ("Something New", ResidentRole::Occupant),
        ] {
            assert_eq!(role(Some(word)), role_, "{word}");
        }
        assert_eq!(role(None), ResidentRole::Occupant);
    }

    #[test]
    fn one_person_on_two_leases_is_one_resident() {
        let body = leases_body(json!([
            {"id": 1, "leaseStatusTypeId": "6", "customers": {"customer": {"id": 55, "customerType": "Primary",
                "firstName": "Ana", "lastName": "Diaz"}}},
            {"id": 2, "leaseStatusTypeId": "4", "customers": {"customer": [
                {"id": "55", "customerType": "Primary", "firstName": "Ana", "lastName": "Diaz",
                    "addresses": {"address": {"addressType": "Current", "email": "ana@example.com"}}},
                {"id": 56, "customerType": "Occupant", "firstName": "Bo", "lastName": "Diaz",
                    "phone": [{"phoneType": "home", "phoneNumber": "5550001"}, {"phoneType": "mobile", "phoneNumber": "5550002"}]}
            ]}}
        ]));
        let page = parse_leases(&body, "p1", &ctx()).expect("parses");
        assert_eq!(page.leases.len(), 2);
        let ids: Vec<_> = page.residents.iter().map(|r| r.remote_id.as_str()).collect();
        assert_eq!(ids, ["55", "56"]);
        assert_eq!(page.residents[0].email.as_deref(), Some("ana@example.com"), "filled in from the second lease");
        assert_eq!(page.residents[1].phone.as_deref(), Some("5550002"), "the mobile number");
        assert_eq!(page.leases[1].residents[1].role, ResidentRole::Occupant);
        assert_eq!(page.leases[1].residents[1].status, LeaseStatus::Current, "no word of its own: the lease's");
    }

    #[test]
    fn rent_is_the_monthly_base_rent_of_the_current_term() {
        let body = leases_body(json!({"id": 1, "leaseStatusTypeId": "4", "leaseIntervalId": "9",
        "scheduledCharges": {"scheduledCharge": [
            {"leaseIntervalId": "8", "startDate": "2023-08-01", "frequency": "Monthly", "chargeType": "Base Rent", "amount": "900.00"},
            {"leaseIntervalId": "9", "startDate": "2024-08-01", "frequency": "Monthly", "chargeType": "Base Rent", "amount": "1,000.00"},
            {"leaseIntervalId": "9", "startDate": "2025-02-01", "frequency": "Monthly", "chargeType": "Base Rent", "amount": "1,050.50"},
            {"leaseIntervalId": "9", "startDate": "2025-02-01", "frequency": "Monthly", "chargeType": "Pet Rent", "amount": "25.00"},
            {"leaseIntervalId": "9", "startDate": "2024-08-01", "frequency": "One-Time", "chargeType": "Base Rent", "amount": "99.00"}
        ]}}));
        let lease = &parse_leases(&body, "p1", &ctx()).expect("parses").leases[0];
        assert_eq!(lease.rent_cents, Some(105_050));
        let body = leases_body(json!({"id": 1, "scheduledCharges": ""}));
        assert_eq!(parse_leases(&body, "p1", &ctx()).expect("parses").leases[0].rent_cents, None);
    }

    #[test]
    fn a_malformed_field_is_reported_with_its_path() {
        let body = leases_body(json!([
            {"id": 1},
            {"id": 2, "customers": {"customer": [{"id": 5}, {"id": 6, "moveInDate": "31/31/2024"}]}}
        ]));
        let err = parse_leases(&body, "p1", &ctx()).expect_err("a bad date");
        assert_eq!(
            err,
            EntrataError::Malformed {
                path: "response.result.leases.lease[1].customers.customer[1].moveInDate".into(),
                message: "`31/31/2024` is not a date (MM/DD/YYYY or YYYY-MM-DD)".into(),
            }
        );
        let body = leases_body(json!({"leaseStatusTypeId": "4"}));
        let err = parse_leases(&body, "p1", &ctx()).expect_err("no id");
        assert_eq!(
            err,
            EntrataError::Malformed { path: "response.result.leases.lease.id".into(), message: "missing".into() }
        );
        let body =
            json!({"response": {"code": 200, "result": {"Customers": {"Customer": {"@attributes": {"Id": ""}}}}}});
        let err = parse_customers(body.to_string().as_bytes()).expect_err("an empty id");
        assert_eq!(
            err,
            EntrataError::Malformed {
                path: "response.result.Customers.Customer.@attributes.Id".into(),
                message: "empty id".into()
            }
        );
    }

    #[test]
    fn omitted_keys_are_none() {
        let body = json!({"response": {"code": 200, "result": {"PhysicalProperty": {"Property": {
            "PropertyID": "9", "MarketingName": "Bare"}}}}});
        let properties = parse_properties(body.to_string().as_bytes()).expect("parses");
        assert_eq!(properties[0].address, Address::default());
        assert_eq!((properties[0].time_zone.as_deref(), properties[0].unit_count), (None, None));

        let body = json!({"response": {"code": 200, "result": {"properties": {"property": {"propertyId": 9,
            "units": {"unit": {"id": 1, "unitNumber": 101}}}}}}});
        let units = parse_property_units(body.to_string().as_bytes()).expect("parses");
        assert_eq!(units[0].unit_count, Some(1), "counted when Entrata gives no count");
        let unit = &units[0].units[0];
        assert_eq!(unit.number, "101");
        assert_eq!((unit.bedrooms, unit.bathrooms, unit.square_feet), (None, None, None));
        assert_eq!(unit.occupancy, Occupancy::Unknown);
        assert!(unit.spaces.is_empty());

        let body = leases_body(json!({"id": 3}));
        let lease = &parse_leases(&body, "p1", &ctx()).expect("parses").leases[0];
        assert_eq!(lease.property_remote_id, "p1");
        assert_eq!((lease.unit_remote_id.as_deref(), lease.start_date, lease.rent_cents), (None, None, None));
        assert_eq!(lease.status, LeaseStatus::Applicant);
        assert_eq!(lease.remote_status, None);
        assert!(!lease.is_month_to_month);
    }

    #[test]
    fn a_named_zone_is_kept_only_when_it_is_iana() {
        for (zone, expected) in [("America/Chicago", Some("America/Chicago")), ("CST", None), ("", None)] {
            let body = json!({"response": {"code": 200, "result": {"PhysicalProperty": {"Property": {
                "PropertyID": 9, "MarketingName": "Zoned", "TimeZone": zone}}}}});
            let properties = parse_properties(body.to_string().as_bytes()).expect("parses");
            assert_eq!(properties[0].time_zone.as_deref(), expected, "{zone}");
        }
    }

    #[test]
    fn unit_occupancy_follows_the_spaces() {
        assert_eq!(availability("Occupied No Notice"), Some(Occupancy::Occupied));
        assert_eq!(availability("Notice Unrented"), Some(Occupancy::Occupied));
        assert_eq!(availability("Vacant Unrented Ready"), Some(Occupancy::Vacant));
        assert_eq!(availability("Available"), Some(Occupancy::Vacant));
        assert_eq!(availability("Down"), None);
        let body = |spaces: serde_json::Value| {
            json!({"response": {"code": 200, "result": {"properties": {"property": {"propertyId": 9,
                "units": {"unit": {"id": 1, "unitNumber": "1", "unitSpaces": {"unitSpace": spaces}}}}}}}})
            .to_string()
        };
        let occupancy = |spaces| parse_property_units(body(spaces).as_bytes()).expect("parses")[0].units[0].occupancy;
        assert_eq!(
            occupancy(
                json!([{"unitSpaceId": 1, "availabilityStatus": "Vacant Unrented"}, {"unitSpaceId": 2, "availabilityStatus": "Occupied"}])
            ),
            Occupancy::Occupied
        );
        assert_eq!(
            occupancy(
                json!([{"unitSpaceId": 1, "availabilityStatus": "Vacant Unrented"}, {"unitSpaceId": 2, "availabilityStatus": "Available"}])
            ),
            Occupancy::Vacant
        );
        assert_eq!(occupancy(json!({"unitSpaceId": 1, "availabilityStatus": "Model"})), Occupancy::Unknown);
    }

    #[test]
    fn unit_counts_come_from_get_property_units() {
        let mut properties = vec![NormalizedProperty {
            remote_id: "9".into(),
            name: "P".into(),
            address: Address::default(),
            time_zone: None,
            unit_count: None,
            remote_data: json!({}).into(),
        }];
        let units = vec![PropertyUnits { property_remote_id: "9".into(), unit_count: Some(120), units: vec![] }];
        with_unit_counts(&mut properties, &units);
        assert_eq!(properties[0].unit_count, Some(120));
    }
}
