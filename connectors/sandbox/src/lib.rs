//! Sandbox PMSs for pmsgraph: one deterministic synthetic portfolio served in each PMS's own wire
//! format, with a scripted timeline and fault injection (DESIGN.md, "Customers, integrations,
//! syncs" and "Testing").
//!
//! - [`world`]: the portfolio, a pure function of `(seed, size, step)` ([`World::generate`]), and
//!   [`World::normalized`], what a perfect connector reads back from it.
//! - [`timeline`]: what changes from one step to the next (move-ins, notices, move-outs,
//!   transfers, renewals, email changes, new and removed applications).
//! - [`entrata`]: the Entrata simulator (JSON-RPC over HTTP).
//! - [`yardi`]: the Yardi Voyager simulator (SOAP over HTTP).
//! - [`buildium`]: the Buildium simulator (REST JSON over HTTP, `lastupdatedfrom` honoured).
//! - [`realpage`]: the RealPage RPX (OneSite) simulator (SOAP over HTTP).
//! - [`soap`]: what the SOAP simulators share (reading requests, writing XML).
//! - [`compare`]: what a connector read back against what the sandbox generated (for tests).
//! - [`faults`]: sandbox credentials and the faults they select.
//! - [`state`]: the shared state: seed, size, where the step is kept, the world cache.
//!
//! This crate depends on no connector crate: each wire format is written from its own code, so a
//! connector bug is not mirrored by a simulator bug.
//!
//! # Serving
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use pmsgraph_sandbox::{SandboxState, Size, router};
//! let (state, steps) = SandboxState::in_memory(42, Size::SMALL);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! tokio::spawn(axum::serve(listener, router(state)).into_future());
//! steps.advance(); // the next request sees step 1
//! # Ok(()) }
//! ```
//!
//! # Sandbox credentials
//!
//! Basic auth with username `sandbox` and password `sandbox`, or the header `X-Api-Key: sandbox`,
//! is a healthy customer. Options appended to the username (or key) with `+` inject faults:
//!
//! | credential | effect |
//! |---|---|
//! | `sandbox+deny=leases,residents` | those resources' methods answer a permission error (code 113); resources: `properties` (getProperties), `units` (getPropertyUnits), `leases` (getLeases), `residents` (getCustomers) |
//! | `sandbox+ratelimit` | the first call of each method answers HTTP 429 with `Retry-After: 1` (code 429) |
//! | `sandbox+flaky` | the first call of each method answers HTTP 503 (code 503) |
//! | `sandbox+slow=300` | every call waits 300 ms (1..=30000) |
//! | `sandbox+malformed=getLeases:2` | page 2 of getLeases (page 1 when omitted) has a boolean for the first record's id |
//!
//! Buildium takes the same credential in the header `x-buildium-client-id` (secret `sandbox` in
//! `x-buildium-client-secret`); a denied resource answers HTTP 403 there.
//!
//! Options combine (`sandbox+ratelimit+slow=50`); the grammar is in [`faults`], and any other
//! username, a wrong password, or a malformed option is refused with code 110. The SOAP
//! simulators take the same credential in their own place (Yardi's `UserName`, RealPage's
//! `licensekey`) and answer in their own error forms (see [`yardi`] and [`realpage`]).

pub mod buildium;
pub mod compare;
pub mod entrata;
pub mod faults;
pub mod names;
pub mod realpage;
pub mod soap;
pub mod state;
pub mod timeline;
pub mod world;
pub mod yardi;

use axum::Router;

pub use faults::{Profile, SANDBOX_PASSWORD, SANDBOX_USER};
pub use state::{MemoryStep, SandboxState, StepSource};
pub use timeline::{Change, ChangeKind};
pub use world::{Counts, Size, World};

/// Where the Entrata simulator is mounted.
pub const ENTRATA_PREFIX: &str = "/sandbox/entrata";
/// Where the Yardi simulator is mounted; its interfaces are at `{prefix}/{database}/Webservices`.
pub const YARDI_PREFIX: &str = "/sandbox/yardi";
/// Where the Buildium simulator is mounted; its API is at `{prefix}/v1/...`.
pub const BUILDIUM_PREFIX: &str = "/sandbox/buildium";
/// The database name of the Yardi sandbox's service URL.
pub const YARDI_DATABASE: &str = "sandbox";
/// Where the RealPage simulator is mounted: the gateway URL of a sandbox customer (the partner
/// services are at `{prefix}/rpxgateway/partner/{Partner}/{Partner}.svc`).
pub const REALPAGE_PREFIX: &str = "/sandbox/realpage";
/// The partner name of the RealPage sandbox (any name is served).
pub const REALPAGE_PARTNER: &str = "sandbox";
/// The PMC id of the RealPage sandbox (any id is served).
pub const REALPAGE_PMC_ID: &str = "1000000";

/// Every simulator, mounted under `/sandbox/{pms}`.
pub fn router(state: SandboxState) -> Router {
    Router::new()
        .nest(ENTRATA_PREFIX, entrata::routes())
        .nest(YARDI_PREFIX, yardi::routes())
        .nest(REALPAGE_PREFIX, realpage::routes())
        .nest(BUILDIUM_PREFIX, buildium::routes())
        .with_state(state)
}
