//! A property of 2,000 units is one XML document (Yardi has no paging): it must be read in bounded
//! memory, streaming over the response bytes, never a tree or a second copy of the document.
//!
//! This binary counts heap bytes with a wrapping allocator and checks what reading costs beyond
//! the records it returns: the transient memory (the peak during the read less what is still held
//! after it) must stay below half the document's size, which a DOM of the answer or an unescaped
//! copy of it could not.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{TimeZone, Utc};
use pmsgraph_connector_yardi::map::{self, MapContext};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed through to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which `System` shares.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const UNITS: usize = 2_000;

fn unit_information() -> String {
    let mut doc = String::from(
        r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetUnitInformation_LoginResponse xmlns="http://tempuri.org/YSI.Interfaces.WebServices/ItfResidentTransactions20"><GetUnitInformation_LoginResult><PhysicalProperty xmlns="" xmlns:MITS="http://my-company.com/namespace"><Property>"#,
    );
    for u in 0..UNITS {
        doc.push_str(&format!(
            "\n  <RT_Customer>\n    <CustomerID>t{u:07}</CustomerID>\n    <RT_Unit>\n      <UnitID>{u}</UnitID>\n      <Unit>\n        <MITS:Information>\n          <MITS:UnitID>{u}</MITS:UnitID>\n          <MITS:UnitBedrooms>2</MITS:UnitBedrooms>\n          <MITS:UnitBathrooms>1.500000</MITS:UnitBathrooms>\n          <MITS:MinSquareFeet>900</MITS:MinSquareFeet>\n          <MITS:MarketRent>1450.000000</MITS:MarketRent>\n          <MITS:UnitOccupancyStatus>occupied</MITS:UnitOccupancyStatus>\n          <MITS:FloorplanName>2 Bed 1.5 Bath</MITS:FloorplanName>\n          <MITS:BuildingName>Building {}</MITS:BuildingName>\n        </MITS:Information>\n        <MITS:PropertyPrimaryID>big01</MITS:PropertyPrimaryID>\n      </Unit>\n    </RT_Unit>\n  </RT_Customer>",
            u / 100
        ));
    }
    doc.push_str("</Property></PhysicalProperty></GetUnitInformation_LoginResult></GetUnitInformation_LoginResponse></soap:Body></soap:Envelope>");
    doc
}

fn residents() -> String {
    let mut doc = String::from(
        r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetResidentsResponse xmlns="http://tempuri.org/YSI.Interfaces.WebServices/ItfResidentData"><GetResidentsResult><MITS-ResidentData xmlns=""><PropertyResidents><Residents>"#,
    );
    for u in 0..UNITS {
        doc.push_str(&format!(
            "\n<Resident tCode=\"t{u:07}\"><Status>Current</Status><FirstName>Ann</FirstName><LastName>Diaz{u}</LastName><Email>ann{u}@example.com</Email><Phone><PhoneDescription>Mobile</PhoneDescription><PhoneNumber>3035550{:03}</PhoneNumber></Phone><UnitCode>{u}</UnitCode><Rent>1450.00</Rent><LeaseFromDate>08/01/2024</LeaseFromDate><LeaseToDate>07/31/2025</LeaseToDate><MoveInDate>08/01/2024</MoveInDate><MoveOutDate /><NoticeDate /><OtherOccupants><OtherOccupant Code=\"r{u:07}01\"><FirstName>Bo</FirstName><LastName>Diaz{u}</LastName><Email /><MoveInDate>08/01/2024</MoveInDate><ResponsibleForLease>true</ResponsibleForLease><Relationship>Spouse</Relationship></OtherOccupant></OtherOccupants></Resident>",
            u % 1000
        ));
    }
    doc.push_str("</Residents></PropertyResidents></MITS-ResidentData></GetResidentsResult></GetResidentsResponse></soap:Body></soap:Envelope>");
    doc
}

/// Runs `read` and returns what it returned and its transient heap bytes.
fn transient<T>(read: impl FnOnce() -> T) -> (T, usize) {
    let before = LIVE.load(Ordering::SeqCst);
    PEAK.store(before, Ordering::SeqCst);
    let out = read();
    let after = LIVE.load(Ordering::SeqCst);
    let peak = PEAK.load(Ordering::SeqCst);
    (out, peak.saturating_sub(after.max(before)))
}

#[test]
fn a_2000_unit_property_is_read_streaming() {
    let units_doc = unit_information();
    let (units, extra) = transient(|| map::parse_unit_information(units_doc.as_bytes(), "big01").expect("parses"));
    assert_eq!(units.len(), UNITS);
    assert_eq!(units[1999].remote_id, "big01:1999");
    println!("GetUnitInformation_Login: {} bytes, {} units, {extra} transient bytes", units_doc.len(), units.len());
    assert!(extra < units_doc.len() / 2, "{extra} transient bytes for a {}-byte document", units_doc.len());

    let residents_doc = residents();
    let ctx = MapContext::new(Utc.with_ymd_and_hms(2025, 1, 15, 17, 0, 0).single().expect("an instant"));
    let (tenancies, extra) =
        transient(|| map::parse_residents(residents_doc.as_bytes(), "big01", None, &ctx).expect("parses"));
    assert_eq!(tenancies.leases.len(), UNITS);
    assert_eq!(tenancies.residents.len(), 2 * UNITS);
    println!("GetResidents: {} bytes, {} leases, {extra} transient bytes", residents_doc.len(), tenancies.leases.len());
    assert!(extra < residents_doc.len() / 2, "{extra} transient bytes for a {}-byte document", residents_doc.len());
}
