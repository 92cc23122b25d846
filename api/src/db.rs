//! Database connections: the embedded SQLite file (WAL, busy timeout, one writer path) or
//! PostgreSQL, chosen by URL; migrations run from here.
//!
//! [`Db`] holds two handles. On SQLite, `write` is a pool of exactly one connection, so every write
//! in the process queues on one path instead of failing with SQLITE_BUSY, while `read` serves
//! concurrent readers (WAL lets them run beside the writer). On PostgreSQL both are the same pool.
//!
//! On SQLite a `Checkpointer` of its own copies committed pages from the WAL back into the
//! database file, so that the writer does not stop to do it (a checkpoint is a large share of a
//! sync's writing time, and it can run on the other core).

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
    /// SQLite only; stops when the last clone of the handle is dropped.
    checkpointer: Option<Arc<Checkpointer>>,
}

impl Db {
    pub async fn connect(url: &str) -> Result<Db, DbErr> {
        let queries = Arc::new(AtomicU64::new(0));
        if url.starts_with("sqlite:") {
            let mut write = Database::connect(sqlite_options(url, 1, WRITE_CACHE_KIB)).await?;
            let mut read = Database::connect(sqlite_options(url, 8, READ_CACHE_KIB)).await?;
            let checkpoints = Database::connect(sqlite_options(url, 1, READ_CACHE_KIB)).await?;
            // The checkpointer looks at the writer's own count to know whether anything was written.
            let writes = Arc::new(AtomicU64::new(0));
            count_queries(&mut write, &[&queries, &writes]);
            count_queries(&mut read, &[&queries]);
            let checkpointer = Some(Arc::new(Checkpointer::start(checkpoints, writes)));
            Ok(Db { read, write, queries, checkpointer })
        } else {
            let mut pool = Database::connect(postgres_options(url)).await?;
            count_queries(&mut pool, &[&queries]);
            Ok(Db { read: pool.clone(), write: pool, queries, checkpointer: None })
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

    /// Refreshes the query planner's statistics of the synced tables. Without them a planner takes
    /// `integration_id IN (...)`, which every tenant-scoped query carries, for the selective
    /// condition and walks a whole integration where an id or a parent id would find a few rows:
    /// on a 100,000-unit SQLite database a lookup of 20 units by id took 250 ms before and 0.25 ms
    /// after. Cheap: SQLite reads at most 1,000 entries of each index (`analysis_limit`),
    /// PostgreSQL samples each table. The sync worker calls it after every run that wrote at least a
    /// thousand rows, and a SQLite server at start.
    pub async fn analyze(&self) -> Result<(), DbErr> {
        use sea_orm::ConnectionTrait;
        match self.backend() {
            DatabaseBackend::Sqlite => {
                self.write.execute_unprepared("ANALYZE").await?;
            }
            _ => {
                let tables = "property, unit, unit_space, resident, lease, lease_resident, change_log, event";
                self.write.execute_unprepared(&format!("ANALYZE {tables}")).await?;
            }
        }
        Ok(())
    }

    /// Readiness: can a query round-trip?
    pub async fn ping(&self) -> Result<(), DbErr> {
        self.read.ping().await
    }
}

/// Counts every query of `connection` in each of `counters`.
fn count_queries(connection: &mut DatabaseConnection, counters: &[&Arc<AtomicU64>]) {
    let counters: Vec<Arc<AtomicU64>> = counters.iter().map(|c| Arc::clone(c)).collect();
    connection.set_metric_callback(move |_info| {
        for counter in &counters {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    });
}

/// Page cache of the one writing connection: a sync's lookups and upserts walk the same index
/// pages batch after batch, and once a large portfolio's indexes outgrow the cache every miss is a
/// read from the file.
const WRITE_CACHE_KIB: u32 = 32 * 1024;
/// Page cache of each reading connection (SQLite's default).
const READ_CACHE_KIB: u32 = 2 * 1024;

fn postgres_options(url: &str) -> ConnectOptions {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(16)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        // sqlx pings a connection on every checkout by default: a round trip before every query.
        // Only a connection idle long enough for a server, proxy or firewall to have dropped it
        // is pinged.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        // As on SQLite: large one-off upserts are not worth keeping prepared.
        .map_sqlx_postgres_opts(|opts| opts.statement_cache_capacity(16))
        // sqlx keeps a connection's socket buffers at the largest message it has sent or received
        // (a sync's multi-row upsert is megabytes) and never shrinks them by itself, in each of
        // up to 16 connections: each goes back to the pool with buffers of the default size.
        .map_sqlx_postgres_pool_opts(|opts| {
            opts.after_release(|connection, _| {
                Box::pin(async move {
                    sea_orm::sqlx::Connection::shrink_buffers(connection);
                    Ok(true)
                })
            })
        });
    options
}

fn sqlite_options(url: &str, connections: u32, cache_kib: u32) -> ConnectOptions {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(30))
        .sqlx_logging(false)
        // No ping on checkout (sqlx's default): a file's connection is not dropped by a peer,
        // and the ping is a round trip to the connection's worker thread before every query.
        .test_before_acquire(false)
        .map_sqlx_sqlite_opts(move |opts| {
            // 16 KiB pages (for new files; the default is 4 KiB): synced rows carry their raw PMS
            // record, often 1-3 KiB, and small pages split and overflow under them.
            opts.page_size(16_384)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .create_if_missing(true)
                // sqlx keeps 100 prepared statements per connection by default; a sync's upserts
                // are large and rarely repeat verbatim, and 100 of them held ~45 MB for nothing.
                .statement_cache_capacity(16)
                .pragma("cache_size", format!("-{cache_kib}"))
                // `ANALYZE` samples at most this many index entries (see `Db::analyze`).
                .pragma("analysis_limit", "1000")
                // The writer checkpoints by itself only when the WAL has grown this large (640 MB):
                // normally the `Checkpointer` has done it already, beside the writer. The WAL
                // file is not cut back while writes go on (SQLite's `journal_size_limit` is left
                // unset): a truncated WAL is grown again block by block by the next transactions,
                // and that made commits of a large sync a third slower. The checkpointer
                // truncates it once writing has stopped.
                .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES.to_string())
        });
    options
}

/// Pages in the WAL at which the writing connection checkpoints by itself.
const WAL_AUTOCHECKPOINT_PAGES: u32 = 40_000;
/// How often the checkpointer looks for new commits.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);
/// How long the writer must have been quiet before the checkpointer truncates the WAL file.
const TRUNCATE_WHEN_QUIET: Duration = Duration::from_secs(2);

/// Runs `PRAGMA wal_checkpoint(PASSIVE)` on a connection of its own whenever the writer has
/// written since the last pass. A passive checkpoint copies what no reader still needs and never
/// waits for the writer or readers, so it runs while the writer goes on; the writer restarts the
/// WAL from its beginning once a pass has caught up.
///
/// The WAL file keeps the size it grew to while writes go on (hundreds of MB in a large sync);
/// once the writer has been quiet for [`TRUNCATE_WHEN_QUIET`], one `wal_checkpoint(TRUNCATE)`
/// copies what is left and cuts the file to zero bytes. That mode waits for the writer and for
/// readers on older snapshots, which a quiet database has none of, or only for milliseconds.
#[derive(Debug)]
struct Checkpointer {
    task: tokio::task::JoinHandle<()>,
}

impl Checkpointer {
    fn start(connection: DatabaseConnection, writes: Arc<AtomicU64>) -> Checkpointer {
        let task = tokio::spawn(async move {
            let mut checkpointed = 0;
            let mut quiet_since = tokio::time::Instant::now();
            let mut truncated = true;
            loop {
                tokio::time::sleep(CHECKPOINT_EVERY).await;
                let written = writes.load(Ordering::Relaxed);
                if written != checkpointed {
                    if checkpoint(&connection, "PASSIVE").await {
                        checkpointed = written;
                        quiet_since = tokio::time::Instant::now();
                        truncated = false;
                    }
                } else if !truncated && quiet_since.elapsed() >= TRUNCATE_WHEN_QUIET {
                    truncated = checkpoint(&connection, "TRUNCATE").await;
                }
            }
        });
        Checkpointer { task }
    }
}

/// Runs one `PRAGMA wal_checkpoint(mode)`: whether it completed (SQLite reports a checkpoint
/// that could not finish for a busy writer or reader in its first column rather than as an error).
async fn checkpoint(connection: &DatabaseConnection, mode: &str) -> bool {
    use sea_orm::ConnectionTrait;
    let pragma = sea_orm::Statement::from_string(DatabaseBackend::Sqlite, format!("PRAGMA wal_checkpoint({mode})"));
    match connection.query_one_raw(pragma).await {
        Ok(row) => row.and_then(|row| row.try_get_by_index::<i32>(0).ok()) == Some(0),
        Err(err) => {
            tracing::debug!(error = %err, mode, "a WAL checkpoint did not run");
            false
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Db {
    /// Closes both handles (a checkpoint on SQLite), waiting for their connections to finish.
    pub async fn close(mut self) {
        drop(self.checkpointer.take());
        for connection in [self.read, self.write] {
            if let Err(err) = connection.close().await {
                tracing::warn!(error = %err, "closing the database");
            }
        }
    }
}

/// A throwaway PostgreSQL database made in a server reached through an admin URL: for tests and
/// benchmarks that must not touch anything else. [`ScratchDatabase::drop_now`] drops it; a value
/// dropped without it drops the database on a thread of its own.
pub struct ScratchDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl ScratchDatabase {
    /// Creates `{prefix}_{random}` in the server of `admin_url`.
    pub async fn create(admin_url: &str, prefix: &str) -> Result<ScratchDatabase, DbErr> {
        use sea_orm::ConnectionTrait;
        let admin = Database::connect(admin_url).await?;
        let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
        admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await?;
        admin.close().await?;
        let url = with_database(admin_url, &name);
        Ok(ScratchDatabase { admin_url: admin_url.to_owned(), name, url })
    }

    /// The URL of the scratch database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Drops the database now (closing whoever is still connected).
    pub async fn drop_now(mut self) -> Result<(), DbErr> {
        let result = drop_database(&self.admin_url, &self.name).await;
        self.name.clear();
        result
    }
}

async fn drop_database(admin_url: &str, name: &str) -> Result<(), DbErr> {
    use sea_orm::ConnectionTrait;
    let admin = Database::connect(admin_url).await?;
    admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await?;
    admin.close().await
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        if self.name.is_empty() {
            return;
        }
        // Drop may run inside an async runtime: do the async work on a thread with its own.
        let (admin_url, name) = (self.admin_url.clone(), std::mem::take(&mut self.name));
        let dropped = std::thread::spawn(move || {
            let runtime =
                tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
            runtime.block_on(drop_database(&admin_url, &name)).map_err(|e| e.to_string())
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            tracing::warn!("could not drop a scratch database");
        }
    }
}

/// `postgres://user@host:port/admin_db?opts` with the database name replaced.
fn with_database(admin_url: &str, name: &str) -> String {
    let (base, query) = admin_url.split_once('?').map_or((admin_url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..].find('/').map_or(base.len(), |i| scheme_end + i);
    let mut url = format!("{}/{name}", &base[..host_end]);
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    url
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_database_name_is_replaced_and_options_kept() {
        assert_eq!(
            super::with_database("postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "x"),
            "postgres://postgres@127.0.0.1:5432/x?sslmode=disable"
        );
        assert_eq!(super::with_database("postgres://h:1", "y"), "postgres://h:1/y");
    }

    /// The WAL keeps its size while writes go on and is cut to nothing once they stop.
    #[tokio::test]
    async fn the_wal_is_truncated_once_writing_stops() {
        use sea_orm::ConnectionTrait;
        let dir = tempfile::tempdir().expect("a temporary directory");
        let file = dir.path().join("t.db");
        let db = super::Db::connect(&format!("sqlite://{}?mode=rwc", file.display())).await.expect("connect");
        // Through `execute_raw`, which the checkpointer's count of writes sees, as it sees a sync's.
        let sql = |text: &str| sea_orm::Statement::from_string(db.backend(), text);
        db.write.execute_raw(sql("CREATE TABLE t (v BLOB)")).await.expect("create");
        for _ in 0..20 {
            db.write.execute_raw(sql("INSERT INTO t VALUES (randomblob(20000))")).await.expect("insert");
        }
        let wal = dir.path().join("t.db-wal");
        let size = || std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
        assert!(size() > 0, "the writes went to the WAL");
        let waited = std::time::Instant::now();
        while size() > 0 && waited.elapsed() < std::time::Duration::from_secs(20) {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(size(), 0, "the WAL is truncated after {:?} without writes", super::TRUNCATE_WHEN_QUIET);
        let rows = db.read.query_one_raw(sql("SELECT count(*) FROM t"));
        let count: i64 = rows.await.expect("count").expect("a row").try_get_by_index(0).expect("a number");
        assert_eq!(count, 20, "nothing written is lost by the truncation");
        db.close().await;
    }
}
