//! The sync engine: [`engine`] runs one sync (stream, diff, batched upserts, tombstones, change
//! log, job record), [`identity`] keeps per-lease person codes on their stored residents, [`worker`] claims queued jobs and runs them, and [`scheduler`] queues the
//! scheduled syncs of enabled integrations.

pub mod engine;
pub mod identity;
pub mod scheduler;
pub mod worker;

/// A 128-bit digest of a string given in parts (concatenated, with no string built for it): how a
/// run keeps large sets of remote ids and identities in memory. Two strings sharing a digest (a
/// chance of 2^-128 per pair) is not a practical concern.
pub(crate) fn digest128(parts: &[&str]) -> u128 {
    let mut hasher = blake3::Hasher::new();
    for part in parts {
        hasher.update(part.as_bytes());
    }
    let mut first = [0u8; 16];
    first.copy_from_slice(&hasher.finalize().as_bytes()[..16]);
    u128::from_le_bytes(first)
}

pub use scheduler::SchedulerConfig;
pub use worker::{Worker, WorkerConfig};
