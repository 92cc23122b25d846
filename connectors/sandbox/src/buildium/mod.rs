//! The Buildium simulator: the sandbox world in Buildium's REST JSON wire format, as the official
//! OpenAPI document and the README in `shared/fixtures/pms/buildium` describe it (DESIGN.md,
//! "Built-in sandbox PMSs").
//!
//! Written from its own code, never from the Buildium connector's (this crate depends on no
//! connector). This module reads requests (headers, query, faults), picks and pages the records;
//! [`wire`] writes them.
//!
//! # Endpoints
//!
//! Mounted under `/sandbox/buildium`, with the headers `x-buildium-client-id: sandbox[+options]`
//! and `x-buildium-client-secret: sandbox` (options as in [`crate::faults`]):
//!
//! | endpoint | filters | records |
//! |---|---|---|
//! | `GET /v1/rentals` | `propertyids` | `RentalMessage` |
//! | `GET /v1/rentals/units` | `propertyids` | `RentalUnitMessage` |
//! | `GET /v1/leases` | `propertyids`, `unitnumber`, `leasestatuses` | `LeaseMessage` |
//! | `GET /v1/leases/tenants` | `propertyids`, `unitids`, `leasetermstatuses` | `TenantMessage` |
//!
//! Every list also takes `lastupdatedfrom` / `lastupdatedto` (UTC `YYYY-MM-DDTHH:MM:SSZ`),
//! `offset` (default 0) and `limit` (1..=1000, default 50); array parameters repeat the key
//! (`propertyids=1&propertyids=2`). Answers are bare JSON arrays in id order, the total in
//! `X-Total-Count`. Errors are `ApiErrorResponse` (`{UserMessage, ErrorCode, Errors[{Key, Value}]}`):
//! 401 for refused credentials, 403 for a `deny=`ed resource, 400 for a bad parameter; the
//! injected 429 carries `Retry-After: 1`, the injected 503 an error body too.
//!
//! # What Buildium shows of the world
//!
//! Buildium's lease statuses are Active, Past and Future: applications and cancelled leases have no
//! Buildium lease and are not served, nor are people only on them. A notice is Active with a
//! `MoveOutData` entry holding `NoticeGivenDate` (and the scheduled `MoveOutDate`). Tenants are a
//! lease's primary and co-applicants (the primary first); guarantors are `Cosigners`; occupants
//! have no record (only `CurrentNumberOfOccupants` counts them). Units have no floorplan and no
//! bedroom spaces: a unit leased by the bed is one unit priced at the sum of its beds. Ids are the
//! world's own numbers (a tenant id names one person across leases).
//!
//! # Update times
//!
//! `lastupdatedfrom` needs a last-update time per record. The world is a pure function of
//! (seed, size, step), so each record's last-changed step is derived by comparing its wire form
//! step by step ([`Stamps`]); a step's time is when the world reached it
//! ([`SandboxState::reached_at`]), step 0 the world's own start. A record's time is that of its
//! last-changed step; leases show it as `LastUpdatedDateTime`.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, NaiveDateTime, Utc};
use pmsgraph_connector_core::Resource;
use pmsgraph_connector_core::vocab::LeaseStatus;
use serde_json::Value;

use crate::faults::{Profile, SANDBOX_PASSWORD};
use crate::state::SandboxState;
use crate::world::World;

pub mod wire;

/// The header naming the client (`sandbox[+options]`).
pub const CLIENT_ID_HEADER: &str = "x-buildium-client-id";
/// The header carrying the secret (`sandbox`).
pub const CLIENT_SECRET_HEADER: &str = "x-buildium-client-secret";
/// The largest `limit`.
pub const MAX_LIMIT: usize = 1000;
/// The `limit` when none is given.
pub const DEFAULT_LIMIT: usize = 50;

/// The routes, to be nested under `/sandbox/buildium`.
pub fn routes() -> Router<SandboxState> {
    Router::new()
        .route("/v1/rentals", get(rentals))
        .route("/v1/rentals/units", get(units))
        .route("/v1/leases", get(leases))
        .route("/v1/leases/tenants", get(tenants))
}

/// The endpoints, as `malformed=` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Rentals,
    Units,
    Leases,
    Tenants,
}

impl Endpoint {
    pub const fn method(self) -> &'static str {
        match self {
            Endpoint::Rentals => "rentals",
            Endpoint::Units => "rentals/units",
            Endpoint::Leases => "leases",
            Endpoint::Tenants => "leases/tenants",
        }
    }

    const fn resource(self) -> Resource {
        match self {
            Endpoint::Rentals => Resource::Properties,
            Endpoint::Units => Resource::Units,
            Endpoint::Leases => Resource::Leases,
            Endpoint::Tenants => Resource::Residents,
        }
    }
}

// ----- update times -----

/// What a record is, for its update time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Rental,
    Unit,
    Lease,
    Tenant,
}

/// Each Buildium record's last-changed step at one step of the world.
#[derive(Debug, Clone, Default)]
pub struct Stamps {
    step: u32,
    hashes: HashMap<(Kind, u64), u64>,
    changed: HashMap<(Kind, u64), u32>,
}

fn digest(value: &Value) -> u64 {
    // `DefaultHasher::new` has fixed keys: the digest is the same in every process.
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    value.to_string().hash(&mut hasher);
    hasher.finish()
}

/// The indices of the units someone lives in (a unit or one of its beds).
fn lived_in_units(world: &World) -> HashSet<usize> {
    world.occupied_slots().into_iter().map(|(unit, _)| unit).collect()
}

/// Every record of the world's Buildium view with the digest of its wire form (a fixed stamp in
/// place of the update time).
fn digests(world: &World) -> HashMap<(Kind, u64), u64> {
    let placeholder = crate::world::step_instant(0);
    let lived_in = lived_in_units(world);
    let mut out = HashMap::new();
    for p in &world.properties {
        out.insert((Kind::Rental, p.id), digest(&wire::rental(p)));
    }
    for (i, u) in world.units.iter().enumerate() {
        out.insert((Kind::Unit, u.id), digest(&wire::unit(world, u, lived_in.contains(&i))));
    }
    for lease in world.leases.iter().filter(|l| wire::is_visible(l)) {
        out.insert((Kind::Lease, lease.id), digest(&wire::lease(world, lease, placeholder)));
        for r in lease.residents.iter().filter(|r| wire::is_tenant(r.role)) {
            if let Some(person) = world.person(r.person_id) {
                out.entry((Kind::Tenant, person.id)).or_insert_with(|| digest(&wire::tenant(person)));
            }
        }
    }
    out
}

impl Stamps {
    /// Step 0: every record last changed at step 0.
    pub fn initial(world: &World) -> Stamps {
        let hashes = digests(world);
        let changed = hashes.keys().map(|k| (*k, 0)).collect();
        Stamps { step: world.step, hashes, changed }
    }

    /// The stamps one step later, given the world at that step.
    pub fn next(&self, world: &World) -> Stamps {
        let hashes = digests(world);
        let changed = hashes
            .iter()
            .map(|(key, hash)| {
                let step = match self.hashes.get(key) {
                    Some(before) if before == hash => self.changed.get(key).copied().unwrap_or(0),
                    _ => world.step,
                };
                (*key, step)
            })
            .collect();
        Stamps { step: world.step, hashes, changed }
    }

    pub fn step(&self) -> u32 {
        self.step
    }

    fn of(&self, kind: Kind, id: u64) -> u32 {
        self.changed.get(&(kind, id)).copied().unwrap_or(self.step)
    }
}

// ----- requests -----

/// A query string's pairs, percent-decoded, in order.
fn pairs(query: Option<&str>) -> Vec<(String, String)> {
    query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k).to_ascii_lowercase(), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        char::from(b).to_digit(16).and_then(|d| u8::try_from(d).ok())
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
                (Some(hi), Some(lo)) => {
                    out.push(hi * 16 + lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// An answer other than the data.
struct Failure {
    status: StatusCode,
    body: Value,
}

impl Failure {
    fn bad(key: &str, message: String) -> Failure {
        Failure {
            status: StatusCode::BAD_REQUEST,
            body: wire::error("The request is invalid.", "InvalidRequest", &[(key, message)]),
        }
    }
}

/// The parsed list parameters.
#[derive(Debug, Clone, Default)]
struct Query {
    offset: usize,
    limit: usize,
    property_ids: Option<BTreeSet<u64>>,
    unit_ids: Option<BTreeSet<u64>>,
    unit_number: Option<String>,
    statuses: Option<BTreeSet<String>>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
}

fn parse_instant(key: &str, value: &str) -> Result<DateTime<Utc>, Failure> {
    NaiveDateTime::parse_from_str(value.trim(), "%Y-%m-%dT%H:%M:%SZ").map(|t| t.and_utc()).map_err(|_| {
        Failure::bad(key, format!("The value '{value}' is not a UTC date and time (YYYY-MM-DDTHH:MM:SSZ)."))
    })
}

fn parse_query(raw: Option<&str>, statuses_key: &str) -> Result<Query, Failure> {
    let mut q = Query { limit: DEFAULT_LIMIT, ..Query::default() };
    for (key, value) in pairs(raw) {
        let number = |v: &str| {
            v.trim().parse::<u64>().map_err(|_| Failure::bad(&key, format!("The value '{v}' is not valid for {key}.")))
        };
        match key.as_str() {
            "offset" => q.offset = usize::try_from(number(&value)?).unwrap_or(usize::MAX),
            "limit" => {
                let limit = number(&value)?;
                if !(1..=MAX_LIMIT as u64).contains(&limit) {
                    return Err(Failure::bad("limit", format!("The field limit must be between 1 and {MAX_LIMIT}.")));
                }
                q.limit = usize::try_from(limit).unwrap_or(MAX_LIMIT);
            }
            "propertyids" => {
                q.property_ids.get_or_insert_with(BTreeSet::new).insert(number(&value)?);
            }
            "unitids" => {
                q.unit_ids.get_or_insert_with(BTreeSet::new).insert(number(&value)?);
            }
            "unitnumber" => q.unit_number = Some(value),
            "lastupdatedfrom" => q.from = Some(parse_instant(&key, &value)?),
            "lastupdatedto" => q.to = Some(parse_instant(&key, &value)?),
            k if k == statuses_key => {
                if !["Active", "Past", "Future"].contains(&value.as_str()) {
                    return Err(Failure::bad(&key, format!("The value '{value}' is not valid for {key}.")));
                }
                q.statuses.get_or_insert_with(BTreeSet::new).insert(value);
            }
            // Other filters of the real API are accepted and ignored.
            _ => {}
        }
    }
    Ok(q)
}

impl Query {
    /// The query's filters, everything but the page: what [`Listings`] keys a list by.
    fn filters(&self) -> String {
        format!("{:?}", Query { offset: 0, limit: 0, ..self.clone() })
    }

    fn keeps_property(&self, id: u64) -> bool {
        self.property_ids.as_ref().is_none_or(|ids| ids.contains(&id))
    }

    fn keeps_time(&self, time: DateTime<Utc>) -> bool {
        self.from.is_none_or(|from| time >= from) && self.to.is_none_or(|to| time <= to)
    }
}

/// Checks the credentials and plays the credential's faults; the profile when the call may go on.
async fn admit(state: &SandboxState, headers: &HeaderMap, endpoint: Endpoint) -> Result<Profile, Failure> {
    let unauthorized = |message: String| Failure {
        status: StatusCode::UNAUTHORIZED,
        body: wire::error(&message, "Unauthorized", &[]),
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let client = header(CLIENT_ID_HEADER);
    let profile =
        client.parse::<Profile>().map_err(|e| unauthorized(format!("The API key couldn't be authorized: {e}.")))?;
    if header(CLIENT_SECRET_HEADER) != SANDBOX_PASSWORD {
        return Err(unauthorized("The API key couldn't be authorized: every sandbox secret is `sandbox`.".into()));
    }
    if let Some(delay) = profile.slow {
        tokio::time::sleep(delay).await;
    }
    let method = endpoint.method();
    if profile.rate_limit && state.faults().first_time(&client, "ratelimit", method) {
        return Err(Failure {
            status: StatusCode::TOO_MANY_REQUESTS,
            body: wire::error("Too many requests.", "TooManyRequests", &[]),
        });
    }
    if profile.flaky && state.faults().first_time(&client, "flaky", method) {
        return Err(Failure {
            status: StatusCode::SERVICE_UNAVAILABLE,
            body: wire::error("The service is temporarily unavailable.", "ServiceUnavailable", &[]),
        });
    }
    if profile.denies(endpoint.resource()) {
        return Err(Failure {
            status: StatusCode::FORBIDDEN,
            body: wire::error(
                &format!("The supplied credentials don't have permissions to access {}.", endpoint.method()),
                "Forbidden",
                &[],
            ),
        });
    }
    Ok(profile)
}

fn json_response(status: StatusCode, body: &Value, total: Option<usize>) -> Response {
    let mut response =
        (status, [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body.to_string())
            .into_response();
    if let Some(total) = total
        && let Ok(value) = HeaderValue::from_str(&total.to_string())
    {
        response.headers_mut().insert("x-total-count", value);
    }
    if status == StatusCode::TOO_MANY_REQUESTS {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

fn failure_response(failure: Failure) -> Response {
    json_response(failure.status, &failure.body, None)
}

/// The time of each step up to the world's.
async fn step_times(state: &SandboxState, step: u32) -> Vec<DateTime<Utc>> {
    let mut times = Vec::with_capacity(step as usize + 1);
    for s in 0..=step {
        times.push(state.reached_at(s).await);
    }
    times
}

/// What a list handler needs: the world, its stamps, and the step times.
struct View {
    world: std::sync::Arc<World>,
    stamps: std::sync::Arc<Stamps>,
    times: Vec<DateTime<Utc>>,
}

impl View {
    async fn load(state: &SandboxState) -> View {
        let world = state.world().await;
        let stamps = state.buildium_stamps(world.step).await;
        let times = step_times(state, world.step).await;
        View { world, stamps, times }
    }

    fn time(&self, kind: Kind, id: u64) -> DateTime<Utc> {
        let step = self.stamps.of(kind, id) as usize;
        self.times.get(step).or(self.times.last()).copied().unwrap_or_else(|| crate::world::step_instant(0))
    }
}

/// One page, the first record broken on a `malformed=` page.
fn page(profile: &Profile, endpoint: Endpoint, query: &Query, total: usize, mut out: Vec<Value>) -> Response {
    let page_no = u32::try_from(query.offset / query.limit.max(1) + 1).unwrap_or(u32::MAX);
    if profile.malformed_page(endpoint.method(), page_no)
        && let Some(Value::Object(first)) = out.first_mut()
    {
        first.insert("Id".into(), Value::Bool(true));
    }
    json_response(StatusCode::OK, &Value::Array(out), Some(total))
}

/// The matches of each list query lately served, so that paging through a list costs each page
/// its own records and not a walk of the whole world (as a real API's indexed queries would):
/// keyed by endpoint, world step and filters, the most recent [`LISTINGS_KEPT`] kept. The units
/// list also keeps here, per step, the units someone lives in (key `lived-in {step}`).
#[derive(Debug, Default)]
pub(crate) struct Listings(std::sync::Mutex<VecDeque<(String, Arc<Vec<u64>>)>>);

/// How many entries [`Listings`] keeps: a sync pages through four lists (five entries with the
/// lived-in units), one at a time.
const LISTINGS_KEPT: usize = 8;

impl Listings {
    fn get_or_insert(&self, key: String, compute: impl FnOnce() -> Vec<u64>) -> Arc<Vec<u64>> {
        let lock = || self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, found)) = lock().iter().find(|(k, _)| *k == key) {
            return Arc::clone(found);
        }
        let computed = Arc::new(compute());
        let mut kept = lock();
        if !kept.iter().any(|(k, _)| *k == key) {
            if kept.len() >= LISTINGS_KEPT {
                kept.pop_front();
            }
            kept.push_back((key, Arc::clone(&computed)));
        }
        computed
    }
}

/// One list call: admission and faults, the query, then the page. `matching` lists the records
/// that pass the query's filters, in id order, as numbers `write` turns into wire records
/// (indices into the world's properties, units or leases; person ids for tenants). It is computed
/// once per endpoint, step and filters ([`Listings`]), and only the page's records are written.
async fn list(
    state: &SandboxState,
    headers: &HeaderMap,
    raw: Option<&str>,
    endpoint: Endpoint,
    statuses_key: &str,
    matching: impl FnOnce(&View, &Query) -> Vec<u64>,
    write: impl Fn(&View, u64) -> Option<Value>,
) -> Response {
    let profile = match admit(state, headers, endpoint).await {
        Ok(profile) => profile,
        Err(failure) => return failure_response(failure),
    };
    let query = match parse_query(raw, statuses_key) {
        Ok(query) => query,
        Err(failure) => return failure_response(failure),
    };
    let view = View::load(state).await;
    let key = format!("{} {} {}", endpoint.method(), view.world.step, query.filters());
    let matches = state.buildium_listings().get_or_insert(key, || matching(&view, &query));
    let out = matches.iter().skip(query.offset).take(query.limit).filter_map(|&n| write(&view, n)).collect();
    page(&profile, endpoint, &query, matches.len(), out)
}

/// A position in one of the world's lists, as [`list`] carries it.
fn position(index: usize) -> u64 {
    index as u64
}

async fn rentals(State(state): State<SandboxState>, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    list(
        &state,
        &headers,
        raw.as_deref(),
        Endpoint::Rentals,
        "",
        |view, q| {
            let properties = view.world.properties.iter().enumerate();
            properties
                .filter(|(_, p)| q.keeps_property(p.id) && q.keeps_time(view.time(Kind::Rental, p.id)))
                .map(|(i, _)| position(i))
                .collect()
        },
        |view, n| view.world.properties.get(n as usize).map(wire::rental),
    )
    .await
}

async fn units(State(state): State<SandboxState>, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    // The units someone lives in, looked up once per call (and computed once per step).
    let lived_in = std::sync::OnceLock::new();
    list(
        &state,
        &headers,
        raw.as_deref(),
        Endpoint::Units,
        "",
        |view, q| {
            let world = &view.world;
            let units = world.units.iter().enumerate();
            units
                .filter(|(_, u)| {
                    q.keeps_property(world.properties[u.property].id) && q.keeps_time(view.time(Kind::Unit, u.id))
                })
                .map(|(i, _)| position(i))
                .collect()
        },
        |view, n| {
            let world = &view.world;
            let lived_in = lived_in.get_or_init(|| {
                state.buildium_listings().get_or_insert(format!("lived-in {}", world.step), || {
                    let mut units: Vec<u64> = lived_in_units(world).into_iter().map(position).collect();
                    units.sort_unstable();
                    units
                })
            });
            let unit = world.units.get(n as usize)?;
            Some(wire::unit(world, unit, lived_in.binary_search(&n).is_ok()))
        },
    )
    .await
}

async fn leases(State(state): State<SandboxState>, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    list(
        &state,
        &headers,
        raw.as_deref(),
        Endpoint::Leases,
        "leasestatuses",
        |view, q| {
            let world = &view.world;
            let leases = world.leases.iter().enumerate();
            leases
                .filter(|(_, l)| {
                    let Some(word) = wire::lease_status(l.status) else { return false };
                    q.keeps_property(world.properties[l.property].id)
                        && q.unit_number.as_ref().is_none_or(|n| &world.units[l.unit].number == n)
                        && q.statuses.as_ref().is_none_or(|s| s.contains(word))
                        && q.keeps_time(view.time(Kind::Lease, l.id))
                })
                .map(|(i, _)| position(i))
                .collect()
        },
        |view, n| {
            let lease = view.world.leases.get(n as usize)?;
            Some(wire::lease(&view.world, lease, view.time(Kind::Lease, lease.id)))
        },
    )
    .await
}

async fn tenants(State(state): State<SandboxState>, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    list(
        &state,
        &headers,
        raw.as_deref(),
        Endpoint::Tenants,
        "leasetermstatuses",
        |view, q| {
            let world = &view.world;
            let mut ids = BTreeSet::new();
            for lease in &world.leases {
                let Some(word) = wire::lease_status(lease.status) else { continue };
                let unit = &world.units[lease.unit];
                if !q.keeps_property(world.properties[lease.property].id)
                    || q.unit_ids.as_ref().is_some_and(|ids| !ids.contains(&unit.id))
                    || q.statuses.as_ref().is_some_and(|s| !s.contains(word))
                {
                    continue;
                }
                ids.extend(lease.residents.iter().filter(|r| wire::is_tenant(r.role)).map(|r| r.person_id));
            }
            ids.into_iter()
                .filter(|id| q.keeps_time(view.time(Kind::Tenant, *id)) && world.person(*id).is_some())
                .collect()
        },
        |view, id| view.world.person(id).map(wire::tenant),
    )
    .await
}

/// The statuses Buildium shows, for tests: every visible lease's status word.
pub fn visible_statuses(world: &World) -> BTreeSet<LeaseStatus> {
    world.leases.iter().filter(|l| wire::is_visible(l)).map(|l| l.status).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_decode_and_repeat_keys() {
        let q = parse_query(
            Some("propertyids=1&propertyids=2&lastupdatedfrom=2024-01-01T00%3A00%3A00Z&limit=10&offset=20"),
            "",
        )
        .ok()
        .expect("parses");
        assert_eq!(q.property_ids, Some(BTreeSet::from([1, 2])));
        assert_eq!(q.limit, 10);
        assert_eq!(q.offset, 20);
        assert_eq!(q.from.map(wire::instant).as_deref(), Some("2024-01-01T00:00:00Z"));
        assert!(parse_query(Some("limit=1001"), "").is_err());
        assert!(parse_query(Some("limit=0"), "").is_err());
        assert!(parse_query(Some("lastupdatedfrom=yesterday"), "").is_err());
        assert!(parse_query(Some("leasestatuses=Applicant"), "leasestatuses").is_err());
    }

    #[test]
    fn stamps_follow_the_changes_of_each_step() {
        let w0 = World::generate(3, crate::world::Size::SMALL, 0);
        let w1 = w0.next();
        let s0 = Stamps::initial(&w0);
        let s1 = s0.next(&w1);
        assert!(s1.changed.values().any(|&s| s == 1), "a step changes something");
        assert!(s1.changed.values().any(|&s| s == 0), "and leaves most as it was");
        for change in &w1.changes {
            if let Some(id) = change.lease_id
                && w1.lease(id).is_some_and(wire::is_visible)
                && w0.lease(id).is_some_and(wire::is_visible)
            {
                let _ = s1.of(Kind::Lease, id);
            }
        }
    }
}
