//! Per-request dataloaders, so nested fields cost a bounded number of queries per page instead of one
//! per row (a page of leases with their unit, property and people is a handful of queries).
//!
//! Every loader is built for one request's [`Scope`] and restricts what it loads to it, so a nested
//! field can never reach into another tenant's rows either. Child lists load whole (remote-deleted
//! rows included) and resolvers filter them in memory: a unit has a few leases, a lease a few people.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};
use uuid::Uuid;

use pmsgraph_entity::{
    access_override, change_log, customer, event, integration, lease, lease_resident, property, resident, sync_job,
    unit, unit_space,
};

use pmsgraph_connector_core::RecordKind;

use super::joins::{self, Prefetched, Rows, Wanted};
use super::lean::{RawData, lean};
use crate::scope::Scope;
use crate::store::jobs;

pub type LoadError = Arc<DbErr>;

/// Rows of one table by id, within a scope.
pub struct ById<E: EntityTrait> {
    db: DatabaseConnection,
    id: E::Column,
    restrict: Condition,
    id_of: fn(&E::Model) -> Uuid,
}

impl<E> Loader<Uuid> for ById<E>
where
    E: EntityTrait,
    E::Model: Clone + Send + Sync + 'static,
{
    type Value = E::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, E::Model>, LoadError> {
        let select = E::find().filter(self.restrict.clone()).filter(self.id.is_in(keys.iter().copied()));
        let rows = lean(select, self.db.get_database_backend()).all(&self.db).await?;
        Ok(rows.into_iter().map(|row| ((self.id_of)(&row), row)).collect())
    }
}

/// Child rows grouped by their parent's id, within a scope, in id order; with the rows their
/// selections follow by to-one fields, when they do (see [`joins`](super::joins)).
pub struct ByParent<E: EntityTrait> {
    db: DatabaseConnection,
    parent: E::Column,
    id_of: fn(&E::Model) -> Uuid,
    restrict: Condition,
    parent_of: fn(&E::Model) -> Uuid,
    /// The synced table of the rows, if selections may join from them.
    table: Option<RecordKind>,
    wanted: Wanted,
    prefetched: Arc<Prefetched>,
}

impl<E: EntityTrait> ByParent<E> {
    /// Joins what `selection` (of one child row) follows into the next batch's query.
    pub fn want(&self, selection: &async_graphql::Lookahead<'_>) {
        if let Some(table) = self.table {
            self.wanted.add(table, selection);
        }
    }
}

impl<E> Loader<Uuid> for ByParent<E>
where
    E: EntityTrait,
    E::Model: Clone + Send + Sync + 'static,
{
    type Value = Vec<E::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Vec<E::Model>>, LoadError> {
        // No ORDER BY: ordering the whole result by id invites the planner to walk a tenant's
        // `(integration_id, id)` index instead of looking the parents up; each group is sorted here.
        let select = E::find().filter(self.restrict.clone()).filter(self.parent.is_in(keys.iter().copied()));
        let select = lean(select, self.db.get_database_backend());
        let joins = self.wanted.get();
        let rows = match self.table {
            Some(table) if !joins.is_empty() => {
                joins::all_joined::<E>(&self.db, select.into_query(), table, &joins, &self.prefetched).await?
            }
            _ => select.all(&self.db).await?,
        };
        let mut grouped: HashMap<Uuid, Vec<E::Model>> = HashMap::new();
        for row in rows {
            grouped.entry((self.parent_of)(&row)).or_default().push(row);
        }
        for group in grouped.values_mut() {
            group.sort_unstable_by_key(self.id_of);
        }
        Ok(grouped)
    }
}

/// When each integration last completed a successful full sync (for `lastSeenAt`).
pub struct LastFullSync {
    db: DatabaseConnection,
}

impl Loader<Uuid> for LastFullSync {
    type Value = DateTime<Utc>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, DateTime<Utc>>, LoadError> {
        let rows: Vec<(Uuid, Option<DateTime<Utc>>)> = sync_job::Entity::find()
            .select_only()
            .column(sync_job::Column::IntegrationId)
            .column_as(sync_job::Column::FinishedAt.max(), "finished_at")
            .filter(sync_job::Column::IntegrationId.is_in(keys.iter().copied()))
            .filter(sync_job::Column::Status.eq(jobs::SUCCESS))
            .filter(sync_job::Column::Scope.eq(pmsgraph_connector_core::SyncScope::Integration.kind()))
            .group_by(sync_job::Column::IntegrationId)
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().filter_map(|(id, at)| at.map(|at| (id, at))).collect())
    }
}

/// When each lease resident was first seen PAST: the first change to PAST the change log holds
/// for it (absent for a row that was PAST when it was first stored).
pub struct PastSeen {
    db: DatabaseConnection,
}

impl Loader<Uuid> for PastSeen {
    type Value = DateTime<Utc>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, DateTime<Utc>>, LoadError> {
        let rows = change_log::Entity::find()
            .filter(change_log::Column::RecordKind.eq(pmsgraph_connector_core::RecordKind::LeaseResident.as_str()))
            .filter(change_log::Column::RecordId.is_in(keys.iter().copied()))
            .filter(change_log::Column::Change.eq(crate::store::ingest::UPDATED))
            .order_by_asc(change_log::Column::Id)
            .all(&self.db)
            .await?;
        let mut seen = HashMap::new();
        for row in rows {
            if row.fields.pointer("/status/new").and_then(serde_json::Value::as_str) == Some("PAST") {
                seen.entry(row.record_id).or_insert(row.created_at);
            }
        }
        Ok(seen)
    }
}

/// All loaders of one request.
pub struct Loaders {
    pub customers: DataLoader<ById<customer::Entity>>,
    pub integrations: DataLoader<ById<integration::Entity>>,
    pub properties: Rows<property::Entity>,
    pub units: Rows<unit::Entity>,
    pub unit_spaces: Rows<unit_space::Entity>,
    pub residents: Rows<resident::Entity>,
    pub leases: Rows<lease::Entity>,
    pub lease_residents: DataLoader<ById<lease_resident::Entity>>,
    pub sync_jobs: DataLoader<ById<sync_job::Entity>>,
    pub events: DataLoader<ById<event::Entity>>,
    pub integrations_by_customer: DataLoader<ByParent<integration::Entity>>,
    pub spaces_by_unit: DataLoader<ByParent<unit_space::Entity>>,
    pub leases_by_unit: DataLoader<ByParent<lease::Entity>>,
    pub people_by_lease: DataLoader<ByParent<lease_resident::Entity>>,
    pub occupancies_by_resident: DataLoader<ByParent<lease_resident::Entity>>,
    pub last_full_sync: DataLoader<LastFullSync>,
    pub overrides: DataLoader<ByParent<access_override::Entity>>,
    pub past_seen: DataLoader<PastSeen>,
    /// The raw records of lean rows (see [`lean`](super::lean)).
    pub raw_data: DataLoader<RawData>,
    /// The rows joins brought (see [`joins`](super::joins)), where `properties` ... `leases` look first.
    pub prefetched: Arc<Prefetched>,
}

/// A dataloader whose batch is loaded as soon as the task that asked for its first key yields.
///
/// The batch task waits no timer: it yields once, and tokio runs a task spawned from a worker
/// after the spawning task yields (its LIFO slot, which other workers do not steal from), by when
/// the executor has polled every sibling field of the level and each has added its key. A fixed
/// delay (async-graphql's default is 1 ms, rounded up to the timer's next tick) would be waited out
/// once per nesting level of every request.
fn batched<T: Send + Sync + 'static>(loader: T) -> DataLoader<T> {
    DataLoader::new(loader, |batch: futures::future::BoxFuture<'static, ()>| {
        tokio::spawn(async move {
            tokio::task::yield_now().await;
            batch.await
        })
    })
    .delay(std::time::Duration::ZERO)
}

macro_rules! by_id {
    ($db:expr, $restrict:expr, $m:ident) => {
        batched(ById::<$m::Entity> {
            db: $db.clone(),
            id: $m::Column::Id,
            restrict: $restrict.clone(),
            id_of: |row| row.id,
        })
    };
}

/// [`Rows`] of synced table `$m` within the integrations `$ids`: joined rows first, by id after.
macro_rules! rows {
    ($db:expr, $prefetched:expr, $ids:expr, $m:ident, $kept:ident) => {
        Rows::new(
            $prefetched.$kept(),
            by_id!($db, Condition::all().add($m::Column::IntegrationId.is_in($ids.clone())), $m),
        )
    };
}

macro_rules! by_parent {
    ($db:expr, $prefetched:expr, $restrict:expr, $m:ident, $kind:ident, $parent:ident, $parent_of:expr) => {
        batched(ByParent::<$m::Entity> {
            db: $db.clone(),
            parent: $m::Column::$parent,
            id_of: |row| row.id,
            restrict: $restrict,
            parent_of: $parent_of,
            table: Some(RecordKind::$kind),
            wanted: Wanted::default(),
            prefetched: Arc::clone(&$prefetched),
        })
    };
}

impl Loaders {
    pub fn new(db: &DatabaseConnection, scope: &Scope) -> Loaders {
        let ids = scope.integration_ids();
        let mut tenant = Condition::all()
            .add(customer::Column::AppId.eq(scope.principal.app_id))
            .add(customer::Column::Environment.eq(scope.principal.environment.as_str()));
        if let Some(only) = scope.principal.customer_id {
            tenant = tenant.add(customer::Column::Id.eq(only));
        }
        let integrations = Condition::all().add(integration::Column::Id.is_in(ids.clone()));
        let synced = |column: sea_orm::sea_query::SimpleExpr| Condition::all().add(column);
        let prefetched = Arc::new(Prefetched::default());
        Loaders {
            customers: by_id!(db, tenant, customer),
            integrations: by_id!(db, integrations, integration),
            properties: rows!(db, prefetched, ids, property, properties),
            units: rows!(db, prefetched, ids, unit, units),
            unit_spaces: rows!(db, prefetched, ids, unit_space, unit_spaces),
            residents: rows!(db, prefetched, ids, resident, residents),
            leases: rows!(db, prefetched, ids, lease, leases),
            lease_residents: by_id!(
                db,
                synced(lease_resident::Column::IntegrationId.is_in(ids.clone())),
                lease_resident
            ),
            sync_jobs: by_id!(db, synced(sync_job::Column::IntegrationId.is_in(ids.clone())), sync_job),
            events: by_id!(db, synced(event::Column::IntegrationId.is_in(ids.clone())), event),
            integrations_by_customer: batched(ByParent::<integration::Entity> {
                db: db.clone(),
                parent: integration::Column::CustomerId,
                id_of: |row| row.id,
                restrict: integrations.clone(),
                parent_of: |row| row.customer_id,
                table: None,
                wanted: Wanted::default(),
                prefetched: Arc::clone(&prefetched),
            }),
            spaces_by_unit: by_parent!(
                db,
                prefetched,
                synced(unit_space::Column::IntegrationId.is_in(ids.clone())),
                unit_space,
                UnitSpace,
                UnitId,
                |row| row.unit_id
            ),
            leases_by_unit: by_parent!(
                db,
                prefetched,
                synced(lease::Column::IntegrationId.is_in(ids.clone())),
                lease,
                Lease,
                UnitId,
                |row| row.unit_id.unwrap_or_default()
            ),
            people_by_lease: by_parent!(
                db,
                prefetched,
                synced(lease_resident::Column::IntegrationId.is_in(ids.clone())),
                lease_resident,
                LeaseResident,
                LeaseId,
                |row| row.lease_id
            ),
            overrides: batched(ByParent::<access_override::Entity> {
                db: db.clone(),
                parent: access_override::Column::LeaseResidentId,
                id_of: |row| row.id,
                restrict: synced(access_override::Column::IntegrationId.is_in(ids.clone())),
                parent_of: |row| row.lease_resident_id,
                table: None,
                wanted: Wanted::default(),
                prefetched: Arc::clone(&prefetched),
            }),
            past_seen: batched(PastSeen { db: db.clone() }),
            raw_data: batched(RawData { db: db.clone(), integrations: ids.clone() }),
            occupancies_by_resident: by_parent!(
                db,
                prefetched,
                synced(lease_resident::Column::IntegrationId.is_in(ids)),
                lease_resident,
                LeaseResident,
                ResidentId,
                |row| row.resident_id
            ),
            last_full_sync: batched(LastFullSync { db: db.clone() }),
            prefetched,
        }
    }
}
