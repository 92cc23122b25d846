//! `pmsgraph bench sync`: how fast a sync is, measured the way it runs in production. A separate
//! `pmsgraph sandbox serve` process serves a sandbox world over loopback HTTP, in Entrata's,
//! Yardi's, RealPage's and Buildium's wire formats; this process syncs it into a fresh database
//! (SQLite, and PostgreSQL when given an admin URL) twice per PMS, a full sync and then a no-change
//! re-sync (for Buildium an incremental one, which asks only for changes), and prints records per
//! second, rows written and its own peak RSS.
//!
//! Figures are printed, never asserted: a benchmark informs, tests decide.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use anyhow::Context;
use serde_json::json;
use uuid::Uuid;

use pmsgraph_connector_core::SyncScope;

use crate::auth::Environment;
use crate::config::Config;
use crate::db::{Db, ScratchDatabase};
use crate::store::{self, ingest::Counts};
use crate::sync::engine;

/// What to measure.
pub struct BenchOptions {
    /// `small`, `large` or `PROPERTIESxUNITS`.
    pub size: String,
    pub seed: u64,
    /// PostgreSQL admin URLs: a scratch database is created in each and dropped after.
    pub postgres_admin_urls: Vec<String>,
    /// Only these PMSs (`entrata`, `yardi`, `realpage`, `buildium`); empty for all four.
    pub pms: Vec<String>,
}

/// One measured sync.
pub struct Figures {
    pub backend: &'static str,
    /// `entrata`, `yardi`, `realpage` or `buildium`: whose wire format was read.
    pub pms: &'static str,
    pub phase: &'static str,
    pub records: u64,
    pub seconds: f64,
    pub rows_written: u64,
    pub peak_rss_bytes: Option<u64>,
}

impl Figures {
    pub fn records_per_second(&self) -> f64 {
        self.records as f64 / self.seconds.max(1e-9)
    }
}

/// The sandbox served by a child process, killed when dropped.
struct SandboxProcess {
    child: Child,
    url: String,
    yardi_url: String,
    realpage_url: String,
    buildium_url: String,
}

impl SandboxProcess {
    fn start(options: &BenchOptions, data_dir: &std::path::Path) -> anyhow::Result<SandboxProcess> {
        let exe = std::env::current_exe().context("cannot find the pmsgraph executable")?;
        let mut child = Command::new(exe)
            .args(["sandbox", "serve", "--step", "0", "--bind", "127.0.0.1:0"])
            .args(["--sandbox-size", &options.size, "--sandbox-seed", &options.seed.to_string()])
            .arg("--data-dir")
            .arg(data_dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start `pmsgraph sandbox serve`")?;
        let stdout = child.stdout.take().context("no stdout from the sandbox process")?;
        let mut lines = BufReader::new(stdout).lines();
        let mut process = SandboxProcess {
            child,
            url: String::new(),
            yardi_url: String::new(),
            realpage_url: String::new(),
            buildium_url: String::new(),
        };
        for line in lines.by_ref() {
            let line = line.context("cannot read the sandbox process's output")?;
            if let Some(url) = line.strip_prefix("Yardi sandbox at ") {
                process.yardi_url = url.trim().to_owned();
                continue;
            }
            if let Some(url) = line.strip_prefix("RealPage sandbox at ") {
                process.realpage_url = url.trim().to_owned();
                continue;
            }
            if let Some(url) = line.strip_prefix("Buildium sandbox at ") {
                process.buildium_url = url.trim().to_owned();
                continue;
            }
            if let Some(url) = line.strip_prefix("Entrata sandbox at ") {
                process.url = url.trim().to_owned();
                break;
            }
            println!("{line}");
        }
        anyhow::ensure!(
            !process.url.is_empty()
                && !process.yardi_url.is_empty()
                && !process.realpage_url.is_empty()
                && !process.buildium_url.is_empty(),
            "the sandbox process ended before serving"
        );
        // Keep draining its output so that it never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Ok(process)
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// This process's peak resident set size (Linux `VmHWM`).
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Runs the benchmark and returns its figures (also printed as they come).
pub async fn sync(options: BenchOptions) -> anyhow::Result<Vec<Figures>> {
    let scratch = tempfile::tempdir().context("cannot make a temporary directory")?;
    let sandbox = SandboxProcess::start(&options, scratch.path())?;
    println!(
        "sandbox: {}, {}, {} and {} (a separate process)",
        sandbox.url, sandbox.yardi_url, sandbox.realpage_url, sandbox.buildium_url
    );
    let mut figures = Vec::new();

    let sqlite_dir = scratch.path().join("sqlite");
    let mut config = Config::new(&sqlite_dir);
    config.allow_private_pms_urls = true;
    let db = crate::open_database(&config).await?;
    figures.extend(backend("sqlite", &config, &db, &sandbox, &options.pms).await?);
    db.close().await;

    for admin_url in &options.postgres_admin_urls {
        let database = ScratchDatabase::create(admin_url, "pmsgraph_bench").await?;
        let mut config = Config::new(scratch.path().join("postgres"));
        config.allow_private_pms_urls = true;
        config.database_url = Some(database.url().to_owned());
        let db = crate::open_database(&config).await?;
        figures.extend(backend("postgres", &config, &db, &sandbox, &options.pms).await?);
        db.close().await;
        database.drop_now().await?;
    }
    Ok(figures)
}

/// For each PMS, a full sync and a no-change re-sync on one database.
async fn backend(
    name: &'static str,
    config: &Config,
    db: &Db,
    sandbox: &SandboxProcess,
    only: &[String],
) -> anyhow::Result<Vec<Figures>> {
    let vault = crate::vault(config)?;
    let app = store::apps::find_or_create(db, "bench").await?;
    let mut out = Vec::new();
    let entrata = json!({ "base_url": sandbox.url, "username": "sandbox", "password": "sandbox" });
    let yardi = json!({
        "service_url": sandbox.yardi_url, "server_name": "sandbox", "database": "sandbox",
        "username": "sandbox", "password": "sandbox", "interface_entity": "pmsgraph", "interface_license": "sandbox",
    });
    let realpage = json!({
        "gateway_url": sandbox.realpage_url, "partner": pmsgraph_sandbox::REALPAGE_PARTNER,
        "pmc_id": pmsgraph_sandbox::REALPAGE_PMC_ID, "site_id": "1", "license_key": "sandbox",
    });
    let buildium = json!({ "base_url": sandbox.buildium_url, "client_id": "sandbox", "client_secret": "sandbox" });
    for (pms, stored, credentials) in [
        ("entrata", "ENTRATA", entrata),
        ("yardi", "YARDI", yardi),
        ("realpage", "REAL_PAGE", realpage),
        ("buildium", "BUILDIUM", buildium),
    ] {
        if !only.is_empty() && !only.iter().any(|p| p == pms) {
            continue;
        }
        let customer = store::customers::create_customer(db, app.id, "Bench Living", Environment::Sandbox).await?;
        let integration = store::customers::create_integration(db, customer.id, stored, json!({})).await?;
        store::customers::set_credentials(db, &vault, integration.id, &credentials).await?;
        store::integrations::set_status(db, integration.id, store::integrations::ENABLED, None).await?;
        let again = if pms == "buildium" { "incremental re-sync" } else { "no-change re-sync" };
        for phase in ["full sync", again] {
            let figures = measure(name, pms, phase, db, &vault, config, integration.id).await?;
            println!(
                "{:<9} {:<8} {:<18} {:>10} records in {:>7.2} s = {:>9.0} records/s, {:>9} rows written, peak RSS {}",
                figures.backend,
                figures.pms,
                figures.phase,
                figures.records,
                figures.seconds,
                figures.records_per_second(),
                figures.rows_written,
                figures.peak_rss_bytes.map_or_else(|| "unknown".to_owned(), |b| format!("{} MB", b / (1024 * 1024))),
            );
            out.push(figures);
        }
    }
    Ok(out)
}

async fn measure(
    backend: &'static str,
    pms: &'static str,
    phase: &'static str,
    db: &Db,
    vault: &crate::vault::Vault,
    config: &Config,
    integration_id: Uuid,
) -> anyhow::Result<Figures> {
    let started = Instant::now();
    let outcome =
        engine::run_now(db, vault, &config.worker_config(), integration_id, SyncScope::Integration, &|_: &Counts| {})
            .await?;
    let seconds = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        outcome.status == store::jobs::SUCCESS,
        "the {pms} {phase} on {backend} ended {}: {:?}",
        outcome.status,
        outcome.errors.iter().map(|e| format!("{}: {}", e.code, e.message)).collect::<Vec<_>>()
    );
    let counts = outcome.counts;
    Ok(Figures {
        backend,
        pms,
        phase,
        records: counts.created + counts.updated + counts.unchanged,
        seconds,
        rows_written: counts.created + counts.updated + outcome.deleted,
        peak_rss_bytes: peak_rss_bytes(),
    })
}
