//! Storing normalized records for one integration: the write half of the sync engine.
//!
//! Records are diffed against the stored rows by content hash: a new remote id is inserted, a changed
//! hash (or a row that had been remote-deleted and came back) is updated in place, keeping its id, and
//! an unchanged row is not written at all. Writes are batched `INSERT .. ON CONFLICT (integration_id,
//! remote_id) DO UPDATE` statements, chunked under each database's bound-parameter limit, in one
//! transaction per call, which also bumps the integration's data generation when anything changed.
//!
//! Parents are written before children (properties, units and their spaces, residents, leases and
//! their people) and references are resolved by remote id within the integration. A record whose
//! parent is unknown is skipped and reported, never stored half-linked; the rest of the batch stands.
//!
//! Columns the app owns (a property's time-zone override and access times) are never overwritten.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, Iterable, QueryFilter, QuerySelect, Set,
    TransactionTrait, TryIntoModel,
};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use pmsgraph_connector_core::{
    ContentHash, NormalizedLease, NormalizedLeaseResident, NormalizedProperty, NormalizedRecord, NormalizedResident,
    NormalizedUnit, NormalizedUnitSpace, RecordKind, hash_with_parent,
};
use pmsgraph_entity::{change_log, lease, lease_resident, property, resident, unit, unit_space};

use super::{StoreError, bump_integration, now};
use crate::db::Db;

/// Stay well under SQLite's 32,766 and PostgreSQL's 65,535 bound parameters per statement.
const MAX_PARAMS: usize = 30_000;
/// Remote ids per lookup query.
const LOOKUP_CHUNK: usize = 1_000;

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
    fn col_hash() -> Self::Column;
    fn col_deleted() -> Self::Column;
    fn col_updated() -> Self::Column;
    fn id_of(row: &Self::Model) -> Uuid;
    fn remote_id_of(row: &Self::Model) -> String;
    /// Columns a changed record overwrites: all but identity, creation time and app-owned ones.
    fn update_columns() -> Vec<Self::Column>;
}

macro_rules! synced {
    ($m:ident, $kind:expr $(, keep: [$($keep:ident),*])?) => {
        impl Synced for $m::Entity {
            const KIND: RecordKind = $kind;
            fn col_id() -> Self::Column { $m::Column::Id }
            fn col_integration() -> Self::Column { $m::Column::IntegrationId }
            fn col_remote_id() -> Self::Column { $m::Column::RemoteId }
            fn col_hash() -> Self::Column { $m::Column::ContentHash }
            fn col_deleted() -> Self::Column { $m::Column::RemoteDeletedAt }
            fn col_updated() -> Self::Column { $m::Column::UpdatedAt }
            fn id_of(row: &Self::Model) -> Uuid { row.id }
            fn remote_id_of(row: &Self::Model) -> String { row.remote_id.clone() }
            fn update_columns() -> Vec<Self::Column> {
                $m::Column::iter()
                    .filter(|c| !matches!(c,
                        $m::Column::Id | $m::Column::IntegrationId | $m::Column::RemoteId | $m::Column::CreatedAt
                        $($(| $m::Column::$keep)*)?))
                    .collect()
            }
        }
    };
}

synced!(property, RecordKind::Property, keep: [TimeZoneOverride, AccessStartTime, AccessEndTime]);
synced!(unit, RecordKind::Unit);
synced!(unit_space, RecordKind::UnitSpace);
synced!(resident, RecordKind::Resident);
synced!(lease, RecordKind::Lease);
synced!(lease_resident, RecordKind::LeaseResident);

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

/// Writes planned rows in chunked upserts, and logs each change (an update with its old and new
/// field values, read from the rows it replaces).
async fn write<E, A, C>(db: &C, models: Vec<A>, log: Log<'_>) -> Result<(), DbErr>
where
    E: Synced,
    E::Model: Serialize,
    A: ActiveModelTrait<Entity = E> + TryIntoModel<E::Model> + Clone + Send,
    C: ConnectionTrait,
{
    if models.is_empty() {
        return Ok(());
    }
    let mut log = log;
    let per_chunk = (MAX_PARAMS / E::Column::iter().count()).max(1);
    let mut models = models.into_iter().peekable();
    while models.peek().is_some() {
        let chunk: Vec<A> = models.by_ref().take(per_chunk).collect();
        let new_rows: Vec<E::Model> = chunk.iter().map(|m| m.clone().try_into_model()).collect::<Result<_, DbErr>>()?;
        let replaced: Vec<Uuid> = new_rows.iter().map(E::id_of).filter(|id| log.updated.contains(id)).collect();
        let mut old_rows: HashMap<Uuid, Value> = HashMap::with_capacity(replaced.len());
        if !replaced.is_empty() {
            for row in E::find().filter(E::col_id().is_in(replaced)).all(db).await? {
                old_rows.insert(E::id_of(&row), serde_json::to_value(&row).unwrap_or_default());
            }
        }
        for row in &new_rows {
            let id = E::id_of(row);
            match old_rows.get(&id) {
                Some(old) => {
                    let new = serde_json::to_value(row).unwrap_or_default();
                    let fields = changed_fields(old, &new);
                    log.push(E::KIND, id, E::remote_id_of(row), UPDATED, fields);
                }
                None if log.ctx.log_creations => {
                    log.push(E::KIND, id, E::remote_id_of(row), CREATED, Value::Object(Default::default()));
                }
                None => {}
            }
        }
        E::insert_many(chunk)
            .on_conflict(
                OnConflict::columns([E::col_integration(), E::col_remote_id()])
                    .update_columns(E::update_columns())
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
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

/// Remote ids of the rows of one kind that are not marked deleted (for the engine's tombstone pass).
pub async fn live_remote_ids(db: &Db, integration_id: Uuid, kind: RecordKind) -> Result<Vec<String>, StoreError> {
    async fn of<E: Synced>(db: &Db, integration_id: Uuid) -> Result<Vec<String>, DbErr> {
        E::find()
            .select_only()
            .column(E::col_remote_id())
            .filter(E::col_integration().eq(integration_id))
            .filter(E::col_deleted().is_null())
            .into_tuple()
            .all(&db.read)
            .await
    }
    Ok(match kind {
        RecordKind::Property => of::<property::Entity>(db, integration_id).await?,
        RecordKind::Unit => of::<unit::Entity>(db, integration_id).await?,
        RecordKind::UnitSpace => of::<unit_space::Entity>(db, integration_id).await?,
        RecordKind::Resident => of::<resident::Entity>(db, integration_id).await?,
        RecordKind::Lease => of::<lease::Entity>(db, integration_id).await?,
        RecordKind::LeaseResident => of::<lease_resident::Entity>(db, integration_id).await?,
    })
}

/// Stores a batch of normalized records for one integration, in one transaction, logging updates
/// (not creations) outside any sync job.
pub async fn apply(db: &Db, integration_id: Uuid, records: &[NormalizedRecord]) -> Result<IngestReport, StoreError> {
    apply_with(db, integration_id, records, ChangeContext::default()).await
}

/// [`apply`], with the change log's context.
pub async fn apply_with(
    db: &Db,
    integration_id: Uuid,
    records: &[NormalizedRecord],
    ctx: ChangeContext,
) -> Result<IngestReport, StoreError> {
    let mut properties = Vec::new();
    let mut units = Vec::new();
    let mut residents = Vec::new();
    let mut leases = Vec::new();
    for record in records {
        match record {
            NormalizedRecord::Property(p) => properties.push(p),
            NormalizedRecord::Unit(u) => units.push(u),
            NormalizedRecord::Resident(r) => residents.push(r),
            NormalizedRecord::Lease(l) => leases.push(l),
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

    fn reject(&mut self, kind: RecordKind, remote_id: &str, message: String) {
        self.report.errors.push(RecordError { kind, remote_id: remote_id.to_owned(), message });
    }

    async fn properties(&mut self, records: &[&NormalizedProperty]) -> Result<Ids, DbErr> {
        let items = records.iter().map(|p| (p.remote_id.clone(), p.content_hash(), *p)).collect();
        let mut ids = Ids::new();
        let plans = self.plan_rows::<property::Entity, _>(items, &mut ids).await?;
        let models = plans
            .into_iter()
            .map(|w| {
                let p = w.record;
                property::ActiveModel {
                    id: Set(w.id),
                    integration_id: Set(self.integration_id),
                    remote_id: Set(w.remote_id),
                    remote_data: Set(p.remote_data.clone()),
                    content_hash: Set(w.hash),
                    created_at: Set(self.at),
                    updated_at: Set(self.at),
                    remote_deleted_at: Set(None),
                    name: Set(p.name.clone()),
                    address_line1: Set(p.address.line1.clone()),
                    address_line2: Set(p.address.line2.clone()),
                    city: Set(p.address.city.clone()),
                    state: Set(p.address.state.clone()),
                    postal_code: Set(p.address.postal_code.clone()),
                    country: Set(p.address.country.clone()),
                    time_zone: Set(p.time_zone.clone()),
                    time_zone_override: Set(None),
                    access_start_time: Set(None),
                    access_end_time: Set(None),
                    unit_count: Set(p.unit_count),
                }
            })
            .collect();
        write(self.txn, models, self.log()).await?;
        Ok(ids)
    }

    async fn units(&mut self, records: &[&NormalizedUnit], mut property_ids: Ids) -> Result<(Ids, Ids), DbErr> {
        resolve::<property::Entity, _>(
            self.txn,
            self.integration_id,
            &mut property_ids,
            records.iter().map(|u| u.property_remote_id.as_str()).collect(),
        )
        .await?;
        let mut items = Vec::with_capacity(records.len());
        for unit in records {
            if property_ids.contains_key(&unit.property_remote_id) {
                items.push((unit.remote_id.clone(), unit.content_hash(), *unit));
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
        let models = plans
            .into_iter()
            .map(|w| {
                let u = w.record;
                unit::ActiveModel {
                    id: Set(w.id),
                    integration_id: Set(self.integration_id),
                    remote_id: Set(w.remote_id),
                    remote_data: Set(u.remote_data.clone()),
                    content_hash: Set(w.hash),
                    created_at: Set(self.at),
                    updated_at: Set(self.at),
                    remote_deleted_at: Set(None),
                    property_id: Set(property_ids[&u.property_remote_id]),
                    number: Set(u.number.clone()),
                    building: Set(u.building.clone()),
                    floorplan: Set(u.floorplan.clone()),
                    bedrooms: Set(u.bedrooms),
                    bathrooms: Set(u.bathrooms),
                    square_feet: Set(u.square_feet),
                    market_rent_cents: Set(u.market_rent_cents),
                    occupancy: Set(u.occupancy.as_str().to_owned()),
                }
            })
            .collect();
        write(self.txn, models, self.log()).await?;

        // Spaces of every unit that is stored now, whether or not the unit itself changed.
        let owned: Vec<(Uuid, &NormalizedUnitSpace, &str)> = records
            .iter()
            .filter_map(|u| unit_ids.get(&u.remote_id).map(|id| (*id, u)))
            .flat_map(|(id, u)| u.spaces.iter().map(move |s| (id, s, u.remote_id.as_str())))
            .collect();
        let items = owned
            .iter()
            .map(|entry| (entry.1.remote_id.clone(), hash_with_parent(&entry.1.content_hash(), entry.2), entry))
            .collect();
        let mut space_ids = Ids::new();
        let plans = self.plan_rows::<unit_space::Entity, _>(items, &mut space_ids).await?;
        let models = plans
            .into_iter()
            .map(|w| {
                let (unit_id, space, _) = *w.record;
                unit_space::ActiveModel {
                    id: Set(w.id),
                    integration_id: Set(self.integration_id),
                    remote_id: Set(w.remote_id),
                    remote_data: Set(space.remote_data.clone()),
                    content_hash: Set(w.hash),
                    created_at: Set(self.at),
                    updated_at: Set(self.at),
                    remote_deleted_at: Set(None),
                    unit_id: Set(unit_id),
                    name: Set(space.name.clone()),
                }
            })
            .collect();
        write(self.txn, models, self.log()).await?;
        Ok((unit_ids, space_ids))
    }

    async fn residents(&mut self, records: &[&NormalizedResident]) -> Result<Ids, DbErr> {
        let items = records.iter().map(|r| (r.remote_id.clone(), r.content_hash(), *r)).collect();
        let mut ids = Ids::new();
        let plans = self.plan_rows::<resident::Entity, _>(items, &mut ids).await?;
        let models = plans
            .into_iter()
            .map(|w| {
                let r = w.record;
                resident::ActiveModel {
                    id: Set(w.id),
                    integration_id: Set(self.integration_id),
                    remote_id: Set(w.remote_id),
                    remote_data: Set(r.remote_data.clone()),
                    content_hash: Set(w.hash),
                    created_at: Set(self.at),
                    updated_at: Set(self.at),
                    remote_deleted_at: Set(None),
                    first_name: Set(r.first_name.clone()),
                    last_name: Set(r.last_name.clone()),
                    email: Set(r.email.clone()),
                    phone: Set(r.phone.clone()),
                }
            })
            .collect();
        write(self.txn, models, self.log()).await?;
        Ok(ids)
    }

    async fn leases(
        &mut self,
        records: &[&NormalizedLease],
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
            records.iter().map(|l| l.property_remote_id.as_str()).collect(),
        )
        .await?;
        resolve::<unit::Entity, _>(
            txn,
            integration,
            &mut unit_ids,
            records.iter().filter_map(|l| l.unit_remote_id.as_deref()).collect(),
        )
        .await?;
        resolve::<unit_space::Entity, _>(
            txn,
            integration,
            &mut space_ids,
            records.iter().filter_map(|l| l.unit_space_remote_id.as_deref()).collect(),
        )
        .await?;
        let mut items = Vec::with_capacity(records.len());
        for lease in records {
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
                None => items.push((lease.remote_id.clone(), lease.content_hash(), *lease)),
            }
        }
        let mut lease_ids = Ids::new();
        let plans = self.plan_rows::<lease::Entity, _>(items, &mut lease_ids).await?;
        let models = plans
            .into_iter()
            .map(|w| {
                let l = w.record;
                lease::ActiveModel {
                    id: Set(w.id),
                    integration_id: Set(integration),
                    remote_id: Set(w.remote_id),
                    remote_data: Set(l.remote_data.clone()),
                    content_hash: Set(w.hash),
                    created_at: Set(self.at),
                    updated_at: Set(self.at),
                    remote_deleted_at: Set(None),
                    property_id: Set(property_ids[&l.property_remote_id]),
                    unit_id: Set(l.unit_remote_id.as_ref().map(|u| unit_ids[u])),
                    unit_space_id: Set(l.unit_space_remote_id.as_ref().map(|s| space_ids[s])),
                    status: Set(l.status.as_str().to_owned()),
                    remote_status: Set(l.remote_status.clone()),
                    start_date: Set(l.start_date),
                    end_date: Set(l.end_date),
                    move_in_date: Set(l.move_in_date),
                    move_out_date: Set(l.move_out_date),
                    notice_date: Set(l.notice_date),
                    rent_cents: Set(l.rent_cents),
                    is_month_to_month: Set(l.is_month_to_month),
                }
            })
            .collect();
        write(txn, models, self.log()).await?;

        // The people of every lease that is stored now.
        resolve::<resident::Entity, _>(
            txn,
            integration,
            &mut resident_ids,
            records.iter().flat_map(|l| l.residents.iter().map(|r| r.resident_remote_id.as_str())).collect(),
        )
        .await?;
        let mut occupancies: Vec<(Uuid, Uuid, &NormalizedLeaseResident)> = Vec::new();
        let mut items = Vec::new();
        for lease in records {
            let Some(lease_id) = lease_ids.get(&lease.remote_id) else { continue };
            for person in &lease.residents {
                let remote_id = person.remote_id(&lease.remote_id);
                match resident_ids.get(&person.resident_remote_id) {
                    Some(resident_id) => {
                        occupancies.push((*lease_id, *resident_id, person));
                        items.push(remote_id);
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
            .map(|(remote_id, entry)| (remote_id, entry.2.content_hash(), entry))
            .collect();
        let mut occupancy_ids = Ids::new();
        let plans = self.plan_rows::<lease_resident::Entity, _>(items, &mut occupancy_ids).await?;
        let models = plans
            .into_iter()
            .map(|w| {
                let (lease_id, resident_id, person) = *w.record;
                lease_resident::ActiveModel {
                    id: Set(w.id),
                    integration_id: Set(integration),
                    remote_id: Set(w.remote_id),
                    remote_data: Set(person.remote_data.clone()),
                    content_hash: Set(w.hash),
                    created_at: Set(self.at),
                    updated_at: Set(self.at),
                    remote_deleted_at: Set(None),
                    lease_id: Set(lease_id),
                    resident_id: Set(resident_id),
                    role: Set(person.role.as_str().to_owned()),
                    move_in_date: Set(person.move_in_date),
                    move_out_date: Set(person.move_out_date),
                    status: Set(person.status.as_str().to_owned()),
                }
            })
            .collect();
        write(txn, models, self.log()).await
    }
}
