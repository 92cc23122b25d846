//! The scheduler, `updateIntegration`, onboarding links, the per-token rate limit and SSRF refusals,
//! over HTTP as an app developer (or a property manager with a link) would meet them.
//!
//! Most integrations here name a PMS URL the address guard refuses (`http://127.0.0.1:9`, not the
//! built-in sandbox), so every data-access check errs and every sync fails: that is what the failure
//! and pause tests use. They pass the enable gate by recording GRANTED through the service layer, as
//! a passing check would. One test syncs the built-in Entrata sandbox for real. Nothing here asserts
//! on wall-clock durations: waits poll for a state with a generous timeout, and schedule times are
//! checked against the job records.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use uuid::Uuid;

use pmsgraph::auth::Environment;
use pmsgraph::graphql::ids;
use pmsgraph::store::{integrations, jobs};
use pmsgraph_connector_core::{Resource, SyncScope};

use crate::support::TestServer;

const CREATE: &str = "mutation($name: String!) { createCustomer(name: $name) { id } }";
const CONNECT: &str = r#"mutation($customer: ID!, $url: String!) {
  connectIntegration(customerId: $customer, credentials: { entrata: { baseUrl: $url, username: "manager", password: "first-Pa55" } }) { id status }
}"#;
const ENABLE: &str = "mutation($id: ID!) { enableIntegration(integrationId: $id) { status statusReason } }";
const STATE: &str = r#"query($id: ID!) { node(id: $id) { ... on Integration {
  status statusReason syncIntervalSeconds nextSyncAt accessStartTime accessEndTime
  dataAccess { resource status }
  syncJobs(last: 50) { nodes { trigger scope status queuedAt finishedAt errors { code message } } }
} } }"#;
const UPDATE_INTERVAL: &str = "mutation($id: ID!, $secs: Int!) { updateIntegration(integrationId: $id, syncIntervalSeconds: $secs) { syncIntervalSeconds } }";

/// A loopback URL that is not the built-in sandbox: the address guard refuses it, so every data-access
/// check of it errs and every sync of it fails.
const DEAD_PMS: &str = "http://127.0.0.1:9/entrata";

/// A server whose schedule may run every second.
async fn fast_server(tick: Duration) -> TestServer {
    TestServer::start_with(|config| {
        config.worker.schedule.min_interval = Duration::from_secs(1);
        config.worker.schedule.tick = tick;
        config.worker.poll = Duration::from_millis(100);
    })
    .await
}

/// Creates a sandbox customer with one integration; returns (customer id, integration id).
async fn onboard(server: &TestServer, token: &str, name: &str, url: &str) -> (Value, Value) {
    let customer = server.gql(token, CREATE, json!({ "name": name })).await.data()["createCustomer"]["id"].clone();
    let answer = server.gql(token, CONNECT, json!({ "customer": customer, "url": url })).await;
    (customer, answer.data()["connectIntegration"]["id"].clone())
}

fn uuid_of(id: &Value) -> Uuid {
    ids::decode(id.as_str().expect("an id")).expect("a global id").1
}

/// Records every resource GRANTED, as a passing data-access check would.
async fn grant(server: &TestServer, integration: &Value) {
    for resource in Resource::ALL {
        integrations::record_access(server.db(), uuid_of(integration), resource, integrations::GRANTED, None)
            .await
            .expect("recorded");
    }
}

async fn state(server: &TestServer, token: &str, integration: &Value) -> Value {
    server.gql(token, STATE, json!({ "id": integration })).await.data()["node"].clone()
}

/// Polls the integration until `done` holds (a generous timeout guards against a hang).
async fn wait_for(server: &TestServer, token: &str, integration: &Value, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..600 {
        let now = state(server, token, integration).await;
        if done(&now) {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the integration never reached the expected state: {:#}", state(server, token, integration).await);
}

/// Stops the integration's syncs (the end of a test that let them run).
async fn disable(server: &TestServer, token: &str, integration: &Value) {
    let disable = "mutation($id: ID!) { disableIntegration(integrationId: $id) { status } }";
    assert_eq!(
        server.gql(token, disable, json!({ "id": integration })).await.data()["disableIntegration"]["status"],
        "DISABLED"
    );
}

fn jobs_of(state: &Value) -> Vec<Value> {
    state["syncJobs"]["nodes"].as_array().cloned().unwrap_or_default()
}

fn finished(jobs: &[Value]) -> usize {
    jobs.iter().filter(|j| !j["finishedAt"].is_null()).count()
}

fn instant(value: &Value) -> DateTime<Utc> {
    value.as_str().and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("not an instant: {value}"))
}

/// Writes a successful run of the whole integration through the queue, as a worker would.
async fn successful_full_run(server: &TestServer, integration: Uuid) -> DateTime<Utc> {
    let db = server.db();
    let job = jobs::enqueue(db, integration, jobs::Trigger::OnDemand, &SyncScope::Integration).await.expect("queued");
    let claimed = jobs::claim_next(db, "test-worker", Duration::from_secs(60)).await.expect("claims").expect("a job");
    assert_eq!(claimed.id, job.id);
    let outcome = jobs::Outcome {
        status: jobs::SUCCESS,
        counts: Default::default(),
        deleted: 0,
        errors: Vec::new(),
        changed_since: None,
    };
    jobs::finish(db, job.id, &outcome).await.expect("finished").finished_at.expect("a finish time")
}

#[tokio::test]
async fn the_schedule_fires_on_its_interval_and_keeps_firing_after_a_restart() {
    let server = fast_server(Duration::from_millis(100)).await;
    let token = server.token("scheduler", Environment::Sandbox).await;
    let (_, integration) = onboard(&server, &token, "Every Second", DEAD_PMS).await;

    let answer = server.gql(&token, UPDATE_INTERVAL, json!({ "id": integration, "secs": 0 })).await;
    assert_eq!(answer.code(), "BAD_USER_INPUT");
    let answer = server.gql(&token, UPDATE_INTERVAL, json!({ "id": integration, "secs": 1 })).await;
    assert_eq!(answer.data()["updateIntegration"]["syncIntervalSeconds"], 1);
    grant(&server, &integration).await;
    assert_eq!(
        server.gql(&token, ENABLE, json!({ "id": integration })).await.data()["enableIntegration"]["status"],
        "ENABLED"
    );

    // The first full sync on enable has run (and failed: the PMS URL is refused).
    let before = wait_for(&server, &token, &integration, |s| finished(&jobs_of(s)) >= 1).await;
    assert_eq!(jobs_of(&before)[0]["trigger"], "ENABLE");

    // A restart: the schedule lives in the job queue, so the new process carries on with it. At
    // most one run of the integration is pending at a time, so of two more runs after the restart,
    // the second at least was queued by the new process.
    let server = server.restart().await;
    let at_restart = finished(&jobs_of(&state(&server, &token, &integration).await));
    assert!(at_restart < 3, "{at_restart} runs before the restart");
    let after = wait_for(&server, &token, &integration, |s| finished(&jobs_of(s)) >= at_restart + 2).await;
    let all = jobs_of(&after);
    assert!(all.iter().filter(|j| j["trigger"] == "SCHEDULE").count() >= 2, "{all:#?}");
    // Every scheduled run was queued no earlier than the interval after the run before it ended.
    for pair in all.windows(2) {
        if pair[1]["trigger"] == "SCHEDULE" {
            let gap = instant(&pair[1]["queuedAt"]) - instant(&pair[0]["finishedAt"]);
            assert!(gap >= chrono::Duration::seconds(1), "queued {gap} after the previous run: {all:#?}");
        }
        assert_eq!(pair[0]["scope"], "INTEGRATION");
    }
    // Each scheduled run rechecked data access first (the check cannot pass: the URL is refused).
    let scheduled = all.iter().find(|j| j["trigger"] == "SCHEDULE").expect("a scheduled run");
    assert_eq!(scheduled["status"], "FAILED");
    assert_eq!(scheduled["errors"][0]["code"], "DATA_ACCESS_CHECK_FAILED", "{scheduled:#}");
    disable(&server, &token, &integration).await;
}

#[tokio::test]
async fn the_next_sync_time_is_derived_from_the_queue_and_survives_a_restart() {
    // No scheduler and a long poll: nothing runs by itself here; the test drives the queue and the
    // scheduler.
    let server = TestServer::start_with(|config| {
        config.worker.poll = Duration::from_secs(3600);
        config.worker.schedule.enabled = false;
    })
    .await;
    let token = server.token("next-sync", Environment::Sandbox).await;
    let (_, integration) = onboard(&server, &token, "Hourly", DEAD_PMS).await;
    let id = uuid_of(&integration);
    assert!(state(&server, &token, &integration).await["nextSyncAt"].is_null(), "not enabled yet");

    integrations::set_status(server.db(), id, integrations::ENABLED, None).await.expect("enabled");
    let last = successful_full_run(&server, id).await;
    let now = state(&server, &token, &integration).await;
    assert_eq!(now["syncIntervalSeconds"], 3600);
    let next = instant(&now["nextSyncAt"]);
    assert!(next >= last + chrono::Duration::seconds(3600), "{next} vs {last}");
    assert!(next <= last + chrono::Duration::seconds(3960), "at most a tenth of jitter: {next} vs {last}");

    let answer = server.gql(&token, UPDATE_INTERVAL, json!({ "id": integration, "secs": 60 })).await;
    assert_eq!(answer.code(), "BAD_USER_INPUT", "below the 5-minute floor");
    server.gql(&token, UPDATE_INTERVAL, json!({ "id": integration, "secs": 1800 })).await.data();
    let next = instant(&state(&server, &token, &integration).await["nextSyncAt"]);
    assert!(next >= last + chrono::Duration::seconds(1800) && next <= last + chrono::Duration::seconds(1980));

    // The scheduler queues the run exactly when it is due, and only one.
    let schedule = server.state.worker.config().schedule.clone();
    let before_due = next - chrono::Duration::seconds(1);
    assert_eq!(pmsgraph::sync::scheduler::tick(server.db(), &schedule, before_due).await.expect("ticks"), 0);

    // A job whose worker died (its lease lapsed) is run again after the restart.
    let scope = SyncScope::Property { property: "p-1".into() };
    let orphan = jobs::enqueue(server.db(), id, jobs::Trigger::OnDemand, &scope).await.expect("queued");
    let claimed = jobs::claim_next(server.db(), "dead-worker", Duration::ZERO).await.expect("claims").expect("a job");
    assert_eq!((claimed.id, claimed.status.as_str()), (orphan.id, jobs::RUNNING));

    let server = server.restart().await;
    let again = state(&server, &token, &integration).await;
    assert_eq!(instant(&again["nextSyncAt"]), next, "the same schedule after a restart");
    let mut rerun = jobs::get(server.db(), orphan.id).await.expect("the job");
    for _ in 0..600 {
        if rerun.finished_at.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        rerun = jobs::get(server.db(), orphan.id).await.expect("the job");
    }
    assert!(rerun.finished_at.is_some(), "the orphaned job was run again: {rerun:?}");
    assert_ne!(rerun.claimed_by.as_deref(), Some("dead-worker"));

    assert_eq!(pmsgraph::sync::scheduler::tick(server.db(), &schedule, next).await.expect("ticks"), 1);
    assert_eq!(
        pmsgraph::sync::scheduler::tick(server.db(), &schedule, next).await.expect("ticks"),
        0,
        "already queued"
    );
    let queued = jobs::recent_full(server.db(), id, 1).await.expect("jobs");
    assert_eq!(queued[0].trigger, "SCHEDULE");
    assert!(state(&server, &token, &integration).await["nextSyncAt"].is_null(), "a sync is pending");
}

#[tokio::test]
async fn five_failures_in_a_row_pause_the_integration_until_it_is_enabled_again() {
    let server = fast_server(Duration::from_millis(100)).await;
    let token = server.token("pauses", Environment::Sandbox).await;
    let (_, integration) = onboard(&server, &token, "Flaky", DEAD_PMS).await;
    server.gql(&token, UPDATE_INTERVAL, json!({ "id": integration, "secs": 1 })).await.data();
    grant(&server, &integration).await;
    server.gql(&token, ENABLE, json!({ "id": integration })).await.data();

    let paused = wait_for(&server, &token, &integration, |s| s["status"] == "PAUSED").await;
    let reason = paused["statusReason"].as_str().expect("a reason");
    assert!(reason.starts_with("5 syncs in a row failed"), "{reason}");
    assert!(paused["nextSyncAt"].is_null());
    let runs = jobs_of(&paused);
    assert_eq!(runs.len(), 5, "{runs:#?}");
    assert!(runs.iter().all(|j| j["status"] == "FAILED"));
    assert_eq!(runs[0]["trigger"], "ENABLE");
    assert!(runs[1..].iter().all(|j| j["trigger"] == "SCHEDULE"));
    // A paused integration is not scheduled, however late it gets.
    let schedule = server.state.worker.config().schedule.clone();
    let tomorrow = Utc::now() + chrono::Duration::days(1);
    assert_eq!(pmsgraph::sync::scheduler::tick(server.db(), &schedule, tomorrow).await.expect("ticks"), 0);

    // Re-enabling needs a passing check again; then it resumes with a fresh count.
    let answer = server.gql(&token, ENABLE, json!({ "id": integration })).await;
    assert_eq!(answer.code(), "DATA_ACCESS_INCOMPLETE", "the scheduled rechecks did not pass");
    grant(&server, &integration).await;
    let answer = server.gql(&token, ENABLE, json!({ "id": integration })).await;
    assert_eq!(answer.data()["enableIntegration"], json!({ "status": "ENABLED", "statusReason": null }));
    let resumed = wait_for(&server, &token, &integration, |s| finished(&jobs_of(s)) >= 6).await;
    assert_eq!(jobs_of(&resumed)[5]["trigger"], "ENABLE");
    assert_eq!(resumed["status"], "ENABLED", "one failure after re-enabling does not pause");
    disable(&server, &token, &integration).await;
}

#[tokio::test]
async fn rotated_credentials_and_access_times_are_updated() {
    let server = TestServer::start_with(|config| config.worker.schedule.enabled = false).await;
    let token = server.token("updates", Environment::Sandbox).await;
    let (_, integration) = onboard(&server, &token, "Rotating", "https://rotate.entrata.com").await;
    let id = uuid_of(&integration);
    integrations::set_status(server.db(), id, integrations::ENABLED, None).await.expect("enabled");
    grant(&server, &integration).await;

    let times = r#"mutation($id: ID!, $start: String, $end: String) {
      updateIntegration(integrationId: $id, accessStartTime: $start, accessEndTime: $end) { accessStartTime accessEndTime status }
    }"#;
    let answer = server.gql(&token, times, json!({ "id": integration, "start": "09:30" })).await;
    assert_eq!(
        answer.data()["updateIntegration"],
        json!({ "accessStartTime": "09:30", "accessEndTime": "16:00", "status": "ENABLED" })
    );
    let answer = server.gql(&token, times, json!({ "id": integration, "end": "25:00" })).await;
    assert_eq!(answer.code(), "BAD_USER_INPUT");
    // Properties without their own times take the integration's.
    let portfolio = crate::support::Portfolio::new("Upd", 1, 1);
    pmsgraph::store::ingest::apply(server.db(), id, &portfolio.records).await.expect("ingest");
    let answer = server.gql(&token, "{ properties { nodes { accessStartTime accessEndTime } } }", json!({})).await;
    assert_eq!(
        answer.data()["properties"]["nodes"][0],
        json!({ "accessStartTime": "09:30", "accessEndTime": "16:00" })
    );

    let before = pmsgraph_entity::integration::Entity::find_by_id(id);
    let sealed_before = before.one(&server.db().read).await.expect("query").expect("row").credentials;
    let rotate = r#"mutation($id: ID!, $url: String!) {
      updateIntegration(integrationId: $id, credentials: { entrata: { baseUrl: $url, apiKey: "rotated-K3y" } }) { status statusReason dataAccess { status } }
    }"#;
    let answer = server.gql(&token, rotate, json!({ "id": integration, "url": "https://rotate.entrata.com" })).await;
    let updated = answer.data()["updateIntegration"].clone();
    assert_eq!(updated["status"], "PAUSED", "no sync on unchecked credentials");
    assert!(updated["statusReason"].as_str().expect("a reason").contains("credentials"), "{updated:#}");
    assert!(!answer.body.to_string().contains("rotated-K3y"));
    let row =
        pmsgraph_entity::integration::Entity::find_by_id(id).one(&server.db().read).await.expect("query").expect("row");
    let sealed = row.credentials.expect("sealed");
    assert_ne!(Some(sealed.clone()), sealed_before);
    assert!(!String::from_utf8_lossy(&sealed).contains("rotated-K3y"));
    // The check reruns on the new credentials; until it passes, enabling is refused.
    let answer = server.gql(&token, ENABLE, json!({ "id": integration })).await;
    assert_eq!(answer.code(), "DATA_ACCESS_INCOMPLETE");

    let wrong_pms_url = server.gql(&token, rotate, json!({ "id": integration, "url": "ftp://x" })).await;
    assert_eq!(wrong_pms_url.code(), "BAD_USER_INPUT");
}

#[tokio::test]
async fn an_onboarding_link_sees_only_its_customer() {
    let server = TestServer::start().await;
    let app = server.token("links", Environment::Sandbox).await;
    let (customer, integration) = onboard(&server, &app, "Linked Co", "https://linked.entrata.com").await;
    let (other, other_integration) = onboard(&server, &app, "Other Co", "https://other.entrata.com").await;

    let mint = "mutation($id: ID!, $ttl: Int) { createOnboardingLink(customerId: $id, ttlHours: $ttl) { token tokenId expiresAt customer { id name } } }";
    assert_eq!(server.gql(&app, mint, json!({ "id": customer, "ttl": 0 })).await.code(), "BAD_USER_INPUT");
    let production = server.token("links", Environment::Production).await;
    assert_eq!(server.gql(&production, mint, json!({ "id": customer })).await.code(), "NOT_FOUND");
    let answer = server.gql(&app, mint, json!({ "id": customer })).await;
    let link = answer.data()["createOnboardingLink"].clone();
    assert_eq!(link["customer"]["name"], "Linked Co");
    let expires = instant(&link["expiresAt"]);
    assert!(expires > Utc::now() + chrono::Duration::hours(23) && expires <= Utc::now() + chrono::Duration::hours(24));
    let link = link["token"].as_str().expect("a token").to_owned();

    // The app's own list first, so a cached answer would show if it leaked to the link.
    let list = "{ customers { totalCount nodes { name integrations { id syncJobs { totalCount } } } } }";
    assert_eq!(server.gql(&app, list, json!({})).await.data()["customers"]["totalCount"], 2);
    let seen = server.gql(&link, list, json!({})).await;
    assert_eq!(seen.data()["customers"]["totalCount"], 1);
    assert_eq!(seen.data()["customers"]["nodes"][0]["name"], "Linked Co");
    assert!(!seen.body.to_string().contains("Other Co"));

    // What a property manager needs works, for this customer.
    assert_eq!(
        server.gql(&link, "{ viewer { environment } }", json!({})).await.data()["viewer"]["environment"],
        "SANDBOX"
    );
    let answer = server.gql(&link, CONNECT, json!({ "customer": customer, "url": "https://second.entrata.com" })).await;
    assert_eq!(answer.data()["connectIntegration"]["status"], "DISABLED");
    let check = "mutation($id: ID!) { checkDataAccess(integrationId: $id) { id } }";
    server.gql(&link, check, json!({ "id": integration })).await.data();
    assert_eq!(server.gql(&link, ENABLE, json!({ "id": integration })).await.code(), "DATA_ACCESS_INCOMPLETE");
    let node = "query($id: ID!) { node(id: $id) { id } }";
    server.gql(&link, node, json!({ "id": integration })).await.data();

    // Another customer of the same app does not exist for the link.
    for (query, variables) in [
        (node, json!({ "id": other })),
        (node, json!({ "id": other_integration })),
        (CONNECT, json!({ "customer": other, "url": "https://x.entrata.com" })),
        (check, json!({ "id": other_integration })),
        (ENABLE, json!({ "id": other_integration })),
    ] {
        assert_eq!(server.gql(&link, query, variables).await.code(), "NOT_FOUND", "{query}");
    }
    // Nothing beyond onboarding, even for its own customer.
    for (query, variables) in [
        (CREATE, json!({ "name": "Mine Now" })),
        (mint, json!({ "id": customer })),
        ("mutation($id: ID!) { deleteCustomer(customerId: $id) }", json!({ "id": customer })),
        ("mutation($id: ID!) { deleteIntegration(integrationId: $id) }", json!({ "id": integration })),
        ("mutation($id: ID!) { syncNow(integrationId: $id) { id } }", json!({ "id": integration })),
        ("{ properties { totalCount } }", json!({})),
        ("{ residents { nodes { email } } }", json!({})),
        ("{ leases { totalCount } }", json!({})),
    ] {
        assert_eq!(server.gql(&link, query, variables).await.code(), "FORBIDDEN", "{query}");
    }
}

#[tokio::test]
async fn a_token_over_its_rate_limit_is_told_when_to_retry() {
    let server = TestServer::start_with(|config| {
        config.rate_limit.per_second = 1;
        config.rate_limit.burst = 2;
    })
    .await;
    let token = server.token("busy", Environment::Sandbox).await;
    let query = json!({ "query": "{ viewer { name } }" }).to_string();
    let mut limited = None;
    for _ in 0..20 {
        let response = server
            .http()
            .post(format!("{}/graphql", server.url))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(query.clone())
            .send()
            .await
            .expect("an answer");
        if response.status() == reqwest::StatusCode::TOO_MANY_REQUESTS {
            limited = Some(response);
            break;
        }
    }
    let response = limited.expect("20 requests at once exceed a burst of 2 at 1 per second");
    let retry_after: u64 = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After header in seconds");
    assert!(retry_after >= 1);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
    assert_eq!(body["errors"][0]["extensions"]["retryAfter"], retry_after);
    // The limit is per token: another token of the same app is not slowed down.
    let other = server.token("busy", Environment::Sandbox).await;
    server.gql(&other, "{ viewer { name } }", json!({})).await.data();
}

#[tokio::test]
async fn ssrf_attempts_are_refused_at_entry_and_at_connection() {
    let server = TestServer::start().await;
    let token = server.token("ssrf", Environment::Production).await;
    let customer =
        server.gql(&token, CREATE, json!({ "name": "Prod Co" })).await.data()["createCustomer"]["id"].clone();
    for url in [
        "http://127.0.0.1",
        "http://10.0.0.1",
        "http://[::1]",
        "https://127.0.0.1",
        "https://10.0.0.1/api",
        "https://[::1]:443/",
        "https://[::ffff:10.0.0.1]/",
        "https://100.64.0.1/",
        "https://[fd00::1]/",
        "https://[fe80::1]/",
        "https://0.0.0.0/",
        "https://224.0.0.1/",
    ] {
        let answer = server.gql(&token, CONNECT, json!({ "customer": customer, "url": url })).await;
        assert_eq!(answer.code(), "BAD_USER_INPUT", "{url}: {:#}", answer.body);
    }
    let answer = server.gql(&token, CONNECT, json!({ "customer": customer, "url": "https://ok.entrata.com" })).await;
    let integration = answer.data()["connectIntegration"]["id"].clone();
    // A sandbox customer may also use the built-in sandbox (a loopback address), nothing else local.
    let sandbox = server.token("ssrf", Environment::Sandbox).await;
    let trial =
        server.gql(&sandbox, CREATE, json!({ "name": "Trial Co" })).await.data()["createCustomer"]["id"].clone();
    for url in
        ["http://10.0.0.1/", "http://localhost:8080/sandbox/entrata", "http://169.254.169.254/", "http://[fd00::1]/"]
    {
        let answer = server.gql(&sandbox, CONNECT, json!({ "customer": trial, "url": url })).await;
        assert_eq!(answer.code(), "BAD_USER_INPUT", "{url}: {:#}", answer.body);
    }
    let own = format!("{}/sandbox/entrata", server.url);
    server.gql(&sandbox, CONNECT, json!({ "customer": trial, "url": own })).await.data();
    let rotate = r#"mutation($id: ID!, $url: String!) {
      updateIntegration(integrationId: $id, credentials: { entrata: { baseUrl: $url, apiKey: "k" } }) { id }
    }"#;
    let answer = server.gql(&token, rotate, json!({ "id": integration, "url": "https://169.254.169.254/" })).await;
    assert_eq!(answer.code(), "BAD_USER_INPUT", "rotated credentials are checked too");

    // Where connections are made: the server's PMS client refuses private and loopback addresses,
    // except the built-in sandbox served by this very process.
    let (client, policy) = server.state.worker.http();
    let http = pmsgraph_connector_core::HttpClient::with_client(client.clone(), policy.clone());
    for url in ["http://10.0.0.1/", "http://127.0.0.1:9/", "http://[::1]:9/", "http://169.254.169.254/latest"] {
        let err = http.send(http.client().get(url)).await.expect_err("refused");
        assert_eq!(err.code(), "INVALID_CONFIGURATION", "{url}: {err}");
        assert!(err.to_string().contains("refused to connect"), "{url}: {err}");
    }
    let own =
        http.send(http.client().get(format!("{}/healthz", server.url))).await.expect("the built-in sandbox's host");
    assert_eq!(own.status(), 200);
}

#[tokio::test]
async fn an_integration_runs_one_sync_at_a_time() {
    // No scheduler and a long poll: the test claims jobs itself.
    let server = TestServer::start_with(|config| {
        config.worker.poll = Duration::from_secs(3600);
        config.worker.schedule.enabled = false;
    })
    .await;
    let token = server.token("one-at-a-time", Environment::Sandbox).await;
    let (_, first) = onboard(&server, &token, "First", DEAD_PMS).await;
    let (_, second) = onboard(&server, &token, "Second", DEAD_PMS).await;
    let (first, second) = (uuid_of(&first), uuid_of(&second));
    let db = server.db();
    let lease = Duration::from_secs(60);
    let full = jobs::enqueue(db, first, jobs::Trigger::OnDemand, &SyncScope::Integration).await.expect("queued");
    let unit = SyncScope::Unit { property: "p".into(), unit: "u".into() };
    let scoped = jobs::enqueue(db, first, jobs::Trigger::OnDemand, &unit).await.expect("queued");
    let other = jobs::enqueue(db, second, jobs::Trigger::OnDemand, &SyncScope::Integration).await.expect("queued");

    let claimed = jobs::claim_next(db, "w1", lease).await.expect("claims").expect("a job");
    assert_eq!(claimed.id, full.id);
    // The scoped job of the same integration waits; the other integration's job does not.
    let claimed = jobs::claim_next(db, "w2", lease).await.expect("claims").expect("a job");
    assert_eq!(claimed.id, other.id);
    assert!(jobs::claim_next(db, "w3", lease).await.expect("claims").is_none());
    let outcome = jobs::Outcome {
        status: jobs::SUCCESS,
        counts: Default::default(),
        deleted: 0,
        errors: Vec::new(),
        changed_since: None,
    };
    jobs::finish(db, full.id, &outcome).await.expect("finished");
    let claimed = jobs::claim_next(db, "w3", lease).await.expect("claims").expect("a job");
    assert_eq!(claimed.id, scoped.id);

    // While a run of the whole integration of any trigger is pending, the scheduler queues nothing.
    assert!(jobs::enqueue_scheduled(db, second).await.expect("queues").is_none(), "an on-demand run is running");
    jobs::finish(db, other.id, &outcome).await.expect("finished");
    // Schedulers of two processes that both find the integration due queue one sync between them.
    let first_queue = jobs::enqueue_scheduled(db, second).await.expect("queues");
    let second_queue = jobs::enqueue_scheduled(db, second).await.expect("no error, nothing queued");
    assert!(first_queue.is_some() && second_queue.is_none());
    let running = jobs::claim_next(db, "w4", lease).await.expect("claims").expect("the scheduled job");
    assert_eq!(running.trigger, "SCHEDULE");
    assert!(jobs::enqueue_scheduled(db, second).await.expect("queues").is_none(), "running counts as pending");
    jobs::finish(db, running.id, &outcome).await.expect("finished");
    assert!(jobs::enqueue_scheduled(db, second).await.expect("queues").is_some(), "free again once finished");
}

/// Replaces the credentials behind an integration through the service layer, without the pause a
/// rotation through the API brings: as if the PMS changed what the same API user may read.
async fn pms_now_answers_as(server: &TestServer, integration: &Value, username: &str) {
    let credentials =
        json!({ "base_url": format!("{}/sandbox/entrata", server.url), "username": username, "password": "sandbox" });
    pmsgraph::store::customers::set_credentials(server.db(), &server.state.vault, uuid_of(integration), &credentials)
        .await
        .expect("credentials are replaced");
}

#[tokio::test]
async fn scheduled_syncs_of_the_sandbox_succeed_until_access_is_newly_denied_which_pauses() {
    let server = fast_server(Duration::from_millis(100)).await;
    let token = server.token("sandbox-schedule", Environment::Sandbox).await;
    let customer =
        server.gql(&token, CREATE, json!({ "name": "Sandbox Schedule" })).await.data()["createCustomer"]["id"].clone();
    let connect = r#"mutation($customer: ID!, $url: String!) {
      connectIntegration(customerId: $customer, credentials: { entrata: { baseUrl: $url, username: "sandbox", password: "sandbox" } }) { id }
    }"#;
    let url = format!("{}/sandbox/entrata", server.url);
    let answer = server.gql(&token, connect, json!({ "customer": customer, "url": url })).await;
    let integration = answer.data()["connectIntegration"]["id"].clone();
    server
        .gql(&token, "mutation($id: ID!) { checkDataAccess(integrationId: $id) { id } }", json!({ "id": integration }))
        .await
        .data();
    let granted = |s: &Value| {
        let access = s["dataAccess"].as_array().cloned().unwrap_or_default();
        access.len() == 4 && access.iter().all(|a| a["status"] == "GRANTED")
    };
    wait_for(&server, &token, &integration, granted).await;
    server.gql(&token, UPDATE_INTERVAL, json!({ "id": integration, "secs": 1 })).await.data();
    server.gql(&token, ENABLE, json!({ "id": integration })).await.data();

    // The first sync on enable, then scheduled ones, each rechecking access and syncing for real.
    let synced = wait_for(&server, &token, &integration, |s| {
        jobs_of(s).iter().any(|j| j["trigger"] == "SCHEDULE" && j["status"] == "SUCCESS")
    })
    .await;
    assert_eq!(jobs_of(&synced)[0]["trigger"], "ENABLE");
    assert_eq!(jobs_of(&synced)[0]["status"], "SUCCESS", "{synced:#}");

    // The PMS stops granting leases: the next scheduled run's recheck pauses the integration.
    pms_now_answers_as(&server, &integration, "sandbox+deny=leases").await;
    let paused = wait_for(&server, &token, &integration, |s| s["status"] == "PAUSED").await;
    let reason = paused["statusReason"].as_str().expect("a reason");
    assert!(reason.starts_with("data access newly denied: LEASES: DENIED"), "{reason}");
    let last = jobs_of(&paused).last().cloned().expect("a run");
    assert_eq!((last["trigger"].as_str(), last["status"].as_str()), (Some("SCHEDULE"), Some("FAILED")));
    assert_eq!(last["errors"][0]["code"], "DATA_ACCESS_DENIED");
    assert_eq!(server.gql(&token, ENABLE, json!({ "id": integration })).await.code(), "DATA_ACCESS_INCOMPLETE");

    // Access restored and checked again: enabling resumes the schedule.
    pms_now_answers_as(&server, &integration, "sandbox").await;
    server
        .gql(&token, "mutation($id: ID!) { checkDataAccess(integrationId: $id) { id } }", json!({ "id": integration }))
        .await
        .data();
    wait_for(&server, &token, &integration, granted).await;
    let answer = server.gql(&token, ENABLE, json!({ "id": integration })).await;
    assert_eq!(answer.data()["enableIntegration"], json!({ "status": "ENABLED", "statusReason": null }));
    let runs = jobs_of(&paused).len();
    let resumed = wait_for(&server, &token, &integration, |s| {
        jobs_of(s).iter().skip(runs).any(|j| j["trigger"] == "SCHEDULE" && j["status"] == "SUCCESS")
    })
    .await;
    assert_eq!(resumed["status"], "ENABLED");
    disable(&server, &token, &integration).await;
}
