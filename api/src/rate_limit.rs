//! The per-token rate limit of the API (issue 4, "Per-token rate limit"): a GCRA token bucket per
//! token id (the `governor` crate), `per_second` sustained with bursts of `burst`. A request over
//! the limit is answered RATE_LIMITED (HTTP 429) with the seconds to wait, in
//! `extensions.retryAfter` and in a `Retry-After` header.
//!
//! The state is per process and in memory: with several processes each allows the rate. Buckets
//! of tokens that have gone quiet are dropped now and then, so memory stays bounded by the tokens
//! active in the last moments.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use uuid::Uuid;

use crate::config::RateLimitConfig;

/// Checks between two sweeps of quiet buckets.
const SWEEP_EVERY: u64 = 4_096;

/// One bucket per token id, on clock `C`.
type Buckets<C> = RateLimiter<Uuid, DefaultKeyedStateStore<Uuid>, C, NoOpMiddleware<<C as Clock>::Instant>>;

/// Per-token buckets on a clock (the default clock in the server, a fake one in tests).
pub struct TokenRateLimit<C: Clock = DefaultClock> {
    limiter: Option<Buckets<C>>,
    clock: C,
    checks: AtomicU64,
}

impl TokenRateLimit<DefaultClock> {
    pub fn new(config: &RateLimitConfig) -> TokenRateLimit<DefaultClock> {
        TokenRateLimit::with_clock(config, DefaultClock::default())
    }
}

impl<C: Clock + Clone> TokenRateLimit<C> {
    pub fn with_clock(config: &RateLimitConfig, clock: C) -> TokenRateLimit<C> {
        let limiter = config.enabled.then(|| {
            let rate = NonZeroU32::new(config.per_second).unwrap_or(NonZeroU32::MIN);
            let burst = NonZeroU32::new(config.burst).unwrap_or(rate);
            let quota = Quota::per_second(rate).allow_burst(burst);
            RateLimiter::new(quota, DefaultKeyedStateStore::default(), clock.clone())
        });
        TokenRateLimit { limiter, clock, checks: AtomicU64::new(0) }
    }

    /// Counts one request of a token: `Err(wait)` if it is over its limit, with how long to wait.
    pub fn check(&self, token_id: Uuid) -> Result<(), Duration> {
        let Some(limiter) = &self.limiter else { return Ok(()) };
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        limiter.check_key(&token_id).map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

/// Whole seconds to tell a client to wait (at least one: `Retry-After` has no fractions).
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0).max(u64::from(wait.is_zero()))
}

/// The answer to a request over the limit: HTTP 429, RATE_LIMITED with `extensions.retryAfter`
/// (seconds), and a `Retry-After` header.
pub fn response(wait: Duration) -> axum::response::Response {
    use axum::response::IntoResponse;
    let retry_after_secs = retry_after_secs(wait);
    let error = crate::error::ApiError::RateLimited { retry_after_secs };
    let body = serde_json::json!({
        "errors": [{
            "message": error.to_string(),
            "extensions": { "code": error.code(), "retryAfter": retry_after_secs },
        }]
    });
    let headers = [(axum::http::header::RETRY_AFTER, retry_after_secs.to_string())];
    (axum::http::StatusCode::TOO_MANY_REQUESTS, headers, axum::Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use governor::clock::FakeRelativeClock;

    use super::*;

    fn limit(per_second: u32, burst: u32, enabled: bool) -> (TokenRateLimit<FakeRelativeClock>, FakeRelativeClock) {
        let clock = FakeRelativeClock::default();
        let config = RateLimitConfig { enabled, per_second, burst };
        (TokenRateLimit::with_clock(&config, clock.clone()), clock)
    }

    #[test]
    fn a_token_gets_its_burst_then_waits_and_other_tokens_are_unaffected() {
        let (limit, clock) = limit(2, 3, true);
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        for _ in 0..3 {
            assert_eq!(limit.check(a), Ok(()));
        }
        let wait = limit.check(a).expect_err("over the burst");
        assert_eq!(wait, Duration::from_millis(500));
        assert_eq!(retry_after_secs(wait), 1);
        assert_eq!(limit.check(b), Ok(()), "another token has its own bucket");
        clock.advance(Duration::from_millis(500));
        assert_eq!(limit.check(a), Ok(()));
        assert!(limit.check(a).is_err());
    }

    #[test]
    fn a_disabled_limit_allows_everything() {
        let (limit, _) = limit(1, 1, false);
        let a = Uuid::now_v7();
        for _ in 0..100 {
            assert_eq!(limit.check(a), Ok(()));
        }
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(2)), 2);
        assert_eq!(retry_after_secs(Duration::from_millis(2_001)), 3);
    }
}
