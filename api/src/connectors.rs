//! The explicit list of connectors: which crate serves which PMS, and how an integration's stored
//! credentials and settings become a ready [`Connector`]. No registration magic: adding a PMS is
//! one arm here.

use std::sync::Arc;

use sea_orm::EntityTrait;
use serde_json::Value;
use uuid::Uuid;

use pmsgraph_connector_buildium::BuildiumConnector;
use pmsgraph_connector_core::{Connector, ConnectorError, HttpClient, HttpPolicy, Pms, reqwest};
use pmsgraph_connector_entrata::EntrataConnector;
use pmsgraph_connector_realpage::RealPageConnector;
use pmsgraph_connector_yardi::YardiConnector;
use pmsgraph_entity::integration;

use crate::db::Db;
use crate::store::jobs::JobError;
use crate::vault::Vault;

/// The connector of a stored integration: its credentials opened from the vault.
pub async fn for_integration(
    db: &Db,
    vault: &Vault,
    client: &reqwest::Client,
    policy: &HttpPolicy,
    integration_id: Uuid,
) -> Result<Arc<dyn Connector>, JobError> {
    let fail = |code: &str, message: String| JobError { code: code.to_owned(), message, at: None };
    let row = integration::Entity::find_by_id(integration_id)
        .one(&db.read)
        .await
        .map_err(|e| fail("DATABASE", e.to_string()))?
        .ok_or_else(|| fail("NOT_FOUND", "the integration no longer exists".into()))?;
    let sealed = row.credentials.ok_or_else(|| fail("NO_CREDENTIALS", "the integration has no credentials".into()))?;
    let plaintext = vault.open(integration_id, &sealed).map_err(|e| fail(e.code(), e.to_string()))?;
    let http = HttpClient::with_client(client.clone(), policy.clone());
    build(&row.pms, &plaintext, &row.settings, http).map(Arc::from).map_err(|e| fail(e.code(), e.to_string()))
}

/// A connector for an integration: its PMS name, decrypted credentials (JSON) and settings.
pub fn build(
    pms: &str,
    credentials: &[u8],
    settings: &Value,
    http: HttpClient,
) -> Result<Box<dyn Connector>, ConnectorError> {
    let pms: Pms =
        pms.parse().map_err(|e: pmsgraph_connector_core::UnknownWord| ConnectorError::InvalidConfig(e.to_string()))?;
    match pms {
        Pms::Entrata => Ok(Box::new(EntrataConnector::from_stored(credentials, settings, http)?)),
        Pms::Yardi => Ok(Box::new(YardiConnector::from_stored(credentials, settings, http)?)),
        Pms::RealPage => Ok(Box::new(RealPageConnector::from_stored(credentials, settings, http)?)),
        Pms::Buildium => Ok(Box::new(BuildiumConnector::from_stored(credentials, settings, http)?)),
    }
}
