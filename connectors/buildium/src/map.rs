//! Buildium's records mapped to pmsgraph's normalized records (DESIGN.md, "Normalized model",
//! "Lease status: one vocabulary", "Roles", "Person identity").
//!
//! - Lease status: Active -> CURRENT, or NOTICE when a `MoveOutData` entry gives a notice (or a
//!   move-out date); Future -> FUTURE; Past -> PAST; any other word -> the nearest state by dates,
//!   kept in `remote_status`.
//! - A tenant's own status: MovedOut -> PAST, Future -> FUTURE, Current -> the lease's (CURRENT
//!   or NOTICE); their move-in from `Tenants[].MoveInDate`, move-out from their `MoveOutData`.
//! - Roles: the first tenant -> PRIMARY, other tenants -> CO_APPLICANT, cosigners -> GUARANTOR.
//! - Tenant ids name a person across leases, so they are the residents' remote ids as they are.
//! - Units: bedrooms and bathrooms from their words (`TwoBed`, `OnePointFiveBath`), occupancy from
//!   `IsUnitOccupied`, no floorplan (Buildium has none). Properties: the country word
//!   `UnitedStates` -> `US`, the zone inferred from the address (Buildium gives none).
//! - Phones: the digits of the first number (a leading US `1` dropped).

use chrono::NaiveDate;
use pmsgraph_connector_core::vocab::{LeaseDates, status_by_dates};
use pmsgraph_connector_core::zone::infer_time_zone;
use pmsgraph_connector_core::{
    Address, LeaseStatus, NormalizedLease, NormalizedLeaseResident, NormalizedProperty, NormalizedResident,
    NormalizedUnit, Occupancy, RemoteData, ResidentRole,
};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use crate::error::BuildiumError;
use crate::wire;

/// One record of a page: its typed view and its raw text.
pub type Parsed<T> = (T, Box<RawValue>);

/// Reads a page (a bare JSON array) of `T`; a malformed record fails naming its path.
pub fn parse_page<T: DeserializeOwned>(body: &[u8], endpoint: &str) -> Result<Vec<Parsed<T>>, BuildiumError> {
    let raws: Vec<Box<RawValue>> = serde_json::from_slice(body)
        .map_err(|e| BuildiumError::malformed(endpoint, format!("not a JSON array of records: {e}")))?;
    raws.into_iter()
        .enumerate()
        .map(|(i, raw)| {
            let mut de = serde_json::Deserializer::from_str(raw.get());
            let typed: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
                BuildiumError::malformed(format!("{endpoint}[{i}].{}", e.path()), e.inner().to_string())
            })?;
            Ok((typed, raw))
        })
        .collect()
}

fn text(value: &Option<String>) -> Option<String> {
    value.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

fn required_id(id: Option<i64>, path: &str) -> Result<String, BuildiumError> {
    id.map(|id| id.to_string()).ok_or_else(|| BuildiumError::malformed(path, "missing Id"))
}

fn cents(amount: Option<f64>) -> Option<i64> {
    amount.filter(|a| a.is_finite()).map(|a| (a * 100.0).round() as i64)
}

/// The country word of `AddressMessage` as pmsgraph stores it.
pub fn country(word: &str) -> String {
    match word {
        "UnitedStates" => "US".to_owned(),
        "Canada" => "CA".to_owned(),
        other => other.to_owned(),
    }
}

pub fn property(rental: &wire::Rental, raw: &RawValue) -> Result<NormalizedProperty, BuildiumError> {
    let remote_id = required_id(rental.id, "rentals.Id")?;
    let a = rental.address.clone().unwrap_or_default();
    let address = Address {
        line1: text(&a.address_line1),
        line2: text(&a.address_line2),
        city: text(&a.city),
        state: text(&a.state),
        postal_code: text(&a.postal_code),
        country: text(&a.country).map(|c| country(&c)),
    };
    let time_zone = infer_time_zone(address.state.as_deref(), address.postal_code.as_deref()).map(str::to_owned);
    Ok(NormalizedProperty {
        name: text(&rental.name).unwrap_or_else(|| remote_id.clone()),
        remote_id,
        address,
        time_zone,
        unit_count: rental.number_units.and_then(|n| i32::try_from(n).ok()),
        remote_data: RemoteData::from_raw(raw.to_owned()),
    })
}

/// Bedrooms of a `UnitBedrooms` word.
pub fn bedrooms(word: &str) -> Option<i32> {
    Some(match word {
        "Studio" => 0,
        "OneBed" => 1,
        "TwoBed" => 2,
        "ThreeBed" => 3,
        "FourBed" => 4,
        "FiveBed" => 5,
        "SixBed" => 6,
        "SevenBed" => 7,
        "EightBed" => 8,
        "NineBedPlus" => 9,
        _ => return None,
    })
}

/// Bathrooms of a `UnitBathrooms` word.
pub fn bathrooms(word: &str) -> Option<f64> {
    Some(match word {
        "OneBath" => 1.0,
        "OnePointFiveBath" => 1.5,
        "TwoBath" => 2.0,
        "TwoPointFiveBath" => 2.5,
        "ThreeBath" => 3.0,
        "ThreePointFiveBath" => 3.5,
        "FourBath" => 4.0,
        "FourPointFiveBath" => 4.5,
        "FiveBath" | "FivePlusBath" => 5.0,
        _ => return None,
    })
}

pub fn unit(u: &wire::RentalUnit, raw: &RawValue) -> Result<NormalizedUnit, BuildiumError> {
    let remote_id = required_id(u.id, "rentals/units.Id")?;
    Ok(NormalizedUnit {
        property_remote_id: required_id(u.property_id, "rentals/units.PropertyId")?,
        number: text(&u.unit_number).unwrap_or_else(|| remote_id.clone()),
        remote_id,
        building: text(&u.building_name),
        floorplan: None,
        bedrooms: u.unit_bedrooms.as_deref().and_then(bedrooms),
        bathrooms: u.unit_bathrooms.as_deref().and_then(bathrooms),
        square_feet: u.unit_size.and_then(|n| i32::try_from(n).ok()),
        market_rent_cents: cents(u.market_rent),
        occupancy: match u.is_unit_occupied {
            Some(true) => Occupancy::Occupied,
            Some(false) => Occupancy::Vacant,
            None => Occupancy::Unknown,
        },
        spaces: Vec::new(),
        remote_data: RemoteData::from_raw(raw.to_owned()),
    })
}

/// The digits of a phone number, a leading US country code dropped.
pub fn phone_digits(number: &str) -> Option<String> {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    let digits = match digits.strip_prefix('1') {
        Some(rest) if digits.len() == 11 => rest.to_owned(),
        _ => digits,
    };
    (!digits.is_empty()).then_some(digits)
}

/// A person (tenant or cosigner); `raw` is their own record.
pub fn resident(t: &wire::Tenant, raw: RemoteData, path: &str) -> Result<NormalizedResident, BuildiumError> {
    Ok(NormalizedResident {
        remote_id: required_id(t.id, path)?,
        first_name: text(&t.first_name).unwrap_or_default(),
        last_name: text(&t.last_name).unwrap_or_default(),
        email: text(&t.email),
        phone: t.phone_numbers.iter().flatten().find_map(|p| p.number.as_deref().and_then(phone_digits)),
        remote_data: raw,
    })
}

/// A lease, and its cosigners as residents (their records are only on the lease).
pub fn lease(
    l: &wire::Lease,
    raw: &RawValue,
    today: NaiveDate,
) -> Result<(NormalizedLease, Vec<NormalizedResident>), BuildiumError> {
    let remote_id = required_id(l.id, "leases.Id")?;
    let move_outs = l.move_out_data.as_deref().unwrap_or_default();
    let notice = move_outs.iter().filter_map(|m| m.notice_given_date).min();
    let move_out = move_outs.iter().filter_map(|m| m.move_out_date).max();
    // Tenants in Buildium's order; without `Tenants`, the order of `CurrentTenants`.
    let tenants: Vec<wire::LeaseTenant> = match &l.tenants {
        Some(t) if !t.is_empty() => t.clone(),
        _ => l
            .current_tenants
            .iter()
            .flatten()
            .map(|t| wire::LeaseTenant { id: t.id, status: None, move_in_date: None })
            .collect(),
    };
    let move_in = tenants.iter().filter_map(|t| t.move_in_date).min();
    let month_to_month = l.term_type.as_deref() == Some("MonthToMonth") || l.lease_type.as_deref() == Some("AtWill");
    let word = text(&l.lease_status);
    let status = match word.as_deref() {
        Some("Active") if notice.is_some() || move_out.is_some() => LeaseStatus::Notice,
        Some("Active") => LeaseStatus::Current,
        Some("Future") => LeaseStatus::Future,
        Some("Past") => LeaseStatus::Past,
        _ => {
            let dates = LeaseDates { start: l.lease_from_date, end: l.lease_to_date, move_in, move_out, notice };
            status_by_dates(&dates, month_to_month, today)
        }
    };
    let mut residents = Vec::new();
    for (i, t) in tenants.iter().enumerate() {
        let id = required_id(t.id, &format!("leases.Tenants[{i}].Id"))?;
        let person_status = match t.status.as_deref() {
            Some("MovedOut") => LeaseStatus::Past,
            Some("Future") => LeaseStatus::Future,
            Some("Current") if matches!(status, LeaseStatus::Current | LeaseStatus::Notice) => status,
            Some("Current") => LeaseStatus::Current,
            _ => status,
        };
        let own = move_outs.iter().find(|m| m.tenant_id == t.id);
        residents.push(NormalizedLeaseResident {
            resident_remote_id: id,
            role: if i == 0 { ResidentRole::Primary } else { ResidentRole::CoApplicant },
            move_in_date: t.move_in_date,
            move_out_date: own.and_then(|m| m.move_out_date),
            status: person_status,
            remote_data: RemoteData::null(),
        });
    }
    let raw_value: serde_json::Value = serde_json::from_str(raw.get()).unwrap_or_default();
    let mut cosigners = Vec::new();
    for (i, c) in l.cosigners.iter().flatten().enumerate() {
        let own = raw_value.get("Cosigners").and_then(|v| v.get(i)).map(RemoteData::from_value);
        let person = resident(c, own.unwrap_or_else(RemoteData::null), &format!("leases.Cosigners[{i}].Id"))?;
        residents.push(NormalizedLeaseResident::new(person.remote_id.clone(), ResidentRole::Guarantor, status));
        cosigners.push(person);
    }
    let lease = NormalizedLease {
        property_remote_id: required_id(l.property_id, "leases.PropertyId")?,
        unit_remote_id: l.unit_id.map(|u| u.to_string()),
        unit_space_remote_id: None,
        status,
        remote_status: word,
        start_date: l.lease_from_date,
        end_date: l.lease_to_date,
        move_in_date: move_in,
        move_out_date: move_out,
        notice_date: notice,
        rent_cents: cents(l.account_details.as_ref().and_then(|a| a.rent)),
        is_month_to_month: month_to_month,
        residents,
        remote_data: RemoteData::from_raw(raw.to_owned()),
        remote_id,
    };
    Ok((lease, cosigners))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_numbers_map() {
        assert_eq!(bedrooms("TwoBed"), Some(2));
        assert_eq!(bedrooms("NotSet"), None);
        assert_eq!(bathrooms("OnePointFiveBath"), Some(1.5));
        assert_eq!(phone_digits("(303) 555-0123").as_deref(), Some("3035550123"));
        assert_eq!(phone_digits("+1 303 555 0123").as_deref(), Some("3035550123"));
        assert_eq!(phone_digits("ext."), None);
        assert_eq!(country("UnitedStates"), "US");
    }

    #[test]
    fn a_wrong_type_names_its_path() {
        let err = parse_page::<wire::Lease>(br#"[{"Id": 1}, {"Id": true}]"#, "/v1/leases").expect_err("malformed");
        assert_eq!(err.code(), "BUILDIUM_MALFORMED_RESPONSE");
        assert!(err.to_string().contains("/v1/leases[1].Id"), "{err}");
        let err = parse_page::<wire::Lease>(b"{}", "/v1/leases").expect_err("not an array");
        assert!(err.to_string().contains("not a JSON array"), "{err}");
    }

    #[test]
    fn an_active_lease_with_a_notice_is_notice() {
        let body = br#"[{"Id": 5, "PropertyId": 1, "UnitId": 2, "LeaseStatus": "Active",
            "Tenants": [{"Id": 7, "Status": "Current", "MoveInDate": "2024-01-01"}, {"Id": 8, "Status": "Current"}],
            "MoveOutData": [{"TenantId": 7, "MoveOutDate": "2025-03-31", "NoticeGivenDate": "2025-02-01"}],
            "Cosigners": [{"Id": 9, "FirstName": "Pat", "LastName": "Doe"}]}]"#;
        let page = parse_page::<wire::Lease>(body, "/v1/leases").expect("parses");
        let today = NaiveDate::from_ymd_opt(2025, 2, 10).expect("a date");
        let (lease, cosigners) = lease(&page[0].0, &page[0].1, today).expect("maps");
        assert_eq!(lease.status, LeaseStatus::Notice);
        assert_eq!(lease.remote_status.as_deref(), Some("Active"));
        assert_eq!(lease.notice_date, NaiveDate::from_ymd_opt(2025, 2, 1));
        let roles: Vec<_> = lease.residents.iter().map(|r| (r.resident_remote_id.as_str(), r.role, r.status)).collect();
        assert_eq!(
            roles,
            [
                ("7", ResidentRole::Primary, LeaseStatus::Notice),
                ("8", ResidentRole::CoApplicant, LeaseStatus::Notice),
                ("9", ResidentRole::Guarantor, LeaseStatus::Notice),
            ]
        );
        assert_eq!(cosigners.len(), 1);
        assert_eq!(cosigners[0].first_name, "Pat");
    }
}
