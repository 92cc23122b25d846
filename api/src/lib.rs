//! pmsgraph: one GraphQL API over every property management system.
//!
//! This crate is the `pmsgraph` binary's library: configuration, the database layer, tokens, the
//! service layer every write goes through ([`store`]), the response cache, the GraphQL schema and
//! the HTTP server. Tests build an [`server::Application`] from a [`config::Config`] on port 0.

pub mod access;
pub mod auth;
pub mod bench;
pub mod cache;
pub mod config;
pub mod connectors;
pub mod console;
pub mod db;
pub mod error;
pub mod events;
pub mod graphql;
pub mod keys;
pub mod onboarding;
pub mod rate_limit;
pub mod sandbox;
pub mod scope;
pub mod server;
pub mod store;
pub mod sync;
pub mod vault;
pub mod webhooks;

use auth::Tokens;
use config::Config;
use vault::Vault;

/// Opens the configured database and applies pending migrations. For the embedded default, the
/// data directory is created first.
pub async fn open_database(config: &Config) -> anyhow::Result<db::Db> {
    use anyhow::Context;
    if config.database_url.is_none() && !config.data_dir.exists() {
        // Residents' personal data lives here: only the owner may enter.
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&config.data_dir)
            .with_context(|| format!("cannot create the data directory {}", config.data_dir.display()))?;
    }
    let db = db::Db::connect(&config.database_url()).await.context("cannot open the database")?;
    db.migrate().await.context("cannot migrate the database")?;
    Ok(db)
}

/// The token service for a configuration: configured keys, else the embedded default's key file.
pub fn token_service(config: &Config) -> anyhow::Result<Tokens> {
    let tokens = &config.tokens;
    if tokens.keys.is_empty() {
        let material = keys::load_or_generate(&config.data_dir)?;
        Ok(Tokens::new(&material.tokens.keys, Some(&material.tokens.active), tokens.default_ttl)?)
    } else {
        Ok(Tokens::new(&tokens.keys, tokens.active_kid.as_deref(), tokens.default_ttl)?)
    }
}

/// The credential vault for a configuration: configured master keys, else the embedded default's.
pub fn vault(config: &Config) -> anyhow::Result<Vault> {
    let master = &config.master_keys;
    if master.keys.is_empty() {
        let material = keys::load_or_generate(&config.data_dir)?;
        Ok(Vault::new(&material.master.keys, Some(&material.master.active))?)
    } else {
        Ok(Vault::new(&master.keys, master.active_kid.as_deref())?)
    }
}

/// The GraphQL schema as SDL, as `pmsgraph schema` prints it and `schema.graphql` holds it.
pub fn schema_sdl() -> String {
    graphql::build_schema(&config::Limits::default(), true).sdl()
}
