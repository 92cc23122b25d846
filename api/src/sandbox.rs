//! The built-in sandbox PMSs inside pmsgraph: the simulators of `pmsgraph-sandbox` mounted under
//! `/sandbox/...` by `pmsgraph serve` (or served alone by `pmsgraph sandbox serve`), with their
//! timeline step kept in the database, and the first-run demo that connects a sandbox customer to
//! them (DESIGN.md, "Built-in sandbox PMSs").
//!
//! The world is a pure function of (seed, size, step): every process reading the same database
//! serves the same data, and a restart changes nothing.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::json;

use pmsgraph_connector_core::Pms;
use pmsgraph_sandbox::{SANDBOX_PASSWORD, SANDBOX_USER, SandboxState, Size, StepSource};

use crate::auth::Environment;
use crate::db::Db;
use crate::onboarding::{self, NewCredentials};
use crate::server::AppState;
use crate::store::{self, sandbox::DEFAULT_WORLD};

/// Which sandbox world a server serves.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Mount the simulators under `/sandbox/...` (on by default).
    pub enabled: bool,
    pub seed: u64,
    pub size: Size,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig { enabled: true, seed: 42, size: Size::SMALL }
    }
}

/// The timeline step of a world, read from the database on each request. If the database cannot
/// answer, the last step read is served (and the failure logged), never a made-up one.
pub struct DbStep {
    db: Db,
    world: String,
    last: AtomicU32,
}

impl DbStep {
    pub fn new(db: Db, world: impl Into<String>) -> Self {
        DbStep { db, world: world.into(), last: AtomicU32::new(0) }
    }
}

#[async_trait::async_trait]
impl StepSource for DbStep {
    async fn current_step(&self) -> u32 {
        match store::sandbox::step(&self.db, &self.world).await {
            Ok(step) => {
                self.last.store(step, Ordering::Relaxed);
                step
            }
            Err(err) => {
                tracing::warn!(world = %self.world, error = %err, "cannot read the sandbox step; serving the last one");
                self.last.load(Ordering::Relaxed)
            }
        }
    }

    /// When the world reached `step`, as recorded when it advanced (`sandbox_step`); for a step
    /// reached before those records were kept, the timeline row's time if it is the current step.
    async fn reached_at(&self, step: u32) -> Option<chrono::DateTime<chrono::Utc>> {
        match store::sandbox::reached_at(&self.db, &self.world, step).await {
            Ok(Some(at)) => return Some(at),
            Ok(None) => {}
            Err(err) => {
                tracing::warn!(world = %self.world, step, error = %err, "cannot read when the sandbox reached a step")
            }
        }
        match store::sandbox::step_reached(&self.db, &self.world).await {
            Ok(Some((current, at))) if current == step => Some(at),
            _ => None,
        }
    }
}

/// The simulators' state for the default world, its step in `db`.
pub fn state(db: &Db, config: &SandboxConfig) -> SandboxState {
    SandboxState::new(config.seed, config.size, Arc::new(DbStep::new(db.clone(), DEFAULT_WORLD)))
}

/// Where a server listening on `addr` is reached from this machine.
fn reachable(addr: SocketAddr) -> SocketAddr {
    if addr.ip().is_unspecified() { SocketAddr::from(([127, 0, 0, 1], addr.port())) } else { addr }
}

/// The base URL of the built-in Entrata sandbox of a server listening on `addr`.
pub fn entrata_url(addr: SocketAddr) -> String {
    format!("http://{}{}", reachable(addr), pmsgraph_sandbox::ENTRATA_PREFIX)
}

/// Credentials of a healthy sandbox customer of the built-in Entrata sandbox.
pub fn entrata_credentials(addr: SocketAddr) -> NewCredentials {
    let base_url = entrata_url(addr);
    let json = json!({ "base_url": base_url, "username": SANDBOX_USER, "password": SANDBOX_PASSWORD });
    NewCredentials { pms: Pms::Entrata, base_url, json }
}

/// The service URL of the built-in Yardi sandbox of a server listening on `addr` (its interfaces
/// are `{url}/ItfResidentData.asmx` and `{url}/ItfResidentTransactions20.asmx`).
pub fn yardi_url(addr: SocketAddr) -> String {
    format!(
        "http://{}{}/{}/Webservices",
        reachable(addr),
        pmsgraph_sandbox::YARDI_PREFIX,
        pmsgraph_sandbox::YARDI_DATABASE
    )
}

/// Credentials of a healthy sandbox customer of the built-in Yardi sandbox: every property.
pub fn yardi_credentials(addr: SocketAddr) -> NewCredentials {
    let base_url = yardi_url(addr);
    let json = json!({
        "service_url": base_url,
        "server_name": "sandbox",
        "database": pmsgraph_sandbox::YARDI_DATABASE,
        "username": SANDBOX_USER,
        "password": SANDBOX_PASSWORD,
        "platform": "SQL Server",
        "interface_entity": "pmsgraph",
        "interface_license": "sandbox",
        "property_codes": [],
    });
    NewCredentials { pms: Pms::Yardi, base_url, json }
}

/// The base URL of the built-in Buildium sandbox of a server listening on `addr` (its API is at
/// `{url}/v1/...`).
pub fn buildium_url(addr: SocketAddr) -> String {
    format!("http://{}{}", reachable(addr), pmsgraph_sandbox::BUILDIUM_PREFIX)
}

/// Credentials of a healthy sandbox customer of the built-in Buildium sandbox.
pub fn buildium_credentials(addr: SocketAddr) -> NewCredentials {
    let base_url = buildium_url(addr);
    let json = json!({ "base_url": base_url, "client_id": SANDBOX_USER, "client_secret": SANDBOX_PASSWORD });
    NewCredentials { pms: Pms::Buildium, base_url, json }
}

/// The gateway URL of the built-in RealPage sandbox of a server listening on `addr` (its partner
/// service is `{url}/rpxgateway/partner/sandbox/sandbox.svc`).
pub fn realpage_url(addr: SocketAddr) -> String {
    format!("http://{}{}", reachable(addr), pmsgraph_sandbox::REALPAGE_PREFIX)
}

/// The site id a RealPage sandbox customer names in its credentials (any id lists every site).
pub const REALPAGE_SITE_ID: &str = "1";

/// Credentials of a healthy sandbox customer of the built-in RealPage sandbox: every site.
pub fn realpage_credentials(addr: SocketAddr) -> NewCredentials {
    let base_url = realpage_url(addr);
    let json = json!({
        "gateway_url": base_url,
        "partner": pmsgraph_sandbox::REALPAGE_PARTNER,
        "pmc_id": pmsgraph_sandbox::REALPAGE_PMC_ID,
        "site_id": REALPAGE_SITE_ID,
        "license_key": SANDBOX_USER,
        "site_ids": [],
    });
    NewCredentials { pms: Pms::RealPage, base_url, json }
}

/// Credentials of a healthy sandbox customer of each built-in sandbox PMS of a server listening on
/// `addr`, in the order the console offers them.
pub fn built_in(addr: SocketAddr) -> Vec<NewCredentials> {
    vec![entrata_credentials(addr), yardi_credentials(addr), realpage_credentials(addr), buildium_credentials(addr)]
}

/// What the first run set up.
pub struct Demo {
    pub token: String,
    pub integration_id: uuid::Uuid,
}

/// The name of the app the first run creates.
pub const DEMO_APP: &str = "demo";

/// On a database without any app: creates the demo app, a sandbox customer connected to the
/// built-in Entrata sandbox, and a sandbox token. `None` when the database already has apps.
/// [`finish_first_run`] then checks access and enables it, which queues the first sync.
pub async fn first_run(state: &AppState, addr: SocketAddr) -> anyhow::Result<Option<Demo>> {
    let db = &state.db;
    if !store::apps::all(db).await?.is_empty() {
        return Ok(None);
    }
    let app = store::apps::find_or_create(db, DEMO_APP).await?;
    let customer = store::customers::create_customer(db, app.id, "Demo Properties", Environment::Sandbox).await?;
    let integration =
        onboarding::connect(&state.worker, customer.id, Environment::Sandbox, true, entrata_credentials(addr)).await?;
    let issued = state.tokens.issue(db, DEMO_APP, Environment::Sandbox, None, Some("first run".into())).await?;
    Ok(Some(Demo { token: issued.token, integration_id: integration.id }))
}

/// Runs the demo integration's data-access check and enables it (queueing its first sync). Call it
/// once the server is accepting connections: the check calls the sandbox over HTTP.
pub async fn finish_first_run(state: &AppState, integration_id: uuid::Uuid) -> anyhow::Result<()> {
    onboarding::run_access_check(&state.worker, integration_id).await?;
    onboarding::enable(&state.worker, integration_id).await?;
    Ok(())
}
