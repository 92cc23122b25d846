//! Signed webhooks for the lifecycle event feed.
//!
//! An app registers endpoints (a URL, optionally some event types and one customer) in one
//! environment. When a sync's events are appended to the feed, a delivery is created for every
//! matching endpoint in the same transaction ([`crate::store::webhooks::enqueue`]): a committed
//! event always has its deliveries. The [`dispatch`] loop claims due deliveries by lease, POSTs
//! the event as JSON, signed ([`signature`]), and records every attempt; a failure is retried with
//! exponential backoff and jitter until the retry window (three days by default) has passed, then
//! the delivery is FAILED until replayed. Deliveries live in the database, so they survive
//! restarts; a receiver deduplicates by the event id (the `Pmsgraph-Event-Id` header and the
//! body's `id`), the same on every attempt and replay. Deliveries are not ordered: order events by
//! their `position`.
//!
//! Webhook URLs follow the rules of PMS URLs: https and public addresses in production (checked
//! when registered and again, through the guarded resolver, on every connection), http or https
//! for sandbox endpoints.

pub mod dispatch;
pub mod signature;

use std::time::Duration;

use serde_json::{Value, json};

use pmsgraph_entity::event;

use crate::graphql::ids::{self, NodeType};

/// How deliveries are made and retried.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// Run the delivery loop in this process.
    pub enabled: bool,
    /// How often to look for due deliveries.
    pub poll: Duration,
    /// How long a claim on a delivery lasts.
    pub lease: Duration,
    /// How long one attempt may take.
    pub timeout: Duration,
    /// The wait before the first retry; it doubles with each further failure.
    pub retry_base: Duration,
    /// The longest wait between two attempts.
    pub retry_max_interval: Duration,
    /// How long a delivery is retried before it is FAILED (at least 24 hours by default).
    pub retry_window: Duration,
    /// Deliveries attempted at once by one process.
    pub max_concurrent: usize,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            enabled: true,
            poll: Duration::from_secs(1),
            lease: Duration::from_secs(60),
            timeout: Duration::from_secs(10),
            retry_base: Duration::from_secs(10),
            retry_max_interval: Duration::from_secs(3600),
            retry_window: Duration::from_secs(3 * 24 * 3600),
            max_concurrent: 16,
        }
    }
}

impl WebhookConfig {
    /// The wait after the `failures`-th failed attempt (1 for the first): `retry_base` doubled per
    /// further failure, capped at `retry_max_interval`, scaled by `jitter` (0.5 to 1.0) so that
    /// deliveries failing together do not retry together.
    pub fn backoff(&self, failures: u32, jitter: f64) -> Duration {
        let exponent = failures.saturating_sub(1).min(30);
        let wait = self.retry_base.saturating_mul(1u32 << exponent).min(self.retry_max_interval);
        wait.mul_f64(jitter.clamp(0.5, 1.0))
    }
}

/// The JSON body of a delivery: the event as the GraphQL API names it, ids as global node ids.
pub fn payload(event: &event::Model) -> Value {
    let id = |node: NodeType, id: Option<uuid::Uuid>| id.map(|id| ids::encode(node, id).0);
    let changes: Vec<Value> = match event.data.get("changes") {
        Some(Value::Object(changes)) => changes
            .iter()
            .map(|(field, pair)| {
                json!({ "field": field, "old": pair.get("old").cloned(), "new": pair.get("new").cloned() })
            })
            .collect(),
        _ => Vec::new(),
    };
    json!({
        "id": ids::encode(NodeType::Event, event.id).0,
        "type": event.event_type,
        "position": event.position,
        "occurredAt": event.occurred_at,
        "customerId": id(NodeType::Customer, Some(event.customer_id)),
        "integrationId": id(NodeType::Integration, Some(event.integration_id)),
        "propertyId": id(NodeType::Property, event.property_id),
        "unitId": id(NodeType::Unit, event.unit_id),
        "leaseId": id(NodeType::Lease, event.lease_id),
        "residentId": id(NodeType::Resident, event.resident_id),
        "leaseResidentId": id(NodeType::LeaseResident, event.lease_resident_id),
        "changes": changes,
        "data": event.data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_and_jitter_only_shortens() {
        let config = WebhookConfig {
            retry_base: Duration::from_secs(10),
            retry_max_interval: Duration::from_secs(60),
            ..WebhookConfig::default()
        };
        let waits: Vec<u64> = (1..=6).map(|n| config.backoff(n, 1.0).as_secs()).collect();
        assert_eq!(waits, [10, 20, 40, 60, 60, 60]);
        assert_eq!(config.backoff(1, 0.5), Duration::from_secs(5));
        assert_eq!(config.backoff(1, 0.0), Duration::from_secs(5));
        assert_eq!(config.backoff(u32::MAX, 1.0), Duration::from_secs(60));
    }

    #[test]
    fn the_default_schedule_retries_for_more_than_a_day() {
        let config = WebhookConfig::default();
        assert!(config.retry_window >= Duration::from_secs(24 * 3600));
        // Even with the shortest jitter, the attempts within the window are many, not a handful.
        let mut elapsed = Duration::ZERO;
        let mut attempts = 1;
        while elapsed + config.backoff(attempts, 0.5) < config.retry_window {
            elapsed += config.backoff(attempts, 0.5);
            attempts += 1;
        }
        assert!(attempts > 100, "{attempts} attempts in the window");
    }
}
