//! Authentication and tenant isolation: missing, malformed, forged, expired and revoked tokens are
//! UNAUTHENTICATED; an app never sees another app's data; a sandbox token never sees production.

use std::time::Duration;

use serde_json::json;

use pmsgraph::auth::{self, Environment};

use crate::support::{Portfolio, Tenant, TestServer, field, nodes, property_name};

const VIEWER: &str = "{ viewer { name environment tokenId } }";

#[tokio::test]
async fn tokens_are_required_and_checked() {
    let server = TestServer::start().await;
    let token = server.token("locks", Environment::Sandbox).await;

    let answer = server.gql(&token, VIEWER, json!({})).await;
    assert_eq!(answer.data()["viewer"]["name"], "locks");
    assert_eq!(answer.data()["viewer"]["environment"], "SANDBOX");

    let body = json!({ "query": VIEWER }).to_string();
    let missing = server.post(None, body.clone()).await;
    assert_eq!(missing.status, 401);
    assert_eq!(missing.code(), "UNAUTHENTICATED");

    let tampered = format!("{}x", &token[..token.len() - 1]);
    for bad in ["not-a-jwt", "a.b.c", tampered.as_str()] {
        let answer = server.gql(bad, VIEWER, json!({})).await;
        assert_eq!(answer.status, 401, "{bad}");
        assert_eq!(answer.code(), "UNAUTHENTICATED");
        assert_eq!(answer.message(), "the token is invalid");
    }

    // A token signed by another server's key (another data directory) is refused.
    let elsewhere = TestServer::start().await;
    let foreign = elsewhere.token("locks", Environment::Sandbox).await;
    assert_eq!(server.gql(&foreign, VIEWER, json!({})).await.code(), "UNAUTHENTICATED");

    // Expired.
    let issued = server
        .state
        .tokens
        .issue(server.db(), "locks", Environment::Sandbox, Some(Duration::ZERO), None)
        .await
        .expect("a token");
    let answer = server.gql(&issued.token, VIEWER, json!({})).await;
    assert_eq!(answer.code(), "UNAUTHENTICATED");
    assert_eq!(answer.message(), "the token has expired");

    // Revoked, and listed as such.
    let issued = server
        .state
        .tokens
        .issue(server.db(), "locks", Environment::Sandbox, None, Some("ci".into()))
        .await
        .expect("a token");
    assert!(server.gql(&issued.token, VIEWER, json!({})).await.body["errors"].is_null());
    auth::revoke(server.db(), issued.token_id).await.expect("revoke");
    let answer = server.gql(&issued.token, VIEWER, json!({})).await;
    assert_eq!(answer.code(), "UNAUTHENTICATED");
    assert_eq!(answer.message(), "the token has been revoked");
    let listed = auth::list(server.db(), Some("locks")).await.expect("list");
    let row = listed.iter().find(|(_, row)| row.id == issued.token_id).expect("listed");
    assert!(row.1.revoked_at.is_some());
    assert_eq!(row.1.label.as_deref(), Some("ci"));
    // Other tokens of the app keep working.
    assert!(server.gql(&token, VIEWER, json!({})).await.body["errors"].is_null());
}

#[tokio::test]
async fn apps_and_environments_never_see_each_other() {
    let server = TestServer::start().await;
    let a = Tenant::create(&server, "app-a", Environment::Sandbox, "A Homes", &Portfolio::new("Aa", 1, 3)).await;
    let b = Tenant::create(&server, "app-b", Environment::Sandbox, "B Homes", &Portfolio::new("Bb", 1, 4)).await;
    let a_prod = Tenant::create(&server, "app-a", Environment::Production, "A Live", &Portfolio::new("Ap", 1, 5)).await;

    let everything = r#"{
      customers { totalCount nodes { name environment } }
      properties { totalCount nodes { id name } }
      units { totalCount } leases { totalCount nodes { id } } residents { totalCount nodes { id } }
    }"#;
    let seen = server.gql(&a.token, everything, json!({})).await;
    let data = seen.data();
    assert_eq!(field(&data["customers"], "name"), ["A Homes"]);
    assert_eq!(field(&data["customers"], "environment"), ["SANDBOX"]);
    assert_eq!(field(&data["properties"], "name"), [property_name("Aa", 0)]);
    assert_eq!(data["units"]["totalCount"], 3);
    assert_eq!(data["leases"]["totalCount"], 3);

    let b_data = server.gql(&b.token, everything, json!({})).await.data().clone();
    assert_eq!(field(&b_data["customers"], "name"), ["B Homes"]);
    assert_eq!(b_data["units"]["totalCount"], 4);

    let prod = server.gql(&a_prod.token, everything, json!({})).await.data().clone();
    assert_eq!(field(&prod["customers"], "name"), ["A Live"]);
    assert_eq!(field(&prod["customers"], "environment"), ["PRODUCTION"]);
    assert_eq!(prod["units"]["totalCount"], 5);

    // B's ids, asked for by A (or A's sandbox ids by A's production token): NOT_FOUND, as if absent.
    let b_property = nodes(&b_data["properties"])[0]["id"].clone();
    let b_lease = nodes(&b_data["leases"])[0]["id"].clone();
    let b_resident = nodes(&b_data["residents"])[0]["id"].clone();
    let a_property = nodes(&data["properties"])[0]["id"].clone();
    for (token, id) in
        [(&a.token, &b_property), (&a.token, &b_lease), (&a.token, &b_resident), (&a_prod.token, &a_property)]
    {
        let answer = server.gql(token, "query($id: ID!) { node(id: $id) { id } }", json!({ "id": id })).await;
        assert_eq!(answer.code(), "NOT_FOUND", "{id}");
    }
    for (query, variables) in [
        ("query($id: ID) { units(filter: {propertyId: $id}) { totalCount } }", json!({ "id": b_property })),
        ("query($id: ID) { leases(filter: {propertyId: $id}) { totalCount } }", json!({ "id": b_property })),
        ("query($id: ID) { residents(filter: {propertyId: $id}) { totalCount } }", json!({ "id": b_property })),
    ] {
        let answer = server.gql(&a.token, query, variables).await;
        assert_eq!(answer.code(), "NOT_FOUND");
    }
    let b_customer = pmsgraph::graphql::ids::encode(pmsgraph::graphql::ids::NodeType::Customer, b.customer_id);
    let answer = server
        .gql(
            &a.token,
            "query($id: ID) { leases(filter: {customerId: $id}) { totalCount } }",
            json!({ "id": b_customer.0 }),
        )
        .await;
    assert_eq!(answer.code(), "NOT_FOUND");
    let b_integration = pmsgraph::graphql::ids::encode(pmsgraph::graphql::ids::NodeType::Integration, b.integration_id);
    let answer = server
        .gql(
            &a.token,
            "query($id: ID) { properties(filter: {integrationId: $id}) { totalCount } }",
            json!({ "id": b_integration.0 }),
        )
        .await;
    assert_eq!(answer.code(), "NOT_FOUND");
    // Unit numbers and emails are shared words: searching by them still only finds one's own rows.
    let answer = server.gql(&a.token, "{ residents(filter: {unitNumber: \"101\"}) { totalCount } }", json!({})).await;
    assert_eq!(answer.data()["residents"]["totalCount"], 1);
    assert_eq!(a.app_id, a_prod.app_id);
}
