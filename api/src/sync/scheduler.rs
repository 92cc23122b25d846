//! The sync scheduler (DESIGN.md, "Customers, integrations, syncs"; issue 4, "Scheduler").
//!
//! Every enabled integration syncs in full every `sync_interval_secs` of its settings (default 60
//! minutes, at least 5; [`SchedulerConfig::min_interval`] lowers the floor for tests). Nothing is
//! kept in memory: the next sync time is derived from the job queue, so a restart, or another
//! process, computes the same schedule:
//!
//! - the last finished run of the whole integration (any trigger: the first sync on enable, a
//!   scheduled one, or `syncNow` of the whole integration) plus the interval is when the next is due;
//! - after failures the delay backs off from the floor, doubling per failure in a row, and never
//!   exceeds the interval (5 minutes, 10, 20... for the default floor), so an outage is retried
//!   sooner than the interval but not hammered;
//! - jitter (up to a tenth of the delay) spreads integrations that were enabled together; it is a
//!   hash of the integration and its last run, not a random draw, so every process agrees on it;
//! - while a run of the whole integration is queued or running, nothing more is queued; the queue's
//!   partial unique index also stops two processes from queueing the same scheduled sync.
//!
//! A scheduled run rechecks data access first (see [`super::worker`]). Access newly denied pauses
//! the integration at once; [`MAX_FAILURES_IN_A_ROW`] failed runs in a row pause it too
//! ([`after_run`]). Failures are counted back to the run that enabled it, so re-enabling (after a
//! passing check) starts a fresh count. Concurrency (at most N syncs at once per process) is the
//! worker's; jobs whose worker died are claimed again once their lease lapses.

use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use pmsgraph_entity::sync_job;

use crate::db::Db;
use crate::store::jobs::{self, Trigger};
use crate::store::{StoreError, integrations};

/// Runs that fail in a row before the integration is paused.
pub const MAX_FAILURES_IN_A_ROW: usize = 5;

/// How many recent runs the schedule looks at (enough to count the failures that pause).
const HISTORY: u64 = 8;

/// Scheduled syncs.
#[derive(Debug, Clone)]
pub struct SchedulerConfig {
    /// Run the scheduler in this process (several processes may: queueing is deduplicated).
    pub enabled: bool,
    /// The interval of an integration that has not set one.
    pub default_interval: Duration,
    /// The shortest interval an integration may set (5 minutes; tests lower it).
    pub min_interval: Duration,
    /// How often the scheduler looks for integrations that are due.
    pub tick: Duration,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        SchedulerConfig {
            enabled: true,
            default_interval: Duration::from_secs(60 * 60),
            min_interval: Duration::from_secs(5 * 60),
            tick: Duration::from_secs(15),
        }
    }
}

impl SchedulerConfig {
    /// The interval an integration syncs at: its setting, raised to the floor, else the default.
    pub fn interval_of(&self, settings: &serde_json::Value) -> Duration {
        integrations::sync_interval(settings).map_or(self.default_interval, |i| i.max(self.min_interval))
    }
}

/// When an integration syncs next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// A run of the whole integration is queued or running.
    Pending,
    /// No run has finished yet: due now.
    Now,
    At(DateTime<Utc>),
}

/// Failed runs in a row, newest first, counted back to (and including) the run that enabled the
/// integration. `recent` is newest first.
pub fn failures_in_a_row(recent: &[sync_job::Model]) -> usize {
    let enable = Trigger::Enable.as_str();
    let mut failures = 0;
    for job in recent {
        if job.finished_at.is_none() {
            if job.trigger == enable {
                // Enabled again and its first run still to come: earlier failures no longer count.
                break;
            }
            continue;
        }
        if job.status != jobs::FAILED {
            break;
        }
        failures += 1;
        if job.trigger == enable {
            break;
        }
    }
    failures
}

/// The delay after the last run: the interval, or after `failures` failures in a row the floor
/// doubled per further failure, never beyond the interval.
pub fn delay(interval: Duration, floor: Duration, failures: usize) -> Duration {
    if failures == 0 {
        return interval;
    }
    let doublings = u32::try_from(failures - 1).unwrap_or(u32::MAX).min(16);
    floor.min(interval).saturating_mul(1 << doublings).min(interval)
}

/// Up to a tenth of `delay`, the same in every process for the same integration and last run.
pub fn jitter(delay: Duration, integration_id: Uuid, last_run: Uuid) -> Duration {
    let mut hasher = blake3::Hasher::new();
    hasher.update(integration_id.as_bytes());
    hasher.update(last_run.as_bytes());
    let bytes = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&bytes.as_bytes()[..8]);
    let fraction = (u64::from_le_bytes(first) % 1_000) as u32;
    delay / 10 * fraction / 1_000
}

/// When the next sync of an integration is due, from its recent runs of the whole integration
/// (newest first).
pub fn next_sync(integration_id: Uuid, recent: &[sync_job::Model], interval: Duration, floor: Duration) -> Next {
    if recent.iter().any(|j| j.status == jobs::QUEUED || j.status == jobs::RUNNING) {
        return Next::Pending;
    }
    let Some((last, finished)) = recent.iter().find_map(|j| j.finished_at.map(|at| (j, at))) else {
        return Next::Now;
    };
    let wait = delay(interval, floor, failures_in_a_row(recent));
    let wait = wait + jitter(wait, integration_id, last.id);
    Next::At(finished + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX))
}

/// When an integration syncs next: `None` unless it is ENABLED, or while a run is pending.
pub async fn next_sync_at(
    db: &Db,
    config: &SchedulerConfig,
    integration: &pmsgraph_entity::integration::Model,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    if integration.status != integrations::ENABLED {
        return Ok(None);
    }
    let recent = jobs::recent_full(db, integration.id, HISTORY).await?;
    let interval = config.interval_of(&integration.settings);
    Ok(match next_sync(integration.id, &recent, interval, config.min_interval) {
        Next::Pending => None,
        Next::Now => Some(crate::store::now()),
        Next::At(at) => Some(at),
    })
}

/// Queues a scheduled sync of every enabled integration that is due at `now`; returns how many.
pub async fn tick(db: &Db, config: &SchedulerConfig, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let mut queued = 0;
    for integration in integrations::with_status(db, integrations::ENABLED).await? {
        let recent = jobs::recent_full(db, integration.id, HISTORY).await?;
        let interval = config.interval_of(&integration.settings);
        let due = match next_sync(integration.id, &recent, interval, config.min_interval) {
            Next::Pending => false,
            Next::Now => true,
            Next::At(at) => at <= now,
        };
        if due && jobs::enqueue_scheduled(db, integration.id).await?.is_some() {
            tracing::info!(integration = %integration.id, "scheduled sync queued");
            queued += 1;
        }
    }
    Ok(queued)
}

/// After a run of the whole integration: pauses the integration if it was the last of
/// [`MAX_FAILURES_IN_A_ROW`] failures in a row.
pub async fn after_run(db: &Db, job: &sync_job::Model) -> Result<(), StoreError> {
    if job.status != jobs::FAILED || job.scope != pmsgraph_connector_core::SyncScope::Integration.kind() {
        return Ok(());
    }
    let recent = jobs::recent_full(db, job.integration_id, HISTORY).await?;
    if failures_in_a_row(&recent) < MAX_FAILURES_IN_A_ROW {
        return Ok(());
    }
    let integration = integrations::get(db, job.integration_id).await?;
    if integration.status != integrations::ENABLED {
        return Ok(());
    }
    let last = serde_json::from_value::<Vec<jobs::JobError>>(job.errors.clone())
        .ok()
        .and_then(|errors| errors.into_iter().next())
        .map(|e| format!("; the last: {}: {}", e.code, e.message))
        .unwrap_or_default();
    let reason = format!("{MAX_FAILURES_IN_A_ROW} syncs in a row failed{last}");
    tracing::warn!(integration = %job.integration_id, %reason, "integration paused");
    integrations::set_status(db, job.integration_id, integrations::PAUSED, Some(reason)).await?;
    Ok(())
}

/// Ticks until `shutdown` resolves; the worker wakes whenever something was queued.
pub async fn run_until(
    db: Db,
    config: SchedulerConfig,
    wake: impl Fn(),
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        match tick(&db, &config, crate::store::now()).await {
            Ok(0) => {}
            Ok(_) => wake(),
            Err(err) => tracing::error!(error = %err, "the scheduler cannot reach the job queue"),
        }
        tokio::select! {
            () = &mut shutdown => break,
            () = tokio::time::sleep(config.tick) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    fn job(trigger: Trigger, status: &str, finished_minute: Option<i64>) -> sync_job::Model {
        let base = DateTime::from_timestamp(1_800_000_000, 0).expect("an instant");
        sync_job::Model {
            id: Uuid::now_v7(),
            integration_id: Uuid::nil(),
            trigger: trigger.as_str().to_owned(),
            scope: "INTEGRATION".into(),
            scope_remote_id: None,
            status: status.to_owned(),
            queued_at: base,
            started_at: None,
            finished_at: finished_minute.map(|m| base + chrono::Duration::minutes(m)),
            created_count: 0,
            updated_count: 0,
            unchanged_count: 0,
            deleted_count: 0,
            changed_since: None,
            errors: serde_json::json!([]),
            claimed_by: None,
            lease_expires_at: None,
        }
    }

    #[test]
    fn the_next_sync_is_the_last_run_plus_the_interval_and_a_stable_jitter() {
        let id = Uuid::now_v7();
        let last = job(Trigger::Schedule, jobs::SUCCESS, Some(100));
        let finished = last.finished_at.expect("finished");
        let Next::At(at) = next_sync(id, std::slice::from_ref(&last), 60 * MIN, 5 * MIN) else {
            panic!("a time");
        };
        let wait = (at - finished).to_std().expect("later");
        assert!(wait >= 60 * MIN && wait <= 66 * MIN, "{wait:?}");
        // The same inputs give the same answer (another process, or after a restart).
        assert_eq!(next_sync(id, std::slice::from_ref(&last), 60 * MIN, 5 * MIN), Next::At(at));
        assert_eq!(next_sync(id, &[], 60 * MIN, 5 * MIN), Next::Now);
        let queued = job(Trigger::OnDemand, jobs::QUEUED, None);
        assert_eq!(next_sync(id, &[queued, last], 60 * MIN, 5 * MIN), Next::Pending);
    }

    #[test]
    fn failures_back_off_from_the_floor_and_never_beyond_the_interval() {
        assert_eq!(delay(60 * MIN, 5 * MIN, 0), 60 * MIN);
        assert_eq!(delay(60 * MIN, 5 * MIN, 1), 5 * MIN);
        assert_eq!(delay(60 * MIN, 5 * MIN, 2), 10 * MIN);
        assert_eq!(delay(60 * MIN, 5 * MIN, 4), 40 * MIN);
        assert_eq!(delay(60 * MIN, 5 * MIN, 5), 60 * MIN);
        assert_eq!(delay(60 * MIN, 5 * MIN, 500), 60 * MIN);
        assert_eq!(delay(MIN, 5 * MIN, 3), MIN);
        for n in 0..1_000u128 {
            let j = jitter(10 * MIN, Uuid::from_u128(n), Uuid::from_u128(n * 7));
            assert!(j <= MIN, "{j:?}");
        }
        assert_ne!(
            jitter(10 * MIN, Uuid::from_u128(1), Uuid::nil()),
            jitter(10 * MIN, Uuid::from_u128(2), Uuid::nil())
        );
    }

    #[test]
    fn failures_are_counted_back_to_the_run_that_enabled() {
        let failed = |trigger| job(trigger, jobs::FAILED, Some(1));
        let recent = vec![
            failed(Trigger::Schedule),
            failed(Trigger::Schedule),
            job(Trigger::OnDemand, jobs::PARTIAL_SUCCESS, Some(1)),
            failed(Trigger::Schedule),
        ];
        assert_eq!(failures_in_a_row(&recent), 2);
        let after_reenable = vec![failed(Trigger::Schedule), failed(Trigger::Enable), failed(Trigger::Schedule)];
        assert_eq!(failures_in_a_row(&after_reenable), 2);
        let pending_first = vec![job(Trigger::Schedule, jobs::RUNNING, None), failed(Trigger::Schedule)];
        assert_eq!(failures_in_a_row(&pending_first), 1);
        // Re-enabled, its first run still queued, and a manual run failing meanwhile: a fresh count.
        let reenabled = vec![
            failed(Trigger::OnDemand),
            job(Trigger::Enable, jobs::QUEUED, None),
            failed(Trigger::Schedule),
            failed(Trigger::Schedule),
            failed(Trigger::Schedule),
            failed(Trigger::Schedule),
            failed(Trigger::Enable),
        ];
        assert_eq!(failures_in_a_row(&reenabled), 1);
        assert_eq!(failures_in_a_row(&[]), 0);
    }

    #[test]
    fn intervals_are_raised_to_the_floor() {
        let config = SchedulerConfig::default();
        assert_eq!(config.interval_of(&serde_json::json!({})), 60 * MIN);
        assert_eq!(config.interval_of(&serde_json::json!({ "sync_interval_secs": 60 })), 5 * MIN);
        assert_eq!(config.interval_of(&serde_json::json!({ "sync_interval_secs": 1800 })), 30 * MIN);
    }
}
