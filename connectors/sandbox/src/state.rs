//! The simulators' shared state: which world (seed, size), which timeline step, the cache of
//! generated worlds, and the one-shot fault ledger.
//!
//! The step comes from a [`StepSource`] so that `pmsgraph serve` can keep it in its database
//! (DESIGN.md: "the step is stored in the database, so a restart or another process serves exactly
//! the same data"); [`MemoryStep`] keeps it in memory for tests and `pmsgraph sandbox`. Worlds are
//! generated once per step, off the async runtime, and shared as `Arc<World>`; a new step is
//! derived from the nearest cached earlier step rather than from step 0.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio::sync::OnceCell;

use crate::buildium::{Listings, Stamps};
use crate::faults::FaultLedger;
use crate::world::{Size, World};

/// Where the current timeline step is kept.
#[async_trait]
pub trait StepSource: Send + Sync + 'static {
    async fn current_step(&self) -> u32;

    /// When the world reached `step` (real time), where the source keeps it. Simulators that
    /// filter by update time (Buildium's `lastupdatedfrom`) stamp a step's changes with it.
    async fn reached_at(&self, _step: u32) -> Option<DateTime<Utc>> {
        None
    }
}

/// A step kept in memory, with the time each step was reached.
#[derive(Debug, Default)]
pub struct MemoryStep {
    step: AtomicU32,
    reached: Mutex<BTreeMap<u32, DateTime<Utc>>>,
}

impl MemoryStep {
    pub fn new(step: u32) -> Self {
        MemoryStep { step: AtomicU32::new(step), reached: Mutex::new(BTreeMap::new()) }
    }

    pub fn get(&self) -> u32 {
        self.step.load(Ordering::SeqCst)
    }

    /// Moves to `step`; every step passed on the way is reached now.
    pub fn set(&self, step: u32) {
        let mut reached = self.reached.lock().unwrap_or_else(|e| e.into_inner());
        let before = self.step.swap(step, Ordering::SeqCst);
        let now = Utc::now();
        for s in before.saturating_add(1)..=step {
            reached.insert(s, now);
        }
    }

    /// Moves the timeline one step on and returns the new step.
    pub fn advance(&self) -> u32 {
        let next = self.get().saturating_add(1);
        self.set(next);
        next
    }
}

#[async_trait]
impl StepSource for MemoryStep {
    async fn current_step(&self) -> u32 {
        self.get()
    }

    async fn reached_at(&self, step: u32) -> Option<DateTime<Utc>> {
        self.reached.lock().unwrap_or_else(|e| e.into_inner()).get(&step).copied()
    }
}

/// How many generated worlds are kept (the current step and the one before, typically).
const CACHED_WORLDS: usize = 2;

type Slot = Arc<OnceCell<Arc<World>>>;
type StampSlot = Arc<OnceCell<Arc<Stamps>>>;

struct Inner {
    seed: u64,
    size: Size,
    steps: Arc<dyn StepSource>,
    worlds: Mutex<BTreeMap<u32, Slot>>,
    faults: FaultLedger,
    /// Buildium's per-record last-changed steps, per step.
    stamps: Mutex<BTreeMap<u32, StampSlot>>,
    /// Buildium's recent list queries and what they matched.
    buildium_listings: Listings,
    /// The time of each step served: the source's, or when this process first served it.
    first_seen: Mutex<BTreeMap<u32, DateTime<Utc>>>,
}

/// Everything the simulators share; cheap to clone.
#[derive(Clone)]
pub struct SandboxState {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SandboxState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxState").field("seed", &self.inner.seed).field("size", &self.inner.size).finish()
    }
}

impl SandboxState {
    pub fn new(seed: u64, size: Size, steps: Arc<dyn StepSource>) -> Self {
        SandboxState {
            inner: Arc::new(Inner {
                seed,
                size,
                steps,
                worlds: Mutex::new(BTreeMap::new()),
                faults: FaultLedger::default(),
                stamps: Mutex::new(BTreeMap::new()),
                buildium_listings: Listings::default(),
                first_seen: Mutex::new(BTreeMap::new()),
            }),
        }
    }

    /// A state whose step lives in memory, with the handle that moves it.
    pub fn in_memory(seed: u64, size: Size) -> (Self, Arc<MemoryStep>) {
        let steps = Arc::new(MemoryStep::new(0));
        (SandboxState::new(seed, size, steps.clone()), steps)
    }

    pub fn seed(&self) -> u64 {
        self.inner.seed
    }

    pub fn size(&self) -> Size {
        self.inner.size
    }

    pub async fn current_step(&self) -> u32 {
        self.inner.steps.current_step().await
    }

    pub fn faults(&self) -> &FaultLedger {
        &self.inner.faults
    }

    /// Buildium's recent list queries and what they matched.
    pub(crate) fn buildium_listings(&self) -> &Listings {
        &self.inner.buildium_listings
    }

    /// When the world reached `step`: the source's time, else when this process first asked (so
    /// that a change is never stamped earlier than it was served); step 0 is the world's own start
    /// ([`crate::world::step_instant`]), before any sync.
    pub async fn reached_at(&self, step: u32) -> DateTime<Utc> {
        if step == 0 {
            return crate::world::step_instant(0);
        }
        if let Some(at) = self.inner.first_seen.lock().unwrap_or_else(|e| e.into_inner()).get(&step) {
            return *at;
        }
        let at = self.inner.steps.reached_at(step).await.unwrap_or_else(Utc::now);
        // Kept, so that a step's time never moves once served.
        *self.inner.first_seen.lock().unwrap_or_else(|e| e.into_inner()).entry(step).or_insert(at)
    }

    /// Buildium's last-changed step of every record at `step`, derived step by step from the
    /// nearest cached earlier step (or step 0) and cached.
    pub async fn buildium_stamps(&self, step: u32) -> Arc<Stamps> {
        let (slot, base) = {
            let mut all = self.inner.stamps.lock().unwrap_or_else(|e| e.into_inner());
            let slot = all.entry(step).or_default().clone();
            let base = all.range(..step).rev().find_map(|(_, s)| s.get().cloned());
            while all.len() > CACHED_WORLDS {
                let Some(oldest) = all.keys().copied().find(|&k| k != step) else { break };
                all.remove(&oldest);
            }
            (slot, base)
        };
        slot.get_or_init(|| async move {
            let mut stamps = match base {
                Some(base) => Stamps::clone(&base),
                None => Stamps::initial(&*self.world_at(0).await),
            };
            while stamps.step() < step {
                let world = self.world_at(stamps.step() + 1).await;
                stamps = stamps.next(&world);
            }
            Arc::new(stamps)
        })
        .await
        .clone()
    }

    /// The world at the current step.
    pub async fn world(&self) -> Arc<World> {
        let step = self.current_step().await;
        self.world_at(step).await
    }

    /// The world at `step`, generated once and cached.
    pub async fn world_at(&self, step: u32) -> Arc<World> {
        let (slot, base) = {
            let mut worlds = self.inner.worlds.lock().unwrap_or_else(|e| e.into_inner());
            let slot = worlds.entry(step).or_default().clone();
            // The nearest generated earlier step saves replaying the timeline from step 0.
            let base = worlds.range(..step).rev().find_map(|(_, s)| s.get().cloned());
            while worlds.len() > CACHED_WORLDS {
                let Some(oldest) = worlds.keys().copied().find(|&k| k != step) else { break };
                worlds.remove(&oldest);
            }
            (slot, base)
        };
        let (seed, size) = (self.inner.seed, self.inner.size);
        slot.get_or_init(|| async move {
            let build = move || match base {
                Some(base) => {
                    let mut world = World::clone(&base);
                    world.advance_to(step);
                    world
                }
                None => World::generate(seed, size, step),
            };
            let world = match tokio::task::spawn_blocking(build).await {
                Ok(world) => world,
                Err(e) => match e.try_into_panic() {
                    Ok(panic) => std::panic::resume_unwind(panic),
                    // Cancelled only when the runtime shuts down; build inline then.
                    Err(_) => World::generate(seed, size, step),
                },
            };
            tracing::debug!(seed, %size, step, "sandbox world generated");
            Arc::new(world)
        })
        .await
        .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn worlds_follow_the_step_and_are_cached() {
        let (state, steps) = SandboxState::in_memory(5, Size::SMALL);
        let first = state.world().await;
        assert_eq!(first.step, 0);
        assert!(Arc::ptr_eq(&first, &state.world().await), "the same step is generated once");
        assert_eq!(steps.advance(), 1);
        let second = state.world().await;
        assert_eq!(second.step, 1);
        assert_eq!(*second, World::generate(5, Size::SMALL, 1), "derived from the cache like from scratch");
        steps.set(4);
        assert_eq!(*state.world().await, World::generate(5, Size::SMALL, 4));
        // An earlier step after eviction is regenerated identically.
        assert_eq!(*state.world_at(0).await, *first);
    }
}
