//! The connector against the sandbox's RealPage simulator over real HTTP: what it reads back must
//! be exactly the portfolio the sandbox generated, as RealPage can carry it, field by field, for
//! every scope and after timeline steps, whatever getleaseinfo's look-back window leaves out;
//! faults the simulator injects become the right errors.
//!
//! "As RealPage can carry it" ([`expected`]), from the world itself: RealPage's ids (the sandbox
//! names them: `pmsgraph_sandbox::realpage`), units as `{site}:{unit}`, no unit spaces, no
//! country, RealPage's status words (Current for NOTICE), no guarantors (OneSite does not list
//! them as residents), and people found by DESIGN.md's rule for per-lease ids: the same email and
//! last name is one person, who keeps the member id of their first sighting (sites in order,
//! households in order, the head first); without an email each member id is a person.

use std::collections::HashSet;
use std::sync::Arc;

use pmsgraph_connector_core::{
    Connector, ConnectorError, HttpClient, HttpPolicy, NormalizedRecord, Resource, SyncItem, SyncScope,
};
use pmsgraph_connector_realpage::RealPageConnector;
use pmsgraph_sandbox::compare::{
    PerLeasePeople, assert_parents_first, assert_same, assert_scoped_syncs, assert_soap_fault_fails_each_property,
    assert_waits_out_faults, collect, keyed, soap_properties_and_units,
};
use pmsgraph_sandbox::realpage::{
    DEFAULT_LOOKBACK_DAYS, household_id, in_lookback, member_id, members, site_id, status_word,
};
use pmsgraph_sandbox::world::LeaseIds;
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
    Sandbox { url: format!("http://{addr}{}", pmsgraph_sandbox::REALPAGE_PREFIX), steps, seed, size }
}

impl Sandbox {
    fn connector(&self, key: &str) -> RealPageConnector {
        self.connector_with(key, &[], serde_json::Value::Null)
    }

    fn connector_with(&self, key: &str, sites: &[&str], settings: serde_json::Value) -> RealPageConnector {
        let policy = HttpPolicy { base_backoff: std::time::Duration::from_millis(5), ..HttpPolicy::default() };
        let http = HttpClient::new(policy).expect("client");
        let credentials = json!({
            "gateway_url": self.url, "partner": pmsgraph_sandbox::REALPAGE_PARTNER,
            "pmc_id": pmsgraph_sandbox::REALPAGE_PMC_ID, "site_id": "1", "license_key": key, "site_ids": sites,
        });
        RealPageConnector::from_stored(credentials.to_string().as_bytes(), &settings, http).expect("connector")
    }

    fn world(&self) -> World {
        World::generate(self.seed, self.size, self.steps.get())
    }
}

/// The world as a perfect RealPage connector reads it back (see the module docs).
fn expected(world: &World) -> Vec<NormalizedRecord> {
    let unit_id = |i: usize| {
        let u = &world.units[i];
        format!("{}:{}", site_id(&world.properties[u.property]), u.id)
    };
    let mut out = soap_properties_and_units(world, site_id, unit_id);
    let mut people = PerLeasePeople::default();
    for pi in 0..world.properties.len() {
        for lease in world.leases_of(pi) {
            let residents = members(lease)
                .into_iter()
                .map(|(index, r)| {
                    let person = world.person(r.person_id).expect("the person");
                    r.normalized(people.sight(person, member_id(lease, index), &mut out))
                })
                .collect();
            let ids = LeaseIds {
                remote_id: household_id(lease),
                property: site_id(&world.properties[pi]),
                unit: unit_id(lease.unit),
                space: None,
            };
            out.push(lease.normalized(ids, Some(status_word(lease, lease.status).to_owned()), residents));
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
    // Every RealPage word occurs, and the look-back window leaves leases out.
    let words: HashSet<_> = world.leases.iter().map(|l| status_word(l, l.status)).collect();
    for word in ["Current", "Future Lease", "Applicant", "Former", "Former Applicant"] {
        assert!(words.contains(word), "{word}: {words:?}");
    }
    assert!(world.leases.iter().any(|l| !in_lookback(l, world.today, DEFAULT_LOOKBACK_DAYS)));

    // Later in the timeline: still exact.
    sandbox.steps.set(3);
    let (records, failures) = collect(&connector, SyncScope::Integration).await;
    assert!(failures.is_empty(), "{failures:?}");
    assert_same(keyed(records), keyed(expected(&sandbox.world())));
}

#[tokio::test]
async fn leases_outside_the_lookback_window_are_still_read_whole() {
    let sandbox = sandbox(15, Size::SMALL).await;
    let want = keyed(expected(&sandbox.world()));
    // A window of one day: getleaseinfo lists almost nothing; the resident list carries the rest.
    let narrow = sandbox.connector_with("sandbox", &[], json!({"lease_lookback_days": 1}));
    let (records, failures) = collect(&narrow, SyncScope::Integration).await;
    assert!(failures.is_empty(), "{failures:?}");
    assert_same(keyed(records), want);
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

    // Site ids in the credentials narrow the sync; an unknown one fails alone.
    let first = lease.property_remote_id.as_str();
    let (records, failures) =
        collect(&sandbox.connector_with("sandbox", &[first, "999"], serde_json::Value::Null), SyncScope::Integration)
            .await;
    assert!(records.iter().all(|r| match r {
        NormalizedRecord::Property(p) => p.remote_id == first,
        NormalizedRecord::Unit(u) => u.property_remote_id == first,
        NormalizedRecord::Lease(l) => l.property_remote_id == first,
        NormalizedRecord::Resident(_) => true,
    }));
    assert!(
        matches!(&failures[..], [SyncItem::Failed { property: Some(site), error: ConnectorError::InvalidConfig(_) }] if site == "999"),
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
            if resource == denied {
                let err = answer.expect_err("denied");
                assert!(
                    matches!(&err, ConnectorError::AccessDenied { resource: r, message } if *r == denied && message.contains("Access denied")),
                    "{err:?}"
                );
            } else {
                answer.unwrap_or_else(|e| panic!("{denied} denied, {resource}: {e}"));
            }
        }
    }
    let err = sandbox.connector("nobody").check_access(Resource::Properties).await.expect_err("refused");
    assert!(matches!(&err, ConnectorError::Unauthorized(m) if m.contains("Invalid license key")), "{err:?}");
}

#[tokio::test]
async fn rate_limits_and_outages_are_waited_out() {
    let sandbox = sandbox(11, Size::SMALL).await;
    assert_waits_out_faults(|p| sandbox.connector(p), &expected(&sandbox.world())).await;
}

#[tokio::test]
async fn a_soap_fault_fails_each_site_with_its_fault_string() {
    let sandbox = sandbox(12, Size::SMALL).await;
    let (records, failures) = collect(&sandbox.connector("sandbox+fault=getleaseinfo"), SyncScope::Integration).await;
    assert_soap_fault_fails_each_property(
        &records,
        &failures,
        &expected(&sandbox.world()),
        "RealPage answered getleaseinfo with a SOAP fault (s:Server)",
    );
}

#[tokio::test]
async fn a_malformed_answer_fails_its_site_and_names_the_element() {
    let sandbox = sandbox(13, Size::SMALL).await;
    let (_, failures) =
        collect(&sandbox.connector("sandbox+malformed=getresidentlistinfo"), SyncScope::Integration).await;
    assert!(!failures.is_empty());
    for failure in &failures {
        let SyncItem::Failed { property: Some(_), error: ConnectorError::Malformed { path, message } } = failure else {
            panic!("{failure:?}");
        };
        assert!(path.ends_with("/residentlist/resident[1]/moveindate"), "{path}");
        assert!(message.contains("13/45/2024"), "{message}");
    }
    let err =
        sandbox.connector("sandbox+malformed=unitlist").check_access(Resource::Units).await.expect_err("malformed");
    assert!(
        matches!(&err, ConnectorError::Malformed { path, .. } if path.ends_with("UnitList/Unit[1]/Vacant")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_site_of_2000_units_comes_whole_in_one_document() {
    let size = Size { properties: 1, units_per_property: 2000 };
    let sandbox = sandbox(14, size).await;
    let (records, failures) = collect(&sandbox.connector("sandbox"), SyncScope::Integration).await;
    assert!(failures.is_empty(), "{failures:?}");
    assert_same(keyed(records), keyed(expected(&sandbox.world())));
}
