//! The HTTP layer every connector sends its requests through: timeouts, retries with exponential
//! backoff and full jitter on 5xx, timeouts and broken connections, `429` honoured with
//! `Retry-After` (capped: a wait longer than the cap fails fast with
//! [`ConnectorError::RateLimited`]), and a per-integration rate limit (a minimum interval between
//! requests of one client). reqwest errors are mapped to named [`ConnectorError`] variants.
//!
//! A connector builds a `reqwest::RequestBuilder` and hands it to [`HttpClient::send`], which
//! clones it for each attempt; the connector then reads the body and parses it itself.
//!
//! Where a PMS call may connect is the policy's [`AddressPolicy`] (see [`crate::guard`]): the
//! client's resolver and redirect policy enforce it, and `send` checks each URL before the request.

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{RequestBuilder, Response, StatusCode};
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::error::ConnectorError;
use crate::guard::{AddressPolicy, GuardedResolver, Refused};

/// How requests are retried and paced.
#[derive(Debug, Clone)]
pub struct HttpPolicy {
    /// Per-request timeout (connect, send, and the whole response).
    pub timeout: Duration,
    /// Retries after the first attempt, for transient failures and 429s.
    pub max_retries: u32,
    /// The first backoff; doubled each retry, up to `max_backoff`, with full jitter.
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// The longest `Retry-After` we wait out; a longer one fails at once.
    pub max_retry_after: Duration,
    /// The minimum interval between two requests of one client (one integration).
    pub min_interval: Duration,
    /// Which addresses may be reached (default: any; the server allows public addresses only).
    pub addresses: AddressPolicy,
}

impl Default for HttpPolicy {
    fn default() -> Self {
        HttpPolicy {
            timeout: Duration::from_secs(60),
            max_retries: 4,
            base_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
            min_interval: Duration::ZERO,
            addresses: AddressPolicy::default(),
        }
    }
}

/// A reqwest client with one integration's retry policy and rate limit.
#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    policy: Arc<HttpPolicy>,
    next_slot: Arc<Mutex<Instant>>,
}

/// Makes ring the process's TLS crypto provider (once; later calls are no-ops). reqwest is built
/// without a provider of its own so that the whole binary shares the one sqlx already uses.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A reqwest client for PMS calls: TLS through the platform's trust store, our user agent, the
/// policy's timeouts, and its address policy (a guarded resolver, redirects rechecked hop by hop, no
/// proxy, which would resolve names out of our sight).
pub fn reqwest_client(policy: &HttpPolicy) -> Result<reqwest::Client, ConnectorError> {
    install_tls_provider();
    let mut builder = reqwest::Client::builder().redirect(policy.addresses.redirect_policy());
    if policy.addresses.public_only {
        builder = builder.no_proxy().dns_resolver(GuardedResolver::new(policy.addresses.clone()));
    }
    builder
        .timeout(policy.timeout)
        .connect_timeout(policy.timeout.min(Duration::from_secs(10)))
        .user_agent(concat!("pmsgraph/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| ConnectorError::InvalidConfig(format!("cannot build an HTTP client: {e}")))
}

impl HttpClient {
    pub fn new(policy: HttpPolicy) -> Result<HttpClient, ConnectorError> {
        let client = reqwest_client(&policy)?;
        Ok(HttpClient::with_client(client, policy))
    }

    /// Shares an existing reqwest client (its connection pool) under another policy.
    pub fn with_client(client: reqwest::Client, policy: HttpPolicy) -> HttpClient {
        HttpClient { client, policy: Arc::new(policy), next_slot: Arc::new(Mutex::new(Instant::now())) }
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    pub fn policy(&self) -> &HttpPolicy {
        &self.policy
    }

    /// Waits for this client's next request slot.
    async fn pace(&self) {
        if self.policy.min_interval.is_zero() {
            return;
        }
        let slot = {
            let mut next = self.next_slot.lock().await;
            let slot = (*next).max(Instant::now());
            *next = slot + self.policy.min_interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let exponential = self.policy.base_backoff.saturating_mul(1u32 << attempt.min(16));
        let cap = exponential.min(self.policy.max_backoff);
        let millis = u64::try_from(cap.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::rng().random_range(0..=millis))
    }

    /// Sends a request, retrying what is worth retrying. A response with a success status is
    /// returned; any other ends as an error (401/403 as [`ConnectorError::Unauthorized`]).
    pub async fn send(&self, request: RequestBuilder) -> Result<Response, ConnectorError> {
        self.send_accepting(request, |_, _| false).await
    }

    /// Like [`send`](Self::send), but a response whose status and headers `accept` approves is
    /// returned as it is, neither retried nor turned into an error: for PMSs that explain an error
    /// in the body of an error status (Yardi's `soap:Fault` with HTTP 500), so that the connector
    /// reads the explanation itself.
    pub async fn send_accepting(
        &self,
        request: RequestBuilder,
        accept: impl Fn(StatusCode, &HeaderMap) -> bool,
    ) -> Result<Response, ConnectorError> {
        let mut attempt = 0;
        loop {
            let this_try = request
                .try_clone()
                .ok_or_else(|| ConnectorError::InvalidConfig("a request body that cannot be retried".into()))?;
            let (client, built) = this_try.build_split();
            let built = built.map_err(|e| map_reqwest(&e))?;
            self.policy.addresses.check_url(built.url()).map_err(|e| ConnectorError::InvalidConfig(e.to_string()))?;
            let this_try = RequestBuilder::from_parts(client, built);
            self.pace().await;
            let error = match this_try.send().await {
                Ok(response) if accept(response.status(), response.headers()) => return Ok(response),
                Ok(response) => match classify(response).await {
                    Ok(response) => return Ok(response),
                    Err(error) => error,
                },
                Err(err) => map_reqwest(&err),
            };
            let wait = match &error {
                ConnectorError::RateLimited { retry_after: Some(wait) } if *wait > self.policy.max_retry_after => {
                    return Err(error);
                }
                ConnectorError::RateLimited { retry_after } => retry_after.unwrap_or_else(|| self.backoff(attempt)),
                transient if transient.is_transient() => self.backoff(attempt),
                _ => return Err(error),
            };
            if attempt >= self.policy.max_retries {
                return Err(error);
            }
            tracing::debug!(attempt, wait_ms = wait.as_millis() as u64, %error, "retrying a PMS request");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }
}

/// `Retry-After` as seconds (the HTTP-date form is rare from PMSs and treated as absent).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

async fn classify(response: Response) -> Result<Response, ConnectorError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let wait = retry_after(response.headers());
    // The body explains the error; keep a short, single-line excerpt of it.
    let body = response.text().await.unwrap_or_default();
    let excerpt: String = body.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(300).collect();
    let error = match status {
        StatusCode::TOO_MANY_REQUESTS => ConnectorError::RateLimited { retry_after: wait },
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            ConnectorError::Unauthorized(if excerpt.is_empty() { status.to_string() } else { excerpt })
        }
        _ => ConnectorError::Upstream { status: Some(status.as_u16()), message: excerpt },
    };
    Err(error)
}

fn map_reqwest(err: &reqwest::Error) -> ConnectorError {
    // A connection the address guard refused (by DNS answer or redirect hop) is final, not an outage.
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        if let Some(refused) = cause.downcast_ref::<Refused>() {
            return ConnectorError::InvalidConfig(refused.to_string());
        }
        source = cause.source();
    }
    if err.is_timeout() {
        ConnectorError::Timeout
    } else if err.is_builder() {
        ConnectorError::InvalidConfig(err.to_string())
    } else {
        // Connection refused, reset, DNS: the PMS is unreachable for now.
        let mut message = err.to_string();
        let mut source = std::error::Error::source(err);
        while let Some(cause) = source {
            message = format!("{message}: {cause}");
            source = cause.source();
        }
        ConnectorError::Transport(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_capped() {
        let client = HttpClient::new(HttpPolicy {
            base_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(800),
            ..HttpPolicy::default()
        })
        .expect("a client");
        for attempt in 0..20 {
            assert!(client.backoff(attempt) <= Duration::from_millis(800));
        }
    }

    #[test]
    fn retry_after_reads_seconds() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "7".parse().expect("a header value"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert(RETRY_AFTER, "Wed, 21 Oct 2015 07:28:00 GMT".parse().expect("a header value"));
        assert_eq!(retry_after(&headers), None);
    }
}

#[cfg(test)]
mod over_http {
    //! The retry loop against a real local server that fails on purpose.

    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::http::StatusCode as AxumStatus;
    use axum::response::IntoResponse;
    use axum::routing::get;

    use super::*;

    /// Serves `/` answering with `script[n]` on the n-th request (the last entry repeats).
    async fn serve(script: Vec<(u16, Option<&'static str>)>) -> (String, Arc<AtomicUsize>) {
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        let script = Arc::new(script);
        let app = axum::Router::new().route(
            "/",
            get(move || {
                let (counter, script) = (counter.clone(), script.clone());
                async move {
                    let n = counter.fetch_add(1, Ordering::SeqCst);
                    let (status, retry_after) = script[n.min(script.len() - 1)];
                    let status = AxumStatus::from_u16(status).expect("a status");
                    match retry_after {
                        Some(secs) => (status, [("retry-after", secs)], "slow down").into_response(),
                        None => (status, "body").into_response(),
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        (url, hits)
    }

    fn quick() -> HttpClient {
        HttpClient::new(HttpPolicy {
            base_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(5),
            max_retry_after: Duration::from_secs(2),
            ..HttpPolicy::default()
        })
        .expect("a client")
    }

    #[tokio::test]
    async fn server_errors_are_retried_until_success() {
        let (url, hits) = serve(vec![(503, None), (500, None), (200, None)]).await;
        let client = quick();
        let response = client.send(client.client().get(&url)).await.expect("succeeds on the third try");
        assert_eq!(response.status(), 200);
        assert_eq!(hits.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_429_is_waited_out_and_a_long_retry_after_fails_fast() {
        let (url, hits) = serve(vec![(429, Some("1")), (200, None)]).await;
        let client = quick();
        let started = Instant::now();
        client.send(client.client().get(&url)).await.expect("succeeds after waiting");
        assert!(started.elapsed() >= Duration::from_secs(1));
        assert_eq!(hits.load(Ordering::SeqCst), 2);

        let (url, hits) = serve(vec![(429, Some("3600"))]).await;
        let err = client.send(client.client().get(&url)).await.expect_err("refuses to wait an hour");
        assert_eq!(err, ConnectorError::RateLimited { retry_after: Some(Duration::from_secs(3600)) });
        assert_eq!(hits.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn client_errors_are_not_retried_and_retries_give_up() {
        let (url, hits) = serve(vec![(401, None)]).await;
        let client = quick();
        let err = client.send(client.client().get(&url)).await.expect_err("unauthorized");
        assert!(matches!(err, ConnectorError::Unauthorized(_)), "{err:?}");
        assert_eq!(hits.load(Ordering::SeqCst), 1);

        let (url, hits) = serve(vec![(502, None)]).await;
        let err = client.send(client.client().get(&url)).await.expect_err("gives up");
        assert_eq!(err.code(), "PMS_UPSTREAM_ERROR");
        assert_eq!(hits.load(Ordering::SeqCst), 5, "one try and four retries");

        // Nothing listens: unreachable, retried, then reported as such.
        let err = client.send(client.client().get("http://127.0.0.1:9/")).await.expect_err("unreachable");
        assert_eq!(err.code(), "PMS_UNREACHABLE");
    }

    #[tokio::test]
    async fn the_rate_limit_spaces_requests() {
        let (url, hits) = serve(vec![(200, None)]).await;
        let client = HttpClient::new(HttpPolicy { min_interval: Duration::from_millis(50), ..HttpPolicy::default() })
            .expect("a client");
        let started = Instant::now();
        for _ in 0..5 {
            client.send(client.client().get(&url)).await.expect("ok");
        }
        assert!(started.elapsed() >= Duration::from_millis(200));
        assert_eq!(hits.load(Ordering::SeqCst), 5);
    }

    #[tokio::test]
    async fn a_guarded_client_refuses_loopback_except_the_sandbox_port_and_rechecks_redirects() {
        let (url, hits) = serve(vec![(200, None)]).await;
        let port = reqwest::Url::parse(&url).expect("a URL").port().expect("a port");
        let guarded = |sandbox_ports: Vec<u16>| {
            HttpClient::new(HttpPolicy {
                addresses: AddressPolicy::public_only(sandbox_ports),
                ..HttpPolicy::default()
            })
            .expect("a client")
        };
        let client = guarded(Vec::new());
        let err = client.send(client.client().get(&url)).await.expect_err("loopback is refused");
        assert_eq!(err.code(), "INVALID_CONFIGURATION");
        assert!(err.to_string().contains("loopback"), "{err}");
        let err = client.send(client.client().get("http://10.0.0.1/")).await.expect_err("private is refused");
        assert!(err.to_string().contains("private"), "{err}");
        let err = client.send(client.client().get("http://localhost/")).await.expect_err("a loopback name");
        assert_eq!(err.code(), "INVALID_CONFIGURATION");
        assert_eq!(hits.load(Ordering::SeqCst), 0, "nothing was sent");

        let sandbox = guarded(vec![port]);
        sandbox.send(sandbox.client().get(&url)).await.expect("the built-in sandbox is reachable");
        assert_eq!(hits.load(Ordering::SeqCst), 1);

        // The sandbox exception does not carry over to a redirect hop.
        let target = url.clone();
        let app = axum::Router::new().route(
            "/",
            get(move || {
                let target = target.clone();
                async move { (AxumStatus::FOUND, [("location", target)], "moved").into_response() }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let redirector = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        let both = guarded(vec![port, redirector.port()]);
        let err = both.send(both.client().get(format!("http://{redirector}/"))).await.expect_err("hop refused");
        assert_eq!(err.code(), "INVALID_CONFIGURATION", "{err}");
        assert_eq!(hits.load(Ordering::SeqCst), 1, "the hop was not followed");
    }
}
