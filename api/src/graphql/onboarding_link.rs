//! What an onboarding link may do (issue 4, "Onboarding links"; see [`crate::auth`]).
//!
//! A link's scope is its one customer (the tenant [`Scope`](crate::scope::Scope) holds only that
//! customer's integrations, and the `customers` list only that customer), and on top of that this
//! extension allows only the fields a property manager needs to onboard: read its customer, its
//! integrations and their sync jobs; connect credentials, update them, run data-access checks and
//! enable. Every other root field, and every field of synced data (properties, units, leases,
//! residents), answers FORBIDDEN. App tokens are not affected.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo};
use async_graphql::{ServerResult, Value};

use super::RequestCtx;
use crate::error::ApiError;

/// Root query fields an onboarding link may use.
pub const QUERIES: [&str; 4] = ["viewer", "node", "customers", "builtInSandboxes"];
/// Mutations an onboarding link may use.
pub const MUTATIONS: [&str; 4] = ["connectIntegration", "updateIntegration", "checkDataAccess", "enableIntegration"];
/// Types of synced data and what derives from it (events, access), and the app's webhooks, none of
/// which a link may read.
const SYNCED_DATA: [&str; 14] = [
    "Property",
    "Unit",
    "UnitSpace",
    "Resident",
    "Lease",
    "LeaseResident",
    "Event",
    "AccessWindow",
    "AccessOverride",
    "UnitOccupant",
    "ResidentMatch",
    "WebhookEndpoint",
    "WebhookDelivery",
    "WebhookAttempt",
];

/// Whether an onboarding link may resolve `field` of `parent`.
pub fn allowed(parent: &str, field: &str) -> bool {
    match parent {
        "Query" => QUERIES.contains(&field) || field.starts_with("__"),
        "Mutation" => MUTATIONS.contains(&field),
        "Subscription" => false,
        parent => !SYNCED_DATA.contains(&parent),
    }
}

/// The rules of [this module](self), as an async-graphql extension.
#[derive(Debug, Clone, Copy)]
pub struct OnboardingLinkRules;

impl ExtensionFactory for OnboardingLinkRules {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(*self)
    }
}

#[async_trait::async_trait]
impl Extension for OnboardingLinkRules {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let link = ctx.data_opt::<Arc<RequestCtx>>().is_some_and(|rc| rc.scope.principal.is_onboarding_link());
        if link && !allowed(info.parent_type, info.name) {
            let error = ApiError::Forbidden(format!(
                "an onboarding link cannot use `{}`: it may only connect, check and enable its customer's \
                 integrations and see their sync jobs",
                info.name
            ));
            let error = async_graphql::Error::from(crate::error::GqlError::from(error));
            return Err(error.into_server_error(async_graphql::Pos::default()));
        }
        next.run(ctx, info).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_reach_their_customer_and_integrations_but_no_synced_data() {
        for (parent, field) in [
            ("Query", "customers"),
            ("Query", "node"),
            ("Query", "__typename"),
            ("Mutation", "connectIntegration"),
            ("Mutation", "enableIntegration"),
            ("Customer", "integrations"),
            ("Integration", "syncJobs"),
            ("SyncJob", "status"),
        ] {
            assert!(allowed(parent, field), "{parent}.{field}");
        }
        for (parent, field) in [
            ("Query", "properties"),
            ("Query", "residents"),
            ("Mutation", "createCustomer"),
            ("Mutation", "createOnboardingLink"),
            ("Mutation", "deleteCustomer"),
            ("Mutation", "syncNow"),
            ("Property", "id"),
            ("Resident", "email"),
        ] {
            assert!(!allowed(parent, field), "{parent}.{field}");
        }
    }
}
