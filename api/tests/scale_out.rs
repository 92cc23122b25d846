//! Scale-out on PostgreSQL, end to end with real processes: three `pmsgraph serve` processes
//! (`--role all`, `--role worker` and `--role api`) and a sandbox process over one PostgreSQL
//! database, sharing keys through configuration, with a dozen sandbox integrations.
//!
//! - every scheduled job runs exactly once (each job id is started in exactly one process's log)
//!   and no two jobs of one integration ever overlap;
//! - a process killed (SIGKILL) in the middle of a sync leaves its job to the other worker, which
//!   takes it over once the lease lapses and finishes it, with no duplicate rows or events;
//! - a read on the API process right after a sync on a worker process is fresh.
//!
//! Scale-out is a PostgreSQL deployment (SQLite is the embedded, one-process default), so this
//! test runs when `PMSGRAPH_TEST_DATABASE_URL` names a server, as in the PostgreSQL run of
//! `scripts/test`, and says so and returns on the SQLite run.

use std::collections::{BTreeMap, BTreeSet};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, Utc};
use pmsgraph_connector_core::reqwest;
use serde_json::{Value, json};

/// One child process, killed when dropped.
struct Process {
    child: Child,
    url: String,
    log: PathBuf,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Process {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The job ids this process logged as started.
    fn started_jobs(&self) -> Vec<String> {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        text.lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|line| line["fields"]["message"] == "sync started")
            .filter_map(|line| line["fields"]["job"].as_str().map(str::to_owned))
            .collect()
    }
}

/// What every process shares: the database and the keys (from configuration, as in production).
struct Shared {
    database_url: String,
    token_keys: String,
    master_keys: String,
    dir: tempfile::TempDir,
}

impl Shared {
    fn command(&self, name: &str) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_pmsgraph"));
        let data_dir = self.dir.path().join(name);
        std::fs::create_dir_all(&data_dir).expect("a data directory");
        command
            .env("PMSGRAPH_DATABASE_URL", &self.database_url)
            .env("PMSGRAPH_TOKEN_KEYS", &self.token_keys)
            .env("PMSGRAPH_MASTER_KEYS", &self.master_keys)
            .env("PMSGRAPH_DATA_DIR", data_dir)
            .env("PMSGRAPH_LOG", "info,sqlx=warn,sea_orm=warn");
        command
    }

    /// Starts `pmsgraph ARGS --bind 127.0.0.1:PORT` and waits until it answers HTTP.
    async fn start(&self, name: &str, args: &[&str]) -> Process {
        let port = free_port();
        let log = self.dir.path().join(format!("{name}.log"));
        let file = std::fs::File::create(&log).expect("a log file");
        let child = self
            .command(name)
            .args(args)
            .args(["--bind", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("the pmsgraph binary starts");
        let process = Process { child, url: format!("http://127.0.0.1:{port}"), log };
        pmsgraph_connector_core::http::install_tls_provider();
        let client = reqwest::Client::new();
        for _ in 0..300 {
            // Any answer will do: the sandbox process serves no /healthz.
            if client.get(format!("{}/healthz", process.url)).send().await.is_ok() {
                return process;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{name} did not start: {}", std::fs::read_to_string(&process.log).unwrap_or_default());
    }

    /// Runs a pmsgraph command to the end; its stdout.
    fn run(&self, args: &[&str]) -> String {
        let output = self.command("cli").args(args).output().expect("the pmsgraph binary runs");
        assert!(output.status.success(), "pmsgraph {args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

fn key(kid: &str) -> String {
    let bytes: [u8; 32] = rand::random();
    format!("{kid}:{}", base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// A GraphQL client of one process.
struct Api {
    client: reqwest::Client,
    url: String,
    token: String,
}

impl Api {
    /// The data of an answer without errors, and its cache header.
    async fn query(&self, query: &str, variables: Value) -> (Value, String) {
        let response = self
            .client
            .post(format!("{}/graphql", self.url))
            .bearer_auth(&self.token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("the API answers");
        let cache = response.headers().get("x-pmsgraph-cache").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let body: Value = response.json().await.expect("a JSON answer");
        assert!(body.get("errors").is_none(), "{query}: {body:#}");
        (body["data"].clone(), cache)
    }

    async fn data(&self, query: &str, variables: Value) -> Value {
        self.query(query, variables).await.0
    }
}

const JOBS: &str = r#"query($id: ID!) { node(id: $id) { ... on Integration {
  status syncJobs(last: 100) { nodes { id trigger status startedAt finishedAt } }
} } }"#;

async fn jobs(api: &Api, integration: &str) -> Vec<Value> {
    let data = api.data(JOBS, json!({ "id": integration })).await;
    data["node"]["syncJobs"]["nodes"].as_array().cloned().unwrap_or_default()
}

async fn wait_for(what: &str, seconds: u64, mut done: impl AsyncFnMut() -> bool) {
    for _ in 0..seconds * 10 {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out after {seconds} s waiting until {what}");
}

/// Whether every job of these integrations has ended (and each has one).
async fn all_finished(api: &Api, integrations: &[String]) -> bool {
    for integration in integrations {
        let runs = jobs(api, integration).await;
        if runs.is_empty() || !runs.iter().all(finished) {
            return false;
        }
    }
    true
}

fn finished(job: &Value) -> bool {
    job["status"].as_str().is_some_and(|s| s != "QUEUED" && s != "RUNNING")
}

/// Connects a sandbox customer as `username`, runs its data-access check and waits for it.
async fn connect(api: &Api, sandbox: &str, n: usize, username: &str) -> String {
    let customer = api
        .data(
            r#"mutation($name: String!) { createCustomer(name: $name) { id } }"#,
            json!({ "name": format!("Customer {n}") }),
        )
        .await["createCustomer"]["id"]
        .clone();
    let connect = r#"mutation($customer: ID!, $url: String!, $user: String!) {
      connectIntegration(customerId: $customer, credentials: { entrata: { baseUrl: $url, username: $user, password: "sandbox" } }) { id } }"#;
    let integration = api
        .data(connect, json!({ "customer": customer, "url": format!("{sandbox}/sandbox/entrata"), "user": username }))
        .await["connectIntegration"]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    api.data("mutation($id: ID!) { checkDataAccess(integrationId: $id) { id } }", json!({ "id": integration })).await;
    let access = "query($id: ID!) { node(id: $id) { ... on Integration { dataAccess { status } } } }";
    wait_for("the data-access check passes", 60, async || {
        let data = api.data(access, json!({ "id": integration })).await;
        let rows = data["node"]["dataAccess"].as_array().cloned().unwrap_or_default();
        rows.len() == 4 && rows.iter().all(|r| r["status"] == "GRANTED")
    })
    .await;
    integration
}

async fn enable(api: &Api, integration: &str) {
    api.data("mutation($id: ID!) { enableIntegration(integrationId: $id) { status } }", json!({ "id": integration }))
        .await;
}

async fn set_interval(api: &Api, integration: &str, seconds: i32) {
    let update =
        "mutation($id: ID!, $s: Int) { updateIntegration(integrationId: $id, syncIntervalSeconds: $s) { id } }";
    api.data(update, json!({ "id": integration, "s": seconds })).await;
}

fn instant(value: &Value) -> Option<DateTime<Utc>> {
    value.as_str().and_then(|s| s.parse().ok())
}

/// Rows of one integration in the synced tables, counted in the database.
async fn row_counts(db: &pmsgraph::db::Db, integration: uuid::Uuid) -> BTreeMap<&'static str, i64> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let mut counts = BTreeMap::new();
    for table in ["property", "unit", "lease", "resident", "lease_resident", "event"] {
        let sql = format!("SELECT COUNT(*) AS n FROM {table} WHERE integration_id = $1");
        let row = db
            .read
            .query_one_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, [integration.into()]))
            .await
            .expect("a count")
            .expect("a row");
        counts.insert(table, row.try_get::<i64>("", "n").expect("a number"));
    }
    counts
}

fn uuid_of(global_id: &str) -> uuid::Uuid {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(global_id).expect("a global id");
    let text = String::from_utf8(raw).expect("utf-8");
    text.split_once(':').and_then(|(_, id)| id.parse().ok()).expect("a uuid")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_processes_share_one_postgres_without_running_a_job_twice() {
    let Ok(admin_url) = std::env::var("PMSGRAPH_TEST_DATABASE_URL") else {
        eprintln!("scale-out runs on PostgreSQL: set PMSGRAPH_TEST_DATABASE_URL (scripts/test does)");
        return;
    };
    let scratch =
        pmsgraph::db::ScratchDatabase::create(&admin_url, "pmsgraph_scale").await.expect("a scratch database");
    let shared = Shared {
        database_url: scratch.url().to_owned(),
        token_keys: key("t1"),
        master_keys: key("m1"),
        dir: tempfile::tempdir().expect("a temporary directory"),
    };
    shared.run(&["migrate"]);
    let sandbox = shared.start("sandbox", &["sandbox", "serve"]).await;
    let serve = |role: &'static str| {
        vec![
            "serve",
            "--role",
            role,
            "--no-sandbox",
            "--allow-private-urls",
            "--no-rate-limit",
            "--log-format",
            "json",
            "--job-lease-secs",
            "3",
            "--min-sync-interval-secs",
            "1",
            "--max-concurrent-syncs",
            "2",
        ]
    };
    let a = shared.start("a", &serve("all")).await;
    let b = shared.start("b", &serve("worker")).await;
    let c = shared.start("c", &serve("api")).await;
    let token = shared.run(&["token", "--app", "scale", "--env", "sandbox"]).trim().to_owned();
    let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("a client");
    let api = Api { client: client.clone(), url: c.url.clone(), token: token.clone() };
    // A worker process serves no API.
    let on_worker = client.post(format!("{}/graphql", b.url)).bearer_auth(&token).body("{}").send().await;
    assert_eq!(on_worker.expect("an answer").status(), 404);

    // A dozen integrations, connected, checked and enabled through the API process; their first
    // syncs run on the workers.
    let mut healthy = Vec::new();
    for n in 0..11 {
        healthy.push(connect(&api, &sandbox.url, n, "sandbox").await);
    }
    let slow = connect(&api, &sandbox.url, 11, "sandbox+slow=400").await;
    for integration in &healthy {
        enable(&api, integration).await;
    }
    wait_for("every first sync has finished", 180, async || all_finished(&api, &healthy).await).await;

    // Scheduled syncs every 2 s for a while, in both worker processes' schedulers.
    for integration in &healthy {
        set_interval(&api, integration, 2).await;
    }
    tokio::time::sleep(Duration::from_secs(10)).await;
    for integration in &healthy {
        set_interval(&api, integration, 86_400).await;
    }
    wait_for("the scheduled syncs have drained", 120, async || all_finished(&api, &healthy).await).await;

    let mut all_jobs = Vec::new();
    for integration in &healthy {
        let mut runs = jobs(&api, integration).await;
        assert!(runs.iter().all(|j| j["status"] == "SUCCESS"), "{runs:#?}");
        let scheduled = runs.iter().filter(|j| j["trigger"] == "SCHEDULE").count();
        assert!(scheduled >= 2, "{integration}: {scheduled} scheduled runs in 10 s at a 2 s interval");
        // No two runs of one integration overlap.
        runs.sort_by_key(|j| instant(&j["startedAt"]));
        for pair in runs.windows(2) {
            let (end, next) = (instant(&pair[0]["finishedAt"]), instant(&pair[1]["startedAt"]));
            assert!(end <= next, "overlapping runs: {pair:#?}");
        }
        all_jobs.extend(runs.into_iter().map(|j| uuid_of(j["id"].as_str().expect("an id")).to_string()));
    }
    let (started_a, started_b) = (a.started_jobs(), b.started_jobs());
    let mut starts: BTreeMap<&str, usize> = BTreeMap::new();
    for job in started_a.iter().chain(&started_b) {
        *starts.entry(job.as_str()).or_default() += 1;
    }
    for job in &all_jobs {
        assert_eq!(starts.get(job.as_str()), Some(&1), "job {job} started {:?} times", starts.get(job.as_str()));
    }
    assert_eq!(starts.len(), all_jobs.len(), "no other job ran");
    println!("{} jobs: {} on process a, {} on process b", all_jobs.len(), started_a.len(), started_b.len());

    // A process killed in the middle of a slow first sync: the other takes the job over.
    enable(&api, &slow).await;
    let slow_job = wait_for_start(&api, &slow, &[&a, &b]).await;
    let (killed, survivor) = if a.started_jobs().contains(&slow_job) { (a, b) } else { (b, a) };
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let killed_pid = killed.pid();
    drop(killed);
    wait_for("the survivor finishes the killed job", 120, async || {
        jobs(&api, &slow).await.first().is_some_and(finished)
    })
    .await;
    let job = jobs(&api, &slow).await.remove(0);
    assert_eq!(job["status"], "SUCCESS", "{job}");
    assert!(survivor.started_jobs().contains(&slow_job), "the survivor ran job {slow_job}");
    let db = pmsgraph::db::Db::connect(scratch.url()).await.expect("the database");
    let claimed: (Option<String>,) = {
        use sea_orm::EntityTrait;
        let row = pmsgraph_entity::sync_job::Entity::find_by_id(uuid_of(job["id"].as_str().expect("an id")))
            .one(&db.read)
            .await
            .expect("a job")
            .expect("the job");
        (row.claimed_by,)
    };
    let claimed_by = claimed.0.unwrap_or_default();
    assert!(
        claimed_by.starts_with(&format!("{}-", survivor.pid())),
        "the job ends claimed by the survivor ({}), not the killed {killed_pid}: {claimed_by}",
        survivor.pid()
    );
    let slow_rows = row_counts(&db, uuid_of(&slow)).await;
    let healthy_rows = row_counts(&db, uuid_of(&healthy[0])).await;
    assert_eq!(slow_rows["event"], 1, "one INITIAL_SYNC_COMPLETED, whatever was written before the kill");
    let without_events = |rows: &BTreeMap<&'static str, i64>| {
        rows.iter().filter(|(t, _)| **t != "event").map(|(t, n)| (t.to_string(), *n)).collect::<Vec<_>>()
    };
    assert_eq!(without_events(&slow_rows), without_events(&healthy_rows), "the same world, row for row");

    // A read on the API process right after a sync on the worker is fresh, cache or no cache.
    let leases = r#"query($id: ID!) { leases(first: 1, filter: { integrationId: $id, includeDeleted: true }) { totalCount } residents(first: 1, filter: { integrationId: $id }) { totalCount } }"#;
    let target = &healthy[1];
    let (before, _) = api.query(leases, json!({ "id": target })).await;
    let (_, cache) = api.query(leases, json!({ "id": target })).await;
    assert_eq!(cache, "hit", "the second read is cached");
    let snapshot: BTreeSet<String> = BTreeSet::from([before.to_string()]);
    shared.run(&["sandbox", "advance", "--steps", "3"]);
    api.data("mutation($id: ID!) { syncNow(integrationId: $id) { id } }", json!({ "id": target })).await;
    wait_for("the sync on the worker ends", 60, async || jobs(&api, target).await.iter().all(finished)).await;
    let (after, cache) = api.query(leases, json!({ "id": target })).await;
    assert_eq!(cache, "miss", "a sync elsewhere invalidated the cached answer");
    assert!(!snapshot.contains(&after.to_string()), "the timeline moved: {before} then {after}");
    let rows = row_counts(&db, uuid_of(target)).await;
    assert_eq!(after["leases"]["totalCount"], rows["lease"], "the API process reads what the worker wrote");

    drop((survivor, c, sandbox));
    db.close().await;
    scratch.drop_now().await.expect("the scratch database is dropped");
}

/// Waits until one of `processes` logs the start of the integration's first job; its id.
async fn wait_for_start(api: &Api, integration: &str, processes: &[&Process]) -> String {
    for _ in 0..600 {
        if let Some(job) = jobs(api, integration).await.first() {
            let id = uuid_of(job["id"].as_str().expect("an id")).to_string();
            if processes.iter().any(|p| p.started_jobs().contains(&id)) {
                return id;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the slow sync never started");
}
