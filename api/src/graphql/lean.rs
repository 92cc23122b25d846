//! Lean reads of synced rows: every read of a synced table leaves out `remote_data`, the PMS's raw
//! record, which is most of a row's bytes and which few queries ask for. A lean row carries JSON
//! `null` in its place; the `remoteData` field then loads the raw records of the rows a response
//! shows in one batched query per table ([`RawData`]).
//!
//! Decoding, cloning and dropping the raw JSON of every row was the read path's largest cost; a
//! query for residents with their lease, unit and property now moves only the columns it serves.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseBackend, DatabaseConnection, EntityTrait, FromQueryResult, IdenStatic, Iterable, QueryFilter,
    QuerySelect, Select,
};
use uuid::Uuid;

use pmsgraph_connector_core::RecordKind;
use pmsgraph_entity::{lease, lease_resident, property, resident, unit, unit_space};

use super::ids::NodeType;
use super::loaders::LoadError;

/// The column every synced table keeps its raw record in.
const RAW: &str = "remote_data";

/// A JSON `null` literal of `backend`'s JSON column type, so a lean row decodes as a full one.
pub(super) fn json_null(backend: DatabaseBackend) -> &'static str {
    match backend {
        DatabaseBackend::Postgres => "'null'::jsonb",
        _ => "'null'",
    }
}

/// Turns a select of all of an entity's columns into the same select without its raw record.
/// A select of an entity without `remote_data` is returned unchanged.
pub fn lean<E: EntityTrait>(select: Select<E>, backend: DatabaseBackend) -> Select<E> {
    if !E::Column::iter().any(|c| c.as_str() == RAW) {
        return select;
    }
    let mut select = select.select_only();
    for column in E::Column::iter().filter(|c| c.as_str() != RAW) {
        select = select.column(column);
    }
    select.column_as(Expr::cust(json_null(backend)), RAW)
}

/// The table of a node type, if that type is a synced record.
pub const fn record_kind(node: NodeType) -> Option<RecordKind> {
    Some(match node {
        NodeType::Property => RecordKind::Property,
        NodeType::Unit => RecordKind::Unit,
        NodeType::UnitSpace => RecordKind::UnitSpace,
        NodeType::Resident => RecordKind::Resident,
        NodeType::Lease => RecordKind::Lease,
        NodeType::LeaseResident => RecordKind::LeaseResident,
        _ => return None,
    })
}

/// The raw records of synced rows, by table and id, within a request's integrations.
pub struct RawData {
    pub(super) db: DatabaseConnection,
    pub(super) integrations: Vec<Uuid>,
}

#[derive(FromQueryResult)]
struct Raw {
    id: Uuid,
    remote_data: serde_json::Value,
}

impl RawData {
    async fn of<E: EntityTrait>(
        &self,
        id: E::Column,
        integration: E::Column,
        raw: E::Column,
        ids: Vec<Uuid>,
    ) -> Result<Vec<Raw>, LoadError> {
        Ok(E::find()
            .select_only()
            .column(id)
            .column(raw)
            .filter(id.is_in(ids))
            .filter(integration.is_in(self.integrations.iter().copied()))
            .into_model::<Raw>()
            .all(&self.db)
            .await?)
    }
}

macro_rules! raw_of {
    ($self:ident, $m:ident, $ids:expr) => {
        $self.of::<$m::Entity>($m::Column::Id, $m::Column::IntegrationId, $m::Column::RemoteData, $ids).await?
    };
}

impl Loader<(RecordKind, Uuid)> for RawData {
    type Value = serde_json::Value;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[(RecordKind, Uuid)],
    ) -> Result<HashMap<(RecordKind, Uuid), serde_json::Value>, LoadError> {
        let mut by_table: HashMap<RecordKind, Vec<Uuid>> = HashMap::new();
        for &(table, id) in keys {
            by_table.entry(table).or_default().push(id);
        }
        let mut found = HashMap::with_capacity(keys.len());
        for (table, ids) in by_table {
            let rows = match table {
                RecordKind::Property => raw_of!(self, property, ids),
                RecordKind::Unit => raw_of!(self, unit, ids),
                RecordKind::UnitSpace => raw_of!(self, unit_space, ids),
                RecordKind::Resident => raw_of!(self, resident, ids),
                RecordKind::Lease => raw_of!(self, lease, ids),
                RecordKind::LeaseResident => raw_of!(self, lease_resident, ids),
            };
            found.extend(rows.into_iter().map(|row| ((table, row.id), row.remote_data)));
        }
        Ok(found)
    }
}
