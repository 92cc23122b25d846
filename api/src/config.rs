//! Server configuration: everything the server needs, built once (from the command line and
//! `PMSGRAPH_*` environment variables in `main`, or by tests) and passed in, never global.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::auth::TokenKey;
use crate::sync::WorkerConfig;

/// What a `pmsgraph serve` process does, so that reads and syncs can scale apart on PostgreSQL.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    /// Serve the GraphQL API only: mutations queue jobs for worker processes.
    Api,
    /// Run sync jobs, the scheduler and webhook deliveries only (and `/healthz`, `/readyz`).
    Worker,
    /// Both (the default, and what one embedded SQLite process does).
    #[default]
    All,
}

impl Role {
    pub const fn serves_api(self) -> bool {
        matches!(self, Role::Api | Role::All)
    }

    pub const fn runs_jobs(self) -> bool {
        matches!(self, Role::Worker | Role::All)
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub bind: SocketAddr,
    /// What this process does: serve the API, run jobs, or both.
    pub role: Role,
    /// Where the embedded defaults live: the SQLite file and the generated key file.
    pub data_dir: PathBuf,
    /// `sqlite://...` or `postgres://...`; `None` means the SQLite file in `data_dir`.
    pub database_url: Option<String>,
    pub cache: CacheConfig,
    pub limits: Limits,
    pub tokens: TokenConfig,
    /// Credential master keys from configuration. Empty: the embedded default key file.
    pub master_keys: MasterKeyConfig,
    /// Serve GraphQL introspection (on by default).
    pub introspection: bool,
    /// The sync worker: job leases, polling, and the HTTP policy for PMS calls.
    pub worker: WorkerConfig,
    /// Let PMS and webhook URLs use private or loopback addresses (tests only; sandbox customers
    /// may always reach the built-in sandbox).
    pub allow_private_pms_urls: bool,
    /// The per-token request rate limit of the API.
    pub rate_limit: RateLimitConfig,
    /// The built-in sandbox PMSs mounted under `/sandbox/...`.
    pub sandbox: crate::sandbox::SandboxConfig,
    /// Webhook deliveries: polling, timeouts and the retry schedule.
    pub webhooks: crate::webhooks::WebhookConfig,
    /// How often a live `events` subscription looks for new events.
    pub subscription_poll: Duration,
}

impl Config {
    /// Defaults for a data directory: the embedded SQLite file, generated keys, cache on.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            role: Role::All,
            data_dir: data_dir.into(),
            database_url: None,
            cache: CacheConfig::default(),
            limits: Limits::default(),
            tokens: TokenConfig::default(),
            master_keys: MasterKeyConfig::default(),
            introspection: true,
            worker: WorkerConfig::default(),
            allow_private_pms_urls: false,
            rate_limit: RateLimitConfig::default(),
            sandbox: crate::sandbox::SandboxConfig::default(),
            webhooks: crate::webhooks::WebhookConfig::default(),
            subscription_poll: Duration::from_millis(500),
        }
    }

    /// The sync worker's configuration as this server runs it: PMS calls reach public addresses only
    /// (unless private PMS URLs are allowed), and the built-in sandbox at the port this server is
    /// bound to (set `bind` to the bound address first).
    pub fn worker_config(&self) -> WorkerConfig {
        let mut worker = self.worker.clone();
        worker.http.addresses = if self.allow_private_pms_urls {
            pmsgraph_connector_core::AddressPolicy::default()
        } else {
            pmsgraph_connector_core::AddressPolicy::public_only(vec![self.bind.port()])
        };
        worker
    }

    /// Where webhooks may be sent: public addresses only, unless private URLs are allowed (tests).
    pub fn webhook_addresses(&self) -> pmsgraph_connector_core::AddressPolicy {
        if self.allow_private_pms_urls {
            pmsgraph_connector_core::AddressPolicy::default()
        } else {
            pmsgraph_connector_core::AddressPolicy::public_only(Vec::new())
        }
    }

    /// The database to use: the configured URL, else the SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}?mode=rwc", self.data_dir.join("pmsgraph.db").display()),
        }
    }
}

#[derive(Debug, Clone)]
pub struct CacheConfig {
    pub enabled: bool,
    pub ttl: Duration,
    /// Upper bound on the bytes of cached response bodies.
    pub max_bytes: u64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig { enabled: true, ttl: Duration::from_secs(15 * 60), max_bytes: 64 * 1024 * 1024 }
    }
}

/// Request limits (DESIGN.md, "GraphQL conventions").
#[derive(Debug, Clone)]
pub struct Limits {
    pub default_page_size: usize,
    pub max_page_size: usize,
    pub max_depth: usize,
    /// Weighted: a list field costs its page size times its children.
    pub max_complexity: usize,
    pub max_aliases: usize,
    pub max_batch: usize,
    pub max_body_bytes: usize,
    pub request_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            default_page_size: 50,
            max_page_size: 500,
            max_depth: 12,
            max_complexity: 50_000,
            max_aliases: 30,
            max_batch: 10,
            max_body_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
        }
    }
}

#[derive(Debug, Clone)]
pub struct TokenConfig {
    /// Signing keys from configuration. Empty: the embedded default key file in the data directory.
    pub keys: Vec<TokenKey>,
    /// The key new tokens are signed with (default: the first).
    pub active_kid: Option<String>,
    pub default_ttl: Duration,
}

impl Default for TokenConfig {
    fn default() -> Self {
        TokenConfig { keys: Vec::new(), active_kid: None, default_ttl: Duration::from_secs(90 * 24 * 3600) }
    }
}

/// The per-token rate limit of the API: a token bucket per token id (GCRA, the `governor` crate).
#[derive(Debug, Clone)]
pub struct RateLimitConfig {
    pub enabled: bool,
    /// Sustained requests per second per token.
    pub per_second: u32,
    /// Requests a token may make at once, above the sustained rate.
    pub burst: u32,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig { enabled: true, per_second: 50, burst: 200 }
    }
}

/// The AES-256-GCM master keys credentials are encrypted under (DESIGN.md, "Keys").
#[derive(Debug, Clone, Default)]
pub struct MasterKeyConfig {
    /// `kid:base64` keys of exactly 32 bytes. Empty: the embedded default key file.
    pub keys: Vec<TokenKey>,
    /// The key new credentials are encrypted with (default: the first).
    pub active_kid: Option<String>,
}
