//! Lifecycle events, access windows, occupants, overrides and matching, end to end: the built-in
//! Entrata sandbox synced over HTTP, its timeline moved on, and the GraphQL answers compared with
//! what the sandbox says happened (its own list of changes per step, not the change log pmsgraph
//! derives events from).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use serde_json::{Value, json};

use pmsgraph::auth::Environment;
use pmsgraph::store::sandbox::{DEFAULT_WORLD, advance};
use pmsgraph_connector_core::ResidentRole;
use pmsgraph_sandbox::{ChangeKind, World};

use crate::support::TestServer;
use crate::sync::{enabled, sync_now, world};

const EVENTS: &str = r#"query($after: String) {
  events(first: 200, after: $after) {
    totalCount
    pageInfo { endCursor hasNextPage }
    nodes {
      id position type occurredAt data integration { id }
      lease { remoteId } resident { id remoteId } leaseResident { id }
      unit { id number } previousLease { remoteId } previousUnit { number }
      changes { field old new }
    }
  }
}"#;

/// Every event after `cursor`, and the cursor to continue from.
async fn events_after(server: &TestServer, token: &str, cursor: Option<String>) -> (Vec<Value>, Option<String>) {
    let mut out = Vec::new();
    let mut cursor = cursor;
    loop {
        let answer = server.gql(token, EVENTS, json!({ "after": cursor })).await;
        let page = answer.data()["events"].clone();
        out.extend(page["nodes"].as_array().cloned().unwrap_or_default());
        if let Some(end) = page["pageInfo"]["endCursor"].as_str() {
            cursor = Some(end.to_owned());
        }
        if page["pageInfo"]["hasNextPage"] != true {
            return (out, cursor);
        }
    }
}

/// What identifies an event in a comparison: its type, and the lease and the person it concerns
/// (a lease event names no person; a person event that is not about one lease names none).
type Key = (String, Option<String>, Option<String>);

fn key_of(event: &Value) -> Key {
    let kind = event["type"].as_str().unwrap_or_default().to_owned();
    let lease = event["lease"]["remoteId"].as_str().map(str::to_owned);
    let person = event["resident"]["remoteId"].as_str().map(str::to_owned);
    match kind.as_str() {
        "LEASE_CREATED" | "RENEWED" => (kind, lease, None),
        "EMAIL_CHANGED" | "RESIDENT_UPDATED" => (kind, None, person),
        "REMOTE_DELETED" if event["data"]["record"] == "resident" => (kind, None, person),
        "REMOTE_DELETED" => (kind, lease, None),
        _ => (kind, lease, person),
    }
}

/// The events a step should yield, from the sandbox's own account of what it changed.
fn expected(before: &World, after: &World) -> BTreeMap<Key, usize> {
    let people = |world: &World, lease: Option<u64>| -> Vec<u64> {
        lease
            .and_then(|id| world.lease(id))
            .map(|l| l.residents.iter().filter(|r| r.role != ResidentRole::Guarantor).map(|r| r.person_id).collect())
            .unwrap_or_default()
    };
    let mut events: Vec<(&str, Option<u64>, Option<u64>)> = Vec::new();
    for change in &after.changes {
        let lease = change.lease_id;
        let per_person = |kind| people(after, lease).into_iter().map(move |p| (kind, lease, Some(p)));
        match change.kind {
            ChangeKind::MovedOut => events.extend(per_person("MOVED_OUT")),
            ChangeKind::MovedIn => events.extend(per_person("MOVED_IN")),
            ChangeKind::NoticeGiven => events.extend(per_person("NOTICE_GIVEN")),
            ChangeKind::Approved => events.extend(per_person("MOVE_IN_SCHEDULED")),
            ChangeKind::Renewed => events.push(("RENEWED", lease, None)),
            ChangeKind::NewApplicant => events.push(("LEASE_CREATED", lease, None)),
            ChangeKind::Transferred => {
                let new = change.new_lease_id;
                events.push(("LEASE_CREATED", new, None));
                events.extend(people(after, new).into_iter().map(|p| ("TRANSFERRED", new, Some(p))));
            }
            ChangeKind::EmailChanged => events.push(("EMAIL_CHANGED", None, change.person_id)),
            ChangeKind::Removed => {
                events.push(("REMOTE_DELETED", lease, None));
                let gone = lease.and_then(|id| before.lease(id)).map(|l| l.residents.clone()).unwrap_or_default();
                for person in gone.iter().filter(|r| after.person(r.person_id).is_none()) {
                    events.push(("REMOTE_DELETED", None, Some(person.person_id)));
                }
            }
            ChangeKind::MonthToMonth | ChangeKind::Cancelled => {}
        }
    }
    let mut out = BTreeMap::new();
    for (kind, lease, person) in events {
        *out.entry((kind.to_owned(), lease.map(|l| l.to_string()), person.map(|p| p.to_string()))).or_insert(0) += 1;
    }
    out
}

fn tally(events: &[Value]) -> BTreeMap<Key, usize> {
    let mut out = BTreeMap::new();
    for event in events {
        *out.entry(key_of(event)).or_insert(0) += 1;
    }
    out
}

const WINDOW: &str = r#"query($id: ID!) { node(id: $id) { ... on LeaseResident {
  id status moveInDate moveOutDate
  accessWindow { startsAt endsAt open source override { note } }
  lease { remoteId moveInDate moveOutDate startDate endDate unit { id } property { timeZone accessStartTime accessEndTime } }
} } }"#;

const OCCUPANTS: &str = r#"query($unit: ID!, $at: DateTime!) { node(id: $unit) { ... on Unit {
  occupants(at: $at) { leaseResident { id } resident { remoteId } accessWindow { startsAt endsAt } }
} } }"#;

fn instant(value: &Value) -> DateTime<Utc> {
    value.as_str().and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("not an instant: {value}"))
}

fn date(value: &Value) -> Option<NaiveDate> {
    value.as_str().and_then(|s| s.parse().ok())
}

/// The window DESIGN.md's table gives a current or notice lease resident, computed here from the
/// dates the API serves.
fn expected_window(person: &Value) -> (DateTime<Utc>, Option<DateTime<Utc>>) {
    let lease = &person["lease"];
    let property = &lease["property"];
    let zone: chrono_tz::Tz = property["timeZone"].as_str().and_then(|z| z.parse().ok()).expect("a zone");
    let time = |v: &Value| NaiveTime::parse_from_str(v.as_str().unwrap_or_default(), "%H:%M").expect("HH:MM");
    let local = |d: NaiveDate, t: NaiveTime| {
        zone.from_local_datetime(&d.and_time(t)).earliest().expect("a local time").with_timezone(&Utc)
    };
    let move_in =
        date(&person["moveInDate"]).or(date(&lease["moveInDate"])).or(date(&lease["startDate"])).expect("a move-in");
    let move_out = date(&person["moveOutDate"]).or(date(&lease["moveOutDate"]));
    (local(move_in, time(&property["accessStartTime"])), move_out.map(|d| local(d, time(&property["accessEndTime"]))))
}

async fn occupant_ids(server: &TestServer, token: &str, unit: &Value, at: DateTime<Utc>) -> Vec<String> {
    let answer = server.gql(token, OCCUPANTS, json!({ "unit": unit, "at": at.to_rfc3339() })).await;
    answer.data()["node"]["occupants"]
        .as_array()
        .expect("occupants")
        .iter()
        .map(|o| o["leaseResident"]["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn the_sandbox_timeline_yields_exactly_its_lifecycle_events_and_the_right_access() {
    let server = TestServer::start().await;
    let token = server.token("lock-vendor", Environment::Sandbox).await;
    let other = server.token("another-app", Environment::Sandbox).await;
    let (integration, job) = enabled(&server, &token, "sandbox").await;
    assert_eq!(job["status"], "SUCCESS", "{job}");

    // The first sync is the baseline: one INITIAL_SYNC_COMPLETED, not an event per record.
    let (first, mut cursor) = events_after(&server, &token, None).await;
    assert_eq!(first.len(), 1, "{first:#?}");
    assert_eq!(first[0]["type"], "INITIAL_SYNC_COMPLETED");
    let created = first[0]["data"]["counts"]["created"].as_u64().expect("counts");
    assert!(created > 100, "{}", first[0]);
    let mut last_position = first[0]["position"].as_i64().expect("a position");

    // Each step: exactly the events the sandbox's changes call for, in increasing positions.
    let mut notice = None;
    let mut scheduled = None;
    let mut transferred = None;
    let mut seen_kinds = BTreeMap::new();
    let mut histories: BTreeMap<Key, Vec<String>> = BTreeMap::new();
    for step in 1..=4u32 {
        advance(server.db(), DEFAULT_WORLD, 1).await.expect("the timeline advances");
        let job = sync_now(&server, &token, &integration, Value::Null).await;
        assert_eq!(job["status"], "SUCCESS", "{job}");
        let (events, next) = events_after(&server, &token, cursor.clone()).await;
        cursor = next;
        assert_eq!(tally(&events), expected(&world(step - 1), &world(step)), "step {step}");
        for event in &events {
            let position = event["position"].as_i64().expect("a position");
            assert_eq!(position, last_position + 1, "positions are gap-free");
            last_position = position;
            *seen_kinds.entry(event["type"].as_str().unwrap_or_default().to_owned()).or_insert(0) += 1;
            let (kind, lease, person) = key_of(event);
            histories.entry((String::new(), lease, person)).or_default().push(kind);
            match event["type"].as_str() {
                Some("NOTICE_GIVEN") if notice.is_none() => notice = Some(event.clone()),
                Some("MOVE_IN_SCHEDULED") if scheduled.is_none() => scheduled = Some(event.clone()),
                Some("TRANSFERRED") if transferred.is_none() => transferred = Some(event.clone()),
                Some("EMAIL_CHANGED") => {
                    let change = &event["changes"][0];
                    assert_eq!(change["field"], "email", "{event}");
                    assert_ne!(change["old"], change["new"], "{event}");
                }
                _ => {}
            }
        }
        // A sync that changes nothing yields nothing.
        let job = sync_now(&server, &token, &integration, Value::Null).await;
        assert_eq!(job["counts"]["updated"], 0, "{job}");
        let (none, next) = events_after(&server, &token, cursor.clone()).await;
        assert!(none.is_empty(), "{none:#?}");
        cursor = next;
    }
    for kind in ["MOVED_IN", "NOTICE_GIVEN", "MOVED_OUT", "MOVE_IN_SCHEDULED", "LEASE_CREATED", "EMAIL_CHANGED"] {
        assert!(seen_kinds.contains_key(kind), "no {kind} in four steps: {seen_kinds:?}");
    }
    // One person's place on one lease goes through its life in order, step after step.
    let rank =
        |kind: &str| ["MOVE_IN_SCHEDULED", "MOVED_IN", "NOTICE_GIVEN", "MOVED_OUT"].iter().position(|k| *k == kind);
    for (place, kinds) in &histories {
        let ranks: Vec<usize> = kinds.iter().filter_map(|k| rank(k)).collect();
        assert!(ranks.windows(2).all(|w| w[0] < w[1]), "{place:?}: {kinds:?}");
    }
    for pair in [["MOVE_IN_SCHEDULED", "MOVED_IN"], ["NOTICE_GIVEN", "MOVED_OUT"]] {
        assert!(histories.values().any(|k| k.windows(2).any(|w| w == pair)), "nobody went {pair:?}: {histories:?}");
    }
    let transfers = (1..=4).any(|step| world(step).changes.iter().any(|c| c.kind == ChangeKind::Transferred));
    assert!(transfers, "the sandbox transfers a household within four steps");
    assert!(transferred.is_some(), "a transfer in the sandbox is a TRANSFERRED event");
    // Another app sees none of it.
    let theirs = server.gql(&other, EVENTS, json!({ "after": null })).await;
    assert_eq!(theirs.data()["events"]["totalCount"], 0);

    // A transfer names both units, and the person's active lease moved with them.
    if let Some(event) = &transferred {
        assert_ne!(event["previousUnit"]["number"], event["unit"]["number"], "{event}");
        let query = "query($id: ID!) { node(id: $id) { ... on Resident { activeLease { remoteId } } } }";
        let found = server.gql(&token, query, json!({ "id": event["resident"]["id"] })).await.data()["node"].clone();
        assert_eq!(found["activeLease"]["remoteId"], event["lease"]["remoteId"], "{found}");
    }

    // A notice: the window closes at the move-out date's access end time in the property's zone
    // (across the change to daylight saving time for a move-in before 9 March 2025), and the unit's
    // occupants say so before, during and after.
    let notice = notice.expect("a notice in four steps");
    let person =
        server.gql(&token, WINDOW, json!({ "id": notice["leaseResident"]["id"] })).await.data()["node"].clone();
    assert_eq!(person["status"], "NOTICE", "{person}");
    let (start, end) = expected_window(&person);
    let end = end.expect("a notice has a move-out date");
    let window = &person["accessWindow"];
    assert_eq!(instant(&window["startsAt"]), start, "{person}");
    assert_eq!(instant(&window["endsAt"]), end, "{person}");
    assert_eq!(window["source"], "PMS");
    let unit = &person["lease"]["unit"]["id"];
    let id = person["id"].as_str().expect("an id").to_owned();
    assert!(occupant_ids(&server, &token, unit, start - Duration::seconds(1)).await.iter().all(|o| *o != id));
    assert!(occupant_ids(&server, &token, unit, start).await.contains(&id));
    assert!(occupant_ids(&server, &token, unit, end - Duration::seconds(1)).await.contains(&id));
    assert!(!occupant_ids(&server, &token, unit, end).await.contains(&id));

    // A scheduled move-in: no access before the move-in date's access start time, access from it.
    let scheduled = scheduled.expect("a scheduled move-in in four steps");
    let future =
        server.gql(&token, WINDOW, json!({ "id": scheduled["leaseResident"]["id"] })).await.data()["node"].clone();
    let (start, _) = expected_window(&future);
    assert_eq!(instant(&future["accessWindow"]["startsAt"]), start, "{future}");
    let unit = &future["lease"]["unit"]["id"];
    let id = future["id"].as_str().expect("an id").to_owned();
    assert!(!occupant_ids(&server, &token, unit, start - Duration::minutes(1)).await.contains(&id));
    assert!(occupant_ids(&server, &token, unit, start).await.contains(&id));

    // A late move-out override survives three syncs (with the timeline moving) until cleared.
    let late = end + Duration::days(3);
    let set = r#"mutation($id: ID!, $end: DateTime) { setAccessOverride(leaseResidentId: $id, endsAt: $end, note: "late move-out") {
      accessWindow { endsAt source override { note } } } }"#;
    let answer = server.gql(&token, set, json!({ "id": id_of(&person), "end": late.to_rfc3339() })).await;
    let window = answer.data()["setAccessOverride"]["accessWindow"].clone();
    assert_eq!(instant(&window["endsAt"]), late, "{window}");
    assert_eq!(window["source"], "OVERRIDE");
    for _ in 0..3 {
        advance(server.db(), DEFAULT_WORLD, 1).await.expect("the timeline advances");
        let job = sync_now(&server, &token, &integration, Value::Null).await;
        assert_eq!(job["status"], "SUCCESS", "{job}");
        let now = server.gql(&token, WINDOW, json!({ "id": id_of(&person) })).await.data()["node"].clone();
        assert_eq!(instant(&now["accessWindow"]["endsAt"]), late, "{now}");
        assert_eq!(now["accessWindow"]["override"]["note"], "late move-out");
    }
    let clear = "mutation($id: ID!) { clearAccessOverride(leaseResidentId: $id) { accessWindow { source } } }";
    let answer = server.gql(&token, clear, json!({ "id": id_of(&person) })).await;
    assert_eq!(answer.data()["clearAccessOverride"]["accessWindow"]["source"], "PMS");
    let bad = r#"mutation($id: ID!) { setAccessOverride(leaseResidentId: $id, startsAt: "2026-02-01T00:00:00Z", endsAt: "2026-01-01T00:00:00Z") { id } }"#;
    assert_eq!(server.gql(&token, bad, json!({ "id": id_of(&person) })).await.code(), "BAD_USER_INPUT");
    assert_eq!(server.gql(&other, clear, json!({ "id": id_of(&person) })).await.code(), "NOT_FOUND");
}

fn id_of(person: &Value) -> Value {
    person["id"].clone()
}

#[tokio::test]
async fn people_are_matched_on_all_three_of_name_and_email_or_sent_to_review() {
    let server = TestServer::start().await;
    let token = server.token("matcher", Environment::Sandbox).await;
    enabled(&server, &token, "sandbox").await;
    let answer = server
        .gql(
            &token,
            "{ customers { nodes { id } } residents(first: 500) { nodes { id firstName lastName email } } }",
            json!({}),
        )
        .await;
    let data = answer.data();
    let customer = data["customers"]["nodes"][0]["id"].clone();
    let person = data["residents"]["nodes"]
        .as_array()
        .expect("people")
        .iter()
        .find(|p| p["email"].is_string())
        .cloned()
        .expect("someone with an email");
    let (first, last, email) = (
        person["firstName"].as_str().expect("a name"),
        person["lastName"].as_str().expect("a name"),
        person["email"].as_str().expect("an email"),
    );
    let people = json!([
        { "firstName": format!("  {}", first.to_uppercase()), "lastName": last.to_lowercase(), "email": format!("{} ", email.to_uppercase()) },
        { "firstName": "Someone", "lastName": "Else", "email": email },
        { "firstName": first, "lastName": last, "email": "not-them@example.invalid" },
        { "firstName": "Nobody", "lastName": "Atall", "email": "nobody@example.invalid" },
    ]);
    let query = r#"query($customer: ID!, $people: [PersonInput!]!) { matchResidents(customerId: $customer, people: $people) {
      index result resident { id } candidates { resident { id } reasons } } }"#;
    let answer = server.gql(&token, query, json!({ "customer": customer, "people": people })).await;
    let results = answer.data()["matchResidents"].as_array().expect("results").clone();
    assert_eq!(results[0]["result"], "MATCH", "{results:#?}");
    assert_eq!(results[0]["resident"]["id"], person["id"]);
    assert_eq!(results[1]["result"], "REVIEW");
    assert_eq!(results[1]["candidates"][0]["reasons"], json!(["SAME_EMAIL_DIFFERENT_NAME"]));
    assert_eq!(results[2]["result"], "REVIEW");
    assert!(
        results[2]["candidates"]
            .as_array()
            .expect("candidates")
            .iter()
            .any(|c| c["resident"]["id"] == person["id"] && c["reasons"] == json!(["SAME_NAME_DIFFERENT_EMAIL"])),
        "{results:#?}"
    );
    assert_eq!(results[3]["result"], "NONE");
    // Another app's customer is not found.
    let other = server.token("someone-else", Environment::Sandbox).await;
    assert_eq!(server.gql(&other, query, json!({ "customer": customer, "people": [] })).await.code(), "NOT_FOUND");
}

/// The feed is gap-free while syncs of several integrations commit at once (on PostgreSQL their
/// transactions overlap; positions are handed out under a lock held to commit): a reader that
/// keeps paging after its last cursor during the syncs collects every event exactly once.
#[tokio::test]
async fn a_reader_paging_during_concurrent_syncs_misses_no_event() {
    let server = TestServer::start().await;
    let token = server.token("feed-reader", Environment::Sandbox).await;
    let mut integrations = Vec::new();
    for _ in 0..4 {
        integrations.push(enabled(&server, &token, "sandbox").await.0);
    }
    let (baseline, start) = events_after(&server, &token, None).await;
    assert_eq!(baseline.len(), 4, "one INITIAL_SYNC_COMPLETED per integration");
    advance(server.db(), DEFAULT_WORLD, 1).await.expect("the timeline advances");
    let queue = "mutation($id: ID!) { syncNow(integrationId: $id) { id } }";
    for id in &integrations {
        server.gql(&token, queue, json!({ "id": id })).await.data();
    }
    let mut collected: Vec<Value> = Vec::new();
    let mut cursor = start.clone();
    for _ in 0..2400 {
        let finished = all_finished(&server, &token, &integrations).await;
        let (page, next) = events_after(&server, &token, cursor.clone()).await;
        collected.extend(page);
        cursor = next;
        if finished {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let (everything, _) = events_after(&server, &token, start).await;
    let positions = |events: &[Value]| events.iter().map(|e| e["position"].as_i64().unwrap_or(-1)).collect::<Vec<_>>();
    assert!(everything.len() >= 4 * 20, "each integration's step has its events: {}", everything.len());
    assert_eq!(positions(&collected), positions(&everything), "the reader missed or repeated events");
    let first = baseline.last().and_then(|e| e["position"].as_i64()).unwrap_or(0);
    assert_eq!(positions(&everything), ((first + 1)..=(first + everything.len() as i64)).collect::<Vec<_>>());
    // The same world synced four times: four equal shares of the feed.
    let mut per_integration = BTreeMap::<String, usize>::new();
    for event in &everything {
        *per_integration.entry(event["integration"]["id"].to_string()).or_default() += 1;
    }
    assert_eq!(per_integration.len(), 4, "{per_integration:?}");
    assert!(per_integration.values().all(|n| *n == everything.len() / 4), "{per_integration:?}");
}

/// Whether every integration's latest sync job has ended.
async fn all_finished(server: &TestServer, token: &str, integrations: &[String]) -> bool {
    let query = "query($id: ID!) { node(id: $id) { ... on Integration { syncJobs(last: 1) { nodes { status } } } } }";
    for id in integrations {
        let state = server.gql(token, query, json!({ "id": id })).await;
        let status = state.data()["node"]["syncJobs"]["nodes"][0]["status"].clone();
        if status == "QUEUED" || status == "RUNNING" {
            return false;
        }
    }
    true
}
