//! The tenant scope of one request: which integrations the token's app may see in its environment,
//! and the data generation of each, which the response cache keys on.
//!
//! Every query filters by these integration ids, so an app never sees another app's rows and a
//! sandbox token never sees production ones, whatever ids a client sends.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, JoinType, Query};
use sea_orm::{DbErr, FromQueryResult};
use uuid::Uuid;

use pmsgraph_entity::{api_token, app, customer, integration};

use crate::auth::{Environment, Principal};
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

/// One row of [`Scope::grant_of_token`]'s query: the token row, its app, and one integration the
/// token sees (all `NULL` when it sees none).
#[derive(FromQueryResult)]
struct GrantRow {
    app_id: Uuid,
    environment: String,
    revoked_at: Option<DateTime<Utc>>,
    expires_at: DateTime<Utc>,
    app_name: String,
    app_generation: i64,
    integration_id: Option<Uuid>,
    customer_id: Option<Uuid>,
    integration_generation: Option<i64>,
}

/// A token's row as the database holds it, with the scope it would grant: what
/// [`Tokens::authenticate`](crate::auth::Tokens::authenticate) checks before a request runs.
#[derive(Debug, Clone)]
pub struct TokenGrant {
    pub app_id: Uuid,
    pub environment: String,
    pub revoked_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
    app_name: String,
    app_generation: i64,
    integrations: Vec<(Uuid, Uuid, i64)>,
}

impl TokenGrant {
    /// The scope of a principal this grant has been checked for.
    pub fn into_scope(self, principal: Principal) -> Scope {
        let TokenGrant { app_name, app_generation, mut integrations, .. } = self;
        integrations.sort_unstable();
        let by_id = integrations.iter().enumerate().map(|(i, (id, _, _))| (*id, i)).collect();
        Scope { principal, app_name, app_generation, integrations, by_id }
    }
}

impl Scope {
    /// Token `token_id`'s row, its app, and the integrations of the app's customers in
    /// `environment` (of customer `only` alone, for an onboarding link), in one query: every
    /// request makes it, so it is one round trip rather than three. `None` if no such token.
    pub async fn grant_of_token(
        db: &Db,
        token_id: Uuid,
        environment: Environment,
        only: Option<Uuid>,
    ) -> Result<Option<TokenGrant>, DbErr> {
        let mut customers = Condition::all()
            .add(Expr::col((customer::Entity, customer::Column::AppId)).equals((app::Entity, app::Column::Id)))
            .add(Expr::col((customer::Entity, customer::Column::Environment)).eq(environment.as_str()));
        if let Some(only) = only {
            customers = customers.add(Expr::col((customer::Entity, customer::Column::Id)).eq(only));
        }
        let mut query = Query::select();
        query
            .column((api_token::Entity, api_token::Column::AppId))
            .column((api_token::Entity, api_token::Column::Environment))
            .column((api_token::Entity, api_token::Column::RevokedAt))
            .column((api_token::Entity, api_token::Column::ExpiresAt))
            .expr_as(Expr::col((app::Entity, app::Column::Name)), "app_name")
            .expr_as(Expr::col((app::Entity, app::Column::Generation)), "app_generation")
            .expr_as(Expr::col((integration::Entity, integration::Column::Id)), "integration_id")
            .column((integration::Entity, integration::Column::CustomerId))
            .expr_as(Expr::col((integration::Entity, integration::Column::Generation)), "integration_generation")
            .from(api_token::Entity)
            .inner_join(
                app::Entity,
                Expr::col((app::Entity, app::Column::Id)).equals((api_token::Entity, api_token::Column::AppId)),
            )
            .join(JoinType::LeftJoin, customer::Entity, customers)
            .join(
                JoinType::LeftJoin,
                integration::Entity,
                Expr::col((integration::Entity, integration::Column::CustomerId))
                    .equals((customer::Entity, customer::Column::Id)),
            )
            .and_where(Expr::col((api_token::Entity, api_token::Column::Id)).eq(token_id));
        let statement = db.read.get_database_backend().build(&query);
        let rows = GrantRow::find_by_statement(statement).all(&db.read).await?;
        let Some(first) = rows.first() else { return Ok(None) };
        let mut grant = TokenGrant {
            app_id: first.app_id,
            environment: first.environment.clone(),
            revoked_at: first.revoked_at,
            expires_at: first.expires_at,
            app_name: first.app_name.clone(),
            app_generation: first.app_generation,
            integrations: Vec::with_capacity(rows.len()),
        };
        grant.integrations.extend(
            rows.iter().filter_map(|row| Some((row.integration_id?, row.customer_id?, row.integration_generation?))),
        );
        Ok(Some(grant))
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
