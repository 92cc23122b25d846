//! The HTTP server: state built from [`Config`], the axum router, and the GraphQL endpoint.
//!
//! `POST /graphql` authenticates the bearer token, loads the tenant scope, answers from the response
//! cache when it can, else executes with a timeout; errors always carry `extensions.code`.
//! `GET /` and `/console/...` serve the onboarding console ([`crate::console`]); `GET /graphql` serves GraphiQL; `GET /graphql/ws` serves subscriptions over websocket (graphql-ws); `/healthz` says the process is up, `/readyz` that the database
//! answers.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use async_graphql::{BatchRequest, BatchResponse, ErrorExtensionValues, Response, ServerError};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Json, Router};
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

use crate::auth::Tokens;
use crate::cache::{CachePolicy, ResponseCache};
use crate::config::Config;
use crate::db::Db;
use crate::error::ApiError;
use crate::graphql::loaders::Loaders;
use crate::graphql::{PmsSchema, RequestCtx, build_app_schema, build_schema};
use crate::sync::Worker;
use crate::vault::Vault;

/// Everything request handlers share; built once from configuration.
pub struct AppState {
    pub config: Config,
    pub db: Db,
    pub tokens: Tokens,
    pub vault: Vault,
    /// Runs queued sync jobs; `notify` it after queueing one.
    pub worker: Worker,
    /// The schema with the onboarding-link rules: for link tokens and websocket connections.
    pub schema: PmsSchema,
    /// The schema without extensions, for app tokens' requests that keep the query rules.
    pub app_schema: PmsSchema,
    pub cache: ResponseCache,
    /// The per-token request rate limit.
    pub rate_limit: crate::rate_limit::TokenRateLimit,
    /// The built-in sandbox PMSs, when mounted.
    pub sandbox: Option<pmsgraph_sandbox::SandboxState>,
    /// Sends webhook deliveries.
    pub webhooks: crate::webhooks::dispatch::Dispatcher,
}

impl AppState {
    /// Connects the database, runs migrations and loads keys.
    pub async fn build(config: Config) -> anyhow::Result<AppState> {
        let db = crate::open_database(&config).await?;
        // Statistics for a SQLite file synced by an older version (PostgreSQL's autovacuum
        // analyzes existing tables itself).
        if db.backend() == sea_orm::DatabaseBackend::Sqlite
            && let Err(err) = db.analyze().await
        {
            tracing::warn!(error = %err, "cannot refresh the planner's statistics");
        }
        let tokens = crate::token_service(&config)?;
        let vault = crate::vault(&config)?;
        let worker = Worker::new(db.clone(), vault.clone(), config.worker_config())?;
        let schema = build_schema(&config.limits, config.introspection);
        let app_schema = build_app_schema(&config.limits, config.introspection);
        let cache = ResponseCache::new(&config.cache);
        let rate_limit = crate::rate_limit::TokenRateLimit::new(&config.rate_limit);
        let sandbox = config.sandbox.enabled.then(|| crate::sandbox::state(&db, &config.sandbox));
        let webhooks = crate::webhooks::dispatch::Dispatcher::new(
            db.clone(),
            vault.clone(),
            config.webhooks.clone(),
            config.webhook_addresses(),
        )?;
        Ok(AppState { config, db, tokens, vault, worker, schema, app_schema, cache, sandbox, rate_limit, webhooks })
    }
}

/// A built server, bound to its port, not yet serving.
pub struct Application {
    listener: TcpListener,
    state: Arc<AppState>,
}

impl Application {
    pub async fn build(mut config: Config) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(config.bind).await?;
        // The port actually bound: PMS calls may reach the built-in sandbox there.
        config.bind = listener.local_addr()?;
        let state = Arc::new(AppState::build(config).await?);
        Ok(Application { listener, state })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn state(&self) -> Arc<AppState> {
        self.state.clone()
    }

    /// Serves (and, unless the role is `api`, runs the sync worker and the webhook dispatcher) until
    /// `shutdown` completes, then finishes in-flight requests, the running sync job and the webhook
    /// attempts under way. A `worker` process serves only `/healthz`, `/readyz` and the sandbox.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|stop| *stop).await;
        };
        let role = self.state.config.role;
        let worker =
            role.runs_jobs().then(|| tokio::spawn(self.state.worker.clone().run_until(stopped(stop_rx.clone()))));
        let webhooks = (role.runs_jobs() && self.state.config.webhooks.enabled)
            .then(|| tokio::spawn(self.state.webhooks.clone().run_until(stopped(stop_rx.clone()))));
        let serving = axum::serve(self.listener, router(self.state)).with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        });
        let served = serving.await;
        if let Some(worker) = worker
            && let Err(err) = worker.await
        {
            tracing::error!(error = %err, "the sync worker ended abnormally");
        }
        if let Some(webhooks) = webhooks
            && let Err(err) = webhooks.await
        {
            tracing::error!(error = %err, "the webhook dispatcher ended abnormally");
        }
        served
    }
}

pub fn router(state: Arc<AppState>) -> Router {
    let body_limit = state.config.limits.max_body_bytes;
    let simulators = state.sandbox.clone().map(pmsgraph_sandbox::router).unwrap_or_default();
    let mut routes = Router::new();
    if state.config.role.serves_api() {
        routes = routes
            .route("/graphql", get(graphiql).post(graphql))
            .route("/graphql/ws", get(graphql_ws))
            .route("/", get(crate::console::index))
            .route("/console/{file}", get(crate::console::file));
    }
    routes
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .with_state(state)
        .merge(simulators)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(TraceLayer::new_for_http())
}

async fn graphiql() -> Html<String> {
    Html(
        async_graphql::http::GraphiQLSource::build().endpoint("/graphql").subscription_endpoint("/graphql/ws").finish(),
    )
}

/// Subscriptions over websocket (graphql-ws and the older graphql-transport-ws... both protocols).
/// The token comes in the `connection_init` payload (`{"Authorization": "Bearer ..."}`), or in the
/// upgrade request's Authorization header.
async fn graphql_ws(
    State(state): State<Arc<AppState>>,
    protocol: async_graphql_axum::GraphQLProtocol,
    upgrade: axum::extract::ws::WebSocketUpgrade,
    headers: HeaderMap,
) -> axum::response::Response {
    let header = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
    upgrade.protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS).on_upgrade(move |socket| {
        let schema = state.schema.clone();
        async_graphql_axum::GraphQLWebSocket::new(socket, schema, protocol)
            .on_connection_init(move |payload| subscription_data(state, header, payload))
            .serve()
    })
}

/// Authenticates a websocket connection and builds the context its subscriptions run with.
async fn subscription_data(
    state: Arc<AppState>,
    header: Option<String>,
    payload: serde_json::Value,
) -> async_graphql::Result<async_graphql::Data> {
    let from_payload = ["Authorization", "authorization"]
        .iter()
        .find_map(|key| payload.get(key).and_then(|v| v.as_str()).map(str::to_owned))
        .or_else(|| payload.get("token").and_then(|v| v.as_str()).map(|t| format!("Bearer {t}")));
    let authorization = from_payload.or(header).unwrap_or_default();
    let scope = state.tokens.authenticate(&state.db, Some(&authorization)).await.map_err(|e| match e {
        ApiError::Internal(_) => async_graphql::Error::new("internal error"),
        other => async_graphql::Error::new(other.to_string()),
    })?;
    let ctx = RequestCtx {
        db: state.db.clone(),
        loaders: Loaders::new(&state.db.read, &scope),
        scope,
        limits: state.config.limits.clone(),
        cache: CachePolicy::default(),
        worker: state.worker.clone(),
        allow_private_pms_urls: state.config.allow_private_pms_urls,
        sandbox_addr: state.sandbox.as_ref().map(|_| state.config.bind),
    };
    let mut data = async_graphql::Data::default();
    data.insert(Arc::new(ctx));
    data.insert(state.tokens.clone());
    data.insert(crate::graphql::events::SubscriptionAuth {
        authorization,
        tokens: state.tokens.clone(),
        poll: state.config.subscription_poll,
    });
    Ok(data)
}

async fn readyz(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

/// A response made of one error, for failures before GraphQL execution.
fn error_response(status: StatusCode, error: &ApiError, limit: Option<&str>) -> axum::response::Response {
    let mut server_error = ServerError::new(error.to_string(), None);
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", error.code());
    if let Some(limit) = limit {
        extensions.set("limit", limit);
    }
    server_error.extensions = Some(extensions);
    let body = Response::from_errors(vec![server_error]);
    let mut response = (status, Json(body)).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

/// Every error leaves with a code: validation and limit errors (no path) are BAD_USER_INPUT; an
/// execution error without one is an internal failure, whose message is logged, not returned.
fn ensure_codes(response: &mut Response) {
    for error in &mut response.errors {
        let has_code = error.extensions.as_ref().is_some_and(|e| e.get("code").is_some());
        if has_code {
            continue;
        }
        let mut extensions = error.extensions.take().unwrap_or_default();
        if error.path.is_empty() {
            extensions.set("code", "BAD_USER_INPUT");
            if error.message.contains("nested too deep") {
                extensions.set("limit", "depth");
            } else if error.message.contains("too complex") {
                extensions.set("limit", "complexity");
            }
        } else if is_argument_error(&error.message) {
            extensions.set("code", "BAD_USER_INPUT");
        } else {
            let reference = uuid::Uuid::new_v4().simple().to_string();
            tracing::error!(%reference, message = %error.message, "resolver error without a code");
            error.message = "internal error".into();
            extensions.set("code", "INTERNAL");
            extensions.set("reference", reference.as_str());
        }
        error.extensions = Some(extensions);
    }
}

/// async-graphql's own field errors: an argument that does not parse as its type (a custom scalar
/// such as `Date` is parsed when the field runs, not during validation).
fn is_argument_error(message: &str) -> bool {
    message.starts_with("Failed to parse") || message.starts_with("Invalid value for argument")
}

fn json_bytes(status: StatusCode, body: Bytes, cache: &'static str) -> axum::response::Response {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert("x-pmsgraph-cache", HeaderValue::from_static(cache));
    (status, headers, body).into_response()
}

async fn graphql(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> axum::response::Response {
    let limits = &state.config.limits;
    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            let error = ApiError::bad_input(format!("the request body exceeds {} bytes", limits.max_body_bytes));
            return error_response(StatusCode::PAYLOAD_TOO_LARGE, &error, Some("body"));
        }
        Err(rejection) => {
            return error_response(StatusCode::BAD_REQUEST, &ApiError::bad_input(rejection.body_text()), None);
        }
    };
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let scope = match state.tokens.authenticate(&state.db, authorization).await {
        Ok(scope) => scope,
        Err(error @ ApiError::Internal(_)) => {
            let _ = error.to_graphql();
            return error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                &ApiError::internal(std::io::Error::other("authentication")),
                None,
            );
        }
        Err(error) => return error_response(StatusCode::UNAUTHORIZED, &error, None),
    };
    if let Err(wait) = state.rate_limit.check(scope.principal.token_id) {
        return crate::rate_limit::response(wait);
    }
    let mut batch: BatchRequest = match serde_json::from_slice(&body) {
        Ok(batch) => batch,
        Err(err) => {
            let error = ApiError::bad_input(format!("the body is not a GraphQL request: {err}"));
            return error_response(StatusCode::BAD_REQUEST, &error, None);
        }
    };
    if let BatchRequest::Batch(requests) = &batch
        && requests.len() > limits.max_batch
    {
        let error = ApiError::bad_input(format!("a batch holds at most {} operations", limits.max_batch));
        return error_response(StatusCode::BAD_REQUEST, &error, Some("batch"));
    }
    // Only single operations are cached; a batch runs as it is.
    let cache_key = match &batch {
        BatchRequest::Single(request) if state.cache.enabled() => {
            let variables = serde_json::to_value(&request.variables).unwrap_or_default();
            Some(ResponseCache::key(&scope, &request.query, request.operation_name.as_deref(), &variables))
        }
        _ => None,
    };
    if let Some(key) = &cache_key
        && let Some(body) = state.cache.get(key).await
    {
        return json_bytes(StatusCode::OK, body, "hit");
    }

    let policy = CachePolicy::default();
    let loaders = Loaders::new(&state.db.read, &scope);
    let rules = crate::graphql::query_rules(limits, state.config.introspection);
    let schema = if !scope.principal.is_onboarding_link() && rules.admit(&mut batch) {
        &state.app_schema
    } else {
        &state.schema
    };
    let ctx = RequestCtx {
        db: state.db.clone(),
        scope,
        limits: limits.clone(),
        loaders,
        cache: policy.clone(),
        worker: state.worker.clone(),
        allow_private_pms_urls: state.config.allow_private_pms_urls,
        sandbox_addr: state.sandbox.as_ref().map(|_| state.config.bind),
    };
    let batch = batch.data(Arc::new(ctx)).data(state.tokens.clone());
    let execution = schema.execute_batch(batch);
    let mut response = match tokio::time::timeout(limits.request_timeout, execution).await {
        Ok(response) => response,
        Err(_) => {
            let error =
                ApiError::bad_input(format!("the request took longer than {} s", limits.request_timeout.as_secs()));
            return error_response(StatusCode::GATEWAY_TIMEOUT, &error, Some("timeout"));
        }
    };
    let cacheable = match &mut response {
        BatchResponse::Single(single) => {
            ensure_codes(single);
            single.errors.is_empty()
        }
        BatchResponse::Batch(all) => {
            all.iter_mut().for_each(ensure_codes);
            false
        }
    };
    let body = match serde_json::to_vec(&response) {
        Ok(body) => Bytes::from(body),
        Err(err) => return error_response(StatusCode::INTERNAL_SERVER_ERROR, &ApiError::internal(err), None),
    };
    match cache_key {
        Some(key) if cacheable && !policy.forbidden() => {
            state.cache.insert(key, body.clone()).await;
            json_bytes(StatusCode::OK, body, "miss")
        }
        _ => json_bytes(StatusCode::OK, body, "bypass"),
    }
}
