//! The sync worker: claims queued jobs from the database (data-access checks first, then syncs),
//! builds the integration's connector from its decrypted credentials, runs the job, and keeps the
//! claim alive with heartbeats while it runs.
//!
//! Any number of workers, in one process or several, can share the queue: a claim is atomic and
//! leased (see [`store::jobs`](crate::store::jobs)), and a job whose worker died is taken again once
//! its lease lapses. A worker wakes when a job is queued in its own process ([`Worker::notify`]) and
//! polls otherwise. One worker runs up to [`WorkerConfig::max_concurrent`] jobs at once (a
//! semaphore), and, beside its job loop, the [`scheduler`](super::scheduler) that queues
//! scheduled syncs.
//!
//! Before a job runs, its integration must still be ENABLED (a job queued before a disable or a
//! pause fails with INTEGRATION_NOT_ENABLED). A scheduled job rechecks data access first: a
//! resource newly DENIED pauses the integration (DATA_ACCESS_DENIED); a check that errs fails the
//! run (DATA_ACCESS_CHECK_FAILED), which counts towards the failures that pause.

use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;
use uuid::Uuid;

use pmsgraph_connector_core::HttpPolicy;
use pmsgraph_entity::sync_job;

use super::scheduler::{self, SchedulerConfig};
use crate::connectors;
use crate::db::Db;
use crate::store::jobs::{self, JobError, Outcome, Trigger};
use crate::store::{StoreError, access_checks, integrations};
use crate::vault::Vault;

/// Rows a run must write before the planner's statistics are refreshed: a few changed leases do not
/// change the shape of the tables, a first sync or a large change does.
const ANALYZE_AFTER_ROWS: u64 = 1_000;

/// The code of a scheduled run refused because a resource is newly DENIED; it pauses the integration.
const ACCESS_DENIED: &str = "DATA_ACCESS_DENIED";

/// A full sync at least daily by default.
pub const DEFAULT_FULL_SYNC_EVERY: Duration = Duration::from_secs(86_400);

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// How long a claim lasts without a heartbeat.
    pub lease: Duration,
    /// How often to look for jobs queued by other processes.
    pub poll: Duration,
    /// Jobs this process runs at once.
    pub max_concurrent: usize,
    pub http: HttpPolicy,
    /// Scheduled syncs (run beside the job loop).
    pub schedule: SchedulerConfig,
    /// The longest time between full syncs of an integration whose connector can list changes:
    /// the syncs in between are incremental, and only a full one finds deletions.
    pub full_sync_every: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            lease: Duration::from_secs(60),
            poll: Duration::from_secs(2),
            max_concurrent: 4,
            http: HttpPolicy {
                addresses: pmsgraph_connector_core::AddressPolicy::public_only(Vec::new()),
                ..HttpPolicy::default()
            },
            schedule: SchedulerConfig::default(),
            full_sync_every: DEFAULT_FULL_SYNC_EVERY,
        }
    }
}

/// What a worker holds a leased claim on.
#[derive(Debug, Clone, Copy)]
enum Claim {
    SyncJob,
    AccessCheck,
}

#[derive(Clone)]
pub struct Worker {
    db: Db,
    vault: Vault,
    id: String,
    config: WorkerConfig,
    http: pmsgraph_connector_core::reqwest::Client,
    wake: Arc<Notify>,
}

impl Worker {
    pub fn new(db: Db, vault: Vault, config: WorkerConfig) -> Result<Worker, pmsgraph_connector_core::ConnectorError> {
        let id = format!("{}-{}", std::process::id(), Uuid::now_v7().simple());
        let http = pmsgraph_connector_core::http::reqwest_client(&config.http)?;
        Ok(Worker { db, vault, id, config, http, wake: Arc::new(Notify::new()) })
    }

    /// Wakes the worker at once (call after queueing a job in this process).
    pub fn notify(&self) {
        self.wake.notify_one();
    }

    /// Claims and runs one job; `None` if there was nothing to do.
    pub async fn run_once(&self) -> Result<Option<sync_job::Model>, StoreError> {
        let Some(job) = jobs::claim_next(&self.db, &self.id, self.config.lease).await? else {
            return Ok(None);
        };
        self.run_claimed(job).await.map(Some)
    }

    /// Runs a job this worker has claimed, records how it ended, and pauses the integration if
    /// that was one failure too many.
    async fn run_claimed(&self, job: sync_job::Model) -> Result<sync_job::Model, StoreError> {
        tracing::info!(job = %job.id, integration = %job.integration_id, scope = %job.scope, "sync started");
        let heartbeat = self.spawn_heartbeat(Claim::SyncJob, job.id);
        let outcome = self.execute(&job).await;
        heartbeat.abort();
        tracing::info!(
            job = %job.id,
            status = outcome.status,
            created = outcome.counts.created,
            updated = outcome.counts.updated,
            unchanged = outcome.counts.unchanged,
            deleted = outcome.deleted,
            errors = outcome.errors.len(),
            "sync finished"
        );
        let finished = jobs::get(&self.db, job.id).await?;
        scheduler::after_run(&self.db, &finished).await?;
        let written = outcome.counts.created + outcome.counts.updated + outcome.deleted;
        if written >= ANALYZE_AFTER_ROWS
            && let Err(err) = self.db.analyze().await
        {
            tracing::warn!(error = %err, "cannot refresh the planner's statistics");
        }
        Ok(finished)
    }

    /// Runs a claimed data-access check, its claim kept alive meanwhile, and marks it done.
    async fn run_access_check(&self, check: pmsgraph_entity::access_check::Model) {
        let heartbeat = self.spawn_heartbeat(Claim::AccessCheck, check.id);
        tracing::info!(check = %check.id, integration = %check.integration_id, "data-access check started");
        if let Err(err) = crate::onboarding::run_access_check(self, check.integration_id).await {
            tracing::error!(integration = %check.integration_id, error = %err, "cannot record a data-access check");
        }
        heartbeat.abort();
        if let Err(err) = access_checks::finish(&self.db, check.id, &self.id).await {
            tracing::error!(check = %check.id, error = %err, "cannot record the end of a data-access check");
        }
    }

    /// Extends a claim every third of the lease until aborted, or until the claim is lost.
    fn spawn_heartbeat(&self, claim: Claim, id: Uuid) -> tokio::task::JoinHandle<()> {
        let (db, worker, lease) = (self.db.clone(), self.id.clone(), self.config.lease);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(lease / 3).await;
                let held = match claim {
                    Claim::SyncJob => jobs::heartbeat(&db, id, &worker, lease).await,
                    Claim::AccessCheck => access_checks::heartbeat(&db, id, &worker, lease).await,
                };
                match held {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(err) => tracing::warn!(?claim, %id, error = %err, "heartbeat failed"),
                }
            }
        })
    }

    async fn execute(&self, job: &sync_job::Model) -> Outcome {
        if let Err(error) = self.precheck(job).await {
            // The failed run is recorded before the integration is paused, so whoever sees it
            // PAUSED also sees the run that paused it.
            let pause = (error.code == ACCESS_DENIED).then(|| error.message.clone());
            let outcome = self.fail(job, error).await;
            if let Some(reason) = pause {
                tracing::warn!(integration = %job.integration_id, %reason, "integration paused");
                if let Err(err) =
                    integrations::set_status(&self.db, job.integration_id, integrations::PAUSED, Some(reason)).await
                {
                    tracing::error!(integration = %job.integration_id, error = %err, "cannot pause the integration");
                }
            }
            return outcome;
        }
        let connector = match self.connector_for(job.integration_id).await {
            Ok(connector) => connector,
            Err(error) => return self.fail(job, error).await,
        };
        super::engine::run_job(&self.db, connector, job, self.config.full_sync_every).await
    }

    /// Records a job that failed before it could sync.
    async fn fail(&self, job: &sync_job::Model, error: JobError) -> Outcome {
        let outcome = Outcome::failed(error);
        if let Err(err) = jobs::finish(&self.db, job.id, &outcome).await {
            tracing::error!(job = %job.id, error = %err, "cannot record the end of a sync job");
        }
        outcome
    }

    /// What must hold before a job syncs: the integration is still ENABLED and, for a scheduled
    /// run, its data access still GRANTED (a newly denied resource fails the run with
    /// [`ACCESS_DENIED`], and [`Self::execute`] then pauses the integration).
    async fn precheck(&self, job: &sync_job::Model) -> Result<(), JobError> {
        let fail = |code: &str, message: String| JobError { code: code.to_owned(), message, at: None };
        let store = |err: StoreError| fail(err.code(), err.to_string());
        let integration = integrations::get(&self.db, job.integration_id).await.map_err(store)?;
        if integration.status != integrations::ENABLED {
            return Err(fail(
                "INTEGRATION_NOT_ENABLED",
                format!("the integration is {}; the queued sync did not run", integration.status),
            ));
        }
        if job.trigger != Trigger::Schedule.as_str() {
            return Ok(());
        }
        crate::onboarding::run_access_check(self, job.integration_id).await.map_err(store)?;
        let access = integrations::access(&self.db, job.integration_id).await.map_err(store)?;
        let line = |row: &pmsgraph_entity::data_access::Model| {
            format!("{}: {} ({})", row.resource, row.status, row.message.as_deref().unwrap_or("no message"))
        };
        let denied: Vec<String> = access.iter().filter(|r| r.status == integrations::DENIED).map(line).collect();
        if !denied.is_empty() {
            return Err(fail(ACCESS_DENIED, format!("data access newly denied: {}", denied.join("; "))));
        }
        let failing: Vec<String> = access.iter().filter(|r| r.status != integrations::GRANTED).map(line).collect();
        if !failing.is_empty() || access.is_empty() {
            return Err(fail(
                "DATA_ACCESS_CHECK_FAILED",
                format!("the data-access check failed: {}", failing.join("; ")),
            ));
        }
        Ok(())
    }

    async fn connector_for(
        &self,
        integration_id: Uuid,
    ) -> Result<std::sync::Arc<dyn pmsgraph_connector_core::Connector>, JobError> {
        connectors::for_integration(&self.db, &self.vault, &self.http, &self.config.http, integration_id).await
    }

    /// The HTTP client and policy PMS calls use (shared with data-access checks).
    pub fn http(&self) -> (&pmsgraph_connector_core::reqwest::Client, &HttpPolicy) {
        (&self.http, &self.config.http)
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn config(&self) -> &WorkerConfig {
        &self.config
    }

    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    /// Runs jobs, up to `max_concurrent` at once, and the scheduler (if enabled), until `shutdown`
    /// resolves; jobs in progress finish first.
    pub async fn run_until(self, shutdown: impl std::future::Future<Output = ()> + Send + 'static) {
        let shutdown = shutdown.boxed().shared();
        let schedule = self.config.schedule.clone();
        let scheduling = schedule.enabled.then(|| {
            let (db, wake) = (self.db.clone(), self.wake.clone());
            tokio::spawn(scheduler::run_until(db, schedule, move || wake.notify_one(), shutdown.clone()))
        });
        self.run_jobs_until(shutdown).await;
        if let Some(scheduling) = scheduling
            && let Err(err) = scheduling.await
        {
            tracing::error!(error = %err, "the scheduler ended abnormally");
        }
    }

    async fn run_jobs_until(self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let permits = Arc::new(Semaphore::new(self.config.max_concurrent.max(1)));
        let mut running = JoinSet::new();
        loop {
            while let Some(done) = running.try_join_next() {
                if let Err(err) = done {
                    tracing::error!(error = %err, "a sync job task ended abnormally");
                }
            }
            let permit = tokio::select! {
                () = &mut shutdown => break,
                permit = permits.clone().acquire_owned() => match permit {
                    Ok(permit) => permit,
                    Err(_) => break,
                },
            };
            match access_checks::claim_next(&self.db, &self.id, self.config.lease).await {
                Ok(Some(check)) => {
                    let worker = self.clone();
                    running.spawn(async move {
                        worker.run_access_check(check).await;
                        drop(permit);
                    });
                    continue;
                }
                Ok(None) => {}
                Err(err) => tracing::error!(error = %err, "the worker cannot reach the access-check queue"),
            }
            match jobs::claim_next(&self.db, &self.id, self.config.lease).await {
                Ok(Some(job)) => {
                    let worker = self.clone();
                    running.spawn(async move {
                        let job_id = job.id;
                        if let Err(err) = worker.run_claimed(job).await {
                            tracing::error!(job = %job_id, error = %err, "cannot record the end of a sync job");
                        }
                        drop(permit);
                    });
                    continue;
                }
                Ok(None) => drop(permit),
                Err(err) => {
                    drop(permit);
                    tracing::error!(error = %err, "the sync worker cannot reach the job queue");
                }
            }
            tokio::select! {
                () = &mut shutdown => break,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(self.config.poll) => {}
            }
        }
        while let Some(done) = running.join_next().await {
            if let Err(err) = done {
                tracing::error!(error = %err, "a sync job task ended abnormally");
            }
        }
    }
}
