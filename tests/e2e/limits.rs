//! Every request limit refuses with its code (depth, complexity, aliases, batch size, body size,
//! page size, timeout), and bad input of every kind is a clear BAD_USER_INPUT.

use std::time::Duration;

use serde_json::json;

use pmsgraph::auth::Environment;

use crate::support::{Portfolio, Tenant, TestServer};

#[tokio::test]
async fn each_limit_refuses_with_its_code() {
    let server = TestServer::start().await;
    let tenant = Tenant::create(&server, "limits", Environment::Sandbox, "Acme", &Portfolio::new("Lm", 1, 3)).await;
    let token = &tenant.token;

    // Depth: a cycle through the graph, nested past the limit.
    let mut deep = String::from("remoteId");
    for _ in 0..8 {
        deep = format!("lease {{ residents {{ resident {{ leases {{ {deep} }} }} }} }}");
    }
    let query = format!("{{ leases(first: 1) {{ nodes {{ residents {{ {deep} }} }} }} }}");
    let answer = server.gql(token, &query, json!({})).await;
    assert_eq!(answer.code(), "BAD_USER_INPUT", "{:#}", answer.body);
    assert_eq!(answer.body["errors"][0]["extensions"]["limit"], "depth");

    // Complexity: a list inside a list, each at the maximum page size.
    let query = "{ properties(first: 500) { nodes { units(first: 500) { nodes { number } } } } }";
    let answer = server.gql(token, query, json!({})).await;
    assert_eq!(answer.code(), "BAD_USER_INPUT");
    assert_eq!(answer.body["errors"][0]["extensions"]["limit"], "complexity");
    // The same shape with small pages is fine.
    let query = "{ properties(first: 5) { nodes { units(first: 5) { nodes { number } } } } }";
    server.gql(token, query, json!({})).await.data();

    // Aliases: one field many times over.
    let aliased: String = (0..31).map(|i| format!("a{i}: viewer {{ name }} ")).collect();
    let answer = server.gql(token, &format!("{{ {aliased} }}"), json!({})).await;
    assert_eq!(answer.code(), "BAD_USER_INPUT");
    assert_eq!(answer.body["errors"][0]["extensions"]["limit"], "aliases");

    // Batches: at most 10 operations.
    let one = json!({ "query": "{ viewer { name } }" });
    let answer = server.post(Some(token), json!(vec![one.clone(); 11]).to_string()).await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.code(), "BAD_USER_INPUT");
    assert_eq!(answer.body["errors"][0]["extensions"]["limit"], "batch");
    let answer = server.post(Some(token), json!(vec![one; 10]).to_string()).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body.as_array().map(Vec::len), Some(10));

    // Body size: over 1 MiB.
    let padding = " ".repeat(1024 * 1024 + 1);
    let answer =
        server.post(Some(token), json!({ "query": format!("{{ viewer {{ name }} {padding}}}") }).to_string()).await;
    assert_eq!(answer.status, 413);
    assert_eq!(answer.code(), "BAD_USER_INPUT");
    assert_eq!(answer.body["errors"][0]["extensions"]["limit"], "body");

    // Page size.
    let answer = server.gql(token, "{ units(first: 501) { totalCount } }", json!({})).await;
    assert_eq!(answer.code(), "BAD_USER_INPUT");
    assert!(answer.message().contains("500"), "{}", answer.message());
}

#[tokio::test]
async fn a_request_past_its_time_limit_is_refused() {
    let server = TestServer::start_with(|config| config.limits.request_timeout = Duration::from_nanos(1)).await;
    let tenant = Tenant::create(&server, "slow", Environment::Sandbox, "Acme", &Portfolio::new("Sl", 1, 2)).await;
    let answer = server.gql(&tenant.token, "{ leases { totalCount nodes { residents { role } } } }", json!({})).await;
    assert_eq!(answer.status, 504);
    assert_eq!(answer.code(), "BAD_USER_INPUT");
    assert_eq!(answer.body["errors"][0]["extensions"]["limit"], "timeout");
}

#[tokio::test]
async fn bad_input_is_named_and_internal_details_never_leak() {
    let server = TestServer::start().await;
    let tenant = Tenant::create(&server, "input", Environment::Sandbox, "Acme", &Portfolio::new("In", 1, 2)).await;
    let token = &tenant.token;
    let cases = [
        ("{ leases { nodes { nope } } }", json!({})),
        ("{ leases(", json!({})),
        ("query($d: Date) { leases(filter: {moveInFrom: $d}) { totalCount } }", json!({ "d": "01/02/2026" })),
        ("query($s: [LeaseStatus!]) { leases(filter: {status: $s}) { totalCount } }", json!({ "s": ["EVICTED"] })),
        ("query($id: ID) { units(filter: {propertyId: $id}) { totalCount } }", json!({ "id": "bm9wZQ" })),
    ];
    for (query, variables) in cases {
        let answer = server.gql(token, query, variables).await;
        assert_eq!(answer.code(), "BAD_USER_INPUT", "{query}: {:#}", answer.body);
    }
    for body in ["not json", "[1, 2]", ""] {
        let answer = server.post(Some(token), body).await;
        assert_eq!(answer.status, 400, "{body}");
        assert_eq!(answer.code(), "BAD_USER_INPUT");
    }
    // JSON without a query: a GraphQL error, answered like any other.
    assert_eq!(server.post(Some(token), "{\"nope\": 1}").await.code(), "BAD_USER_INPUT");
}
