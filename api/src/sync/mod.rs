//! The sync engine: [`engine`] runs one sync (stream, diff, batched upserts, tombstones, change
//! log, job record), [`identity`] keeps per-lease person codes on their stored residents, [`worker`] claims queued jobs and runs them, and [`scheduler`] queues the
//! scheduled syncs of enabled integrations.

pub mod engine;
pub mod identity;
pub mod scheduler;
pub mod worker;

pub(crate) use pmsgraph_connector_core::identity::{digest128, identity_digest};

pub use scheduler::SchedulerConfig;
pub use worker::{Worker, WorkerConfig};
