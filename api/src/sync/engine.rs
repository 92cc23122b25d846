//! One sync run: stream a connector's pages, store them in batched transactions through
//! [`store::ingest`](crate::store::ingest), and, after a complete and successful full sync only,
//! mark what the PMS no longer has as remote-deleted.
//!
//! Guarantees (DESIGN.md, "Data flow"): every committed batch stands even if a later one fails; a
//! failure confined to one property is recorded and the run goes on (PARTIAL_SUCCESS); a run with
//! any failure, or any scoped run, deletes nothing; unchanged rows are never rewritten. The set of
//! remote ids a full sync saw is kept in memory for the run, never written per row.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use uuid::Uuid;

use pmsgraph_connector_core::{Connector, NormalizedRecord, RecordKind, SyncItem, SyncScope};

use crate::db::Db;
use crate::store::ingest::{self, ChangeContext, Counts, Hashed};
use crate::store::jobs::{self, JobError, Outcome};
use crate::store::{StoreError, cursors};
use crate::sync::digest128;
use crate::sync::identity::StoredPeople;

/// Records per write transaction: large enough to amortize the transaction, small enough to keep
/// memory flat and make progress visible.
pub const BATCH_RECORDS: usize = 2_000;

/// Pages a connector may read ahead of the writer.
const PIPELINE_PAGES: usize = 4;

/// Children before parents, so a deletion pass never leaves a live child under a deleted parent.
const DELETION_ORDER: [RecordKind; 6] = [
    RecordKind::LeaseResident,
    RecordKind::Lease,
    RecordKind::Resident,
    RecordKind::UnitSpace,
    RecordKind::Unit,
    RecordKind::Property,
];

/// Remote ids a full sync has seen, per kind, kept as 128-bit digests ([`digest128`]; a lease
/// resident's id is hashed in its parts, `{lease}`, `:`, `{resident}`, with no string built): a
/// large portfolio's ids as strings would take tens of megabytes for the whole run.
#[derive(Default)]
struct Seen(HashMap<RecordKind, HashSet<u128>>);

impl Seen {
    fn note(&mut self, record: &NormalizedRecord) {
        let mut add = |kind: RecordKind, parts: &[&str]| {
            self.0.entry(kind).or_default().insert(digest128(parts));
        };
        match record {
            NormalizedRecord::Property(p) => add(RecordKind::Property, &[&p.remote_id]),
            NormalizedRecord::Unit(u) => {
                add(RecordKind::Unit, &[&u.remote_id]);
                for space in &u.spaces {
                    add(RecordKind::UnitSpace, &[&space.remote_id]);
                }
            }
            NormalizedRecord::Resident(r) => add(RecordKind::Resident, &[&r.remote_id]),
            NormalizedRecord::Lease(l) => {
                add(RecordKind::Lease, &[&l.remote_id]);
                for person in &l.residents {
                    add(RecordKind::LeaseResident, &[&l.remote_id, ":", &person.resident_remote_id]);
                }
            }
        }
    }

    fn saw(&self, kind: RecordKind, remote_id: &str) -> bool {
        self.0.get(&kind).is_some_and(|ids| ids.contains(&digest128(&[remote_id])))
    }
}

/// Called after each committed batch with the counts so far (a terminal progress bar, say).
pub type Progress<'a> = &'a (dyn Fn(&Counts) + Send + Sync);

/// What the reading side hands the writing side, in order: a page whose records are being hashed
/// on the blocking pool (beside the reading of the next page and the writing of the last batch),
/// or a part of the scope that could not be read.
enum Prepared {
    Page(tokio::task::JoinHandle<Vec<Hashed>>),
    Failed { property: Option<String>, error: pmsgraph_connector_core::ConnectorError },
}

/// The state of one run.
struct Run<'a> {
    db: &'a Db,
    progress: Progress<'a>,
    integration_id: Uuid,
    ctx: ChangeContext,
    counts: Counts,
    errors: Vec<JobError>,
    failed: bool,
    committed_batches: usize,
    /// For an incremental run, the instant it asks for changes from.
    changed_since: Option<chrono::DateTime<chrono::Utc>>,
}

impl Run<'_> {
    /// A task of the reading side panicked (`err`): the run fails with `message`.
    fn connector_failed(&mut self, err: &tokio::task::JoinError, message: &str) {
        tracing::error!(integration = %self.integration_id, error = %err, "{message}");
        self.failed = true;
        self.errors.push(JobError { code: "CONNECTOR_FAILED".into(), message: message.into(), at: None });
    }

    fn store_error(&mut self, err: &StoreError) {
        tracing::error!(integration = %self.integration_id, error = %err, "sync could not write a batch");
        self.errors.push(JobError {
            code: err.code().to_owned(),
            message: "a batch could not be stored".into(),
            at: None,
        });
        self.failed = true;
    }

    async fn flush(&mut self, batch: &mut Vec<Hashed>) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let report = ingest::apply_with(self.db, self.integration_id, batch, self.ctx).await?;
        batch.clear();
        self.committed_batches += 1;
        self.counts.add(report.counts);
        (self.progress)(&self.counts);
        for rejected in report.errors {
            self.failed = true;
            self.errors.push(JobError {
                code: "RECORD_REJECTED".into(),
                message: rejected.message,
                at: Some(format!("{} {}", rejected.kind.as_str(), rejected.remote_id)),
            });
        }
        Ok(())
    }
}

/// Runs one sync of `scope` for an integration, as job `job_id`, and says how it ended.
pub async fn run(
    db: &Db,
    connector: Arc<dyn Connector>,
    integration_id: Uuid,
    job_id: Uuid,
    scope: SyncScope,
    full_sync_every: Duration,
) -> Outcome {
    run_observed(db, connector, integration_id, job_id, scope, full_sync_every, &|_| {}).await
}

/// [`run`], reporting progress after each committed batch.
pub async fn run_observed(
    db: &Db,
    connector: Arc<dyn Connector>,
    integration_id: Uuid,
    job_id: Uuid,
    scope: SyncScope,
    full_sync_every: Duration,
    progress: Progress<'_>,
) -> Outcome {
    let started = crate::store::now();
    let connector_changes_since = connector.capabilities().changes_since;
    let log_creations = match jobs::has_full_sync(db, integration_id).await {
        Ok(done) => done,
        Err(err) => {
            let mut run = Run::new(db, integration_id, ChangeContext::default(), progress);
            run.store_error(&err);
            return run.outcome(0);
        }
    };
    let ctx = ChangeContext { sync_job_id: Some(job_id), log_creations };
    let mut run = Run::new(db, integration_id, ctx, progress);
    let mut people = if connector.capabilities().person_ids_per_lease {
        match StoredPeople::load(db, integration_id).await {
            Ok(people) => Some(people),
            Err(err) => {
                run.store_error(&err);
                return run.outcome(0);
            }
        }
    } else {
        None
    };
    // An integration sync is incremental when the connector can list changes, a cursor exists and
    // a full sync succeeded recently enough; otherwise it is full (and finds deletions).
    let changed_since = if scope.is_full() && connector_changes_since {
        match incremental_from(db, integration_id, started, full_sync_every).await {
            Ok(since) => since,
            Err(err) => {
                run.store_error(&err);
                return run.outcome(0);
            }
        }
    } else {
        None
    };
    run.changed_since = changed_since;
    let full = scope.is_full() && changed_since.is_none();
    let mut batch = Vec::with_capacity(BATCH_RECORDS);
    // Reading the PMS and writing the database run in parallel: the connector (HTTP, parsing,
    // mapping), then renaming people and noting what a full sync saw, is a task of its own, which
    // hands each page's hashing to the blocking pool and queues it in a short channel while a
    // batch is being written. When writing fails, the channel closes and the connector stops at
    // its next page.
    let (pages, queued) = tokio::sync::mpsc::channel::<Prepared>(PIPELINE_PAGES);
    let producer = tokio::spawn({
        let scope = scope.clone();
        async move {
            let mut seen = Seen::default();
            let mut stream = connector.sync(scope, changed_since);
            while let Some(item) = stream.next().await {
                let prepared = match item {
                    SyncItem::Page(mut records) => {
                        if let Some(people) = people.as_mut() {
                            people.resolve(&mut records);
                        }
                        if full {
                            records.iter().for_each(|r| seen.note(r));
                        }
                        Prepared::Page(tokio::task::spawn_blocking(move || {
                            records.into_iter().map(Hashed::new).collect()
                        }))
                    }
                    SyncItem::Failed { property, error } => Prepared::Failed { property, error },
                };
                if pages.send(prepared).await.is_err() {
                    break;
                }
            }
            seen
        }
    });
    let consume = async {
        // Owned here, so that the channel closes as soon as writing stops.
        let mut queued = queued;
        while let Some(item) = queued.recv().await {
            match item {
                Prepared::Page(hashing) => match hashing.await {
                    Ok(records) => {
                        batch.extend(records);
                        if batch.len() >= BATCH_RECORDS {
                            run.flush(&mut batch).await?;
                        }
                    }
                    // Hashing panicked: the page is lost, so the run cannot be complete.
                    Err(err) => run.connector_failed(&err, "a page could not be prepared for storing"),
                },
                Prepared::Failed { property, error } => {
                    tracing::warn!(integration = %integration_id, property = ?property, code = error.code(), %error, "part of a sync failed");
                    run.failed = true;
                    run.errors.push(JobError {
                        code: error.code().to_owned(),
                        message: error.to_string(),
                        at: property,
                    });
                }
            }
        }
        run.flush(&mut batch).await
    };
    let written = consume.await;
    let produced = producer.await;
    if let Err(err) = written {
        run.store_error(&err);
        return run.outcome(0);
    }
    let seen = match produced {
        Ok(seen) => seen,
        Err(err) => {
            // The connector panicked: what it delivered is stored, but the run cannot be complete.
            run.connector_failed(&err, "the connector stopped abnormally");
            Seen::default()
        }
    };
    let mut deleted = 0;
    if full && !run.failed {
        match delete_unseen(db, integration_id, &seen, ctx).await {
            Ok(n) => deleted = n,
            Err(err) => run.store_error(&err),
        }
    }
    if scope.is_full()
        && !run.failed
        && connector_changes_since
        && let Err(err) = cursors::record(db, integration_id, started).await
    {
        run.store_error(&err);
    }
    run.outcome(deleted)
}

/// The instant an integration sync starting at `now` asks for changes from, `None` for a full sync:
/// full without a cursor, or when the last successful full sync is older than `full_sync_every`.
async fn incremental_from(
    db: &Db,
    integration_id: Uuid,
    now: chrono::DateTime<chrono::Utc>,
    full_sync_every: Duration,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError> {
    let Some(cursor) = cursors::cursor(db, integration_id).await? else {
        return Ok(None);
    };
    let every = chrono::Duration::from_std(full_sync_every).unwrap_or(chrono::Duration::MAX);
    match cursors::last_full_sync(db, integration_id).await? {
        Some(full) if now.signed_duration_since(full) < every => Ok(Some(cursor)),
        _ => Ok(None),
    }
}

impl<'a> Run<'a> {
    fn new(db: &'a Db, integration_id: Uuid, ctx: ChangeContext, progress: Progress<'a>) -> Run<'a> {
        Run {
            db,
            progress,
            integration_id,
            ctx,
            counts: Counts::default(),
            errors: Vec::new(),
            failed: false,
            committed_batches: 0,
            changed_since: None,
        }
    }

    fn outcome(self, deleted: u64) -> Outcome {
        let status = match (self.failed, self.committed_batches) {
            (false, _) => jobs::SUCCESS,
            (true, 0) => jobs::FAILED,
            (true, _) => jobs::PARTIAL_SUCCESS,
        };
        Outcome { status, counts: self.counts, deleted, errors: self.errors, changed_since: self.changed_since }
    }
}

/// Marks every live row the full sync did not see as remote-deleted.
async fn delete_unseen(db: &Db, integration_id: Uuid, seen: &Seen, ctx: ChangeContext) -> Result<u64, StoreError> {
    let mut deleted = 0;
    for kind in DELETION_ORDER {
        let gone = ingest::unseen_remote_ids(db, integration_id, kind, |remote_id| seen.saw(kind, remote_id)).await?;
        if !gone.is_empty() {
            deleted += ingest::mark_remote_deleted(db, integration_id, kind, &gone, ctx).await?;
        }
    }
    Ok(deleted)
}

/// Runs a claimed job and records how it ended.
pub async fn run_job(
    db: &Db,
    connector: Arc<dyn Connector>,
    job: &pmsgraph_entity::sync_job::Model,
    full_sync_every: Duration,
) -> Outcome {
    run_job_observed(db, connector, job, full_sync_every, &|_| {}).await
}

/// [`run_job`], reporting progress after each committed batch.
pub async fn run_job_observed(
    db: &Db,
    connector: Arc<dyn Connector>,
    job: &pmsgraph_entity::sync_job::Model,
    full_sync_every: Duration,
    progress: Progress<'_>,
) -> Outcome {
    let outcome = match jobs::scope_of(job) {
        Ok(scope) => run_observed(db, connector, job.integration_id, job.id, scope, full_sync_every, progress).await,
        Err(err) => Outcome {
            status: jobs::FAILED,
            counts: Counts::default(),
            deleted: 0,
            errors: vec![JobError { code: err.code().to_owned(), message: err.to_string(), at: None }],
            changed_since: None,
        },
    };
    if let Err(err) = jobs::finish(db, job.id, &outcome).await {
        tracing::error!(job = %job.id, error = %err, "cannot record the end of a sync job");
    }
    outcome
}

/// Why a sync could not be run from the terminal.
#[derive(Debug, thiserror::Error)]
pub enum RunNowError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the job was taken by another worker before this one could claim it")]
    Taken,
}

/// Queues a sync of `scope` and runs it here and now (not on a worker), reporting progress: what
/// `pmsgraph sync` does. The job is recorded like any other, so the API shows it.
pub async fn run_now(
    db: &Db,
    vault: &crate::vault::Vault,
    config: &crate::sync::WorkerConfig,
    integration_id: Uuid,
    scope: SyncScope,
    progress: Progress<'_>,
) -> Result<Outcome, RunNowError> {
    let worker = format!("cli-{}-{}", std::process::id(), Uuid::now_v7().simple());
    let job = jobs::enqueue(db, integration_id, jobs::Trigger::OnDemand, &scope).await?;
    let job = jobs::claim(db, job.id, &worker, config.lease).await?.ok_or(RunNowError::Taken)?;
    let heartbeat = {
        let (db, job_id, lease) = (db.clone(), job.id, config.lease);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(lease / 3).await;
                if !matches!(jobs::heartbeat(&db, job_id, &worker, lease).await, Ok(true)) {
                    break;
                }
            }
        })
    };
    let client =
        pmsgraph_connector_core::http::reqwest_client(&config.http).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let outcome = match crate::connectors::for_integration(db, vault, &client, &config.http, integration_id).await {
        Ok(connector) => run_job_observed(db, connector, &job, config.full_sync_every, progress).await,
        Err(error) => {
            let outcome = Outcome::failed(error);
            jobs::finish(db, job.id, &outcome).await?;
            outcome
        }
    };
    heartbeat.abort();
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pmsgraph_connector_core::{LeaseStatus, NormalizedLease, NormalizedLeaseResident, ResidentRole};

    #[test]
    fn a_lease_resident_is_seen_by_the_remote_id_it_is_stored_under() {
        let person = NormalizedLeaseResident::new("c7", ResidentRole::Primary, LeaseStatus::Current);
        let lease = NormalizedLease::new("l1", "p1", LeaseStatus::Current, vec![person.clone()]);
        let mut seen = Seen::default();
        seen.note(&NormalizedRecord::Lease(lease));
        assert!(seen.saw(RecordKind::Lease, "l1"));
        assert!(seen.saw(RecordKind::LeaseResident, &person.remote_id("l1")));
        assert!(!seen.saw(RecordKind::LeaseResident, "l1:c8"));
        assert!(!seen.saw(RecordKind::Lease, "l2"));
        assert!(!seen.saw(RecordKind::Unit, "l1"));
    }
}
