//! Syncs end to end, as a user sees them: a sandbox customer connected over real HTTP to the
//! server's built-in Entrata sandbox, synced by the worker, read back through GraphQL and compared
//! with the portfolio the sandbox generated, record by record. Then the timeline moves and a second
//! sync must create, update and delete exactly what changed and rewrite nothing else; faults the
//! sandbox injects (429, 5xx, a malformed page) must end as the issue says, losing nothing.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};

use pmsgraph::auth::Environment;
use pmsgraph::store::sandbox::{DEFAULT_WORLD, advance};
use pmsgraph_connector_core::{NormalizedLease, NormalizedRecord, NormalizedUnit, RecordKind};
use pmsgraph_sandbox::World;

use crate::support::TestServer;

/// The world `TestServer` mounts (the server's default sandbox configuration).
pub(crate) fn world(step: u32) -> World {
    let config = pmsgraph::sandbox::SandboxConfig::default();
    World::generate(config.seed, config.size, step)
}

const INTEGRATION: &str = r#"query($id: ID!) { node(id: $id) { ... on Integration {
  status lastFullSyncAt dataAccess { resource status message }
  syncJobs(last: 1) { totalCount nodes { id trigger scope status incremental changedSince counts { created updated unchanged deleted } errors { code message at } } }
} } }"#;

/// A sandbox customer connected to the built-in Entrata sandbox as `username`; its integration's id.
async fn connect(server: &TestServer, token: &str, username: &str) -> String {
    let customer = server
        .gql(token, "mutation { createCustomer(name: \"Sandbox Living\") { id } }", json!({}))
        .await
        .data()["createCustomer"]["id"]
        .clone();
    let answer = server
        .gql(
            token,
            r#"mutation($customer: ID!, $url: String!, $user: String!) {
              connectIntegration(customerId: $customer, credentials: { entrata: { baseUrl: $url, username: $user, password: "sandbox" } }) { id }
            }"#,
            json!({ "customer": customer, "url": format!("{}/sandbox/entrata", server.url), "user": username }),
        )
        .await;
    answer.data()["connectIntegration"]["id"].as_str().expect("an id").to_owned()
}

/// Runs the data-access check and waits for every resource's answer.
pub(crate) async fn check_access(server: &TestServer, token: &str, integration: &str) -> Value {
    let answer = server
        .gql(token, "mutation($id: ID!) { checkDataAccess(integrationId: $id) { id } }", json!({ "id": integration }))
        .await;
    answer.data();
    for _ in 0..600 {
        let state = server.gql(token, INTEGRATION, json!({ "id": integration })).await.data()["node"].clone();
        let access = state["dataAccess"].as_array().cloned().unwrap_or_default();
        if access.len() == 4 && access.iter().all(|a| a["status"] != "PENDING") {
            return state["dataAccess"].clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the data-access check never finished");
}

/// Waits until the integration's latest job has ended; returns it.
pub(crate) async fn latest_job(server: &TestServer, token: &str, integration: &str) -> Value {
    for _ in 0..1200 {
        let state = server.gql(token, INTEGRATION, json!({ "id": integration })).await.data()["node"].clone();
        let job = state["syncJobs"]["nodes"][0].clone();
        if job["status"].as_str().is_some_and(|s| s != "QUEUED" && s != "RUNNING") {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the sync never finished");
}

pub(crate) const ENABLE: &str = "mutation($id: ID!) { enableIntegration(integrationId: $id) { status } }";

/// Enables a checked integration and waits for its first sync to end; returns that job.
pub(crate) async fn enable(server: &TestServer, token: &str, integration: &str) -> Value {
    server.gql(token, ENABLE, json!({ "id": integration })).await.data();
    latest_job(server, token, integration).await
}

/// A connected, checked and enabled sandbox integration whose first sync has ended.
pub(crate) async fn enabled(server: &TestServer, token: &str, username: &str) -> (String, Value) {
    let integration = connect(server, token, username).await;
    check_access(server, token, &integration).await;
    let job = enable(server, token, &integration).await;
    (integration, job)
}

pub(crate) async fn sync_now(server: &TestServer, token: &str, integration: &str, scope: Value) -> Value {
    server
        .gql(
            token,
            "mutation($id: ID!, $scope: SyncScopeInput) { syncNow(integrationId: $id, scope: $scope) { id } }",
            json!({ "id": integration, "scope": scope }),
        )
        .await
        .data();
    latest_job(server, token, integration).await
}

const LEASE_FIELDS: &str = "remoteId remoteData status remoteStatus startDate endDate moveInDate moveOutDate noticeDate rent \
    isMonthToMonth updatedAt property { remoteId } unit { remoteId } unitSpace { remoteId } \
    residents { role status moveInDate moveOutDate resident { remoteId } }";
const UNIT_FIELDS: &str = "remoteId remoteData number building floorplan bedrooms bathrooms squareFeet marketRent occupancy \
    updatedAt property { remoteId } spaces { remoteId name }";
const RESIDENT_FIELDS: &str = "remoteId remoteData firstName lastName email phone updatedAt";
const PROPERTY_FIELDS: &str =
    "remoteId remoteData name timeZone unitCount updatedAt address { line1 line2 city state postalCode country }";

/// Every node of a top-level connection, page by page, by remote id.
async fn all(
    server: &TestServer,
    token: &str,
    connection: &str,
    fields: &str,
    filter: &str,
) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    let mut after = Value::Null;
    loop {
        let query = format!(
            "query($after: String) {{ {connection}(first: 500, after: $after{filter}) {{ pageInfo {{ hasNextPage endCursor }} nodes {{ {fields} }} }} }}"
        );
        let answer = server.gql(token, &query, json!({ "after": after })).await;
        let page = answer.data()[connection].clone();
        for node in page["nodes"].as_array().expect("nodes") {
            out.insert(node["remoteId"].as_str().expect("a remote id").to_owned(), node.clone());
        }
        if page["pageInfo"]["hasNextPage"] != true {
            return out;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

fn date(d: Option<chrono::NaiveDate>) -> Value {
    d.map_or(Value::Null, |d| json!(d.to_string()))
}

fn money(cents: Option<i64>) -> Value {
    cents.map_or(Value::Null, |c| json!(c as f64 / 100.0))
}

fn remote(id: Option<&String>) -> Value {
    id.map_or(Value::Null, |id| json!({ "remoteId": id }))
}

/// A lease as the API should serve it (people sorted by remote id, `updatedAt` left out).
fn expected_lease(l: &NormalizedLease) -> Value {
    let mut residents: Vec<Value> = l
        .residents
        .iter()
        .map(|r| {
            json!({ "role": r.role, "status": r.status, "moveInDate": date(r.move_in_date),
                    "moveOutDate": date(r.move_out_date), "resident": { "remoteId": r.resident_remote_id } })
        })
        .collect();
    residents.sort_by_key(|r| r["resident"]["remoteId"].as_str().map(str::to_owned));
    json!({
        "remoteId": l.remote_id, "status": l.status, "remoteStatus": l.remote_status,
        "startDate": date(l.start_date), "endDate": date(l.end_date), "moveInDate": date(l.move_in_date),
        "moveOutDate": date(l.move_out_date), "noticeDate": date(l.notice_date), "rent": money(l.rent_cents),
        "isMonthToMonth": l.is_month_to_month, "property": { "remoteId": l.property_remote_id },
        "unit": remote(l.unit_remote_id.as_ref()), "unitSpace": remote(l.unit_space_remote_id.as_ref()),
        "residents": residents,
    })
}

fn expected_unit(u: &NormalizedUnit) -> Value {
    json!({
        "remoteId": u.remote_id, "number": u.number, "building": u.building, "floorplan": u.floorplan,
        "bedrooms": u.bedrooms, "bathrooms": u.bathrooms, "squareFeet": u.square_feet,
        "marketRent": money(u.market_rent_cents), "occupancy": u.occupancy,
        "property": { "remoteId": u.property_remote_id },
        "spaces": u.spaces.iter().map(|s| json!({ "remoteId": s.remote_id, "name": s.name })).collect::<Vec<_>>(),
    })
}

fn expected(record: &NormalizedRecord) -> Value {
    match record {
        NormalizedRecord::Property(p) => json!({
            "remoteId": p.remote_id, "name": p.name, "timeZone": p.time_zone, "unitCount": p.unit_count,
            "address": { "line1": p.address.line1, "line2": p.address.line2, "city": p.address.city,
                         "state": p.address.state, "postalCode": p.address.postal_code, "country": p.address.country },
        }),
        NormalizedRecord::Unit(u) => expected_unit(u),
        NormalizedRecord::Resident(r) => json!({
            "remoteId": r.remote_id, "firstName": r.first_name, "lastName": r.last_name, "email": r.email, "phone": r.phone,
        }),
        NormalizedRecord::Lease(l) => expected_lease(l),
    }
}

/// What the API serves, normalized for comparison with the world: `updatedAt` and the raw record
/// dropped, people sorted.
fn served(mut node: Value) -> Value {
    if let Some(object) = node.as_object_mut() {
        object.remove("updatedAt");
        object.remove("remoteData");
        if let Some(Value::Array(people)) = object.get_mut("residents") {
            people.sort_by_key(|r| r["resident"]["remoteId"].as_str().map(str::to_owned));
        }
    }
    node
}

fn strip_updated(node: &Value) -> Value {
    let mut node = node.clone();
    if let Some(object) = node.as_object_mut() {
        object.remove("updatedAt");
    }
    node
}

/// Everything the API serves for the token, by kind and remote id.
async fn snapshot(server: &TestServer, token: &str) -> BTreeMap<RecordKind, BTreeMap<String, Value>> {
    BTreeMap::from([
        (RecordKind::Property, all(server, token, "properties", PROPERTY_FIELDS, "").await),
        (RecordKind::Unit, all(server, token, "units", UNIT_FIELDS, "").await),
        (RecordKind::Resident, all(server, token, "residents", RESIDENT_FIELDS, "").await),
        (RecordKind::Lease, all(server, token, "leases", LEASE_FIELDS, "").await),
    ])
}

/// The API serves exactly the world: the same records, field by field.
fn assert_serves(snapshot: &BTreeMap<RecordKind, BTreeMap<String, Value>>, world: &World) {
    let mut want: BTreeMap<RecordKind, BTreeMap<String, Value>> = BTreeMap::new();
    for record in world.normalized() {
        want.entry(record.kind()).or_default().insert(record.remote_id().to_owned(), expected(&record));
    }
    for (kind, records) in &want {
        let got = &snapshot[kind];
        let missing: Vec<_> = records.keys().filter(|k| !got.contains_key(*k)).take(5).collect();
        let extra: Vec<_> = got.keys().filter(|k| !records.contains_key(*k)).take(5).collect();
        assert!(missing.is_empty() && extra.is_empty(), "{kind:?}: missing {missing:?}, extra {extra:?}");
        for (id, record) in records {
            assert_eq!(&served(got[id].clone()), record, "{kind:?} {id}");
        }
    }
}

#[tokio::test]
async fn the_api_serves_exactly_the_synced_sandbox_and_a_resync_applies_only_the_changes() {
    let server = TestServer::start().await;
    let token = server.token("sync-e2e", Environment::Sandbox).await;
    let (integration, job) = enabled(&server, &token, "sandbox").await;
    assert_eq!(job["status"], "SUCCESS", "{job}");
    assert_eq!(job["trigger"], "ENABLE");

    let step0 = world(0);
    let before = snapshot(&server, &token).await;
    assert_serves(&before, &step0);

    // Counts per status, bedroom spaces and multi-lease residents, as the API counts them.
    let counts = step0.counts();
    for (status, n) in &counts.leases_by_status {
        let query = "query($s: [LeaseStatus!]) { leases(filter: {status: $s}) { totalCount } }";
        let answer = server.gql(&token, query, json!({ "s": [status] })).await;
        assert_eq!(answer.data()["leases"]["totalCount"], json!(n), "{status:?}");
    }
    let spaces: usize = before[&RecordKind::Unit].values().map(|u| u["spaces"].as_array().map_or(0, Vec::len)).sum();
    assert!(spaces > 0, "the sandbox has student housing");
    assert_eq!(spaces, counts.spaces);
    let people = all(&server, &token, "residents", "remoteId leases { lease { remoteId } }", "").await;
    let several = people.values().filter(|r| r["leases"].as_array().is_some_and(|l| l.len() > 1)).count();
    assert!(several > 0, "some people hold several leases");

    // A second sync of the same world writes nothing.
    let job = sync_now(&server, &token, &integration, Value::Null).await;
    assert_eq!(job["status"], "SUCCESS", "{job}");
    assert_eq!(job["counts"]["created"], 0);
    assert_eq!(job["counts"]["updated"], 0);
    assert_eq!(job["counts"]["deleted"], 0);
    assert_eq!(snapshot(&server, &token).await, before, "a no-change sync rewrote rows");

    // The timeline moves: the next sync applies exactly the changes.
    advance(server.db(), DEFAULT_WORLD, 1).await.expect("the timeline advances");
    let step1 = world(1);
    let job = sync_now(&server, &token, &integration, Value::Null).await;
    assert_eq!(job["status"], "SUCCESS", "{job}");
    let after = snapshot(&server, &token).await;
    assert_serves(&after, &step1);

    let (mut changed, mut same, mut gone, mut new) = (0, 0, 0, 0);
    for (kind, records) in &before {
        for (id, old) in records {
            match after[kind].get(id) {
                None => gone += 1,
                // A row whose fields (the raw record included) did not change keeps its updatedAt:
                // it was not rewritten.
                Some(now) if strip_updated(now) == strip_updated(old) => {
                    assert_eq!(now["updatedAt"], old["updatedAt"], "{kind:?} {id} was rewritten");
                    same += 1;
                }
                Some(now) => {
                    assert_ne!(now["updatedAt"], old["updatedAt"], "{kind:?} {id} changed without a new updatedAt");
                    changed += 1;
                }
            }
        }
        new += after[kind].keys().filter(|id| !records.contains_key(*id)).count();
    }
    assert!(changed > 0 && same > 0 && new > 0 && gone > 0, "changed {changed}, same {same}, new {new}, gone {gone}");
    assert!(job["counts"]["created"].as_u64() >= Some(new as u64), "{job}");
    assert!(job["counts"]["deleted"].as_u64() >= Some(gone as u64), "{job}");

    // What is gone is kept, marked deleted, and served on request.
    let gone_lease = before[&RecordKind::Lease].keys().find(|id| !after[&RecordKind::Lease].contains_key(*id));
    if let Some(id) = gone_lease {
        let deleted =
            all(&server, &token, "leases", "remoteId remoteDeletedAt", ", filter: {includeDeleted: true}").await;
        assert!(deleted[id]["remoteDeletedAt"].is_string(), "{}", deleted[id]);
    }
}

#[tokio::test]
async fn one_unit_and_one_resident_sync_only_their_scope() {
    let server = TestServer::start().await;
    let token = server.token("scoped-sync", Environment::Sandbox).await;
    let (integration, _) = enabled(&server, &token, "sandbox").await;
    let answer = server
        .gql(&token, "{ leases(first: 1, filter: {status: [CURRENT]}) { nodes { unit { id remoteId } residents { resident { id remoteId } } } } }", json!({}))
        .await;
    let lease = answer.data()["leases"]["nodes"][0].clone();

    let job = sync_now(&server, &token, &integration, json!({ "unitId": lease["unit"]["id"] })).await;
    assert_eq!((job["scope"].as_str(), job["status"].as_str()), (Some("UNIT"), Some("SUCCESS")), "{job}");
    let unit_rows = job["counts"]["unchanged"].as_u64().unwrap_or(0);
    assert!(unit_rows > 0, "{job}");

    let job =
        sync_now(&server, &token, &integration, json!({ "residentId": lease["residents"][0]["resident"]["id"] })).await;
    assert_eq!((job["scope"].as_str(), job["status"].as_str()), (Some("RESIDENT"), Some("SUCCESS")), "{job}");
    let resident_rows = job["counts"]["unchanged"].as_u64().unwrap_or(0);
    assert!(resident_rows > 0, "{job}");

    // Scoped syncs read a few rows, never the whole portfolio, and delete nothing.
    let whole = world(0).normalized().len() as u64;
    assert!(
        unit_rows < whole / 4 && resident_rows < whole / 4,
        "unit {unit_rows}, resident {resident_rows}, whole {whole}"
    );
    assert_eq!(job["counts"]["deleted"], 0);
}

/// The expected API view of every record of a world, by kind and remote id.
fn expected_all(world: &World) -> BTreeMap<(RecordKind, String), Value> {
    world.normalized().iter().map(|r| ((r.kind(), r.remote_id().to_owned()), expected(r))).collect()
}

/// Remote ids of `kind` that exist in both views and differ.
fn changed(
    kind: RecordKind,
    old: &BTreeMap<(RecordKind, String), Value>,
    new: &BTreeMap<(RecordKind, String), Value>,
) -> Vec<String> {
    new.iter()
        .filter(|((k, id), now)| *k == kind && old.get(&(kind, id.clone())).is_some_and(|was| was != *now))
        .map(|((_, id), _)| id.clone())
        .collect()
}

#[tokio::test]
async fn after_a_change_a_unit_or_resident_sync_updates_just_that_scope() {
    let server = TestServer::start().await;
    let token = server.token("scoped-change", Environment::Sandbox).await;
    let (integration, _) = enabled(&server, &token, "sandbox").await;
    advance(server.db(), DEFAULT_WORLD, 3).await.expect("the timeline advances");
    let (old, new) = (expected_all(&world(0)), expected_all(&world(3)));

    // Two changed leases in two different units: syncing the first unit updates its lease only.
    let unit_of =
        |lease: &str| new[&(RecordKind::Lease, lease.to_owned())]["unit"]["remoteId"].as_str().map(str::to_owned);
    let leases = changed(RecordKind::Lease, &old, &new);
    let lease_a = leases.first().expect("a lease changed").clone();
    let lease_b = leases.iter().find(|l| unit_of(l) != unit_of(&lease_a)).expect("a lease changed elsewhere").clone();
    let units = all(&server, &token, "units", "id remoteId", "").await;
    let unit_a = unit_of(&lease_a).expect("a unit");
    let job = sync_now(&server, &token, &integration, json!({ "unitId": units[&unit_a]["id"] })).await;
    assert_eq!((job["scope"].as_str(), job["status"].as_str()), (Some("UNIT"), Some("SUCCESS")), "{job}");
    let served_leases = all(&server, &token, "leases", LEASE_FIELDS, "").await;
    assert_eq!(served(served_leases[&lease_a].clone()), new[&(RecordKind::Lease, lease_a.clone())]);
    assert_eq!(served(served_leases[&lease_b].clone()), old[&(RecordKind::Lease, lease_b.clone())]);

    // Two changed people who share no lease with each other or with that unit: syncing the first
    // updates them only.
    let leases_of = |person: &str| -> Vec<String> {
        new.iter()
            .filter(|((kind, _), lease)| {
                *kind == RecordKind::Lease
                    && lease["residents"]
                        .as_array()
                        .is_some_and(|people| people.iter().any(|p| p["resident"]["remoteId"].as_str() == Some(person)))
            })
            .map(|((_, id), _)| id.clone())
            .collect()
    };
    let on_unit_a = |person: &str| leases_of(person).iter().any(|l| unit_of(l).as_deref() == Some(unit_a.as_str()));
    let people: Vec<String> = changed(RecordKind::Resident, &old, &new).into_iter().filter(|p| !on_unit_a(p)).collect();
    let person_a = people.first().expect("a person changed").clone();
    let leases_a = leases_of(&person_a);
    let person_b = people
        .iter()
        .find(|p| leases_of(p).iter().all(|l| !leases_a.contains(l)))
        .expect("another person changed")
        .clone();
    let residents = all(&server, &token, "residents", "id remoteId", "").await;
    let job = sync_now(&server, &token, &integration, json!({ "residentId": residents[&person_a]["id"] })).await;
    assert_eq!((job["scope"].as_str(), job["status"].as_str()), (Some("RESIDENT"), Some("SUCCESS")), "{job}");
    let served_people = all(&server, &token, "residents", RESIDENT_FIELDS, "").await;
    assert_eq!(served(served_people[&person_a].clone()), new[&(RecordKind::Resident, person_a.clone())]);
    assert_eq!(served(served_people[&person_b].clone()), old[&(RecordKind::Resident, person_b.clone())]);
    assert_eq!(job["counts"]["deleted"], 0);
}

#[tokio::test]
async fn denied_leases_keep_the_integration_disabled_until_access_is_fixed() {
    let server = TestServer::start().await;
    let token = server.token("denied", Environment::Sandbox).await;
    let integration = connect(&server, &token, "sandbox+deny=leases").await;
    let access = check_access(&server, &token, &integration).await;
    for entry in access.as_array().expect("entries") {
        let denied = entry["resource"] == "LEASES";
        assert_eq!(entry["status"], if denied { "DENIED" } else { "GRANTED" }, "{entry}");
        if denied {
            assert!(entry["message"].as_str().is_some_and(|m| m.contains("getLeases")), "{entry}");
        }
    }
    let answer = server.gql(&token, ENABLE, json!({ "id": integration })).await;
    assert_eq!(answer.code(), "DATA_ACCESS_INCOMPLETE");
    assert!(answer.message().contains("leases"), "{}", answer.message());

    // The property manager fixes the API user's permissions: new credentials, a new check (it
    // starts by itself), enable, and the first sync brings the data.
    let answer = server
        .gql(
            &token,
            r#"mutation($id: ID!, $url: String!) {
              updateIntegration(integrationId: $id, credentials: { entrata: { baseUrl: $url, username: "sandbox", password: "sandbox" } }) { id }
            }"#,
            json!({ "id": integration, "url": format!("{}/sandbox/entrata", server.url) }),
        )
        .await;
    answer.data();
    let access = check_access(&server, &token, &integration).await;
    assert!(access.as_array().expect("entries").iter().all(|a| a["status"] == "GRANTED"), "{access}");
    let job = enable(&server, &token, &integration).await;
    assert_eq!(job["status"], "SUCCESS", "{job}");
    assert_serves(&snapshot(&server, &token).await, &world(0));
}

#[tokio::test]
async fn rate_limits_and_outages_are_waited_out() {
    let server = TestServer::start_with(|config| {
        config.worker.http.base_backoff = Duration::from_millis(10);
    })
    .await;
    let sandbox = server.state.sandbox.clone().expect("the sandbox is mounted");
    for profile in ["sandbox+ratelimit", "sandbox+flaky"] {
        // One app per profile, so that each sees only its own integration.
        let token = server.token(profile, Environment::Sandbox).await;
        let integration = connect(&server, &token, profile).await;
        check_access(&server, &token, &integration).await;
        // The faults strike the first call of each method: let the sync, not the check, meet them.
        sandbox.faults().reset();
        let job = enable(&server, &token, &integration).await;
        assert_eq!(job["status"], "SUCCESS", "{profile}: {job}");
        assert_serves(&snapshot(&server, &token).await, &world(0));
    }
}

/// Replaces an integration's credentials through the service layer (as a credential rotation does).
async fn set_username(server: &TestServer, integration: &str, username: &str) {
    let id = pmsgraph::graphql::ids::decode(integration).expect("a global id").1;
    let credentials =
        json!({ "base_url": format!("{}/sandbox/entrata", server.url), "username": username, "password": "sandbox" });
    pmsgraph::store::customers::set_credentials(server.db(), &server.state.vault, id, &credentials)
        .await
        .expect("credentials are replaced");
}

#[tokio::test]
async fn a_failing_sync_gives_a_partial_success_that_names_the_path_and_loses_nothing() {
    let server = TestServer::start().await;
    let token = server.token("malformed", Environment::Sandbox).await;
    let (integration, job) = enabled(&server, &token, "sandbox").await;
    assert_eq!(job["status"], "SUCCESS");
    let before = snapshot(&server, &token).await;

    // The timeline moves, and from now on the first getLeases page of every property is malformed:
    // properties and units sync, every property's leases fail.
    advance(server.db(), DEFAULT_WORLD, 1).await.expect("the timeline advances");
    set_username(&server, &integration, "sandbox+malformed=getLeases:1").await;
    let job = sync_now(&server, &token, &integration, Value::Null).await;
    assert_eq!(job["status"], "PARTIAL_SUCCESS", "{job}");
    let errors = job["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), world(1).counts().properties, "one error per property: {job}");
    for error in errors {
        assert_eq!(error["code"], "PMS_MALFORMED_RESPONSE", "{error}");
        assert!(error["message"].as_str().is_some_and(|m| m.contains("lease")), "the path is named: {error}");
        assert!(error["at"].is_string(), "the failing property is named: {error}");
    }
    assert_eq!(job["counts"]["deleted"], 0);

    // Nothing stored is lost or marked deleted: every lease and person is still served as it was.
    let after = snapshot(&server, &token).await;
    for kind in [RecordKind::Lease, RecordKind::Resident] {
        assert_eq!(after[&kind], before[&kind], "{kind:?}");
    }
    // What did sync stands: the units are those of the new step.
    let units: BTreeMap<String, Value> = world(1)
        .normalized()
        .iter()
        .filter_map(|r| match r {
            NormalizedRecord::Unit(u) => Some((u.remote_id.clone(), expected_unit(u))),
            _ => None,
        })
        .collect();
    let served_units: BTreeMap<String, Value> =
        after[&RecordKind::Unit].iter().map(|(id, u)| (id.clone(), served(u.clone()))).collect();
    assert_eq!(served_units, units);

    // Healthy again: the next sync completes the step, deletions included.
    set_username(&server, &integration, "sandbox").await;
    let job = sync_now(&server, &token, &integration, Value::Null).await;
    assert_eq!(job["status"], "SUCCESS", "{job}");
    assert_serves(&snapshot(&server, &token).await, &world(1));
}
