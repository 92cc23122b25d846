//! Writes the sandbox world as RealPage's XML: WCF's SOAP 1.1 envelopes (`s:` prefix, the answer
//! in `http://tempuri.org/`, its records in no namespace), `s:Fault`s, and each operation's
//! records with the element names of the RealPage section of `shared/fixtures/pms/README.md`:
//! PascalCase for sites, units and leases, lower case for the resident list; "T"/"F" flags;
//! `MM/DD/YYYY` dates in the resident list and `YYYY-MM-DDT00:00:00` in getleaseinfo; amounts
//! `1450.00`; empty elements for absent values.

use chrono::NaiveDate;

use crate::soap::Xml;
use crate::world::{Lease, TermKind, World};
use crate::yardi::wire::money;

use super::{household_id, in_lookback, member_id, members, person_of, site_id, status_word};
use pmsgraph_connector_core::vocab::{LeaseStatus, ResidentRole};

const SOAP11: &str = "http://schemas.xmlsoap.org/soap/envelope/";
const NAMESPACE: &str = "http://tempuri.org/";
/// The date written where a `malformed=` credential breaks a record.
const BAD_DATE: &str = "13/45/2024";

fn open(xml: &mut Xml, operation: &str) {
    xml.open("s:Envelope", &[("xmlns:s", SOAP11)]);
    xml.open("s:Body", &[]);
    xml.open(&format!("{operation}Response"), &[("xmlns", NAMESPACE)]);
    xml.open(&format!("{operation}Result"), &[]);
}

fn close(xml: &mut Xml, operation: &str) {
    xml.close(&format!("{operation}Result"));
    xml.close(&format!("{operation}Response"));
    xml.close("s:Body");
    xml.close("s:Envelope");
}

/// A fault (sent with HTTP 500).
pub fn fault(code: &str, message: &str) -> String {
    let mut xml = Xml::inner(512);
    xml.open("s:Envelope", &[("xmlns:s", SOAP11)]);
    xml.open("s:Body", &[]);
    xml.open("s:Fault", &[]);
    xml.text("faultcode", code);
    xml.indent();
    xml.out.push_str(&format!(r#"<faultstring xml:lang="en-US">{}</faultstring>"#, quick_xml::escape::escape(message)));
    xml.close("s:Fault");
    xml.close("s:Body");
    xml.close("s:Envelope");
    xml.finish()
}

fn us(xml: &mut Xml, tag: &str, date: Option<NaiveDate>) {
    let text = date.map(|d| d.format("%m/%d/%Y").to_string());
    xml.leaf(tag, text.as_deref());
}

fn dotnet(xml: &mut Xml, tag: &str, date: Option<NaiveDate>) {
    let text = date.map(|d| d.format("%Y-%m-%dT00:00:00").to_string());
    xml.leaf(tag, text.as_deref());
}

fn flag(value: bool) -> &'static str {
    if value { "T" } else { "F" }
}

// ----- getsitelist -----

pub fn site_list(world: &World, corrupt: bool) -> String {
    let mut xml = Xml::inner(256 + world.properties.len() * 320);
    open(&mut xml, "getsitelist");
    xml.open("SiteList", &[("xmlns", "")]);
    for (i, p) in world.properties.iter().enumerate() {
        xml.open("Site", &[]);
        if !(corrupt && i == 0) {
            xml.text("SiteID", &site_id(p));
        }
        xml.text("SiteName", &p.name);
        xml.text("Address", &p.street);
        xml.text("City", p.city.name);
        xml.text("State", p.city.state);
        xml.text("Zip", p.city.postal_code);
        xml.close("Site");
    }
    xml.close("SiteList");
    close(&mut xml, "getsitelist");
    xml.finish()
}

// ----- unitlist -----

pub fn unit_list(world: &World, pi: usize, corrupt: bool) -> String {
    let property = &world.properties[pi];
    let units = world.units_of(pi);
    let mut lived_in = std::collections::HashSet::new();
    let mut coming = std::collections::HashMap::new();
    let mut notice_for = std::collections::HashMap::new();
    for lease in world.leases_of(pi) {
        if lease.is_occupying() {
            lived_in.insert(lease.unit);
            if let Some(out) = lease.move_out {
                notice_for.insert(lease.unit, out);
            }
        } else if lease.status == LeaseStatus::Future {
            coming.entry(lease.unit).or_insert(lease.start_date());
        }
    }
    let mut xml = Xml::inner(256 + units.len() * 700);
    open(&mut xml, "unitlist");
    xml.open("UnitList", &[("xmlns", "")]);
    for (offset, unit) in units.iter().enumerate() {
        let ui = property.units.start + offset;
        let fp = &property.floorplans[unit.floorplan];
        let vacant = !lived_in.contains(&ui);
        xml.open("Unit", &[]);
        xml.text("UnitID", &unit.id.to_string());
        xml.text("UnitNumber", &unit.number);
        xml.text("FloorplanID", &fp.id.to_string());
        xml.text("FloorplanName", fp.name);
        xml.text("Bedrooms", &fp.bedrooms.to_string());
        xml.text("Bathrooms", &format!("{:.2}", fp.bathrooms()));
        xml.text("RentableSqft", &unit.square_feet.to_string());
        xml.text("MarketRent", &money(unit.market_rent_cents));
        xml.text("Vacant", if corrupt && offset == 0 { "X" } else { flag(vacant) });
        xml.text("Available", flag(vacant && !coming.contains_key(&ui)));
        us(&mut xml, "AvailableDate", vacant.then_some(world.today));
        us(&mut xml, "OnNoticeForDate", notice_for.get(&ui).copied());
        xml.leaf("UnitMadeReadyDate", None);
        xml.text("BuildingName", &property.buildings[unit.building].name);
        xml.text("Floor", &unit.number.chars().next().map(String::from).unwrap_or_default());
        xml.close("Unit");
    }
    xml.close("UnitList");
    close(&mut xml, "unitlist");
    xml.finish()
}

// ----- getresidentlistinfo -----

pub fn resident_list(world: &World, pi: usize, statuses: &[LeaseStatus], corrupt: bool) -> String {
    let leases: Vec<&Lease> = world.leases_of(pi).filter(|l| statuses.contains(&l.status)).collect();
    let mut xml = Xml::inner(256 + leases.len() * 2400);
    open(&mut xml, "getresidentlistinfo");
    xml.open("residentlist", &[("xmlns", "")]);
    let mut first = true;
    for lease in leases {
        let unit = &world.units[lease.unit];
        for (index, r) in members(lease) {
            let Some(person) = person_of(world, r) else { continue };
            let signer = r.role != ResidentRole::Occupant;
            // Notice shows as a notice date on a Current row; a current person's row has none.
            let notice = lease.notice.filter(|_| r.status != LeaseStatus::Current);
            xml.open("resident", &[]);
            xml.text("residentmemberid", &member_id(lease, index));
            xml.text("residentid", &household_id(lease));
            xml.text("unitid", &unit.id.to_string());
            xml.text("unitnumber", &unit.number);
            xml.text("firstname", person.first_name);
            xml.text("lastname", person.last_name);
            xml.leaf("email", person.email.as_deref());
            xml.leaf("homephone", None);
            xml.leaf("cellphone", person.phone.as_deref());
            xml.text("leasestatus", status_word(lease, r.status));
            us(&mut xml, "begindate", Some(lease.start_date()));
            us(&mut xml, "enddate", Some(lease.end_date()));
            if std::mem::take(&mut first) && corrupt {
                xml.text("moveindate", BAD_DATE);
            } else {
                us(&mut xml, "moveindate", r.move_in);
            }
            us(&mut xml, "moveoutdate", r.move_out);
            us(&mut xml, "noticegivendate", notice);
            us(&mut xml, "noticefordate", notice.and(r.move_out));
            if signer {
                xml.text("rent", &money(lease.rent_cents()));
                xml.text("balance", "0.00");
                xml.text("curbalance", "0.00");
                xml.text("pendingbalance", "0.00");
            }
            xml.close("resident");
        }
    }
    xml.close("residentlist");
    close(&mut xml, "getresidentlistinfo");
    xml.finish()
}

// ----- getleaseinfo -----

/// OneSite's one-letter lease status codes.
fn status_code(status: LeaseStatus) -> &'static str {
    match status {
        LeaseStatus::Applicant => "A",
        LeaseStatus::Future => "P",
        LeaseStatus::Current | LeaseStatus::Notice => "C",
        LeaseStatus::Past => "F",
        LeaseStatus::Cancelled => "X",
    }
}

pub fn lease_info(world: &World, pi: usize, lookback_days: i64, corrupt: bool) -> String {
    let property = &world.properties[pi];
    let leases: Vec<&Lease> = world.leases_of(pi).filter(|l| in_lookback(l, world.today, lookback_days)).collect();
    let mut xml = Xml::inner(256 + leases.len() * 1800);
    open(&mut xml, "getleaseinfo");
    xml.open("GetLeaseInfo", &[("xmlns", "")]);
    xml.open("Leases", &[]);
    let mut first = true;
    for lease in leases {
        let unit = &world.units[lease.unit];
        let head = members(lease)
            .first()
            .and_then(|(_, r)| person_of(world, r))
            .map(|p| format!("{} {}", p.first_name, p.last_name));
        let last = lease.terms.len().saturating_sub(1);
        for (t, term) in lease.terms.iter().enumerate() {
            let current = t == last;
            let (status, word) =
                if current { (lease.status, status_word(lease, lease.status)) } else { (LeaseStatus::Past, "Former") };
            let month_to_month = current && lease.month_to_month;
            xml.open("Lease", &[]);
            xml.text("LeaseID", &term.id.to_string());
            xml.text("ReshID", &household_id(lease));
            xml.text("SiteID", &site_id(property));
            xml.text("UnitID", &unit.id.to_string());
            xml.text("UnitDesignation", &unit.number);
            dotnet(&mut xml, "LeaseBeginDate", Some(term.start));
            dotnet(&mut xml, "LeaseEndDate", Some(term.end));
            xml.text("LeaseTerm", if month_to_month { "1" } else { "12" });
            xml.text("LeaseTermDesc", if month_to_month { "Month-to-Month" } else { "12 Months" });
            xml.text("Rent", &money(term.rent_cents));
            let next = (!current).then(|| lease.terms[t + 1].id.to_string());
            xml.leaf("NextLeaseID", next.as_deref());
            let prior = (t > 0).then(|| lease.terms[t - 1].id.to_string());
            xml.leaf("PriorLeaseID", prior.as_deref());
            xml.text("LeaseStatus", status_code(status));
            xml.text("LeaseStatusText", word);
            let renewal = matches!(term.kind, TermKind::Renewal);
            xml.text("Typecode", if renewal { "2" } else { "1" });
            xml.text("TypeText", if renewal { "Renewal" } else { "Lease" });
            if std::mem::take(&mut first) && corrupt {
                xml.text("MoveInDate", BAD_DATE);
            } else {
                dotnet(&mut xml, "MoveInDate", lease.move_in);
            }
            let scheduled =
                (lease.move_in.is_none() && lease.status == LeaseStatus::Future).then(|| lease.start_date());
            dotnet(&mut xml, "SchedMoveInDate", scheduled);
            dotnet(&mut xml, "AppliedDate", Some(term.applied_on));
            dotnet(&mut xml, "ActiveDate", term.approved_on);
            dotnet(&mut xml, "InactiveDate", if current { lease.move_out } else { Some(term.end) });
            dotnet(&mut xml, "LastRenewalDate", (t > 0).then_some(term.start));
            dotnet(&mut xml, "InitialLeaseDate", lease.terms.first().map(|f| f.start));
            xml.text("CurBal", "0.00");
            xml.text("TotPaid", "0.00");
            xml.text("Evict", "F");
            xml.leaf("HeadofHouseholdName", head.as_deref());
            xml.close("Lease");
        }
    }
    xml.close("Leases");
    xml.close("GetLeaseInfo");
    close(&mut xml, "getleaseinfo");
    xml.finish()
}
