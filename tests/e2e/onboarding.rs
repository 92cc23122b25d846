//! Onboarding through GraphQL mutations, as an app developer would: customers, integrations with
//! write-only credentials, the PMS URL rules, the enable gate, deletion, and tenant isolation.

use serde_json::json;

use pmsgraph::auth::Environment;
use pmsgraph_entity::integration;
use sea_orm::EntityTrait;

use crate::support::TestServer;

const CREATE: &str = "mutation($name: String!, $env: Environment) { createCustomer(name: $name, environment: $env) { id name environment } }";
const CONNECT: &str = r#"mutation($customer: ID!, $url: String!) {
  connectIntegration(customerId: $customer, credentials: { entrata: { baseUrl: $url, username: "manager", password: "s3cret-Pa55" } }) {
    id pms status dataAccess { resource status }
  }
}"#;

#[tokio::test]
async fn customers_and_integrations_are_onboarded_behind_the_gate() {
    let server = TestServer::start().await;
    let token = server.token("onboard", Environment::Sandbox).await;

    let answer = server.gql(&token, CREATE, json!({ "name": "Acme Living" })).await;
    let customer = answer.data()["createCustomer"].clone();
    assert_eq!(customer["environment"], "SANDBOX");
    let answer = server.gql(&token, CREATE, json!({ "name": "Wrong", "env": "PRODUCTION" })).await;
    assert_eq!(answer.code(), "FORBIDDEN");
    let answer = server.gql(&token, CREATE, json!({ "name": "  " })).await;
    assert_eq!(answer.code(), "BAD_USER_INPUT");

    let answer =
        server.gql(&token, CONNECT, json!({ "customer": customer["id"], "url": "https://acme.entrata.com" })).await;
    let integration = answer.data()["connectIntegration"].clone();
    assert_eq!(integration["pms"], "ENTRATA");
    assert_eq!(integration["status"], "DISABLED");
    assert_eq!(integration["dataAccess"], json!([]));

    // The secret is stored sealed: not in the row's bytes, not in any answer.
    let id = pmsgraph::graphql::ids::decode(integration["id"].as_str().expect("an id")).expect("decodes").1;
    let row = integration::Entity::find_by_id(id).one(&server.db().read).await.expect("query").expect("a row");
    let sealed = row.credentials.expect("credentials are stored");
    assert!(!String::from_utf8_lossy(&sealed).contains("s3cret-Pa55"));
    let everything = server
        .gql(&token, "{ customers { nodes { integrations { id pms status dataAccess { status } } } } }", json!({}))
        .await;
    assert!(!everything.body.to_string().contains("s3cret"));

    // Enabling before a passing check is refused, naming every resource.
    let answer = server
        .gql(
            &token,
            "mutation($id: ID!) { enableIntegration(integrationId: $id) { status } }",
            json!({ "id": integration["id"] }),
        )
        .await;
    assert_eq!(answer.code(), "DATA_ACCESS_INCOMPLETE");
    for resource in ["properties", "units", "leases", "residents"] {
        assert!(answer.message().contains(resource), "{}", answer.message());
    }
    // A disabled integration does not sync.
    let answer = server
        .gql(
            &token,
            "mutation($id: ID!) { syncNow(integrationId: $id) { status } }",
            json!({ "id": integration["id"] }),
        )
        .await;
    assert_eq!(answer.code(), "FORBIDDEN");

    // Another app sees none of it.
    let other = server.token("someone-else", Environment::Sandbox).await;
    for (query, variables) in [
        ("mutation($id: ID!) { enableIntegration(integrationId: $id) { status } }", json!({ "id": integration["id"] })),
        ("mutation($id: ID!) { deleteIntegration(integrationId: $id) }", json!({ "id": integration["id"] })),
        ("mutation($id: ID!) { deleteCustomer(customerId: $id) }", json!({ "id": customer["id"] })),
        (CONNECT, json!({ "customer": customer["id"], "url": "https://x.entrata.com" })),
    ] {
        assert_eq!(server.gql(&other, query, variables).await.code(), "NOT_FOUND", "{query}");
    }

    // Deleting the customer removes its integrations.
    let answer = server
        .gql(&token, "mutation($id: ID!) { deleteCustomer(customerId: $id) }", json!({ "id": customer["id"] }))
        .await;
    assert_eq!(answer.data()["deleteCustomer"], true);
    assert!(integration::Entity::find_by_id(id).one(&server.db().read).await.expect("query").is_none());
    let answer = server.gql(&token, "{ customers { totalCount } }", json!({})).await;
    assert_eq!(answer.data()["customers"]["totalCount"], 0);
}

#[tokio::test]
async fn production_pms_urls_must_be_public_https() {
    let server = TestServer::start().await;
    let token = server.token("urls", Environment::Production).await;
    let customer =
        server.gql(&token, CREATE, json!({ "name": "Live Co" })).await.data()["createCustomer"]["id"].clone();
    for url in [
        "http://acme.entrata.com",
        "https://127.0.0.1:8080",
        "https://localhost/api",
        "https://10.1.2.3",
        "https://192.168.0.10",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/",
        "https://[::ffff:127.0.0.1]/",
        "ftp://acme.entrata.com",
        "not a url",
    ] {
        let answer = server.gql(&token, CONNECT, json!({ "customer": customer, "url": url })).await;
        assert_eq!(answer.code(), "BAD_USER_INPUT", "{url}: {:#}", answer.body);
    }
    let answer = server.gql(&token, CONNECT, json!({ "customer": customer, "url": "https://acme.entrata.com" })).await;
    assert_eq!(answer.data()["connectIntegration"]["status"], "DISABLED");

    // A sandbox customer may use the built-in sandbox on this machine.
    let sandbox = server.token("urls", Environment::Sandbox).await;
    let customer =
        server.gql(&sandbox, CREATE, json!({ "name": "Try Co" })).await.data()["createCustomer"]["id"].clone();
    let answer = server
        .gql(&sandbox, CONNECT, json!({ "customer": customer, "url": "http://127.0.0.1:8080/sandbox/entrata" }))
        .await;
    assert_eq!(answer.data()["connectIntegration"]["status"], "DISABLED");

    // Credentials must be complete.
    let bad = r#"mutation($customer: ID!) { connectIntegration(customerId: $customer, credentials: { entrata: { baseUrl: "https://a.entrata.com", username: "only" } }) { id } }"#;
    assert_eq!(server.gql(&sandbox, bad, json!({ "customer": customer })).await.code(), "BAD_USER_INPUT");
}

#[tokio::test]
async fn rotating_the_master_key_reseals_every_credential() {
    use pmsgraph::auth::TokenKey;
    use pmsgraph::vault::Vault;
    let key = |kid: &str, byte: u8| TokenKey { kid: kid.into(), secret: vec![byte; 32] };
    let server = TestServer::start_with(|config| config.master_keys.keys = vec![key("m1", 7)]).await;
    let token = server.token("rotate", Environment::Sandbox).await;
    let customer = server.gql(&token, CREATE, json!({ "name": "Rot" })).await.data()["createCustomer"]["id"].clone();
    let answer = server.gql(&token, CONNECT, json!({ "customer": customer, "url": "https://r.entrata.com" })).await;
    let id =
        pmsgraph::graphql::ids::decode(answer.data()["connectIntegration"]["id"].as_str().expect("id")).expect("id").1;

    let rotated = Vault::new(&[key("m1", 7), key("m2", 9)], Some("m2")).expect("a vault");
    let (resealed, current) = pmsgraph::store::customers::reseal_all(server.db(), &rotated).await.expect("reseals");
    assert_eq!((resealed, current), (1, 0));
    let row = integration::Entity::find_by_id(id).one(&server.db().read).await.expect("query").expect("row");
    let sealed = row.credentials.expect("sealed");
    assert_eq!(Vault::kid_of(&sealed).expect("kid"), "m2");
    let retired = Vault::new(&[key("m2", 9)], None).expect("a vault");
    let plain: serde_json::Value = serde_json::from_slice(&retired.open(id, &sealed).expect("opens")).expect("json");
    assert_eq!(plain["password"], "s3cret-Pa55");
    assert_eq!(pmsgraph::store::customers::reseal_all(server.db(), &rotated).await.expect("again"), (0, 1));
}

/// A data-access check is a claimed job: one whose worker died mid-check is taken over by a live
/// worker once its lease lapses, and answered.
#[tokio::test]
async fn a_data_access_check_left_by_a_dead_worker_is_taken_over() {
    use pmsgraph::store::access_checks;
    let server = TestServer::start_with(|config| config.worker.poll = std::time::Duration::from_millis(100)).await;
    let token = server.token("checks", Environment::Sandbox).await;
    let customer =
        server.gql(&token, CREATE, json!({ "name": "Checked" })).await.data()["createCustomer"]["id"].clone();
    let url = format!("{}/sandbox/entrata", server.url);
    let answer = server.gql(&token, CONNECT, json!({ "customer": customer, "url": url })).await;
    let id = answer.data()["connectIntegration"]["id"].as_str().expect("an id").to_owned();
    let (_, uuid) = pmsgraph::graphql::ids::decode(&id).expect("a global id");

    let query = "query($id: ID!) { node(id: $id) { ... on Integration { dataAccess { resource status } } } }";
    let answered = || async {
        let mut statuses = Vec::new();
        for _ in 0..100 {
            let answer = server.gql(&token, query, json!({ "id": id })).await;
            statuses = answer.data()["node"]["dataAccess"].as_array().cloned().unwrap_or_default();
            if statuses.len() == 4 && statuses.iter().all(|s| s["status"] != "PENDING") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        statuses
    };

    // A worker of another process claims the check for one second, and dies. The server's own
    // worker polls the same queue and may take a check between its queueing and that claim: then
    // it is left to finish, and another check is queued.
    let mut held = false;
    for _ in 0..10 {
        pmsgraph::store::integrations::mark_access_pending(server.db(), uuid).await.expect("pending");
        access_checks::request(server.db(), uuid).await.expect("queued");
        let claimed = access_checks::claim_next(server.db(), "dead-worker", std::time::Duration::from_secs(1))
            .await
            .expect("the queue answers");
        if claimed.is_some() {
            held = true;
            break;
        }
        answered().await;
    }
    assert!(held, "the dead worker held a check");

    let statuses = answered().await;
    // Answered by the live worker (the sandbox does not know this user, so every resource is DENIED).
    assert!(statuses.len() == 4 && statuses.iter().all(|s| s["status"] == "DENIED"), "{statuses:?}");
}
