//! The Yardi connector end to end: a sandbox customer connected over real HTTP to the server's
//! built-in Yardi sandbox passes the data-access check, syncs, and the GraphQL API serves the same
//! normalized portfolio as for an Entrata customer synced from the same sandbox world (the same
//! properties, units, counts per status, people and dates), then the same changes after a timeline
//! step, and the same lifecycle events with the same access windows over four steps. The two
//! customers belong to two apps, so each token sees one of them.
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
pub(crate) async fn every(server: &TestServer, token: &str, connection: &str, fields: &str) -> Vec<Value> {
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

/// An Entrata and a Yardi sandbox customer of the same world, of two apps, both checked, enabled
/// and synced once.
struct Pair {
    entrata_token: String,
    entrata: String,
    yardi_token: String,
    yardi: String,
}

impl Pair {
    async fn synced(server: &TestServer, app: &str) -> Pair {
        let entrata_token = server.token(&format!("{app}-entrata"), Environment::Sandbox).await;
        let yardi_token = server.token(&format!("{app}-yardi"), Environment::Sandbox).await;
        let (entrata, job) = enabled(server, &entrata_token, "sandbox").await;
        assert_eq!(job["status"], "SUCCESS", "{job}");
        let yardi = connect_yardi(server, &yardi_token, "sandbox").await;
        let access = check_access(server, &yardi_token, &yardi).await;
        let statuses: Vec<_> = access.as_array().expect("a matrix").iter().map(|a| a["status"].clone()).collect();
        assert_eq!(statuses, vec![json!("GRANTED"); 4], "{access}");
        let job = enable(server, &yardi_token, &yardi).await;
        assert_eq!(job["status"], "SUCCESS", "{job}");
        assert_eq!(job["trigger"], "ENABLE");
        Pair { entrata_token, entrata, yardi_token, yardi }
    }
}

#[tokio::test]
async fn a_yardi_customer_sees_the_same_portfolio_as_an_entrata_customer_of_the_same_world() {
    let server = TestServer::start().await;
    let Pair { entrata_token, entrata, yardi_token, yardi } = Pair::synced(&server, "yardi-e2e").await;

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

const CONTENT_EVENTS: &str = r#"query($after: String) {
  events(first: 200, after: $after) {
    pageInfo { endCursor hasNextPage }
    nodes {
      type data
      lease { property { name } unit { number } }
      resident { firstName lastName email }
      unit { number } previousUnit { number }
      leaseResident { accessWindow { startsAt endsAt } }
    }
  }
}"#;

/// An event by what it says, not by the PMS's ids: its type, property, unit, person and previous
/// unit, with the access window of the occupancy it concerns.
fn content_of(event: &Value) -> Value {
    let person = &event["resident"];
    let name =
        person["firstName"].as_str().map(|first| format!("{first} {}", person["lastName"].as_str().unwrap_or("")));
    json!({
        "type": event["type"],
        "property": event["lease"]["property"]["name"],
        "unit": event["unit"]["number"],
        "person": name,
        "hasEmail": person["email"].is_string(),
        "previousUnit": event["previousUnit"]["number"],
        "window": event["leaseResident"]["accessWindow"],
        "record": event["data"]["record"],
    })
}

/// The events after `cursor` by content, and the cursor to continue from.
async fn contents_after(server: &TestServer, token: &str, cursor: Value) -> (Vec<Value>, Value) {
    let mut out = Vec::new();
    let mut cursor = cursor;
    loop {
        let page = server.gql(token, CONTENT_EVENTS, json!({ "after": cursor })).await.data()["events"].clone();
        out.extend(page["nodes"].as_array().expect("nodes").iter().map(content_of));
        if !page["pageInfo"]["endCursor"].is_null() {
            cursor = page["pageInfo"]["endCursor"].clone();
        }
        if page["pageInfo"]["hasNextPage"] != true {
            return (out, cursor);
        }
    }
}

/// What DESIGN.md's person identity makes of a transfer in Yardi, said as Entrata says it. A
/// person without an email is one resident per Yardi code, so their transfer is their old self
/// moving out and a new resident moving in, where Entrata, whose customer id names the person,
/// sees one TRANSFERRED (carrying the new occupancy's window). Every other event must agree as is.
fn as_one_person(events: Vec<Value>) -> Vec<Value> {
    let mut out = Vec::new();
    let mut moved_out: Vec<Value> = Vec::new();
    for event in events {
        match event["type"].as_str() {
            Some("MOVED_OUT") if event["hasEmail"] == false => moved_out.push(event),
            _ => out.push(event),
        }
    }
    for event in &mut out {
        if event["type"] != "MOVED_IN" || event["hasEmail"] != false {
            continue;
        }
        if let Some(at) = moved_out.iter().position(|old| old["person"] == event["person"]) {
            let old = moved_out.swap_remove(at);
            event["type"] = json!("TRANSFERRED");
            event["previousUnit"] = old["unit"].clone();
        }
    }
    out.extend(moved_out);
    out
}

fn tally(events: Vec<Value>) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for event in events {
        *out.entry(event.to_string()).or_insert(0) += 1;
    }
    out
}

#[tokio::test]
async fn yardi_customers_get_the_same_lifecycle_events_and_access_windows_as_entrata_customers() {
    let server = TestServer::start().await;
    let Pair { entrata_token, entrata, yardi_token, yardi } = Pair::synced(&server, "yardi-events").await;
    let (_, mut entrata_cursor) = contents_after(&server, &entrata_token, Value::Null).await;
    let (_, mut yardi_cursor) = contents_after(&server, &yardi_token, Value::Null).await;

    let mut kinds = BTreeSet::new();
    let windows = "property { name } unit { number } residents { role resident { firstName lastName } accessWindow { startsAt endsAt } }";
    for step in 1..=4u32 {
        advance(server.db(), DEFAULT_WORLD, 1).await.expect("the timeline advances");
        for (token, integration) in [(&entrata_token, &entrata), (&yardi_token, &yardi)] {
            let job = sync_now(&server, token, integration, Value::Null).await;
            assert_eq!(job["status"], "SUCCESS", "step {step}: {job}");
        }
        let (from_entrata, next) = contents_after(&server, &entrata_token, entrata_cursor).await;
        entrata_cursor = next;
        let (from_yardi, next) = contents_after(&server, &yardi_token, yardi_cursor).await;
        yardi_cursor = next;
        let (from_entrata, from_yardi) = (tally(from_entrata), tally(as_one_person(from_yardi)));
        let missing: Vec<_> = from_entrata.iter().filter(|(k, n)| from_yardi.get(*k) != Some(n)).collect();
        let extra: Vec<_> = from_yardi.iter().filter(|(k, n)| from_entrata.get(*k) != Some(n)).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "step {step}: Entrata only {missing:#?}\nYardi only {extra:#?}"
        );
        assert!(!from_yardi.is_empty(), "step {step} changed nothing");
        kinds.extend(
            from_yardi.keys().filter_map(|k| serde_json::from_str::<Value>(k).ok()).map(|e| e["type"].to_string()),
        );

        let (e, y) = (
            every(&server, &entrata_token, "leases", windows).await,
            every(&server, &yardi_token, "leases", windows).await,
        );
        let by_content = |leases: Vec<Value>| -> BTreeMap<String, usize> {
            let mut out = BTreeMap::new();
            for mut lease in leases {
                if let Some(Value::Array(people)) = lease.get_mut("residents") {
                    people.sort_by_key(Value::to_string);
                }
                *out.entry(lease.to_string()).or_insert(0) += 1;
            }
            out
        };
        assert_eq!(by_content(e), by_content(y), "step {step}: access windows");
    }
    // The four steps went through every kind of change the Entrata lifecycle test checks.
    for kind in [
        "MOVE_IN_SCHEDULED",
        "MOVED_IN",
        "NOTICE_GIVEN",
        "MOVED_OUT",
        "TRANSFERRED",
        "LEASE_CREATED",
        "EMAIL_CHANGED",
        "REMOTE_DELETED",
    ] {
        assert!(kinds.contains(&format!("\"{kind}\"")), "no {kind} in four steps: {kinds:?}");
    }
    server.stop().await;
}
