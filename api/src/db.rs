//! Database connections: the embedded SQLite file (WAL, busy timeout, one writer path) or
//! PostgreSQL, chosen by URL; migrations run from here.
//!
//! [`Db`] holds two handles. On SQLite, `write` is a pool of exactly one connection, so every write
//! in the process queues on one path instead of failing with SQLITE_BUSY, while `read` serves
//! concurrent readers (WAL lets them run beside the writer). On PostgreSQL both are the same pool.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use pmsgraph_migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseBackend, DatabaseConnection, DbErr};

#[derive(Debug, Clone)]
pub struct Db {
    pub read: DatabaseConnection,
    pub write: DatabaseConnection,
    queries: Arc<AtomicU64>,
}

impl Db {
    pub async fn connect(url: &str) -> Result<Db, DbErr> {
        let queries = Arc::new(AtomicU64::new(0));
        if url.starts_with("sqlite:") {
            let mut write = Database::connect(sqlite_options(url, 1)).await?;
            let mut read = Database::connect(sqlite_options(url, 8)).await?;
            count_queries(&mut write, &queries);
            count_queries(&mut read, &queries);
            Ok(Db { read, write, queries })
        } else {
            let mut options = ConnectOptions::new(url.to_owned());
            options.max_connections(16).min_connections(1).acquire_timeout(Duration::from_secs(10)).sqlx_logging(false);
            let mut pool = Database::connect(options).await?;
            count_queries(&mut pool, &queries);
            Ok(Db { read: pool.clone(), write: pool, queries })
        }
    }

    pub fn backend(&self) -> DatabaseBackend {
        self.write.get_database_backend()
    }

    /// Applies every pending migration.
    pub async fn migrate(&self) -> Result<(), DbErr> {
        Migrator::up(&self.write, None).await
    }

    /// Statements executed through this handle since it was opened (reads and writes): a metric,
    /// and how tests prove that nested GraphQL fields are batched rather than run row by row.
    pub fn query_count(&self) -> u64 {
        self.queries.load(Ordering::Relaxed)
    }

    /// Readiness: can a query round-trip?
    pub async fn ping(&self) -> Result<(), DbErr> {
        self.read.ping().await
    }
}

fn count_queries(connection: &mut DatabaseConnection, counter: &Arc<AtomicU64>) {
    let counter = counter.clone();
    connection.set_metric_callback(move |_info| {
        counter.fetch_add(1, Ordering::Relaxed);
    });
}

fn sqlite_options(url: &str, connections: u32) -> ConnectOptions {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(30))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .create_if_missing(true)
        });
    options
}
