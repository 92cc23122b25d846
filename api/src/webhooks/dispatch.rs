//! The webhook delivery loop: claims due deliveries, POSTs each signed event to its endpoint, and
//! records the attempt: DELIVERED on a 2xx answer, else PENDING again after a backoff (a
//! `Retry-After` of a 429 or 503 is honoured up to the longest interval), or FAILED once the
//! retry window has passed.
//!
//! Any number of dispatchers, in one process or several, share the queue (claims are leased).
//! Connections go through the guarded HTTP client: in production only public addresses are
//! reached, whatever a webhook host name resolves to.

use std::time::{Duration, Instant};

use rand::Rng;
use tokio::task::JoinSet;
use uuid::Uuid;

use pmsgraph_connector_core::reqwest::{self, StatusCode, header};
use pmsgraph_connector_core::{AddressPolicy, ConnectorError, HttpPolicy};

use super::WebhookConfig;
use super::signature::{self, DELIVERY_ID_HEADER, EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use crate::db::Db;
use crate::graphql::ids::{self, NodeType};
use crate::store::webhooks::{self as store, Attempt, Claimed};
use crate::store::{StoreError, now};
use crate::vault::Vault;

/// Claims, sends and records webhook deliveries.
#[derive(Clone)]
pub struct Dispatcher {
    db: Db,
    vault: Vault,
    config: WebhookConfig,
    http: reqwest::Client,
    id: String,
}

impl Dispatcher {
    /// A dispatcher whose connections obey `addresses` (public only, in production).
    pub fn new(db: Db, vault: Vault, config: WebhookConfig, addresses: AddressPolicy) -> Result<Self, ConnectorError> {
        let policy = HttpPolicy { timeout: config.timeout, addresses, ..HttpPolicy::default() };
        let http = pmsgraph_connector_core::http::reqwest_client(&policy)?;
        let id = format!("webhooks-{}-{}", std::process::id(), Uuid::now_v7().simple());
        Ok(Dispatcher { db, vault, config, http, id })
    }

    pub fn config(&self) -> &WebhookConfig {
        &self.config
    }

    /// Claims the due deliveries (up to `max_concurrent`), sends them at once, and returns how
    /// many were attempted.
    pub async fn run_once(&self) -> Result<usize, StoreError> {
        let limit = self.config.max_concurrent.max(1) as u64;
        let claimed = store::claim_due(&self.db, &self.id, self.config.lease, limit).await?;
        let count = claimed.len();
        let mut sending = JoinSet::new();
        for claim in claimed {
            let this = self.clone();
            sending.spawn(async move { this.deliver(claim).await });
        }
        while let Some(done) = sending.join_next().await {
            match done {
                Ok(Ok(())) => {}
                Ok(Err(err)) => tracing::error!(error = %err, "cannot record a webhook attempt"),
                Err(err) => tracing::error!(error = %err, "a webhook delivery task ended abnormally"),
            }
        }
        Ok(count)
    }

    /// Sends one claimed delivery and records the attempt.
    async fn deliver(&self, claim: Claimed) -> Result<(), StoreError> {
        let Claimed { delivery, endpoint, event } = claim;
        let attempted_at = now();
        let started = Instant::now();
        let result = self.send(&endpoint, &delivery, &event).await;
        let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let failures = u32::try_from(delivery.attempts).unwrap_or(0).saturating_add(1);
        let (status_code, error, retry_after) = match &result {
            Ok(sent) => (Some(sent.status.as_u16()), sent.error.clone(), sent.retry_after),
            Err(error) => (None, Some(error.clone()), None),
        };
        let delivered = result.as_ref().is_ok_and(|sent| sent.status.is_success());
        let retry_at = (!delivered).then(|| self.next_attempt(failures, retry_after, delivery.retry_from)).flatten();
        let attempt = Attempt { attempted_at, status_code, error, duration_ms, delivered, retry_at };
        let recorded = store::record_attempt(&self.db, &delivery, &self.id, &attempt).await?;
        tracing::info!(
            delivery = %delivery.id,
            endpoint = %endpoint.id,
            event = %event.id,
            status = %recorded.status,
            code = ?status_code,
            attempt = recorded.attempts,
            "webhook attempt"
        );
        Ok(())
    }

    /// When to try again after the `failures`-th failure, or `None` when the window has closed.
    fn next_attempt(
        &self,
        failures: u32,
        retry_after: Option<Duration>,
        retry_from: chrono::DateTime<chrono::Utc>,
    ) -> Option<chrono::DateTime<chrono::Utc>> {
        let jitter = rand::rng().random_range(0.5..=1.0);
        let mut wait = self.config.backoff(failures, jitter);
        if let Some(asked) = retry_after {
            wait = wait.max(asked.min(self.config.retry_max_interval));
        }
        let at = now() + chrono::Duration::from_std(wait).ok()?;
        let window_ends = retry_from + chrono::Duration::from_std(self.config.retry_window).ok()?;
        (at <= window_ends).then_some(at)
    }

    async fn send(
        &self,
        endpoint: &pmsgraph_entity::webhook_endpoint::Model,
        delivery: &pmsgraph_entity::webhook_delivery::Model,
        event: &pmsgraph_entity::event::Model,
    ) -> Result<Sent, String> {
        let body = serde_json::to_vec(&super::payload(event)).map_err(|e| format!("cannot encode the event: {e}"))?;
        let secrets = store::signing_secrets(&self.vault, endpoint, now()).map_err(|e| e.to_string())?;
        let timestamp = chrono::Utc::now().timestamp();
        let signature = signature::header_value(secrets.iter().map(Vec::as_slice), timestamp, &body);
        let response = self
            .http
            .post(&endpoint.url)
            .timeout(self.config.timeout)
            .header(header::CONTENT_TYPE, "application/json")
            .header(EVENT_ID_HEADER, ids::encode(NodeType::Event, event.id).0)
            .header(DELIVERY_ID_HEADER, ids::encode(NodeType::WebhookDelivery, delivery.id).0)
            .header(TIMESTAMP_HEADER, timestamp.to_string())
            .header(SIGNATURE_HEADER, signature)
            .body(body)
            .send()
            .await
            .map_err(describe)?;
        let status = response.status();
        let retry_after = matches!(status, StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE)
            .then(|| response.headers().get(header::RETRY_AFTER).and_then(|v| v.to_str().ok()?.trim().parse().ok()))
            .flatten()
            .map(Duration::from_secs);
        let error = (!status.is_success()).then(|| format!("the endpoint answered {status}"));
        Ok(Sent { status, error, retry_after })
    }

    /// Delivers until `shutdown` resolves; attempts in flight finish first.
    pub async fn run_until(self, shutdown: impl std::future::Future<Output = ()> + Send + 'static) {
        tokio::pin!(shutdown);
        loop {
            let worked = match self.run_once().await {
                Ok(n) => n > 0,
                Err(err) => {
                    tracing::error!(error = %err, "the webhook dispatcher cannot reach its queue");
                    false
                }
            };
            // After a busy round, look again at once (unless shutting down).
            let pause = if worked { Duration::ZERO } else { self.config.poll };
            tokio::select! {
                biased;
                () = &mut shutdown => break,
                () = tokio::time::sleep(pause) => {}
            }
        }
    }
}

/// The answer to one attempt.
struct Sent {
    status: StatusCode,
    error: Option<String>,
    retry_after: Option<Duration>,
}

/// A transport failure in a line of the attempt log.
fn describe(err: reqwest::Error) -> String {
    use std::error::Error as _;
    let kind = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "could not connect"
    } else if err.is_redirect() {
        "refused redirect"
    } else {
        "request failed"
    };
    let mut detail = String::new();
    let mut source = err.source();
    while let Some(cause) = source {
        detail = cause.to_string();
        source = cause.source();
    }
    if detail.is_empty() { kind.to_owned() } else { format!("{kind}: {detail}") }
}
