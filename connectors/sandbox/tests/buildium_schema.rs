//! Every answer the Buildium simulator serves validates against the official OpenAPI schemas in
//! `shared/fixtures/pms/buildium/openapi.json` (with a JSON Schema validator): the four lists,
//! paged, at step 0 and after timeline steps, incremental listings, and the error bodies.
//!
//! Stricter than the document: every object schema is closed (`additionalProperties: false`), so
//! a misspelt field fails too, and OpenAPI's `format: date` / `date-time` are checked.

use pmsgraph_sandbox::{SandboxState, Size};
use serde_json::{Value, json};

fn components() -> Value {
    let text = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures/pms/buildium/openapi.json"));
    let doc: Value = serde_json::from_str(text).expect("the OpenAPI document is JSON");
    let mut components = doc["components"].clone();
    fn close(v: &mut Value) {
        match v {
            Value::Object(map) => {
                if map.get("type") == Some(&json!("object")) && map.contains_key("properties") {
                    map.entry("additionalProperties").or_insert(json!(false));
                }
                map.values_mut().for_each(close);
            }
            Value::Array(items) => items.iter_mut().for_each(close),
            _ => {}
        }
    }
    close(&mut components);
    components
}

fn validator(item: &str, components: &Value) -> jsonschema::Validator {
    let schema = json!({
        "type": "array",
        "items": { "$ref": format!("#/components/schemas/{item}") },
        "components": components,
    });
    jsonschema::options().should_validate_formats(true).build(&schema).expect("a schema")
}

fn error_validator(components: &Value) -> jsonschema::Validator {
    let schema = json!({ "$ref": "#/components/schemas/ApiErrorResponse", "components": components });
    jsonschema::options().build(&schema).expect("a schema")
}

fn check(validator: &jsonschema::Validator, body: &Value, what: &str) {
    let errors: Vec<String> =
        validator.iter_errors(body).take(5).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{what}: {errors:?}");
}

#[tokio::test]
async fn every_served_body_validates_against_the_openapi_schemas() {
    let (state, steps) = SandboxState::in_memory(11, Size::SMALL);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binds");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, pmsgraph_sandbox::router(state)).await.expect("serves") });
    let base = format!("http://{addr}{}", pmsgraph_sandbox::BUILDIUM_PREFIX);
    let components = components();
    let lists = [
        ("/v1/rentals", "RentalMessage"),
        ("/v1/rentals/units", "RentalUnitMessage"),
        ("/v1/leases", "LeaseMessage"),
        ("/v1/leases/tenants", "TenantMessage"),
    ];
    let validators: Vec<_> = lists.iter().map(|(_, item)| validator(item, &components)).collect();
    pmsgraph_connector_core::http::install_tls_provider();
    let client = reqwest::Client::new();
    let get = |url: String, id: &'static str| {
        client.get(url).header("x-buildium-client-id", id).header("x-buildium-client-secret", "sandbox").send()
    };
    // The validators do reject: a misspelt field, a wrong type, a bad date.
    assert!(!validators[0].is_valid(&json!([{ "Idd": 1 }])));
    assert!(!validators[2].is_valid(&json!([{ "Id": true }])));
    assert!(!validators[2].is_valid(&json!([{ "LeaseFromDate": "07/01/2024" }])));
    let mut served = 0;
    let since = chrono::Utc::now() - chrono::Duration::seconds(1);
    for step in [0, 1, 3] {
        steps.set(step);
        for ((path, _), validator) in lists.iter().zip(&validators) {
            for extra in ["", "&lastupdatedfrom=SINCE"] {
                let extra = extra.replace("SINCE", &since.format("%Y-%m-%dT%H:%M:%SZ").to_string());
                let mut offset = 0;
                loop {
                    let url = format!("{base}{path}?limit=40&offset={offset}{extra}");
                    let response = get(url.clone(), "sandbox").await.expect("answers");
                    assert_eq!(response.status(), 200, "{url}");
                    let total: usize =
                        response.headers()["x-total-count"].to_str().expect("text").parse().expect("a number");
                    let body: Value = response.json().await.expect("JSON");
                    check(validator, &body, &url);
                    served += 1;
                    let n = body.as_array().expect("an array").len();
                    offset += n;
                    if n == 0 || offset >= total {
                        break;
                    }
                }
            }
        }
    }
    assert!(served > 30, "{served} pages");
    // Error bodies: refused credentials, a denied resource, a bad parameter, an injected 429.
    let errors = error_validator(&components);
    for (url, id, status) in [
        (format!("{base}/v1/rentals"), "nobody", 401),
        (format!("{base}/v1/leases"), "sandbox+deny=leases", 403),
        (format!("{base}/v1/leases?limit=5000"), "sandbox", 400),
        (format!("{base}/v1/leases?lastupdatedfrom=yesterday"), "sandbox", 400),
        (format!("{base}/v1/rentals"), "sandbox+ratelimit", 429),
    ] {
        let response = get(url.clone(), id).await.expect("answers");
        assert_eq!(response.status(), status, "{url}");
        let body: Value = response.json().await.expect("JSON");
        check(&errors, &body, &url);
    }
}
