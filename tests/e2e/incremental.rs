//! Incremental syncs in the engine, against a connector that can list changes: after a first full
//! sync records the cursor, an integration sync asks only for changes (the job says
//! `incremental` and `changedSince`), applies them and deletes nothing; once the last full sync is
//! older than `full_sync_every`, the next one is full again and marks what the PMS no longer has
//! remote-deleted.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use pmsgraph::auth::Environment;
use pmsgraph::store::{cursors, jobs};
use pmsgraph::sync::engine;
use pmsgraph_connector_core::{
    Address, Capabilities, Connector, ConnectorError, LeaseStatus, NormalizedLease, NormalizedLeaseResident,
    NormalizedProperty, NormalizedRecord, NormalizedResident, Pms, RemoteData, ResidentRole, Resource, SyncItem,
    SyncScope,
};
use pmsgraph_entity::{integration, lease, sync_job};

use crate::support::TestServer;

/// A PMS whose records live in memory: a full listing returns them all, a listing of changes
/// only those marked changed; it records the `changed_since` it was asked with.
#[derive(Default)]
struct ChangingPms {
    records: Mutex<Vec<NormalizedRecord>>,
    changed: Mutex<Vec<String>>,
    asked: Mutex<Vec<Option<DateTime<Utc>>>>,
}

fn property() -> NormalizedRecord {
    NormalizedRecord::Property(NormalizedProperty {
        remote_id: "p1".into(),
        name: "Maple Court".into(),
        address: Address { state: Some("MA".into()), ..Address::default() },
        time_zone: Some("America/New_York".into()),
        unit_count: Some(0),
        remote_data: RemoteData::null(),
    })
}

fn person(id: &str) -> NormalizedRecord {
    NormalizedRecord::Resident(NormalizedResident {
        remote_id: id.into(),
        first_name: "Alex".into(),
        last_name: id.into(),
        email: None,
        phone: None,
        remote_data: RemoteData::null(),
    })
}

fn a_lease(id: &str, person: &str, rent: i64) -> NormalizedRecord {
    let resident = NormalizedLeaseResident::new(person, ResidentRole::Primary, LeaseStatus::Current);
    let mut lease = NormalizedLease::new(id, "p1", LeaseStatus::Current, vec![resident]);
    lease.rent_cents = Some(rent);
    NormalizedRecord::Lease(lease)
}

#[async_trait::async_trait]
impl Connector for ChangingPms {
    fn pms(&self) -> Pms {
        Pms::Buildium
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities { changes_since: true, ..Capabilities::default() }
    }

    async fn check_access(&self, _: Resource) -> Result<(), ConnectorError> {
        Ok(())
    }

    fn sync(&self, _: SyncScope, changed_since: Option<DateTime<Utc>>) -> BoxStream<'_, SyncItem> {
        self.asked.lock().expect("lock").push(changed_since);
        let records = self.records.lock().expect("lock").clone();
        let changed = self.changed.lock().expect("lock").clone();
        let page: Vec<_> = match changed_since {
            None => records,
            Some(_) => records.into_iter().filter(|r| changed.iter().any(|c| c == r.remote_id())).collect(),
        };
        Box::pin(futures::stream::iter(vec![SyncItem::Page(page)]))
    }
}

async fn run(
    server: &TestServer,
    pms: &Arc<ChangingPms>,
    integration_id: uuid::Uuid,
    every: Duration,
) -> sync_job::Model {
    let db = server.db();
    let job =
        jobs::enqueue(db, integration_id, jobs::Trigger::OnDemand, &SyncScope::Integration).await.expect("queued");
    let job = jobs::claim(db, job.id, "test", Duration::from_secs(60)).await.expect("claims").expect("claimed");
    let outcome = engine::run_job(db, pms.clone(), &job, every).await;
    assert_eq!(outcome.status, jobs::SUCCESS, "{:?}", outcome.errors);
    sync_job::Entity::find_by_id(job.id).one(&db.read).await.expect("reads").expect("the job")
}

/// The stored lease `remote_id` of the integration.
async fn stored_lease(db: &pmsgraph::db::Db, integration_id: uuid::Uuid, remote_id: &str) -> lease::Model {
    lease::Entity::find()
        .filter(lease::Column::IntegrationId.eq(integration_id))
        .filter(lease::Column::RemoteId.eq(remote_id))
        .one(&db.read)
        .await
        .expect("reads")
        .unwrap_or_else(|| panic!("{remote_id} is stored"))
}

#[tokio::test]
async fn incremental_runs_apply_changes_and_delete_nothing_until_the_next_full_run() {
    let server = TestServer::start().await;
    let token = server.token("incremental-e2e", Environment::Sandbox).await;
    let customer = server.gql(&token, "mutation { createCustomer(name: \"Changing\") { id } }", json!({})).await.data()
        ["createCustomer"]["id"]
        .clone();
    let credentials = json!({ "baseUrl": format!("{}/sandbox/buildium", server.url), "clientId": "sandbox", "clientSecret": "sandbox" });
    server
        .gql(
            &token,
            "mutation($c: ID!, $b: BuildiumCredentialsInput!) { connectIntegration(customerId: $c, credentials: { buildium: $b }) { id } }",
            json!({ "c": customer, "b": credentials }),
        )
        .await
        .data();
    let db = server.db();
    let integration_id = integration::Entity::find()
        .filter(integration::Column::Pms.eq("BUILDIUM"))
        .one(&db.read)
        .await
        .expect("reads")
        .expect("the integration")
        .id;

    let pms = Arc::new(ChangingPms::default());
    *pms.records.lock().expect("lock") =
        vec![property(), person("r1"), person("r2"), a_lease("l1", "r1", 100_000), a_lease("l2", "r2", 120_000)];
    let day = Duration::from_secs(86_400);

    // The first run is full: no cursor yet.
    let first = run(&server, &pms, integration_id, day).await;
    assert_eq!(first.changed_since, None);
    assert!(first.created_count >= 5, "{first:?}");
    let cursor = cursors::cursor(db, integration_id).await.expect("reads").expect("a cursor");
    let started = first.started_at.expect("started");
    let offset = cursor - (started - cursors::SKEW_MARGIN);
    assert!(
        offset >= chrono::Duration::zero() && offset < chrono::Duration::seconds(10),
        "the run's start less the margin"
    );

    // The PMS changes l1 and drops l2: the incremental run gets the change and deletes nothing.
    {
        let mut records = pms.records.lock().expect("lock");
        records.retain(|r| r.remote_id() != "l2");
        records.retain(|r| r.remote_id() != "l1");
        records.push(a_lease("l1", "r1", 105_000));
        *pms.changed.lock().expect("lock") = vec!["l1".into()];
    }
    let second = run(&server, &pms, integration_id, day).await;
    assert_eq!(second.changed_since, Some(cursor), "asked from the cursor");
    assert_eq!(pms.asked.lock().expect("lock").last().copied().flatten(), Some(cursor));
    assert_eq!((second.updated_count, second.deleted_count), (1, 0), "{second:?}");
    let l2 = stored_lease(db, integration_id, "l2").await;
    assert_eq!(l2.remote_deleted_at, None, "an incremental run deletes nothing");
    let l1 = stored_lease(db, integration_id, "l1").await;
    assert_eq!(l1.rent_cents, Some(105_000), "{l1:?}");
    let new_cursor = cursors::cursor(db, integration_id).await.expect("reads").expect("a cursor");
    assert!(new_cursor > cursor, "the cursor moves on");

    // The last full run is older than `full_sync_every` (zero): the next run is full and finds l2 gone.
    let third = run(&server, &pms, integration_id, Duration::ZERO).await;
    assert_eq!(third.changed_since, None);
    assert!(third.deleted_count >= 1, "{third:?}");
    let l2 = stored_lease(db, integration_id, "l2").await;
    assert!(l2.remote_deleted_at.is_some(), "a full run marks l2 remote-deleted");
    server.stop().await;
}
