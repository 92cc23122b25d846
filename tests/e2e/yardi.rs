//! The Yardi connector end to end: a sandbox customer connected over real HTTP to the server's
//! built-in Yardi sandbox passes the data-access check, syncs, and the GraphQL API serves the same
//! normalized portfolio as for an Entrata customer synced from the same sandbox world (the same
//! properties, units, counts per status, people and dates), then the same changes after a timeline
//! step. The two customers belong to two apps, so each token sees one of them.
//!
//! The PMSs' own ids differ (Yardi's codes are not Entrata's numbers), so records are compared by
//! what they say: a lease by its property's name, its unit's number, its dates, rent and people. A
//! person's Yardi codes are per lease, and DESIGN.md merges them only on email and last name: the
//! same people are served, but a person without an email on several leases is one resident per
//! lease in Yardi. Unit spaces exist in Entrata only (Yardi shows none).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use pmsgraph::auth::Environment;
use pmsgraph::store::sandbox::{DEFAULT_WORLD, advance};

use crate::support::TestServer;
use crate::sync::{ENABLE, check_access, enable, enabled, sync_now, world};

const CONNECT_YARDI: &str = r#"mutation($customer: ID!, $yardi: YardiCredentialsInput!) {
  connectIntegration(customerId: $customer, credentials: { yardi: $yardi }) { id status }
}"#;

fn yardi_credentials(server: &TestServer, username: &str) -> Value {
    json!({
        "serviceUrl": format!("{}/sandbox/yardi/sandbox/Webservices", server.url),
        "serverName": "sandbox", "database": "sandbox", "username": username, "password": "sandbox",
        "platform": "SQL Server", "interfaceEntity": "pmsgraph", "interfaceLicense": "sandbox",
    })
}

/// A sandbox customer connected to the built-in Yardi sandbox; its integration's id.
async fn connect_yardi(server: &TestServer, token: &str, username: &str) -> String {
    let customer = server
        .gql(token, "mutation { createCustomer(name: \"Yardi Living\") { id } }", json!({}))
        .await
        .data()["createCustomer"]["id"]
        .clone();
    let answer = server
        .gql(token, CONNECT_YARDI, json!({ "customer": customer, "yardi": yardi_credentials(server, username) }))
        .await;
    assert_eq!(answer.data()["connectIntegration"]["status"], "DISABLED");
    answer.data()["connectIntegration"]["id"].as_str().expect("an id").to_owned()
}

/// Every node of a top-level connection, page by page.
async fn every(server: &TestServer, token: &str, connection: &str, fields: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after = Value::Null;
    loop {
        let query = format!(
            "query($after: String) {{ {connection}(first: 500, after: $after) {{ pageInfo {{ hasNextPage endCursor }} nodes {{ {fields} }} }} }}"
        );
        let page = server.gql(token, &query, json!({ "after": after })).await.data()[connection].clone();
        out.extend(page["nodes"].as_array().expect("nodes").iter().cloned());
        if page["pageInfo"]["hasNextPage"] != true {
            return out;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

/// What both PMSs must agree on, without the PMSs' own ids.
#[derive(Debug, PartialEq, Eq)]
struct Portfolio {
    properties: BTreeSet<String>,
    units: BTreeSet<String>,
    /// Leases by what they say, with how many are alike.
    leases: BTreeMap<String, usize>,
    people: BTreeSet<String>,
    by_status: BTreeMap<String, u64>,
}

const PROPERTY: &str = "name timeZone unitCount address { line1 city state postalCode }";
const UNIT: &str = "number building floorplan bedrooms bathrooms squareFeet occupancy property { name }";
const LEASE: &str = "status startDate endDate moveInDate moveOutDate noticeDate rent isMonthToMonth \
    property { name } unit { number } residents { role status moveInDate moveOutDate resident { firstName lastName email phone } }";
const PERSON: &str = "firstName lastName email phone";

async fn portfolio(server: &TestServer, token: &str) -> Portfolio {
    let properties = every(server, token, "properties", PROPERTY).await.iter().map(Value::to_string).collect();
    let units = every(server, token, "units", UNIT).await.iter().map(Value::to_string).collect();
    let mut leases = BTreeMap::new();
    for mut lease in every(server, token, "leases", LEASE).await {
        if let Some(Value::Array(people)) = lease.get_mut("residents") {
            people.sort_by_key(Value::to_string);
        }
        *leases.entry(lease.to_string()).or_insert(0) += 1;
    }
    let people = every(server, token, "residents", PERSON).await.iter().map(Value::to_string).collect();
    let mut by_status = BTreeMap::new();
    for status in ["APPLICANT", "FUTURE", "CURRENT", "NOTICE", "PAST", "CANCELLED"] {
        let query = "query($s: [LeaseStatus!]) { leases(filter: {status: $s}) { totalCount } }";
        let count = server.gql(token, query, json!({ "s": [status] })).await.data()["leases"]["totalCount"].as_u64();
        by_status.insert(status.to_owned(), count.unwrap_or_default());
    }
    Portfolio { properties, units, leases, people, by_status }
}

fn assert_same_portfolio(entrata: &Portfolio, yardi: &Portfolio) {
    assert_eq!(entrata.by_status, yardi.by_status, "counts per status");
    assert_eq!(entrata.properties, yardi.properties, "properties");
    assert_eq!(entrata.units, yardi.units, "units");
    assert_eq!(entrata.people, yardi.people, "people");
    let missing: Vec<_> = entrata.leases.keys().filter(|l| !yardi.leases.contains_key(*l)).take(3).collect();
    let extra: Vec<_> = yardi.leases.keys().filter(|l| !entrata.leases.contains_key(*l)).take(3).collect();
    assert!(missing.is_empty() && extra.is_empty(), "leases: missing in Yardi {missing:?}, only in Yardi {extra:?}");
    assert_eq!(entrata.leases, yardi.leases, "leases");
}

#[tokio::test]
async fn a_yardi_customer_sees_the_same_portfolio_as_an_entrata_customer_of_the_same_world() {
    let server = TestServer::start().await;
    let entrata_token = server.token("yardi-e2e-entrata", Environment::Sandbox).await;
    let yardi_token = server.token("yardi-e2e-yardi", Environment::Sandbox).await;

    let (entrata, job) = enabled(&server, &entrata_token, "sandbox").await;
    assert_eq!(job["status"], "SUCCESS", "{job}");

    let yardi = connect_yardi(&server, &yardi_token, "sandbox").await;
    let access = check_access(&server, &yardi_token, &yardi).await;
    let statuses: Vec<_> = access.as_array().expect("a matrix").iter().map(|a| a["status"].clone()).collect();
    assert_eq!(statuses, vec![json!("GRANTED"); 4], "{access}");
    let job = enable(&server, &yardi_token, &yardi).await;
    assert_eq!(job["status"], "SUCCESS", "{job}");
    assert_eq!(job["trigger"], "ENABLE");

    let step0 = world(0);
    let (e0, y0) = (portfolio(&server, &entrata_token).await, portfolio(&server, &yardi_token).await);
    assert_same_portfolio(&e0, &y0);
    let counts = step0.counts();
    for (status, n) in &counts.leases_by_status {
        assert_eq!(y0.by_status[status.as_str()], *n as u64, "{status:?}");
    }
    assert_eq!(y0.properties.len(), counts.properties);
    assert_eq!(y0.units.len(), counts.units);
    assert_eq!(y0.leases.values().sum::<usize>(), counts.leases);

    // A second sync of the same world writes nothing.
    let job = sync_now(&server, &yardi_token, &yardi, Value::Null).await;
    assert_eq!(job["status"], "SUCCESS", "{job}");
    assert_eq!((job["counts"]["created"].as_u64(), job["counts"]["updated"].as_u64()), (Some(0), Some(0)), "{job}");

    // The timeline moves: both see the same changes.
    advance(server.db(), DEFAULT_WORLD, 1).await.expect("the timeline advances");
    let job = sync_now(&server, &yardi_token, &yardi, Value::Null).await;
    assert_eq!(job["status"], "SUCCESS", "{job}");
    let counted = job["counts"]["created"].as_u64().unwrap_or(0) + job["counts"]["updated"].as_u64().unwrap_or(0);
    assert!(counted > 0, "the step changed nothing in Yardi: {job}");
    let job = sync_now(&server, &entrata_token, &entrata, Value::Null).await;
    assert_eq!(job["status"], "SUCCESS", "{job}");
    let (e1, y1) = (portfolio(&server, &entrata_token).await, portfolio(&server, &yardi_token).await);
    assert_same_portfolio(&e1, &y1);
    assert_ne!(y0.leases, y1.leases, "the step changed leases");
    for (status, n) in &world(1).counts().leases_by_status {
        assert_eq!(y1.by_status[status.as_str()], *n as u64, "{status:?} after the step");
    }
    server.stop().await;
}

#[tokio::test]
async fn a_denied_yardi_resource_blocks_enabling_and_names_yardis_message() {
    let server = TestServer::start().await;
    let token = server.token("yardi-e2e-denied", Environment::Sandbox).await;
    let integration = connect_yardi(&server, &token, "sandbox+deny=residents").await;
    let access = check_access(&server, &token, &integration).await;
    let residents = access
        .as_array()
        .expect("a matrix")
        .iter()
        .find(|a| a["resource"] == "RESIDENTS")
        .cloned()
        .expect("the residents answer");
    assert_eq!(residents["status"], "DENIED", "{access}");
    assert!(
        residents["message"].as_str().is_some_and(|m| m.contains("Invalid or no access to Yardi Property")),
        "{residents}"
    );
    let answer = server.gql(&token, ENABLE, json!({ "id": integration })).await;
    assert_eq!(answer.code(), "DATA_ACCESS_INCOMPLETE");

    // Credentials are validated like Entrata's: a production customer needs a public https URL.
    let production = server.token("yardi-e2e-denied", Environment::Production).await;
    let customer = server
        .gql(&production, "mutation { createCustomer(name: \"Prod\") { id } }", json!({}))
        .await
        .data()["createCustomer"]["id"]
        .clone();
    let answer = server
        .gql(
            &production,
            CONNECT_YARDI,
            json!({ "customer": customer, "yardi": yardi_credentials(&server, "sandbox") }),
        )
        .await;
    assert_eq!(answer.code(), "BAD_USER_INPUT", "{:?}", answer.body);
    let mut missing = yardi_credentials(&server, "sandbox");
    missing["interfaceLicense"] = json!(" ");
    let answer = server.gql(&production, CONNECT_YARDI, json!({ "customer": customer, "yardi": missing })).await;
    assert_eq!(answer.code(), "BAD_USER_INPUT", "{:?}", answer.body);
    assert!(answer.message().contains("interfaceLicense"), "{}", answer.message());
    server.stop().await;
}
