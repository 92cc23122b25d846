//! The Entrata simulator: the sandbox world in Entrata's JSON-RPC wire format, as the fixtures in
//! `shared/fixtures/pms/entrata` and their README show it (DESIGN.md, "Built-in sandbox PMSs").
//!
//! Written from its own code, never from the Entrata connector's, so that a connector bug is not
//! mirrored here.
//!
//! # Endpoints
//!
//! Mounted under `/sandbox/entrata`:
//! - `POST /api/v1/{module}`: the legacy host (`https://{org}.entrata.com/api/v1/{module}`).
//! - `POST /ext/orgs/{org}/v1/{module}`: the API gateway (`https://apis.entrata.com/ext/orgs/{org}/v1/{module}`).
//!
//! Both accept HTTP Basic auth and the `X-Api-Key` header (see [`crate::faults`] for the sandbox
//! credentials). The body is `{"auth":{..},"requestId":..,"method":{"name":..,"version":..,"params":{..}}}`.
//!
//! | module | method | params |
//! |---|---|---|
//! | `status` | getStatus | - |
//! | `properties` | getProperties | `propertyIds` (optional, comma-separated) |
//! | `propertyunits` | getPropertyUnits | `propertyIds` (optional), `availableUnitsOnly` (0/1) |
//! | `leases` | getLeases | `propertyId` (required), `leaseStatusTypeIds` (default all six), `leaseIds`, `unitId`, `customerId` |
//! | `customers` | getCustomers | `propertyId` (required), `customerIds` |
//!
//! getLeases and getCustomers page with the gateway's query string `?page_no=N&per_page=M`
//! (per_page at most 1000, default: everything on one page); their result always carries
//! `"meta":{"currentPage","lastPage","perPage","total"}`. Params accept numbers or numeric strings.
//!
//! # Wire quirks reproduced
//!
//! Success is `{"response":{"requestId","code":200,"result":{..}}}`; errors are HTTP 200 with
//! `{"response":{"requestId","error":{"code","message"}}}` (only the injected 429 and 503 use HTTP
//! statuses). `requestId` is echoed as sent (string or number). XML-to-JSON: where Entrata's XML
//! has a repeatable element, one child comes back as an object and several as an array
//! (`leases.lease`, `customers.customer`, `unitSpaces.unitSpace`, `units.unit`,
//! `properties.property`, `PhysicalProperty.Property`, `Customers.Customer`); the lists the
//! captures show as arrays even with one item (`leaseIntervals.leaseInterval`,
//! `scheduledCharges.scheduledCharge`, `leaseActivities.leasesActivity`, `LeaseId.Identification`,
//! `LeaseId.CustomerType`, `LeaseTerms.LeaseTerm`) stay arrays. Ids are strings in getLeases'
//! lease and `@attributes.Id`, numbers elsewhere, as in the fixtures. Absent values are omitted
//! keys. getLeases dates are `YYYY-MM-DD`; getProperties and getCustomers dates `MM/DD/YYYY`.
//! "Today" is the Mountain-Time date of the step's instant (Entrata's clock).
//!
//! # Fields beyond the fixtures
//!
//! The fixtures are trimmed captures; a few fields the normalized model needs and the captures do
//! not show are added in Entrata's own style: `unitSpaces.unitSpace.rent.{minRent,maxRent}`
//! (market rent), `customers.customer.moveOutDate`, and the lease activities `Notice Given`,
//! `Scheduled Move Out` and `Actual Move Out` (beside the captured `Actual Move In`). Every unit
//! has at least one unit space: an ordinary unit has one, numbered like the unit; a student unit
//! has one per bed (`512-A`...). Unit occupancy is `availabilityStatus` `Occupied` / `Unoccupied`.
//!
//! # Error codes
//!
//! Invented in the families Entrata documents (1xx, 3xx, 4xx, 5xx), stable for connector tests:
//! see the `CODE_*` constants.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use chrono::NaiveDate;
use pmsgraph_connector_core::Resource;
use pmsgraph_connector_core::vocab::{LeaseStatus, ResidentRole};
use serde_json::{Map, Value, json};

use crate::faults::{CredentialError, Profile, SANDBOX_PASSWORD};
use crate::state::SandboxState;
use crate::world::{Lease, Property, PropertyKind, TermKind, Unit, World, status_word};

/// The request body is not a JSON-RPC request.
pub const CODE_INVALID_REQUEST: i64 = 100;
/// Missing or wrong credentials.
pub const CODE_AUTH_FAILED: i64 = 110;
/// The API user may not call this service (a `deny=` credential).
pub const CODE_PERMISSION_DENIED: i64 = 113;
/// Unknown method, or a method of another module.
pub const CODE_UNKNOWN_METHOD: i64 = 301;
/// A missing or invalid parameter (or paging value).
pub const CODE_INVALID_PARAMETER: i64 = 302;
/// The injected rate limit (HTTP 429).
pub const CODE_RATE_LIMITED: i64 = 429;
/// The injected outage (HTTP 503).
pub const CODE_UNAVAILABLE: i64 = 503;

/// The most records one page may hold.
pub const MAX_PER_PAGE: usize = 1000;

/// The routes, to be nested under `/sandbox/entrata`.
pub fn routes() -> Router<SandboxState> {
    Router::new().route("/api/v1/{module}", post(legacy)).route("/ext/orgs/{org}/v1/{module}", post(gateway))
}

async fn legacy(
    State(state): State<SandboxState>,
    Path(module): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    serve(&state, &module, query.as_deref(), &headers, &body).await
}

async fn gateway(
    State(state): State<SandboxState>,
    Path((_org, module)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    serve(&state, &module, query.as_deref(), &headers, &body).await
}

/// An Entrata error answer.
#[derive(Debug)]
struct Failure {
    http: StatusCode,
    code: i64,
    message: String,
}

impl Failure {
    fn new(code: i64, message: impl Into<String>) -> Self {
        Failure { http: StatusCode::OK, code, message: message.into() }
    }

    fn param(message: impl Into<String>) -> Self {
        Failure::new(CODE_INVALID_PARAMETER, message)
    }
}

fn envelope(request_id: Option<&Value>, inner: Map<String, Value>) -> Value {
    let mut response = Map::new();
    if let Some(id) = request_id {
        response.insert("requestId".into(), id.clone());
    }
    response.extend(inner);
    json!({ "response": response })
}

fn error_response(request_id: Option<&Value>, failure: Failure) -> Response {
    let mut inner = Map::new();
    inner.insert("error".into(), json!({ "code": failure.code, "message": failure.message }));
    let mut response = (failure.http, axum::Json(envelope(request_id, inner))).into_response();
    if failure.http == StatusCode::TOO_MANY_REQUESTS {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

/// The method's module and the resource its permission belongs to.
fn method_info(name: &str) -> Option<(&'static str, Option<Resource>)> {
    Some(match name {
        "getStatus" => ("status", None),
        "getProperties" => ("properties", Some(Resource::Properties)),
        "getPropertyUnits" => ("propertyunits", Some(Resource::Units)),
        "getLeases" => ("leases", Some(Resource::Leases)),
        "getCustomers" => ("customers", Some(Resource::Residents)),
        _ => return None,
    })
}

/// The credential string and its profile, from `X-Api-Key` or Basic auth.
fn credential(headers: &HeaderMap) -> Result<(String, Profile), Failure> {
    let refuse = |e: CredentialError| Failure::new(CODE_AUTH_FAILED, format!("Authentication failed: {e}."));
    if let Some(key) = headers.get("x-api-key") {
        let key = key.to_str().map_err(|_| refuse(CredentialError::NotSandbox))?.trim().to_owned();
        let profile = key.parse::<Profile>().map_err(refuse)?;
        return Ok((key, profile));
    }
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic ")))
        .ok_or_else(|| {
            Failure::new(CODE_AUTH_FAILED, "Authentication failed: no credentials (Basic auth or X-Api-Key).")
        })?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(basic.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| Failure::new(CODE_AUTH_FAILED, "Authentication failed: malformed Basic credentials."))?;
    // Split at the last colon: sandbox usernames may hold one (`malformed=getLeases:2`) and the
    // sandbox password holds none. RFC 7617 forbids colons in user-ids, but clients send them as is.
    let (user, password) = decoded.rsplit_once(':').unwrap_or((decoded.as_str(), ""));
    let profile = user.parse::<Profile>().map_err(refuse)?;
    if password != SANDBOX_PASSWORD {
        return Err(refuse(CredentialError::WrongPassword));
    }
    Ok((user.to_owned(), profile))
}

/// Paging from the query string: `(page_no, per_page)`, `per_page` None for "everything".
fn paging(query: Option<&str>) -> Result<(usize, Option<usize>), Failure> {
    let mut page = 1usize;
    let mut per_page = None;
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let number = || value.parse::<usize>().ok().filter(|n| *n >= 1);
        match key {
            "page_no" => page = number().ok_or_else(|| Failure::param(format!("Invalid page_no `{value}`.")))?,
            "per_page" => {
                per_page = Some(number().ok_or_else(|| Failure::param(format!("Invalid per_page `{value}`.")))?);
            }
            _ => {}
        }
    }
    Ok((page, per_page.map(|n| n.min(MAX_PER_PAGE))))
}

async fn serve(state: &SandboxState, module: &str, query: Option<&str>, headers: &HeaderMap, body: &[u8]) -> Response {
    let request: Option<Value> = serde_json::from_slice(body).ok();
    let request_id = request.as_ref().and_then(|r| r.get("requestId")).filter(|v| v.is_string() || v.is_number());
    match answer(state, module, query, headers, request.as_ref()).await {
        Ok(result) => {
            let mut inner = Map::new();
            inner.insert("code".into(), json!(200));
            inner.insert("result".into(), result);
            axum::Json(envelope(request_id, inner)).into_response()
        }
        Err(failure) => error_response(request_id, failure),
    }
}

async fn answer(
    state: &SandboxState,
    module: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    request: Option<&Value>,
) -> Result<Value, Failure> {
    let (credential, profile) = credential(headers)?;
    if let Some(delay) = profile.slow {
        tokio::time::sleep(delay).await;
    }
    let request = request
        .filter(|r| r.is_object())
        .ok_or_else(|| Failure::new(CODE_INVALID_REQUEST, "Invalid request: the body is not a JSON object."))?;
    let name = request
        .pointer("/method/name")
        .and_then(Value::as_str)
        .ok_or_else(|| Failure::new(CODE_INVALID_REQUEST, "Invalid request: method.name is missing."))?;
    let (home, resource) = method_info(name)
        .ok_or_else(|| Failure::new(CODE_UNKNOWN_METHOD, format!("Method `{name}` is not supported.")))?;
    if home != module {
        return Err(Failure::new(
            CODE_UNKNOWN_METHOD,
            format!("Method `{name}` is not available in module `{module}`."),
        ));
    }
    if profile.rate_limit && state.faults().first_time(&credential, "ratelimit", name) {
        return Err(Failure {
            http: StatusCode::TOO_MANY_REQUESTS,
            code: CODE_RATE_LIMITED,
            message: "Too many requests: rate limit exceeded, retry after 1 second.".into(),
        });
    }
    if profile.flaky && state.faults().first_time(&credential, "flaky", name) {
        return Err(Failure {
            http: StatusCode::SERVICE_UNAVAILABLE,
            code: CODE_UNAVAILABLE,
            message: "Service temporarily unavailable.".into(),
        });
    }
    if resource.is_some_and(|r| profile.denies(r)) {
        return Err(Failure::new(
            CODE_PERMISSION_DENIED,
            format!("Permission denied: the API user is not allowed to access the service `{name}`."),
        ));
    }
    let empty = Map::new();
    let params = match request.pointer("/method/params") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(params)) => params,
        // XML-born clients send `"params": []` or `""` when there are none.
        Some(Value::Array(a)) if a.is_empty() => &empty,
        Some(Value::String(s)) if s.is_empty() => &empty,
        Some(_) => return Err(Failure::new(CODE_INVALID_REQUEST, "Invalid request: method.params must be an object.")),
    };
    let world = state.world().await;
    let (page, per_page) = paging(query)?;
    let (mut result, served_page) = match name {
        "getStatus" => (json!({ "status": "Success", "message": "API service is available and running." }), 1),
        "getProperties" => (get_properties(&world, params)?, 1),
        "getPropertyUnits" => (get_property_units(&world, params)?, 1),
        "getLeases" => (get_leases(&world, params, page, per_page)?, page),
        "getCustomers" => (get_customers(&world, params, page, per_page)?, page),
        _ => return Err(Failure::new(CODE_UNKNOWN_METHOD, format!("Method `{name}` is not supported."))),
    };
    let served_page = u32::try_from(served_page).unwrap_or(u32::MAX);
    if profile.malformed_page(name, served_page) {
        corrupt(name, &mut result);
    }
    Ok(result)
}

/// Gives the first record of a result a field of the wrong type (a boolean where an id goes).
fn corrupt(method: &str, result: &mut Value) {
    fn first(v: &mut Value) -> Option<&mut Map<String, Value>> {
        match v {
            Value::Array(items) => items.first_mut().and_then(Value::as_object_mut),
            Value::Object(map) => Some(map),
            _ => None,
        }
    }
    let target = match method {
        "getStatus" => result.as_object_mut().map(|m| (m, "status")),
        "getProperties" => result.pointer_mut("/PhysicalProperty/Property").and_then(first).map(|m| (m, "PropertyID")),
        "getPropertyUnits" => result
            .pointer_mut("/properties/property")
            .and_then(first)
            .and_then(|p| p.get_mut("units"))
            .and_then(|u| u.get_mut("unit"))
            .and_then(first)
            .map(|m| (m, "id")),
        "getLeases" => result.pointer_mut("/leases/lease").and_then(first).map(|m| (m, "id")),
        "getCustomers" => result
            .pointer_mut("/Customers/Customer")
            .and_then(first)
            .and_then(|c| c.get_mut("@attributes"))
            .and_then(Value::as_object_mut)
            .map(|m| (m, "Id")),
        _ => None,
    };
    if let Some((record, field)) = target {
        record.insert(field.to_owned(), Value::Bool(true));
    }
}

// ----- parameters -----

/// A single id: a number, or a string of digits.
fn param_id(params: &Map<String, Value>, key: &str) -> Result<Option<u64>, Failure> {
    match params.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::Number(n)) => n.as_u64().map(Some).ok_or_else(|| Failure::param(format!("Invalid {key}."))),
        Some(Value::String(s)) => {
            s.trim().parse().map(Some).map_err(|_| Failure::param(format!("Invalid {key} `{s}`.")))
        }
        Some(_) => Err(Failure::param(format!("Invalid {key}."))),
    }
}

/// A comma-separated list of ids (or one number).
fn param_ids(params: &Map<String, Value>, key: &str) -> Result<Option<BTreeSet<u64>>, Failure> {
    match params.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            n.as_u64().map(|n| Some(BTreeSet::from([n]))).ok_or_else(|| Failure::param(format!("Invalid {key}.")))
        }
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s
            .split(',')
            .map(|part| part.trim().parse::<u64>().map_err(|_| Failure::param(format!("Invalid {key} `{s}`."))))
            .collect::<Result<BTreeSet<_>, _>>()
            .map(Some),
        Some(_) => Err(Failure::param(format!("Invalid {key}."))),
    }
}

fn param_flag(params: &Map<String, Value>, key: &str) -> Result<bool, Failure> {
    Ok(param_id(params, key)?.is_some_and(|n| n != 0))
}

fn required_property<'w>(world: &'w World, params: &Map<String, Value>) -> Result<(usize, &'w Property), Failure> {
    let id = param_id(params, "propertyId")?.ok_or_else(|| Failure::param("propertyId is required."))?;
    world.property_by_id(id).ok_or_else(|| Failure::param(format!("Invalid propertyId {id}.")))
}

// ----- value helpers -----

/// XML-to-JSON: nothing, one object, or an array.
fn one_or_many(mut items: Vec<Value>) -> Option<Value> {
    match items.len() {
        0 => None,
        1 => items.pop(),
        _ => Some(Value::Array(items)),
    }
}

/// `{ name: one_or_many(items) }`, or None when there are no items.
fn wrap(name: &str, items: Vec<Value>) -> Option<Value> {
    one_or_many(items).map(|v| json!({ name: v }))
}

fn put(map: &mut Map<String, Value>, key: &str, value: impl Into<Value>) {
    map.insert(key.to_owned(), value.into());
}

fn put_opt(map: &mut Map<String, Value>, key: &str, value: Option<impl Into<Value>>) {
    if let Some(value) = value {
        map.insert(key.to_owned(), value.into());
    }
}

fn iso(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

fn us(date: NaiveDate) -> String {
    date.format("%m/%d/%Y").to_string()
}

/// Cents as Entrata writes amounts: "1035.00".
fn amount(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, (cents % 100).abs())
}

/// A whole number as an integer, a half as a float (1.5 baths).
fn number(value: f64) -> Value {
    if value.fract() == 0.0 {
        // Bathroom counts are small; the cast cannot truncate.
        json!(value as i64)
    } else {
        json!(value)
    }
}

/// XML-to-JSON turns digit-only text into numbers: "02115" comes back as 2115.
fn numeric_text(text: &str) -> Value {
    text.parse::<u64>().map(Value::from).unwrap_or_else(|_| Value::from(text))
}

pub fn lease_status_type_id(status: LeaseStatus) -> u8 {
    match status {
        LeaseStatus::Applicant => 1,
        LeaseStatus::Cancelled => 2,
        LeaseStatus::Future => 3,
        LeaseStatus::Current => 4,
        LeaseStatus::Notice => 5,
        LeaseStatus::Past => 6,
    }
}

fn status_from_type_id(id: u64) -> Option<LeaseStatus> {
    Some(match id {
        1 => LeaseStatus::Applicant,
        2 => LeaseStatus::Cancelled,
        3 => LeaseStatus::Future,
        4 => LeaseStatus::Current,
        5 => LeaseStatus::Notice,
        6 => LeaseStatus::Past,
        _ => return None,
    })
}

/// Entrata's customerType for a role. Both spellings of co-applicants and occupants occur, so
/// connectors meet each (DESIGN.md, "Roles").
pub fn customer_type(role: ResidentRole, lease_id: u64, person_id: u64) -> &'static str {
    let alternate = (lease_id + person_id) % 2 == 1;
    match role {
        ResidentRole::Primary => "Primary",
        ResidentRole::CoApplicant if alternate => "Co-Applicant",
        ResidentRole::CoApplicant => "Responsible",
        ResidentRole::Occupant if alternate => "Non-Responsible",
        ResidentRole::Occupant => "Occupant",
        ResidentRole::Guarantor => "Guarantor",
    }
}

/// Pages `items` and returns the page with its `meta` block.
fn page_of<T>(items: Vec<T>, page: usize, per_page: Option<usize>) -> (Vec<T>, Value) {
    let total = items.len();
    let per = per_page.unwrap_or(total.max(1));
    let last = total.div_ceil(per).max(1);
    let skip = (page - 1).saturating_mul(per);
    let items: Vec<T> = items.into_iter().skip(skip).take(per).collect();
    let meta = json!({ "currentPage": page, "lastPage": last, "perPage": per, "total": total });
    (items, meta)
}

// ----- getProperties -----

fn get_properties(world: &World, params: &Map<String, Value>) -> Result<Value, Failure> {
    let wanted = param_ids(params, "propertyIds")?;
    let properties: Vec<Value> = world
        .properties
        .iter()
        .filter(|p| wanted.as_ref().is_none_or(|w| w.contains(&p.id)))
        .map(|p| property_json(world, p))
        .collect();
    let mut physical = Map::new();
    put_opt(&mut physical, "Property", one_or_many(properties));
    Ok(json!({ "PhysicalProperty": physical }))
}

fn property_json(world: &World, p: &Property) -> Value {
    let student = p.kind == PropertyKind::Student;
    let city = &p.city;
    let postal = |kind: &str| {
        json!({
            "AddressType": kind, "Address": p.street, "City": city.name, "StateCode": city.state,
            "PostalCode": city.postal_code, "Country": "US",
        })
    };
    let post_month = world.today.format("%m/%Y").to_string();
    let mut m = Map::new();
    put(&mut m, "PropertyID", p.id);
    put(&mut m, "MarketingName", p.name.clone());
    put(&mut m, "Type", if student { "Student" } else { "Apartment" });
    put(&mut m, "webSite", p.website.clone());
    put(
        &mut m,
        "Address",
        json!({
            "@attributes": { "AddressType": "property" },
            "Address": p.street, "City": city.name, "State": city.state,
            "PostalCode": city.postal_code, "Country": "US", "Email": p.email,
        }),
    );
    put(&mut m, "Addresses", json!({ "Address": [postal("Primary"), postal("Mailing")] }));
    put(
        &mut m,
        "Phone",
        json!({ "PhoneNumber": p.phone, "@attributes": { "PhoneType": "primary" }, "PhoneDescription": "Primary" }),
    );
    put(
        &mut m,
        "PostMonths",
        json!({ "ArPostMonth": post_month, "ApPostMonth": post_month, "GlPostMonth": post_month }),
    );
    let mut hours: Vec<Value> = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
        .into_iter()
        .map(|day| json!({ "Day": day, "AvailabilityType": "Open", "OpenTime": "9:00 AM", "CloseTime": "6:00 PM" }))
        .collect();
    hours
        .push(json!({ "Day": "Saturday", "AvailabilityType": "Open", "OpenTime": "10:00 AM", "CloseTime": "5:00 PM" }));
    hours.push(json!({ "Day": "Sunday", "AvailabilityType": "By Appointment Only" }));
    put(&mut m, "PropertyHours", json!({ "OfficeHours": { "OfficeHour": hours } }));
    put(&mut m, "IsDisabled", 0);
    put(&mut m, "IsFeaturedProperty", 0);
    let mut term = json!({ "Id": 11_000 + p.id % 1000, "Name": "12 Months", "TermMonths": 12, "IsProspect": true, "IsRenewal": true });
    if student {
        put(
            &mut m,
            "SpaceOptions",
            json!({ "SpaceOption": [
                { "Id": "2", "Name": "Private" }, { "Id": "3", "Name": "Shared" }, { "Id": "22", "Name": "Per Bedroom" },
            ] }),
        );
        // The academic year that starts next August.
        let year = chrono::Datelike::year(&world.today);
        let start = NaiveDate::from_ymd_opt(year, 8, 17).unwrap_or(world.today);
        let end = NaiveDate::from_ymd_opt(year + 1, 7, 31).unwrap_or(world.today);
        term = json!({
            "Id": 11_000 + p.id % 1000, "Name": format!("{}/{}", year, year + 1), "TermMonths": 12,
            "IsProspect": true, "IsRenewal": true,
            "LeaseStartWindows": { "LeaseStartWindow": [
                { "Id": 9_000 + p.id % 1000, "WindowStartDate": us(start), "WindowEndDate": us(end) },
            ] },
        });
    }
    put(&mut m, "LeaseTerms", json!({ "LeaseTerm": [term] }));
    Value::Object(m)
}

// ----- getPropertyUnits -----

fn get_property_units(world: &World, params: &Map<String, Value>) -> Result<Value, Failure> {
    let wanted = param_ids(params, "propertyIds")?;
    let available_only = param_flag(params, "availableUnitsOnly")?;
    let occupied = world.occupied_slots();
    let mut occupants: HashMap<(usize, Option<usize>), usize> = HashMap::new();
    for lease in world.leases.iter().filter(|l| l.is_occupying()) {
        let living = lease.residents.iter().filter(|r| r.role != ResidentRole::Guarantor).count();
        *occupants.entry((lease.unit, lease.space)).or_default() += living;
    }
    let mut properties = Vec::new();
    for (pi, p) in world.properties.iter().enumerate() {
        if wanted.as_ref().is_some_and(|w| !w.contains(&p.id)) {
            continue;
        }
        let mut units = Vec::new();
        for (offset, unit) in world.units_of(pi).iter().enumerate() {
            let ui = p.units.start + offset;
            let slots: Vec<Option<usize>> =
                if unit.spaces.is_empty() { vec![None] } else { (0..unit.spaces.len()).map(Some).collect() };
            let free = slots.iter().any(|s| !occupied.contains(&(ui, *s)));
            if available_only && !free {
                continue;
            }
            let people: usize = slots.iter().map(|s| occupants.get(&(ui, *s)).copied().unwrap_or(0)).sum();
            units.push(unit_json(p, unit, ui, &occupied, people));
        }
        let mut m = Map::new();
        put(&mut m, "propertyId", p.id);
        put(&mut m, "propertyName", p.name.clone());
        put(&mut m, "remotePrimaryKey", "");
        put(&mut m, "unitCount", p.units.len());
        put(&mut m, "buildingCount", p.buildings.len());
        put(&mut m, "propertyAvailabilityURL", p.website.clone());
        put_opt(&mut m, "units", wrap("unit", units));
        properties.push(Value::Object(m));
    }
    let mut result = Map::new();
    put_opt(&mut result, "properties", wrap("property", properties));
    Ok(Value::Object(result))
}

fn unit_json(
    p: &Property,
    unit: &Unit,
    ui: usize,
    occupied: &std::collections::HashSet<(usize, Option<usize>)>,
    people: usize,
) -> Value {
    let fp = &p.floorplans[unit.floorplan];
    let building = &p.buildings[unit.building];
    let space = |id: u64, number: &str, rent: i64, is_occupied: bool, configuration: Option<&str>| {
        let mut s = Map::new();
        put(&mut s, "unitSpaceId", id);
        put(&mut s, "unitNumber", number);
        put(&mut s, "isAffordable", 0);
        put(&mut s, "hasPricing", 1);
        put(&mut s, "excludedReason", "");
        put_opt(&mut s, "spaceConfiguration", configuration);
        put(&mut s, "availabilityStatus", if is_occupied { "Occupied" } else { "Unoccupied" });
        put(&mut s, "availableDate", "");
        put(&mut s, "makeReadyDate", "");
        put(&mut s, "minDeposit", "0.00");
        put(&mut s, "maxDeposit", "0.00");
        put(&mut s, "reserveUntil", "");
        put(&mut s, "rent", json!({ "minRent": amount(rent), "maxRent": amount(rent) }));
        Value::Object(s)
    };
    let spaces: Vec<Value> = if unit.spaces.is_empty() {
        vec![space(unit.space_id, &unit.number, unit.market_rent_cents, occupied.contains(&(ui, None)), None)]
    } else {
        unit.spaces
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let configuration = if i % 2 == 0 { "Private Bathroom" } else { "Shared Bathroom" };
                space(s.id, &s.name, s.rent_cents, occupied.contains(&(ui, Some(i))), Some(configuration))
            })
            .collect()
    };
    let mut m = Map::new();
    put(&mut m, "id", unit.id);
    put(&mut m, "unitNumber", unit.number.clone());
    put(&mut m, "buildingId", building.id);
    put(&mut m, "buildingName", building.name.clone());
    put(&mut m, "floorplanId", fp.id);
    put(&mut m, "floorplanName", fp.name);
    put(&mut m, "unitTypeId", fp.id - 500_000);
    put(&mut m, "unitTypeName", format!("{}x{}", fp.bedrooms, fp.half_baths / 2));
    put(&mut m, "noOfBedrooms", fp.bedrooms);
    put(&mut m, "noOfBathrooms", number(fp.bathrooms()));
    put(&mut m, "squareFeet", unit.square_feet);
    put(&mut m, "isFurnished", u8::from(p.kind == PropertyKind::Student));
    put(&mut m, "isCorportateRented", 0);
    put(&mut m, "numberOccupants", people);
    put(&mut m, "maxPets", 2);
    put(&mut m, "unitAvailabilityURL", format!("{}unit/{}", p.website, unit.id));
    put(
        &mut m,
        "unitAddress",
        json!({
            "address": p.street, "city": p.city.name, "state": p.city.state,
            "postalCode": numeric_text(p.city.postal_code), "country": "US",
        }),
    );
    put_opt(&mut m, "unitSpaces", wrap("unitSpace", spaces));
    Value::Object(m)
}

// ----- getLeases -----

fn get_leases(
    world: &World,
    params: &Map<String, Value>,
    page: usize,
    per_page: Option<usize>,
) -> Result<Value, Failure> {
    let (pi, property) = required_property(world, params)?;
    let statuses: BTreeSet<LeaseStatus> = match param_ids(params, "leaseStatusTypeIds")? {
        None => LeaseStatus::ALL.iter().copied().collect(),
        Some(ids) => ids
            .into_iter()
            .map(|id| {
                status_from_type_id(id).ok_or_else(|| Failure::param(format!("Invalid leaseStatusTypeIds {id}.")))
            })
            .collect::<Result<_, _>>()?,
    };
    let lease_ids = param_ids(params, "leaseIds")?;
    let unit_id = param_id(params, "unitId")?;
    let customer_id = param_id(params, "customerId")?;
    let leases: Vec<&Lease> = world
        .leases_of(pi)
        .filter(|l| statuses.contains(&l.status))
        .filter(|l| lease_ids.as_ref().is_none_or(|ids| ids.contains(&l.id)))
        .filter(|l| unit_id.is_none_or(|u| world.units[l.unit].id == u))
        .filter(|l| customer_id.is_none_or(|c| l.residents.iter().any(|r| r.person_id == c)))
        .collect();
    let (leases, meta) = page_of(leases, page, per_page);
    let mut result = Map::new();
    put(&mut result, "currencyCode", "USD");
    put_opt(&mut result, "leases", wrap("lease", leases.iter().map(|l| lease_json(world, property, l)).collect()));
    put(&mut result, "meta", meta);
    Ok(Value::Object(result))
}

fn lease_json(world: &World, p: &Property, lease: &Lease) -> Value {
    let unit = &world.units[lease.unit];
    let fp = &p.floorplans[unit.floorplan];
    let student = p.kind == PropertyKind::Student;
    let status_id = lease_status_type_id(lease.status);
    let current = lease.current_term();
    let (space_id, space_number) = match lease.space {
        Some(s) => (unit.spaces[s].id, unit.spaces[s].name.clone()),
        None => (unit.space_id, unit.number.clone()),
    };

    let last = lease.terms.len() - 1;
    let intervals: Vec<Value> = lease
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
            let mut m = Map::new();
            put(&mut m, "id", t.id.to_string());
            put(&mut m, "startDate", iso(t.start));
            put(&mut m, "endDate", iso(t.end));
            put(&mut m, "leaseIntervalTypeId", type_id);
            put(&mut m, "leaseIntervalTypeName", type_name);
            put(&mut m, "leaseIntervalStatusTypeId", lease_status_type_id(term_status).to_string());
            put(&mut m, "leaseIntervalStatusTypeName", status_word(term_status));
            put_opt(&mut m, "leaseApprovedOn", t.approved_on.map(iso));
            put(&mut m, "applicationCompletedOn", iso(t.applied_on));
            put(&mut m, "applicationId", t.application_id.to_string());
            Value::Object(m)
        })
        .collect();

    let customers: Vec<Value> = lease.residents.iter().filter_map(|r| customer_json(world, p, lease, r)).collect();

    let charges: Vec<Value> = lease
        .terms
        .iter()
        .map(|t| {
            json!({
                "id": t.charge_id.to_string(), "leaseIntervalId": t.id.to_string(), "chargeCodeId": "147881",
                "startDate": iso(t.start), "endDate": iso(t.end), "frequency": "Monthly",
                "chargeType": "Base Rent", "chargeCode": "Base Rent", "amount": amount(t.rent_cents),
                "taxAmount": "0.00", "taxRate": "0.00",
            })
        })
        .collect();

    let first = &lease.terms[0];
    let mut activities = vec![json!({ "date": iso(first.applied_on), "eventType": "Application" })];
    if let Some(signed) = first.approved_on {
        activities.push(json!({ "date": iso(signed), "eventType": "LeaseSigned" }));
    }
    activities.push(json!({ "date": iso(current.start), "eventType": "Lease From" }));
    activities.push(json!({ "date": iso(current.end), "eventType": "Lease To" }));
    if let Some(moved_in) = lease.move_in {
        activities.push(json!({ "date": iso(moved_in), "eventType": "Actual Move In" }));
    }
    if let Some(notice) = lease.notice {
        activities.push(json!({ "date": iso(notice), "eventType": "Notice Given" }));
    }
    if let Some(move_out) = lease.move_out {
        let event = if lease.status == LeaseStatus::Past { "Actual Move Out" } else { "Scheduled Move Out" };
        activities.push(json!({ "date": iso(move_out), "eventType": event }));
    }
    activities.push(json!({
        "date": iso(first.applied_on), "eventType": "Application Completed On",
        "description": "Application and Unit Selection Completed On", "comment": space_id.to_string(),
    }));

    let mut m = Map::new();
    put(&mut m, "id", lease.id.to_string());
    put(&mut m, "leaseStatusTypeId", status_id.to_string());
    put(&mut m, "leaseIntervalStatus", status_word(lease.status));
    put(&mut m, "occupancyTypeId", if student { "10" } else { "1" });
    put(&mut m, "occupancyType", if student { "Student" } else { "Conventional" });
    put(&mut m, "isMonthToMonth", u8::from(lease.month_to_month));
    put(&mut m, "leaseIntervalId", current.id.to_string());
    put(&mut m, "floorPlanId", fp.id.to_string());
    put(&mut m, "floorPlanName", fp.name);
    put(&mut m, "unitId", unit.id.to_string());
    put(&mut m, "unitNumberSpace", space_number);
    put(&mut m, "unitSpaceId", space_id.to_string());
    if let Some(s) = lease.space {
        put(&mut m, "spaceConfiguration", if s % 2 == 0 { "Private Bathroom" } else { "Shared Bathroom" });
    }
    put(&mut m, "leaseIntervals", json!({ "leaseInterval": intervals }));
    put_opt(&mut m, "customers", wrap("customer", customers));
    put(&mut m, "scheduledCharges", json!({ "scheduledCharge": charges }));
    put(&mut m, "leaseActivities", json!({ "leasesActivity": activities }));
    Value::Object(m)
}

fn customer_json(world: &World, p: &Property, lease: &Lease, r: &crate::world::LeaseResident) -> Option<Value> {
    let person = world.person(r.person_id)?;
    let mut m = Map::new();
    put(&mut m, "id", person.id);
    put(&mut m, "customerType", customer_type(r.role, lease.id, person.id));
    put(&mut m, "firstName", person.first_name);
    put(&mut m, "lastName", person.last_name);
    put_opt(&mut m, "middleName", person.middle_initial.map(String::from));
    put(&mut m, "nameFull", format!("{}, {}", person.last_name, person.first_name));
    put(&mut m, "leaseCustomerStatus", status_word(r.status));
    put(&mut m, "relationshipName", r.relationship);
    put_opt(&mut m, "moveInDate", r.move_in.map(iso));
    put_opt(&mut m, "moveOutDate", r.move_out.map(iso));
    let mut address = Map::new();
    put(&mut address, "addressType", "Current");
    put(&mut address, "streetLine", p.street.clone());
    put(&mut address, "city", p.city.name);
    put(&mut address, "state", p.city.state);
    put(&mut address, "postalCode", p.city.postal_code);
    put(&mut address, "countryName", "US");
    put_opt(&mut address, "email", person.email.clone());
    let mut addresses = Map::new();
    put(&mut addresses, "address", address);
    if let Some(phone) = &person.phone {
        put(&mut addresses, "phone", json!({ "phoneType": "mobile", "phoneNumber": phone }));
        put(&mut m, "addresses", addresses);
        put(&mut m, "phone", json!({ "phoneType": "mobile", "phoneNumber": phone, "countryCode": 1 }));
    } else {
        put(&mut m, "addresses", addresses);
    }
    Some(Value::Object(m))
}

// ----- getCustomers -----

fn get_customers(
    world: &World,
    params: &Map<String, Value>,
    page: usize,
    per_page: Option<usize>,
) -> Result<Value, Failure> {
    let (pi, property) = required_property(world, params)?;
    let wanted = param_ids(params, "customerIds")?;
    // Each person of the property once, with every lease they hold there.
    let mut people: BTreeMap<u64, Vec<(&Lease, &crate::world::LeaseResident)>> = BTreeMap::new();
    for lease in world.leases_of(pi) {
        for r in &lease.residents {
            if wanted.as_ref().is_none_or(|w| w.contains(&r.person_id)) {
                people.entry(r.person_id).or_default().push((lease, r));
            }
        }
    }
    let (people, meta) = page_of(people.into_iter().collect(), page, per_page);
    let customers: Vec<Value> =
        people.iter().filter_map(|(id, leases)| customer_record(world, property, *id, leases)).collect();
    let mut customers_map = Map::new();
    put_opt(&mut customers_map, "Customer", one_or_many(customers));
    let mut result = Map::new();
    put(&mut result, "Customers", customers_map);
    put(&mut result, "meta", meta);
    Ok(Value::Object(result))
}

fn customer_record(
    world: &World,
    p: &Property,
    person_id: u64,
    leases: &[(&Lease, &crate::world::LeaseResident)],
) -> Option<Value> {
    let person = world.person(person_id)?;
    let (latest, _) = leases.last()?;
    let unit = &world.units[latest.unit];
    let unit_number = match latest.space {
        Some(s) => unit.spaces[s].name.clone(),
        None => unit.number.clone(),
    };
    let identification: Vec<Value> = leases
        .iter()
        .map(|(lease, r)| {
            json!({
                "@attributes": { "IDType": "Lease Id", "IDRank": "primary", "IDScopeType": "sender", "Status": status_word(r.status) },
                "IDValue": lease.id,
            })
        })
        .collect();
    let types: Vec<Value> =
        leases.iter().map(|(lease, r)| Value::from(customer_type(r.role, lease.id, person_id))).collect();
    let mut m = Map::new();
    put(&mut m, "LeaseId", json!({ "Identification": identification, "CustomerType": types }));
    put(&mut m, "@attributes", json!({ "Id": person.id.to_string() }));
    put(&mut m, "FirstName", person.first_name);
    put_opt(&mut m, "MiddleName", person.middle_initial.map(String::from));
    put(&mut m, "LastName", person.last_name);
    put(&mut m, "UnitNumber", unit_number);
    put(&mut m, "Address", p.street.clone());
    put(&mut m, "City", p.city.name);
    put(&mut m, "State", p.city.state);
    put(&mut m, "PostalCode", p.city.postal_code);
    put_opt(&mut m, "Email", person.email.clone());
    put_opt(&mut m, "PhoneNumber", person.phone.clone());
    put_opt(&mut m, "TermsApprovedDate", leases.iter().find_map(|(l, _)| l.terms[0].approved_on).map(us));
    put(
        &mut m,
        "CustomerAddresses",
        json!({ "CustomerAddress": {
            "Address": p.street, "@attributes": { "AddressType": "Primary" },
            "City": p.city.name, "State": p.city.state, "PostalCode": p.city.postal_code, "Country": "US",
        } }),
    );
    Some(Value::Object(m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::Size;

    fn params(value: Value) -> Map<String, Value> {
        value.as_object().cloned().expect("object")
    }

    #[test]
    fn one_child_is_an_object_several_an_array_none_omitted() {
        assert_eq!(one_or_many(vec![]), None);
        assert_eq!(one_or_many(vec![json!({"a": 1})]), Some(json!({"a": 1})));
        assert_eq!(one_or_many(vec![json!(1), json!(2)]), Some(json!([1, 2])));
    }

    #[test]
    fn amounts_dates_and_numbers_are_written_like_entrata() {
        assert_eq!(amount(103_500), "1035.00");
        assert_eq!(amount(5), "0.05");
        let date = NaiveDate::from_ymd_opt(2024, 8, 5).expect("date");
        assert_eq!(iso(date), "2024-08-05");
        assert_eq!(us(date), "08/05/2024");
        assert_eq!(number(2.0), json!(2));
        assert_eq!(number(1.5), json!(1.5));
        assert_eq!(numeric_text("02115"), json!(2115));
    }

    #[test]
    fn params_take_numbers_and_strings() {
        let p = params(json!({"propertyId": "739001", "unitId": 4050001, "leaseStatusTypeIds": "1, 4,6", "bad": [1]}));
        assert_eq!(param_id(&p, "propertyId").ok().flatten(), Some(739_001));
        assert_eq!(param_id(&p, "unitId").ok().flatten(), Some(4_050_001));
        assert_eq!(param_ids(&p, "leaseStatusTypeIds").ok().flatten(), Some(BTreeSet::from([1, 4, 6])));
        assert!(param_id(&p, "bad").is_err());
        assert_eq!(param_id(&p, "missing").ok().flatten(), None);
    }

    #[test]
    fn paging_is_strict_and_capped() {
        assert_eq!(paging(None).ok(), Some((1, None)));
        assert_eq!(paging(Some("page_no=3&per_page=20&x=1")).ok(), Some((3, Some(20))));
        assert_eq!(paging(Some("per_page=100000")).ok(), Some((1, Some(MAX_PER_PAGE))));
        assert!(paging(Some("page_no=0")).is_err());
        assert!(paging(Some("per_page=abc")).is_err());
        let (items, meta) = page_of((1..=5).collect::<Vec<_>>(), 3, Some(2));
        assert_eq!(items, vec![5]);
        assert_eq!(meta, json!({"currentPage": 3, "lastPage": 3, "perPage": 2, "total": 5}));
        let (items, meta) = page_of(Vec::<u8>::new(), 1, None);
        assert!(items.is_empty());
        assert_eq!(meta["lastPage"], 1);
    }

    #[test]
    fn lease_filters_narrow_by_unit_customer_and_status() {
        let world = World::generate(4, Size::SMALL, 0);
        let property = &world.properties[0];
        let all = get_leases(&world, &params(json!({"propertyId": property.id})), 1, None).expect("leases");
        let total = all["meta"]["total"].as_u64().expect("total");
        assert_eq!(total as usize, world.leases_of(0).count());

        let lease = world.leases_of(0).next().expect("a lease");
        let unit_id = world.units[lease.unit].id;
        let by_unit = get_leases(&world, &params(json!({"propertyId": property.id, "unitId": unit_id})), 1, None)
            .expect("leases");
        let expected = world.leases_of(0).filter(|l| l.unit == lease.unit).count();
        assert_eq!(by_unit["meta"]["total"], expected);

        let person = lease.residents[0].person_id;
        let by_customer =
            get_leases(&world, &params(json!({"propertyId": property.id, "customerId": person.to_string()})), 1, None)
                .expect("leases");
        let expected = world.leases_of(0).filter(|l| l.residents.iter().any(|r| r.person_id == person)).count();
        assert_eq!(by_customer["meta"]["total"], expected);

        let current =
            get_leases(&world, &params(json!({"propertyId": property.id, "leaseStatusTypeIds": "4"})), 1, None)
                .expect("leases");
        let expected = world.leases_of(0).filter(|l| l.status == LeaseStatus::Current).count();
        assert_eq!(current["meta"]["total"], expected);

        assert!(get_leases(&world, &params(json!({})), 1, None).is_err(), "propertyId is required");
        assert!(get_leases(&world, &params(json!({"propertyId": 1})), 1, None).is_err(), "unknown property");
        assert!(
            get_leases(&world, &params(json!({"propertyId": property.id, "leaseStatusTypeIds": "9"})), 1, None)
                .is_err()
        );
    }

    #[test]
    fn corrupt_breaks_the_first_records_id() {
        let world = World::generate(4, Size::SMALL, 0);
        let p = params(json!({"propertyId": world.properties[0].id}));
        let mut leases = get_leases(&world, &p, 1, None).expect("leases");
        corrupt("getLeases", &mut leases);
        assert_eq!(leases["leases"]["lease"][0]["id"], json!(true));
        let mut customers = get_customers(&world, &p, 1, None).expect("customers");
        corrupt("getCustomers", &mut customers);
        assert_eq!(customers["Customers"]["Customer"][0]["@attributes"]["Id"], json!(true));
        let mut units = get_property_units(&world, &Map::new()).expect("units");
        corrupt("getPropertyUnits", &mut units);
        assert_eq!(units["properties"]["property"][0]["units"]["unit"][0]["id"], json!(true));
        let mut properties = get_properties(&world, &Map::new()).expect("properties");
        corrupt("getProperties", &mut properties);
        assert_eq!(properties["PhysicalProperty"]["Property"][0]["PropertyID"], json!(true));
    }
}
