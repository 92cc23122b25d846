//! The sandbox world: one deterministic synthetic portfolio (DESIGN.md, "Customers, integrations,
//! syncs": the sandbox world is a pure function of seed, size and timeline step).
//!
//! [`World::generate`] builds step 0 from a seeded ChaCha PRNG and then applies the timeline's
//! deltas ([`crate::timeline`]) up to the asked step. The world is PMS-neutral: properties with
//! buildings and floorplans, units (the student-housing property's units split into bedroom
//! spaces, leased by the bed), people, and leases with their people, in pmsgraph's own vocabulary.
//! Each simulator ([`crate::entrata`]) writes it in its PMS's wire format, and
//! [`World::normalized`] says what a perfect connector must read back.
//!
//! Memory stays lean for the `large` preset (100 000 units): names are `&'static str` from the
//! embedded lists, records reference each other by index or numeric id, and nothing is duplicated
//! per PMS.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use chrono::{DateTime, Duration, Months, NaiveDate, TimeZone, Utc};
use pmsgraph_connector_core::RemoteData;
use pmsgraph_connector_core::record::{
    Address, NormalizedLease, NormalizedLeaseResident, NormalizedProperty, NormalizedRecord, NormalizedResident,
    NormalizedUnit, NormalizedUnitSpace,
};
use pmsgraph_connector_core::vocab::{LeaseStatus, Occupancy, ResidentRole};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::names::{self, City};
use crate::timeline::Change;

/// How big a world is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Size {
    pub properties: u32,
    pub units_per_property: u32,
}

impl Size {
    /// The default: four properties (one per continental time zone) of 24 units.
    pub const SMALL: Size = Size { properties: 4, units_per_property: 24 };
    /// The benchmark size: 200 properties of 500 units.
    pub const LARGE: Size = Size { properties: 200, units_per_property: 500 };
    /// Upper bounds of a custom size, so a typo cannot ask for a world that does not fit in memory.
    pub const MAX_PROPERTIES: u32 = 10_000;
    pub const MAX_UNITS_PER_PROPERTY: u32 = 5_000;
    pub const MAX_UNITS: u64 = 2_000_000;

    pub fn units(self) -> u64 {
        u64::from(self.properties) * u64::from(self.units_per_property)
    }
}

impl Default for Size {
    fn default() -> Self {
        Size::SMALL
    }
}

/// A size string that is neither a preset nor `PROPERTIESxUNITS` within bounds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid sandbox size `{0}`: expected `small`, `large` or `PROPERTIESxUNITS` such as `50x100`")]
pub struct SizeError(pub String);

impl FromStr for Size {
    type Err = SizeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || SizeError(s.to_owned());
        match s.trim().to_ascii_lowercase().as_str() {
            "small" => Ok(Size::SMALL),
            "large" => Ok(Size::LARGE),
            custom => {
                let (p, u) = custom.split_once('x').ok_or_else(err)?;
                let properties: u32 = p.trim().parse().map_err(|_| err())?;
                let units_per_property: u32 = u.trim().parse().map_err(|_| err())?;
                let size = Size { properties, units_per_property };
                let in_bounds = (1..=Size::MAX_PROPERTIES).contains(&properties)
                    && (1..=Size::MAX_UNITS_PER_PROPERTY).contains(&units_per_property)
                    && size.units() <= Size::MAX_UNITS;
                if in_bounds { Ok(size) } else { Err(err()) }
            }
        }
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Size::SMALL => f.write_str("small"),
            Size::LARGE => f.write_str("large"),
            Size { properties, units_per_property } => write!(f, "{properties}x{units_per_property}"),
        }
    }
}

/// Conventional apartments, or student housing leased by the bed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropertyKind {
    Conventional,
    Student,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Building {
    pub id: u64,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Floorplan {
    pub id: u64,
    pub name: &'static str,
    pub bedrooms: u8,
    /// Bathrooms in halves (3 = 1.5 baths), so the world holds no floats.
    pub half_baths: u8,
    pub square_feet: u32,
    /// For student floorplans: the rent of one bed.
    pub base_rent_cents: i64,
}

impl Property {
    /// This property as a PMS reads it back, under the PMS's `remote_id`, with the country the PMS
    /// gives (some give none).
    pub fn normalized(&self, remote_id: String, country: Option<&str>) -> NormalizedRecord {
        NormalizedRecord::Property(NormalizedProperty {
            remote_id,
            name: self.name.clone(),
            address: Address {
                line1: Some(self.street.clone()),
                line2: None,
                city: Some(self.city.name.to_owned()),
                state: Some(self.city.state.to_owned()),
                postal_code: Some(self.city.postal_code.to_owned()),
                country: country.map(str::to_owned),
            },
            time_zone: Some(self.city.time_zone.to_owned()),
            unit_count: i32::try_from(self.units.len()).ok(),
            remote_data: RemoteData::null(),
        })
    }
}

impl Floorplan {
    pub fn bathrooms(&self) -> f64 {
        f64::from(self.half_baths) / 2.0
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    pub id: u64,
    pub name: String,
    pub kind: PropertyKind,
    /// Street line, e.g. "1450 Aspen Avenue".
    pub street: String,
    pub city: City,
    pub email: String,
    pub website: String,
    pub phone: String,
    pub buildings: Vec<Building>,
    pub floorplans: Vec<Floorplan>,
    /// This property's units: a range of indexes into [`World::units`].
    pub units: Range<usize>,
}

/// A bedroom-level space of a student unit, leased on its own.
#[derive(Debug, Clone, PartialEq)]
pub struct Space {
    pub id: u64,
    /// The unit number with the bed's letter, e.g. "512-A".
    pub name: String,
    pub rent_cents: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    pub id: u64,
    /// Index into [`World::properties`].
    pub property: usize,
    pub number: String,
    /// Index into the property's buildings.
    pub building: usize,
    /// Index into the property's floorplans.
    pub floorplan: usize,
    pub square_feet: u32,
    /// The whole unit's market rent; for a unit leased by the bed, the sum of its beds.
    pub market_rent_cents: i64,
    /// The id of the unit's own (whole-unit) space, which some PMSs (Entrata) show for unsplit units.
    pub space_id: u64,
    /// Bedroom spaces; empty unless the unit is leased by the bed.
    pub spaces: Vec<Space>,
}

/// A person, who may hold several leases over time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: u64,
    pub first_name: &'static str,
    pub middle_initial: Option<char>,
    pub last_name: &'static str,
    pub email: Option<String>,
    /// Ten US digits, e.g. "3035550123".
    pub phone: Option<String>,
}

/// One person's place on one lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseResident {
    pub person_id: u64,
    pub role: ResidentRole,
    pub status: LeaseStatus,
    pub move_in: Option<NaiveDate>,
    pub move_out: Option<NaiveDate>,
    /// How the person relates to the household ("Spouse", "Roommate", "Parent"...).
    pub relationship: &'static str,
}

impl Person {
    /// This person as a PMS reads them back, under the PMS's `remote_id`.
    pub fn normalized(&self, remote_id: String) -> NormalizedRecord {
        NormalizedRecord::Resident(NormalizedResident {
            remote_id,
            first_name: self.first_name.to_owned(),
            last_name: self.last_name.to_owned(),
            email: self.email.clone(),
            phone: self.phone.clone(),
            remote_data: RemoteData::null(),
        })
    }
}

impl LeaseResident {
    /// This place as a PMS reads it back, the person under the PMS's id `resident_remote_id`.
    pub fn normalized(&self, resident_remote_id: String) -> NormalizedLeaseResident {
        NormalizedLeaseResident {
            resident_remote_id,
            role: self.role,
            move_in_date: self.move_in,
            move_out_date: self.move_out,
            status: self.status,
            remote_data: RemoteData::null(),
        }
    }
}

/// The ids a PMS gives a lease and what it names: the lease, its property, its unit and its bed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseIds {
    pub remote_id: String,
    pub property: String,
    pub unit: String,
    pub space: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TermKind {
    /// The lease's first term, from its application.
    Initial,
    Renewal,
}

/// One term of a lease (Entrata: a lease interval). The last term is the current one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseTerm {
    pub id: u64,
    pub kind: TermKind,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub rent_cents: i64,
    pub applied_on: NaiveDate,
    pub approved_on: Option<NaiveDate>,
    pub application_id: u64,
    /// Id of the term's scheduled base-rent charge.
    pub charge_id: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Lease {
    pub id: u64,
    /// Index into [`World::properties`].
    pub property: usize,
    /// Index into [`World::units`].
    pub unit: usize,
    /// Index into the unit's spaces, for a lease of one bed.
    pub space: Option<usize>,
    pub status: LeaseStatus,
    /// Never empty; the last one is current.
    pub terms: Vec<LeaseTerm>,
    pub move_in: Option<NaiveDate>,
    pub move_out: Option<NaiveDate>,
    pub notice: Option<NaiveDate>,
    pub month_to_month: bool,
    pub residents: Vec<LeaseResident>,
}

impl Lease {
    /// This lease as a PMS reads it back, under the PMS's `ids`, status word and people; the
    /// dates, rent and month-to-month flag are the world's.
    pub fn normalized(
        &self,
        ids: LeaseIds,
        remote_status: Option<String>,
        residents: Vec<NormalizedLeaseResident>,
    ) -> NormalizedRecord {
        NormalizedRecord::Lease(NormalizedLease {
            remote_id: ids.remote_id,
            property_remote_id: ids.property,
            unit_remote_id: Some(ids.unit),
            unit_space_remote_id: ids.space,
            status: self.status,
            remote_status,
            start_date: Some(self.start_date()),
            end_date: Some(self.end_date()),
            move_in_date: self.move_in,
            move_out_date: self.move_out,
            notice_date: self.notice,
            rent_cents: Some(self.rent_cents()),
            is_month_to_month: self.month_to_month,
            residents,
            remote_data: RemoteData::null(),
        })
    }

    /// A new application for one unit (or one bed of it), with its initial term.
    pub fn application(
        id: u64,
        property: usize,
        unit: usize,
        space: Option<usize>,
        term: LeaseTerm,
        residents: Vec<LeaseResident>,
    ) -> Lease {
        Lease {
            id,
            property,
            unit,
            space,
            status: LeaseStatus::Applicant,
            terms: vec![term],
            move_in: None,
            move_out: None,
            notice: None,
            month_to_month: false,
            residents,
        }
    }

    pub fn current_term(&self) -> &LeaseTerm {
        // `terms` is never empty: every constructor pushes the initial term.
        &self.terms[self.terms.len() - 1]
    }

    pub fn start_date(&self) -> NaiveDate {
        self.current_term().start
    }

    pub fn end_date(&self) -> NaiveDate {
        self.current_term().end
    }

    pub fn rent_cents(&self) -> i64 {
        self.current_term().rent_cents
    }

    /// Whether the lease holds (or will hold) its unit: everything but cancelled and past leases.
    pub fn is_active(&self) -> bool {
        !matches!(self.status, LeaseStatus::Cancelled | LeaseStatus::Past)
    }

    /// Whether someone lives in the unit under this lease now.
    pub fn is_occupying(&self) -> bool {
        matches!(self.status, LeaseStatus::Current | LeaseStatus::Notice)
    }
}

/// The next id of each kind of record. Ids look like Entrata's: plain integers in distinct ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ids {
    pub property: u64,
    pub building: u64,
    pub floorplan: u64,
    pub unit: u64,
    pub space: u64,
    pub person: u64,
    pub lease: u64,
    pub term: u64,
    pub application: u64,
    pub charge: u64,
}

impl Ids {
    fn new() -> Self {
        Ids {
            property: 739_001,
            building: 9_001,
            floorplan: 524_001,
            unit: 4_050_001,
            space: 4_190_001,
            person: 17_230_001,
            lease: 13_020_001,
            term: 21_000_001,
            application: 30_000_001,
            charge: 42_730_001,
        }
    }
}

pub(crate) fn take(counter: &mut u64) -> u64 {
    let id = *counter;
    *counter += 1;
    id
}

/// The instant step 0 describes; each step is one week later.
pub fn step_instant(step: u32) -> DateTime<Utc> {
    let base = Utc.with_ymd_and_hms(2025, 3, 3, 17, 0, 0).single().unwrap_or(DateTime::<Utc>::MIN_UTC);
    base + Duration::days(7 * i64::from(step))
}

/// The calendar date of an instant on the PMS's clock. Entrata keeps Mountain Time whatever the
/// property's location, so "today" in the sandbox is the Mountain-Time date of the step's instant.
pub fn mountain_date(instant: DateTime<Utc>) -> NaiveDate {
    instant.with_timezone(&chrono_tz::America::Denver).date_naive()
}

pub(crate) fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(Months::new(months)).unwrap_or(date)
}

pub(crate) fn sub_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_sub_months(Months::new(months)).unwrap_or(date)
}

/// The last day of a 12-month term starting on `start`.
pub(crate) fn term_end(start: NaiveDate) -> NaiveDate {
    add_months(start, 12) - Duration::days(1)
}

pub(crate) fn days(n: i64) -> Duration {
    Duration::days(n)
}

/// Rounds cents to whole $5.
pub(crate) fn round_rent(cents: i64) -> i64 {
    (cents + 250) / 500 * 500
}

/// The whole synthetic portfolio at one timeline step.
#[derive(Debug, Clone)]
pub struct World {
    pub seed: u64,
    pub size: Size,
    pub step: u32,
    /// The instant this step describes.
    pub as_of: DateTime<Utc>,
    /// Today on the PMS's clock (Mountain Time).
    pub today: NaiveDate,
    pub properties: Vec<Property>,
    pub units: Vec<Unit>,
    /// Sorted by id.
    pub people: Vec<Person>,
    /// Sorted by id.
    pub leases: Vec<Lease>,
    /// What the last step changed (empty at step 0).
    pub changes: Vec<Change>,
    pub(crate) ids: Ids,
    /// Per property, indexes into `leases` (rebuilt after every step).
    lease_index: Vec<Vec<usize>>,
}

impl PartialEq for World {
    fn eq(&self, other: &Self) -> bool {
        self.seed == other.seed
            && self.size == other.size
            && self.step == other.step
            && self.properties == other.properties
            && self.units == other.units
            && self.people == other.people
            && self.leases == other.leases
            && self.changes == other.changes
    }
}

/// Numbers of records, for tests, benchmarks and logs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub properties: usize,
    pub units: usize,
    pub spaces: usize,
    pub residents: usize,
    pub leases: usize,
    pub lease_residents: usize,
    pub leases_by_status: BTreeMap<LeaseStatus, usize>,
    pub lease_residents_by_role: BTreeMap<ResidentRole, usize>,
    /// People on more than one lease (transfers, returning residents).
    pub multi_lease_residents: usize,
    /// Leases with more than one term (renewals).
    pub renewed_leases: usize,
}

impl World {
    /// The world of `seed` and `size` at timeline step `step`.
    pub fn generate(seed: u64, size: Size, step: u32) -> World {
        let mut world = generate_base(seed, size);
        while world.step < step {
            world.apply_next_step();
        }
        world
    }

    /// The world one step later.
    pub fn next(&self) -> World {
        let mut world = self.clone();
        world.apply_next_step();
        world
    }

    /// Advances this world by `n` steps in place.
    pub fn advance_to(&mut self, step: u32) {
        while self.step < step {
            self.apply_next_step();
        }
    }

    fn apply_next_step(&mut self) {
        crate::timeline::apply_step(self);
        self.reindex();
    }

    pub(crate) fn reindex(&mut self) {
        let mut index = vec![Vec::new(); self.properties.len()];
        for (i, lease) in self.leases.iter().enumerate() {
            index[lease.property].push(i);
        }
        self.lease_index = index;
    }

    pub fn property_by_id(&self, id: u64) -> Option<(usize, &Property)> {
        // Property ids are allocated in order, so the index is the offset.
        let first = self.properties.first()?.id;
        let index = usize::try_from(id.checked_sub(first)?).ok()?;
        self.properties.get(index).map(|p| (index, p))
    }

    pub fn person(&self, id: u64) -> Option<&Person> {
        self.people.binary_search_by_key(&id, |p| p.id).ok().map(|i| &self.people[i])
    }

    pub fn lease(&self, id: u64) -> Option<&Lease> {
        self.leases.binary_search_by_key(&id, |l| l.id).ok().map(|i| &self.leases[i])
    }

    /// The property's leases, by id.
    pub fn leases_of(&self, property: usize) -> impl Iterator<Item = &Lease> + '_ {
        self.lease_index.get(property).into_iter().flatten().map(|&i| &self.leases[i])
    }

    pub fn units_of(&self, property: usize) -> &[Unit] {
        self.properties.get(property).map(|p| &self.units[p.units.clone()]).unwrap_or(&[])
    }

    /// Whether someone lives in the unit (any of its spaces) now.
    pub fn unit_occupancy(&self, unit: usize) -> Occupancy {
        let property = self.units[unit].property;
        if self.leases_of(property).any(|l| l.unit == unit && l.is_occupying()) {
            Occupancy::Occupied
        } else {
            Occupancy::Vacant
        }
    }

    /// Occupancy per unit index and per (unit, space), computed in one pass.
    pub fn occupied_slots(&self) -> HashSet<(usize, Option<usize>)> {
        self.leases.iter().filter(|l| l.is_occupying()).map(|l| (l.unit, l.space)).collect()
    }

    pub fn counts(&self) -> Counts {
        let mut counts = Counts {
            properties: self.properties.len(),
            units: self.units.len(),
            spaces: self.units.iter().map(|u| u.spaces.len()).sum(),
            residents: self.people.len(),
            leases: self.leases.len(),
            ..Counts::default()
        };
        let mut leases_per_person: HashMap<u64, usize> = HashMap::new();
        for lease in &self.leases {
            *counts.leases_by_status.entry(lease.status).or_default() += 1;
            if lease.terms.len() > 1 {
                counts.renewed_leases += 1;
            }
            for r in &lease.residents {
                counts.lease_residents += 1;
                *counts.lease_residents_by_role.entry(r.role).or_default() += 1;
                *leases_per_person.entry(r.person_id).or_default() += 1;
            }
        }
        counts.multi_lease_residents = leases_per_person.values().filter(|&&n| n > 1).count();
        counts
    }

    /// The world exactly as a perfect connector would normalize it: properties, then units (with
    /// their spaces), residents, and leases (with their people), each in id order.
    ///
    /// `remote_data` is PMS-specific (each wire format carries its own raw record), so it is left
    /// `Null` here: compare records with `remote_data` cleared. A unit leased as a whole has no
    /// spaces and its leases no `unit_space_remote_id`; a unit leased by the bed lists its beds and
    /// has no market rent of its own (its beds are priced one by one). `remote_status` is the
    /// status word (`"Current"`, `"Notice"`...). Phones are ten digits as the PMS gives them.
    pub fn normalized(&self) -> Vec<NormalizedRecord> {
        let occupied = self.occupied_slots();
        let mut out =
            Vec::with_capacity(self.properties.len() + self.units.len() + self.people.len() + self.leases.len());
        for p in &self.properties {
            out.push(p.normalized(p.id.to_string(), Some("US")));
        }
        for (i, u) in self.units.iter().enumerate() {
            let p = &self.properties[u.property];
            let fp = &p.floorplans[u.floorplan];
            let is_occupied = if u.spaces.is_empty() {
                occupied.contains(&(i, None))
            } else {
                (0..u.spaces.len()).any(|s| occupied.contains(&(i, Some(s))))
            };
            out.push(NormalizedRecord::Unit(NormalizedUnit {
                remote_id: u.id.to_string(),
                property_remote_id: p.id.to_string(),
                number: u.number.clone(),
                building: Some(p.buildings[u.building].name.clone()),
                floorplan: Some(fp.name.to_owned()),
                bedrooms: Some(i32::from(fp.bedrooms)),
                bathrooms: Some(fp.bathrooms()),
                square_feet: i32::try_from(u.square_feet).ok(),
                market_rent_cents: u.spaces.is_empty().then_some(u.market_rent_cents),
                occupancy: if is_occupied { Occupancy::Occupied } else { Occupancy::Vacant },
                spaces: u
                    .spaces
                    .iter()
                    .map(|s| NormalizedUnitSpace {
                        remote_id: s.id.to_string(),
                        name: s.name.clone(),
                        remote_data: RemoteData::null(),
                    })
                    .collect(),
                remote_data: RemoteData::null(),
            }));
        }
        for person in &self.people {
            out.push(person.normalized(person.id.to_string()));
        }
        for lease in &self.leases {
            let unit = &self.units[lease.unit];
            let ids = LeaseIds {
                remote_id: lease.id.to_string(),
                property: self.properties[lease.property].id.to_string(),
                unit: unit.id.to_string(),
                space: lease.space.map(|s| unit.spaces[s].id.to_string()),
            };
            let residents = lease.residents.iter().map(|r| r.normalized(r.person_id.to_string())).collect();
            out.push(lease.normalized(ids, Some(status_word(lease.status).to_owned()), residents));
        }
        out
    }
}

/// The PMS-neutral word of a status, as PMSs spell it ("Current", "Cancelled"...).
pub fn status_word(status: LeaseStatus) -> &'static str {
    match status {
        LeaseStatus::Applicant => "Applicant",
        LeaseStatus::Future => "Future",
        LeaseStatus::Current => "Current",
        LeaseStatus::Notice => "Notice",
        LeaseStatus::Past => "Past",
        LeaseStatus::Cancelled => "Cancelled",
    }
}

// ----- generation of step 0 -----

pub(crate) fn pick<T: Copy>(rng: &mut ChaCha8Rng, items: &[T]) -> T {
    items[rng.random_range(0..items.len())]
}

/// A new person; `family` reuses a last name (a child, a parent).
pub(crate) fn new_person(
    rng: &mut ChaCha8Rng,
    ids: &mut Ids,
    city: &City,
    family: Option<&'static str>,
    email_chance: f64,
    phone_chance: f64,
) -> Person {
    let with_email = rng.random_bool(email_chance);
    let with_phone = rng.random_bool(phone_chance);
    let id = take(&mut ids.person);
    let first_name = pick(rng, names::FIRST_NAMES);
    let last_name = family.unwrap_or_else(|| pick(rng, names::LAST_NAMES));
    let middle_initial = rng.random_bool(0.4).then(|| char::from(b'A' + rng.random_range(0..26u8)));
    let email = with_email.then(|| email_for(first_name, last_name, id, pick(rng, names::EMAIL_DOMAINS), 0));
    let phone = with_phone.then(|| format!("{}555{:04}", city.area_code, rng.random_range(0..10_000u32)));
    Person { id, first_name, middle_initial, last_name, email, phone }
}

/// A deterministic, unique address on a reserved example domain; `variant` > 0 gives the
/// addresses people change to.
pub(crate) fn email_for(first: &str, last: &str, id: u64, domain: &str, variant: u32) -> String {
    let first = first.to_ascii_lowercase();
    let last = last.to_ascii_lowercase();
    match variant {
        0 => format!("{first}.{last}{}@{domain}", id % 100_000),
        v => format!("{}{last}.{}{v}@{domain}", &first[..1], id % 100_000),
    }
}

/// Who lives on a lease: the roles and whether each has contact details.
pub(crate) struct Household {
    pub co_applicants: usize,
    pub occupants: usize,
    pub guarantor: bool,
}

impl Household {
    pub(crate) fn random(rng: &mut ChaCha8Rng, student: bool) -> Household {
        if student {
            Household { co_applicants: 0, occupants: 0, guarantor: rng.random_bool(0.85) }
        } else {
            Household {
                co_applicants: usize::from(rng.random_bool(0.35)),
                occupants: if rng.random_bool(0.25) { rng.random_range(1..=2) } else { 0 },
                guarantor: rng.random_bool(0.1),
            }
        }
    }

    pub(crate) fn full() -> Household {
        Household { co_applicants: 1, occupants: 2, guarantor: true }
    }
}

/// Creates the people of a new household and their places on a lease (dates and statuses are
/// filled by [`set_lease_state`]).
pub(crate) fn new_household(
    rng: &mut ChaCha8Rng,
    ids: &mut Ids,
    city: &City,
    household: &Household,
    people: &mut Vec<Person>,
) -> Vec<LeaseResident> {
    let primary = new_person(rng, ids, city, None, 0.95, 0.9);
    let family = primary.last_name;
    let mut residents = vec![LeaseResident {
        person_id: primary.id,
        role: ResidentRole::Primary,
        status: LeaseStatus::Applicant,
        move_in: None,
        move_out: None,
        relationship: "Primary",
    }];
    people.push(primary);
    for _ in 0..household.co_applicants {
        let spouse = rng.random_bool(0.5);
        let person = new_person(rng, ids, city, spouse.then_some(family), 0.9, 0.85);
        residents.push(LeaseResident {
            person_id: person.id,
            role: ResidentRole::CoApplicant,
            status: LeaseStatus::Applicant,
            move_in: None,
            move_out: None,
            relationship: if spouse { "Spouse" } else { "Roommate" },
        });
        people.push(person);
    }
    for _ in 0..household.occupants {
        let person = new_person(rng, ids, city, Some(family), 0.2, 0.0);
        residents.push(LeaseResident {
            person_id: person.id,
            role: ResidentRole::Occupant,
            status: LeaseStatus::Applicant,
            move_in: None,
            move_out: None,
            relationship: "Child",
        });
        people.push(person);
    }
    if household.guarantor {
        let person = new_person(rng, ids, city, Some(family), 0.9, 1.0);
        residents.push(LeaseResident {
            person_id: person.id,
            role: ResidentRole::Guarantor,
            status: LeaseStatus::Applicant,
            move_in: None,
            move_out: None,
            relationship: "Parent",
        });
        people.push(person);
    }
    residents
}

/// Sets a lease's status and propagates it, with its move dates, to its people. Guarantors never
/// move in or out.
pub(crate) fn set_lease_state(lease: &mut Lease, status: LeaseStatus) {
    lease.status = status;
    for r in &mut lease.residents {
        r.status = status;
        if r.role == ResidentRole::Guarantor {
            r.move_in = None;
            r.move_out = None;
        } else {
            r.move_in = lease.move_in;
            r.move_out = lease.move_out;
        }
    }
}

pub(crate) fn new_term(
    ids: &mut Ids,
    kind: TermKind,
    start: NaiveDate,
    rent_cents: i64,
    applied_on: NaiveDate,
    approved_on: Option<NaiveDate>,
) -> LeaseTerm {
    LeaseTerm {
        id: take(&mut ids.term),
        kind,
        start,
        end: term_end(start),
        rent_cents,
        applied_on,
        approved_on,
        application_id: take(&mut ids.application),
        charge_id: take(&mut ids.charge),
    }
}

/// The rent of a leasable slot (a whole unit, or one bed).
pub(crate) fn slot_rent(unit: &Unit, space: Option<usize>) -> i64 {
    match space {
        Some(s) => unit.spaces[s].rent_cents,
        None => unit.market_rent_cents,
    }
}

/// What a slot (a unit or a bed) holds at step 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scenario {
    Current { full_household: bool, renewed: bool, transferred_in: bool, month_to_month: bool },
    Notice { preleased: bool },
    Future,
    Applicant,
    Cancelled,
    Vacant,
}

fn scenario(rng: &mut ChaCha8Rng, scripted: Option<usize>) -> Scenario {
    match scripted {
        Some(0) => {
            return Scenario::Current {
                full_household: true,
                renewed: true,
                transferred_in: true,
                month_to_month: false,
            };
        }
        Some(1) => return Scenario::Notice { preleased: true },
        Some(2) => return Scenario::Future,
        Some(3) => return Scenario::Applicant,
        Some(4) => return Scenario::Cancelled,
        Some(5) => return Scenario::Vacant,
        Some(6) => {
            return Scenario::Current {
                full_household: false,
                renewed: false,
                transferred_in: false,
                month_to_month: true,
            };
        }
        _ => {}
    }
    match rng.random_range(0..100) {
        0..62 => Scenario::Current {
            full_household: false,
            renewed: rng.random_bool(0.3),
            transferred_in: rng.random_bool(0.03),
            month_to_month: rng.random_bool(0.08),
        },
        62..70 => Scenario::Notice { preleased: rng.random_bool(0.4) },
        70..78 => Scenario::Future,
        78..83 => Scenario::Applicant,
        83..86 => Scenario::Cancelled,
        _ => Scenario::Vacant,
    }
}

fn generate_base(seed: u64, size: Size) -> World {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut ids = Ids::new();
    let as_of = step_instant(0);
    let today = mountain_date(as_of);
    let n_props = size.properties as usize;
    let per = size.units_per_property as usize;
    let student_index = if n_props > 1 { 1 } else { 0 };

    let mut properties = Vec::with_capacity(n_props);
    let mut units: Vec<Unit> = Vec::with_capacity(n_props * per);
    for i in 0..n_props {
        let kind = if i == student_index { PropertyKind::Student } else { PropertyKind::Conventional };
        properties.push(generate_property(&mut rng, &mut ids, i, kind, per, &mut units));
    }

    let mut people: Vec<Person> = Vec::new();
    let mut leases: Vec<Lease> = Vec::new();
    for (pi, property) in properties.iter().enumerate() {
        let student = property.kind == PropertyKind::Student;
        let mut slot_no = 0usize;
        for ui in property.units.clone() {
            let spaces: Vec<Option<usize>> =
                if units[ui].spaces.is_empty() { vec![None] } else { (0..units[ui].spaces.len()).map(Some).collect() };
            for space in spaces {
                // The first slots of the first property and of the student property follow a
                // script, so every state, role and history is present in every world.
                let scripted = (pi == 0 || pi == student_index).then_some(slot_no).filter(|&n| n < 7);
                slot_no += 1;
                let sc = scenario(&mut rng, scripted);
                generate_slot(
                    &mut rng,
                    &mut ids,
                    today,
                    (pi, ui, space),
                    &units,
                    property,
                    student,
                    sc,
                    &mut people,
                    &mut leases,
                );
            }
        }
    }
    leases.sort_by_key(|l| l.id);
    people.sort_by_key(|p| p.id);

    let mut world = World {
        seed,
        size,
        step: 0,
        as_of,
        today,
        properties,
        units,
        people,
        leases,
        changes: Vec::new(),
        ids,
        lease_index: Vec::new(),
    };
    world.reindex();
    world
}

fn generate_property(
    rng: &mut ChaCha8Rng,
    ids: &mut Ids,
    index: usize,
    kind: PropertyKind,
    unit_count: usize,
    units: &mut Vec<Unit>,
) -> Property {
    let city = pick(rng, names::CITY_GROUPS[index % 4]);
    let word = pick(rng, names::PROPERTY_WORDS);
    let name = match kind {
        PropertyKind::Student => format!("{word} {}", pick(rng, names::STUDENT_KINDS)),
        PropertyKind::Conventional => format!("{word} {}", pick(rng, names::PROPERTY_KINDS)),
    };
    let id = take(&mut ids.property);
    let slug: String = name.to_ascii_lowercase().chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    let street = format!(
        "{} {} {}",
        rng.random_range(100..9900u32),
        pick(rng, names::STREET_NAMES),
        pick(rng, names::STREET_SUFFIXES)
    );
    let price = rng.random_range(80..160i64); // percent of a national base rent
    let floorplans: Vec<Floorplan> = match kind {
        PropertyKind::Conventional => [
            ("S1 Studio", 0u8, 2u8, 480u32, 110_000i64),
            ("A1 One Bedroom", 1, 2, 690, 140_000),
            ("A2 One Bedroom Den", 1, 3, 820, 158_000),
            ("B1 Two Bedroom", 2, 4, 1_050, 195_000),
            ("C1 Three Bedroom", 3, 4, 1_320, 245_000),
        ]
        .into_iter()
        .map(|(name, bedrooms, half_baths, square_feet, rent)| Floorplan {
            id: take(&mut ids.floorplan),
            name,
            bedrooms,
            half_baths,
            square_feet,
            base_rent_cents: round_rent(rent * price / 100),
        })
        .collect(),
        PropertyKind::Student => [
            ("D2 Shared", 2u8, 2u8, 820u32, 72_000i64),
            ("D3 Semi-Shared", 3, 4, 1_150, 69_000),
            ("D4 Private", 4, 8, 1_400, 66_000),
        ]
        .into_iter()
        .map(|(name, bedrooms, half_baths, square_feet, rent)| Floorplan {
            id: take(&mut ids.floorplan),
            name,
            bedrooms,
            half_baths,
            square_feet,
            base_rent_cents: round_rent(rent * price / 100),
        })
        .collect(),
    };
    let units_per_building = 100usize;
    let building_count = unit_count.div_ceil(units_per_building).max(1);
    let buildings: Vec<Building> = (0..building_count)
        .map(|b| Building {
            id: take(&mut ids.building),
            name: match u8::try_from(b) {
                Ok(b) if b < 26 => format!("Building {}", char::from(b'A' + b)),
                _ => format!("Building {}", b + 1),
            },
        })
        .collect();
    let per_floor = if unit_count <= 48 { 8 } else { 20 };
    let first_unit = units.len();
    for n in 0..unit_count {
        let building = n / units_per_building;
        let within = n % units_per_building;
        let floor = within / per_floor + 1;
        let door = within % per_floor + 1;
        let number = if building_count == 1 {
            format!("{floor}{door:02}")
        } else {
            match u8::try_from(building).ok().filter(|b| *b < 26) {
                Some(b) => format!("{}{floor}{door:02}", char::from(b'A' + b)),
                None => format!("{}-{floor}{door:02}", building + 1),
            }
        };
        let fp_index = match kind {
            PropertyKind::Conventional => match rng.random_range(0..100) {
                0..10 => 0,
                10..40 => 1,
                40..55 => 2,
                55..88 => 3,
                _ => 4,
            },
            PropertyKind::Student => rng.random_range(0..floorplans.len()),
        };
        let fp = &floorplans[fp_index];
        let square_feet = fp.square_feet * rng.random_range(95..=105u32) / 100;
        let premium = rng.random_range(100..=108i64);
        let id = take(&mut ids.unit);
        let space_id = take(&mut ids.space);
        let (spaces, market_rent_cents) = match kind {
            PropertyKind::Conventional => (Vec::new(), round_rent(fp.base_rent_cents * premium / 100)),
            PropertyKind::Student => {
                let spaces: Vec<Space> = (0..fp.bedrooms)
                    .map(|b| Space {
                        id: take(&mut ids.space),
                        name: format!("{number}-{}", char::from(b'A' + b)),
                        rent_cents: round_rent(fp.base_rent_cents * (premium + i64::from(b % 2) * 3) / 100),
                    })
                    .collect();
                let total = spaces.iter().map(|s| s.rent_cents).sum();
                (spaces, total)
            }
        };
        units.push(Unit {
            id,
            property: index,
            number,
            building,
            floorplan: fp_index,
            square_feet,
            market_rent_cents,
            space_id,
            spaces,
        });
    }
    Property {
        id,
        name,
        kind,
        street,
        city,
        email: format!("leasing@{slug}.example.com"),
        website: format!("https://www.{slug}.example.com/"),
        phone: format!("{}555{:04}", city.area_code, rng.random_range(100..200u32)),
        buildings,
        floorplans,
        units: first_unit..first_unit + unit_count,
    }
}

#[allow(clippy::too_many_arguments)]
fn generate_slot(
    rng: &mut ChaCha8Rng,
    ids: &mut Ids,
    today: NaiveDate,
    (pi, ui, space): (usize, usize, Option<usize>),
    units: &[Unit],
    property: &Property,
    student: bool,
    sc: Scenario,
    people: &mut Vec<Person>,
    leases: &mut Vec<Lease>,
) {
    let unit = &units[ui];
    let rent = slot_rent(unit, space);
    let city = property.city;
    let make_lease = |rng: &mut ChaCha8Rng,
                      ids: &mut Ids,
                      people: &mut Vec<Person>,
                      household: &Household,
                      start: NaiveDate,
                      applied_on: NaiveDate,
                      approved: bool,
                      rent: i64|
     -> Lease {
        let residents = new_household(rng, ids, &city, household, people);
        let term = new_term(ids, TermKind::Initial, start, rent, applied_on, approved.then(|| applied_on + days(2)));
        Lease::application(take(&mut ids.lease), pi, ui, space, term, residents)
    };

    // Occupancy start of whatever holds the slot now, so history ends before it.
    let mut history_before: Option<NaiveDate> = None;

    match sc {
        Scenario::Current { full_household, renewed, transferred_in, month_to_month } => {
            let household = if full_household { Household::full() } else { Household::random(rng, student) };
            let start = if month_to_month {
                sub_months(today, rng.random_range(13..30))
            } else {
                today - days(rng.random_range(0..330))
            };
            let mut lease = make_lease(rng, ids, people, &household, start, start - days(30), true, rent);
            let mut moved_in = start;
            if renewed && !month_to_month {
                // The lease began a year earlier; the current term is its renewal.
                let first_start = sub_months(start, 12);
                let mut first = lease.terms[0].clone();
                first.start = first_start;
                first.end = start - days(1);
                first.applied_on = first_start - days(30);
                first.approved_on = Some(first_start - days(28));
                first.rent_cents = round_rent(rent * 97 / 100);
                let renewal = LeaseTerm {
                    id: take(&mut ids.term),
                    kind: TermKind::Renewal,
                    start,
                    end: term_end(start),
                    rent_cents: rent,
                    applied_on: start - days(60),
                    approved_on: Some(start - days(55)),
                    application_id: take(&mut ids.application),
                    charge_id: take(&mut ids.charge),
                };
                lease.terms = vec![first, renewal];
                moved_in = first_start;
            }
            lease.month_to_month = month_to_month;
            lease.move_in = Some(moved_in);
            set_lease_state(&mut lease, LeaseStatus::Current);
            history_before = Some(moved_in);
            if transferred_in {
                // The primary lived in another unit of this property before: a past lease there.
                let other_units: Vec<usize> = property.units.clone().filter(|&u| u != ui).collect();
                if let Some(&other) = other_units.get(rng.random_range(0..other_units.len().max(1))) {
                    let other_space = (!units[other].spaces.is_empty()).then_some(0);
                    let past_end = moved_in - days(1);
                    let past_start = sub_months(past_end, 12) + days(1);
                    let mut past = Lease {
                        id: take(&mut ids.lease),
                        property: pi,
                        unit: other,
                        space: other_space,
                        status: LeaseStatus::Past,
                        terms: vec![new_term(
                            ids,
                            TermKind::Initial,
                            past_start,
                            round_rent(slot_rent(&units[other], other_space) * 95 / 100),
                            past_start - days(30),
                            Some(past_start - days(28)),
                        )],
                        move_in: Some(past_start),
                        move_out: Some(past_end),
                        notice: Some(past_end - days(45)),
                        month_to_month: false,
                        residents: lease
                            .residents
                            .iter()
                            .filter(|r| r.role == ResidentRole::Primary)
                            .cloned()
                            .collect(),
                    };
                    set_lease_state(&mut past, LeaseStatus::Past);
                    leases.push(past);
                }
            }
            leases.push(lease);
        }
        Scenario::Notice { preleased } => {
            let household = Household::random(rng, student);
            let start = today - days(rng.random_range(200..360));
            let mut lease = make_lease(rng, ids, people, &household, start, start - days(30), true, rent);
            lease.move_in = Some(start);
            let notice = today - days(rng.random_range(1..21));
            let move_out = today + days(rng.random_range(5..45));
            lease.notice = Some(notice);
            lease.move_out = Some(move_out);
            set_lease_state(&mut lease, LeaseStatus::Notice);
            history_before = Some(start);
            leases.push(lease);
            if preleased {
                let household = Household::random(rng, student);
                let next_start = move_out + days(rng.random_range(1..14));
                let applied = today - days(rng.random_range(3..20));
                let mut next = make_lease(rng, ids, people, &household, next_start, applied, true, rent);
                set_lease_state(&mut next, LeaseStatus::Future);
                leases.push(next);
            }
        }
        Scenario::Future => {
            let household = Household::random(rng, student);
            let start = today + days(rng.random_range(7..75));
            let applied = today - days(rng.random_range(5..30));
            let mut lease = make_lease(rng, ids, people, &household, start, applied, true, rent);
            set_lease_state(&mut lease, LeaseStatus::Future);
            leases.push(lease);
        }
        Scenario::Applicant => {
            let household = Household::random(rng, student);
            let start = today + days(rng.random_range(20..60));
            let applied = today - days(rng.random_range(0..10));
            let mut lease = make_lease(rng, ids, people, &household, start, applied, false, rent);
            set_lease_state(&mut lease, LeaseStatus::Applicant);
            leases.push(lease);
        }
        Scenario::Cancelled => {
            let household = Household::random(rng, student);
            let applied = today - days(rng.random_range(10..40));
            let mut lease = make_lease(rng, ids, people, &household, applied + days(30), applied, false, rent);
            set_lease_state(&mut lease, LeaseStatus::Cancelled);
            leases.push(lease);
        }
        Scenario::Vacant => {}
    }

    // Past leases of the slot: always one for a vacant slot (its last resident moved out),
    // otherwise sometimes.
    let wants_past = matches!(sc, Scenario::Vacant) || rng.random_bool(0.4);
    if wants_past {
        let end = history_before.unwrap_or(today) - days(rng.random_range(1..60));
        let start = sub_months(end, 12) + days(1);
        let household = Household::random(rng, student);
        let mut past =
            make_lease(rng, ids, people, &household, start, start - days(30), true, round_rent(rent * 95 / 100));
        past.move_in = Some(start);
        past.move_out = Some(end);
        past.notice = Some(end - days(rng.random_range(30..60)));
        set_lease_state(&mut past, LeaseStatus::Past);
        leases.push(past);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_and_print() {
        assert_eq!("small".parse::<Size>(), Ok(Size::SMALL));
        assert_eq!(" LARGE ".parse::<Size>(), Ok(Size::LARGE));
        assert_eq!("50x100".parse::<Size>(), Ok(Size { properties: 50, units_per_property: 100 }));
        for bad in ["", "x", "0x10", "10x0", "10x", "ax1", "small2", "10000x5000", "1x1x1"] {
            assert!(bad.parse::<Size>().is_err(), "{bad} should not parse");
        }
        assert_eq!(Size::SMALL.to_string(), "small");
        assert_eq!(Size::LARGE.to_string(), "large");
        assert_eq!(Size { properties: 3, units_per_property: 7 }.to_string(), "3x7");
        assert_eq!(Size::default(), Size::SMALL);
    }

    #[test]
    fn the_same_inputs_give_the_same_world() {
        let a = World::generate(7, Size::SMALL, 3);
        let b = World::generate(7, Size::SMALL, 3);
        assert_eq!(a, b);
        assert_eq!(a.normalized(), b.normalized());
    }

    #[test]
    fn another_seed_gives_another_world() {
        let a = World::generate(7, Size::SMALL, 0);
        let b = World::generate(8, Size::SMALL, 0);
        assert_ne!(a.normalized(), b.normalized());
    }

    #[test]
    fn stepping_from_a_cached_world_equals_generating_from_scratch() {
        let mut from_zero = World::generate(11, Size::SMALL, 0);
        let step_two = World::generate(11, Size::SMALL, 2);
        assert_eq!(from_zero.next().next(), step_two);
        from_zero.advance_to(5);
        assert_eq!(from_zero, World::generate(11, Size::SMALL, 5));
    }

    #[test]
    fn small_has_every_state_role_space_and_history() {
        for seed in [0, 1, 42, 2024] {
            let world = World::generate(seed, Size::SMALL, 0);
            let counts = world.counts();
            for status in LeaseStatus::ALL {
                assert!(
                    counts.leases_by_status.get(status).copied().unwrap_or(0) > 0,
                    "seed {seed}: no {status} lease"
                );
            }
            for role in ResidentRole::ALL {
                assert!(counts.lease_residents_by_role.get(role).copied().unwrap_or(0) > 0, "seed {seed}: no {role}");
            }
            assert!(counts.spaces > 0, "seed {seed}: no bedroom spaces");
            assert!(counts.multi_lease_residents > 0, "seed {seed}: nobody on two leases");
            assert!(counts.renewed_leases > 0, "seed {seed}: no renewal");
            assert!(world.leases.iter().any(|l| l.month_to_month), "seed {seed}: no month-to-month lease");
            let student = world.properties.iter().filter(|p| p.kind == PropertyKind::Student).count();
            assert_eq!(student, 1, "exactly one student property");
            // One lease per bed: every lease of a split unit names its space.
            for lease in &world.leases {
                let unit = &world.units[lease.unit];
                assert_eq!(lease.space.is_some(), !unit.spaces.is_empty());
            }
        }
    }

    #[test]
    fn small_spreads_over_four_time_zones() {
        let world = World::generate(5, Size::SMALL, 0);
        let zones: HashSet<&str> = world.properties.iter().map(|p| p.city.time_zone).collect();
        assert!(zones.iter().any(|z| *z == "America/Denver" || *z == "America/Phoenix"));
        for zone in ["America/Chicago", "America/New_York", "America/Los_Angeles"] {
            assert!(zones.contains(zone), "no property in {zone}");
        }
    }

    #[test]
    fn records_are_consistent() {
        let mut world = World::generate(3, Size { properties: 5, units_per_property: 130 }, 0);
        for step in [0, 1, 7, 20] {
            world.advance_to(step);
            check_consistency(&world);
        }
        let numbers: HashSet<&str> =
            world.units.iter().filter(|u| u.property == 0).map(|u| u.number.as_str()).collect();
        assert_eq!(numbers.len(), 130, "unit numbers are unique within a property");
    }

    fn check_consistency(world: &World) {
        let ids: HashSet<u64> = world.people.iter().map(|p| p.id).collect();
        assert_eq!(ids.len(), world.people.len(), "person ids are unique");
        assert!(world.people.windows(2).all(|w| w[0].id < w[1].id));
        assert!(world.leases.windows(2).all(|w| w[0].id < w[1].id));
        for lease in &world.leases {
            assert!(!lease.residents.is_empty());
            assert_eq!(lease.residents.iter().filter(|r| r.role == ResidentRole::Primary).count(), 1);
            for r in &lease.residents {
                assert!(ids.contains(&r.person_id), "lease {} names a missing person", lease.id);
            }
            assert!(lease.start_date() <= lease.end_date());
            if matches!(lease.status, LeaseStatus::Notice) {
                assert!(lease.notice.is_some() && lease.move_out.is_some());
            }
            if lease.status == LeaseStatus::Past {
                assert!(lease.move_out.is_some());
            }
        }
        // Nobody is left without a lease.
        let on_leases: HashSet<u64> =
            world.leases.iter().flat_map(|l| l.residents.iter().map(|r| r.person_id)).collect();
        assert_eq!(on_leases, ids);
        // At most one occupying lease per slot.
        let mut seen = HashSet::new();
        for lease in world.leases.iter().filter(|l| l.is_occupying()) {
            assert!(seen.insert((lease.unit, lease.space)), "two occupying leases on one slot");
        }
    }

    #[test]
    fn normalized_lists_parents_first_and_everything_once() {
        let world = World::generate(9, Size::SMALL, 1);
        let records = world.normalized();
        let counts = world.counts();
        assert_eq!(records.len(), counts.properties + counts.units + counts.residents + counts.leases);
        let kinds: Vec<_> = records.iter().map(|r| r.kind()).collect();
        let mut sorted = kinds.clone();
        sorted.sort_by_key(|k| *k as u8);
        assert_eq!(kinds, sorted, "parents come first");
        let unit_with_spaces = records.iter().any(|r| matches!(r, NormalizedRecord::Unit(u) if !u.spaces.is_empty()));
        assert!(unit_with_spaces);
    }

    #[test]
    fn today_is_the_mountain_time_date() {
        // 2025-03-03T17:00Z is 10:00 in Denver; a late-evening instant is still the day before.
        assert_eq!(mountain_date(step_instant(0)), NaiveDate::from_ymd_opt(2025, 3, 3).expect("date"));
        let late = Utc.with_ymd_and_hms(2025, 3, 4, 5, 0, 0).single().expect("instant");
        assert_eq!(mountain_date(late), NaiveDate::from_ymd_opt(2025, 3, 3).expect("date"));
    }
}
