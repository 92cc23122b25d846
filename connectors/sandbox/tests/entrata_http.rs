//! The Entrata simulator over real HTTP: the router on 127.0.0.1:0, called with reqwest. Checks
//! the wire shapes against the fixtures in `shared/fixtures/pms/entrata`, paging, narrowing, the
//! timeline, credentials and every fault profile.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Duration;

use pmsgraph_sandbox::{MemoryStep, SandboxState, Size, World, router};
use serde_json::{Value, json};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures/pms/entrata/");

struct Sandbox {
    base: String,
    steps: Arc<MemoryStep>,
    client: reqwest::Client,
    seed: u64,
}

async fn start(seed: u64) -> Sandbox {
    let (state, steps) = SandboxState::in_memory(seed, Size::SMALL);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binds");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, router(state)).await.expect("serves") });
    // reqwest is unified with the core crate's build, which brings no TLS provider of its own.
    pmsgraph_connector_core::http::install_tls_provider();
    Sandbox { base: format!("http://{addr}/sandbox/entrata"), steps, client: reqwest::Client::new(), seed }
}

fn module_of(method: &str) -> &'static str {
    match method {
        "getStatus" => "status",
        "getProperties" => "properties",
        "getPropertyUnits" => "propertyunits",
        "getLeases" => "leases",
        "getCustomers" => "customers",
        _ => "unknown",
    }
}

fn body(method: &str, params: Value) -> Value {
    json!({ "auth": { "type": "basic" }, "requestId": "15", "method": { "name": method, "version": "r1", "params": params } })
}

impl Sandbox {
    /// POSTs to the legacy host with Basic auth; returns the HTTP status, headers and JSON body.
    async fn call_as(
        &self,
        user: &str,
        password: &str,
        method: &str,
        params: Value,
        query: &str,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let url = format!("{}/api/v1/{}{query}", self.base, module_of(method));
        let response = self
            .client
            .post(url)
            .basic_auth(user, Some(password))
            .json(&body(method, params))
            .send()
            .await
            .expect("sends");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let json = response.json::<Value>().await.expect("json body");
        (status, headers, json)
    }

    async fn call(&self, method: &str, params: Value) -> Value {
        let (status, _, json) = self.call_as("sandbox", "sandbox", method, params, "").await;
        assert_eq!(status, 200);
        assert_eq!(json["response"]["code"], 200, "{method} failed: {json}");
        json
    }

    fn world(&self) -> World {
        World::generate(self.seed, Size::SMALL, self.steps.get())
    }
}

fn error_code(json: &Value) -> Option<i64> {
    json["response"]["error"]["code"].as_i64()
}

fn fixture(name: &str) -> Value {
    let text = std::fs::read_to_string(format!("{FIXTURES}{name}")).expect("fixture file");
    serde_json::from_str(&text).expect("fixture parses")
}

/// Keys per object path and value kinds per leaf path; arrays are transparent, so an object and
/// an array of such objects have the same shape (Entrata's XML-to-JSON quirk).
#[derive(Default, Debug)]
struct Shape {
    keys: BTreeMap<String, BTreeSet<String>>,
    kinds: BTreeMap<String, BTreeSet<&'static str>>,
}

impl Shape {
    fn of(values: &[&Value]) -> Shape {
        let mut shape = Shape::default();
        for value in values {
            shape.add("", value);
        }
        shape
    }

    fn add(&mut self, path: &str, value: &Value) {
        match value {
            Value::Array(items) => items.iter().for_each(|v| self.add(path, v)),
            Value::Object(map) => {
                self.kinds.entry(path.to_owned()).or_default().insert("object");
                let keys = self.keys.entry(path.to_owned()).or_default();
                keys.extend(map.keys().cloned());
                for (k, v) in map {
                    self.add(&format!("{path}/{k}"), v);
                }
            }
            Value::String(_) => {
                self.kinds.entry(path.to_owned()).or_default().insert("string");
            }
            Value::Number(_) => {
                self.kinds.entry(path.to_owned()).or_default().insert("number");
            }
            Value::Bool(_) => {
                self.kinds.entry(path.to_owned()).or_default().insert("bool");
            }
            Value::Null => {
                self.kinds.entry(path.to_owned()).or_default().insert("null");
            }
        }
    }
}

/// Compares our shape with a fixture's: at every path the fixture has, our keys are the
/// fixture's (less `missing`, plus `extra`), and every value has the fixture's kind.
fn assert_shape(method: &str, ours: &Shape, fixture: &Shape, extra: &[&str], missing: &[&str]) {
    let not_simulated = |path: &str| missing.iter().any(|m| path.starts_with(&format!("{m}/")) || path == *m);
    for (path, fixture_keys) in fixture.keys.iter().filter(|(path, _)| !not_simulated(path)) {
        let Some(our_keys) = ours.keys.get(path) else {
            panic!("{method}: no object at {path}");
        };
        for key in our_keys.difference(fixture_keys) {
            let full = format!("{path}/{key}");
            assert!(extra.contains(&full.as_str()), "{method}: unexpected key {full}");
        }
        for key in fixture_keys.difference(our_keys) {
            let full = format!("{path}/{key}");
            assert!(missing.contains(&full.as_str()), "{method}: missing key {full}");
        }
    }
    for (path, fixture_kinds) in &fixture.kinds {
        if let Some(our_kinds) = ours.kinds.get(path) {
            assert_eq!(our_kinds, fixture_kinds, "{method}: value kinds differ at {path}");
        }
    }
}

#[tokio::test]
async fn responses_have_the_fixtures_shapes() {
    let sandbox = start(1).await;
    let world = sandbox.world();
    let property_ids: Vec<u64> = world.properties.iter().map(|p| p.id).collect();

    let status = sandbox.call("getStatus", json!({})).await;
    assert_eq!(status, fixture("getStatus.response.json"), "getStatus answers as the capture");

    let properties = sandbox.call("getProperties", json!({})).await;
    assert_shape(
        "getProperties",
        &Shape::of(&[&properties]),
        &Shape::of(&[&fixture("getProperties.response.json")]),
        &[],
        &["/response/result/PhysicalProperty/Property/ParentPropertyID"],
    );

    let (status, _, units) = sandbox.call_as("sandbox", "sandbox", "getPropertyUnits", json!({}), "").await;
    assert_eq!(status, 200);
    let mut units_fixture = fixture("getPropertyUnits.schema-derived.json");
    units_fixture.as_object_mut().expect("object").remove("_comment");
    // The schema-derived fixture has a numeric requestId; ours echoes the string we sent.
    units_fixture["response"]["requestId"] = json!("15");
    assert_shape(
        "getPropertyUnits",
        &Shape::of(&[&units]),
        &Shape::of(&[&units_fixture]),
        &["/response/result/properties/property/units/unit/unitSpaces/unitSpace/rent"],
        &[],
    );

    // Leases and customers of every property, so the student property's fields show too.
    let lease_request = fixture("getLeases.r1.request.json");
    let mut leases = Vec::new();
    let mut customers = Vec::new();
    for id in &property_ids {
        let mut params = lease_request["method"]["params"].clone();
        params["propertyId"] = json!(id);
        leases.push(sandbox.call("getLeases", params).await);
        customers.push(sandbox.call("getCustomers", json!({ "propertyId": id })).await);
    }
    assert_shape(
        "getLeases",
        &Shape::of(&leases.iter().collect::<Vec<_>>()),
        &Shape::of(&[&fixture("getLeases.r1.response.json")]),
        &["/response/result/meta", "/response/result/leases/lease/customers/customer/moveOutDate"],
        &[
            "/response/result/leases/lease/customers/customer/customerContacts",
            "/response/result/leases/lease/customers/customer/addresses/address/additionalEmail",
        ],
    );
    assert_shape(
        "getCustomers",
        &Shape::of(&customers.iter().collect::<Vec<_>>()),
        &Shape::of(&[&fixture("getCustomers.response.json")]),
        &["/response/result/meta"],
        &[
            "/response/result/Customers/Customer/additionalEmail",
            "/response/result/Customers/Customer/pointsEarned",
            "/response/result/Customers/Customer/gender",
            "/response/result/Customers/Customer/EmploymentDetails",
            "/response/result/Customers/Customer/Vehicles",
        ],
    );

    // Dates: getLeases ISO, getCustomers and getProperties US style.
    let lease = &leases[0]["response"]["result"]["leases"]["lease"][0];
    let start = lease["leaseIntervals"]["leaseInterval"][0]["startDate"].as_str().expect("startDate");
    assert!(chrono::NaiveDate::parse_from_str(start, "%Y-%m-%d").is_ok(), "{start}");
    let customer = &customers[0]["response"]["result"]["Customers"]["Customer"][0];
    let approved = customer["TermsApprovedDate"].as_str().expect("TermsApprovedDate");
    assert!(chrono::NaiveDate::parse_from_str(approved, "%m/%d/%Y").is_ok(), "{approved}");
}

#[tokio::test]
async fn one_child_comes_back_as_an_object() {
    let sandbox = start(1).await;
    let world = sandbox.world();
    let property = &world.properties[0];
    let one = sandbox.call("getProperties", json!({ "propertyIds": property.id.to_string() })).await;
    let record = &one["response"]["result"]["PhysicalProperty"]["Property"];
    assert!(record.is_object(), "one property is an object: {record}");
    assert_eq!(record["PropertyID"], json!(property.id), "PropertyID is a number");

    // A lease with one customer has an object there; an unsplit unit has one space, an object too.
    let single = world.leases_of(0).find(|l| l.residents.len() == 1).expect("a one-person lease");
    let leases =
        sandbox.call("getLeases", json!({ "propertyId": property.id, "leaseIds": single.id.to_string() })).await;
    let lease = &leases["response"]["result"]["leases"]["lease"];
    assert!(lease.is_object(), "one lease is an object");
    assert_eq!(lease["id"], json!(single.id.to_string()), "lease ids are strings");
    assert!(lease["customers"]["customer"].is_object());
    assert!(lease["customers"]["customer"]["id"].is_number(), "customer ids are numbers");
}

#[tokio::test]
async fn paging_covers_every_lease_exactly_once() {
    let sandbox = start(2).await;
    let world = sandbox.world();
    for (pi, property) in world.properties.iter().enumerate() {
        let mut seen = Vec::new();
        let mut page = 1;
        loop {
            let query = format!("?page_no={page}&per_page=7");
            let (status, _, json) =
                sandbox.call_as("sandbox", "sandbox", "getLeases", json!({ "propertyId": property.id }), &query).await;
            assert_eq!(status, 200);
            let result = &json["response"]["result"];
            let meta = &result["meta"];
            assert_eq!(meta["currentPage"], page);
            assert_eq!(meta["perPage"], 7);
            let total = meta["total"].as_u64().expect("total");
            let last = meta["lastPage"].as_u64().expect("lastPage");
            assert_eq!(last, total.div_ceil(7).max(1));
            match &result["leases"]["lease"] {
                Value::Array(items) => seen.extend(items.iter().map(|l| l["id"].as_str().expect("id").to_owned())),
                Value::Object(_) => seen.push(result["leases"]["lease"]["id"].as_str().expect("id").to_owned()),
                _ => {}
            }
            if page as u64 >= last {
                break;
            }
            page += 1;
        }
        let unique: HashSet<&String> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "no lease twice");
        let expected: HashSet<String> = world.leases_of(pi).map(|l| l.id.to_string()).collect();
        assert_eq!(unique.into_iter().cloned().collect::<HashSet<_>>(), expected, "every lease once");
    }
    // Past the last page: an empty page, no leases key.
    let property = world.properties[0].id;
    let (_, _, json) = sandbox
        .call_as("sandbox", "sandbox", "getLeases", json!({ "propertyId": property }), "?page_no=999&per_page=5")
        .await;
    assert!(json["response"]["result"].get("leases").is_none());
    assert_eq!(json["response"]["result"]["meta"]["currentPage"], 999);
}

#[tokio::test]
async fn leases_narrow_by_unit_and_customer() {
    let sandbox = start(3).await;
    let world = sandbox.world();
    let property = &world.properties[0];
    let lease = world.leases_of(0).find(|l| l.residents.len() > 1).expect("a household");
    let unit_id = world.units[lease.unit].id;
    let json = sandbox.call("getLeases", json!({ "propertyId": property.id.to_string(), "unitId": unit_id })).await;
    let expected = world.leases_of(0).filter(|l| l.unit == lease.unit).count();
    assert_eq!(json["response"]["result"]["meta"]["total"], expected);

    let person = lease.residents[1].person_id;
    let json = sandbox.call("getLeases", json!({ "propertyId": property.id, "customerId": person })).await;
    let expected = world.leases_of(0).filter(|l| l.residents.iter().any(|r| r.person_id == person)).count();
    assert_eq!(json["response"]["result"]["meta"]["total"], expected);

    let (_, _, json) = sandbox.call_as("sandbox", "sandbox", "getLeases", json!({}), "").await;
    assert_eq!(error_code(&json), Some(302), "propertyId is required");
}

#[tokio::test]
async fn the_timeline_shows_over_http() {
    let sandbox = start(4).await;
    let property = sandbox.world().properties[0].id;
    let before = sandbox.call("getLeases", json!({ "propertyId": property })).await;
    sandbox.steps.advance();
    sandbox.steps.advance();
    let after = sandbox.call("getLeases", json!({ "propertyId": property })).await;
    assert_ne!(before, after, "two steps later the leases changed");
    let world = sandbox.world();
    assert_eq!(world.step, 2);
    assert_eq!(after["response"]["result"]["meta"]["total"], world.leases_of(0).count());
}

#[tokio::test]
async fn api_keys_work_on_the_gateway_and_request_ids_echo() {
    let sandbox = start(5).await;
    let url = format!("{}/ext/orgs/acme/v1/status", sandbox.base);
    let request =
        json!({ "auth": { "type": "apikey" }, "requestId": 7, "method": { "name": "getStatus", "params": {} } });
    let response = sandbox.client.post(&url).header("X-Api-Key", "sandbox").json(&request).send().await.expect("sends");
    assert_eq!(response.status().as_u16(), 200);
    let json: Value = response.json().await.expect("json");
    assert_eq!(json["response"]["requestId"], json!(7), "a numeric requestId comes back a number");
    assert_eq!(json["response"]["result"]["status"], "Success");

    let response = sandbox.client.post(&url).header("X-Api-Key", "nope").json(&request).send().await.expect("sends");
    let json: Value = response.json().await.expect("json");
    assert_eq!(error_code(&json), Some(110));
}

#[tokio::test]
async fn bad_credentials_and_requests_are_refused() {
    let sandbox = start(6).await;
    for (user, password) in [("sandbox", "wrong"), ("admin", "sandbox"), ("sandbox+bogus", "sandbox"), ("", "")] {
        let (status, _, json) = sandbox.call_as(user, password, "getProperties", json!({}), "").await;
        assert_eq!(status, 200, "Entrata answers errors with HTTP 200");
        assert_eq!(error_code(&json), Some(110), "{user}:{password} -> {json}");
        assert!(json["response"].get("result").is_none());
        assert_eq!(json["response"]["requestId"], "15");
    }
    // No credentials at all.
    let url = format!("{}/api/v1/properties", sandbox.base);
    let response = sandbox.client.post(&url).json(&body("getProperties", json!({}))).send().await.expect("sends");
    let json: Value = response.json().await.expect("json");
    assert_eq!(error_code(&json), Some(110));
    // Not JSON.
    let response =
        sandbox.client.post(&url).basic_auth("sandbox", Some("sandbox")).body("<xml/>").send().await.expect("sends");
    let json: Value = response.json().await.expect("json");
    assert_eq!(error_code(&json), Some(100));
    // Unknown method; a method of another module.
    let (_, _, json) = sandbox.call_as("sandbox", "sandbox", "getUnicorns", json!({}), "").await;
    assert_eq!(error_code(&json), Some(301));
    let response = sandbox
        .client
        .post(&url)
        .basic_auth("sandbox", Some("sandbox"))
        .json(&body("getLeases", json!({})))
        .send()
        .await
        .expect("sends");
    let json: Value = response.json().await.expect("json");
    assert_eq!(error_code(&json), Some(301));
}

#[tokio::test]
async fn denied_resources_answer_permission_errors() {
    let sandbox = start(7).await;
    let property = sandbox.world().properties[0].id;
    let user = "sandbox+deny=leases,residents";
    let (_, _, json) = sandbox.call_as(user, "sandbox", "getLeases", json!({ "propertyId": property }), "").await;
    assert_eq!(error_code(&json), Some(113), "{json}");
    assert!(json["response"]["error"]["message"].as_str().expect("message").contains("getLeases"));
    let (_, _, json) = sandbox.call_as(user, "sandbox", "getCustomers", json!({ "propertyId": property }), "").await;
    assert_eq!(error_code(&json), Some(113));
    for method in ["getStatus", "getProperties", "getPropertyUnits"] {
        let (_, _, json) = sandbox.call_as(user, "sandbox", method, json!({}), "").await;
        assert_eq!(json["response"]["code"], 200, "{method} stays allowed");
    }
}

#[tokio::test]
async fn ratelimit_answers_429_once_per_method() {
    let sandbox = start(8).await;
    let user = "sandbox+ratelimit";
    let (status, headers, json) = sandbox.call_as(user, "sandbox", "getProperties", json!({}), "").await;
    assert_eq!(status, 429);
    assert_eq!(headers.get("retry-after").and_then(|v| v.to_str().ok()), Some("1"));
    assert_eq!(error_code(&json), Some(429));
    let (status, _, json) = sandbox.call_as(user, "sandbox", "getProperties", json!({}), "").await;
    assert_eq!((status, json["response"]["code"].clone()), (200, json!(200)));
    let (status, _, _) = sandbox.call_as(user, "sandbox", "getPropertyUnits", json!({}), "").await;
    assert_eq!(status, 429, "each method's first call");
    let (status, _, _) = sandbox.call_as("sandbox", "sandbox", "getStatus", json!({}), "").await;
    assert_eq!(status, 200, "the healthy credential is unaffected");
}

#[tokio::test]
async fn flaky_answers_503_once_per_method() {
    let sandbox = start(9).await;
    let user = "sandbox+flaky";
    let (status, _, json) = sandbox.call_as(user, "sandbox", "getStatus", json!({}), "").await;
    assert_eq!(status, 503);
    assert_eq!(error_code(&json), Some(503));
    let (status, _, _) = sandbox.call_as(user, "sandbox", "getStatus", json!({}), "").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn slow_delays_every_call() {
    let sandbox = start(10).await;
    // A client that gives up after 500 ms times out on a 5-second sandbox, and the same call
    // without the option answers: the delay is injected, not a slow machine.
    let impatient = reqwest::Client::builder().timeout(Duration::from_millis(500)).build().expect("client");
    let url = format!("{}/api/v1/status", sandbox.base);
    for (user, times_out) in [("sandbox+slow=5000", true), ("sandbox", false)] {
        let sent =
            impatient.post(&url).basic_auth(user, Some("sandbox")).json(&body("getStatus", json!({}))).send().await;
        assert_eq!(sent.as_ref().err().is_some_and(reqwest::Error::is_timeout), times_out, "{user}: {sent:?}");
    }
}

#[tokio::test]
async fn malformed_breaks_exactly_the_named_page() {
    let sandbox = start(11).await;
    let property = sandbox.world().properties[0].id;
    let user = "sandbox+malformed=getLeases:2";
    let params = json!({ "propertyId": property });
    let (_, _, page1) = sandbox.call_as(user, "sandbox", "getLeases", params.clone(), "?page_no=1&per_page=5").await;
    assert!(page1["response"]["result"]["leases"]["lease"][0]["id"].is_string());
    let (status, _, page2) =
        sandbox.call_as(user, "sandbox", "getLeases", params.clone(), "?page_no=2&per_page=5").await;
    assert_eq!(status, 200);
    assert_eq!(page2["response"]["result"]["leases"]["lease"][0]["id"], json!(true), "a boolean where an id goes");
    assert!(page2["response"]["result"]["leases"]["lease"][1]["id"].is_string(), "only the first record");
    let (_, _, again) = sandbox.call_as(user, "sandbox", "getLeases", params, "?page_no=2&per_page=5").await;
    assert_eq!(again, page2, "every time");
}

/// A minimal reference reading of getLeases, to check that the wire carries exactly what
/// `World::normalized` promises (the rules a connector follows; see the `entrata` module docs).
fn read_lease(
    wire: &Value,
    property_id: &str,
    split_units: &HashSet<String>,
) -> pmsgraph_connector_core::NormalizedLease {
    use pmsgraph_connector_core::RemoteData;
    use pmsgraph_connector_core::vocab::{LeaseStatus, ResidentRole};
    let date = |v: &Value| v.as_str().and_then(|s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok());
    let list = |v: &Value| match v {
        Value::Array(items) => items.clone(),
        Value::Null => vec![],
        other => vec![other.clone()],
    };
    let status = |word: &str| match word {
        "Applicant" => LeaseStatus::Applicant,
        "Cancelled" => LeaseStatus::Cancelled,
        "Future" => LeaseStatus::Future,
        "Current" => LeaseStatus::Current,
        "Notice" => LeaseStatus::Notice,
        "Past" => LeaseStatus::Past,
        other => panic!("unknown status {other}"),
    };
    let interval_id = wire["leaseIntervalId"].as_str().expect("leaseIntervalId");
    let interval = list(&wire["leaseIntervals"]["leaseInterval"])
        .into_iter()
        .find(|i| i["id"] == interval_id)
        .expect("current interval");
    let rent = list(&wire["scheduledCharges"]["scheduledCharge"])
        .into_iter()
        .find(|c| c["leaseIntervalId"] == interval_id && c["chargeType"] == "Base Rent")
        .and_then(|c| c["amount"].as_str().map(|a| a.replace('.', "").parse::<i64>().expect("amount")));
    let activities = list(&wire["leaseActivities"]["leasesActivity"]);
    let activity = |event: &str| activities.iter().find(|a| a["eventType"] == event).and_then(|a| date(&a["date"]));
    // A unit with several unit spaces (getPropertyUnits) is leased by the bed: its leases name
    // their space. An ordinary unit's single space is the unit itself.
    let unit_id = wire["unitId"].as_str().expect("unitId").to_owned();
    let space = split_units.contains(&unit_id).then(|| wire["unitSpaceId"].as_str().expect("space").to_owned());
    let status_id: u8 = wire["leaseStatusTypeId"].as_str().expect("status id").parse().expect("number");
    let residents = list(&wire["customers"]["customer"])
        .iter()
        .map(|c| pmsgraph_connector_core::NormalizedLeaseResident {
            resident_remote_id: c["id"].as_u64().expect("customer id").to_string(),
            role: match c["customerType"].as_str().expect("customerType") {
                "Primary" => ResidentRole::Primary,
                "Responsible" | "Co-Applicant" => ResidentRole::CoApplicant,
                "Occupant" | "Non-Responsible" => ResidentRole::Occupant,
                "Guarantor" => ResidentRole::Guarantor,
                other => panic!("unknown customerType {other}"),
            },
            move_in_date: date(&c["moveInDate"]),
            move_out_date: date(&c["moveOutDate"]),
            status: status(c["leaseCustomerStatus"].as_str().expect("leaseCustomerStatus")),
            remote_data: RemoteData::null(),
        })
        .collect();
    let word = wire["leaseIntervalStatus"].as_str().expect("leaseIntervalStatus");
    let by_id = ["", "Applicant", "Cancelled", "Future", "Current", "Notice", "Past"];
    assert_eq!(by_id.get(usize::from(status_id)), Some(&word), "leaseStatusTypeId agrees with the word");
    pmsgraph_connector_core::NormalizedLease {
        remote_id: wire["id"].as_str().expect("id").to_owned(),
        property_remote_id: property_id.to_owned(),
        unit_remote_id: Some(unit_id),
        unit_space_remote_id: space,
        status: status(word),
        remote_status: Some(word.to_owned()),
        start_date: date(&interval["startDate"]),
        end_date: date(&interval["endDate"]),
        move_in_date: activity("Actual Move In"),
        move_out_date: activity("Actual Move Out").or_else(|| activity("Scheduled Move Out")),
        notice_date: activity("Notice Given"),
        rent_cents: rent,
        is_month_to_month: wire["isMonthToMonth"] == 1,
        residents,
        remote_data: RemoteData::null(),
    }
}

#[tokio::test]
async fn the_wire_carries_what_normalized_promises() {
    use pmsgraph_connector_core::NormalizedRecord;
    let sandbox = start(12).await;
    for _ in 0..3 {
        let world = sandbox.world();
        let expected: Vec<_> = world
            .normalized()
            .into_iter()
            .filter_map(|r| match r {
                NormalizedRecord::Lease(l) => Some(l),
                _ => None,
            })
            .collect();
        let units = sandbox.call("getPropertyUnits", json!({})).await;
        let mut split_units = HashSet::new();
        for property in units["response"]["result"]["properties"]["property"].as_array().expect("properties") {
            for unit in property["units"]["unit"].as_array().expect("units") {
                if unit["unitSpaces"]["unitSpace"].as_array().is_some_and(|spaces| spaces.len() > 1) {
                    split_units.insert(unit["id"].as_u64().expect("unit id").to_string());
                }
            }
        }
        assert!(!split_units.is_empty());
        let mut read = Vec::new();
        for property in &world.properties {
            let json = sandbox.call("getLeases", json!({ "propertyId": property.id })).await;
            let leases = match &json["response"]["result"]["leases"]["lease"] {
                Value::Array(items) => items.clone(),
                other => vec![other.clone()],
            };
            read.extend(leases.iter().map(|l| read_lease(l, &property.id.to_string(), &split_units)));
        }
        read.sort_by(|a, b| a.remote_id.cmp(&b.remote_id));
        assert_eq!(read.len(), expected.len());
        for (got, want) in read.iter().zip(&expected) {
            assert_eq!(got, want);
        }
        sandbox.steps.advance();
    }
}
