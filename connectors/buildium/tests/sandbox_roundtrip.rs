//! The connector against the sandbox's Buildium simulator over real HTTP: what it reads back must be
//! exactly the portfolio the sandbox generated, as Buildium can carry it, at timeline steps 0 and
//! 3, for scoped syncs too; an incremental sync after a step costs at most ceil(k / page size) + a
//! few calls per list and still gets every change; faults become the right errors.
//!
//! "As Buildium can carry it" ([`expected`]): no applications or cancelled leases (Buildium has
//! no such lease) nor people only on them, no occupants (Buildium has no record of them), no
//! floorplans, no unit spaces (a unit leased by the bed is one unit priced at the sum of its beds),
//! Buildium's status words (Active, Future, Past), guarantors as cosigners.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use pmsgraph_connector_buildium::BuildiumConnector;
use pmsgraph_connector_core::{
    Connector, ConnectorError, HttpClient, HttpPolicy, NormalizedRecord, ResidentRole, Resource, SyncItem, SyncScope,
};
use pmsgraph_sandbox::buildium::wire::{is_tenant, is_visible, lease_status};
use pmsgraph_sandbox::compare::{
    assert_same, assert_scoped_syncs, assert_waits_out_faults, collect, keyed, properties_and_units,
};
use pmsgraph_sandbox::world::LeaseIds;
use pmsgraph_sandbox::{MemoryStep, SandboxState, Size, World};
use serde_json::json;

struct Sandbox {
    url: String,
    steps: Arc<MemoryStep>,
    seed: u64,
    size: Size,
    /// Calls per path.
    calls: Arc<Mutex<HashMap<String, usize>>>,
}

async fn sandbox(seed: u64, size: Size) -> Sandbox {
    let (state, steps) = SandboxState::in_memory(seed, size);
    let calls: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let c = calls.clone();
    let app = pmsgraph_sandbox::router(state).layer(axum::middleware::from_fn(
        move |request: axum::extract::Request, next: axum::middleware::Next| {
            let c = c.clone();
            async move {
                *c.lock().expect("lock").entry(request.uri().path().to_owned()).or_default() += 1;
                next.run(request).await
            }
        },
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binds");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serves") });
    let url = format!("http://{addr}{}", pmsgraph_sandbox::BUILDIUM_PREFIX);
    Sandbox { url, steps, seed, size, calls }
}

impl Sandbox {
    fn connector(&self, client_id: &str, page_size: usize) -> BuildiumConnector {
        let policy = HttpPolicy { base_backoff: std::time::Duration::from_millis(5), ..HttpPolicy::default() };
        let http = HttpClient::new(policy).expect("client");
        let credentials = json!({ "base_url": self.url, "client_id": client_id, "client_secret": "sandbox" });
        BuildiumConnector::from_stored(credentials.to_string().as_bytes(), &json!({ "page_size": page_size }), http)
            .expect("connector")
    }

    fn world(&self) -> World {
        World::generate(self.seed, self.size, self.steps.get())
    }

    fn take_calls(&self) -> HashMap<String, usize> {
        std::mem::take(&mut *self.calls.lock().expect("lock"))
    }
}

/// The world as a perfect Buildium connector reads it back (see the module docs).
fn expected(world: &World) -> Vec<NormalizedRecord> {
    let mut out =
        properties_and_units(world, |p| p.id.to_string(), |i| world.units[i].id.to_string(), Some("US"), false);
    let mut people = BTreeSet::new();
    for lease in world.leases.iter().filter(|l| is_visible(l)) {
        let unit = &world.units[lease.unit];
        let kept: Vec<_> =
            lease.residents.iter().filter(|r| is_tenant(r.role) || r.role == ResidentRole::Guarantor).collect();
        people.extend(kept.iter().map(|r| r.person_id));
        let residents = kept.iter().map(|r| r.normalized(r.person_id.to_string())).collect();
        let ids = LeaseIds {
            remote_id: lease.id.to_string(),
            property: world.properties[lease.property].id.to_string(),
            unit: unit.id.to_string(),
            space: None,
        };
        out.push(lease.normalized(ids, lease_status(lease.status).map(str::to_owned), residents));
    }
    for id in people {
        let person = world.person(id).expect("the person");
        out.push(person.normalized(person.id.to_string()));
    }
    out
}

#[tokio::test]
async fn a_full_sync_reads_back_exactly_the_generated_portfolio() {
    let sandbox = sandbox(7, Size::SMALL).await;
    // A small page, so that every list is read in several pages.
    let connector = sandbox.connector("sandbox", 25);
    let (records, failures) = collect(&connector, SyncScope::Integration).await;
    assert!(failures.is_empty(), "{failures:?}");
    assert_same(keyed(records), keyed(expected(&sandbox.world())));
    let calls = sandbox.take_calls();
    let paged = ["units", "leases", "tenants"];
    assert!(calls.iter().filter(|(p, _)| paged.iter().any(|w| p.ends_with(w))).all(|(_, &n)| n >= 2), "{calls:?}");

    sandbox.steps.set(3);
    let (records, failures) = collect(&connector, SyncScope::Integration).await;
    assert!(failures.is_empty(), "{failures:?}");
    assert_same(keyed(records), keyed(expected(&sandbox.world())));
}

#[tokio::test]
async fn parents_come_before_their_children_and_scopes_are_narrow() {
    let sandbox = sandbox(8, Size::SMALL).await;
    let connector = sandbox.connector("sandbox", 1000);
    let (records, _) = collect(&connector, SyncScope::Integration).await;
    let mut seen = std::collections::HashSet::new();
    for record in &records {
        match record {
            NormalizedRecord::Unit(u) => assert!(seen.contains(&("p", u.property_remote_id.clone()))),
            NormalizedRecord::Lease(l) => {
                assert!(seen.contains(&("u", l.unit_remote_id.clone().expect("a unit"))));
                for r in &l.residents {
                    assert!(
                        seen.contains(&("r", r.resident_remote_id.clone())),
                        "{} before its lease",
                        r.resident_remote_id
                    );
                }
            }
            _ => {}
        }
        let tag = match record {
            NormalizedRecord::Property(_) => "p",
            NormalizedRecord::Unit(_) => "u",
            NormalizedRecord::Resident(_) => "r",
            NormalizedRecord::Lease(_) => "l",
        };
        seen.insert((tag, record.remote_id().to_owned()));
    }
    let world = keyed(expected(&sandbox.world()));
    assert_scoped_syncs(&connector, &world).await;
    // A property sync reads that property and nothing of the others.
    let property = sandbox.world().properties[1].id.to_string();
    let (records, failures) = collect(&connector, SyncScope::Property { property: property.clone() }).await;
    assert!(failures.is_empty(), "{failures:?}");
    for record in keyed(records).into_values() {
        if let NormalizedRecord::Lease(l) = &record {
            assert_eq!(l.property_remote_id, property);
        }
        assert_eq!(world[&(record.kind(), record.remote_id().to_owned())], record);
    }
}

#[tokio::test]
async fn an_incremental_sync_after_a_step_is_cheap_and_complete() {
    let sandbox = sandbox(9, Size { properties: 4, units_per_property: 60 }).await;
    let page_size = 10;
    let connector = sandbox.connector("sandbox", page_size);
    let (before, failures) = collect(&connector, SyncScope::Integration).await;
    assert!(failures.is_empty(), "{failures:?}");
    let before = keyed(before);
    let full_calls: usize = sandbox.take_calls().values().sum();
    let since = chrono::Utc::now() - chrono::Duration::seconds(1);
    sandbox.steps.advance();

    let mut changed = Vec::new();
    let mut stream = connector.sync(SyncScope::Integration, Some(since));
    while let Some(item) = futures::StreamExt::next(&mut stream).await {
        match item {
            SyncItem::Page(page) => changed.extend(page),
            SyncItem::Failed { error, .. } => panic!("{error}"),
        }
    }
    drop(stream);
    let calls = sandbox.take_calls();
    let changed = keyed(changed);
    let after = keyed(expected(&sandbox.world()));
    // Every record that differs after the step is among those read.
    let differs: Vec<_> = after.iter().filter(|(k, v)| before.get(*k) != Some(*v)).map(|(k, _)| k.clone()).collect();
    assert!(!differs.is_empty(), "the step changes something");
    for key in &differs {
        assert_eq!(changed.get(key), after.get(key), "{key:?} is read with its new content");
    }
    // And the cost: per list, ceil(k / page size) + 1 calls, k the records that list returned.
    let per_kind = |kind| changed.keys().filter(|(k, _)| *k == kind).count();
    use pmsgraph_connector_core::RecordKind::*;
    for (path, kind) in [
        ("/sandbox/buildium/v1/rentals", Property),
        ("/sandbox/buildium/v1/rentals/units", Unit),
        ("/sandbox/buildium/v1/leases", Lease),
    ] {
        let k = per_kind(kind);
        let made = calls.get(path).copied().unwrap_or(0);
        assert!(made <= k.div_ceil(page_size) + 1, "{path}: {made} calls for {k} records");
    }
    let residents = per_kind(Resident);
    let made = calls.get("/sandbox/buildium/v1/leases/tenants").copied().unwrap_or(0);
    assert!(made <= residents.div_ceil(page_size) + 1, "tenants: {made} calls for {residents} records");
    let incremental_calls: usize = calls.values().sum();
    assert!(incremental_calls * 3 < full_calls, "{incremental_calls} calls against {full_calls} for a full sync");
    assert!(changed.len() * 3 < after.len(), "{} of {} records read", changed.len(), after.len());
}

#[tokio::test]
async fn faults_become_typed_errors() {
    let sandbox = sandbox(10, Size::SMALL).await;
    // A denied resource fails its check only.
    let denied = sandbox.connector("sandbox+deny=leases", 100);
    denied.check_access(Resource::Properties).await.expect("properties are readable");
    let err = denied.check_access(Resource::Leases).await.expect_err("leases are denied");
    assert!(matches!(err, ConnectorError::AccessDenied { resource: Resource::Leases, .. }), "{err:?}");
    // Wrong credentials are unauthorized.
    let err = sandbox.connector("someone", 100).check_access(Resource::Units).await.expect_err("refused");
    assert!(matches!(err, ConnectorError::Unauthorized(_)), "{err:?}");
    // A 429 and a 503 are retried through.
    assert_waits_out_faults(|p| sandbox.connector(p, 1000), &expected(&sandbox.world())).await;
    // A malformed page fails the sync, naming the field.
    let connector = sandbox.connector("sandbox+malformed=leases:2", 20);
    let (_, failures) = collect(&connector, SyncScope::Integration).await;
    match failures.as_slice() {
        [SyncItem::Failed { error: ConnectorError::Malformed { path, .. }, .. }] => {
            assert!(path.starts_with("/v1/leases[0].Id"), "{path}")
        }
        other => panic!("{other:?}"),
    }
}
