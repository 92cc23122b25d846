//! No log line carries a credential. Every log of this test process is captured at debug level
//! (all servers of the suite run in it), while a customer connects with a distinctive secret, is
//! checked and refused, is fixed, enabled and synced, and then syncs with refused credentials; the
//! secret never appears, in plain text or as the Basic-auth header it travels in.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use base64::Engine;
use serde_json::{Value, json};

use pmsgraph::auth::Environment;

use crate::support::TestServer;
use crate::sync::{ENABLE, check_access, enable, latest_job};

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

    let customer = gql(&server, &token, "mutation { createCustomer(name: \"Log Audit\") { id } }", json!({})).await
        ["createCustomer"]["id"]
        .clone();
    // The sandbox refuses this password: the check and its errors are logged.
    let integration = gql(&server, &token, connect, json!({ "customer": customer, "url": url, "password": secret }))
        .await["connectIntegration"]["id"]
        .clone();
    let id = integration.as_str().expect("an id");
    let access = check_access(&server, &token, id).await;
    assert!(access.as_array().is_some_and(|a| a.iter().all(|r| r["status"] != "GRANTED")), "{access}");
    let refused = server.gql(&token, ENABLE, json!({ "id": integration })).await;
    assert_eq!(refused.code(), "DATA_ACCESS_INCOMPLETE");

    // Fixed, checked, enabled, synced.
    gql(&server, &token, update, json!({ "id": integration, "url": url, "password": "sandbox" })).await;
    check_access(&server, &token, id).await;
    assert_eq!(enable(&server, &token, id).await["status"], "SUCCESS");

    // The PMS starts refusing the stored credentials (rotated behind our back): the sync fails, logged.
    let uuid = pmsgraph::graphql::ids::decode(id).expect("a global id").1;
    let wrong = json!({ "base_url": url, "username": "sandbox", "password": secret });
    pmsgraph::store::customers::set_credentials(server.db(), &server.state.vault, uuid, &wrong).await.expect("stored");
    gql(&server, &token, "mutation($id: ID!) { syncNow(integrationId: $id) { id } }", json!({ "id": integration }))
        .await;
    let job = latest_job(&server, &token, id).await;
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
