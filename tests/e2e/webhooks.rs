//! Webhooks and the live event subscription, end to end: a receiver over real HTTP that verifies
//! every signature as an app would (a few lines of HMAC-SHA256), deduplicates by event id, and
//! goes down for a while; a server restart with deliveries pending; a secret rotation; a replay;
//! and a graphql-ws client over a real websocket.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use futures::{SinkExt, StreamExt};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use pmsgraph::auth::Environment;
use pmsgraph::store::sandbox::{DEFAULT_WORLD, advance};

use crate::support::TestServer;
use crate::sync::{enabled, sync_now};

/// What the receiver saw.
#[derive(Default)]
struct Seen {
    /// The secrets it accepts (an app's configuration).
    secrets: Vec<String>,
    /// Answer 503 (an outage).
    down: bool,
    /// Requests received, whatever the answer.
    requests: usize,
    /// Requests whose signature did not verify.
    bad_signatures: usize,
    /// The most `v1=` signatures one request carried.
    most_signatures: usize,
    /// Event id -> how many times it was accepted (a 2xx answer).
    accepted: BTreeMap<String, usize>,
    /// The accepted bodies, by event id.
    bodies: BTreeMap<String, Value>,
}

type Receiver = Arc<Mutex<Seen>>;

/// How a receiver checks a delivery: HMAC-SHA256 of `{timestamp}.{body}` under its secret, hex,
/// against each `v1=` of the signature header.
fn verifies(secret: &str, headers: &HeaderMap, body: &[u8]) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let timestamp = header("pmsgraph-timestamp");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    let expected = hex::encode(mac.finalize().into_bytes());
    header("pmsgraph-signature").split(',').any(|part| part.trim().strip_prefix("v1=") == Some(expected.as_str()))
}

async fn receive(State(seen): State<Receiver>, headers: HeaderMap, body: Bytes) -> (StatusCode, HeaderMap) {
    let mut seen = seen.lock().expect("the receiver's state");
    seen.requests += 1;
    let signatures =
        headers.get("pmsgraph-signature").and_then(|v| v.to_str().ok()).map_or(0, |v| v.matches("v1=").count());
    seen.most_signatures = seen.most_signatures.max(signatures);
    if seen.down {
        let mut answer = HeaderMap::new();
        answer.insert("retry-after", "1".parse().expect("a header value"));
        return (StatusCode::SERVICE_UNAVAILABLE, answer);
    }
    if !seen.secrets.iter().any(|secret| verifies(secret, &headers, &body)) {
        seen.bad_signatures += 1;
        return (StatusCode::UNAUTHORIZED, HeaderMap::new());
    }
    let event: Value = serde_json::from_slice(&body).expect("a JSON body");
    let id = event["id"].as_str().expect("an event id").to_owned();
    let header_id = headers.get("pmsgraph-event-id").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert_eq!(header_id, id, "the header names the body's event");
    *seen.accepted.entry(id.clone()).or_insert(0) += 1;
    seen.bodies.insert(id, event);
    (StatusCode::NO_CONTENT, HeaderMap::new())
}

/// A receiver on a port of its own; its URL.
async fn start_receiver(seen: Receiver) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let addr = listener.local_addr().expect("an address");
    let app = Router::new().route("/hooks", post(receive)).with_state(seen);
    tokio::spawn(async move { axum::serve(listener, app).await.expect("the receiver serves") });
    format!("http://{addr}/hooks")
}

/// Quick retries, so that an outage of a few seconds stands for one of several minutes.
fn quick_retries(config: &mut pmsgraph::config::Config) {
    config.allow_private_pms_urls = true;
    config.webhooks.poll = Duration::from_millis(100);
    config.webhooks.retry_base = Duration::from_millis(200);
    config.webhooks.retry_max_interval = Duration::from_secs(1);
    config.subscription_poll = Duration::from_millis(100);
}

const CREATE: &str = r#"mutation($url: String!, $types: [EventType!]) {
  createWebhookEndpoint(input: { url: $url, eventTypes: $types, description: "doors" }) {
    secret endpoint { id url eventTypes enabled }
  }
}"#;

const ENDPOINT: &str = r#"query($id: ID!) { node(id: $id) { ... on WebhookEndpoint {
  id previousSecretExpiresAt deliveryCounts { status count }
  deliveries(first: 500) { totalCount nodes {
    id status attempts nextAttemptAt lastStatusCode deliveredAt event { id type }
    attemptLog { number statusCode error durationMs }
  } }
} } }"#;

/// Every event id of the app's feed.
async fn feed_ids(server: &TestServer, token: &str) -> BTreeSet<String> {
    let answer = server.gql(token, "{ events(first: 500) { nodes { id } } }", json!({})).await;
    answer.data()["events"]["nodes"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["id"].as_str().expect("an id").to_owned())
        .collect()
}

async fn wait_until(what: &str, mut done: impl AsyncFnMut() -> bool) {
    for _ in 0..600 {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting until {what}");
}

fn accepted_ids(seen: &Receiver) -> BTreeSet<String> {
    seen.lock().expect("the receiver's state").accepted.keys().cloned().collect()
}

#[tokio::test]
async fn a_receiver_gets_every_event_once_through_an_outage_a_restart_and_a_secret_rotation() {
    let mut server = TestServer::start_with(quick_retries).await;
    let token = server.token("door-vendor", Environment::Sandbox).await;
    let seen: Receiver = Arc::default();
    let url = start_receiver(seen.clone()).await;

    let answer = server.gql(&token, CREATE, json!({ "url": url })).await;
    let created = answer.data()["createWebhookEndpoint"].clone();
    let secret = created["secret"].as_str().expect("a secret").to_owned();
    assert!(secret.starts_with("whsec_"), "{created}");
    assert_eq!(created["endpoint"]["eventTypes"], json!([]), "all types by default");
    let endpoint = created["endpoint"]["id"].as_str().expect("an id").to_owned();
    seen.lock().expect("state").secrets.push(secret.clone());

    // The first sync's one event arrives, signed.
    let (integration, job) = enabled(&server, &token, "sandbox").await;
    assert_eq!(job["status"], "SUCCESS", "{job}");
    wait_until("the first event arrives", async || accepted_ids(&seen).len() == 1).await;

    // The receiver goes down; the timeline moves on and a sync finds changes.
    seen.lock().expect("state").down = true;
    for _ in 0..2 {
        advance(server.db(), DEFAULT_WORLD, 1).await.expect("the timeline advances");
        assert_eq!(sync_now(&server, &token, &integration, Value::Null).await["status"], "SUCCESS");
    }
    let expected = feed_ids(&server, &token).await;
    assert!(expected.len() > 5, "the timeline made events: {}", expected.len());
    wait_until("several attempts have failed", async || seen.lock().expect("state").requests > 3 * expected.len())
        .await;
    let state = server.gql(&token, ENDPOINT, json!({ "id": endpoint })).await.data()["node"].clone();
    let failing: Vec<&Value> = state["deliveries"]["nodes"]
        .as_array()
        .expect("deliveries")
        .iter()
        .filter(|d| d["status"] == "PENDING")
        .collect();
    assert_eq!(failing.len(), expected.len() - 1, "{state:#}");
    let log = &failing[0]["attemptLog"];
    assert!(log.as_array().expect("attempts").len() >= 2, "{log}");
    assert_eq!(log[0]["statusCode"], 503, "{log}");
    assert!(failing[0]["nextAttemptAt"].is_string() && failing[0]["lastStatusCode"] == 503, "{}", failing[0]);

    // A restart while deliveries are pending: they are in the database, not in memory.
    server = server.restart().await;

    // The secret rotates during the outage: the old secret keeps signing for the overlap, so a
    // receiver still configured with the old one goes on accepting.
    let rotate = r#"mutation($id: ID!) { rotateWebhookSecret(id: $id, overlapSeconds: 3600) {
      secret endpoint { previousSecretExpiresAt } } }"#;
    let rotated = server.gql(&token, rotate, json!({ "id": endpoint })).await.data()["rotateWebhookSecret"].clone();
    let new_secret = rotated["secret"].as_str().expect("a new secret").to_owned();
    assert_ne!(new_secret, secret);
    assert!(rotated["endpoint"]["previousSecretExpiresAt"].is_string(), "{rotated}");

    // The receiver comes back, still knowing only the old secret.
    seen.lock().expect("state").down = false;
    wait_until("every event has arrived", async || accepted_ids(&seen) == expected).await;
    {
        let seen = seen.lock().expect("state");
        assert_eq!(seen.bad_signatures, 0, "every signature verified");
        assert_eq!(seen.most_signatures, 2, "during the overlap both secrets sign");
        assert!(seen.accepted.values().all(|n| *n == 1), "no event was accepted twice: {:?}", seen.accepted);
        let body = seen.bodies.values().find(|b| b["type"] != "INITIAL_SYNC_COMPLETED").expect("a lifecycle event");
        for key in ["id", "type", "position", "occurredAt", "customerId", "integrationId", "changes", "data"] {
            assert!(body.get(key).is_some(), "the body has `{key}`: {body}");
        }
    }
    // The receiver has answered; pmsgraph records each answer just after.
    let all_delivered = json!([{ "status": "DELIVERED", "count": expected.len() }]);
    wait_until("every delivery is recorded DELIVERED", async || {
        let state = server.gql(&token, ENDPOINT, json!({ "id": endpoint })).await.data()["node"].clone();
        state["deliveryCounts"] == all_delivered
    })
    .await;
    let state = server.gql(&token, ENDPOINT, json!({ "id": endpoint })).await.data()["node"].clone();
    let retried = state["deliveries"]["nodes"]
        .as_array()
        .expect("deliveries")
        .iter()
        .find(|d| d["attempts"].as_i64() > Some(1))
        .expect("a delivery that needed retries")
        .clone();
    let log = retried["attemptLog"].as_array().expect("attempts");
    assert_eq!(log.last().expect("a last attempt")["statusCode"], 204, "{retried}");
    assert!(log[..log.len() - 1].iter().all(|a| a["statusCode"] == 503), "{retried}");
    assert!(retried["nextAttemptAt"].is_null() && retried["deliveredAt"].is_string(), "{retried}");

    // After the overlap, only the new secret signs: a receiver that switched accepts a replay.
    let replay = "mutation($id: ID!) { replayWebhookDelivery(id: $id) { id status event { id } } }";
    {
        let mut seen = seen.lock().expect("state");
        seen.secrets = vec![new_secret.clone()];
    }
    let replayed =
        server.gql(&token, replay, json!({ "id": retried["id"] })).await.data()["replayWebhookDelivery"].clone();
    assert_eq!(replayed["status"], "PENDING");
    let event_id = replayed["event"]["id"].as_str().expect("an event id").to_owned();
    wait_until("the replay arrives", async || seen.lock().expect("state").accepted.get(&event_id) == Some(&2)).await;
    assert_eq!(accepted_ids(&seen), expected, "a replay repeats an event id the receiver already has");
    assert_eq!(seen.lock().expect("state").bad_signatures, 0);
    server.stop().await;
}

#[tokio::test]
async fn endpoints_are_filtered_checked_and_private_to_their_app() {
    let server = TestServer::start_with(|config| {
        quick_retries(config);
        // Webhook URLs obey the production rules here: no private or loopback addresses.
        config.allow_private_pms_urls = false;
    })
    .await;
    let token = server.token("wifi-vendor", Environment::Sandbox).await;
    let production = server.token("wifi-vendor", Environment::Production).await;
    let other = server.token("another-vendor", Environment::Sandbox).await;

    let refused = [
        (&production, "http://hooks.example.com/x", "https"),
        (&production, "https://10.1.2.3/x", "not a public address"),
        (&production, "https://localhost/x", "not a public address"),
        (&token, "http://127.0.0.1:9/x", "not a public address"),
        (&token, "ftp://hooks.example.com/x", "not supported"),
        (&token, "not a url", "not a URL"),
    ];
    for (who, url, why) in refused {
        let answer = server.gql(who, CREATE, json!({ "url": url })).await;
        assert_eq!(answer.code(), "BAD_USER_INPUT", "{url}: {:#}", answer.body);
        assert!(answer.message().contains(why), "{url}: {}", answer.message());
    }

    let answer = server
        .gql(
            &token,
            CREATE,
            json!({ "url": "https://hooks.example.com/in", "types": ["MOVED_IN", "MOVED_OUT", "MOVED_IN"] }),
        )
        .await;
    let endpoint = answer.data()["createWebhookEndpoint"]["endpoint"].clone();
    assert_eq!(endpoint["eventTypes"], json!(["MOVED_IN", "MOVED_OUT"]));
    let id = endpoint["id"].as_str().expect("an id").to_owned();

    // Another app, or the same app's production token, sees nothing of it.
    for who in [&other, &production] {
        let listed = server.gql(who, "{ webhookEndpoints { totalCount } }", json!({})).await;
        assert_eq!(listed.data()["webhookEndpoints"]["totalCount"], 0);
        for mutation in [
            "mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }",
            "mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }",
            "mutation($id: ID!) { updateWebhookEndpoint(id: $id, input: { enabled: false }) { id } }",
        ] {
            let answer = server.gql(who, mutation, json!({ "id": id })).await;
            assert_eq!(answer.code(), "NOT_FOUND", "{mutation}: {:#}", answer.body);
        }
        let node = server.gql(who, "query($id: ID!) { node(id: $id) { id } }", json!({ "id": id })).await;
        assert_eq!(node.code(), "NOT_FOUND", "{:#}", node.body);
    }

    // The secret is never readable: the type has no such field.
    let answer = server.gql(&token, "{ webhookEndpoints { nodes { secret } } }", json!({})).await;
    assert_eq!(answer.code(), "BAD_USER_INPUT", "{:#}", answer.body);

    // Updates keep their checks; a bad overlap is refused.
    let update = r#"mutation($id: ID!, $url: String) { updateWebhookEndpoint(id: $id, input: { url: $url, eventTypes: [], enabled: false }) { url eventTypes enabled } }"#;
    let answer = server.gql(&token, update, json!({ "id": id, "url": "https://192.168.0.1/" })).await;
    assert_eq!(answer.code(), "BAD_USER_INPUT", "{:#}", answer.body);
    let answer = server.gql(&token, update, json!({ "id": id, "url": "https://hooks.example.com/v2" })).await;
    assert_eq!(
        answer.data()["updateWebhookEndpoint"],
        json!({ "url": "https://hooks.example.com/v2", "eventTypes": [], "enabled": false })
    );
    let answer = server
        .gql(
            &token,
            "mutation($id: ID!) { rotateWebhookSecret(id: $id, overlapSeconds: -1) { secret } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(answer.code(), "BAD_USER_INPUT", "{:#}", answer.body);
    let answer = server.gql(&token, "mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }", json!({ "id": id })).await;
    assert_eq!(answer.data()["deleteWebhookEndpoint"], true);
    server.stop().await;
}

/// The ids of the events a filter selects.
async fn filtered_ids(server: &TestServer, token: &str, filter: Value) -> BTreeSet<String> {
    let query = "query($filter: EventFilter) { events(first: 500, filter: $filter) { nodes { id } } }";
    let answer = server.gql(token, query, json!({ "filter": filter })).await;
    answer.data()["events"]["nodes"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["id"].as_str().expect("an id").to_owned())
        .collect()
}

#[tokio::test]
async fn an_endpoint_gets_only_its_event_types_and_customer() {
    let server = TestServer::start_with(quick_retries).await;
    let token = server.token("lock-vendor", Environment::Sandbox).await;
    let (first, _) = enabled(&server, &token, "sandbox").await;
    let (second, _) = enabled(&server, &token, "sandbox").await;
    let customer_query = "query($id: ID!) { node(id: $id) { ... on Integration { customer { id } } } }";
    let customer =
        server.gql(&token, customer_query, json!({ "id": second })).await.data()["node"]["customer"]["id"].clone();
    let before = feed_ids(&server, &token).await;

    let receivers: [Receiver; 3] = Default::default();
    let inputs =
        [json!({}), json!({ "eventTypes": ["MOVED_OUT", "EMAIL_CHANGED"] }), json!({ "customerId": customer })];
    let create = "mutation($input: WebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret } }";
    for (seen, input) in receivers.iter().zip(inputs) {
        let mut input = input;
        input["url"] = json!(start_receiver(seen.clone()).await);
        let answer = server.gql(&token, create, json!({ "input": input })).await;
        let secret = answer.data()["createWebhookEndpoint"]["secret"].as_str().expect("a secret").to_owned();
        seen.lock().expect("state").secrets.push(secret);
    }
    for _ in 0..3 {
        advance(server.db(), DEFAULT_WORLD, 1).await.expect("the timeline advances");
        for integration in [&first, &second] {
            assert_eq!(sync_now(&server, &token, integration, Value::Null).await["status"], "SUCCESS");
        }
    }
    let after = |ids: BTreeSet<String>| ids.difference(&before).cloned().collect::<BTreeSet<String>>();
    let all = after(feed_ids(&server, &token).await);
    let some_types = after(filtered_ids(&server, &token, json!({ "types": ["MOVED_OUT", "EMAIL_CHANGED"] })).await);
    let one_customer = after(filtered_ids(&server, &token, json!({ "customerId": customer })).await);
    assert!(!some_types.is_empty() && some_types.len() < all.len(), "{} of {}", some_types.len(), all.len());
    assert!(!one_customer.is_empty() && one_customer.len() < all.len(), "{} of {}", one_customer.len(), all.len());
    for (seen, wanted, what) in [
        (&receivers[0], &all, "every"),
        (&receivers[1], &some_types, "types"),
        (&receivers[2], &one_customer, "customer"),
    ] {
        wait_until(&format!("the {what} endpoint has its events"), async || accepted_ids(seen) == *wanted).await;
    }
    server.stop().await;
}

/// A graphql-ws (graphql-transport-ws protocol) client.
struct WsClient {
    socket: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
}

impl WsClient {
    async fn connect(server: &TestServer, token: &str) -> Result<WsClient, Value> {
        let url = format!("{}/graphql/ws", server.url.replacen("http", "ws", 1));
        let mut request = url.into_client_request().expect("a websocket request");
        request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().expect("a header"));
        let (socket, _) = tokio_tungstenite::connect_async(request).await.expect("the websocket opens");
        let mut client = WsClient { socket };
        client
            .send(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } }))
            .await;
        match client.next().await {
            Some(ack) if ack["type"] == "connection_ack" => Ok(client),
            Some(other) => Err(other),
            None => Err(Value::Null),
        }
    }

    async fn send(&mut self, message: Value) {
        self.socket.send(Message::text(message.to_string())).await.expect("the message is sent");
    }

    /// The next JSON message; `None` once the connection closes.
    async fn next(&mut self) -> Option<Value> {
        loop {
            let message = tokio::time::timeout(Duration::from_secs(30), self.socket.next()).await.ok()??.ok()?;
            match message {
                Message::Text(text) => return serde_json::from_str(text.as_str()).ok(),
                Message::Close(_) => return None,
                _ => continue,
            }
        }
    }
}

#[tokio::test]
async fn a_subscription_streams_events_as_syncs_commit_and_resumes_after_a_cursor() {
    let server = TestServer::start_with(quick_retries).await;
    let token = server.token("access-vendor", Environment::Sandbox).await;
    let other = server.token("another-vendor", Environment::Sandbox).await;
    let (integration, _) = enabled(&server, &token, "sandbox").await;
    let head = server.gql(&token, "{ events(first: 1) { pageInfo { endCursor } } }", json!({})).await.data()["events"]
        ["pageInfo"]["endCursor"]
        .clone();

    // A bad token is refused at connection_init.
    assert!(WsClient::connect(&server, "not-a-token").await.is_err());

    let mut live = WsClient::connect(&server, &token).await.expect("connected");
    let query = "subscription { events { id type position } }";
    live.send(json!({ "id": "1", "type": "subscribe", "payload": { "query": query } })).await;
    // Another app's subscription sees none of this app's events.
    let mut stranger = WsClient::connect(&server, &other).await.expect("connected");
    stranger.send(json!({ "id": "1", "type": "subscribe", "payload": { "query": query } })).await;
    // A client resuming after the first event's cursor gets everything after it, filtered.
    let mut resumed = WsClient::connect(&server, &token).await.expect("connected");
    let filtered =
        "subscription($after: String) { events(after: $after, filter: { types: [MOVED_IN, MOVED_OUT] }) { id type } }";
    resumed
        .send(
            json!({ "id": "r", "type": "subscribe", "payload": { "query": filtered, "variables": { "after": head } } }),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    for _ in 0..2 {
        advance(server.db(), DEFAULT_WORLD, 1).await.expect("the timeline advances");
        sync_now(&server, &token, &integration, Value::Null).await;
    }
    let answer = server.gql(&token, "{ events(first: 500) { nodes { id type position } } }", json!({})).await;
    let feed: Vec<Value> = answer.data()["events"]["nodes"].as_array().expect("events")[1..].to_vec();
    assert!(!feed.is_empty());

    let mut streamed = Vec::new();
    while streamed.len() < feed.len() {
        let message = live.next().await.expect("a message");
        assert_eq!(message["type"], "next", "{message}");
        assert_eq!(message["id"], "1");
        streamed.push(message["payload"]["data"]["events"].clone());
    }
    assert_eq!(streamed, feed, "the live stream is the feed, in order, each event once");

    let moves: Vec<&Value> = feed.iter().filter(|e| e["type"] == "MOVED_IN" || e["type"] == "MOVED_OUT").collect();
    let mut got = Vec::new();
    while got.len() < moves.len() {
        let message = resumed.next().await.expect("a message");
        got.push(message["payload"]["data"]["events"]["id"].clone());
    }
    assert_eq!(got, moves.iter().map(|e| e["id"].clone()).collect::<Vec<_>>());

    // Nothing reached the other app.
    let quiet = tokio::time::timeout(Duration::from_millis(500), stranger.next()).await;
    assert!(quiet.is_err(), "another app's subscription received {quiet:?}");
    server.stop().await;
}

#[tokio::test]
async fn the_first_sync_of_a_large_portfolio_is_one_event_and_one_delivery() {
    let size = pmsgraph_sandbox::Size { properties: 20, units_per_property: 100 };
    let server = TestServer::start_with(|config| {
        quick_retries(config);
        config.sandbox.size = size;
    })
    .await;
    let token = server.token("wifi-vendor", Environment::Sandbox).await;
    let seen: Receiver = Arc::default();
    let url = start_receiver(seen.clone()).await;
    let answer = server.gql(&token, CREATE, json!({ "url": url })).await;
    let secret = answer.data()["createWebhookEndpoint"]["secret"].as_str().expect("a secret").to_owned();
    seen.lock().expect("state").secrets.push(secret);

    let (_, job) = enabled(&server, &token, "sandbox").await;
    assert_eq!(job["status"], "SUCCESS", "{job}");
    let created = job["counts"]["created"].as_u64().expect("counts");
    assert!(created > 2_000 * 2, "units, leases and people: {job}");

    let answer = server.gql(&token, "{ events(first: 10) { totalCount nodes { id type data } } }", json!({})).await;
    let events = &answer.data()["events"];
    assert_eq!(events["totalCount"], 1, "{events:#}");
    assert_eq!(events["nodes"][0]["type"], "INITIAL_SYNC_COMPLETED");
    assert_eq!(events["nodes"][0]["data"]["counts"]["created"], created);
    wait_until("the one delivery arrives", async || seen.lock().expect("state").requests == 1).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(seen.lock().expect("state").requests, 1, "one event, one request");
}
