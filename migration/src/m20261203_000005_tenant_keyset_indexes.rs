//! Indexes for paging through one tenant's rows: `(integration_id, id)` on every synced table, and
//! `(integration_id, status, id)` on leases. Every connection pages by id within the tenant's
//! integrations (`WHERE integration_id IN (...) ... ORDER BY id LIMIT n`); with only
//! `(integration_id, ...)` indexes ordered by another column, a database reads and sorts all of an
//! integration's rows for each page (18 s for a page of residents of a 100,000-unit SQLite
//! database), where this index reads the page's rows in order and stops.

use sea_orm_migration::prelude::*;

use crate::m20261122_000001_initial::create_index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Synced {
    IntegrationId,
    Id,
    Status,
}

const TABLES: [&str; 6] = ["property", "unit", "unit_space", "resident", "lease", "lease_resident"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            create_index(
                manager,
                Alias::new(table),
                &[Synced::IntegrationId.into_iden(), Synced::Id.into_iden()],
                false,
            )
            .await?;
        }
        let columns = [Synced::IntegrationId.into_iden(), Synced::Status.into_iden(), Synced::Id.into_iden()];
        create_index(manager, Alias::new("lease"), &columns, false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("idx_lease_integration_id_status_id").table(Alias::new("lease")).to_owned())
            .await?;
        for table in TABLES {
            let name = format!("idx_{table}_integration_id_id");
            manager.drop_index(Index::drop().name(name).table(Alias::new(table)).to_owned()).await?;
        }
        Ok(())
    }
}
