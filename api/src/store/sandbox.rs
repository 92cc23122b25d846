//! The built-in sandbox's timeline step, kept in the database (DESIGN.md, "Built-in sandbox PMSs").

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{EntityTrait, Set};

use pmsgraph_entity::{sandbox_step, sandbox_timeline};

use super::{StoreError, now};
use crate::db::Db;

/// The name of the world `pmsgraph serve` mounts.
pub const DEFAULT_WORLD: &str = "default";

/// The current step of a world (0 until it is first advanced).
pub async fn step(db: &Db, world: &str) -> Result<u32, StoreError> {
    let row = sandbox_timeline::Entity::find_by_id(world.to_owned()).one(&db.read).await?;
    Ok(row.map_or(0, |r| u32::try_from(r.step).unwrap_or(u32::MAX)))
}

/// The current step of a world and when it was reached (`None` before it is first advanced).
pub async fn step_reached(db: &Db, world: &str) -> Result<Option<(u32, chrono::DateTime<chrono::Utc>)>, StoreError> {
    let row = sandbox_timeline::Entity::find_by_id(world.to_owned()).one(&db.read).await?;
    Ok(row.map(|r| (u32::try_from(r.step).unwrap_or(u32::MAX), r.updated_at)))
}

/// When a world reached `step`, if it was recorded as it advanced.
pub async fn reached_at(db: &Db, world: &str, step: u32) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError> {
    let row = sandbox_step::Entity::find_by_id((world.to_owned(), i64::from(step))).one(&db.read).await?;
    Ok(row.map(|r| r.reached_at))
}

/// Moves a world forward by `steps`, returning the new step; each step passed is recorded as
/// reached now.
pub async fn advance(db: &Db, world: &str, steps: u32) -> Result<u32, StoreError> {
    let before = step(db, world).await?;
    let row = sandbox_timeline::ActiveModel {
        name: Set(world.to_owned()),
        step: Set(i64::from(steps)),
        updated_at: Set(now()),
    };
    sandbox_timeline::Entity::insert(row)
        .on_conflict(
            OnConflict::column(sandbox_timeline::Column::Name)
                // Qualified: in the conflict branch, PostgreSQL also sees the proposed row's `step`.
                .value(
                    sandbox_timeline::Column::Step,
                    Expr::col((sandbox_timeline::Entity, sandbox_timeline::Column::Step)).add(i64::from(steps)),
                )
                .value(sandbox_timeline::Column::UpdatedAt, Expr::value(now()))
                .to_owned(),
        )
        .exec_without_returning(&db.write)
        .await?;
    let after = step(db, world).await?;
    let at = now();
    let reached: Vec<_> = (before.saturating_add(1)..=after)
        .map(|s| sandbox_step::ActiveModel {
            world: Set(world.to_owned()),
            step: Set(i64::from(s)),
            reached_at: Set(at),
        })
        .collect();
    if !reached.is_empty() {
        // Another process advancing at the same time may have recorded a step first: its time stands.
        sandbox_step::Entity::insert_many(reached)
            .on_conflict(
                OnConflict::columns([sandbox_step::Column::World, sandbox_step::Column::Step]).do_nothing().to_owned(),
            )
            .exec_without_returning(&db.write)
            .await?;
    }
    Ok(after)
}
