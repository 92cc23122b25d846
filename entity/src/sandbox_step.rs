//! `sandbox_step`: when a built-in sandbox world reached each timeline step (written as the step
//! advances), so that every process stamps a step's changes with the same time.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "sandbox_step")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub world: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub step: i64,
    pub reached_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
