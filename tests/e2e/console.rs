//! The onboarding console: `/` and `/console/...` serve the embedded page and modules with the
//! right content types, a strict Content-Security-Policy and content-hash ETags; `/graphql` still
//! serves GraphiQL; `builtInSandboxes` tells sandbox tokens (and onboarding links) how to reach the
//! built-in simulators.

use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use serde_json::json;

use pmsgraph::auth::Environment;

use crate::support::{TestServer, backend};

#[tokio::test]
async fn the_console_is_served_with_its_types_policy_and_etags() {
    let server = TestServer::start().await;
    let get = |path: String| {
        let server = &server;
        async move { server.http().get(format!("{}{path}", server.url)).send().await.expect("answers") }
    };

    let page = get("/".into()).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()[CONTENT_TYPE], "text/html; charset=utf-8");
    let csp = page.headers()[CONTENT_SECURITY_POLICY].to_str().expect("ascii").to_owned();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let html = page.text().await.expect("a body");
    assert!(html.contains(r#"<script type="module" src="/console/app.js">"#), "{html}");
    assert!(!html.contains("<script>"), "no inline script");

    for name in pmsgraph::console::asset_names() {
        let answer = get(format!("/console/{name}")).await;
        assert_eq!(answer.status(), StatusCode::OK, "{name}");
        let expected = match name.rsplit('.').next() {
            Some("js") => "text/javascript; charset=utf-8",
            Some("css") => "text/css; charset=utf-8",
            _ => "text/html; charset=utf-8",
        };
        assert_eq!(answer.headers()[CONTENT_TYPE], expected, "{name}");
        assert_eq!(answer.headers()[CACHE_CONTROL], "no-cache", "{name}");
        assert_eq!(answer.headers()["x-content-type-options"], "nosniff", "{name}");
        assert!(answer.headers().contains_key(CONTENT_SECURITY_POLICY), "{name}");
        let etag = answer.headers()[ETAG].clone();
        let again = server
            .http()
            .get(format!("{}/console/{name}", server.url))
            .header(IF_NONE_MATCH, etag.clone())
            .send()
            .await
            .expect("answers");
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{name} revalidates");
        assert_eq!(again.headers()[ETAG], etag);
    }

    for missing in ["/console/nope.js", "/console/..%2Fsrc%2Fmain.rs", "/console/"] {
        assert_eq!(get(missing.into()).await.status(), StatusCode::NOT_FOUND, "{missing}");
    }

    let graphiql = get("/graphql".into()).await;
    assert_eq!(graphiql.status(), StatusCode::OK);
    assert!(graphiql.text().await.expect("a body").contains("graphiql"), "GraphiQL still at /graphql");
    println!("console routes checked on {}", backend());
    server.stop().await;
}

#[tokio::test]
async fn sandbox_tokens_learn_the_built_in_sandboxes_and_production_tokens_do_not() {
    let server = TestServer::start().await;
    let query = "{ builtInSandboxes { pms url credentials } }";
    let sandbox = server.token("console", Environment::Sandbox).await;
    let answer = server.gql(&sandbox, query, json!({})).await;
    let offered = answer.data()["builtInSandboxes"].as_array().expect("a list").clone();
    let names: Vec<&str> = offered.iter().filter_map(|s| s["pms"].as_str()).collect();
    assert_eq!(names, ["ENTRATA", "YARDI", "REAL_PAGE", "BUILDIUM"]);
    let entrata = &offered[0];
    assert!(entrata["url"].as_str().is_some_and(|u| u.starts_with(&server.url)), "{entrata}");
    assert_eq!(entrata["credentials"]["baseUrl"], entrata["url"]);
    assert_eq!(entrata["credentials"]["username"], "sandbox");
    assert!(entrata["credentials"].get("apiKey").is_none(), "null fields are left out: {entrata}");
    assert_eq!(offered[1]["credentials"]["interfaceLicense"], "sandbox");

    // The credentials offered connect as they are.
    let customer = server
        .gql(&sandbox, r#"mutation { createCustomer(name: "Console Co") { id } }"#, json!({}))
        .await
        .data()["createCustomer"]["id"]
        .clone();
    for offer in &offered {
        let variant = match offer["pms"].as_str() {
            Some("ENTRATA") => "entrata",
            Some("YARDI") => "yardi",
            Some("REAL_PAGE") => "realPage",
            Some("BUILDIUM") => "buildium",
            other => panic!("an unknown PMS {other:?}"),
        };
        let answer = server
            .gql(
                &sandbox,
                "mutation($c: ID!, $creds: CredentialsInput!) { connectIntegration(customerId: $c, credentials: $creds) { pms status } }",
                json!({ "c": customer, "creds": { variant: offer["credentials"] } }),
            )
            .await;
        assert_eq!(answer.data()["connectIntegration"]["pms"], offer["pms"], "{:#}", answer.body);
    }

    // A property manager's onboarding link may prefill them too.
    let link = server
        .gql(&sandbox, "mutation($c: ID!) { createOnboardingLink(customerId: $c) { token } }", json!({ "c": customer }))
        .await
        .data()["createOnboardingLink"]["token"]
        .as_str()
        .expect("a link token")
        .to_owned();
    let answer = server.gql(&link, query, json!({})).await;
    assert_eq!(answer.data()["builtInSandboxes"].as_array().map(Vec::len), Some(offered.len()), "{:#}", answer.body);

    let production = server.token("console", Environment::Production).await;
    let answer = server.gql(&production, query, json!({})).await;
    assert_eq!(answer.data()["builtInSandboxes"], json!([]));
    server.stop().await;
}
