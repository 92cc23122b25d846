//! How the Entrata simulator writes its records: typed structs that borrow from the [`World`] and
//! serialize straight into the response body, with no JSON tree in between.
//!
//! Keys come in the order of the fixtures in `shared/fixtures/pms/entrata` (getPropertyUnits:
//! its schema-derived sample); keys the fixtures do not show follow their neighbours. Ids are
//! written as text ([`Text`]) where Entrata writes them as strings, dates as [`Date`], amounts
//! as [`Amount`]; absent values are omitted keys and a repeatable XML element is a
//! [`OneOrMany`] (see the parent module's "Wire quirks reproduced").

use std::fmt;

use chrono::{Datelike, NaiveDate};
use pmsgraph_connector_core::vocab::LeaseStatus;
use serde::{Serialize, Serializer};
use serde_json::Value;

use super::{customer_type, lease_status_type_id};
use crate::world::{Lease, LeaseResident, Property, PropertyKind, TermKind, Unit, World, status_word};

// ----- envelope -----

/// `{"response": ..}`, around a success or an error.
#[derive(Serialize)]
pub(super) struct Envelope<T> {
    pub response: T,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Success<'a, R> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<&'a Value>,
    pub code: u16,
    pub result: R,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Error<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<&'a Value>,
    pub error: ErrorBody<'a>,
}

#[derive(Serialize)]
pub(super) struct ErrorBody<'a> {
    pub code: i64,
    pub message: &'a str,
}

/// The paging block of getLeases and getCustomers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Meta {
    pub current_page: usize,
    pub last_page: usize,
    pub per_page: usize,
    pub total: usize,
}

// ----- value helpers -----

/// XML-to-JSON's repeatable element: one child is written as an object, several as an array.
/// Never empty: an element without children is an omitted key ([`one_or_many`]).
#[derive(Debug, PartialEq)]
pub(super) struct OneOrMany<T>(Vec<T>);

/// The items as a [`OneOrMany`], or None when there are none.
pub(super) fn one_or_many<T>(items: Vec<T>) -> Option<OneOrMany<T>> {
    (!items.is_empty()).then_some(OneOrMany(items))
}

impl<T: Serialize> Serialize for OneOrMany<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0.as_slice() {
            [one] => one.serialize(serializer),
            many => many.serialize(serializer),
        }
    }
}

/// A value written as a JSON string through its `Display` (ids Entrata writes as text).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Text<T>(pub T);

impl<T: fmt::Display> Serialize for Text<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

/// A date as Entrata writes it: `YYYY-MM-DD` in getLeases, `MM/DD/YYYY` in getProperties and
/// getCustomers, `MM/YYYY` for post months.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Date {
    date: NaiveDate,
    style: DateStyle,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum DateStyle {
    Iso,
    Us,
    MonthYear,
}

impl Date {
    pub fn iso(date: NaiveDate) -> Date {
        Date { date, style: DateStyle::Iso }
    }

    pub fn us(date: NaiveDate) -> Date {
        Date { date, style: DateStyle::Us }
    }

    pub fn month_year(date: NaiveDate) -> Date {
        Date { date, style: DateStyle::MonthYear }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = (self.date.year(), self.date.month(), self.date.day());
        if !(0..=9999).contains(&y) {
            // chrono's `%Y` signs and widens such years; let it write them.
            let pattern = match self.style {
                DateStyle::Iso => "%Y-%m-%d",
                DateStyle::Us => "%m/%d/%Y",
                DateStyle::MonthYear => "%m/%Y",
            };
            return write!(f, "{}", self.date.format(pattern));
        }
        match self.style {
            DateStyle::Iso => write!(f, "{y:04}-{m:02}-{d:02}"),
            DateStyle::Us => write!(f, "{m:02}/{d:02}/{y:04}"),
            DateStyle::MonthYear => write!(f, "{m:02}/{y:04}"),
        }
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Cents as Entrata writes amounts: "1035.00".
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Amount(pub i64);

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, (self.0 % 100).abs())
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A whole number as an integer, a half as a float (1.5 baths).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(untagged)]
pub(super) enum Number {
    Whole(i64),
    Fraction(f64),
}

impl Number {
    pub fn new(value: f64) -> Number {
        if value.fract() == 0.0 {
            // Bathroom counts are small; the cast cannot truncate.
            Number::Whole(value as i64)
        } else {
            Number::Fraction(value)
        }
    }
}

/// XML-to-JSON turns digit-only text into numbers: "02115" comes back as 2115.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct NumericText<'a>(pub &'a str);

impl Serialize for NumericText<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0.parse::<u64>() {
            Ok(n) => serializer.serialize_u64(n),
            Err(_) => serializer.serialize_str(self.0),
        }
    }
}

/// A one-key object that wraps an XML list element: `list_element!(LeaseList, "lease")` writes
/// `{"lease": items}`.
macro_rules! list_element {
    ($name:ident, $key:literal) => {
        #[derive(Serialize)]
        pub(super) struct $name<T> {
            #[serde(rename = $key)]
            pub items: T,
        }
    };
}

// ----- getStatus -----

#[derive(Serialize)]
pub(super) struct Status {
    pub status: &'static str,
    pub message: &'static str,
}

pub(super) const STATUS: Status = Status { status: "Success", message: "API service is available and running." };

// ----- getProperties -----

list_element!(PostalAddresses, "Address");
list_element!(OfficeHoursList, "OfficeHours");
list_element!(OfficeHourList, "OfficeHour");
list_element!(SpaceOptionList, "SpaceOption");
list_element!(LeaseTermList, "LeaseTerm");
list_element!(LeaseStartWindowList, "LeaseStartWindow");

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PropertiesResult<'w> {
    pub physical_property: PhysicalProperty<'w>,
}

#[derive(Serialize)]
pub(super) struct PhysicalProperty<'w> {
    #[serde(rename = "Property", skip_serializing_if = "Option::is_none")]
    pub property: Option<OneOrMany<PhysicalPropertyRecord<'w>>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PhysicalPropertyRecord<'w> {
    #[serde(rename = "PropertyID")]
    property_id: u64,
    marketing_name: &'w str,
    #[serde(rename = "Type")]
    kind: &'static str,
    #[serde(rename = "webSite")]
    website: &'w str,
    address: PropertyAddress<'w>,
    addresses: PostalAddresses<[PostalAddress<'w>; 2]>,
    phone: Phone<'w>,
    post_months: PostMonths,
    property_hours: OfficeHoursList<OfficeHourList<&'static [OfficeHour]>>,
    is_disabled: u8,
    is_featured_property: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    space_options: Option<SpaceOptionList<&'static [SpaceOption]>>,
    lease_terms: LeaseTermList<[LeaseTerm; 1]>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PropertyAddress<'w> {
    #[serde(rename = "@attributes")]
    attributes: AddressTypeAttribute,
    address: &'w str,
    city: &'static str,
    state: &'static str,
    postal_code: &'static str,
    country: &'static str,
    email: &'w str,
}

#[derive(Serialize)]
struct AddressTypeAttribute {
    #[serde(rename = "AddressType")]
    address_type: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PostalAddress<'w> {
    address_type: &'static str,
    address: &'w str,
    city: &'static str,
    state_code: &'static str,
    postal_code: &'static str,
    country: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Phone<'w> {
    phone_number: &'w str,
    #[serde(rename = "@attributes")]
    attributes: PhoneTypeAttribute,
    phone_description: &'static str,
}

#[derive(Serialize)]
struct PhoneTypeAttribute {
    #[serde(rename = "PhoneType")]
    phone_type: &'static str,
}

/// Every ledger posts to the current month.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PostMonths {
    ar_post_month: Date,
    ap_post_month: Date,
    gl_post_month: Date,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct OfficeHour {
    day: &'static str,
    availability_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    open_time: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    close_time: Option<&'static str>,
}

const fn open(day: &'static str, from: &'static str, to: &'static str) -> OfficeHour {
    OfficeHour { day, availability_type: "Open", open_time: Some(from), close_time: Some(to) }
}

static OFFICE_HOURS: [OfficeHour; 7] = [
    open("Monday", "9:00 AM", "6:00 PM"),
    open("Tuesday", "9:00 AM", "6:00 PM"),
    open("Wednesday", "9:00 AM", "6:00 PM"),
    open("Thursday", "9:00 AM", "6:00 PM"),
    open("Friday", "9:00 AM", "6:00 PM"),
    open("Saturday", "10:00 AM", "5:00 PM"),
    OfficeHour { day: "Sunday", availability_type: "By Appointment Only", open_time: None, close_time: None },
];

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SpaceOption {
    id: &'static str,
    name: &'static str,
}

static SPACE_OPTIONS: [SpaceOption; 3] = [
    SpaceOption { id: "2", name: "Private" },
    SpaceOption { id: "3", name: "Shared" },
    SpaceOption { id: "22", name: "Per Bedroom" },
];

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct LeaseTerm {
    id: u64,
    name: String,
    term_months: u8,
    is_prospect: bool,
    is_renewal: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    lease_start_windows: Option<LeaseStartWindowList<[LeaseStartWindow; 1]>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct LeaseStartWindow {
    id: u64,
    window_start_date: Date,
    window_end_date: Date,
}

/// One property of getProperties.
pub(super) fn physical_property<'w>(world: &World, p: &'w Property) -> PhysicalPropertyRecord<'w> {
    let student = p.kind == PropertyKind::Student;
    let city = &p.city;
    let postal = |kind| PostalAddress {
        address_type: kind,
        address: &p.street,
        city: city.name,
        state_code: city.state,
        postal_code: city.postal_code,
        country: "US",
    };
    let term_id = 11_000 + p.id % 1000;
    let term = if student {
        // The academic year that starts next August.
        let year = world.today.year();
        let start = NaiveDate::from_ymd_opt(year, 8, 17).unwrap_or(world.today);
        let end = NaiveDate::from_ymd_opt(year + 1, 7, 31).unwrap_or(world.today);
        let window = LeaseStartWindow {
            id: 9_000 + p.id % 1000,
            window_start_date: Date::us(start),
            window_end_date: Date::us(end),
        };
        LeaseTerm {
            id: term_id,
            name: format!("{}/{}", year, year + 1),
            term_months: 12,
            is_prospect: true,
            is_renewal: true,
            lease_start_windows: Some(LeaseStartWindowList { items: [window] }),
        }
    } else {
        LeaseTerm {
            id: term_id,
            name: "12 Months".to_owned(),
            term_months: 12,
            is_prospect: true,
            is_renewal: true,
            lease_start_windows: None,
        }
    };
    PhysicalPropertyRecord {
        property_id: p.id,
        marketing_name: &p.name,
        kind: if student { "Student" } else { "Apartment" },
        website: &p.website,
        address: PropertyAddress {
            attributes: AddressTypeAttribute { address_type: "property" },
            address: &p.street,
            city: city.name,
            state: city.state,
            postal_code: city.postal_code,
            country: "US",
            email: &p.email,
        },
        addresses: PostalAddresses { items: [postal("Primary"), postal("Mailing")] },
        phone: Phone {
            phone_number: &p.phone,
            attributes: PhoneTypeAttribute { phone_type: "primary" },
            phone_description: "Primary",
        },
        post_months: PostMonths {
            ar_post_month: Date::month_year(world.today),
            ap_post_month: Date::month_year(world.today),
            gl_post_month: Date::month_year(world.today),
        },
        property_hours: OfficeHoursList { items: OfficeHourList { items: &OFFICE_HOURS } },
        is_disabled: 0,
        is_featured_property: 0,
        space_options: student.then_some(SpaceOptionList { items: &SPACE_OPTIONS }),
        lease_terms: LeaseTermList { items: [term] },
    }
}

// ----- getPropertyUnits -----

list_element!(UnitPropertyList, "property");
list_element!(UnitList, "unit");
list_element!(UnitSpaceList, "unitSpace");

#[derive(Serialize)]
pub(super) struct PropertyUnitsResult<'w> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties: Option<UnitPropertyList<OneOrMany<UnitProperty<'w>>>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UnitProperty<'w> {
    property_id: u64,
    property_name: &'w str,
    remote_primary_key: &'static str,
    unit_count: usize,
    building_count: usize,
    #[serde(rename = "propertyAvailabilityURL")]
    property_availability_url: &'w str,
    #[serde(skip_serializing_if = "Option::is_none")]
    units: Option<UnitList<OneOrMany<UnitRecord<'w>>>>,
}

pub(super) fn unit_property<'w>(p: &'w Property, units: Vec<UnitRecord<'w>>) -> UnitProperty<'w> {
    UnitProperty {
        property_id: p.id,
        property_name: &p.name,
        remote_primary_key: "",
        unit_count: p.units.len(),
        building_count: p.buildings.len(),
        property_availability_url: &p.website,
        units: one_or_many(units).map(|items| UnitList { items }),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UnitRecord<'w> {
    id: u64,
    unit_number: &'w str,
    building_id: u64,
    building_name: &'w str,
    floorplan_id: u64,
    floorplan_name: &'static str,
    unit_type_id: u64,
    unit_type_name: Text<UnitTypeName>,
    no_of_bedrooms: u8,
    no_of_bathrooms: Number,
    square_feet: u32,
    is_furnished: u8,
    is_corportate_rented: u8,
    number_occupants: usize,
    max_pets: u8,
    #[serde(rename = "unitAvailabilityURL")]
    unit_availability_url: Text<UnitUrl<'w>>,
    unit_address: UnitAddress<'w>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unit_spaces: Option<UnitSpaceList<OneOrMany<UnitSpace<'w>>>>,
}

/// `{bedrooms}x{baths}`, whole baths only.
#[derive(Debug, Clone, Copy, PartialEq)]
struct UnitTypeName {
    bedrooms: u8,
    baths: u8,
}

impl fmt::Display for UnitTypeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}", self.bedrooms, self.baths)
    }
}

/// `{website}unit/{id}`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct UnitUrl<'w> {
    website: &'w str,
    unit_id: u64,
}

impl fmt::Display for UnitUrl<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}unit/{}", self.website, self.unit_id)
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UnitAddress<'w> {
    address: &'w str,
    city: &'static str,
    state: &'static str,
    postal_code: NumericText<'static>,
    country: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UnitSpace<'w> {
    unit_space_id: u64,
    unit_number: &'w str,
    is_affordable: u8,
    has_pricing: u8,
    excluded_reason: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    space_configuration: Option<&'static str>,
    availability_status: &'static str,
    available_date: &'static str,
    make_ready_date: &'static str,
    min_deposit: &'static str,
    max_deposit: &'static str,
    reserve_until: &'static str,
    rent: Rent,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rent {
    min_rent: Amount,
    max_rent: Amount,
}

/// One unit of getPropertyUnits. `occupied(space)` tells whether a space (None: the unit's only
/// space) is occupied; `people` is how many live there.
pub(super) fn unit_record<'w>(
    p: &'w Property,
    unit: &'w Unit,
    occupied: impl Fn(Option<usize>) -> bool,
    people: usize,
) -> UnitRecord<'w> {
    let fp = &p.floorplans[unit.floorplan];
    let building = &p.buildings[unit.building];
    let space =
        |id: u64, number: &'w str, rent: i64, is_occupied: bool, configuration: Option<&'static str>| UnitSpace {
            unit_space_id: id,
            unit_number: number,
            is_affordable: 0,
            has_pricing: 1,
            excluded_reason: "",
            space_configuration: configuration,
            availability_status: if is_occupied { "Occupied" } else { "Unoccupied" },
            available_date: "",
            make_ready_date: "",
            min_deposit: "0.00",
            max_deposit: "0.00",
            reserve_until: "",
            rent: Rent { min_rent: Amount(rent), max_rent: Amount(rent) },
        };
    let spaces: Vec<UnitSpace<'w>> = if unit.spaces.is_empty() {
        vec![space(unit.space_id, &unit.number, unit.market_rent_cents, occupied(None), None)]
    } else {
        unit.spaces
            .iter()
            .enumerate()
            .map(|(i, s)| space(s.id, &s.name, s.rent_cents, occupied(Some(i)), Some(space_configuration(i))))
            .collect()
    };
    UnitRecord {
        id: unit.id,
        unit_number: &unit.number,
        building_id: building.id,
        building_name: &building.name,
        floorplan_id: fp.id,
        floorplan_name: fp.name,
        unit_type_id: fp.id - 500_000,
        unit_type_name: Text(UnitTypeName { bedrooms: fp.bedrooms, baths: fp.half_baths / 2 }),
        no_of_bedrooms: fp.bedrooms,
        no_of_bathrooms: Number::new(fp.bathrooms()),
        square_feet: unit.square_feet,
        is_furnished: u8::from(p.kind == PropertyKind::Student),
        is_corportate_rented: 0,
        number_occupants: people,
        max_pets: 2,
        unit_availability_url: Text(UnitUrl { website: &p.website, unit_id: unit.id }),
        unit_address: UnitAddress {
            address: &p.street,
            city: p.city.name,
            state: p.city.state,
            postal_code: NumericText(p.city.postal_code),
            country: "US",
        },
        unit_spaces: one_or_many(spaces).map(|items| UnitSpaceList { items }),
    }
}

/// A student bed's bathroom: even beds have their own.
fn space_configuration(space: usize) -> &'static str {
    if space.is_multiple_of(2) { "Private Bathroom" } else { "Shared Bathroom" }
}

// ----- getLeases -----

list_element!(LeaseList, "lease");
list_element!(LeaseIntervalList, "leaseInterval");
list_element!(LeaseCustomerList, "customer");
list_element!(ScheduledChargeList, "scheduledCharge");
list_element!(LeaseActivityList, "leasesActivity");

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct LeasesResult<'w> {
    pub currency_code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leases: Option<LeaseList<OneOrMany<LeaseRecord<'w>>>>,
    pub meta: Meta,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct LeaseRecord<'w> {
    id: Text<u64>,
    lease_status_type_id: Text<u8>,
    lease_interval_status: &'static str,
    occupancy_type_id: &'static str,
    occupancy_type: &'static str,
    is_month_to_month: u8,
    lease_interval_id: Text<u64>,
    floor_plan_id: Text<u64>,
    floor_plan_name: &'static str,
    unit_id: Text<u64>,
    unit_number_space: &'w str,
    unit_space_id: Text<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    space_configuration: Option<&'static str>,
    lease_intervals: LeaseIntervalList<Vec<LeaseInterval>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    customers: Option<LeaseCustomerList<OneOrMany<LeaseCustomer<'w>>>>,
    scheduled_charges: ScheduledChargeList<Vec<ScheduledCharge>>,
    lease_activities: LeaseActivityList<Vec<LeaseActivity>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LeaseInterval {
    id: Text<u64>,
    start_date: Date,
    end_date: Date,
    lease_interval_type_id: &'static str,
    lease_interval_type_name: &'static str,
    lease_interval_status_type_id: Text<u8>,
    lease_interval_status_type_name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    lease_approved_on: Option<Date>,
    application_completed_on: Date,
    application_id: Text<u64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LeaseCustomer<'w> {
    id: u64,
    customer_type: &'static str,
    first_name: &'static str,
    last_name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    middle_name: Option<char>,
    name_full: Text<NameFull>,
    lease_customer_status: &'static str,
    relationship_name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    move_in_date: Option<Date>,
    #[serde(skip_serializing_if = "Option::is_none")]
    move_out_date: Option<Date>,
    addresses: CustomerAddresses<'w>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone: Option<CustomerPhone<'w>>,
}

/// `Last, First`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct NameFull {
    first: &'static str,
    last: &'static str,
}

impl fmt::Display for NameFull {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}, {}", self.last, self.first)
    }
}

#[derive(Serialize)]
struct CustomerAddresses<'w> {
    address: CustomerAddress<'w>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone: Option<CustomerPhone<'w>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CustomerAddress<'w> {
    address_type: &'static str,
    street_line: &'w str,
    city: &'static str,
    state: &'static str,
    postal_code: &'static str,
    country_name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'w str>,
}

/// A phone; `countryCode` only on the customer's own (not the address block's).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CustomerPhone<'w> {
    phone_type: &'static str,
    phone_number: &'w str,
    #[serde(skip_serializing_if = "Option::is_none")]
    country_code: Option<u8>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ScheduledCharge {
    id: Text<u64>,
    lease_interval_id: Text<u64>,
    charge_code_id: &'static str,
    start_date: Date,
    end_date: Date,
    frequency: &'static str,
    charge_type: &'static str,
    charge_code: &'static str,
    amount: Amount,
    tax_amount: &'static str,
    tax_rate: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LeaseActivity {
    date: Date,
    event_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<Text<u64>>,
}

impl LeaseActivity {
    fn new(date: NaiveDate, event_type: &'static str) -> Self {
        LeaseActivity { date: Date::iso(date), event_type, description: None, comment: None }
    }
}

/// One lease of getLeases, on property `p`.
pub(super) fn lease_record<'w>(world: &'w World, p: &'w Property, lease: &'w Lease) -> LeaseRecord<'w> {
    let unit = &world.units[lease.unit];
    let fp = &p.floorplans[unit.floorplan];
    let student = p.kind == PropertyKind::Student;
    let current = lease.current_term();
    let (space_id, space_number) = match lease.space {
        Some(s) => (unit.spaces[s].id, unit.spaces[s].name.as_str()),
        None => (unit.space_id, unit.number.as_str()),
    };

    let last = lease.terms.len() - 1;
    let intervals = lease
        .terms
        .iter()
        .enumerate()
        .map(|(i, t)| {
            // Earlier terms of a lease are over.
            let term_status = if i == last { lease.status } else { LeaseStatus::Past };
            let (type_id, type_name) = match t.kind {
                TermKind::Initial => ("1", "Application"),
                TermKind::Renewal => ("3", "Renewal"),
            };
            LeaseInterval {
                id: Text(t.id),
                start_date: Date::iso(t.start),
                end_date: Date::iso(t.end),
                lease_interval_type_id: type_id,
                lease_interval_type_name: type_name,
                lease_interval_status_type_id: Text(lease_status_type_id(term_status)),
                lease_interval_status_type_name: status_word(term_status),
                lease_approved_on: t.approved_on.map(Date::iso),
                application_completed_on: Date::iso(t.applied_on),
                application_id: Text(t.application_id),
            }
        })
        .collect();

    let customers: Vec<LeaseCustomer<'w>> =
        lease.residents.iter().filter_map(|r| lease_customer(world, p, lease, r)).collect();

    let charges = lease
        .terms
        .iter()
        .map(|t| ScheduledCharge {
            id: Text(t.charge_id),
            lease_interval_id: Text(t.id),
            charge_code_id: "147881",
            start_date: Date::iso(t.start),
            end_date: Date::iso(t.end),
            frequency: "Monthly",
            charge_type: "Base Rent",
            charge_code: "Base Rent",
            amount: Amount(t.rent_cents),
            tax_amount: "0.00",
            tax_rate: "0.00",
        })
        .collect();

    let first = &lease.terms[0];
    let mut activities = Vec::with_capacity(8);
    activities.push(LeaseActivity::new(first.applied_on, "Application"));
    if let Some(signed) = first.approved_on {
        activities.push(LeaseActivity::new(signed, "LeaseSigned"));
    }
    activities.push(LeaseActivity::new(current.start, "Lease From"));
    activities.push(LeaseActivity::new(current.end, "Lease To"));
    if let Some(moved_in) = lease.move_in {
        activities.push(LeaseActivity::new(moved_in, "Actual Move In"));
    }
    if let Some(notice) = lease.notice {
        activities.push(LeaseActivity::new(notice, "Notice Given"));
    }
    if let Some(move_out) = lease.move_out {
        let event = if lease.status == LeaseStatus::Past { "Actual Move Out" } else { "Scheduled Move Out" };
        activities.push(LeaseActivity::new(move_out, event));
    }
    activities.push(LeaseActivity {
        description: Some("Application and Unit Selection Completed On"),
        comment: Some(Text(space_id)),
        ..LeaseActivity::new(first.applied_on, "Application Completed On")
    });

    LeaseRecord {
        id: Text(lease.id),
        lease_status_type_id: Text(lease_status_type_id(lease.status)),
        lease_interval_status: status_word(lease.status),
        occupancy_type_id: if student { "10" } else { "1" },
        occupancy_type: if student { "Student" } else { "Conventional" },
        is_month_to_month: u8::from(lease.month_to_month),
        lease_interval_id: Text(current.id),
        floor_plan_id: Text(fp.id),
        floor_plan_name: fp.name,
        unit_id: Text(unit.id),
        unit_number_space: space_number,
        unit_space_id: Text(space_id),
        space_configuration: lease.space.map(space_configuration),
        lease_intervals: LeaseIntervalList { items: intervals },
        customers: one_or_many(customers).map(|items| LeaseCustomerList { items }),
        scheduled_charges: ScheduledChargeList { items: charges },
        lease_activities: LeaseActivityList { items: activities },
    }
}

fn lease_customer<'w>(
    world: &'w World,
    p: &'w Property,
    lease: &Lease,
    r: &LeaseResident,
) -> Option<LeaseCustomer<'w>> {
    let person = world.person(r.person_id)?;
    let phone = |country_code| {
        person.phone.as_deref().map(|number| CustomerPhone { phone_type: "mobile", phone_number: number, country_code })
    };
    Some(LeaseCustomer {
        id: person.id,
        customer_type: customer_type(r.role, lease.id, person.id),
        first_name: person.first_name,
        last_name: person.last_name,
        middle_name: person.middle_initial,
        name_full: Text(NameFull { first: person.first_name, last: person.last_name }),
        lease_customer_status: status_word(r.status),
        relationship_name: r.relationship,
        move_in_date: r.move_in.map(Date::iso),
        move_out_date: r.move_out.map(Date::iso),
        addresses: CustomerAddresses {
            address: CustomerAddress {
                address_type: "Current",
                street_line: &p.street,
                city: p.city.name,
                state: p.city.state,
                postal_code: p.city.postal_code,
                country_name: "US",
                email: person.email.as_deref(),
            },
            phone: phone(None),
        },
        phone: phone(Some(1)),
    })
}

// ----- getCustomers -----

#[derive(Serialize)]
pub(super) struct CustomersResult<'w> {
    #[serde(rename = "Customers")]
    pub customers: Customers<'w>,
    pub meta: Meta,
}

#[derive(Serialize)]
pub(super) struct Customers<'w> {
    #[serde(rename = "Customer", skip_serializing_if = "Option::is_none")]
    pub customer: Option<OneOrMany<CustomerRecord<'w>>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CustomerRecord<'w> {
    lease_id: LeaseIds,
    #[serde(rename = "@attributes")]
    attributes: IdAttribute,
    first_name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    middle_name: Option<char>,
    last_name: &'static str,
    unit_number: &'w str,
    address: &'w str,
    city: &'static str,
    state: &'static str,
    postal_code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'w str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone_number: Option<&'w str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    terms_approved_date: Option<Date>,
    customer_addresses: CustomerAddressList<'w>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct LeaseIds {
    identification: Vec<Identification>,
    customer_type: Vec<&'static str>,
}

#[derive(Serialize)]
struct Identification {
    #[serde(rename = "@attributes")]
    attributes: IdentificationAttributes,
    #[serde(rename = "IDValue")]
    id_value: u64,
}

#[derive(Serialize)]
struct IdentificationAttributes {
    #[serde(rename = "IDType")]
    id_type: &'static str,
    #[serde(rename = "IDRank")]
    id_rank: &'static str,
    #[serde(rename = "IDScopeType")]
    id_scope_type: &'static str,
    #[serde(rename = "Status")]
    status: &'static str,
}

#[derive(Serialize)]
struct IdAttribute {
    #[serde(rename = "Id")]
    id: Text<u64>,
}

#[derive(Serialize)]
struct CustomerAddressList<'w> {
    #[serde(rename = "CustomerAddress")]
    customer_address: PrimaryAddress<'w>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PrimaryAddress<'w> {
    address: &'w str,
    #[serde(rename = "@attributes")]
    attributes: AddressTypeAttribute,
    city: &'static str,
    state: &'static str,
    postal_code: &'static str,
    country: &'static str,
}

/// One person of getCustomers with every lease they hold on property `p` (the last is the latest).
pub(super) fn customer_record<'w>(
    world: &'w World,
    p: &'w Property,
    person_id: u64,
    leases: &[(&Lease, &LeaseResident)],
) -> Option<CustomerRecord<'w>> {
    let person = world.person(person_id)?;
    let (latest, _) = leases.last()?;
    let unit = &world.units[latest.unit];
    let unit_number = match latest.space {
        Some(s) => unit.spaces[s].name.as_str(),
        None => unit.number.as_str(),
    };
    let identification = leases
        .iter()
        .map(|(lease, r)| Identification {
            attributes: IdentificationAttributes {
                id_type: "Lease Id",
                id_rank: "primary",
                id_scope_type: "sender",
                status: status_word(r.status),
            },
            id_value: lease.id,
        })
        .collect();
    let customer_types = leases.iter().map(|(lease, r)| customer_type(r.role, lease.id, person_id)).collect();
    Some(CustomerRecord {
        lease_id: LeaseIds { identification, customer_type: customer_types },
        attributes: IdAttribute { id: Text(person.id) },
        first_name: person.first_name,
        middle_name: person.middle_initial,
        last_name: person.last_name,
        unit_number,
        address: &p.street,
        city: p.city.name,
        state: p.city.state,
        postal_code: p.city.postal_code,
        email: person.email.as_deref(),
        phone_number: person.phone.as_deref(),
        terms_approved_date: leases.iter().find_map(|(l, _)| l.terms[0].approved_on).map(Date::us),
        customer_addresses: CustomerAddressList {
            customer_address: PrimaryAddress {
                address: &p.street,
                attributes: AddressTypeAttribute { address_type: "Primary" },
                city: p.city.name,
                state: p.city.state,
                postal_code: p.city.postal_code,
                country: "US",
            },
        },
    })
}
