//! The foreign keys of the six synced tables (property, unit, unit_space, resident, lease,
//! lease_resident) become `DEFERRABLE INITIALLY DEFERRED`: checked when the writing transaction
//! commits instead of at the end of each statement.
//!
//! Why: SQLite must be able to undo a statement that fails halfway, so a multi-row statement that
//! can abort (an immediate foreign key can) first copies every page it is about to change into a
//! statement journal. A sync's 100-row inserts touch hundreds of index pages each, and that journal
//! was 70% of everything a large full sync wrote (14.8 GB written for a 1.1 GB database). With the
//! checks deferred, and new rows inserted `OR FAIL` (see `store::ingest`), no statement can abort
//! and the journal is never written. The integrity is the same: a violation fails the commit, and
//! the sync's batch is rolled back whole, as before. Cascading deletes still act at once.
//!
//! SQLite cannot alter a constraint, so its stored table definitions are edited in place, by the
//! procedure SQLite documents for changes that leave the file's content as it is ("Making Other
//! Kinds Of Table Schema Changes" in its ALTER TABLE page): in one transaction, rewrite the `sql`
//! of each table in `sqlite_schema` under `writable_schema`, and bump the schema version so that
//! every connection reloads the schema. No row is copied. PostgreSQL alters each constraint.
//!
//! One consequence on SQLite: an `INSERT .. RETURNING` outside a transaction (sea-orm's
//! `ActiveModel::insert`) of a row whose parent does not exist returns the row and no error, while
//! SQLite refuses and rolls it back once sqlx resets the statement after its first row: nothing is
//! stored, but the caller is not told. The sync writes in explicit transactions with plain
//! statements, and no other code inserts synced rows.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [&str; 6] = ["property", "unit", "unit_space", "resident", "lease", "lease_resident"];

/// How the initial migration's foreign keys end, on SQLite, and the same with the deferral.
const IMMEDIATE: &str = "ON UPDATE NO ACTION";
const DEFERRED: &str = "ON UPDATE NO ACTION DEFERRABLE INITIALLY DEFERRED";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        set_deferred(manager, true).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        set_deferred(manager, false).await
    }

    /// On SQLite the schema edit and the version bump must commit together.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}

async fn set_deferred(manager: &SchemaManager<'_>, deferred: bool) -> Result<(), DbErr> {
    let db = manager.get_connection();
    match manager.get_database_backend() {
        DbBackend::Sqlite => {
            let version = pragma_value(db, "PRAGMA schema_version").await?;
            let (from, to) = if deferred { (IMMEDIATE, DEFERRED) } else { (DEFERRED, IMMEDIATE) };
            db.execute_unprepared("PRAGMA writable_schema = ON").await?;
            for table in TABLES {
                // `replace` is idempotent only one way: strip the deferral before adding it.
                let sql = format!(
                    "UPDATE sqlite_schema SET sql = replace(replace(sql, '{DEFERRED}', '{IMMEDIATE}'), '{from}', '{to}') \
                     WHERE type = 'table' AND name = '{table}'"
                );
                db.execute_unprepared(&sql).await?;
            }
            db.execute_unprepared(&format!("PRAGMA schema_version = {}", version + 1)).await?;
            db.execute_unprepared("PRAGMA writable_schema = OFF").await?;
            for table in TABLES {
                check_sqlite_table(db, table, deferred).await?;
            }
            Ok(())
        }
        DbBackend::Postgres => {
            let timing = if deferred { "DEFERRABLE INITIALLY DEFERRED" } else { "NOT DEFERRABLE" };
            let tables = TABLES.map(|t| format!("'{t}'::regclass")).join(", ");
            db.execute_unprepared(&format!(
                "DO $$ DECLARE fk record; BEGIN \
                   FOR fk IN SELECT conrelid::regclass AS tbl, conname FROM pg_constraint \
                             WHERE contype = 'f' AND conrelid IN ({tables}) LOOP \
                     EXECUTE format('ALTER TABLE %s ALTER CONSTRAINT %I {timing}', fk.tbl, fk.conname); \
                   END LOOP; \
                 END $$"
            ))
            .await?;
            Ok(())
        }
        backend => Err(DbErr::Migration(format!("unsupported database backend {backend:?}"))),
    }
}

async fn pragma_value<C: ConnectionTrait>(db: &C, pragma: &str) -> Result<i64, DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(DbBackend::Sqlite, pragma))
        .await?
        .ok_or_else(|| DbErr::Migration(format!("`{pragma}` returned no row")))?;
    row.try_get_by_index(0)
}

/// Every foreign key of `table` is now as asked: the edit matched each of them, or the migration
/// fails (and its transaction rolls back) rather than leave a definition half changed.
async fn check_sqlite_table<C: ConnectionTrait>(db: &C, table: &str, deferred: bool) -> Result<(), DbErr> {
    let keys = pragma_value(db, &format!("SELECT count(*) FROM pragma_foreign_key_list('{table}')")).await?;
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            format!("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = '{table}'"),
        ))
        .await?
        .ok_or_else(|| DbErr::Migration(format!("table {table} is missing")))?;
    let sql: String = row.try_get_by_index(0)?;
    // Each key ends in IMMEDIATE, which the deferred ending contains.
    let found = sql.matches(DEFERRED).count() as i64;
    let expected = if deferred { keys } else { 0 };
    if found == expected && sql.matches(IMMEDIATE).count() as i64 == keys {
        Ok(())
    } else {
        Err(DbErr::Migration(format!(
            "table {table}: {found} of its {keys} foreign keys are deferred after the edit, expected {expected}"
        )))
    }
}
