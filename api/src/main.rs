//! The `pmsgraph` command: serve the API, run migrations, print the schema, manage tokens, serve the
//! sandbox PMSs on their own, run one sync in the terminal, and measure syncs.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use uuid::Uuid;

use pmsgraph::auth::{self, Environment, TokenKey};
use pmsgraph::config::Config;
use pmsgraph::db::Db;
use pmsgraph::sandbox::{self, SandboxConfig};
use pmsgraph::server::Application;

/// Syncing builds and drops many small JSON values: mimalloc keeps that cheap where the system
/// allocator spent half of a sync's CPU (see `pmsgraph bench sync`). The `system-allocator`
/// feature leaves it out, for heap profilers that hook `malloc` (heaptrack, valgrind). mimalloc is
/// built to commit its arenas as they are used (`.cargo/config.toml`).
#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "pmsgraph", version, about = "One GraphQL API over every property management system")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the API server (GraphQL at /graphql).
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate(StoreArgs),
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Re-encrypt every integration's credentials under the active master key (after rotating keys).
    RotateKey(StoreArgs),
    /// Mint a token for an app (`pmsgraph token --app NAME --env sandbox`), or list / revoke tokens.
    Token(TokenArgs),
    /// Serve the built-in sandbox PMSs as a process of their own, or move their timeline.
    Sandbox {
        #[command(subcommand)]
        action: SandboxAction,
    },
    /// Run one sync of an integration now, in the terminal, with progress and a summary.
    Sync(SyncArgs),
    /// Measure: `pmsgraph bench sync` syncs a sandbox world served by a separate process.
    Bench {
        #[command(subcommand)]
        what: BenchWhat,
    },
}

#[derive(Subcommand)]
enum BenchWhat {
    /// Full sync and no-change re-sync of a sandbox world: records/s, rows written, peak RSS.
    Sync {
        /// The world's size: `small`, `large` (200 x 500) or `PROPERTIESxUNITS`.
        #[arg(long, default_value = "large")]
        size: String,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Also measure on PostgreSQL: an admin URL where a scratch database is created (repeatable).
        #[arg(long, env = "PMSGRAPH_BENCH_POSTGRES_URL")]
        postgres: Vec<String>,
        /// Only these PMSs' wire formats (repeatable; default: all four).
        #[arg(long, value_parser = ["entrata", "yardi", "realpage", "buildium"])]
        pms: Vec<String>,
    },
}

#[derive(Args, Clone)]
struct WorldArgs {
    /// The sandbox world's seed (the same seed, size and step always serve the same data).
    #[arg(long, env = "PMSGRAPH_SANDBOX_SEED", default_value_t = 42)]
    sandbox_seed: u64,
    /// The sandbox world's size: `small`, `large` (200 x 500) or `PROPERTIESxUNITS`.
    #[arg(long, env = "PMSGRAPH_SANDBOX_SIZE", default_value = "small")]
    sandbox_size: pmsgraph_sandbox::Size,
}

#[derive(Subcommand)]
enum SandboxAction {
    /// Serve the simulators (Entrata at /sandbox/entrata, Yardi at /sandbox/yardi, RealPage at
    /// /sandbox/realpage, Buildium at /sandbox/buildium), the timeline step read from the database
    /// unless `--step` fixes it.
    Serve {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        world: WorldArgs,
        #[arg(long, env = "PMSGRAPH_SANDBOX_BIND", default_value = "127.0.0.1:8090")]
        bind: SocketAddr,
        /// Serve this timeline step, kept in memory, instead of the database's.
        #[arg(long)]
        step: Option<u32>,
    },
    /// Move the sandbox timeline forward (move-ins, notices, move-outs, renewals...).
    Advance {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long, default_value_t = 1)]
        steps: u32,
    },
}

#[derive(Args)]
struct SyncArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The integration to sync (default: the only enabled one).
    #[arg(long)]
    integration: Option<Uuid>,
    /// Only this property (the PMS's property id).
    #[arg(long)]
    property: Option<String>,
    /// The address `pmsgraph serve` listens on: its built-in sandbox is the one loopback address
    /// a sandbox integration may reach.
    #[arg(long, env = "PMSGRAPH_BIND", default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
}

#[derive(Args, Clone)]
struct StoreArgs {
    /// Directory for the embedded SQLite database and generated keys.
    #[arg(long, env = "PMSGRAPH_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,
    /// Database URL (`sqlite://...` or `postgres://...`); default: SQLite in the data directory.
    #[arg(long, env = "PMSGRAPH_DATABASE_URL")]
    database_url: Option<String>,
    /// Token signing keys, `kid:base64secret` separated by commas; default: the data directory's key file.
    #[arg(long, env = "PMSGRAPH_TOKEN_KEYS", value_delimiter = ',', hide_env_values = true)]
    token_keys: Vec<TokenKey>,
    /// The key id that signs new tokens (default: the first key).
    #[arg(long, env = "PMSGRAPH_TOKEN_ACTIVE_KID")]
    token_active_kid: Option<String>,
    /// Credential master keys (AES-256), `kid:base64` of 32 bytes, separated by commas; default: the
    /// data directory's key file.
    #[arg(long, env = "PMSGRAPH_MASTER_KEYS", value_delimiter = ',', hide_env_values = true)]
    master_keys: Vec<TokenKey>,
    /// The master key id that encrypts new credentials (default: the first key).
    #[arg(long, env = "PMSGRAPH_MASTER_ACTIVE_KID")]
    master_active_kid: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Address to listen on.
    #[arg(long, env = "PMSGRAPH_BIND", default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    #[arg(long, env = "PMSGRAPH_LOG_FORMAT", value_enum, default_value = "text")]
    log_format: LogFormat,
    /// How long a cached response may live.
    #[arg(long, env = "PMSGRAPH_CACHE_TTL_SECS", default_value_t = 900)]
    cache_ttl_secs: u64,
    /// Upper bound on the bytes of cached responses.
    #[arg(long, env = "PMSGRAPH_CACHE_MAX_BYTES", default_value_t = 64 * 1024 * 1024)]
    cache_max_bytes: u64,
    /// Turn the response cache off.
    #[arg(long, env = "PMSGRAPH_NO_CACHE")]
    no_cache: bool,
    /// Turn GraphQL introspection off.
    #[arg(long, env = "PMSGRAPH_NO_INTROSPECTION")]
    no_introspection: bool,
    /// The shortest sync interval an integration may set, in seconds (lower it for tests only).
    #[arg(long, env = "PMSGRAPH_MIN_SYNC_INTERVAL_SECS", default_value_t = 300)]
    min_sync_interval_secs: u64,
    /// The longest time between full syncs of an integration whose PMS can list changes (Buildium):
    /// the syncs in between ask only for changes, and only a full sync finds deletions.
    #[arg(long, env = "PMSGRAPH_FULL_SYNC_EVERY_SECS", default_value_t = 86_400)]
    full_sync_every_secs: u64,
    /// Do not run the sync scheduler in this process (another process does).
    #[arg(long, env = "PMSGRAPH_NO_SCHEDULER")]
    no_scheduler: bool,
    /// Sustained API requests per second allowed per token.
    #[arg(long, env = "PMSGRAPH_RATE_LIMIT_PER_SECOND", default_value_t = 50)]
    rate_limit_per_second: u32,
    /// Requests per token allowed at once above the sustained rate.
    #[arg(long, env = "PMSGRAPH_RATE_LIMIT_BURST", default_value_t = 200)]
    rate_limit_burst: u32,
    /// Turn the per-token rate limit off.
    #[arg(long, env = "PMSGRAPH_NO_RATE_LIMIT")]
    no_rate_limit: bool,
    /// Sync jobs this process runs at once.
    #[arg(long, env = "PMSGRAPH_MAX_CONCURRENT_SYNCS", default_value_t = 4)]
    max_concurrent_syncs: usize,
    /// Do not mount the built-in sandbox PMSs (nor set up the first-run demo).
    #[arg(long, env = "PMSGRAPH_NO_SANDBOX")]
    no_sandbox: bool,
    /// What this process does: `api` (GraphQL only), `worker` (syncs, schedule, webhooks) or `all`.
    #[arg(long, env = "PMSGRAPH_ROLE", value_enum, default_value = "all")]
    role: pmsgraph::config::Role,
    /// How long a worker's claim on a job lasts without a heartbeat: a job whose process died is
    /// taken over this long after its last heartbeat.
    #[arg(long, env = "PMSGRAPH_JOB_LEASE_SECS", default_value_t = 60)]
    job_lease_secs: u64,
    /// Let PMS and webhook URLs reach private and loopback addresses (development and tests only:
    /// never in production, where it would let customers' URLs call into your network).
    #[arg(long, env = "PMSGRAPH_ALLOW_PRIVATE_URLS")]
    allow_private_urls: bool,
    #[command(flatten)]
    world: WorldArgs,
}

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
struct TokenArgs {
    #[command(subcommand)]
    action: Option<TokenAction>,
    #[command(flatten)]
    create: CreateToken,
}

#[derive(Args)]
struct CreateToken {
    #[command(flatten)]
    store: StoreArgs,
    /// The app's name; the app is created if it does not exist.
    #[arg(long)]
    app: Option<String>,
    /// sandbox or production.
    #[arg(long, default_value = "sandbox")]
    env: Environment,
    /// Lifetime in days.
    #[arg(long, default_value_t = 90)]
    ttl_days: u64,
    /// A note to recognise the token by in `token list`.
    #[arg(long)]
    label: Option<String>,
}

#[derive(Subcommand)]
enum TokenAction {
    /// List tokens (their ids, apps, environments, expiry; never the tokens themselves).
    List {
        #[command(flatten)]
        store: StoreArgs,
        /// Only this app's tokens.
        #[arg(long)]
        app: Option<String>,
    },
    /// Revoke a token by its id.
    Revoke {
        #[command(flatten)]
        store: StoreArgs,
        token_id: Uuid,
    },
}

impl StoreArgs {
    fn config(&self) -> Config {
        let mut config = Config::new(&self.data_dir);
        config.database_url = self.database_url.clone();
        config.tokens.keys = self.token_keys.clone();
        config.tokens.active_kid = self.token_active_kid.clone();
        config.master_keys.keys = self.master_keys.clone();
        config.master_keys.active_kid = self.master_active_kid.clone();
        config
    }

    async fn open(&self) -> anyhow::Result<(Config, Db)> {
        let config = self.config();
        let db = pmsgraph::open_database(&config).await?;
        Ok((config, db))
    }
}

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PMSGRAPH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    init_tracing(args.log_format);
    let mut config = args.store.config();
    config.bind = args.bind;
    config.cache.enabled = !args.no_cache;
    config.cache.ttl = Duration::from_secs(args.cache_ttl_secs);
    config.cache.max_bytes = args.cache_max_bytes;
    config.introspection = !args.no_introspection;
    config.worker.schedule.min_interval = Duration::from_secs(args.min_sync_interval_secs);
    config.worker.full_sync_every = Duration::from_secs(args.full_sync_every_secs);
    // Look for due integrations at least as often as the shortest interval allows them to come due.
    config.worker.schedule.tick =
        config.worker.schedule.tick.min(config.worker.schedule.min_interval).max(Duration::from_secs(1));
    config.worker.schedule.enabled = !args.no_scheduler;
    config.rate_limit.enabled = !args.no_rate_limit;
    config.rate_limit.per_second = args.rate_limit_per_second;
    config.rate_limit.burst = args.rate_limit_burst;
    config.worker.max_concurrent = args.max_concurrent_syncs.max(1);
    config.worker.lease = Duration::from_secs(args.job_lease_secs.max(3));
    config.role = args.role;
    config.allow_private_pms_urls = args.allow_private_urls;
    config.sandbox =
        SandboxConfig { enabled: !args.no_sandbox, seed: args.world.sandbox_seed, size: args.world.sandbox_size };
    let app = Application::build(config).await?;
    let addr = app.local_addr()?;
    let state = app.state();
    if state.config.role.serves_api() {
        tracing::info!(%addr, role = ?state.config.role, "pmsgraph is serving GraphQL at http://{addr}/graphql");
    } else {
        tracing::info!(%addr, "pmsgraph is running as a worker (syncs, schedule, webhooks); health at /healthz");
    }
    if state.sandbox.is_some() {
        tracing::info!("the built-in Entrata sandbox answers at {}", sandbox::entrata_url(addr));
        tracing::info!("the built-in Yardi sandbox answers at {}", sandbox::yardi_url(addr));
        tracing::info!("the built-in RealPage sandbox answers at {}", sandbox::realpage_url(addr));
        tracing::info!("the built-in Buildium sandbox answers at {}", sandbox::buildium_url(addr));
    }
    if state.sandbox.is_some()
        && state.config.role.serves_api()
        && let Some(demo) = sandbox::first_run(&state, addr).await?
    {
        print_first_run(&demo, addr);
        tokio::spawn(async move {
            if let Err(err) = sandbox::finish_first_run(&state, demo.integration_id).await {
                tracing::error!(error = %err, "the demo integration could not be enabled");
            }
        });
    }
    app.run_until(shutdown_signal()).await?;
    Ok(())
}

/// What a newcomer needs after the first start: a token and a query that shows the sandbox's data.
fn print_first_run(demo: &sandbox::Demo, addr: SocketAddr) {
    let query = r#"{"query":"{ properties(first: 3) { totalCount nodes { name timeZone units(first: 2) { nodes { number occupancy } } } } leases(first: 3, filter: {status: [CURRENT, NOTICE]}) { totalCount nodes { status startDate unit { number } residents { role resident { firstName lastName email } } } } }"}"#;
    let sandbox_url = sandbox::entrata_url(addr);
    let token = &demo.token;
    println!();
    println!("First start: a demo app with a sandbox customer connected to the built-in Entrata sandbox");
    println!("({sandbox_url}) is set up, and its first sync starts now.");
    println!();
    println!("A sandbox token for app \"{}\":", sandbox::DEMO_APP);
    println!();
    println!("{token}");
    println!();
    println!("Try a first query:");
    println!();
    println!("curl -s http://{addr}/graphql -H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' \\");
    println!("  -d '{query}'");
    println!();
}

async fn sandbox_command(action: SandboxAction) -> anyhow::Result<()> {
    match action {
        SandboxAction::Serve { store, world, bind, step } => {
            init_tracing(LogFormat::Text);
            let config = SandboxConfig { enabled: true, seed: world.sandbox_seed, size: world.sandbox_size };
            let state = match step {
                Some(step) => pmsgraph_sandbox::SandboxState::new(
                    config.seed,
                    config.size,
                    std::sync::Arc::new(pmsgraph_sandbox::MemoryStep::new(step)),
                ),
                None => sandbox::state(&store.open().await?.1, &config),
            };
            let listener = tokio::net::TcpListener::bind(bind).await?;
            let addr = listener.local_addr()?;
            // The first request would generate the world: do it now, so it is ready when we say so.
            let counts = state.world().await.counts();
            println!(
                "sandbox world: seed {}, size {}, step {}: {} properties, {} units, {} leases, {} people",
                config.seed,
                config.size,
                state.current_step().await,
                counts.properties,
                counts.units,
                counts.leases,
                counts.residents
            );
            println!("Yardi sandbox at {}", sandbox::yardi_url(addr));
            println!("RealPage sandbox at {}", sandbox::realpage_url(addr));
            println!("Buildium sandbox at {}", sandbox::buildium_url(addr));
            println!("Entrata sandbox at {}", sandbox::entrata_url(addr));
            axum::serve(listener, pmsgraph_sandbox::router(state)).with_graceful_shutdown(shutdown_signal()).await?;
        }
        SandboxAction::Advance { store, steps } => {
            let (_, db) = store.open().await?;
            let step = pmsgraph::store::sandbox::advance(&db, pmsgraph::store::sandbox::DEFAULT_WORLD, steps).await?;
            println!("the sandbox timeline is at step {step}");
        }
    }
    Ok(())
}

async fn sync_command(args: SyncArgs) -> anyhow::Result<()> {
    let (mut config, db) = args.store.open().await?;
    config.bind = args.bind;
    let vault = pmsgraph::vault(&config)?;
    let integration_id = match args.integration {
        Some(id) => id,
        None => {
            use pmsgraph::store::integrations::{ENABLED, with_status};
            let enabled = with_status(&db, ENABLED).await?;
            match &enabled[..] {
                [only] => only.id,
                [] => anyhow::bail!("no integration is enabled; name one with --integration ID"),
                _ => anyhow::bail!("{} integrations are enabled; name one with --integration ID", enabled.len()),
            }
        }
    };
    let scope = match args.property {
        Some(property) => pmsgraph_connector_core::SyncScope::Property { property },
        None => pmsgraph_connector_core::SyncScope::Integration,
    };
    let bar = indicatif::ProgressBar::new_spinner();
    bar.enable_steady_tick(Duration::from_millis(120));
    bar.set_message(format!("syncing integration {integration_id}"));
    let started = std::time::Instant::now();
    let rate = |records: u64| records as f64 / started.elapsed().as_secs_f64().max(1e-3);
    let progress = |counts: &pmsgraph::store::ingest::Counts| {
        let seen = counts.created + counts.updated + counts.unchanged;
        bar.set_message(format!(
            "{seen} records ({} created, {} updated, {} unchanged), {:.0} records/s",
            counts.created,
            counts.updated,
            counts.unchanged,
            rate(seen)
        ));
    };
    let outcome =
        pmsgraph::sync::engine::run_now(&db, &vault, &config.worker_config(), integration_id, scope, &progress).await?;
    bar.finish_and_clear();
    let counts = &outcome.counts;
    let seen = counts.created + counts.updated + counts.unchanged;
    println!(
        "{}: {seen} records in {:.1} s ({:.0} records/s): {} created, {} updated, {} unchanged, {} deleted",
        outcome.status,
        started.elapsed().as_secs_f64(),
        rate(seen),
        counts.created,
        counts.updated,
        counts.unchanged,
        outcome.deleted
    );
    for error in &outcome.errors {
        match &error.at {
            Some(at) => println!("  {} at {at}: {}", error.code, error.message),
            None => println!("  {}: {}", error.code, error.message),
        }
    }
    if outcome.status == pmsgraph::store::jobs::FAILED {
        anyhow::bail!("the sync failed");
    }
    Ok(())
}

async fn token(args: TokenArgs) -> anyhow::Result<()> {
    match args.action {
        None => {
            let create = args.create;
            let app = create.app.as_deref().context("`--app NAME` is required to mint a token")?;
            let (config, db) = create.store.open().await?;
            let tokens = pmsgraph::token_service(&config)?;
            let ttl = Duration::from_secs(create.ttl_days.saturating_mul(24 * 3600));
            let issued = tokens.issue(&db, app, create.env, Some(ttl), create.label).await?;
            eprintln!(
                "token {} for app {app} ({}), expires {}",
                issued.token_id,
                create.env,
                issued.expires_at.format("%Y-%m-%d %H:%M UTC")
            );
            println!("{}", issued.token);
        }
        Some(TokenAction::List { store, app }) => {
            let (_, db) = store.open().await?;
            let rows = auth::list(&db, app.as_deref()).await?;
            println!("{:<36}  {:<20}  {:<10}  {:<20}  {:<8}  LABEL", "TOKEN ID", "APP", "ENV", "EXPIRES", "STATE");
            let now = chrono::Utc::now();
            for (app, row) in rows {
                let state = if row.revoked_at.is_some() {
                    "revoked"
                } else if row.expires_at <= now {
                    "expired"
                } else {
                    "active"
                };
                println!(
                    "{:<36}  {:<20}  {:<10}  {:<20}  {:<8}  {}",
                    row.id,
                    app,
                    row.environment,
                    row.expires_at.format("%Y-%m-%d %H:%M"),
                    state,
                    row.label.unwrap_or_default()
                );
            }
        }
        Some(TokenAction::Revoke { store, token_id }) => {
            let (_, db) = store.open().await?;
            auth::revoke(&db, token_id).await?;
            println!("revoked {token_id}");
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Serve(args) => serve(args).await,
        Command::Migrate(store) => {
            store.open().await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Schema => {
            print!("{}", pmsgraph::schema_sdl());
            Ok(())
        }
        Command::Token(args) => token(args).await,
        Command::Sandbox { action } => sandbox_command(action).await,
        Command::Sync(args) => sync_command(args).await,
        Command::Bench { what: BenchWhat::Sync { size, seed, postgres, pms } } => {
            let options = pmsgraph::bench::BenchOptions { size, seed, postgres_admin_urls: postgres, pms };
            pmsgraph::bench::sync(options).await.map(drop)
        }
        Command::RotateKey(store) => {
            let (config, db) = store.open().await?;
            let vault = pmsgraph::vault(&config)?;
            let (resealed, current) = pmsgraph::store::customers::reseal_all(&db, &vault).await?;
            println!("re-encrypted {resealed} credentials under key {} ({current} already were)", vault.active_kid());
            Ok(())
        }
    }
}
