//! Mapping of RealPage's records to pmsgraph's normalized records (DESIGN.md, "Normalized model",
//! "Person identity", "Roles", "Lease status: one vocabulary").
//!
//! - Properties (getsitelist `SiteList/Site`): site id, name, address (`Address` or `Adr1`, `City`,
//!   `State`, `Zip`); the zone inferred from the address (RealPage names none); the unit count
//!   from unitlist.
//! - Units (unitlist `UnitList/Unit`): `Vacant` "T"/"F" is the occupancy. Unit ids are kept as
//!   `{site}:{unit}` ([`unit_remote_id`]), since the calls name units within a site.
//! - Leases and their people: the resident list (getresidentlistinfo, status ALL: one lower-case
//!   `residentlist/resident` row per person per household) is the list of leases, one per
//!   household (`residentid`, RealPage's ReshID), joined with getleaseinfo (`Leases/Lease` by
//!   `ReshID`) where it has the lease. getleaseinfo only lists leases whose resident held their
//!   status within its look-back window (`residentheldthestatus` days): a lease it does not list is
//!   still a lease, read from its household's rows alone, never a deletion.
//! - Roles: the head of household (the row named by getleaseinfo's `HeadofHouseholdName`, else the
//!   household's first row) -> PRIMARY; other lease signers, the rows that carry the lease's
//!   `rent`, -> CO_APPLICANT; others -> OCCUPANT.
//! - Residents: resident member ids are per lease, so one person on several leases is found by
//!   [`pmsgraph_connector_core::People`] (same email and last name).
//!
//! Status words (README and DESIGN.md): Current (NOTICE with a notice date), Future Lease,
//! Applicant and Applicant - Lease Signed, Former, Former Applicant; any other word maps to the
//! nearest state by dates and is kept in `remote_status`. Month to month: getleaseinfo's
//! `LeaseTermDesc` says so; for a lease it does not list, a lease lived in past its end date.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use pmsgraph_connector_core::text::{parse_cents, parse_date};
use pmsgraph_connector_core::vocab::{LeaseDates, status_by_dates};
use pmsgraph_connector_core::xml::{self, Node, RecordSpec};
use pmsgraph_connector_core::zone::infer_time_zone;
use pmsgraph_connector_core::{
    Address, LeaseStatus, NormalizedLease, NormalizedLeaseResident, NormalizedProperty, NormalizedResident,
    NormalizedUnit, Occupancy, RemoteData, ResidentRole,
};
use serde_json::json;

use crate::error::RealPageError;
use crate::soap::Operation;

/// What mapping needs beyond the records: the moment of the sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapContext {
    pub as_of: DateTime<Utc>,
}

impl MapContext {
    pub fn new(as_of: DateTime<Utc>) -> Self {
        MapContext { as_of }
    }

    /// Today for a property in `zone` (UTC when it is not known).
    pub fn today(&self, zone: Option<&str>) -> NaiveDate {
        match zone.and_then(|z| z.parse::<Tz>().ok()) {
            Some(tz) => self.as_of.with_timezone(&tz).date_naive(),
            None => self.as_of.date_naive(),
        }
    }
}

/// The remote id of a unit: RealPage's calls name units within a site.
pub fn unit_remote_id(site: &str, unit: &str) -> String {
    format!("{site}:{unit}")
}

// ----- reading values -----

/// A record and its path, for typed values whose errors name the element.
#[derive(Clone, Copy)]
struct Row<'a> {
    node: &'a Node,
    path: &'a str,
}

impl<'a> Row<'a> {
    fn fail(&self, field: &str, message: impl Into<String>) -> RealPageError {
        RealPageError::malformed(format!("{}/{field}", self.path), message)
    }

    fn text(&self, field: &str) -> Option<&'a str> {
        self.node.text_at(field)
    }

    fn owned(&self, field: &str) -> Option<String> {
        self.text(field).map(str::to_owned)
    }

    fn must(&self, field: &str) -> Result<String, RealPageError> {
        self.owned(field).ok_or_else(|| self.fail(field, "missing"))
    }

    fn day(&self, field: &str) -> Result<Option<NaiveDate>, RealPageError> {
        self.text(field).map_or(Ok(None), |t| parse_date(t).map_err(|m| self.fail(field, m)))
    }

    fn money(&self, field: &str) -> Result<Option<i64>, RealPageError> {
        self.text(field)
            .map(|t| parse_cents(t).ok_or_else(|| self.fail(field, format!("`{t}` is not an amount"))))
            .transpose()
    }

    fn number(&self, field: &str) -> Result<Option<f64>, RealPageError> {
        self.text(field)
            .map(|t| {
                t.replace(',', "")
                    .parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .ok_or_else(|| self.fail(field, format!("`{t}` is not a number")))
            })
            .transpose()
    }

    fn whole(&self, field: &str) -> Result<Option<i32>, RealPageError> {
        match self.number(field)? {
            Some(f) if f.fract() != 0.0 || f.abs() >= f64::from(i32::MAX) => {
                Err(self.fail(field, format!("`{f}` is not a whole number")))
            }
            other => Ok(other.map(|f| f as i32)),
        }
    }

    /// RealPage's flags: "T" or "F".
    fn flag(&self, field: &str) -> Result<Option<bool>, RealPageError> {
        match self.text(field) {
            None => Ok(None),
            Some("T" | "t") => Ok(Some(true)),
            Some("F" | "f") => Ok(Some(false)),
            Some(other) => Err(self.fail(field, format!("`{other}` is not a T/F flag"))),
        }
    }
}

/// Reads an answer to `operation`: each record to `on_record`; a fault in the body is an error.
fn read(
    body: &[u8],
    operation: Operation,
    specs: &[RecordSpec],
    on_record: &mut dyn FnMut(usize, Node, &str) -> Result<(), RealPageError>,
) -> Result<(), RealPageError> {
    let outcome = xml::scan(body, specs, on_record)?;
    match outcome.fault {
        Some((code, message)) => Err(RealPageError::from_fault(operation, code, message, None)),
        None => Ok(()),
    }
}

/// Lower case, letters and digits only: "Future Lease" and "future lease" read alike.
fn normalize(word: &str) -> String {
    word.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

/// RealPage's status words (DESIGN.md's table); `notice` says whether a notice date is set.
/// `None` for a word we do not know.
pub fn status_from_word(word: &str, notice: bool) -> Option<LeaseStatus> {
    match normalize(word).as_str() {
        "current" if notice => Some(LeaseStatus::Notice),
        "current" => Some(LeaseStatus::Current),
        "notice" => Some(LeaseStatus::Notice),
        "futurelease" | "future" | "pending" => Some(LeaseStatus::Future),
        "applicant" | "applicantleasesigned" => Some(LeaseStatus::Applicant),
        "former" | "past" => Some(LeaseStatus::Past),
        "formerapplicant" | "cancelled" | "canceled" | "denied" => Some(LeaseStatus::Cancelled),
        _ => None,
    }
}

// ----- getsitelist -----

const SITES: &[RecordSpec] = &[RecordSpec { parent: "SiteList", name: "Site" }];

pub fn parse_site_list(body: &[u8]) -> Result<Vec<NormalizedProperty>, RealPageError> {
    let mut out = Vec::new();
    read(body, Operation::GetSiteList, SITES, &mut |_, node, path| {
        let row = Row { node: &node, path };
        let site = row.must("SiteID")?;
        let address = Address {
            line1: row.owned("Address").or_else(|| row.owned("Adr1")),
            line2: None,
            city: row.owned("City"),
            state: row.owned("State"),
            postal_code: row.owned("Zip"),
            country: None,
        };
        out.push(NormalizedProperty {
            name: row.owned("SiteName").unwrap_or_else(|| site.clone()),
            remote_id: site,
            time_zone: infer_time_zone(address.state.as_deref(), address.postal_code.as_deref()).map(str::to_owned),
            address,
            unit_count: None,
            remote_data: RemoteData::from_value(&node.to_json()),
        });
        Ok(())
    })?;
    Ok(out)
}

// ----- unitlist -----

const UNITS: &[RecordSpec] = &[RecordSpec { parent: "UnitList", name: "Unit" }];

pub fn parse_unit_list(body: &[u8], site: &str) -> Result<Vec<NormalizedUnit>, RealPageError> {
    let mut out = Vec::new();
    read(body, Operation::UnitList, UNITS, &mut |_, node, path| {
        let row = Row { node: &node, path };
        let unit = row.must("UnitID")?;
        let occupancy = match row.flag("Vacant")? {
            Some(true) => Occupancy::Vacant,
            Some(false) => Occupancy::Occupied,
            None => Occupancy::Unknown,
        };
        out.push(NormalizedUnit {
            remote_id: unit_remote_id(site, &unit),
            property_remote_id: site.to_owned(),
            number: row.owned("UnitNumber").unwrap_or(unit),
            building: row.owned("BuildingName"),
            floorplan: row.owned("FloorplanName"),
            bedrooms: row.whole("Bedrooms")?,
            bathrooms: row.number("Bathrooms")?,
            square_feet: match row.whole("RentableSqft")? {
                Some(sq) => Some(sq),
                None => row.whole("GrossSqft")?,
            },
            market_rent_cents: row.money("MarketRent")?,
            occupancy,
            spaces: Vec::new(),
            remote_data: RemoteData::from_value(&node.to_json()),
        });
        Ok(())
    })?;
    Ok(out)
}

// ----- getresidentlistinfo -----

/// One row of the resident list: one person of one household.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// The person, by their per-lease member id.
    pub resident: NormalizedResident,
    /// The household (lease): `residentid`.
    pub household: String,
    pub unit: Option<String>,
    pub word: Option<String>,
    pub dates: LeaseDates,
    /// The lease's rent, on the rows of its signers.
    pub rent_cents: Option<i64>,
}

const RESIDENTS: &[RecordSpec] = &[RecordSpec { parent: "residentlist", name: "resident" }];

pub fn parse_resident_list(body: &[u8]) -> Result<Vec<Member>, RealPageError> {
    let mut out = Vec::new();
    read(body, Operation::GetResidentListInfo, RESIDENTS, &mut |_, node, path| {
        let row = Row { node: &node, path };
        let phone = row.owned("cellphone").or_else(|| row.owned("homephone"));
        out.push(Member {
            resident: NormalizedResident {
                remote_id: row.must("residentmemberid")?,
                first_name: row.owned("firstname").unwrap_or_default(),
                last_name: row.owned("lastname").unwrap_or_default(),
                email: row.owned("email"),
                phone,
                remote_data: RemoteData::from_value(&node.to_json()),
            },
            household: row.must("residentid")?,
            unit: row.owned("unitid"),
            word: row.owned("leasestatus"),
            dates: LeaseDates {
                start: row.day("begindate")?,
                end: row.day("enddate")?,
                move_in: row.day("moveindate")?,
                move_out: row.day("moveoutdate")?,
                notice: row.day("noticegivendate")?,
            },
            rent_cents: row.money("rent")?,
        });
        Ok(())
    })?;
    Ok(out)
}

// ----- getleaseinfo -----

/// What getleaseinfo adds to a household's rows.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LeaseInfo {
    pub lease_id: String,
    pub household: String,
    pub head_of_household: Option<String>,
    pub move_in: Option<NaiveDate>,
    pub rent_cents: Option<i64>,
    pub month_to_month: Option<bool>,
    pub next_lease: Option<String>,
    #[serde(skip)]
    pub remote_data: serde_json::Value,
}

const LEASES: &[RecordSpec] = &[RecordSpec { parent: "Leases", name: "Lease" }];

/// The leases by household (`ReshID`); of a household's several leases (a renewal's prior one),
/// the latest: the one without a `NextLeaseID`.
pub fn parse_lease_info(body: &[u8]) -> Result<HashMap<String, LeaseInfo>, RealPageError> {
    let mut out: HashMap<String, LeaseInfo> = HashMap::new();
    read(body, Operation::GetLeaseInfo, LEASES, &mut |_, node, path| {
        let row = Row { node: &node, path };
        let term = row.text("LeaseTermDesc").map(normalize);
        let info = LeaseInfo {
            lease_id: row.must("LeaseID")?,
            household: row.must("ReshID")?,
            head_of_household: row.owned("HeadofHouseholdName"),
            move_in: row.day("MoveInDate")?,
            rent_cents: row.money("Rent")?,
            month_to_month: term.map(|t| t.contains("monthtomonth") || t == "mtm"),
            next_lease: row.owned("NextLeaseID"),
            remote_data: node.to_json(),
        };
        let keep = out.get(&info.household).is_none_or(|old| old.next_lease.is_some());
        if keep {
            out.insert(info.household.clone(), info);
        }
        Ok(())
    })?;
    Ok(out)
}

// ----- leases -----

/// Leases and the people on them as one site's answers show them: people by their per-lease
/// member ids, before [`pmsgraph_connector_core::People`] finds who is the same person.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Tenancies {
    pub leases: Vec<NormalizedLease>,
    pub residents: Vec<NormalizedResident>,
}

fn is_named(member: &Member, name: &str) -> bool {
    let wanted = normalize(name);
    let (first, last) = (&member.resident.first_name, &member.resident.last_name);
    wanted == normalize(&format!("{first}{last}")) || wanted == normalize(&format!("{last}{first}"))
}

/// The leases of a site: one per household of `members` (in order of first appearance), joined
/// with `leases` where getleaseinfo listed it.
pub fn tenancies(
    site: &str,
    members: Vec<Member>,
    leases: &HashMap<String, LeaseInfo>,
    zone: Option<&str>,
    ctx: &MapContext,
) -> Tenancies {
    let today = ctx.today(zone);
    let mut order: Vec<String> = Vec::new();
    let mut households: HashMap<String, Vec<Member>> = HashMap::new();
    for member in members {
        if !households.contains_key(&member.household) {
            order.push(member.household.clone());
        }
        households.entry(member.household.clone()).or_default().push(member);
    }
    let mut out = Tenancies::default();
    for household in order {
        let Some(mut rows) = households.remove(&household) else { continue };
        let info = leases.get(&household);
        let head = info
            .and_then(|i| i.head_of_household.as_deref())
            .and_then(|name| rows.iter().position(|m| is_named(m, name)))
            .unwrap_or(0);
        let head_row = rows.remove(head);
        rows.insert(0, head_row);
        let head = &rows[0];
        let status_of = |m: &Member, mtm: bool| {
            m.word
                .as_deref()
                .and_then(|w| status_from_word(w, m.dates.notice.is_some()))
                .unwrap_or_else(|| status_by_dates(&m.dates, mtm, today))
        };
        let occupying_word =
            head.word.as_deref().and_then(|w| status_from_word(w, false)) == Some(LeaseStatus::Current);
        let month_to_month = info.and_then(|i| i.month_to_month).unwrap_or_else(|| {
            occupying_word
                && head.dates.end.is_some_and(|end| end < today)
                && head.dates.move_out.is_none_or(|d| d > today)
        });
        let status = status_of(head, month_to_month);
        let residents = rows
            .iter()
            .enumerate()
            .map(|(i, m)| NormalizedLeaseResident {
                resident_remote_id: m.resident.remote_id.clone(),
                role: match i {
                    0 => ResidentRole::Primary,
                    _ if m.rent_cents.is_some() => ResidentRole::CoApplicant,
                    _ => ResidentRole::Occupant,
                },
                move_in_date: m.dates.move_in,
                move_out_date: m.dates.move_out,
                status: status_of(m, month_to_month),
                remote_data: m.resident.remote_data.clone(),
            })
            .collect();
        let lease = NormalizedLease {
            remote_id: household.clone(),
            property_remote_id: site.to_owned(),
            unit_remote_id: head.unit.as_deref().map(|u| unit_remote_id(site, u)),
            unit_space_remote_id: None,
            status,
            remote_status: head.word.clone(),
            start_date: head.dates.start,
            end_date: head.dates.end,
            move_in_date: info.and_then(|i| i.move_in).or(head.dates.move_in),
            move_out_date: head.dates.move_out,
            notice_date: head.dates.notice,
            rent_cents: info.and_then(|i| i.rent_cents).or(head.rent_cents),
            is_month_to_month: month_to_month,
            residents,
            remote_data: RemoteData::from_value(&json!({
                "household": household,
                "lease": info.map_or(serde_json::Value::Null, |i| i.remote_data.clone()),
            })),
        };
        out.leases.push(lease);
        out.residents.extend(rows.into_iter().map(|m| m.resident));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_words_follow_the_design_table() {
        for (word, notice, status) in [
            ("Current", false, LeaseStatus::Current),
            ("Current", true, LeaseStatus::Notice),
            ("Future Lease", false, LeaseStatus::Future),
            ("Applicant", false, LeaseStatus::Applicant),
            ("Applicant - Lease Signed", false, LeaseStatus::Applicant),
            ("Former", true, LeaseStatus::Past),
            ("Former Applicant", false, LeaseStatus::Cancelled),
        ] {
            assert_eq!(status_from_word(word, notice), Some(status), "{word}");
        }
        assert_eq!(status_from_word("Waitlist", false), None);
    }
}
