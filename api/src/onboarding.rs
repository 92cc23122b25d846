//! Onboarding services behind the GraphQL mutations: connecting an integration (credentials
//! validated, sealed), the data-access check (run in the background, one PMS call per resource),
//! enabling behind the access gate, updating an integration (schedule, rotated credentials,
//! property access times), and on-demand syncs of a scope.
//!
//! Rotated credentials void the data-access matrix: the old answers were about other credentials.
//! A fresh check starts at once; an ENABLED integration is PAUSED until that check passes and it is
//! enabled again, so no sync ever runs on credentials that were never checked.

use std::time::Duration;

use futures::future::join_all;
use serde_json::{Value, json};
use uuid::Uuid;

use pmsgraph_connector_core::{ConnectorError, Pms, Resource, SyncScope, guard};
use pmsgraph_entity::{integration, sync_job};

use crate::auth::Environment;
use crate::connectors;
use crate::error::ApiError;
use crate::store::integrations::{self, DENIED, ERROR, GRANTED};
use crate::store::jobs::{self, Trigger};
use crate::store::{self, customers};
use crate::sync::Worker;

/// The longest a data-access check may take (DESIGN.md: "up to a minute").
pub const ACCESS_CHECK_TIMEOUT: Duration = Duration::from_secs(60);

/// Where a customer's PMS may be reached: production customers only at public https URLs; sandbox
/// customers also at the built-in sandbox on this machine. This is the check at entry, for a clear
/// error; every connection is checked again where it is made (`pmsgraph_connector_core::guard`).
pub fn check_pms_url(raw: &str, environment: Environment, allow_loopback: bool) -> Result<(), ApiError> {
    check_outbound_url(raw, environment, allow_loopback, "PMS URL", true)
}

/// Where a webhook may be sent: the rules of PMS URLs, without the built-in sandbox (pmsgraph
/// never calls itself).
pub fn check_webhook_url(raw: &str, environment: Environment, allow_private: bool) -> Result<(), ApiError> {
    check_outbound_url(raw, environment, allow_private, "webhook URL", false)
}

/// The entry check of a URL pmsgraph will call: `what` names it in errors; `sandbox_loopback`
/// lets sandbox customers use a literal loopback address (the built-in sandbox).
fn check_outbound_url(
    raw: &str,
    environment: Environment,
    allow_private: bool,
    what: &str,
    sandbox_loopback: bool,
) -> Result<(), ApiError> {
    use std::net::IpAddr;
    let url = pmsgraph_connector_core::reqwest::Url::parse(raw.trim())
        .map_err(|e| ApiError::bad_input(format!("`{raw}` is not a URL: {e}")))?;
    let host = url.host_str().ok_or_else(|| ApiError::bad_input(format!("`{raw}` has no host")))?;
    let local = host.eq_ignore_ascii_case("localhost")
        || host.to_ascii_lowercase().ends_with(".localhost")
        || host.trim_matches(['[', ']']).parse::<IpAddr>().is_ok_and(|ip| guard::refusal(ip).is_some());
    // The built-in sandbox is this server, reached at a literal loopback address (a loopback name
    // would be refused where the connection is made).
    let sandbox_host =
        sandbox_loopback && host.trim_matches(['[', ']']).parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    match (environment, url.scheme()) {
        (Environment::Production, "https") if !local || allow_private => Ok(()),
        (Environment::Production, "https") => {
            Err(ApiError::bad_input(format!("`{host}` is not a public address; a production {what} must be")))
        }
        (Environment::Production, _) => Err(ApiError::bad_input(format!("a production {what} must use https"))),
        (Environment::Sandbox, "https" | "http") if !local || sandbox_host || allow_private => Ok(()),
        (Environment::Sandbox, "https" | "http") if sandbox_loopback => Err(ApiError::bad_input(format!(
            "`{host}` is not a public address; a sandbox customer may use a public URL or the built-in \
             sandbox at http://127.0.0.1:PORT/sandbox/..."
        ))),
        (Environment::Sandbox, "https" | "http") => {
            Err(ApiError::bad_input(format!("`{host}` is not a public address; a {what} must be")))
        }
        (Environment::Sandbox, scheme) => Err(ApiError::bad_input(format!("`{scheme}` URLs are not supported"))),
    }
}

/// Credentials as the connectors read them, from the GraphQL input.
pub struct NewCredentials {
    pub pms: Pms,
    pub base_url: String,
    pub json: Value,
}

/// Creates a disabled integration with sealed credentials for a customer of the scope.
pub async fn connect(
    worker: &Worker,
    customer_id: Uuid,
    environment: Environment,
    allow_loopback: bool,
    credentials: NewCredentials,
) -> Result<integration::Model, ApiError> {
    check_pms_url(&credentials.base_url, environment, allow_loopback)?;
    let db = worker.db();
    let row = customers::create_integration(db, customer_id, credentials.pms.as_str(), json!({})).await?;
    customers::set_credentials(db, worker.vault(), row.id, &credentials.json).await?;
    Ok(integrations::get(db, row.id).await?)
}

/// Queues a data-access check for a worker (this process's, if it runs jobs, is woken at once);
/// the matrix shows PENDING until each resource answers.
pub async fn start_access_check(worker: &Worker, integration_id: Uuid) -> Result<(), ApiError> {
    integrations::mark_access_pending(worker.db(), integration_id).await?;
    store::access_checks::request(worker.db(), integration_id).await?;
    worker.notify();
    Ok(())
}

/// Checks every resource once and records the answers.
pub async fn run_access_check(worker: &Worker, integration_id: Uuid) -> Result<(), store::StoreError> {
    let db = worker.db();
    let (client, policy) = worker.http();
    let connector = match connectors::for_integration(db, worker.vault(), client, policy, integration_id).await {
        Ok(connector) => connector,
        Err(error) => {
            for resource in Resource::ALL {
                integrations::record_access(db, integration_id, resource, ERROR, Some(error.message.clone())).await?;
            }
            return Ok(());
        }
    };
    let checks = Resource::ALL.map(|resource| {
        let connector = connector.as_ref();
        async move {
            let answer = tokio::time::timeout(ACCESS_CHECK_TIMEOUT, connector.check_access(resource)).await;
            (resource, answer.unwrap_or(Err(ConnectorError::Timeout)))
        }
    });
    for (resource, answer) in join_all(checks).await {
        let (status, message) = match answer {
            Ok(()) => (GRANTED, None),
            Err(err @ (ConnectorError::AccessDenied { .. } | ConnectorError::Unauthorized(_))) => {
                (DENIED, Some(err.to_string()))
            }
            Err(err) => (ERROR, Some(err.to_string())),
        };
        integrations::record_access(db, integration_id, resource, status, message).await?;
    }
    Ok(())
}

/// Enables an integration once every resource is GRANTED, and queues its first full sync.
pub async fn enable(worker: &Worker, integration_id: Uuid) -> Result<integration::Model, ApiError> {
    let db = worker.db();
    let missing = integrations::missing_access(db, integration_id).await?;
    if !missing.is_empty() {
        return Err(ApiError::DataAccessIncomplete(format!(
            "the integration cannot be enabled until every resource is GRANTED: {}",
            missing.join("; ")
        )));
    }
    let (row, _first_sync) = integrations::enable_with_first_sync(db, integration_id).await?;
    worker.notify();
    Ok(row)
}

/// What `updateIntegration` changes; `None` leaves a setting as it is.
#[derive(Default)]
pub struct IntegrationUpdate {
    pub sync_interval: Option<Duration>,
    pub credentials: Option<NewCredentials>,
    pub access_start_time: Option<chrono::NaiveTime>,
    pub access_end_time: Option<chrono::NaiveTime>,
}

/// The longest sync interval an integration may set.
pub const MAX_SYNC_INTERVAL: Duration = Duration::from_secs(24 * 3600);

/// Changes an integration's schedule, credentials or property access times.
pub async fn update(
    worker: &Worker,
    integration_id: Uuid,
    environment: Environment,
    allow_loopback: bool,
    update: IntegrationUpdate,
) -> Result<integration::Model, ApiError> {
    let db = worker.db();
    let row = integrations::get(db, integration_id).await?;
    let mut settings = serde_json::Map::new();
    if let Some(interval) = update.sync_interval {
        let floor = worker.config().schedule.min_interval;
        if interval < floor || interval > MAX_SYNC_INTERVAL {
            return Err(ApiError::bad_input(format!(
                "the sync interval must be between {} and {} seconds",
                floor.as_secs(),
                MAX_SYNC_INTERVAL.as_secs()
            )));
        }
        settings.insert(integrations::SYNC_INTERVAL_SECS.into(), json!(interval.as_secs()));
    }
    if let Some(start) = update.access_start_time {
        settings.insert(integrations::ACCESS_START_TIME.into(), json!(start.format("%H:%M").to_string()));
    }
    if let Some(end) = update.access_end_time {
        settings.insert(integrations::ACCESS_END_TIME.into(), json!(end.format("%H:%M").to_string()));
    }
    if let Some(credentials) = &update.credentials {
        if credentials.pms.as_str() != row.pms {
            return Err(ApiError::bad_input(format!(
                "this integration connects to {}; give {} credentials",
                row.pms, row.pms
            )));
        }
        check_pms_url(&credentials.base_url, environment, allow_loopback)?;
    }
    let mut row =
        if settings.is_empty() { row } else { integrations::update_settings(db, integration_id, settings).await? };
    if let Some(credentials) = update.credentials {
        customers::set_credentials(db, worker.vault(), integration_id, &credentials.json).await?;
        integrations::reset_access(db, integration_id).await?;
        if row.status == integrations::ENABLED {
            let reason = "the credentials were changed: enable the integration again once the data-access check passes";
            row = integrations::set_status(db, integration_id, integrations::PAUSED, Some(reason.into())).await?;
        }
        start_access_check(worker, integration_id).await?;
    }
    Ok(row)
}

/// Queues an on-demand sync of a scope of an enabled integration.
pub async fn sync_now(worker: &Worker, integration_id: Uuid, scope: SyncScope) -> Result<sync_job::Model, ApiError> {
    let db = worker.db();
    let row = integrations::get(db, integration_id).await?;
    if row.status != integrations::ENABLED {
        return Err(ApiError::Forbidden(format!(
            "the integration is {}: enable it (after a passing data-access check) before syncing",
            row.status
        )));
    }
    let job = jobs::enqueue(db, integration_id, Trigger::OnDemand, &scope).await?;
    worker.notify();
    Ok(job)
}
