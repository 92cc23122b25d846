//! The sync engine: [`engine`] runs one sync (stream, diff, batched upserts, tombstones, change
//! log, job record) and [`worker`] claims queued jobs and runs them.

pub mod engine;
pub mod worker;

pub use worker::{Worker, WorkerConfig};
