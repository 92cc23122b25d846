//! Operations: health and readiness, GraphiQL, introspection on and off, graceful shutdown, and
//! the checked-in `schema.graphql` matching what the binary prints.

use serde_json::json;

use pmsgraph::auth::Environment;

use crate::support::{TestServer, backend};

#[tokio::test]
async fn health_readiness_and_graphiql() {
    let server = TestServer::start().await;
    let get = |path: &'static str| {
        let server = &server;
        async move {
            let response = server.http().get(format!("{}{path}", server.url)).send().await.expect("answers");
            (response.status(), response.text().await.expect("a body"))
        }
    };
    assert_eq!(get("/healthz").await, (reqwest::StatusCode::OK, "ok".to_owned()));
    assert_eq!(get("/readyz").await, (reqwest::StatusCode::OK, "ready".to_owned()));
    let (status, page) = get("/graphql").await;
    assert_eq!(status, 200);
    assert!(page.contains("graphiql"), "GraphiQL page expected");
    println!("ops checks ran on {}", backend());
    server.stop().await;
}

#[tokio::test]
async fn introspection_is_on_by_default_and_off_by_configuration() {
    let query = "{ __schema { queryType { name } } }";
    let server = TestServer::start().await;
    let token = server.token("intro", Environment::Sandbox).await;
    assert_eq!(server.gql(&token, query, json!({})).await.data()["__schema"]["queryType"]["name"], "Query");

    let closed = TestServer::start_with(|config| config.introspection = false).await;
    let token = closed.token("intro", Environment::Sandbox).await;
    let answer = closed.gql(&token, query, json!({})).await;
    assert_eq!(answer.code(), "BAD_USER_INPUT", "{:#}", answer.body);
    assert_eq!(answer.body["errors"][0]["extensions"]["limit"], "introspection");
    // `__typename` is not introspection.
    assert_eq!(closed.gql(&token, "{ __typename }", json!({})).await.data()["__typename"], "Query");
}

#[test]
fn schema_graphql_matches_the_binary() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let checked_in = std::fs::read_to_string(path).expect("schema.graphql is checked in");
    let generated = pmsgraph::schema_sdl();
    assert!(
        checked_in == generated,
        "schema.graphql is out of date: run `cargo run -q -- schema > schema.graphql` and commit it"
    );
}

#[tokio::test]
async fn a_fresh_data_directory_is_created_with_its_keys() {
    let server = TestServer::start_with(|config| config.data_dir = config.data_dir.join("fresh/data")).await;
    let token = server.token("fresh", Environment::Sandbox).await;
    assert_eq!(server.gql(&token, "{ viewer { name } }", json!({})).await.data()["viewer"]["name"], "fresh");
    let keys = server.state.config.data_dir.join("keys.json");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&keys).expect("a key file").permissions());
    assert_eq!(mode & 0o777, 0o600);
}
