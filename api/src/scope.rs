//! The tenant scope of one request: which integrations the token's app may see in its environment,
//! and the data generation of each, which the response cache keys on.
//!
//! Every query filters by these integration ids, so an app never sees another app's rows and a
//! sandbox token never sees production ones, whatever ids a client sends.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, DbErr, EntityTrait, JoinType, QueryFilter, QuerySelect, RelationTrait};
use uuid::Uuid;

use pmsgraph_entity::{app, customer, integration};

use crate::auth::Principal;
use crate::db::Db;

#[derive(Debug, Clone)]
pub struct Scope {
    pub principal: Principal,
    pub app_name: String,
    app_generation: i64,
    /// Integration id -> (customer id, data generation), ordered by id for a stable fingerprint.
    integrations: Vec<(Uuid, Uuid, i64)>,
    by_id: HashMap<Uuid, usize>,
}

impl Scope {
    pub async fn load(db: &Db, principal: Principal) -> Result<Option<Scope>, DbErr> {
        let Some(app) = app::Entity::find_by_id(principal.app_id).one(&db.read).await? else {
            return Ok(None);
        };
        let mut query = integration::Entity::find();
        if let Some(only) = principal.customer_id {
            // An onboarding link sees its one customer.
            query = query.filter(integration::Column::CustomerId.eq(only));
        }
        let mut integrations: Vec<(Uuid, Uuid, i64)> = query
            .select_only()
            .column(integration::Column::Id)
            .column(integration::Column::CustomerId)
            .column(integration::Column::Generation)
            .join(JoinType::InnerJoin, integration::Relation::Customer.def())
            .filter(customer::Column::AppId.eq(principal.app_id))
            .filter(customer::Column::Environment.eq(principal.environment.as_str()))
            .into_tuple()
            .all(&db.read)
            .await?;
        integrations.sort_unstable();
        let by_id = integrations.iter().enumerate().map(|(i, (id, _, _))| (*id, i)).collect();
        Ok(Some(Scope { principal, app_name: app.name, app_generation: app.generation, integrations, by_id }))
    }

    pub fn integration_ids(&self) -> Vec<Uuid> {
        self.integrations.iter().map(|(id, _, _)| *id).collect()
    }

    pub fn contains_integration(&self, id: Uuid) -> bool {
        self.by_id.contains_key(&id)
    }

    pub fn customer_of(&self, integration_id: Uuid) -> Option<Uuid> {
        self.by_id.get(&integration_id).map(|i| self.integrations[*i].1)
    }

    pub fn integrations_of_customer(&self, customer_id: Uuid) -> Vec<Uuid> {
        self.integrations.iter().filter(|(_, c, _)| *c == customer_id).map(|(id, _, _)| *id).collect()
    }

    /// Everything a cached answer for this scope depends on: the tenant, its structure's generation
    /// and each integration's data generation. Any committed write changes it.
    pub fn fingerprint(&self, hasher: &mut blake3::Hasher) {
        hasher.update(self.principal.app_id.as_bytes());
        hasher.update(self.principal.environment.as_str().as_bytes());
        hasher.update(self.principal.customer_id.unwrap_or_default().as_bytes());
        hasher.update(&self.app_generation.to_le_bytes());
        for (id, _, generation) in &self.integrations {
            hasher.update(id.as_bytes());
            hasher.update(&generation.to_le_bytes());
        }
    }
}
