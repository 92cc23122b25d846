//! The connector against the sandbox's Yardi simulator over real HTTP: what it reads back must be
//! exactly the portfolio the sandbox generated, as Yardi can carry it, field by field, for every
//! scope and after timeline steps; faults the simulator injects become the right errors.
//!
//! "As Yardi can carry it" ([`expected`]), from the world itself: Yardi's codes (the sandbox
//! names them: `pmsgraph_sandbox::yardi`), no unit spaces (a unit leased by the bed is one unit
//! priced at the sum of its beds), no country, Yardi's status words, and people found by DESIGN.md's
//! rule for per-lease codes: the same email and last name is one person, who keeps the code of
//! their first sighting (properties in order, leases in order, the tenant first); without an email
//! each code is a person.

use std::collections::HashSet;
use std::sync::Arc;

use pmsgraph_connector_core::{
    Connector, ConnectorError, HttpClient, HttpPolicy, NormalizedRecord, ResidentRole, Resource, SyncItem, SyncScope,
};
use pmsgraph_connector_yardi::YardiConnector;
use pmsgraph_sandbox::compare::{
    PerLeasePeople, assert_parents_first, assert_same, assert_scoped_syncs, assert_soap_fault_fails_each_property,
    assert_waits_out_faults, collect, keyed, soap_properties_and_units,
};
use pmsgraph_sandbox::world::LeaseIds;
use pmsgraph_sandbox::yardi::{person_code, property_code, status_word, tenant_code, unit_code};
use pmsgraph_sandbox::{MemoryStep, SandboxState, Size, World};
use serde_json::json;

struct Sandbox {
    url: String,
    steps: Arc<MemoryStep>,
    seed: u64,
    size: Size,
}

async fn sandbox(seed: u64, size: Size) -> Sandbox {
    let (state, steps) = SandboxState::in_memory(seed, size);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binds");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, pmsgraph_sandbox::router(state)).await.expect("serves") });
    let url =
        format!("http://{addr}{}/{}/Webservices", pmsgraph_sandbox::YARDI_PREFIX, pmsgraph_sandbox::YARDI_DATABASE);
    Sandbox { url, steps, seed, size }
}

impl Sandbox {
    fn connector(&self, username: &str) -> YardiConnector {
        self.connector_for(username, &[])
    }

    fn connector_for(&self, username: &str, codes: &[&str]) -> YardiConnector {
        let policy = HttpPolicy { base_backoff: std::time::Duration::from_millis(5), ..HttpPolicy::default() };
        let http = HttpClient::new(policy).expect("client");
        let credentials = json!({
            "service_url": self.url, "server_name": "sandbox", "database": "sandbox",
            "username": username, "password": "sandbox", "platform": "SQL Server",
            "interface_entity": "pmsgraph", "interface_license": "sandbox", "property_codes": codes,
        });
        YardiConnector::from_stored(credentials.to_string().as_bytes(), &serde_json::Value::Null, http)
            .expect("connector")
    }

    fn world(&self) -> World {
        World::generate(self.seed, self.size, self.steps.get())
    }
}

/// The world as a perfect Yardi connector reads it back (see the module docs).
fn expected(world: &World) -> Vec<NormalizedRecord> {
    let unit_id = |i: usize| {
        let u = &world.units[i];
        format!("{}:{}", property_code(&world.properties[u.property]), unit_code(u))
    };
    let mut out = soap_properties_and_units(world, property_code, unit_id);
    let mut people = PerLeasePeople::default();
    for pi in 0..world.properties.len() {
        for lease in world.leases_of(pi) {
            let tenant = lease.residents.iter().position(|r| r.role == ResidentRole::Primary).unwrap_or(0);
            let order = std::iter::once(tenant).chain((0..lease.residents.len()).filter(|i| *i != tenant));
            let residents = order
                .map(|index| {
                    let r = &lease.residents[index];
                    let person = world.person(r.person_id).expect("the person");
                    r.normalized(people.sight(person, person_code(lease, index), &mut out))
                })
                .collect();
            let ids = LeaseIds {
                remote_id: tenant_code(lease),
                property: property_code(&world.properties[pi]),
                unit: unit_id(lease.unit),
                space: None,
            };
            out.push(lease.normalized(ids, Some(status_word(lease).to_owned()), residents));
        }
    }
    out
}

#[tokio::test]
async fn a_full_sync_reads_back_exactly_the_generated_portfolio() {
    let sandbox = sandbox(7, Size::SMALL).await;
    let connector = sandbox.connector("sandbox");
    let (records, failures) = collect(&connector, SyncScope::Integration).await;
    assert!(failures.is_empty(), "{failures:?}");
    let world = sandbox.world();
    assert_same(keyed(records), keyed(expected(&world)));
    // Every Yardi word occurs, and every role.
    let leases = expected(&world);
    let words: HashSet<_> = leases
        .iter()
        .filter_map(|r| match r {
            NormalizedRecord::Lease(l) => l.remote_status.clone(),
            _ => None,
        })
        .collect();
    assert!(words.contains("Current") && words.contains("Canceled") && words.contains("Notice"), "{words:?}");

    // Later in the timeline: still exact.
    sandbox.steps.set(3);
    let (records, failures) = collect(&connector, SyncScope::Integration).await;
    assert!(failures.is_empty(), "{failures:?}");
    assert_same(keyed(records), keyed(expected(&sandbox.world())));
}

#[tokio::test]
async fn parents_come_before_their_children() {
    let sandbox = sandbox(8, Size::SMALL).await;
    let (records, _) = collect(&sandbox.connector("sandbox"), SyncScope::Integration).await;
    assert_parents_first(&records);
}

#[tokio::test]
async fn scoped_syncs_read_only_their_scope() {
    let sandbox = sandbox(9, Size::SMALL).await;
    let world = keyed(expected(&sandbox.world()));
    let connector = sandbox.connector("sandbox");
    let lease = assert_scoped_syncs(&connector, &world).await;

    // Property codes in the credentials narrow the sync; an unknown one fails alone.
    let first = lease.property_remote_id.as_str();
    let (records, failures) =
        collect(&sandbox.connector_for("sandbox", &[first, "nosuch"]), SyncScope::Integration).await;
    assert!(records.iter().all(|r| match r {
        NormalizedRecord::Property(p) => p.remote_id == first,
        NormalizedRecord::Unit(u) => u.property_remote_id == first,
        NormalizedRecord::Lease(l) => l.property_remote_id == first,
        NormalizedRecord::Resident(_) => true,
    }));
    assert!(
        matches!(&failures[..], [SyncItem::Failed { property: Some(code), error: ConnectorError::InvalidConfig(_) }] if code == "nosuch"),
        "{failures:?}"
    );
}

#[tokio::test]
async fn denied_resources_are_named_and_others_granted() {
    let sandbox = sandbox(10, Size::SMALL).await;
    for denied in [Resource::Units, Resource::Leases, Resource::Residents] {
        let connector = sandbox.connector(&format!("sandbox+deny={denied}"));
        for resource in Resource::ALL {
            let answer = connector.check_access(resource).await;
            // The residents check reads a tenant code with GetResidents first.
            let blocked = resource == denied || (denied == Resource::Leases && resource == Resource::Residents);
            if blocked {
                let err = answer.expect_err("denied");
                assert!(
                    matches!(&err, ConnectorError::AccessDenied { resource: r, message } if *r == denied && message.contains("Invalid or no access to Yardi Property")),
                    "{err:?}"
                );
            } else {
                answer.unwrap_or_else(|e| panic!("{denied} denied, {resource}: {e}"));
            }
        }
    }
    let err = sandbox.connector("nobody").check_access(Resource::Properties).await.expect_err("refused");
    assert!(matches!(err, ConnectorError::Unauthorized(_)), "{err:?}");
}

#[tokio::test]
async fn rate_limits_and_outages_are_waited_out() {
    let sandbox = sandbox(11, Size::SMALL).await;
    assert_waits_out_faults(|p| sandbox.connector(p), &expected(&sandbox.world())).await;
}

#[tokio::test]
async fn a_soap_fault_fails_each_property_with_its_fault_string() {
    let sandbox = sandbox(12, Size::SMALL).await;
    let (records, failures) = collect(&sandbox.connector("sandbox+fault=GetResidents"), SyncScope::Integration).await;
    assert_soap_fault_fails_each_property(
        &records,
        &failures,
        &expected(&sandbox.world()),
        "Server was unable to process request. ---> GetResidents failed",
    );
}

#[tokio::test]
async fn a_malformed_answer_fails_its_property_and_names_the_element() {
    let sandbox = sandbox(13, Size::SMALL).await;
    let (_, failures) = collect(&sandbox.connector("sandbox+malformed=GetResidents"), SyncScope::Integration).await;
    assert!(!failures.is_empty());
    for failure in &failures {
        let SyncItem::Failed { property: Some(_), error: ConnectorError::Malformed { path, message } } = failure else {
            panic!("{failure:?}");
        };
        assert!(path.ends_with("/Residents/Resident[1]/MoveInDate"), "{path}");
        assert!(message.contains("13/45/2024"), "{message}");
    }
    let err = sandbox
        .connector("sandbox+malformed=GetUnitInformation_Login")
        .check_access(Resource::Units)
        .await
        .expect_err("malformed");
    assert!(
        matches!(&err, ConnectorError::Malformed { path, .. } if path.ends_with("RT_Unit[1]/Unit/Information/UnitBedrooms")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_property_of_2000_units_comes_whole_in_one_document() {
    let size = Size { properties: 1, units_per_property: 2000 };
    let sandbox = sandbox(14, size).await;
    let (records, failures) = collect(&sandbox.connector("sandbox"), SyncScope::Integration).await;
    assert!(failures.is_empty(), "{failures:?}");
    assert_same(keyed(records), keyed(expected(&sandbox.world())));
}
