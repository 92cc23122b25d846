//! To-one joins: when a selection follows a to-one field (a lease person's `lease`, a lease's
//! `unit`, a unit's `property`...), the rows it leads to come in the same query as the rows that
//! lead to them, and wait in the request's [`Prefetched`] rows, where the by-id loaders
//! ([`Rows`]) look first. A nesting level reached that way costs no query of its own, no batching
//! delay and no extra pass of the executor.
//!
//! Joins only ever add rows: a row no join brought is loaded by id as before, so what a response
//! holds never depends on them. A joined row must belong to the same integration as the row that
//! leads to it, which the query's scope already restricts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use async_graphql::Lookahead;
use async_graphql::dataloader::DataLoader;
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, JoinType, SelectStatement};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult, IdenStatic, Iterable, QueryResult,
};
use uuid::Uuid;

use pmsgraph_connector_core::RecordKind;
use pmsgraph_entity::{lease, property, resident, unit, unit_space};

use super::lean::json_null;
use super::loaders::{ById, LoadError};

/// A to-one field of a synced type: its GraphQL name, the column of the row that holds the
/// target's id, and the target's table.
struct ToOne {
    field: &'static str,
    column: &'static str,
    target: RecordKind,
}

/// The to-one fields of each synced type. They all lead up the hierarchy (person to lease, lease
/// to unit, unit to property), so a tree of them is at most four deep.
fn to_one(table: RecordKind) -> &'static [ToOne] {
    const LEASE_RESIDENT: &[ToOne] = &[
        ToOne { field: "lease", column: "lease_id", target: RecordKind::Lease },
        ToOne { field: "resident", column: "resident_id", target: RecordKind::Resident },
    ];
    const LEASE: &[ToOne] = &[
        ToOne { field: "unit", column: "unit_id", target: RecordKind::Unit },
        ToOne { field: "property", column: "property_id", target: RecordKind::Property },
        ToOne { field: "unitSpace", column: "unit_space_id", target: RecordKind::UnitSpace },
    ];
    const UNIT: &[ToOne] = &[ToOne { field: "property", column: "property_id", target: RecordKind::Property }];
    const UNIT_SPACE: &[ToOne] = &[ToOne { field: "unit", column: "unit_id", target: RecordKind::Unit }];
    match table {
        RecordKind::LeaseResident => LEASE_RESIDENT,
        RecordKind::Lease => LEASE,
        RecordKind::Unit => UNIT,
        RecordKind::UnitSpace => UNIT_SPACE,
        RecordKind::Property | RecordKind::Resident => &[],
    }
}

/// The to-one fields a selection follows from rows of one table, as a tree: each entry is the
/// index of a field in [`to_one`] of the table and what the selection follows from there.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Joins {
    follows: Vec<(usize, Joins)>,
}

impl Joins {
    /// What `selection` (the selection of one row of `table`) follows.
    pub fn of(table: RecordKind, selection: &Lookahead<'_>) -> Joins {
        let follows = to_one(table)
            .iter()
            .enumerate()
            .filter_map(|(i, edge)| {
                let next = selection.field(edge.field);
                next.exists().then(|| (i, Joins::of(edge.target, &next)))
            })
            .collect();
        Joins { follows }
    }

    /// What a connection's selection follows from its nodes, under `nodes` and `edges { node }`.
    pub fn of_connection(table: RecordKind, selection: &Lookahead<'_>) -> Joins {
        let mut joins = Joins::of(table, &selection.field("nodes"));
        joins.union(&Joins::of(table, &selection.field("edges").field("node")));
        joins
    }

    pub fn is_empty(&self) -> bool {
        self.follows.is_empty()
    }

    /// Adds what `other` follows.
    pub fn union(&mut self, other: &Joins) {
        for (i, next) in &other.follows {
            match self.follows.iter_mut().find(|(j, _)| j == i) {
                Some((_, mine)) => mine.union(next),
                None => self.follows.push((*i, next.clone())),
            }
        }
    }
}

/// The joins a loader of child rows should make: the union of what the selections that called it
/// follow. Resolvers add to it before they load; a batch uses what it holds when it runs.
#[derive(Default)]
pub struct Wanted(Mutex<Joins>);

impl Wanted {
    /// Adds what `selection` (of one row of `table`) follows.
    pub fn add(&self, table: RecordKind, selection: &Lookahead<'_>) {
        let joins = Joins::of(table, selection);
        if !joins.is_empty() {
            self.0.lock().unwrap_or_else(PoisonError::into_inner).union(&joins);
        }
    }

    pub fn get(&self) -> Joins {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

/// The column names of a synced table, its raw record left out (see [`lean`](super::lean)).
fn lean_columns(table: RecordKind) -> Vec<&'static str> {
    fn of<E: EntityTrait>() -> Vec<&'static str> {
        E::Column::iter().map(|c| c.as_str()).filter(|c| *c != "remote_data").collect()
    }
    match table {
        RecordKind::Property => of::<property::Entity>(),
        RecordKind::Unit => of::<unit::Entity>(),
        RecordKind::UnitSpace => of::<unit_space::Entity>(),
        RecordKind::Resident => of::<resident::Entity>(),
        RecordKind::Lease => of::<lease::Entity>(),
        RecordKind::LeaseResident => of::<pmsgraph_entity::lease_resident::Entity>(),
    }
}

/// A table a query joined: its kind and the prefix of its columns in each result row.
pub struct Joined {
    table: RecordKind,
    prefix: String,
}

/// Adds `joins` to `query`, whose rows are of `root` (named by its table name): each joined
/// table as `j{n}`, on its id and the row's integration, its lean columns as `j{n}_{column}`.
pub fn add_joins(
    query: &mut SelectStatement,
    backend: sea_orm::DatabaseBackend,
    root: RecordKind,
    joins: &Joins,
) -> Vec<Joined> {
    let mut joined = Vec::new();
    add(query, backend, root, Alias::new(root.as_str()), joins, &mut joined);
    joined
}

fn add(
    query: &mut SelectStatement,
    backend: sea_orm::DatabaseBackend,
    table: RecordKind,
    alias: Alias,
    joins: &Joins,
    joined: &mut Vec<Joined>,
) {
    for (i, next) in &joins.follows {
        let edge = &to_one(table)[*i];
        let name = format!("j{}", joined.len());
        let target = Alias::new(name.as_str());
        let on = Condition::all()
            .add(Expr::col((target.clone(), Alias::new("id"))).equals((alias.clone(), Alias::new(edge.column))))
            .add(
                Expr::col((target.clone(), Alias::new("integration_id")))
                    .equals((alias.clone(), Alias::new("integration_id"))),
            );
        query.join_as(JoinType::LeftJoin, Alias::new(edge.target.as_str()), target.clone(), on);
        for column in lean_columns(edge.target) {
            query.expr_as(Expr::col((target.clone(), Alias::new(column))), Alias::new(format!("{name}_{column}")));
        }
        query.expr_as(Expr::cust(json_null(backend)), Alias::new(format!("{name}_remote_data")));
        let prefix = format!("{name}_");
        joined.push(Joined { table: edge.target, prefix });
        add(query, backend, edge.target, target, next, joined);
    }
}

/// Rows of one table that joins brought, by id.
type Kept<M> = Arc<Mutex<HashMap<Uuid, M>>>;

/// The rows joins brought during one request, by table.
#[derive(Default)]
pub struct Prefetched {
    properties: Kept<property::Model>,
    units: Kept<unit::Model>,
    unit_spaces: Kept<unit_space::Model>,
    residents: Kept<resident::Model>,
    leases: Kept<lease::Model>,
}

fn keep<M: FromQueryResult>(kept: &Kept<M>, row: &QueryResult, prefix: &str, id_of: fn(&M) -> Uuid) {
    // A `NULL` id (nothing to join: a lease without a unit) decodes as no row.
    if let Ok(Some(model)) = M::from_query_result_optional(row, prefix) {
        kept.lock().unwrap_or_else(PoisonError::into_inner).insert(id_of(&model), model);
    }
}

impl Prefetched {
    /// Keeps the joined rows of one result row.
    pub fn keep(&self, row: &QueryResult, joined: &[Joined]) {
        for Joined { table, prefix } in joined {
            match table {
                RecordKind::Property => keep(&self.properties, row, prefix, |m| m.id),
                RecordKind::Unit => keep(&self.units, row, prefix, |m| m.id),
                RecordKind::UnitSpace => keep(&self.unit_spaces, row, prefix, |m| m.id),
                RecordKind::Resident => keep(&self.residents, row, prefix, |m| m.id),
                RecordKind::Lease => keep(&self.leases, row, prefix, |m| m.id),
                // Nothing leads to a lease person by a to-one field.
                RecordKind::LeaseResident => {}
            }
        }
    }

    pub fn properties(&self) -> Kept<property::Model> {
        Arc::clone(&self.properties)
    }
    pub fn units(&self) -> Kept<unit::Model> {
        Arc::clone(&self.units)
    }
    pub fn unit_spaces(&self) -> Kept<unit_space::Model> {
        Arc::clone(&self.unit_spaces)
    }
    pub fn residents(&self) -> Kept<resident::Model> {
        Arc::clone(&self.residents)
    }
    pub fn leases(&self) -> Kept<lease::Model> {
        Arc::clone(&self.leases)
    }
}

/// The joins of one query: from rows of `table`, what `joins` holds, kept in `prefetched`.
pub struct Join<'a> {
    pub table: RecordKind,
    pub joins: Joins,
    pub prefetched: &'a Prefetched,
}

impl<'a> Join<'a> {
    /// The joins of the page query of a connection field of rows of `table`, resolved in `ctx`.
    pub fn connection(
        ctx: &async_graphql::Context<'_>,
        table: RecordKind,
        prefetched: &'a Prefetched,
    ) -> Option<Join<'a>> {
        let joins = Joins::of_connection(table, &ctx.look_ahead());
        (!joins.is_empty()).then_some(Join { table, joins, prefetched })
    }

    /// Runs `query` (rows of the join's table, lean, already scoped) with the joins added, and
    /// returns its rows; joined rows go to the request's [`Prefetched`].
    pub async fn all<E: EntityTrait>(
        &self,
        db: &DatabaseConnection,
        query: SelectStatement,
    ) -> Result<Vec<E::Model>, DbErr> {
        all_joined::<E>(db, query, self.table, &self.joins, self.prefetched).await
    }
}

/// Runs `query` (rows of `root`, lean, already scoped) with `joins` added, keeps the joined rows
/// in `prefetched` and returns the root rows.
pub async fn all_joined<E: EntityTrait>(
    db: &DatabaseConnection,
    mut query: SelectStatement,
    root: RecordKind,
    joins: &Joins,
    prefetched: &Prefetched,
) -> Result<Vec<E::Model>, DbErr> {
    let backend = db.get_database_backend();
    let joined = add_joins(&mut query, backend, root, joins);
    let rows = db.query_all(&query).await?;
    let mut models = Vec::with_capacity(rows.len());
    for row in &rows {
        models.push(E::Model::from_query_result(row, "")?);
        prefetched.keep(row, &joined);
    }
    Ok(models)
}

/// A table's rows by id within a request's scope: those a join brought, else batched by id.
pub struct Rows<E: EntityTrait> {
    kept: Kept<E::Model>,
    loader: DataLoader<ById<E>>,
}

impl<E> Rows<E>
where
    E: EntityTrait,
    E::Model: Clone + Send + Sync + 'static,
{
    pub fn new(kept: Kept<E::Model>, loader: DataLoader<ById<E>>) -> Rows<E> {
        Rows { kept, loader }
    }

    pub async fn load_one(&self, id: Uuid) -> Result<Option<E::Model>, LoadError> {
        let kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner).get(&id).cloned();
        match kept {
            Some(row) => Ok(Some(row)),
            None => self.loader.load_one(id).await,
        }
    }

    pub async fn load_many(&self, ids: impl IntoIterator<Item = Uuid>) -> Result<HashMap<Uuid, E::Model>, LoadError> {
        let mut found = HashMap::new();
        let mut missing = Vec::new();
        {
            let kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
            for id in ids {
                match kept.get(&id) {
                    Some(row) => {
                        found.insert(id, row.clone());
                    }
                    None => missing.push(id),
                }
            }
        }
        if !missing.is_empty() {
            found.extend(self.loader.load_many(missing).await?);
        }
        Ok(found)
    }
}
