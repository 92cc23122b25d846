//! The connector against the sandbox's Entrata simulator over real HTTP: what it reads back must be
//! exactly the portfolio the sandbox generated ([`World::normalized`]), field by field, for every
//! scope; faults the simulator injects become the right errors.

use std::sync::Arc;

use pmsgraph_connector_core::{
    Connector, ConnectorError, HttpClient, HttpPolicy, NormalizedRecord, RecordKind, Resource, SyncItem, SyncScope,
};
use pmsgraph_connector_entrata::EntrataConnector;
use pmsgraph_sandbox::compare::{assert_same, assert_scoped_syncs, assert_waits_out_faults, collect, keyed};
use pmsgraph_sandbox::{MemoryStep, SandboxState, Size, World};
use serde_json::json;

struct Sandbox {
    url: String,
    steps: Arc<MemoryStep>,
    seed: u64,
}

async fn sandbox(seed: u64) -> Sandbox {
    let (state, steps) = SandboxState::in_memory(seed, Size::SMALL);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binds");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, pmsgraph_sandbox::router(state)).await.expect("serves") });
    Sandbox { url: format!("http://{addr}{}", pmsgraph_sandbox::ENTRATA_PREFIX), steps, seed }
}

impl Sandbox {
    fn connector(&self, username: &str, page_size: u32) -> EntrataConnector {
        let policy = HttpPolicy { base_backoff: std::time::Duration::from_millis(5), ..HttpPolicy::default() };
        let http = HttpClient::new(policy).expect("client");
        let credentials = json!({"base_url": self.url, "username": username, "password": "sandbox"});
        EntrataConnector::from_stored(credentials.to_string().as_bytes(), &json!({"page_size": page_size}), http)
            .expect("connector")
    }

    fn world(&self) -> World {
        World::generate(self.seed, Size::SMALL, self.steps.get())
    }
}

#[tokio::test]
async fn a_full_sync_reads_back_exactly_the_generated_portfolio() {
    let sandbox = sandbox(7).await;
    // A small page size, so that paging is exercised.
    let connector = sandbox.connector("sandbox", 25);
    let (records, failures) = collect(&connector, SyncScope::Integration).await;
    assert!(failures.is_empty(), "{failures:?}");
    assert_same(keyed(records), keyed(sandbox.world().normalized()));

    // Later in the timeline: still exact.
    sandbox.steps.set(3);
    let (records, failures) = collect(&connector, SyncScope::Integration).await;
    assert!(failures.is_empty(), "{failures:?}");
    assert_same(keyed(records), keyed(sandbox.world().normalized()));
}

#[tokio::test]
async fn parents_come_before_their_children() {
    let sandbox = sandbox(8).await;
    let (records, _) = collect(&sandbox.connector("sandbox", 50), SyncScope::Integration).await;
    let mut seen = std::collections::HashSet::new();
    for record in &records {
        match record {
            NormalizedRecord::Property(p) => {
                seen.insert((RecordKind::Property, p.remote_id.clone()));
            }
            NormalizedRecord::Unit(u) => {
                assert!(seen.contains(&(RecordKind::Property, u.property_remote_id.clone())));
                seen.insert((RecordKind::Unit, u.remote_id.clone()));
            }
            NormalizedRecord::Resident(r) => {
                seen.insert((RecordKind::Resident, r.remote_id.clone()));
            }
            NormalizedRecord::Lease(l) => {
                assert!(seen.contains(&(RecordKind::Property, l.property_remote_id.clone())));
                if let Some(unit) = &l.unit_remote_id {
                    assert!(
                        seen.contains(&(RecordKind::Unit, unit.clone())),
                        "lease {} before unit {unit}",
                        l.remote_id
                    );
                }
                for person in &l.residents {
                    assert!(seen.contains(&(RecordKind::Resident, person.resident_remote_id.clone())));
                }
            }
        }
    }
}

#[tokio::test]
async fn scoped_syncs_read_only_their_scope() {
    let sandbox = sandbox(9).await;
    let connector = sandbox.connector("sandbox", 100);
    let world = keyed(sandbox.world().normalized());
    assert_scoped_syncs(&connector, &world).await;
}

#[tokio::test]
async fn denied_resources_are_named_and_others_granted() {
    let sandbox = sandbox(10).await;
    let connector = sandbox.connector("sandbox+deny=leases", 100);
    for resource in Resource::ALL {
        let answer = connector.check_access(resource).await;
        if resource == Resource::Leases {
            let err = answer.expect_err("denied");
            assert!(matches!(&err, ConnectorError::AccessDenied { resource: Resource::Leases, .. }), "{err:?}");
        } else {
            answer.unwrap_or_else(|e| panic!("{resource}: {e}"));
        }
    }
    let err = sandbox.connector("nobody", 100).check_access(Resource::Properties).await.expect_err("refused");
    assert!(matches!(err, ConnectorError::Unauthorized(_)), "{err:?}");
}

#[tokio::test]
async fn rate_limits_and_outages_are_waited_out() {
    let sandbox = sandbox(11).await;
    assert_waits_out_faults(|p| sandbox.connector(p, 100), &sandbox.world().normalized()).await;
}

#[tokio::test]
async fn a_malformed_page_fails_its_property_only_and_names_the_path() {
    let sandbox = sandbox(12).await;
    let (records, failures) =
        collect(&sandbox.connector("sandbox+malformed=getLeases:2", 20), SyncScope::Integration).await;
    assert!(!failures.is_empty());
    for failure in &failures {
        let SyncItem::Failed { property: Some(_), error: ConnectorError::Malformed { path, .. } } = failure else {
            panic!("{failure:?}");
        };
        assert!(path.contains("lease"), "{path}");
    }
    // Every property still came, with its units.
    let world = sandbox.world().normalized();
    let count = |records: &[NormalizedRecord], kind| records.iter().filter(|r| r.kind() == kind).count();
    assert_eq!(count(&records, RecordKind::Property), count(&world, RecordKind::Property));
    assert_eq!(count(&records, RecordKind::Unit), count(&world, RecordKind::Unit));
}
