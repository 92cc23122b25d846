//! The `pmsgraph` command: serve the API, run migrations, print the schema, manage tokens.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use uuid::Uuid;

use pmsgraph::auth::{self, Environment, TokenKey};
use pmsgraph::config::Config;
use pmsgraph::db::Db;
use pmsgraph::server::Application;

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
    let app = Application::build(config).await?;
    let addr = app.local_addr()?;
    tracing::info!(%addr, "pmsgraph is serving GraphQL at http://{addr}/graphql");
    app.run_until(shutdown_signal()).await?;
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
        Command::RotateKey(store) => {
            let (config, db) = store.open().await?;
            let vault = pmsgraph::vault(&config)?;
            let (resealed, current) = pmsgraph::store::customers::reseal_all(&db, &vault).await?;
            println!("re-encrypted {resealed} credentials under key {} ({current} already were)", vault.active_kid());
            Ok(())
        }
    }
}
