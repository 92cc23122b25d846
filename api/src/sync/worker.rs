//! The sync worker: claims queued jobs from the database, builds the integration's connector from
//! its decrypted credentials, runs the job, and keeps the claim alive with heartbeats while it runs.
//!
//! Any number of workers, in one process or several, can share the queue: a claim is atomic and
//! leased (see [`store::jobs`](crate::store::jobs)), and a job whose worker died is taken again once
//! its lease lapses. A worker wakes when a job is queued in its own process ([`Worker::notify`]) and
//! polls otherwise.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use uuid::Uuid;

use pmsgraph_connector_core::HttpPolicy;
use pmsgraph_entity::sync_job;

use crate::connectors;
use crate::db::Db;
use crate::store::jobs::{self, JobError, Outcome};
use crate::store::{StoreError, ingest::Counts};
use crate::vault::Vault;

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// How long a claim lasts without a heartbeat.
    pub lease: Duration,
    /// How often to look for jobs queued by other processes.
    pub poll: Duration,
    pub http: HttpPolicy,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig { lease: Duration::from_secs(60), poll: Duration::from_secs(2), http: HttpPolicy::default() }
    }
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
        tracing::info!(job = %job.id, integration = %job.integration_id, scope = %job.scope, "sync started");
        let heartbeat = self.spawn_heartbeat(job.id);
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
        jobs::get(&self.db, job.id).await.map(Some)
    }

    fn spawn_heartbeat(&self, job_id: Uuid) -> tokio::task::JoinHandle<()> {
        let (db, worker, lease) = (self.db.clone(), self.id.clone(), self.config.lease);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(lease / 3).await;
                match jobs::heartbeat(&db, job_id, &worker, lease).await {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(err) => tracing::warn!(job = %job_id, error = %err, "heartbeat failed"),
                }
            }
        })
    }

    async fn execute(&self, job: &sync_job::Model) -> Outcome {
        let connector = match self.connector_for(job.integration_id).await {
            Ok(connector) => connector,
            Err(error) => {
                let outcome =
                    Outcome { status: jobs::FAILED, counts: Counts::default(), deleted: 0, errors: vec![error] };
                if let Err(err) = jobs::finish(&self.db, job.id, &outcome).await {
                    tracing::error!(job = %job.id, error = %err, "cannot record the end of a sync job");
                }
                return outcome;
            }
        };
        super::engine::run_job(&self.db, connector.as_ref(), job).await
    }

    async fn connector_for(
        &self,
        integration_id: Uuid,
    ) -> Result<Box<dyn pmsgraph_connector_core::Connector>, JobError> {
        connectors::for_integration(&self.db, &self.vault, &self.http, &self.config.http, integration_id).await
    }

    /// The HTTP client and policy PMS calls use (shared with data-access checks).
    pub fn http(&self) -> (&pmsgraph_connector_core::reqwest::Client, &HttpPolicy) {
        (&self.http, &self.config.http)
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    /// Runs jobs until `shutdown` resolves; a job in progress finishes first.
    pub async fn run_until(self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            let ran = match self.run_once().await {
                Ok(ran) => ran.is_some(),
                Err(err) => {
                    tracing::error!(error = %err, "the sync worker cannot reach the job queue");
                    false
                }
            };
            if ran {
                continue;
            }
            tokio::select! {
                () = &mut shutdown => break,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(self.config.poll) => {}
            }
        }
    }
}
