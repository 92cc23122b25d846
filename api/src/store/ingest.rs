//! Storing normalized records for one integration: the write half of the sync engine.
//!
//! Records are diffed against the stored rows by content hash: a new remote id is inserted, a changed
//! hash (or a row that had been remote-deleted and came back) is updated in place, keeping its id, and
//! an unchanged row is not written at all. Writes are multi-row inserts (as many rows as the
//! bound-parameter limit allows on PostgreSQL, a fixed 100 on SQLite, see `rows_per_statement`):
//! `INSERT .. ON CONFLICT (integration_id, remote_id) DO UPDATE` for stored rows (and every row on
//! PostgreSQL), `INSERT OR FAIL` for new rows on SQLite (see [`OnStored`]), in one transaction
//! per call, which also bumps the integration's data generation when anything changed. Content
//! hashes come with the records ([`Hashed`]), computed by the caller.
//!
//! Parents are written before children (properties, units and their spaces, residents, leases and
//! their people) and references are resolved by remote id within the integration. A record whose
//! parent is unknown is skipped and reported, never stored half-linked; the rest of the batch stands.
//!
//! Columns the app owns (a property's time-zone override and access times) are never written here:
//! an upsert sets exactly the columns a row lists, so those keep their value.
//!
//! Rows go to the database as plain values built straight from the normalized records (no entity
//! models or query builder in between; [`insert_sql`] writes the statement text), and a record's
//! raw PMS data as the JSON text it arrived in (cast to `jsonb` on PostgreSQL).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, IdenStatic, QueryFilter, QueryOrder, QuerySelect, Set,
    Statement, TransactionTrait, Value as SqlValue,
};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use pmsgraph_connector_core::{
    ContentHash, NormalizedLease, NormalizedLeaseResident, NormalizedProperty, NormalizedRecord, NormalizedResident,
    NormalizedUnit, NormalizedUnitSpace, RecordKind, RemoteData, hash_with_parent,
};
use pmsgraph_entity::{change_log, lease, lease_resident, property, resident, unit, unit_space};

use super::{StoreError, bump_integration, now};
use crate::db::Db;

/// Stay well under SQLite's 32,766 and PostgreSQL's 65,535 bound parameters per statement.
pub(crate) const MAX_PARAMS: usize = 30_000;
/// Remote ids per lookup query.
const LOOKUP_CHUNK: usize = 1_000;
/// Rows per upsert statement on SQLite. SQLite compiles every row of a multi-row `VALUES` into its
/// program, so a statement of the parameter limit's 1,700 rows took milliseconds to parse and
/// megabytes to keep in the statement cache. At a fixed, modest size the statement text repeats,
/// is parsed once per connection and stays cached, and a full upsert costs nothing to prepare.
const SQLITE_ROWS_PER_STATEMENT: usize = 100;

/// Rows per upsert statement of `columns` columns: as many as the parameter limit allows on
/// PostgreSQL, where each statement is a round trip to the server; [`SQLITE_ROWS_PER_STATEMENT`] on
/// SQLite, where it is a call into the library.
fn rows_per_statement(backend: DbBackend, columns: usize) -> usize {
    let limit = (MAX_PARAMS / columns.max(1)).max(1);
    match backend {
        DbBackend::Sqlite => limit.min(SQLITE_ROWS_PER_STATEMENT),
        _ => limit,
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}

impl Counts {
    pub fn add(&mut self, other: Counts) {
        self.created += other.created;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
    }

    pub fn written(&self) -> u64 {
        self.created + self.updated
    }
}

/// A record that could not be stored, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordError {
    pub kind: RecordKind,
    pub remote_id: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IngestReport {
    pub counts: Counts,
    pub errors: Vec<RecordError>,
}

/// A synced table, as the generic diff-and-upsert code sees it.
pub(crate) trait Synced: EntityTrait {
    const KIND: RecordKind;
    fn col_id() -> Self::Column;
    fn col_integration() -> Self::Column;
    fn col_remote_id() -> Self::Column;
    fn col_remote_data() -> Self::Column;
    fn col_hash() -> Self::Column;
    fn col_created() -> Self::Column;
    fn col_updated() -> Self::Column;
    fn col_deleted() -> Self::Column;
    fn id_of(row: &Self::Model) -> Uuid;
    fn remote_id_of(row: &Self::Model) -> String;
}

macro_rules! synced {
    ($m:ident, $kind:expr) => {
        impl Synced for $m::Entity {
            const KIND: RecordKind = $kind;
            fn col_id() -> Self::Column {
                $m::Column::Id
            }
            fn col_integration() -> Self::Column {
                $m::Column::IntegrationId
            }
            fn col_remote_id() -> Self::Column {
                $m::Column::RemoteId
            }
            fn col_remote_data() -> Self::Column {
                $m::Column::RemoteData
            }
            fn col_hash() -> Self::Column {
                $m::Column::ContentHash
            }
            fn col_created() -> Self::Column {
                $m::Column::CreatedAt
            }
            fn col_updated() -> Self::Column {
                $m::Column::UpdatedAt
            }
            fn col_deleted() -> Self::Column {
                $m::Column::RemoteDeletedAt
            }
            fn id_of(row: &Self::Model) -> Uuid {
                row.id
            }
            fn remote_id_of(row: &Self::Model) -> String {
                row.remote_id.clone()
            }
        }
    };
}

synced!(property, RecordKind::Property);
synced!(unit, RecordKind::Unit);
synced!(unit_space, RecordKind::UnitSpace);
synced!(resident, RecordKind::Resident);
synced!(lease, RecordKind::Lease);
synced!(lease_resident, RecordKind::LeaseResident);

/// One row to write: every column it sets, with its value. Columns it does not list keep their
/// stored value on update (the app-owned ones) and take their default on insert.
struct Row<E: EntityTrait> {
    id: Uuid,
    remote_id: String,
    values: Vec<(E::Column, SqlValue)>,
}

/// How an insert meets a row already stored under its `(integration_id, remote_id)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OnStored {
    /// Overwrite it (`ON CONFLICT .. DO UPDATE`): for rows the plan found stored, and for every row
    /// on PostgreSQL, where another process could have stored one since the plan looked.
    Update,
    /// Fail (`INSERT OR FAIL`, SQLite): for rows the plan found new. The one writing connection
    /// looked inside this same transaction, so none can be stored. Unlike an upsert, such a
    /// statement can never abort halfway (the synced tables' foreign keys are checked at commit),
    /// so SQLite does not copy every page it touches into a statement journal first: that copy
    /// was 70% of what a large full sync wrote.
    Fail,
}

/// The text of a multi-row insert of `rows` rows into `table`. Raw PMS data (`json_column`) is
/// bound as JSON text, which PostgreSQL must be told is `jsonb`. Row counts repeat (full chunks),
/// so the text does too, and the connection's statement cache finds it prepared.
fn insert_sql(
    backend: DbBackend,
    table: &str,
    columns: &[&str],
    overwritten: &[&str],
    json_column: Option<usize>,
    rows: usize,
    on_stored: OnStored,
) -> String {
    use std::fmt::Write;
    let verb = match on_stored {
        OnStored::Fail => "INSERT OR FAIL INTO",
        OnStored::Update => "INSERT INTO",
    };
    let names: Vec<String> = columns.iter().map(|c| format!("\"{c}\"")).collect();
    let mut sql = String::with_capacity(64 + rows * columns.len() * 8);
    let _ = write!(sql, "{verb} \"{table}\" ({}) VALUES ", names.join(", "));
    let mut param = 0;
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..columns.len() {
            if column > 0 {
                sql.push_str(", ");
            }
            param += 1;
            match (backend, json_column == Some(column)) {
                (DbBackend::Postgres, true) => _ = write!(sql, "CAST(${param} AS jsonb)"),
                (DbBackend::Postgres, false) => _ = write!(sql, "${param}"),
                _ => sql.push('?'),
            }
        }
        sql.push(')');
    }
    if on_stored == OnStored::Update {
        let set: Vec<String> = overwritten.iter().map(|c| format!("\"{c}\" = \"excluded\".\"{c}\"")).collect();
        let _ = write!(sql, " ON CONFLICT (\"integration_id\", \"remote_id\") DO UPDATE SET {}", set.join(", "));
    }
    sql
}

/// The stored state of one row, as far as diffing needs it.
struct Stored {
    id: Uuid,
    hash: String,
    deleted: bool,
}

/// Whether and how a record must be written.
struct Plan<'a, R> {
    record: &'a R,
    remote_id: String,
    hash: String,
    id: Uuid,
}

/// Remote id -> pmsgraph id for rows of one table, whether written in this batch or not.
type Ids = HashMap<String, Uuid>;

async fn stored<E: Synced, C: ConnectionTrait>(
    db: &C,
    integration_id: Uuid,
    remote_ids: &[&str],
) -> Result<HashMap<String, Stored>, DbErr> {
    if db.get_database_backend() == DbBackend::Sqlite {
        return stored_sqlite::<E, _>(db, integration_id, remote_ids).await;
    }
    let mut found = HashMap::with_capacity(remote_ids.len());
    for chunk in remote_ids.chunks(LOOKUP_CHUNK) {
        let rows: Vec<(Uuid, String, String, Option<DateTime<Utc>>)> = E::find()
            .select_only()
            .column(E::col_id())
            .column(E::col_remote_id())
            .column(E::col_hash())
            .column(E::col_deleted())
            .filter(E::col_integration().eq(integration_id))
            .filter(E::col_remote_id().is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        for (id, remote_id, hash, deleted) in rows {
            found.insert(remote_id, Stored { id, hash, deleted: deleted.is_some() });
        }
    }
    Ok(found)
}

/// [`stored`] on SQLite: the remote ids go in as one JSON array and the rows come back as one
/// JSON array, `[[remote_id, hex(id), content_hash, deleted], ..]`. The statement's text never
/// changes, so it stays prepared, and a thousand rows cross from the database's thread in one
/// value instead of one message each (a no-change re-sync's lookups had spent more time in those
/// hand-offs than in SQLite).
async fn stored_sqlite<E: Synced, C: ConnectionTrait>(
    db: &C,
    integration_id: Uuid,
    remote_ids: &[&str],
) -> Result<HashMap<String, Stored>, DbErr> {
    let sql = format!(
        "SELECT json_group_array(json_array({remote}, hex({id}), {hash}, {deleted} IS NOT NULL)) FROM {table} \
         WHERE {integration} = ? AND {remote} IN (SELECT value FROM json_each(?))",
        table = E::default().table_name(),
        remote = E::col_remote_id().as_str(),
        id = E::col_id().as_str(),
        hash = E::col_hash().as_str(),
        deleted = E::col_deleted().as_str(),
        integration = E::col_integration().as_str(),
    );
    let invalid = |err: String| DbErr::Type(format!("stored rows of {}: {err}", E::default().table_name()));
    let mut found = HashMap::with_capacity(remote_ids.len());
    for chunk in remote_ids.chunks(LOOKUP_CHUNK) {
        let wanted = serde_json::to_string(chunk).map_err(|err| invalid(err.to_string()))?;
        let values = [SqlValue::from(integration_id), SqlValue::from(wanted)];
        let statement = Statement::from_sql_and_values(DbBackend::Sqlite, sql.as_str(), values);
        let Some(result) = db.query_one_raw(statement).await? else { continue };
        let rows: String = result.try_get_by_index(0)?;
        let rows: Vec<(String, String, String, u8)> =
            serde_json::from_str(&rows).map_err(|err| invalid(err.to_string()))?;
        for (remote_id, id, hash, deleted) in rows {
            let id = Uuid::try_parse(&id).map_err(|err| invalid(err.to_string()))?;
            found.insert(remote_id, Stored { id, hash, deleted: deleted != 0 });
        }
    }
    Ok(found)
}

/// Ids of already-stored rows referenced by remote id (parents not in this batch).
async fn resolve<E: Synced, C: ConnectionTrait>(
    db: &C,
    integration_id: Uuid,
    known: &mut Ids,
    wanted: Vec<&str>,
) -> Result<(), DbErr> {
    let mut missing: Vec<&str> = wanted.into_iter().filter(|r| !known.contains_key(*r)).collect();
    missing.sort_unstable();
    missing.dedup();
    for (remote_id, row) in stored::<E, _>(db, integration_id, &missing).await? {
        known.insert(remote_id, row.id);
    }
    Ok(())
}

/// Diffs records against stored rows: returns the rows to write, and records every id in `ids`.
async fn plan<'a, E: Synced, C: ConnectionTrait, R>(
    db: &C,
    integration_id: Uuid,
    items: Vec<(String, String, &'a R)>,
    ids: &mut Ids,
    counts: &mut Counts,
    updated: &mut HashSet<Uuid>,
) -> Result<Vec<Plan<'a, R>>, DbErr> {
    // A remote id delivered twice in one batch: the last delivery wins.
    let mut latest: HashMap<&str, usize> = HashMap::with_capacity(items.len());
    for (index, (remote_id, _, _)) in items.iter().enumerate() {
        latest.insert(remote_id.as_str(), index);
    }
    let remote_ids: Vec<&str> = latest.keys().copied().collect();
    let existing = stored::<E, _>(db, integration_id, &remote_ids).await?;
    let keep: Vec<bool> = (0..items.len()).map(|i| latest.get(items[i].0.as_str()) == Some(&i)).collect();
    let mut writes = Vec::new();
    for ((remote_id, hash, record), keep) in items.into_iter().zip(keep) {
        if !keep {
            continue;
        }
        let id = match existing.get(&remote_id) {
            Some(row) if row.hash == hash && !row.deleted => {
                counts.unchanged += 1;
                ids.insert(remote_id, row.id);
                continue;
            }
            Some(row) => {
                counts.updated += 1;
                updated.insert(row.id);
                row.id
            }
            None => {
                counts.created += 1;
                Uuid::now_v7()
            }
        };
        ids.insert(remote_id.clone(), id);
        writes.push(Plan { record, remote_id, hash, id });
    }
    Ok(writes)
}

/// Whether and where a write records its changes in the change log.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChangeContext {
    /// The sync job the changes belong to.
    pub sync_job_id: Option<Uuid>,
    /// Log created rows too. Off for an integration's first full sync: its creations are the
    /// initial state, not a flood of changes.
    pub log_creations: bool,
}

pub const CREATED: &str = "CREATED";
pub const UPDATED: &str = "UPDATED";
pub const REMOTE_DELETED: &str = "REMOTE_DELETED";

/// Columns that change with every write, or never: not reported as changed fields.
const UNREPORTED: [&str; 6] = ["id", "integration_id", "remote_id", "content_hash", "created_at", "updated_at"];

/// Where [`write`] records what it changed.
struct Log<'a> {
    integration_id: Uuid,
    at: DateTime<Utc>,
    ctx: ChangeContext,
    /// Ids of rows that existed before this write (the rest are created).
    updated: &'a HashSet<Uuid>,
    out: &'a mut Vec<change_log::ActiveModel>,
}

impl Log<'_> {
    fn push(&mut self, kind: RecordKind, record_id: Uuid, remote_id: String, change: &str, fields: Value) {
        self.out.push(change_log::ActiveModel {
            id: Set(Uuid::now_v7()),
            integration_id: Set(self.integration_id),
            sync_job_id: Set(self.ctx.sync_job_id),
            record_kind: Set(kind.as_str().to_owned()),
            record_id: Set(record_id),
            remote_id: Set(remote_id),
            change: Set(change.to_owned()),
            fields: Set(fields),
            created_at: Set(self.at),
        });
    }
}

/// `{field: {"old": .., "new": ..}}` for every reported field that differs.
fn changed_fields(old: &Value, new: &Value) -> Value {
    let mut fields = serde_json::Map::new();
    if let (Some(old), Some(new)) = (old.as_object(), new.as_object()) {
        for (name, value) in new {
            if UNREPORTED.contains(&name.as_str()) {
                continue;
            }
            let before = old.get(name).unwrap_or(&Value::Null);
            if before != value {
                fields.insert(name.clone(), serde_json::json!({ "old": before, "new": value }));
            }
        }
    }
    Value::Object(fields)
}

/// Rows by id, as JSON objects of their columns (for the change log's old and new values).
async fn snapshot<E, C>(db: &C, ids: &[Uuid]) -> Result<HashMap<Uuid, (String, Value)>, DbErr>
where
    E: Synced,
    E::Model: Serialize,
    C: ConnectionTrait,
{
    let mut rows = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(LOOKUP_CHUNK) {
        for row in E::find().filter(E::col_id().is_in(chunk.iter().copied())).all(db).await? {
            let json = serde_json::to_value(&row).unwrap_or_default();
            rows.insert(E::id_of(&row), (E::remote_id_of(&row), json));
        }
    }
    Ok(rows)
}

/// Writes planned rows in chunked inserts, and logs each change: a creation (when the context asks
/// for creations), or an update with the old and new values of the fields it changed, read from the
/// stored row before and after the write.
async fn write<E, C>(db: &C, rows: Vec<Row<E>>, mut log: Log<'_>) -> Result<(), DbErr>
where
    E: Synced,
    E::Model: Serialize,
    C: ConnectionTrait,
{
    let Some(first) = rows.first() else { return Ok(()) };
    let columns: Vec<&str> = first.values.iter().map(|(column, _)| column.as_str()).collect();
    let identity = [E::col_id(), E::col_integration(), E::col_remote_id(), E::col_created()].map(|c| c.as_str());
    let overwritten: Vec<&str> = columns.iter().copied().filter(|column| !identity.contains(column)).collect();
    let json_column = columns.iter().position(|column| *column == E::col_remote_data().as_str());
    let backend = db.get_database_backend();
    let table = E::default().table_name();
    // Moves the rows' values into the statement; keeps their ids for the change log.
    let statement = |rows: Vec<Row<E>>, on_stored: OnStored| {
        let sql = insert_sql(backend, table, &columns, &overwritten, json_column, rows.len(), on_stored);
        let mut values = Vec::with_capacity(rows.len() * columns.len());
        let mut written = Vec::with_capacity(rows.len());
        for row in rows {
            values.extend(row.values.into_iter().map(|(_, value)| value));
            written.push((row.id, row.remote_id));
        }
        (Statement::from_sql_and_values(backend, sql, values), written)
    };
    let per_chunk = rows_per_statement(backend, columns.len());
    let (replaced, created): (Vec<Row<E>>, Vec<Row<E>>) =
        rows.into_iter().partition(|row| log.updated.contains(&row.id));

    let on_new = if backend == DbBackend::Sqlite { OnStored::Fail } else { OnStored::Update };
    let mut created = created.into_iter().peekable();
    while created.peek().is_some() {
        let chunk: Vec<Row<E>> = created.by_ref().take(per_chunk).collect();
        let (insert, written) = statement(chunk, on_new);
        db.execute_raw(insert).await?;
        if log.ctx.log_creations {
            for (id, remote_id) in written {
                log.push(E::KIND, id, remote_id, CREATED, Value::Object(Default::default()));
            }
        }
    }
    let mut replaced = replaced.into_iter().peekable();
    while replaced.peek().is_some() {
        let chunk: Vec<Row<E>> = replaced.by_ref().take(per_chunk).collect();
        let (upsert, written) = statement(chunk, OnStored::Update);
        let ids: Vec<Uuid> = written.iter().map(|(id, _)| *id).collect();
        let before = snapshot::<E, _>(db, &ids).await?;
        db.execute_raw(upsert).await?;
        let after = snapshot::<E, _>(db, &ids).await?;
        for id in ids {
            if let (Some((_, old)), Some((remote_id, new))) = (before.get(&id), after.get(&id)) {
                log.push(E::KIND, id, remote_id.clone(), UPDATED, changed_fields(old, new));
            }
        }
    }
    Ok(())
}

/// Inserts logged changes in chunks.
async fn insert_changes<C: ConnectionTrait>(db: &C, changes: Vec<change_log::ActiveModel>) -> Result<(), DbErr> {
    let per_chunk = MAX_PARAMS / 9;
    let mut changes = changes.into_iter().peekable();
    while changes.peek().is_some() {
        let chunk: Vec<_> = changes.by_ref().take(per_chunk).collect();
        change_log::Entity::insert_many(chunk).exec_without_returning(db).await?;
    }
    Ok(())
}

/// Marks rows of one kind as deleted at the PMS (`remote_deleted_at`), in one transaction, and
/// logs each; rows already marked keep their first deletion time. The sync engine calls this only
/// after a complete, successful full sync no longer saw them. Returns how many rows were marked.
pub async fn mark_remote_deleted(
    db: &Db,
    integration_id: Uuid,
    kind: RecordKind,
    remote_ids: &[String],
    ctx: ChangeContext,
) -> Result<u64, StoreError> {
    let txn = db.write.begin().await?;
    let at = now();
    let mut changes = Vec::new();
    let log = Log { integration_id, at, ctx, updated: &HashSet::new(), out: &mut changes };
    let marked = match kind {
        RecordKind::Property => tombstone::<property::Entity, _>(&txn, integration_id, remote_ids, log).await?,
        RecordKind::Unit => tombstone::<unit::Entity, _>(&txn, integration_id, remote_ids, log).await?,
        RecordKind::UnitSpace => tombstone::<unit_space::Entity, _>(&txn, integration_id, remote_ids, log).await?,
        RecordKind::Resident => tombstone::<resident::Entity, _>(&txn, integration_id, remote_ids, log).await?,
        RecordKind::Lease => tombstone::<lease::Entity, _>(&txn, integration_id, remote_ids, log).await?,
        RecordKind::LeaseResident => {
            tombstone::<lease_resident::Entity, _>(&txn, integration_id, remote_ids, log).await?
        }
    };
    insert_changes(&txn, changes).await?;
    if marked > 0 {
        bump_integration(&txn, integration_id).await?;
    }
    txn.commit().await?;
    Ok(marked)
}

async fn tombstone<E: Synced, C: ConnectionTrait>(
    db: &C,
    integration_id: Uuid,
    remote_ids: &[String],
    mut log: Log<'_>,
) -> Result<u64, DbErr> {
    let mut marked = 0;
    for chunk in remote_ids.chunks(LOOKUP_CHUNK) {
        let rows: Vec<(Uuid, String)> = E::find()
            .select_only()
            .column(E::col_id())
            .column(E::col_remote_id())
            .filter(E::col_integration().eq(integration_id))
            .filter(E::col_remote_id().is_in(chunk.iter().map(String::as_str)))
            .filter(E::col_deleted().is_null())
            .into_tuple()
            .all(db)
            .await?;
        if rows.is_empty() {
            continue;
        }
        let result = E::update_many()
            .col_expr(E::col_deleted(), Expr::value(log.at))
            .col_expr(E::col_updated(), Expr::value(log.at))
            .filter(E::col_id().is_in(rows.iter().map(|(id, _)| *id)))
            .exec(db)
            .await?;
        marked += result.rows_affected;
        for (id, remote_id) in rows {
            log.push(E::KIND, id, remote_id, REMOTE_DELETED, Value::Object(Default::default()));
        }
    }
    Ok(marked)
}

/// Live rows read per query by [`scan_live`].
const SCAN_PAGE: u64 = 10_000;

/// Reads an integration's rows of `E` that are not marked deleted, a page at a time in id order,
/// and hands each page to `each`: a large portfolio's rows are never all held at once. `columns`
/// are selected into `R`, whose id `id_of` finds (the id must be among them).
pub(crate) async fn scan_live<E, R>(
    db: &Db,
    integration_id: Uuid,
    columns: &[E::Column],
    id_of: impl Fn(&R) -> Uuid,
    mut each: impl FnMut(Vec<R>),
) -> Result<(), DbErr>
where
    E: Synced,
    R: sea_orm::TryGetableMany,
{
    let mut after: Option<Uuid> = None;
    loop {
        let mut page = E::find()
            .select_only()
            .columns(columns.iter().copied())
            .filter(E::col_integration().eq(integration_id))
            .filter(E::col_deleted().is_null());
        if let Some(after) = after {
            page = page.filter(E::col_id().gt(after));
        }
        let rows: Vec<R> = page.order_by_asc(E::col_id()).limit(SCAN_PAGE).into_tuple().all(&db.read).await?;
        let Some(last) = rows.last() else { break };
        after = Some(id_of(last));
        let full = rows.len() as u64 == SCAN_PAGE;
        each(rows);
        if !full {
            break;
        }
    }
    Ok(())
}

/// Remote ids of the rows of one kind that are not marked deleted and that `seen` does not know
/// (for the engine's tombstone pass). Only the unseen ids are ever held ([`scan_live`]): a large
/// portfolio's ids all at once took tens of megabytes.
pub async fn unseen_remote_ids(
    db: &Db,
    integration_id: Uuid,
    kind: RecordKind,
    seen: impl Fn(&str) -> bool,
) -> Result<Vec<String>, StoreError> {
    async fn of<E: Synced>(db: &Db, integration_id: Uuid, seen: impl Fn(&str) -> bool) -> Result<Vec<String>, DbErr> {
        let mut unseen = Vec::new();
        scan_live::<E, (Uuid, String)>(
            db,
            integration_id,
            &[E::col_id(), E::col_remote_id()],
            |row| row.0,
            |rows| unseen.extend(rows.into_iter().map(|(_, remote_id)| remote_id).filter(|id| !seen(id))),
        )
        .await?;
        Ok(unseen)
    }
    Ok(match kind {
        RecordKind::Property => of::<property::Entity>(db, integration_id, seen).await?,
        RecordKind::Unit => of::<unit::Entity>(db, integration_id, seen).await?,
        RecordKind::UnitSpace => of::<unit_space::Entity>(db, integration_id, seen).await?,
        RecordKind::Resident => of::<resident::Entity>(db, integration_id, seen).await?,
        RecordKind::Lease => of::<lease::Entity>(db, integration_id, seen).await?,
        RecordKind::LeaseResident => of::<lease_resident::Entity>(db, integration_id, seen).await?,
    })
}

/// A record with its content hashes, computed before the write: the sync engine hashes each page
/// on the reading side, in parallel with the writing of the batch before it.
pub struct Hashed {
    pub record: NormalizedRecord,
    /// The record's own hash.
    hash: String,
    /// A unit's spaces' or a lease's people's hashes, in their order.
    children: Vec<String>,
}

impl Hashed {
    pub fn new(record: NormalizedRecord) -> Hashed {
        let (hash, children) = match &record {
            NormalizedRecord::Property(p) => (p.content_hash(), Vec::new()),
            NormalizedRecord::Unit(u) => (
                u.content_hash(),
                u.spaces.iter().map(|space| hash_with_parent(&space.content_hash(), &u.remote_id)).collect(),
            ),
            NormalizedRecord::Resident(r) => (r.content_hash(), Vec::new()),
            NormalizedRecord::Lease(l) => (l.content_hash(), l.residents.iter().map(|p| p.content_hash()).collect()),
        };
        Hashed { record, hash, children }
    }
}

/// Stores a batch of normalized records for one integration, in one transaction, logging updates
/// (not creations) outside any sync job.
pub async fn apply(db: &Db, integration_id: Uuid, records: &[NormalizedRecord]) -> Result<IngestReport, StoreError> {
    let hashed: Vec<Hashed> = records.iter().cloned().map(Hashed::new).collect();
    apply_with(db, integration_id, &hashed, ChangeContext::default()).await
}

/// [`apply`], with the change log's context.
pub async fn apply_with(
    db: &Db,
    integration_id: Uuid,
    records: &[Hashed],
    ctx: ChangeContext,
) -> Result<IngestReport, StoreError> {
    let mut properties = Vec::new();
    let mut units = Vec::new();
    let mut residents = Vec::new();
    let mut leases = Vec::new();
    for hashed in records {
        match &hashed.record {
            NormalizedRecord::Property(p) => properties.push((p, hashed)),
            NormalizedRecord::Unit(u) => units.push((u, hashed)),
            NormalizedRecord::Resident(r) => residents.push((r, hashed)),
            NormalizedRecord::Lease(l) => leases.push((l, hashed)),
        }
    }
    let txn = db.write.begin().await?;
    let mut writer = Writer {
        txn: &txn,
        integration_id,
        at: now(),
        report: IngestReport::default(),
        ctx,
        updated: HashSet::new(),
        changes: Vec::new(),
    };
    let property_ids = writer.properties(&properties).await?;
    let (unit_ids, space_ids) = writer.units(&units, property_ids.clone()).await?;
    let resident_ids = writer.residents(&residents).await?;
    writer.leases(&leases, property_ids, unit_ids, space_ids, resident_ids).await?;
    let report = writer.report;
    insert_changes(&txn, writer.changes).await?;
    if report.counts.written() > 0 {
        bump_integration(&txn, integration_id).await?;
    }
    txn.commit().await?;
    Ok(report)
}

struct Writer<'t, C> {
    txn: &'t C,
    integration_id: Uuid,
    at: DateTime<Utc>,
    report: IngestReport,
    ctx: ChangeContext,
    updated: HashSet<Uuid>,
    changes: Vec<change_log::ActiveModel>,
}

impl<C: ConnectionTrait> Writer<'_, C> {
    fn log(&mut self) -> Log<'_> {
        Log {
            integration_id: self.integration_id,
            at: self.at,
            ctx: self.ctx,
            updated: &self.updated,
            out: &mut self.changes,
        }
    }

    /// [`plan`] for this writer's integration, counting into its report.
    async fn plan_rows<'a, E: Synced, R>(
        &mut self,
        items: Vec<(String, String, &'a R)>,
        ids: &mut Ids,
    ) -> Result<Vec<Plan<'a, R>>, DbErr> {
        plan::<E, _, R>(self.txn, self.integration_id, items, ids, &mut self.report.counts, &mut self.updated).await
    }

    /// A planned row: the common synced columns, then the table's own.
    fn row<E: Synced, R>(
        &self,
        plan: Plan<'_, R>,
        raw: &RemoteData,
        own: impl IntoIterator<Item = (E::Column, SqlValue)>,
    ) -> Row<E> {
        let mut values = vec![
            (E::col_id(), SqlValue::from(plan.id)),
            (E::col_integration(), SqlValue::from(self.integration_id)),
            (E::col_remote_id(), SqlValue::from(plan.remote_id.as_str())),
            (E::col_remote_data(), SqlValue::from(raw.as_str())),
            (E::col_hash(), SqlValue::from(plan.hash)),
            (E::col_created(), SqlValue::from(self.at)),
            (E::col_updated(), SqlValue::from(self.at)),
            (E::col_deleted(), SqlValue::from(Option::<DateTime<Utc>>::None)),
        ];
        values.extend(own);
        Row { id: plan.id, remote_id: plan.remote_id, values }
    }

    fn reject(&mut self, kind: RecordKind, remote_id: &str, message: String) {
        self.report.errors.push(RecordError { kind, remote_id: remote_id.to_owned(), message });
    }

    async fn properties(&mut self, records: &[(&NormalizedProperty, &Hashed)]) -> Result<Ids, DbErr> {
        let items = records.iter().map(|(p, h)| (p.remote_id.clone(), h.hash.clone(), *p)).collect();
        let mut ids = Ids::new();
        let plans = self.plan_rows::<property::Entity, _>(items, &mut ids).await?;
        use property::Column as P;
        let rows = plans
            .into_iter()
            .map(|w| {
                let p = w.record;
                let a = &p.address;
                self.row::<property::Entity, _>(
                    w,
                    &p.remote_data,
                    [
                        (P::Name, SqlValue::from(p.name.as_str())),
                        (P::AddressLine1, SqlValue::from(a.line1.as_deref())),
                        (P::AddressLine2, SqlValue::from(a.line2.as_deref())),
                        (P::City, SqlValue::from(a.city.as_deref())),
                        (P::State, SqlValue::from(a.state.as_deref())),
                        (P::PostalCode, SqlValue::from(a.postal_code.as_deref())),
                        (P::Country, SqlValue::from(a.country.as_deref())),
                        (P::TimeZone, SqlValue::from(p.time_zone.as_deref())),
                        (P::UnitCount, SqlValue::from(p.unit_count)),
                    ],
                )
            })
            .collect();
        write(self.txn, rows, self.log()).await?;
        Ok(ids)
    }

    async fn units(
        &mut self,
        records: &[(&NormalizedUnit, &Hashed)],
        mut property_ids: Ids,
    ) -> Result<(Ids, Ids), DbErr> {
        resolve::<property::Entity, _>(
            self.txn,
            self.integration_id,
            &mut property_ids,
            records.iter().map(|(u, _)| u.property_remote_id.as_str()).collect(),
        )
        .await?;
        let mut items = Vec::with_capacity(records.len());
        for (unit, hashed) in records {
            if property_ids.contains_key(&unit.property_remote_id) {
                items.push((unit.remote_id.clone(), hashed.hash.clone(), *unit));
            } else {
                self.reject(
                    RecordKind::Unit,
                    &unit.remote_id,
                    format!("its property {} is not stored", unit.property_remote_id),
                );
            }
        }
        let mut unit_ids = Ids::new();
        let plans = self.plan_rows::<unit::Entity, _>(items, &mut unit_ids).await?;
        use unit::Column as U;
        let rows = plans
            .into_iter()
            .map(|w| {
                let u = w.record;
                self.row::<unit::Entity, _>(
                    w,
                    &u.remote_data,
                    [
                        (U::PropertyId, SqlValue::from(property_ids[&u.property_remote_id])),
                        (U::Number, SqlValue::from(u.number.as_str())),
                        (U::Building, SqlValue::from(u.building.as_deref())),
                        (U::Floorplan, SqlValue::from(u.floorplan.as_deref())),
                        (U::Bedrooms, SqlValue::from(u.bedrooms)),
                        (U::Bathrooms, SqlValue::from(u.bathrooms)),
                        (U::SquareFeet, SqlValue::from(u.square_feet)),
                        (U::MarketRentCents, SqlValue::from(u.market_rent_cents)),
                        (U::Occupancy, SqlValue::from(u.occupancy.as_str())),
                    ],
                )
            })
            .collect();
        write(self.txn, rows, self.log()).await?;

        // Spaces of every unit that is stored now, whether or not the unit itself changed.
        let owned: Vec<(Uuid, &NormalizedUnitSpace, &str)> = records
            .iter()
            .filter_map(|(u, h)| unit_ids.get(&u.remote_id).map(|id| (*id, u, h)))
            .flat_map(|(id, u, h)| u.spaces.iter().zip(&h.children).map(move |(s, hash)| (id, s, hash.as_str())))
            .collect();
        let items = owned.iter().map(|entry| (entry.1.remote_id.clone(), entry.2.to_owned(), entry)).collect();
        let mut space_ids = Ids::new();
        let plans = self.plan_rows::<unit_space::Entity, _>(items, &mut space_ids).await?;
        use unit_space::Column as S;
        let rows = plans
            .into_iter()
            .map(|w| {
                let (unit_id, space, _) = *w.record;
                self.row::<unit_space::Entity, _>(
                    w,
                    &space.remote_data,
                    [(S::UnitId, SqlValue::from(unit_id)), (S::Name, SqlValue::from(space.name.as_str()))],
                )
            })
            .collect();
        write(self.txn, rows, self.log()).await?;
        Ok((unit_ids, space_ids))
    }

    async fn residents(&mut self, records: &[(&NormalizedResident, &Hashed)]) -> Result<Ids, DbErr> {
        let items = records.iter().map(|(r, h)| (r.remote_id.clone(), h.hash.clone(), *r)).collect();
        let mut ids = Ids::new();
        let plans = self.plan_rows::<resident::Entity, _>(items, &mut ids).await?;
        use resident::Column as R;
        let rows = plans
            .into_iter()
            .map(|w| {
                let r = w.record;
                self.row::<resident::Entity, _>(
                    w,
                    &r.remote_data,
                    [
                        (R::FirstName, SqlValue::from(r.first_name.as_str())),
                        (R::LastName, SqlValue::from(r.last_name.as_str())),
                        (R::Email, SqlValue::from(r.email.as_deref())),
                        (R::Phone, SqlValue::from(r.phone.as_deref())),
                    ],
                )
            })
            .collect();
        write(self.txn, rows, self.log()).await?;
        Ok(ids)
    }

    async fn leases(
        &mut self,
        records: &[(&NormalizedLease, &Hashed)],
        mut property_ids: Ids,
        mut unit_ids: Ids,
        mut space_ids: Ids,
        mut resident_ids: Ids,
    ) -> Result<(), DbErr> {
        let (txn, integration) = (self.txn, self.integration_id);
        resolve::<property::Entity, _>(
            txn,
            integration,
            &mut property_ids,
            records.iter().map(|(l, _)| l.property_remote_id.as_str()).collect(),
        )
        .await?;
        resolve::<unit::Entity, _>(
            txn,
            integration,
            &mut unit_ids,
            records.iter().filter_map(|(l, _)| l.unit_remote_id.as_deref()).collect(),
        )
        .await?;
        resolve::<unit_space::Entity, _>(
            txn,
            integration,
            &mut space_ids,
            records.iter().filter_map(|(l, _)| l.unit_space_remote_id.as_deref()).collect(),
        )
        .await?;
        let mut items = Vec::with_capacity(records.len());
        for (lease, hashed) in records {
            let missing = if !property_ids.contains_key(&lease.property_remote_id) {
                Some(format!("its property {} is not stored", lease.property_remote_id))
            } else if let Some(unit) = lease.unit_remote_id.as_ref().filter(|u| !unit_ids.contains_key(*u)) {
                Some(format!("its unit {unit} is not stored"))
            } else {
                lease
                    .unit_space_remote_id
                    .as_ref()
                    .filter(|s| !space_ids.contains_key(*s))
                    .map(|space| format!("its unit space {space} is not stored"))
            };
            match missing {
                Some(message) => self.reject(RecordKind::Lease, &lease.remote_id, message),
                None => items.push((lease.remote_id.clone(), hashed.hash.clone(), *lease)),
            }
        }
        let mut lease_ids = Ids::new();
        let plans = self.plan_rows::<lease::Entity, _>(items, &mut lease_ids).await?;
        use lease::Column as L;
        let rows = plans
            .into_iter()
            .map(|w| {
                let l = w.record;
                self.row::<lease::Entity, _>(
                    w,
                    &l.remote_data,
                    [
                        (L::PropertyId, SqlValue::from(property_ids[&l.property_remote_id])),
                        (L::UnitId, SqlValue::from(l.unit_remote_id.as_ref().map(|u| unit_ids[u]))),
                        (L::UnitSpaceId, SqlValue::from(l.unit_space_remote_id.as_ref().map(|s| space_ids[s]))),
                        (L::Status, SqlValue::from(l.status.as_str())),
                        (L::RemoteStatus, SqlValue::from(l.remote_status.as_deref())),
                        (L::StartDate, SqlValue::from(l.start_date)),
                        (L::EndDate, SqlValue::from(l.end_date)),
                        (L::MoveInDate, SqlValue::from(l.move_in_date)),
                        (L::MoveOutDate, SqlValue::from(l.move_out_date)),
                        (L::NoticeDate, SqlValue::from(l.notice_date)),
                        (L::RentCents, SqlValue::from(l.rent_cents)),
                        (L::IsMonthToMonth, SqlValue::from(l.is_month_to_month)),
                    ],
                )
            })
            .collect();
        write(txn, rows, self.log()).await?;

        // The people of every lease that is stored now.
        resolve::<resident::Entity, _>(
            txn,
            integration,
            &mut resident_ids,
            records.iter().flat_map(|(l, _)| l.residents.iter().map(|r| r.resident_remote_id.as_str())).collect(),
        )
        .await?;
        let mut occupancies: Vec<(Uuid, Uuid, &NormalizedLeaseResident)> = Vec::new();
        let mut items = Vec::new();
        for (lease, hashed) in records {
            let Some(lease_id) = lease_ids.get(&lease.remote_id) else { continue };
            for (person, hash) in lease.residents.iter().zip(&hashed.children) {
                let remote_id = person.remote_id(&lease.remote_id);
                match resident_ids.get(&person.resident_remote_id) {
                    Some(resident_id) => {
                        occupancies.push((*lease_id, *resident_id, person));
                        items.push((remote_id, hash.clone()));
                    }
                    None => self.reject(
                        RecordKind::LeaseResident,
                        &remote_id,
                        format!("its resident {} is not stored", person.resident_remote_id),
                    ),
                }
            }
        }
        let items = items
            .into_iter()
            .zip(occupancies.iter())
            .map(|((remote_id, hash), entry)| (remote_id, hash, entry))
            .collect();
        let mut occupancy_ids = Ids::new();
        let plans = self.plan_rows::<lease_resident::Entity, _>(items, &mut occupancy_ids).await?;
        use lease_resident::Column as O;
        let rows = plans
            .into_iter()
            .map(|w| {
                let (lease_id, resident_id, person) = *w.record;
                self.row::<lease_resident::Entity, _>(
                    w,
                    &person.remote_data,
                    [
                        (O::LeaseId, SqlValue::from(lease_id)),
                        (O::ResidentId, SqlValue::from(resident_id)),
                        (O::Role, SqlValue::from(person.role.as_str())),
                        (O::MoveInDate, SqlValue::from(person.move_in_date)),
                        (O::MoveOutDate, SqlValue::from(person.move_out_date)),
                        (O::Status, SqlValue::from(person.status.as_str())),
                    ],
                )
            })
            .collect();
        write(txn, rows, self.log()).await
    }
}
