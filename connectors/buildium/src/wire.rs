//! Buildium's records as serde types: the fields of `RentalMessage`, `RentalUnitMessage`,
//! `LeaseMessage` and `TenantMessage` (OpenAPI document in `shared/fixtures/pms/buildium`) that the
//! mapping reads.
//!
//! Read leniently: every field is optional and `null` is taken as absent (the schemas forbid
//! nulls, yet the schema-derived examples carry them, as real answers may), and unknown fields are
//! ignored. Only a field of the wrong type fails, naming its path.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Address {
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub address_line3: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PhoneNumber {
    pub number: Option<String>,
    #[serde(rename = "Type")]
    pub kind: Option<String>,
}

/// `RentalMessage`: a rental property.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Rental {
    pub id: Option<i64>,
    pub name: Option<String>,
    pub number_units: Option<i64>,
    pub is_active: Option<bool>,
    pub address: Option<Address>,
}

/// `RentalUnitMessage`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RentalUnit {
    pub id: Option<i64>,
    pub property_id: Option<i64>,
    pub building_name: Option<String>,
    pub unit_number: Option<String>,
    pub market_rent: Option<f64>,
    pub unit_bedrooms: Option<String>,
    pub unit_bathrooms: Option<String>,
    pub unit_size: Option<i64>,
    pub is_unit_occupied: Option<bool>,
}

/// `TenantMessage` (and the person fields of `CosignerMessage`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Tenant {
    pub id: Option<i64>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone_numbers: Option<Vec<PhoneNumber>>,
}

/// `LeaseTenantMessage`: a tenant's standing on one lease.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct LeaseTenant {
    pub id: Option<i64>,
    pub status: Option<String>,
    pub move_in_date: Option<NaiveDate>,
}

/// `LeaseMoveOutDataMessage`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct MoveOutData {
    pub tenant_id: Option<i64>,
    pub move_out_date: Option<NaiveDate>,
    pub notice_given_date: Option<NaiveDate>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AccountDetails {
    pub rent: Option<f64>,
}

/// `LeaseMessage`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Lease {
    pub id: Option<i64>,
    pub property_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub unit_number: Option<String>,
    pub lease_from_date: Option<NaiveDate>,
    pub lease_to_date: Option<NaiveDate>,
    pub lease_type: Option<String>,
    pub lease_status: Option<String>,
    pub term_type: Option<String>,
    pub current_tenants: Option<Vec<Tenant>>,
    pub account_details: Option<AccountDetails>,
    pub cosigners: Option<Vec<Tenant>>,
    pub last_updated_date_time: Option<DateTime<Utc>>,
    pub move_out_data: Option<Vec<MoveOutData>>,
    pub tenants: Option<Vec<LeaseTenant>>,
}
