//! `webhook_endpoint`: an app's webhook receiver in one environment (`SANDBOX` or `PRODUCTION`),
//! optionally narrowed to some event types (`event_types`, a JSON array; empty means all) and one
//! customer. `secret` is the signing secret, sealed at rest and never returned after it is issued;
//! after a rotation `previous_secret` also signs until `previous_secret_expires_at`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "webhook_endpoint")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub app_id: Uuid,
    pub environment: String,
    pub customer_id: Option<Uuid>,
    pub url: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub event_types: Json,
    pub description: Option<String>,
    pub enabled: bool,
    /// The sealed signing secret.
    #[serde(skip)]
    pub secret: Vec<u8>,
    /// The sealed secret before the last rotation, still signing during the overlap.
    #[serde(skip)]
    pub previous_secret: Option<Vec<u8>>,
    pub previous_secret_expires_at: Option<DateTimeUtc>,
    pub secret_rotated_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::app::Entity",
        from = "Column::AppId",
        to = "super::app::Column::Id",
        on_delete = "Cascade"
    )]
    App,
    #[sea_orm(has_many = "super::webhook_delivery::Entity")]
    WebhookDelivery,
}

impl Related<super::app::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::App.def()
    }
}

impl Related<super::webhook_delivery::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::WebhookDelivery.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
