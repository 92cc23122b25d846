//! The response cache: a repeated read is a hit, and a write through the service layer is never
//! followed by a stale answer, in the same tenant or through another token of it.

use serde_json::json;

use pmsgraph::auth::Environment;
use pmsgraph::store;
use pmsgraph_connector_core::{NormalizedRecord, RecordKind};

use crate::support::{Portfolio, Tenant, TestServer, lease_remote_id};

const RENTS: &str = "{ leases(first: 100) { totalCount nodes { remoteId rent } } }";

fn rent_of(body: &serde_json::Value, remote_id: &str) -> serde_json::Value {
    body["data"]["leases"]["nodes"]
        .as_array()
        .and_then(|nodes| nodes.iter().find(|n| n["remoteId"] == remote_id))
        .map(|n| n["rent"].clone())
        .unwrap_or_default()
}

#[tokio::test]
async fn reads_are_cached_and_never_stale_after_a_write() {
    let server = TestServer::start().await;
    let mut portfolio = Portfolio::new("Ch", 1, 4);
    let tenant = Tenant::create(&server, "cached", Environment::Sandbox, "Acme", &portfolio).await;
    let target = lease_remote_id("Ch", 0, 2);

    let first = server.gql(&tenant.token, RENTS, json!({})).await;
    assert_eq!(first.cache.as_deref(), Some("miss"));
    let again = server.gql(&tenant.token, RENTS, json!({})).await;
    assert_eq!(again.cache.as_deref(), Some("hit"));
    assert_eq!(again.body, first.body);
    assert_eq!(rent_of(&again.body, &target), 1402.0);

    // Change one lease through the service layer (as a sync would): the next read sees it at once.
    for record in &mut portfolio.records {
        if let NormalizedRecord::Lease(lease) = record
            && lease.remote_id == target
        {
            lease.rent_cents = Some(99_900);
        }
    }
    store::ingest::apply(server.db(), tenant.integration_id, &portfolio.records).await.expect("ingest");
    let after = server.gql(&tenant.token, RENTS, json!({})).await;
    assert_eq!(after.cache.as_deref(), Some("miss"));
    assert_eq!(rent_of(&after.body, &target), 999.0);

    // A no-change write changes nothing, so the cached answer stands.
    store::ingest::apply(server.db(), tenant.integration_id, &portfolio.records).await.expect("ingest");
    assert_eq!(server.gql(&tenant.token, RENTS, json!({})).await.cache.as_deref(), Some("hit"));

    // A deletion, and a new customer (a structural write) both move the answer on.
    store::ingest::mark_remote_deleted(
        server.db(),
        tenant.integration_id,
        RecordKind::Lease,
        std::slice::from_ref(&target),
        Default::default(),
    )
    .await
    .expect("delete");
    let after = server.gql(&tenant.token, RENTS, json!({})).await;
    assert_eq!(after.cache.as_deref(), Some("miss"));
    assert_eq!(after.body["data"]["leases"]["totalCount"], 3);

    let customers = "{ customers { totalCount } }";
    assert_eq!(server.gql(&tenant.token, customers, json!({})).await.body["data"]["customers"]["totalCount"], 1);
    assert_eq!(server.gql(&tenant.token, customers, json!({})).await.cache.as_deref(), Some("hit"));
    store::customers::create_customer(server.db(), tenant.app_id, "Second", Environment::Sandbox)
        .await
        .expect("customer");
    let after = server.gql(&tenant.token, customers, json!({})).await;
    assert_eq!(after.body["data"]["customers"]["totalCount"], 2);

    // Another token of the same app shares nothing stale either, and different variables are
    // different entries.
    let other_token = server.token("cached", Environment::Sandbox).await;
    let answer = server.gql(&other_token, RENTS, json!({})).await;
    assert_eq!(answer.body["data"]["leases"]["totalCount"], 3);
    let query = "query($n: Int) { leases(first: $n) { nodes { remoteId } } }";
    let one = server.gql(&tenant.token, query, json!({ "n": 1 })).await;
    let two = server.gql(&tenant.token, query, json!({ "n": 2 })).await;
    assert_eq!(one.body["data"]["leases"]["nodes"].as_array().map(Vec::len), Some(1));
    assert_eq!(two.body["data"]["leases"]["nodes"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn errors_are_not_cached_and_the_cache_can_be_turned_off() {
    let server = TestServer::start_with(|config| config.cache.enabled = false).await;
    let tenant = Tenant::create(&server, "uncached", Environment::Sandbox, "Acme", &Portfolio::new("Nc", 1, 2)).await;
    let first = server.gql(&tenant.token, RENTS, json!({})).await;
    let again = server.gql(&tenant.token, RENTS, json!({})).await;
    assert_eq!(first.cache.as_deref(), Some("bypass"));
    assert_eq!(again.cache.as_deref(), Some("bypass"));
    assert_eq!(server.state.cache.entry_count(), 0);

    let cached = TestServer::start().await;
    let tenant = Tenant::create(&cached, "errs", Environment::Sandbox, "Acme", &Portfolio::new("Er", 1, 2)).await;
    let bad = "{ node(id: \"garbage\") { id } }";
    assert_eq!(cached.gql(&tenant.token, bad, json!({})).await.cache.as_deref(), Some("bypass"));
    assert_eq!(cached.gql(&tenant.token, bad, json!({})).await.cache.as_deref(), Some("bypass"));
}
