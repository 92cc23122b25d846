//! The end-to-end harness: a real pmsgraph server on port 0 over a real database, a GraphQL client
//! over HTTP, and a deterministic portfolio written through the service layer the sync engine uses.
//!
//! The database is a temporary SQLite file, or, when `PMSGRAPH_TEST_DATABASE_URL` names a
//! PostgreSQL admin URL (as `scripts/test` sets it for its second run), a fresh PostgreSQL database
//! created for the one server and dropped with it.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::sync::oneshot;
use uuid::Uuid;

use pmsgraph::auth::Environment;
use pmsgraph::config::Config;
use pmsgraph::db::{Db, ScratchDatabase};
use pmsgraph::server::{AppState, Application};
use pmsgraph::store;
use pmsgraph_connector_core::{
    Address, LeaseStatus, NormalizedLease, NormalizedLeaseResident, NormalizedProperty, NormalizedRecord,
    NormalizedResident, NormalizedUnit, NormalizedUnitSpace, Occupancy, ResidentRole,
};

/// Which database this run of the suite tests.
pub fn backend() -> &'static str {
    if std::env::var("PMSGRAPH_TEST_DATABASE_URL").is_ok() { "postgres" } else { "sqlite" }
}

/// A running server and what a test needs to talk to it.
pub struct TestServer {
    pub url: String,
    pub state: Arc<AppState>,
    client: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _data_dir: tempfile::TempDir,
    _pg: Option<ScratchDatabase>,
}

/// One GraphQL answer: HTTP status, the cache header, and the JSON body.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub cache: Option<String>,
    pub body: Value,
}

impl Answer {
    /// `data`, after checking there are no errors.
    pub fn data(&self) -> &Value {
        assert!(self.body.get("errors").is_none(), "unexpected errors: {:#}", self.body);
        &self.body["data"]
    }

    /// The first error's `extensions.code`.
    pub fn code(&self) -> &str {
        self.body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error code in {:#}", self.body))
    }

    pub fn message(&self) -> &str {
        self.body["errors"][0]["message"].as_str().unwrap_or_default()
    }
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::start_with(|_| {}).await
    }

    /// Starts a server on port 0 after `configure` adjusts its configuration.
    pub async fn start_with(configure: impl FnOnce(&mut Config)) -> TestServer {
        let data_dir = tempfile::tempdir().expect("a temporary data directory");
        let mut config = Config::new(data_dir.path());
        config.bind = "127.0.0.1:0".parse().expect("an address");
        let pg = match std::env::var("PMSGRAPH_TEST_DATABASE_URL") {
            Ok(admin_url) => {
                let pg = ScratchDatabase::create(&admin_url, "pmsgraph_e2e").await.expect("a scratch database");
                config.database_url = Some(pg.url().to_owned());
                Some(pg)
            }
            Err(_) => None,
        };
        configure(&mut config);
        TestServer::serve(config, data_dir, pg).await
    }

    /// Stops the server and starts it again on the same database and data directory (a restart).
    pub async fn restart(mut self) -> TestServer {
        let mut config = self.state.config.clone();
        config.bind = "127.0.0.1:0".parse().expect("an address");
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("the server task").expect("the server stops cleanly");
        }
        let data_dir = std::mem::replace(&mut self._data_dir, tempfile::tempdir().expect("a temporary directory"));
        let pg = self._pg.take();
        drop(self);
        TestServer::serve(config, data_dir, pg).await
    }

    async fn serve(config: Config, data_dir: tempfile::TempDir, pg: Option<ScratchDatabase>) -> TestServer {
        let app = Application::build(config).await.expect("the server builds");
        let addr = app.local_addr().expect("a bound address");
        let state = app.state();
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(app.run_until(async {
            let _ = rx.await;
        }));
        let client = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().expect("an HTTP client");
        TestServer {
            url: format!("http://{addr}"),
            state,
            client,
            shutdown: Some(tx),
            task: Some(task),
            _data_dir: data_dir,
            _pg: pg,
        }
    }

    pub fn db(&self) -> &Db {
        &self.state.db
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.client
    }

    /// Mints a token for an app in an environment (the app is created if needed).
    pub async fn token(&self, app: &str, environment: Environment) -> String {
        self.state.tokens.issue(self.db(), app, environment, None, None).await.expect("a token").token
    }

    /// Posts a raw body to `/graphql`.
    pub async fn post(&self, token: Option<&str>, body: impl Into<reqwest::Body>) -> Answer {
        let mut request =
            self.client.post(format!("{}/graphql", self.url)).header("content-type", "application/json").body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status();
        let cache = response.headers().get("x-pmsgraph-cache").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let text = response.text().await.expect("a body");
        let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
        Answer { status, cache, body }
    }

    /// Runs one GraphQL operation.
    pub async fn gql(&self, token: &str, query: &str, variables: Value) -> Answer {
        self.post(Some(token), json!({ "query": query, "variables": variables }).to_string()).await
    }

    /// Creates a customer in the token's app and environment; its id.
    pub async fn create_customer(&self, token: &str, name: &str) -> Value {
        let answer = self
            .gql(token, "mutation($name: String!) { createCustomer(name: $name) { id } }", json!({ "name": name }))
            .await;
        answer.data()["createCustomer"]["id"].clone()
    }

    /// Stops the server and waits for it to finish.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("the server task").expect("the server stops cleanly");
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// A customer with one integration, seeded with a portfolio, and a token that sees it.
pub struct Tenant {
    pub token: String,
    pub app_id: Uuid,
    pub customer_id: Uuid,
    pub integration_id: Uuid,
}

impl Tenant {
    /// Creates (or reuses) the app, adds a customer with one integration and writes `portfolio`.
    pub async fn create(
        server: &TestServer,
        app: &str,
        environment: Environment,
        customer: &str,
        portfolio: &Portfolio,
    ) -> Tenant {
        let db = server.db();
        let token = server.token(app, environment).await;
        let app_id = store::apps::find(db, app).await.expect("query").expect("the app exists").id;
        let customer = store::customers::create_customer(db, app_id, customer, environment).await.expect("a customer");
        let integration =
            store::customers::create_integration(db, customer.id, "ENTRATA", json!({})).await.expect("an integration");
        let report = store::ingest::apply(db, integration.id, &portfolio.records).await.expect("ingest");
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        Tenant { token, app_id, customer_id: customer.id, integration_id: integration.id }
    }
}

pub const STATUSES: [LeaseStatus; 6] = [
    LeaseStatus::Applicant,
    LeaseStatus::Future,
    LeaseStatus::Current,
    LeaseStatus::Notice,
    LeaseStatus::Past,
    LeaseStatus::Cancelled,
];

pub fn base_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date")
}

/// A deterministic portfolio: `properties` properties of `units` units, one lease per unit whose
/// status cycles through [`STATUSES`] by unit index and whose move-in is `base_date() + unit index`
/// days. Each lease has a primary resident; every third unit's lease a co-applicant too. Property 1
/// (if any) is student housing: its units have bedroom spaces A and B, and its leases are of space A.
/// The primary of unit 1 of property 0 is also an occupant on unit 0's lease (a two-lease person).
pub struct Portfolio {
    pub properties: usize,
    pub units: usize,
    pub records: Vec<NormalizedRecord>,
}

impl Portfolio {
    pub fn new(prefix: &str, properties: usize, units: usize) -> Portfolio {
        let mut records = Vec::new();
        for p in 0..properties {
            records.push(NormalizedRecord::Property(property(prefix, p)));
        }
        for p in 0..properties {
            for u in 0..units {
                records.push(NormalizedRecord::Unit(unit(prefix, p, u)));
            }
        }
        for p in 0..properties {
            for u in 0..units {
                records.push(NormalizedRecord::Resident(person(prefix, p, u, 'a')));
                if u.is_multiple_of(3) {
                    records.push(NormalizedRecord::Resident(person(prefix, p, u, 'b')));
                }
            }
        }
        for p in 0..properties {
            for u in 0..units {
                records.push(NormalizedRecord::Lease(lease(prefix, p, u, units)));
            }
        }
        Portfolio { properties, units, records }
    }

    pub fn leases(&self) -> usize {
        self.properties * self.units
    }

    /// Leases with this status.
    pub fn with_status(&self, status: LeaseStatus) -> usize {
        let per_property = (0..self.units).filter(|u| STATUSES[u % 6] == status).count();
        per_property * self.properties
    }

    pub fn residents(&self) -> usize {
        self.properties * (self.units + self.units.div_ceil(3))
    }
}

pub fn property_name(prefix: &str, p: usize) -> String {
    format!("{prefix} Gardens {p}")
}

fn property(prefix: &str, p: usize) -> NormalizedProperty {
    NormalizedProperty {
        remote_id: format!("{prefix}-p{p}"),
        name: property_name(prefix, p),
        address: Address {
            line1: Some(format!("{} Main Street", 100 + p)),
            line2: None,
            city: Some("Denver".into()),
            state: Some("CO".into()),
            postal_code: Some("80202".into()),
            country: Some("US".into()),
        },
        time_zone: Some("America/Denver".into()),
        unit_count: None,
        remote_data: json!({ "PropertyID": format!("{prefix}-p{p}") }).into(),
    }
}

pub fn unit_number(u: usize) -> String {
    format!("{}", 100 + u)
}

fn unit(prefix: &str, p: usize, u: usize) -> NormalizedUnit {
    let remote_id = format!("{prefix}-p{p}-u{u}");
    let spaces = if p == 1 {
        ["A", "B"]
            .iter()
            .map(|s| NormalizedUnitSpace {
                remote_id: format!("{remote_id}-{s}"),
                name: format!("Bedroom {s}"),
                remote_data: json!({ "space": s }).into(),
            })
            .collect()
    } else {
        Vec::new()
    };
    NormalizedUnit {
        property_remote_id: format!("{prefix}-p{p}"),
        number: unit_number(u),
        building: Some("A".into()),
        floorplan: Some("2x1".into()),
        bedrooms: Some(2),
        bathrooms: Some(1.5),
        square_feet: Some(850),
        market_rent_cents: Some(150_000 + u as i64 * 100),
        occupancy: if u.is_multiple_of(2) { Occupancy::Occupied } else { Occupancy::Vacant },
        spaces,
        remote_data: json!({ "UnitID": remote_id }).into(),
        remote_id,
    }
}

pub fn person_remote_id(prefix: &str, p: usize, u: usize, which: char) -> String {
    format!("{prefix}-p{p}-u{u}-{which}")
}

pub fn email(prefix: &str, p: usize, u: usize, which: char) -> String {
    format!("{}.{p}.{u}.{which}@example.com", prefix.to_lowercase())
}

fn person(prefix: &str, p: usize, u: usize, which: char) -> NormalizedResident {
    NormalizedResident {
        remote_id: person_remote_id(prefix, p, u, which),
        first_name: if which == 'a' { format!("Ada{u}") } else { format!("Grace{u}") },
        last_name: format!("{prefix}son{p}"),
        email: Some(email(prefix, p, u, which)),
        phone: Some(format!("+1303555{:04}", u)),
        remote_data: json!({ "CustomerID": person_remote_id(prefix, p, u, which) }).into(),
    }
}

fn occupant(remote_id: String, role: ResidentRole, status: LeaseStatus, move_in: NaiveDate) -> NormalizedLeaseResident {
    NormalizedLeaseResident {
        resident_remote_id: remote_id.clone(),
        role,
        move_in_date: Some(move_in),
        move_out_date: None,
        status,
        remote_data: json!({ "CustomerID": remote_id }).into(),
    }
}

pub fn lease_remote_id(prefix: &str, p: usize, u: usize) -> String {
    format!("{prefix}-L-p{p}-u{u}")
}

fn lease(prefix: &str, p: usize, u: usize, units: usize) -> NormalizedLease {
    let status = STATUSES[u % 6];
    let move_in = base_date() + chrono::Duration::days(u as i64);
    let mut residents = vec![occupant(person_remote_id(prefix, p, u, 'a'), ResidentRole::Primary, status, move_in)];
    if u.is_multiple_of(3) {
        residents.push(occupant(person_remote_id(prefix, p, u, 'b'), ResidentRole::CoApplicant, status, move_in));
    }
    if p == 0 && u == 0 && units > 1 {
        residents.push(occupant(person_remote_id(prefix, 0, 1, 'a'), ResidentRole::Occupant, status, move_in));
    }
    let unit_remote_id = format!("{prefix}-p{p}-u{u}");
    NormalizedLease {
        remote_id: lease_remote_id(prefix, p, u),
        property_remote_id: format!("{prefix}-p{p}"),
        unit_space_remote_id: (p == 1).then(|| format!("{unit_remote_id}-A")),
        unit_remote_id: Some(unit_remote_id),
        status,
        remote_status: Some(format!("{status:?}")),
        start_date: Some(move_in),
        end_date: Some(move_in + chrono::Duration::days(365)),
        move_in_date: Some(move_in),
        move_out_date: None,
        notice_date: None,
        rent_cents: Some(140_000 + u as i64 * 100),
        is_month_to_month: false,
        residents,
        remote_data: json!({ "LeaseID": lease_remote_id(prefix, p, u) }).into(),
    }
}

/// The nodes of a connection answer.
pub fn nodes(connection: &Value) -> &Vec<Value> {
    connection["nodes"].as_array().unwrap_or_else(|| panic!("no nodes in {connection:#}"))
}

/// A field of every node, as strings.
pub fn field(connection: &Value, name: &str) -> Vec<String> {
    nodes(connection).iter().map(|n| n[name].as_str().unwrap_or_default().to_owned()).collect()
}
