//! The read API over HTTP: Relay pagination both ways, every filter, nested data, global ids, and
//! the dataloaders' bounded query count.

use serde_json::json;

use pmsgraph::auth::Environment;
use pmsgraph::store;
use pmsgraph_connector_core::{LeaseStatus, RecordKind};

use crate::support::{
    Portfolio, STATUSES, Tenant, TestServer, email, field, lease_remote_id, nodes, person_remote_id, property_name,
    unit_number,
};

const PAGE_LEASES: &str = r#"
query Page($first: Int, $after: String, $last: Int, $before: String) {
  leases(first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { remoteId } }
    nodes { remoteId }
  }
}"#;

#[tokio::test]
async fn pages_forward_and_backward_through_every_lease() {
    let server = TestServer::start().await;
    let portfolio = Portfolio::new("Pg", 2, 11);
    let tenant = Tenant::create(&server, "pager", Environment::Sandbox, "Acme", &portfolio).await;
    let total = portfolio.leases();

    // Forward, 5 at a time.
    let mut forward = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let answer = server.gql(&tenant.token, PAGE_LEASES, json!({ "first": 5, "after": after })).await;
        let leases = &answer.data()["leases"];
        assert_eq!(leases["totalCount"], total);
        assert_eq!(leases["pageInfo"]["hasPreviousPage"], after.is_some());
        forward.extend(field(leases, "remoteId"));
        pages += 1;
        if leases["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = leases["pageInfo"]["endCursor"].as_str().map(str::to_owned);
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(pages, total.div_ceil(5));
    let mut expected: Vec<String> =
        (0..2).flat_map(|p| (0..11).map(move |u| lease_remote_id("Pg", p, u))).collect::<Vec<_>>();
    let mut sorted = forward.clone();
    sorted.sort();
    expected.sort();
    assert_eq!(sorted, expected, "every lease exactly once");

    // Backward, 4 at a time, from the end: the same order, reversed page by page.
    let mut backward = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let answer = server.gql(&tenant.token, PAGE_LEASES, json!({ "last": 4, "before": before })).await;
        let leases = &answer.data()["leases"];
        assert_eq!(leases["pageInfo"]["hasNextPage"], before.is_some());
        let mut page = field(leases, "remoteId");
        page.extend(backward);
        backward = page;
        if leases["pageInfo"]["hasPreviousPage"] == false {
            break;
        }
        before = leases["pageInfo"]["startCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(backward, forward);

    // Edges carry cursors that resume exactly after themselves.
    let answer = server.gql(&tenant.token, PAGE_LEASES, json!({ "first": 3 })).await;
    let edges = answer.data()["leases"]["edges"].as_array().expect("edges").clone();
    let resumed = server.gql(&tenant.token, PAGE_LEASES, json!({ "first": 2, "after": edges[0]["cursor"] })).await;
    assert_eq!(field(&resumed.data()["leases"], "remoteId"), vec![forward[1].clone(), forward[2].clone()]);

    // The default page is 50; `first: 0` is an empty page that still counts.
    let answer = server.gql(&tenant.token, PAGE_LEASES, json!({})).await;
    assert_eq!(nodes(&answer.data()["leases"]).len(), total.min(50));
    let answer = server.gql(&tenant.token, PAGE_LEASES, json!({ "first": 0 })).await;
    assert_eq!(nodes(&answer.data()["leases"]).len(), 0);
    assert_eq!(answer.data()["leases"]["totalCount"], total);
}

#[tokio::test]
async fn bad_pagination_arguments_are_bad_user_input() {
    let server = TestServer::start().await;
    let tenant = Tenant::create(&server, "pager", Environment::Sandbox, "Acme", &Portfolio::new("Pb", 1, 2)).await;
    for variables in [
        json!({ "first": 501 }),
        json!({ "first": -1 }),
        json!({ "last": 501 }),
        json!({ "first": 1, "last": 1 }),
        json!({ "first": 1, "after": "not-a-cursor" }),
        json!({ "last": 1, "before": "!!!" }),
    ] {
        let answer = server.gql(&tenant.token, PAGE_LEASES, variables.clone()).await;
        assert_eq!(answer.code(), "BAD_USER_INPUT", "{variables}: {:#}", answer.body);
    }
    // The maximum page is allowed.
    let answer = server.gql(&tenant.token, PAGE_LEASES, json!({ "first": 500 })).await;
    assert_eq!(nodes(&answer.data()["leases"]).len(), 2);
}

#[tokio::test]
async fn every_filter_narrows_as_documented() {
    let server = TestServer::start().await;
    let portfolio = Portfolio::new("Fl", 2, 12);
    let tenant = Tenant::create(&server, "filters", Environment::Sandbox, "Acme", &portfolio).await;
    let other = Portfolio::new("Ot", 1, 3);
    let second = Tenant::create(&server, "filters", Environment::Sandbox, "Beta", &other).await;
    let token = &tenant.token;
    let count = |query: &'static str, variables: serde_json::Value| {
        let server = &server;
        async move {
            let answer = server.gql(token, query, variables.clone()).await;
            let data = answer.data();
            let connection = data.as_object().and_then(|o| o.values().next()).expect("one field").clone();
            connection["totalCount"].as_u64().unwrap_or_else(|| panic!("{variables}: {:#}", answer.body))
        }
    };
    const LEASES: &str = "query($f: LeaseFilter) { leases(filter: $f) { totalCount } }";
    const RESIDENTS: &str = "query($f: ResidentFilter) { residents(filter: $f) { totalCount } }";
    const UNITS: &str = "query($f: UnitFilter) { units(filter: $f) { totalCount } }";
    const PROPERTIES: &str = "query($f: PropertyFilter) { properties(filter: $f) { totalCount } }";
    const CUSTOMERS: &str = "query($f: CustomerFilter) { customers(filter: $f) { totalCount } }";

    let customer_id = id_of(&server, token, "customers", "Acme").await;
    let integration_id = first_id(
        &server,
        token,
        "{ customers(filter: {nameContains: \"acme\"}) { nodes { integrations { id } } } }",
        &["customers", "nodes", "0", "integrations", "0", "id"],
    )
    .await;
    let property_0 = property_id(&server, token, &property_name("Fl", 0)).await;

    // Customers and integrations.
    assert_eq!(count(CUSTOMERS, json!({})).await, 2);
    assert_eq!(count(CUSTOMERS, json!({ "f": { "nameContains": "BET" } })).await, 1);
    assert_eq!(count(PROPERTIES, json!({})).await, 3);
    assert_eq!(count(PROPERTIES, json!({ "f": { "customerId": customer_id } })).await, 2);
    assert_eq!(count(PROPERTIES, json!({ "f": { "integrationId": integration_id } })).await, 2);
    assert_eq!(count(PROPERTIES, json!({ "f": { "nameContains": "fl gardens 1" } })).await, 1);
    assert_eq!(count(LEASES, json!({ "f": { "customerId": customer_id } })).await, 24);

    // Units: by property, number, occupancy.
    assert_eq!(count(UNITS, json!({ "f": { "propertyId": property_0 } })).await, 12);
    assert_eq!(count(UNITS, json!({ "f": { "number": unit_number(1) } })).await, 3);
    assert_eq!(count(UNITS, json!({ "f": { "number": unit_number(1), "customerId": customer_id } })).await, 2);
    assert_eq!(count(UNITS, json!({ "f": { "number": unit_number(4) } })).await, 2);
    assert_eq!(count(UNITS, json!({ "f": { "occupancy": "OCCUPIED", "propertyId": property_0 } })).await, 6);

    // Leases: status, move-in range, property, unit, unit number, resident.
    for status in STATUSES {
        assert_eq!(
            count(LEASES, json!({ "f": { "status": [status.as_str()], "customerId": customer_id } })).await,
            portfolio.with_status(status) as u64,
            "{status}"
        );
    }
    let current_or_notice = portfolio.with_status(LeaseStatus::Current) + portfolio.with_status(LeaseStatus::Notice);
    assert_eq!(
        count(LEASES, json!({ "f": { "status": ["CURRENT", "NOTICE"], "customerId": customer_id } })).await,
        current_or_notice as u64
    );
    // Move-ins are base + unit index days: 2026-01-03 ..= 2026-01-05 is units 2, 3, 4 of each property.
    assert_eq!(
        count(
            LEASES,
            json!({ "f": { "moveInFrom": "2026-01-03", "moveInTo": "2026-01-05", "customerId": customer_id } })
        )
        .await,
        6
    );
    assert_eq!(count(LEASES, json!({ "f": { "propertyId": property_0 } })).await, 12);
    assert_eq!(count(LEASES, json!({ "f": { "unitNumber": unit_number(0), "customerId": customer_id } })).await, 2);
    let unit_0 = first_id(
        &server,
        token,
        &format!("{{ units(filter: {{propertyId: {property_0}, number: \"100\"}}) {{ nodes {{ id }} }} }}"),
        &["units", "nodes", "0", "id"],
    )
    .await;
    assert_eq!(count(LEASES, json!({ "f": { "unitId": unit_0 } })).await, 1);

    // Residents: email (exact, case-insensitive), name words, unit number, property, status.
    let mail = email("Fl", 0, 1, 'a').to_uppercase();
    let answer = server
        .gql(
            token,
            "query($f: ResidentFilter) { residents(filter: $f) { nodes { id remoteId } } }",
            json!({ "f": { "email": mail } }),
        )
        .await;
    let found = nodes(&answer.data()["residents"]);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["remoteId"], person_remote_id("Fl", 0, 1, 'a'));
    let two_lease_person = found[0]["id"].clone();
    assert_eq!(count(LEASES, json!({ "f": { "residentId": two_lease_person } })).await, 2);
    assert_eq!(count(RESIDENTS, json!({ "f": { "name": "ada7 flson1" } })).await, 1);
    assert_eq!(count(RESIDENTS, json!({ "f": { "name": "GRACE" , "customerId": customer_id} })).await, 8);
    // Unit 100 of each property: primary + co-applicant, plus the two-lease person on property 0's.
    assert_eq!(count(RESIDENTS, json!({ "f": { "unitNumber": "100", "customerId": customer_id } })).await, 5);
    assert_eq!(count(RESIDENTS, json!({ "f": { "unitId": unit_0 } })).await, 3);
    assert_eq!(count(RESIDENTS, json!({ "f": { "propertyId": property_0 } })).await, 16);
    assert_eq!(
        count(RESIDENTS, json!({ "f": { "status": ["APPLICANT"], "customerId": customer_id } })).await,
        // Units 0 and 6 of each property are applicants, each with a co-applicant, and the two-lease person.
        9
    );
    assert_eq!(count(RESIDENTS, json!({ "f": { "customerId": customer_id } })).await, portfolio.residents() as u64);

    // updatedSince: only what changed after the instant.
    let before_change = store::now();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let mut changed = Portfolio::new("Fl", 2, 12);
    for record in &mut changed.records {
        if let pmsgraph_connector_core::NormalizedRecord::Lease(lease) = record
            && lease.remote_id == lease_remote_id("Fl", 1, 5)
        {
            lease.rent_cents = Some(1);
        }
    }
    let report = store::ingest::apply(server.db(), tenant.integration_id, &changed.records).await.expect("ingest");
    assert_eq!(report.counts.updated, 1);
    let since = before_change.to_rfc3339();
    assert_eq!(count(LEASES, json!({ "f": { "updatedSince": since } })).await, 1);
    assert_eq!(count(PROPERTIES, json!({ "f": { "updatedSince": since } })).await, 0);
    assert_eq!(count(RESIDENTS, json!({ "f": { "updatedSince": since } })).await, 0);
    assert_eq!(count(UNITS, json!({ "f": { "updatedSince": since } })).await, 0);

    // includeDeleted: remote-deleted rows are hidden unless asked for.
    let gone = vec![lease_remote_id("Fl", 0, 3)];
    let marked = store::ingest::mark_remote_deleted(
        server.db(),
        tenant.integration_id,
        RecordKind::Lease,
        &gone,
        Default::default(),
    )
    .await
    .expect("mark deleted");
    assert_eq!(marked, 1);
    assert_eq!(count(LEASES, json!({ "f": { "customerId": customer_id } })).await, 23);
    assert_eq!(count(LEASES, json!({ "f": { "customerId": customer_id, "includeDeleted": true } })).await, 24);
    let answer = server
        .gql(
            token,
            "query($f: LeaseFilter) { leases(filter: $f) { nodes { remoteId remoteDeletedAt lastSeenAt } } }",
            json!({ "f": { "includeDeleted": true, "propertyId": property_0, "unitNumber": "103" } }),
        )
        .await;
    let deleted = &nodes(&answer.data()["leases"])[0];
    assert_eq!(deleted["remoteId"], lease_remote_id("Fl", 0, 3));
    assert!(deleted["remoteDeletedAt"].is_string());
    assert!(deleted["lastSeenAt"].is_null());

    // Ids of the wrong type, or from outside the scope, are refused.
    let answer = server.gql(token, LEASES, json!({ "f": { "unitId": property_0 } })).await;
    assert_eq!(answer.code(), "BAD_USER_INPUT");
    assert!(answer.message().contains("is a Property id"), "{}", answer.message());
    drop(second);
}

async fn first_id(server: &TestServer, token: &str, query: &str, path: &[&str]) -> serde_json::Value {
    let answer = server.gql(token, query, json!({})).await;
    let mut value = answer.data().clone();
    for step in path {
        value = match step.parse::<usize>() {
            Ok(i) => value[i].clone(),
            Err(_) => value[*step].clone(),
        };
    }
    assert!(value.is_string(), "no id at {path:?} in {:#}", answer.body);
    value
}

async fn id_of(server: &TestServer, token: &str, connection: &str, name: &str) -> serde_json::Value {
    let query = format!("{{ {connection}(filter: {{nameContains: \"{name}\"}}) {{ nodes {{ id }} }} }}");
    first_id(server, token, &query, &[connection, "nodes", "0", "id"]).await
}

async fn property_id(server: &TestServer, token: &str, name: &str) -> serde_json::Value {
    id_of(server, token, "properties", name).await
}

#[tokio::test]
async fn nested_data_and_global_ids() {
    let server = TestServer::start().await;
    let portfolio = Portfolio::new("Ns", 2, 6);
    let tenant = Tenant::create(&server, "nested", Environment::Sandbox, "Acme", &portfolio).await;
    let token = &tenant.token;

    let query = r#"
    query($name: String) {
      properties(filter: { nameContains: $name }) {
        nodes {
          id remoteId name timeZone accessStartTime accessEndTime
          address { line1 city state postalCode country }
          integration { id pms status customer { name } }
          units(first: 10) {
            totalCount
            nodes {
              id number bedrooms bathrooms marketRent occupancy
              spaces { id remoteId name unit { number } }
              leases { remoteId status unitSpace { name } }
            }
          }
          leases(filter: { status: [CURRENT] }) { nodes { remoteId status } }
        }
      }
    }"#;
    let answer = server.gql(token, query, json!({ "name": property_name("Ns", 1) })).await;
    let property = &nodes(&answer.data()["properties"])[0];
    assert_eq!(property["remoteId"], "Ns-p1");
    assert_eq!(property["timeZone"], "America/Denver");
    assert_eq!(property["accessStartTime"], "10:00");
    assert_eq!(property["accessEndTime"], "16:00");
    assert_eq!(property["address"]["city"], "Denver");
    assert_eq!(property["integration"]["pms"], "ENTRATA");
    assert_eq!(property["integration"]["status"], "DISABLED");
    assert_eq!(property["integration"]["customer"]["name"], "Acme");
    let units = nodes(&property["units"]);
    assert_eq!(property["units"]["totalCount"], 6);
    assert_eq!(units[0]["number"], "100");
    assert_eq!(units[0]["marketRent"], 1500.0);
    assert_eq!(units[0]["bathrooms"], 1.5);
    let spaces = units[0]["spaces"].as_array().expect("spaces");
    assert_eq!(
        spaces.iter().map(|s| s["name"].as_str().unwrap_or_default()).collect::<Vec<_>>(),
        ["Bedroom A", "Bedroom B"]
    );
    assert_eq!(spaces[0]["unit"]["number"], "100");
    assert_eq!(units[0]["leases"][0]["unitSpace"]["name"], "Bedroom A");
    assert_eq!(field(&property["leases"], "remoteId"), vec![lease_remote_id("Ns", 1, 2)]);

    // A lease with its unit, property and people; a person with their leases.
    let query = r#"
    query($id: ID!) {
      node(id: $id) {
        __typename id
        ... on Lease {
          remoteId status remoteStatus startDate endDate moveInDate rent isMonthToMonth remoteData
          unit { number remoteData } property { name remoteData }
          residents { role status moveInDate remoteData resident { firstName email remoteData leases { lease { remoteId } } } }
        }
      }
    }"#;
    let lease_id = first_id(
        &server,
        token,
        "{ leases(filter: {unitNumber: \"100\", status: [APPLICANT], propertyId: null}, first: 1) { nodes { id } } }",
        &["leases", "nodes", "0", "id"],
    )
    .await;
    let answer = server.gql(token, query, json!({ "id": lease_id })).await;
    let lease = &answer.data()["node"];
    assert_eq!(lease["__typename"], "Lease");
    assert_eq!(lease["id"], lease_id);
    assert_eq!(lease["remoteId"], lease_remote_id("Ns", 0, 0));
    assert_eq!(lease["status"], "APPLICANT");
    assert_eq!(lease["remoteStatus"], "Applicant");
    assert_eq!(lease["startDate"], "2026-01-01");
    assert_eq!(lease["endDate"], "2027-01-01");
    assert_eq!(lease["rent"], 1400.0);
    assert_eq!(lease["remoteData"]["LeaseID"], lease_remote_id("Ns", 0, 0));
    // Rows are read without their raw records, which load for the rows a response shows.
    for raw in [&lease["unit"]["remoteData"], &lease["property"]["remoteData"]] {
        assert!(raw.as_object().is_some_and(|o| !o.is_empty()), "a raw record: {raw}");
    }
    for person in lease["residents"].as_array().expect("people") {
        assert!(person["remoteData"].is_object(), "a lease resident's raw record: {person}");
        assert!(person["resident"]["remoteData"].is_object(), "a resident's raw record: {person}");
    }
    assert_eq!(lease["unit"]["number"], "100");
    assert_eq!(lease["property"]["name"], property_name("Ns", 0));
    let people = lease["residents"].as_array().expect("people");
    let roles: Vec<&str> = people.iter().map(|p| p["role"].as_str().unwrap_or_default()).collect();
    assert_eq!(roles, ["PRIMARY", "CO_APPLICANT", "OCCUPANT"]);
    assert_eq!(people[0]["resident"]["email"], email("Ns", 0, 0, 'a'));
    let two_leases: Vec<&str> = people[2]["resident"]["leases"]
        .as_array()
        .expect("leases")
        .iter()
        .map(|l| l["lease"]["remoteId"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(two_leases.len(), 2);
    assert!(two_leases.contains(&lease_remote_id("Ns", 0, 1).as_str()), "{two_leases:?}");

    // node() resolves every type by its global id, and the id names its type.
    let query = r#"
    { customers { nodes { id } }
      units(first: 1, filter: {number: "101"}) { nodes { id spaces { id } leases { id residents { id resident { id } } } integration { id } } } }"#;
    let answer = server.gql(token, query, json!({})).await;
    let data = answer.data();
    let unit = &nodes(&data["units"])[0];
    let ids = [
        ("Customer", data["customers"]["nodes"][0]["id"].clone()),
        ("Integration", unit["integration"]["id"].clone()),
        ("Unit", unit["id"].clone()),
        ("Lease", unit["leases"][0]["id"].clone()),
        ("LeaseResident", unit["leases"][0]["residents"][0]["id"].clone()),
        ("Resident", unit["leases"][0]["residents"][0]["resident"]["id"].clone()),
        ("Property", property["id"].clone()),
        ("UnitSpace", spaces[0]["id"].clone()),
    ];
    for (typename, id) in ids {
        let answer =
            server.gql(token, "query($id: ID!) { node(id: $id) { __typename id } }", json!({ "id": id })).await;
        assert_eq!(answer.data()["node"]["__typename"], typename, "{id}");
        assert_eq!(answer.data()["node"]["id"], id);
    }
    let answer = server.gql(token, "{ node(id: \"garbage\") { id } }", json!({})).await;
    assert_eq!(answer.code(), "BAD_USER_INPUT");
    // A well-formed id of nothing is NOT_FOUND.
    let missing = pmsgraph::graphql::ids::encode(pmsgraph::graphql::ids::NodeType::Lease, uuid::Uuid::now_v7());
    let answer = server.gql(token, "query($id: ID!) { node(id: $id) { id } }", json!({ "id": missing.0 })).await;
    assert_eq!(answer.code(), "NOT_FOUND");
}

/// A server whose database only the test's requests touch while it counts queries: no cache, no
/// scheduler ticks, no polls of the job queue (nothing is queued).
async fn counting_server() -> TestServer {
    TestServer::start_with(|config| {
        config.cache.enabled = false;
        config.worker.schedule.enabled = false;
        config.worker.poll = std::time::Duration::from_secs(3600);
    })
    .await
}

#[tokio::test]
async fn a_page_of_leases_with_their_graph_costs_a_bounded_number_of_queries() {
    let server = counting_server().await;
    let portfolio = Portfolio::new("Dl", 2, 60);
    let tenant = Tenant::create(&server, "loaders", Environment::Sandbox, "Acme", &portfolio).await;
    let query = r#"
    query($first: Int) {
      leases(first: $first) {
        nodes {
          remoteId status lastSeenAt
          unit { number spaces { name } property { name } }
          unitSpace { name }
          property { name integration { pms customer { name } } }
          residents { role resident { firstName leases { lease { remoteId } } } }
        }
      }
    }"#;
    // A loader's batch window is a millisecond of wall time: when the test thread is descheduled
    // (other tests share the two cores) a late load opens a second batch. The fewest queries over
    // three runs is what the loaders cost; N+1 would cost a hundred or more every time.
    let mut costs = Vec::new();
    for first in [10, 100] {
        let mut runs = Vec::new();
        for _ in 0..3 {
            let before = server.db().query_count();
            let answer = server.gql(&tenant.token, query, json!({ "first": first })).await;
            let after = server.db().query_count();
            assert_eq!(nodes(&answer.data()["leases"]).len(), first);
            runs.push(after - before);
        }
        println!("queries for {first} leases, three runs: {runs:?}");
        costs.push(runs.into_iter().min().unwrap_or_default());
    }
    // One batched query per loader (a dozen loaders), whatever the page size: nowhere near one
    // query per row (100 leases, a dozen fields each).
    for cost in &costs {
        assert!(*cost <= 24, "{cost} queries for one page of leases: {costs:?}");
    }
}

#[tokio::test]
async fn to_one_fields_come_in_the_query_of_the_rows_that_lead_to_them() {
    let server = counting_server().await;
    let portfolio = Portfolio::new("Jn", 2, 30);
    let tenant = Tenant::create(&server, "joins", Environment::Sandbox, "Acme", &portfolio).await;
    // People with their leases' units and properties: the page, then the people's places on
    // leases with the lease, unit and property of each joined in; and the token's check.
    let people = r#"{ residents(first: 40) { nodes { id
        leases { role lease { id remoteId unit { number property { name } } property { name } } } } } }"#;
    // A page of leases with each lease's unit: one query with the unit joined in, and the check.
    let leases = "{ leases(first: 40) { nodes { remoteId unit { number } } } }";
    for (query, expected) in [(people, 3), (leases, 2)] {
        let mut runs = Vec::new();
        let mut answers = Vec::new();
        for _ in 0..3 {
            let before = server.db().query_count();
            let answer = server.gql(&tenant.token, query, json!({})).await;
            runs.push(server.db().query_count() - before);
            answers.push(answer.data().clone());
        }
        // Batch windows may split when the test thread is descheduled; the fewest is the cost.
        assert_eq!(runs.iter().min().copied(), Some(expected), "{runs:?} queries for {query}");
        assert!(answers.windows(2).all(|w| w[0] == w[1]));
    }
    // What the joins brought is what the by-id loaders load: every person's lease is the lease
    // `node` finds by its id (no joins there), with the same unit and property.
    let answer = server.gql(&tenant.token, people, json!({})).await;
    let mut checked = 0;
    for person in nodes(&answer.data()["residents"]) {
        for place in person["leases"].as_array().into_iter().flatten() {
            let lease = &place["lease"];
            let by_id = server
                .gql(
                    &tenant.token,
                    "query($id: ID!) { node(id: $id) { ... on Lease { id remoteId unit { number property { name } } property { name } } } }",
                    json!({ "id": lease["id"] }),
                )
                .await;
            assert_eq!(&by_id.data()["node"], lease);
            checked += 1;
        }
    }
    assert!(checked > 10, "{checked} leases checked");
}
