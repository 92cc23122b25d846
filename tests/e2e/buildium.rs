//! The Buildium connector end to end: a sandbox customer connected over real HTTP to the server's
//! built-in Buildium sandbox passes the data-access check, syncs, and the GraphQL API serves the
//! same normalized portfolio as for an Entrata customer synced from the same sandbox world, in
//! Buildium's reduced view; after a timeline step an incremental sync (the job says so) brings the
//! same changes; a denied resource blocks enabling.
//!
//! Buildium's reduced view of the world: Buildium has no applications or cancelled leases (its
//! statuses are Active, Future and Past), no records of occupants (only their number), no
//! floorplans and no bedroom spaces. So the Entrata customer's portfolio is compared without
//! APPLICANT and CANCELLED leases, without OCCUPANT lease residents, with the people who remain on
//! the remaining leases, and without floorplans; everything else (properties, units, lease dates,
//! rent, statuses, roles, people's names, emails and phones) must be equal.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use pmsgraph::auth::Environment;
use pmsgraph::store::sandbox::{DEFAULT_WORLD, advance};

use crate::support::TestServer;
use crate::sync::{ENABLE, check_access, enable, enabled, sync_now, world};
use crate::yardi::every;

const CONNECT_BUILDIUM: &str = r#"mutation($customer: ID!, $buildium: BuildiumCredentialsInput!) {
  connectIntegration(customerId: $customer, credentials: { buildium: $buildium }) { id status }
}"#;

/// A sandbox customer connected to the built-in Buildium sandbox; its integration's id.
async fn connect_buildium(server: &TestServer, token: &str, client_id: &str) -> String {
    let customer = server
        .gql(token, "mutation { createCustomer(name: \"Buildium Homes\") { id } }", json!({}))
        .await
        .data()["createCustomer"]["id"]
        .clone();
    let credentials = json!({
        "baseUrl": format!("{}/sandbox/buildium", server.url), "clientId": client_id, "clientSecret": "sandbox",
    });
    let answer = server.gql(token, CONNECT_BUILDIUM, json!({ "customer": customer, "buildium": credentials })).await;
    assert_eq!(answer.data()["connectIntegration"]["status"], "DISABLED");
    answer.data()["connectIntegration"]["id"].as_str().expect("an id").to_owned()
}

/// What both PMSs must agree on in Buildium's view, without the PMSs' own ids.
#[derive(Debug, PartialEq, Eq)]
struct Portfolio {
    properties: BTreeSet<String>,
    units: BTreeSet<String>,
    leases: BTreeMap<String, usize>,
    people: BTreeSet<String>,
    by_status: BTreeMap<String, u64>,
}

const PROPERTY: &str = "name timeZone unitCount address { line1 city state postalCode country }";
const UNIT: &str = "number building bedrooms bathrooms squareFeet occupancy property { name }";
const LEASE: &str = "status remoteStatus startDate endDate moveInDate moveOutDate noticeDate rent isMonthToMonth \
    property { name } unit { number } residents { role status moveInDate moveOutDate resident { firstName lastName email phone } }";
/// The statuses Buildium can express.
const STATUSES: [&str; 4] = ["FUTURE", "CURRENT", "NOTICE", "PAST"];

async fn portfolio(server: &TestServer, token: &str) -> Portfolio {
    let properties = every(server, token, "properties", PROPERTY).await.iter().map(Value::to_string).collect();
    let units = every(server, token, "units", UNIT).await.iter().map(Value::to_string).collect();
    let mut leases = BTreeMap::new();
    let mut people = BTreeSet::new();
    for mut lease in every(server, token, "leases", LEASE).await {
        if !lease["status"].as_str().is_some_and(|s| STATUSES.contains(&s)) {
            continue;
        }
        // The PMSs' own status words differ (Entrata "Current", Buildium "Active").
        lease.as_object_mut().expect("an object").remove("remoteStatus");
        if let Some(Value::Array(residents)) = lease.get_mut("residents") {
            residents.retain(|r| r["role"] != "OCCUPANT");
            residents.sort_by_key(Value::to_string);
            people.extend(residents.iter().map(|r| r["resident"].to_string()));
        }
        *leases.entry(lease.to_string()).or_insert(0) += 1;
    }
    let mut by_status = BTreeMap::new();
    for status in STATUSES {
        let query = "query($s: [LeaseStatus!]) { leases(filter: {status: $s}) { totalCount } }";
        let count = server.gql(token, query, json!({ "s": [status] })).await.data()["leases"]["totalCount"].as_u64();
        by_status.insert(status.to_owned(), count.unwrap_or_default());
    }
    Portfolio { properties, units, leases, people, by_status }
}

fn assert_same_portfolio(entrata: &Portfolio, buildium: &Portfolio) {
    assert_eq!(entrata.by_status, buildium.by_status, "counts per status");
    assert_eq!(entrata.properties, buildium.properties, "properties");
    assert_eq!(entrata.units, buildium.units, "units");
    assert_eq!(entrata.people, buildium.people, "people");
    let missing: Vec<_> = entrata.leases.keys().filter(|l| !buildium.leases.contains_key(*l)).take(3).collect();
    let extra: Vec<_> = buildium.leases.keys().filter(|l| !entrata.leases.contains_key(*l)).take(3).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "leases: missing in Buildium {missing:?}, only in Buildium {extra:?}"
    );
}

#[tokio::test]
async fn a_buildium_customer_sees_the_entrata_portfolio_in_buildiums_view_and_resyncs_incrementally() {
    let server = TestServer::start().await;
    let entrata_token = server.token("buildium-e2e-entrata", Environment::Sandbox).await;
    let token = server.token("buildium-e2e", Environment::Sandbox).await;
    let (entrata, job) = enabled(&server, &entrata_token, "sandbox").await;
    assert_eq!(job["status"], "SUCCESS", "{job}");
    let integration = connect_buildium(&server, &token, "sandbox").await;
    let access = check_access(&server, &token, &integration).await;
    let statuses: Vec<_> = access.as_array().expect("a matrix").iter().map(|a| a["status"].clone()).collect();
    assert_eq!(statuses, vec![json!("GRANTED"); 4], "{access}");
    let first = enable(&server, &token, &integration).await;
    assert_eq!(first["status"], "SUCCESS", "{first}");
    assert_eq!(first["incremental"], false, "the first sync is full: {first}");
    let first_read = first["counts"]["created"].as_u64().unwrap_or(0);

    let (e0, b0) = (portfolio(&server, &entrata_token).await, portfolio(&server, &token).await);
    assert_same_portfolio(&e0, &b0);
    assert_eq!(b0.properties.len(), world(0).counts().properties);

    // A re-sync of the same world is incremental and reads nothing.
    let job = sync_now(&server, &token, &integration, Value::Null).await;
    assert_eq!(job["status"], "SUCCESS", "{job}");
    assert_eq!(job["incremental"], true, "{job}");
    assert!(job["changedSince"].is_string(), "{job}");
    let read = |job: &Value| {
        ["created", "updated", "unchanged"].iter().map(|c| job["counts"][c].as_u64().unwrap_or(0)).sum::<u64>()
    };
    assert_eq!(read(&job), 0, "{job}");

    // The timeline moves: the incremental sync reads only what changed, and both agree again.
    advance(server.db(), DEFAULT_WORLD, 1).await.expect("the timeline advances");
    // The step's time is recorded, so another process stamps its changes alike.
    let reached = pmsgraph::store::sandbox::reached_at(server.db(), DEFAULT_WORLD, 1)
        .await
        .expect("reads")
        .expect("step 1 is recorded");
    let other = pmsgraph::sandbox::state(server.db(), &pmsgraph::sandbox::SandboxConfig::default());
    assert_eq!(other.reached_at(1).await, reached, "another process's simulator uses the recorded time");
    let job = sync_now(&server, &token, &integration, Value::Null).await;
    assert_eq!(job["status"], "SUCCESS", "{job}");
    assert_eq!(job["incremental"], true, "{job}");
    assert_eq!(job["counts"]["deleted"], 0, "an incremental sync deletes nothing: {job}");
    let changed = job["counts"]["created"].as_u64().unwrap_or(0) + job["counts"]["updated"].as_u64().unwrap_or(0);
    assert!(changed > 0, "the step changed nothing in Buildium: {job}");
    assert!(read(&job) * 4 < first_read, "an incremental sync reads few records: {job} against {first_read}");
    let job = sync_now(&server, &entrata_token, &entrata, Value::Null).await;
    assert_eq!(job["status"], "SUCCESS", "{job}");
    let (e1, b1) = (portfolio(&server, &entrata_token).await, portfolio(&server, &token).await);
    assert_same_portfolio(&e1, &b1);
    assert_ne!(b0.leases, b1.leases, "the step changed leases");
    server.stop().await;
}

#[tokio::test]
async fn a_denied_buildium_resource_blocks_enabling_and_names_the_reason() {
    let server = TestServer::start().await;
    let token = server.token("buildium-e2e-denied", Environment::Sandbox).await;
    let integration = connect_buildium(&server, &token, "sandbox+deny=leases").await;
    let access = check_access(&server, &token, &integration).await;
    let leases = access
        .as_array()
        .expect("a matrix")
        .iter()
        .find(|a| a["resource"] == "LEASES")
        .cloned()
        .expect("the leases answer");
    assert_eq!(leases["status"], "DENIED", "{access}");
    assert!(leases["message"].as_str().is_some_and(|m| m.contains("permissions")), "{leases}");
    let answer = server.gql(&token, ENABLE, json!({ "id": integration })).await;
    assert_eq!(answer.code(), "DATA_ACCESS_INCOMPLETE");
    assert!(answer.message().to_lowercase().contains("lease"), "{}", answer.message());

    // Credentials need every field.
    let customer = server
        .gql(&token, "mutation { createCustomer(name: \"Empty\") { id } }", json!({}))
        .await
        .data()["createCustomer"]["id"]
        .clone();
    let credentials =
        json!({ "baseUrl": format!("{}/sandbox/buildium", server.url), "clientId": " ", "clientSecret": "x" });
    let answer = server.gql(&token, CONNECT_BUILDIUM, json!({ "customer": customer, "buildium": credentials })).await;
    assert_eq!(answer.code(), "BAD_USER_INPUT");
    assert!(answer.message().contains("clientId"), "{}", answer.message());
    server.stop().await;
}
