//! End-to-end tests: the real pmsgraph server on port 0, over HTTP, against a temporary SQLite
//! file, or a temporary PostgreSQL database when `PMSGRAPH_TEST_DATABASE_URL` is set (see
//! `scripts/test`, which runs this suite on both). One test binary with modules, to keep link
//! time down.

mod buildium;
mod cache;
mod console;
mod incremental;
mod lifecycle;
mod limits;
mod logs;
mod onboarding;
mod onboarding_schedule;
mod ops;
mod read_api;
mod realpage;
mod support;
mod sync;
mod tenancy;
mod webhooks;
mod yardi;
