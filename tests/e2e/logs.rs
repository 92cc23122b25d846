//! No log line carries a credential. Every log of this test process is captured at debug level
//! (all servers of the suite run in it), while a customer connects with a distinctive secret, is
//! checked and refused, is fixed, enabled and synced, and then syncs with refused credentials; the
//! secret never appears, in plain text or as the Basic-auth header it travels in.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};

use pmsgraph::auth::Environment;

use crate::support::TestServer;

/// Everything logged by this process since the capture was installed.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }
}

/// Installs the capture once for the whole test binary.
fn capture() -> Captured {
    static CAPTURE: OnceLock<Captured> = OnceLock::new();
    CAPTURE
        .get_or_init(|| {
            let captured = Captured::default();
            let writer = captured.clone();
            let installed = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new("debug"))
                .with_writer(move || writer.clone())
                .try_init();
            assert!(installed.is_ok(), "another test installed a global subscriber");
            captured
        })
        .clone()
}

async fn gql(server: &TestServer, token: &str, query: &str, variables: Value) -> Value {
    server.gql(token, query, variables).await.data().clone()
}

/// Waits until the integration's check has answered for every resource.
async fn checked(server: &TestServer, token: &str, integration: &Value) -> Value {
    let query = "query($id: ID!) { node(id: $id) { ... on Integration { dataAccess { resource status message } } } }";
    for _ in 0..600 {
        let access = gql(server, token, query, json!({ "id": integration })).await["node"]["dataAccess"].clone();
        if access.as_array().is_some_and(|a| a.len() == 4 && a.iter().all(|r| r["status"] != "PENDING")) {
            return access;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the data-access check never finished");
}

/// Waits until the integration's latest job has ended.
async fn job_ended(server: &TestServer, token: &str, integration: &Value) -> Value {
    let query = "query($id: ID!) { node(id: $id) { ... on Integration { syncJobs(last: 1) { nodes { status errors { code message } } } } } }";
    for _ in 0..1200 {
        let job = gql(server, token, query, json!({ "id": integration })).await["node"]["syncJobs"]["nodes"][0].clone();
        if job["status"].as_str().is_some_and(|s| s != "QUEUED" && s != "RUNNING") {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the sync never finished");
}

#[tokio::test]
async fn no_log_line_carries_a_credential() {
    let logs = capture();
    let server = TestServer::start().await;
    let token = server.token("log-audit", Environment::Sandbox).await;
    let url = format!("{}/sandbox/entrata", server.url);
    let secret = "Zq7-Secret-Never-Logged-41";
    let connect = r#"mutation($customer: ID!, $url: String!, $password: String!) {
      connectIntegration(customerId: $customer, credentials: { entrata: { baseUrl: $url, username: "sandbox", password: $password } }) { id }
    }"#;
    let update = r#"mutation($id: ID!, $url: String!, $password: String!) {
      updateIntegration(integrationId: $id, credentials: { entrata: { baseUrl: $url, username: "sandbox", password: $password } }) { id }
    }"#;
    let enable = "mutation($id: ID!) { enableIntegration(integrationId: $id) { status } }";

    let customer = gql(&server, &token, "mutation { createCustomer(name: \"Log Audit\") { id } }", json!({})).await
        ["createCustomer"]["id"]
        .clone();
    // The sandbox refuses this password: the check and its errors are logged.
    let integration = gql(&server, &token, connect, json!({ "customer": customer, "url": url, "password": secret }))
        .await["connectIntegration"]["id"]
        .clone();
    gql(
        &server,
        &token,
        "mutation($id: ID!) { checkDataAccess(integrationId: $id) { id } }",
        json!({ "id": integration }),
    )
    .await;
    let access = checked(&server, &token, &integration).await;
    assert!(access.as_array().is_some_and(|a| a.iter().all(|r| r["status"] != "GRANTED")), "{access}");
    assert_eq!(server.gql(&token, enable, json!({ "id": integration })).await.code(), "DATA_ACCESS_INCOMPLETE");

    // Fixed, checked, enabled, synced.
    gql(&server, &token, update, json!({ "id": integration, "url": url, "password": "sandbox" })).await;
    checked(&server, &token, &integration).await;
    gql(&server, &token, enable, json!({ "id": integration })).await;
    assert_eq!(job_ended(&server, &token, &integration).await["status"], "SUCCESS");

    // The PMS starts refusing the stored credentials (rotated behind our back): the sync fails, logged.
    let id = pmsgraph::graphql::ids::decode(integration.as_str().expect("an id")).expect("a global id").1;
    let refused = json!({ "base_url": url, "username": "sandbox", "password": secret });
    pmsgraph::store::customers::set_credentials(server.db(), &server.state.vault, id, &refused).await.expect("stored");
    gql(&server, &token, "mutation($id: ID!) { syncNow(integrationId: $id) { id } }", json!({ "id": integration }))
        .await;
    let job = job_ended(&server, &token, &integration).await;
    assert_eq!(job["status"], "FAILED", "{job}");
    assert_eq!(job["errors"][0]["code"], "PMS_UNAUTHORIZED", "{job}");
    assert!(!job.to_string().contains(secret), "{job}");

    let logged = logs.text();
    assert!(logged.contains("sync finished"), "the capture sees the server's logs");
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("sandbox:{secret}"));
    for form in [secret.to_owned(), basic] {
        assert!(!logged.contains(&form), "a log line carries a credential ({form})");
    }
}
