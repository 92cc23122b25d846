//! The response cache: moka in front of GraphQL reads (DESIGN.md, "Cache").
//!
//! A response is keyed by a digest of the tenant scope's fingerprint (app, environment, and the data
//! generation of every integration in scope) plus the query, operation name and variables. A write
//! through the service layer bumps a generation, so the next read computes a new key: nothing is
//! ever served stale, and nothing needs to be invalidated by hand. Answers that depend on the
//! current time or come from a mutation are marked uncacheable while they execute
//! ([`CachePolicy`]) and never stored.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;

use crate::config::CacheConfig;
use crate::scope::Scope;

#[derive(Clone)]
pub struct ResponseCache {
    inner: Option<moka::future::Cache<[u8; 32], Bytes>>,
}

impl ResponseCache {
    pub fn new(config: &CacheConfig) -> Self {
        let inner = config.enabled.then(|| {
            moka::future::Cache::builder()
                .max_capacity(config.max_bytes)
                .weigher(|_key: &[u8; 32], body: &Bytes| u32::try_from(body.len() + 64).unwrap_or(u32::MAX))
                .time_to_live(config.ttl)
                .build()
        });
        ResponseCache { inner }
    }

    pub fn enabled(&self) -> bool {
        self.inner.is_some()
    }

    pub fn key(scope: &Scope, query: &str, operation_name: Option<&str>, variables: &serde_json::Value) -> [u8; 32] {
        let mut hasher = blake3::Hasher::new();
        scope.fingerprint(&mut hasher);
        hasher.update(&(query.len() as u64).to_le_bytes());
        hasher.update(query.as_bytes());
        hasher.update(operation_name.unwrap_or("").as_bytes());
        hasher.update(&[0]);
        hasher.update(variables.to_string().as_bytes());
        *hasher.finalize().as_bytes()
    }

    pub async fn get(&self, key: &[u8; 32]) -> Option<Bytes> {
        match &self.inner {
            Some(cache) => cache.get(key).await,
            None => None,
        }
    }

    pub async fn insert(&self, key: [u8; 32], body: Bytes) {
        if let Some(cache) = &self.inner {
            cache.insert(key, body).await;
        }
    }

    /// Entries currently held (for tests and metrics).
    pub fn entry_count(&self) -> u64 {
        self.inner.as_ref().map_or(0, |c| c.entry_count())
    }
}

/// Set by resolvers whose answer must not be cached (it depends on the current time, on running
/// jobs, or it is a mutation).
#[derive(Debug, Default, Clone)]
pub struct CachePolicy(Arc<AtomicBool>);

impl CachePolicy {
    pub fn forbid(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn forbidden(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}
