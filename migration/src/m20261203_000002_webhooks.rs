//! Webhooks: apps' endpoints, one delivery per (endpoint, event), and every attempt made.
//!
//! - `webhook_endpoint`: an app's URL, in one environment (a sandbox endpoint only ever receives
//!   sandbox customers' events), optionally narrowed to event types and one customer. `secret` is
//!   the signing secret sealed like integration credentials (AES-256-GCM, the endpoint id as
//!   associated data); after a rotation `previous_secret` still signs until
//!   `previous_secret_expires_at`, so receivers can switch over without a gap.
//! - `webhook_delivery`: one event owed to one endpoint, created in the transaction that appends
//!   the event, so a committed event always has its deliveries and a rolled-back one has none.
//!   Delivery workers claim due rows by lease (`claimed_by`, `lease_expires_at`) like sync jobs, so
//!   deliveries survive a restart and never go out twice at once. Retries go on until
//!   `retry_from` (the creation, or the last replay) is older than the retry window.
//! - `webhook_attempt`: the log of each try: when, the HTTP status or the error, how long it took.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000001_initial::{create_index, foreign_key};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum WebhookEndpoint {
    Table,
    Id,
    AppId,
    Environment,
    CustomerId,
    Url,
    EventTypes,
    Description,
    Enabled,
    Secret,
    PreviousSecret,
    PreviousSecretExpiresAt,
    SecretRotatedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum WebhookDelivery {
    Table,
    Id,
    EndpointId,
    EventId,
    EventPosition,
    Status,
    Attempts,
    NextAttemptAt,
    RetryFrom,
    ClaimedBy,
    LeaseExpiresAt,
    LastStatusCode,
    LastError,
    CreatedAt,
    UpdatedAt,
    DeliveredAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum WebhookAttempt {
    Table,
    Id,
    DeliveryId,
    Number,
    AttemptedAt,
    StatusCode,
    Error,
    DurationMs,
}

#[derive(DeriveIden, Clone, Copy)]
enum App {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Customer {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Event {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WebhookEndpoint::Table)
                    .col(pk_uuid(WebhookEndpoint::Id))
                    .col(uuid(WebhookEndpoint::AppId))
                    .col(text(WebhookEndpoint::Environment))
                    .col(uuid_null(WebhookEndpoint::CustomerId))
                    .col(text(WebhookEndpoint::Url))
                    .col(json_binary(WebhookEndpoint::EventTypes))
                    .col(text_null(WebhookEndpoint::Description))
                    .col(boolean(WebhookEndpoint::Enabled))
                    .col(blob(WebhookEndpoint::Secret))
                    .col(blob_null(WebhookEndpoint::PreviousSecret))
                    .col(timestamp_with_time_zone_null(WebhookEndpoint::PreviousSecretExpiresAt))
                    .col(timestamp_with_time_zone_null(WebhookEndpoint::SecretRotatedAt))
                    .col(timestamp_with_time_zone(WebhookEndpoint::CreatedAt))
                    .col(timestamp_with_time_zone(WebhookEndpoint::UpdatedAt))
                    .foreign_key(&mut foreign_key(
                        WebhookEndpoint::Table,
                        WebhookEndpoint::AppId,
                        App::Table,
                        App::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        WebhookEndpoint::Table,
                        WebhookEndpoint::CustomerId,
                        Customer::Table,
                        Customer::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            WebhookEndpoint::Table,
            &[WebhookEndpoint::AppId.into_iden(), WebhookEndpoint::Environment.into_iden()],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(WebhookDelivery::Table)
                    .col(pk_uuid(WebhookDelivery::Id))
                    .col(uuid(WebhookDelivery::EndpointId))
                    .col(uuid(WebhookDelivery::EventId))
                    .col(big_integer(WebhookDelivery::EventPosition))
                    .col(text(WebhookDelivery::Status))
                    .col(integer(WebhookDelivery::Attempts))
                    .col(timestamp_with_time_zone_null(WebhookDelivery::NextAttemptAt))
                    .col(timestamp_with_time_zone(WebhookDelivery::RetryFrom))
                    .col(text_null(WebhookDelivery::ClaimedBy))
                    .col(timestamp_with_time_zone_null(WebhookDelivery::LeaseExpiresAt))
                    .col(integer_null(WebhookDelivery::LastStatusCode))
                    .col(text_null(WebhookDelivery::LastError))
                    .col(timestamp_with_time_zone(WebhookDelivery::CreatedAt))
                    .col(timestamp_with_time_zone(WebhookDelivery::UpdatedAt))
                    .col(timestamp_with_time_zone_null(WebhookDelivery::DeliveredAt))
                    .foreign_key(&mut foreign_key(
                        WebhookDelivery::Table,
                        WebhookDelivery::EndpointId,
                        WebhookEndpoint::Table,
                        WebhookEndpoint::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        WebhookDelivery::Table,
                        WebhookDelivery::EventId,
                        Event::Table,
                        Event::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            WebhookDelivery::Table,
            &[WebhookDelivery::EndpointId.into_iden(), WebhookDelivery::EventId.into_iden()],
            true,
        )
        .await?;
        create_index(
            manager,
            WebhookDelivery::Table,
            &[WebhookDelivery::Status.into_iden(), WebhookDelivery::NextAttemptAt.into_iden()],
            false,
        )
        .await?;
        create_index(
            manager,
            WebhookDelivery::Table,
            &[WebhookDelivery::EndpointId.into_iden(), WebhookDelivery::EventPosition.into_iden()],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(WebhookAttempt::Table)
                    .col(pk_uuid(WebhookAttempt::Id))
                    .col(uuid(WebhookAttempt::DeliveryId))
                    .col(integer(WebhookAttempt::Number))
                    .col(timestamp_with_time_zone(WebhookAttempt::AttemptedAt))
                    .col(integer_null(WebhookAttempt::StatusCode))
                    .col(text_null(WebhookAttempt::Error))
                    .col(big_integer(WebhookAttempt::DurationMs))
                    .foreign_key(&mut foreign_key(
                        WebhookAttempt::Table,
                        WebhookAttempt::DeliveryId,
                        WebhookDelivery::Table,
                        WebhookDelivery::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            WebhookAttempt::Table,
            &[WebhookAttempt::DeliveryId.into_iden(), WebhookAttempt::Number.into_iden()],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in
            [WebhookAttempt::Table.into_iden(), WebhookDelivery::Table.into_iden(), WebhookEndpoint::Table.into_iden()]
        {
            manager.drop_table(Table::drop().table(table).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
