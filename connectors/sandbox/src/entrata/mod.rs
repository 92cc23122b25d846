//! The Entrata simulator: the sandbox world in Entrata's JSON-RPC wire format, as the fixtures in
//! `shared/fixtures/pms/entrata` and their README show it (DESIGN.md, "Built-in sandbox PMSs").
//!
//! Written from its own code, never from the Entrata connector's, so that a connector bug is not
//! mirrored here.
//!
//! This module reads requests (credentials, faults, params, paging) and picks the records; its
//! submodule `wire` writes them: typed structs that borrow from the world, serialized straight
//! into the response body with keys in the fixtures' order. Only a page the `malformed` fault
//! names goes through a `serde_json::Value`, for `corrupt` to break.
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
use pmsgraph_connector_core::Resource;
use pmsgraph_connector_core::vocab::{LeaseStatus, ResidentRole};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::faults::{CredentialError, Profile, SANDBOX_PASSWORD};
use crate::state::SandboxState;
use crate::world::{Lease, LeaseResident, Property, World};

mod wire;

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

/// A JSON response: `body` serialized straight into the bytes sent.
fn json_response(status: StatusCode, body: &impl Serialize) -> Response {
    let mut bytes = Vec::with_capacity(4096);
    match serde_json::to_writer(&mut bytes, body) {
        Ok(()) => {
            (status, [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], bytes).into_response()
        }
        Err(e) => unserializable(&e),
    }
}

/// Only a failing `Serialize` impl gets here, and the wire types have none that can fail.
fn unserializable(e: &serde_json::Error) -> Response {
    (StatusCode::INTERNAL_SERVER_ERROR, format!("serializing the response: {e}")).into_response()
}

fn error_response(request_id: Option<&Value>, failure: Failure) -> Response {
    let error = wire::Error { request_id, error: wire::ErrorBody { code: failure.code, message: &failure.message } };
    let mut response = json_response(failure.http, &wire::Envelope { response: error });
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
    match answer(state, module, query, headers, request.as_ref(), request_id).await {
        Ok(response) => response,
        Err(failure) => error_response(request_id, failure),
    }
}

async fn answer(
    state: &SandboxState,
    module: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    request: Option<&Value>,
    request_id: Option<&Value>,
) -> Result<Response, Failure> {
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
    let reply = Reply { method: name, request_id, profile: &profile };
    Ok(match name {
        "getStatus" => reply.send(&wire::STATUS, 1),
        "getProperties" => reply.send(&get_properties(&world, params)?, 1),
        "getPropertyUnits" => reply.send(&get_property_units(&world, params)?, 1),
        "getLeases" => reply.send(&get_leases(&world, params, page, per_page)?, page),
        "getCustomers" => reply.send(&get_customers(&world, params, page, per_page)?, page),
        _ => return Err(Failure::new(CODE_UNKNOWN_METHOD, format!("Method `{name}` is not supported."))),
    })
}

/// How a successful call is answered.
struct Reply<'a> {
    method: &'a str,
    request_id: Option<&'a Value>,
    profile: &'a Profile,
}

impl Reply<'_> {
    /// The success envelope around `result`, which is page `served_page` of the method's answer.
    /// A page the malformed fault names goes through a JSON tree so [`corrupt`] can break it.
    fn send(&self, result: &impl Serialize, served_page: usize) -> Response {
        let served_page = u32::try_from(served_page).unwrap_or(u32::MAX);
        if !self.profile.malformed_page(self.method, served_page) {
            return self.envelope(result);
        }
        match serde_json::to_value(result) {
            Ok(mut tree) => {
                corrupt(self.method, &mut tree);
                self.envelope(&tree)
            }
            Err(e) => unserializable(&e),
        }
    }

    fn envelope(&self, result: &impl Serialize) -> Response {
        let success = wire::Success { request_id: self.request_id, code: 200, result };
        json_response(StatusCode::OK, &wire::Envelope { response: success })
    }
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

// ----- codes -----

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
fn page_of<T>(items: Vec<T>, page: usize, per_page: Option<usize>) -> (Vec<T>, wire::Meta) {
    let total = items.len();
    let per = per_page.unwrap_or(total.max(1));
    let last = total.div_ceil(per).max(1);
    let skip = (page - 1).saturating_mul(per);
    let items: Vec<T> = items.into_iter().skip(skip).take(per).collect();
    (items, wire::Meta { current_page: page, last_page: last, per_page: per, total })
}

// ----- getProperties -----

fn get_properties<'w>(world: &'w World, params: &Map<String, Value>) -> Result<wire::PropertiesResult<'w>, Failure> {
    let wanted = param_ids(params, "propertyIds")?;
    let properties = world
        .properties
        .iter()
        .filter(|p| wanted.as_ref().is_none_or(|w| w.contains(&p.id)))
        .map(|p| wire::physical_property(world, p))
        .collect();
    Ok(wire::PropertiesResult { physical_property: wire::PhysicalProperty { property: wire::one_or_many(properties) } })
}

// ----- getPropertyUnits -----

fn get_property_units<'w>(
    world: &'w World,
    params: &Map<String, Value>,
) -> Result<wire::PropertyUnitsResult<'w>, Failure> {
    let wanted = param_ids(params, "propertyIds")?;
    let available_only = param_flag(params, "availableUnitsOnly")?;
    let mut properties = Vec::new();
    for (pi, p) in world.properties.iter().enumerate() {
        if wanted.as_ref().is_some_and(|w| !w.contains(&p.id)) {
            continue;
        }
        // Occupancy from this property's own leases: a page costs its property, not the world.
        // Every occupied slot has an entry, even one whose lease lists only guarantors.
        let mut occupants: HashMap<(usize, Option<usize>), usize> = HashMap::new();
        for lease in world.leases_of(pi).filter(|l| l.is_occupying()) {
            let living = lease.residents.iter().filter(|r| r.role != ResidentRole::Guarantor).count();
            *occupants.entry((lease.unit, lease.space)).or_default() += living;
        }
        let mut units = Vec::new();
        for (offset, unit) in world.units_of(pi).iter().enumerate() {
            let ui = p.units.start + offset;
            let slots: Vec<Option<usize>> =
                if unit.spaces.is_empty() { vec![None] } else { (0..unit.spaces.len()).map(Some).collect() };
            let free = slots.iter().any(|s| !occupants.contains_key(&(ui, *s)));
            if available_only && !free {
                continue;
            }
            let people: usize = slots.iter().map(|s| occupants.get(&(ui, *s)).copied().unwrap_or(0)).sum();
            units.push(wire::unit_record(p, unit, |space| occupants.contains_key(&(ui, space)), people));
        }
        properties.push(wire::unit_property(p, units));
    }
    Ok(wire::PropertyUnitsResult {
        properties: wire::one_or_many(properties).map(|items| wire::UnitPropertyList { items }),
    })
}

// ----- getLeases -----

fn get_leases<'w>(
    world: &'w World,
    params: &Map<String, Value>,
    page: usize,
    per_page: Option<usize>,
) -> Result<wire::LeasesResult<'w>, Failure> {
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
    let records = leases.into_iter().map(|l| wire::lease_record(world, property, l)).collect();
    Ok(wire::LeasesResult {
        currency_code: "USD",
        leases: wire::one_or_many(records).map(|items| wire::LeaseList { items }),
        meta,
    })
}

// ----- getCustomers -----

fn get_customers<'w>(
    world: &'w World,
    params: &Map<String, Value>,
    page: usize,
    per_page: Option<usize>,
) -> Result<wire::CustomersResult<'w>, Failure> {
    let (pi, property) = required_property(world, params)?;
    let wanted = param_ids(params, "customerIds")?;
    // Each person of the property once, with every lease they hold there.
    let mut people: BTreeMap<u64, Vec<(&Lease, &LeaseResident)>> = BTreeMap::new();
    for lease in world.leases_of(pi) {
        for r in &lease.residents {
            if wanted.as_ref().is_none_or(|w| w.contains(&r.person_id)) {
                people.entry(r.person_id).or_default().push((lease, r));
            }
        }
    }
    let (people, meta) = page_of(people.into_iter().collect(), page, per_page);
    let records =
        people.iter().filter_map(|(id, leases)| wire::customer_record(world, property, *id, leases)).collect();
    Ok(wire::CustomersResult { customers: wire::Customers { customer: wire::one_or_many(records) }, meta })
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use serde_json::json;

    use super::wire::{Amount, Date, Number, NumericText, one_or_many};
    use super::*;
    use crate::world::Size;

    fn params(value: Value) -> Map<String, Value> {
        value.as_object().cloned().expect("object")
    }

    /// What `value` looks like on the wire, as a JSON tree.
    fn tree(value: impl Serialize) -> Value {
        serde_json::to_value(value).expect("serializes")
    }

    #[test]
    fn one_child_is_an_object_several_an_array_none_omitted() {
        assert!(one_or_many(Vec::<u8>::new()).is_none());
        assert_eq!(tree(one_or_many(vec![json!({"a": 1})])), json!({"a": 1}));
        assert_eq!(tree(one_or_many(vec![1, 2])), json!([1, 2]));
    }

    #[test]
    fn amounts_dates_and_numbers_are_written_like_entrata() {
        assert_eq!(tree(Amount(103_500)), json!("1035.00"));
        assert_eq!(tree(Amount(5)), json!("0.05"));
        let date = NaiveDate::from_ymd_opt(2024, 8, 5).expect("date");
        assert_eq!(tree(Date::iso(date)), json!("2024-08-05"));
        assert_eq!(tree(Date::us(date)), json!("08/05/2024"));
        assert_eq!(tree(Date::month_year(date)), json!("08/2024"));
        let far = NaiveDate::from_ymd_opt(10_000, 1, 2).expect("date");
        assert_eq!(Date::iso(far).to_string(), far.format("%Y-%m-%d").to_string());
        assert_eq!(tree(Number::new(2.0)), json!(2));
        assert_eq!(tree(Number::new(1.5)), json!(1.5));
        assert_eq!(tree(NumericText("02115")), json!(2115));
        assert_eq!(tree(NumericText("K1A 0B1")), json!("K1A 0B1"));
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
        assert_eq!(tree(meta), json!({"currentPage": 3, "lastPage": 3, "perPage": 2, "total": 5}));
        let (items, meta) = page_of(Vec::<u8>::new(), 1, None);
        assert!(items.is_empty());
        assert_eq!(meta.last_page, 1);
    }

    #[test]
    fn lease_filters_narrow_by_unit_customer_and_status() {
        let world = World::generate(4, Size::SMALL, 0);
        let property = &world.properties[0];
        let all = get_leases(&world, &params(json!({"propertyId": property.id})), 1, None).expect("leases");
        assert_eq!(all.meta.total, world.leases_of(0).count());

        let lease = world.leases_of(0).next().expect("a lease");
        let unit_id = world.units[lease.unit].id;
        let by_unit = get_leases(&world, &params(json!({"propertyId": property.id, "unitId": unit_id})), 1, None)
            .expect("leases");
        let expected = world.leases_of(0).filter(|l| l.unit == lease.unit).count();
        assert_eq!(by_unit.meta.total, expected);

        let person = lease.residents[0].person_id;
        let by_customer =
            get_leases(&world, &params(json!({"propertyId": property.id, "customerId": person.to_string()})), 1, None)
                .expect("leases");
        let expected = world.leases_of(0).filter(|l| l.residents.iter().any(|r| r.person_id == person)).count();
        assert_eq!(by_customer.meta.total, expected);

        let current =
            get_leases(&world, &params(json!({"propertyId": property.id, "leaseStatusTypeIds": "4"})), 1, None)
                .expect("leases");
        let expected = world.leases_of(0).filter(|l| l.status == LeaseStatus::Current).count();
        assert_eq!(current.meta.total, expected);

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
        let mut leases = tree(get_leases(&world, &p, 1, None).expect("leases"));
        corrupt("getLeases", &mut leases);
        assert_eq!(leases["leases"]["lease"][0]["id"], json!(true));
        let mut customers = tree(get_customers(&world, &p, 1, None).expect("customers"));
        corrupt("getCustomers", &mut customers);
        assert_eq!(customers["Customers"]["Customer"][0]["@attributes"]["Id"], json!(true));
        let mut units = tree(get_property_units(&world, &Map::new()).expect("units"));
        corrupt("getPropertyUnits", &mut units);
        assert_eq!(units["properties"]["property"][0]["units"]["unit"][0]["id"], json!(true));
        let mut properties = tree(get_properties(&world, &Map::new()).expect("properties"));
        corrupt("getProperties", &mut properties);
        assert_eq!(properties["PhysicalProperty"]["Property"][0]["PropertyID"], json!(true));
    }
}
