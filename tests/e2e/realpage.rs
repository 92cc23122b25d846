//! The RealPage connector end to end: a sandbox customer connected over real HTTP to the server's
//! built-in RealPage sandbox passes the data-access check, syncs, and the GraphQL API serves the
//! same normalized portfolio as for an Entrata customer synced from the same sandbox world, then
//! the same changes after a timeline step; a lease outside getleaseinfo's look-back window stays
//! (never REMOTE_DELETED); a denied resource blocks enabling with RealPage's message.
//!
//! Records are compared by what they say (`crate::yardi`'s portfolio), translating only what
//! DESIGN.md and RealPage call for: OneSite lists no guarantors as residents (DESIGN.md's RealPage
//! roles are PRIMARY, CO_APPLICANT and OCCUPANT), so an Entrata lease's GUARANTOR occupancies, and
//! the people who are nothing but guarantors, are not expected from RealPage. Resident ids are per
//! lease and merged on email and last name, as for Yardi.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use pmsgraph::auth::Environment;
use pmsgraph::store::sandbox::{DEFAULT_WORLD, advance};
use pmsgraph_sandbox::realpage::{DEFAULT_LOOKBACK_DAYS, household_id, in_lookback};

use crate::support::TestServer;
use crate::sync::{ENABLE, check_access, enable, enabled, sync_now, world};
use crate::yardi::{
    LEASE, PERSON, PROPERTY, Portfolio, UNIT, WINDOWS, as_one_person, assert_production_validates,
    assert_same_portfolio, by_content, by_status, contents_after, every, tally,
};

const CONNECT_REALPAGE: &str = r#"mutation($customer: ID!, $credentials: RealPageCredentialsInput!) {
  connectIntegration(customerId: $customer, credentials: { realPage: $credentials }) { id status }
}"#;

fn realpage_credentials(server: &TestServer, license_key: &str) -> Value {
    json!({
        "gatewayUrl": format!("{}/sandbox/realpage", server.url),
        "partner": "sandbox", "pmcId": "1000000", "siteId": "1", "licenseKey": license_key,
    })
}

/// A sandbox customer connected to the built-in RealPage sandbox; its integration's id.
async fn connect_realpage(server: &TestServer, token: &str, license_key: &str) -> String {
    let customer = server.create_customer(token, "RealPage Living").await;
    let credentials = realpage_credentials(server, license_key);
    let answer = server.gql(token, CONNECT_REALPAGE, json!({ "customer": customer, "credentials": credentials })).await;
    assert_eq!(answer.data()["connectIntegration"]["status"], "DISABLED", "{:?}", answer.body);
    answer.data()["connectIntegration"]["id"].as_str().expect("an id").to_owned()
}

fn not_guarantor(occupancy: &Value) -> bool {
    occupancy["role"] != "GUARANTOR"
}

/// The portfolio a token sees, as RealPage can show it: leases without their guarantors, and the
/// people on some lease other than as a guarantor. Also the people the `residents` connection
/// serves, apart.
async fn portfolio_without_guarantors(server: &TestServer, token: &str) -> (Portfolio, BTreeSet<String>) {
    let properties = every(server, token, "properties", PROPERTY).await.iter().map(Value::to_string).collect();
    let units = every(server, token, "units", UNIT).await.iter().map(Value::to_string).collect();
    let all = every(server, token, "leases", LEASE).await;
    let people = all
        .iter()
        .flat_map(|l| l["residents"].as_array().cloned().unwrap_or_default())
        .filter(not_guarantor)
        .map(|r| r["resident"].to_string())
        .collect();
    let leases = by_content(all, not_guarantor);
    let by_status = by_status(server, token).await;
    let served = every(server, token, "residents", PERSON).await.iter().map(Value::to_string).collect();
    (Portfolio { properties, units, leases, people, by_status }, served)
}

async fn assert_same_as_entrata(server: &TestServer, entrata_token: &str, realpage_token: &str) -> Portfolio {
    let (entrata, _) = portfolio_without_guarantors(server, entrata_token).await;
    let (realpage, served) = portfolio_without_guarantors(server, realpage_token).await;
    assert_same_portfolio(&entrata, &realpage);
    assert_eq!(served, realpage.people, "RealPage serves exactly the people on its leases");
    realpage
}

/// Leases of the RealPage customer by remote id: (status, remoteDeletedAt), deleted ones too.
async fn leases_by_remote_id(server: &TestServer, token: &str) -> BTreeMap<String, (Value, Value)> {
    let mut out = BTreeMap::new();
    let mut after = Value::Null;
    loop {
        let query = "query($after: String) { leases(first: 500, after: $after, filter: {includeDeleted: true}) { pageInfo { hasNextPage endCursor } nodes { remoteId status remoteDeletedAt } } }";
        let page = server.gql(token, query, json!({ "after": after })).await.data()["leases"].clone();
        for lease in page["nodes"].as_array().expect("nodes") {
            let id = lease["remoteId"].as_str().expect("a remote id").to_owned();
            out.insert(id, (lease["status"].clone(), lease["remoteDeletedAt"].clone()));
        }
        if page["pageInfo"]["hasNextPage"] != true {
            return out;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

/// An Entrata and a RealPage sandbox customer of the same world, of two apps, both checked,
/// enabled and synced once: (Entrata token, its integration, RealPage token, its integration).
async fn synced_pair(server: &TestServer, app: &str) -> (String, String, String, String) {
    let entrata_token = server.token(&format!("{app}-entrata"), Environment::Sandbox).await;
    let token = server.token(app, Environment::Sandbox).await;
    let (entrata, job) = enabled(server, &entrata_token, "sandbox").await;
    assert_eq!(job["status"], "SUCCESS", "{job}");
    let realpage = connect_realpage(server, &token, "sandbox").await;
    let access = check_access(server, &token, &realpage).await;
    let statuses: Vec<_> = access.as_array().expect("a matrix").iter().map(|a| a["status"].clone()).collect();
    assert_eq!(statuses, vec![json!("GRANTED"); 4], "{access}");
    let job = enable(server, &token, &realpage).await;
    assert_eq!(job["status"], "SUCCESS", "{job}");
    assert_eq!(job["trigger"], "ENABLE");
    (entrata_token, entrata, token, realpage)
}

#[tokio::test]
async fn a_realpage_customer_sees_the_same_portfolio_as_an_entrata_customer_of_the_same_world() {
    let server = TestServer::start().await;
    let (entrata_token, entrata, token, realpage) = synced_pair(&server, "realpage-e2e").await;

    let p0 = assert_same_as_entrata(&server, &entrata_token, &token).await;
    let counts = world(0).counts();
    for (status, n) in &counts.leases_by_status {
        assert_eq!(p0.by_status[status.as_str()], *n as u64, "{status:?}");
    }
    assert_eq!((p0.properties.len(), p0.units.len()), (counts.properties, counts.units));
    assert_eq!(p0.leases.values().sum::<usize>(), counts.leases);

    // A second sync of the same world writes nothing.
    let job = sync_now(&server, &token, &realpage, Value::Null).await;
    assert_eq!(job["status"], "SUCCESS", "{job}");
    assert_eq!((job["counts"]["created"].as_u64(), job["counts"]["updated"].as_u64()), (Some(0), Some(0)), "{job}");

    // The timeline moves: the changes arrive, the same as Entrata's.
    advance(server.db(), DEFAULT_WORLD, 1).await.expect("the timeline advances");
    let job = sync_now(&server, &token, &realpage, Value::Null).await;
    assert_eq!(job["status"], "SUCCESS", "{job}");
    let counted = job["counts"]["created"].as_u64().unwrap_or(0) + job["counts"]["updated"].as_u64().unwrap_or(0);
    assert!(counted > 0, "the step changed nothing in RealPage: {job}");
    let job = sync_now(&server, &entrata_token, &entrata, Value::Null).await;
    assert_eq!(job["status"], "SUCCESS", "{job}");
    let p1 = assert_same_as_entrata(&server, &entrata_token, &token).await;
    assert_ne!(p0.leases, p1.leases, "the step changed leases");
    for (status, n) in &world(1).counts().leases_by_status {
        assert_eq!(p1.by_status[status.as_str()], *n as u64, "{status:?} after the step");
    }
    server.stop().await;
}

#[tokio::test]
async fn a_lease_older_than_the_lookback_window_is_not_a_deletion() {
    let server = TestServer::start().await;
    let token = server.token("realpage-lookback", Environment::Sandbox).await;
    let realpage = connect_realpage(&server, &token, "sandbox").await;
    check_access(&server, &token, &realpage).await;
    let job = enable(&server, &token, &realpage).await;
    assert_eq!(job["status"], "SUCCESS", "{job}");

    // Leases getleaseinfo no longer lists (their status held for over a year), still in the world
    // after the next step.
    let (w0, w1) = (world(0), world(1));
    let old: Vec<String> = w0
        .leases
        .iter()
        .filter(|l| !in_lookback(l, w0.today, DEFAULT_LOOKBACK_DAYS) && w1.lease(l.id).is_some())
        .map(household_id)
        .collect();
    assert!(!old.is_empty(), "the world has leases outside the window");
    let stored = leases_by_remote_id(&server, &token).await;
    for id in &old {
        assert_eq!(stored.get(id).map(|(_, deleted)| deleted), Some(&Value::Null), "lease {id} after the first sync");
    }

    // A re-sync, and one after a step: still there, never deleted.
    for step in 0..2 {
        if step == 1 {
            advance(server.db(), DEFAULT_WORLD, 1).await.expect("the timeline advances");
        }
        let job = sync_now(&server, &token, &realpage, Value::Null).await;
        assert_eq!(job["status"], "SUCCESS", "{job}");
        let stored = leases_by_remote_id(&server, &token).await;
        for id in &old {
            let (status, deleted) = stored.get(id).unwrap_or_else(|| panic!("lease {id} is gone after step {step}"));
            assert_eq!(deleted, &Value::Null, "lease {id} ({status}) was deleted after step {step}");
        }
    }
    let events = server
        .gql(
            &token,
            "{ events(first: 500, filter: {types: [REMOTE_DELETED]}) { nodes { lease { remoteId } } } }",
            json!({}),
        )
        .await;
    let deleted: BTreeSet<String> = events.data()["events"]["nodes"]
        .as_array()
        .map(|nodes| nodes.iter().filter_map(|n| n["lease"]["remoteId"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    assert!(old.iter().all(|id| !deleted.contains(id)), "REMOTE_DELETED for an old lease: {deleted:?}");
    server.stop().await;
}

#[tokio::test]
async fn a_denied_realpage_resource_blocks_enabling_and_names_realpages_message() {
    let server = TestServer::start().await;
    let token = server.token("realpage-e2e-denied", Environment::Sandbox).await;
    let integration = connect_realpage(&server, &token, "sandbox+deny=leases").await;
    let access = check_access(&server, &token, &integration).await;
    let by_resource: BTreeMap<String, Value> = access
        .as_array()
        .expect("a matrix")
        .iter()
        .map(|a| (a["resource"].as_str().unwrap_or_default().to_owned(), a.clone()))
        .collect();
    assert_eq!(by_resource["LEASES"]["status"], "DENIED", "{access}");
    assert!(
        by_resource["LEASES"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("Access denied") && m.contains("getleaseinfo")),
        "{access}"
    );
    for granted in ["PROPERTIES", "UNITS", "RESIDENTS"] {
        assert_eq!(by_resource[granted]["status"], "GRANTED", "{access}");
    }
    let answer = server.gql(&token, ENABLE, json!({ "id": integration })).await;
    assert_eq!(answer.code(), "DATA_ACCESS_INCOMPLETE");

    // Credentials are validated like the others: a production customer needs a public https URL,
    // and every field.
    let credentials = realpage_credentials(&server, "sandbox");
    assert_production_validates(&server, "realpage-e2e-denied", CONNECT_REALPAGE, credentials, "licenseKey").await;
    server.stop().await;
}

/// The people of Entrata's leases who are on no lease other than as a guarantor ("First Last").
fn guarantors_only(leases: &[Value]) -> BTreeSet<String> {
    let name = |r: &Value| {
        format!(
            "{} {}",
            r["resident"]["firstName"].as_str().unwrap_or(""),
            r["resident"]["lastName"].as_str().unwrap_or("")
        )
    };
    let occupancies: Vec<&Value> =
        leases.iter().flat_map(|l| l["residents"].as_array().into_iter().flatten()).collect();
    let residents: BTreeSet<String> = occupancies.iter().filter(|r| not_guarantor(r)).map(|r| name(r)).collect();
    occupancies.iter().filter(|r| !not_guarantor(r)).map(|r| name(r)).filter(|n| !residents.contains(n)).collect()
}

#[tokio::test]
async fn realpage_customers_get_the_same_lifecycle_events_and_access_windows_as_entrata_customers() {
    let server = TestServer::start().await;
    let (entrata_token, entrata, token, realpage) = synced_pair(&server, "realpage-events").await;
    let (_, mut entrata_cursor) = contents_after(&server, &entrata_token, Value::Null).await;
    let (_, mut cursor) = contents_after(&server, &token, Value::Null).await;
    let mut kinds = BTreeSet::new();
    // Entrata's leases before the step: a person removed by it may have been a guarantor only.
    let mut before = every(&server, &entrata_token, "leases", WINDOWS).await;
    for step in 1..=4u32 {
        advance(server.db(), DEFAULT_WORLD, 1).await.expect("the timeline advances");
        for (token, integration) in [(&entrata_token, &entrata), (&token, &realpage)] {
            let job = sync_now(&server, token, integration, Value::Null).await;
            assert_eq!(job["status"], "SUCCESS", "step {step}: {job}");
        }
        let entrata_leases = every(&server, &entrata_token, "leases", WINDOWS).await;
        let only_guarantors: BTreeSet<String> =
            guarantors_only(&before).union(&guarantors_only(&entrata_leases)).cloned().collect();
        before.clone_from(&entrata_leases);
        let (from_entrata, next) = contents_after(&server, &entrata_token, entrata_cursor).await;
        entrata_cursor = next;
        let (from_realpage, next) = contents_after(&server, &token, cursor).await;
        cursor = next;
        // What OneSite cannot show: guarantors' occupancies and the people who are only that.
        let from_entrata: Vec<Value> = from_entrata
            .into_iter()
            .filter(|e| e["role"] != "GUARANTOR")
            .filter(|e| e["person"].as_str().is_none_or(|p| !only_guarantors.contains(p)))
            .collect();
        let (from_entrata, from_realpage) = (tally(from_entrata), tally(as_one_person(from_realpage)));
        let missing: Vec<_> = from_entrata.iter().filter(|(k, n)| from_realpage.get(*k) != Some(n)).collect();
        let extra: Vec<_> = from_realpage.iter().filter(|(k, n)| from_entrata.get(*k) != Some(n)).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "step {step}: Entrata only {missing:#?}\nRealPage only {extra:#?}"
        );
        assert!(!from_realpage.is_empty(), "step {step} changed nothing");
        kinds.extend(
            from_realpage.keys().filter_map(|k| serde_json::from_str::<Value>(k).ok()).map(|e| e["type"].to_string()),
        );
        let realpage_leases = every(&server, &token, "leases", WINDOWS).await;
        assert_eq!(
            by_content(entrata_leases, not_guarantor),
            by_content(realpage_leases, not_guarantor),
            "step {step}: access windows"
        );
    }
    for kind in ["MOVE_IN_SCHEDULED", "MOVED_IN", "NOTICE_GIVEN", "MOVED_OUT", "TRANSFERRED", "LEASE_CREATED"] {
        assert!(kinds.contains(&format!("\"{kind}\"")), "no {kind} in four steps: {kinds:?}");
    }
    server.stop().await;
}
