//! The sandbox timeline: step N+1 is step N plus a small, deterministic set of lifecycle changes
//! (DESIGN.md, "Access-control semantics", lifecycle events), so a sync after each step has
//! something to notice.
//!
//! Each step moves the world's clock one week on and draws its changes from a ChaCha stream of
//! its own (the world's seed, stream = step), so a step depends only on the previous world. The
//! number of changes of each kind scales with the world (about one per 60 leasable slots, at least
//! one), and the flow is a closed loop that never runs dry: notices feed move-outs, move-outs free
//! units for new applicants, applicants are approved (FUTURE) or cancelled, FUTURE leases move in,
//! and cancelled applications disappear a step later. Transfers, renewals (a new term on the same
//! lease), month-to-month conversions and email changes happen along the way.

use std::collections::HashSet;

use chrono::NaiveDate;
use pmsgraph_connector_core::vocab::{LeaseStatus, ResidentRole};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::names;
use crate::world::{
    Household, Lease, LeaseTerm, PropertyKind, TermKind, World, days, email_for, mountain_date, new_household,
    new_term, pick, round_rent, set_lease_state, slot_rent, step_instant, take, term_end,
};

/// The kinds of change a step makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChangeKind {
    /// A cancelled application was purged: the lease (and people left on no lease) disappear.
    Removed,
    /// NOTICE -> PAST with the actual move-out date.
    MovedOut,
    /// FUTURE -> CURRENT with the move-in date.
    MovedIn,
    /// CURRENT -> NOTICE with notice and scheduled move-out dates.
    NoticeGiven,
    /// The household left its lease (now PAST) for a new CURRENT lease on another unit.
    Transferred,
    /// A new term on the same lease (new end date and rent).
    Renewed,
    /// A lease past its end date, not renewed, rolls over month to month.
    MonthToMonth,
    /// APPLICANT -> FUTURE.
    Approved,
    /// APPLICANT -> CANCELLED.
    Cancelled,
    /// A new household applied for a free unit or bed (a new APPLICANT lease and new people).
    NewApplicant,
    /// A person's email address changed.
    EmailChanged,
}

impl ChangeKind {
    pub const ALL: [ChangeKind; 11] = [
        ChangeKind::Removed,
        ChangeKind::MovedOut,
        ChangeKind::MovedIn,
        ChangeKind::NoticeGiven,
        ChangeKind::Transferred,
        ChangeKind::Renewed,
        ChangeKind::MonthToMonth,
        ChangeKind::Approved,
        ChangeKind::Cancelled,
        ChangeKind::NewApplicant,
        ChangeKind::EmailChanged,
    ];
}

/// One change of one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub kind: ChangeKind,
    /// The lease changed (for a transfer, the old one; for an email change, none).
    pub lease_id: Option<u64>,
    /// The new lease of a transfer.
    pub new_lease_id: Option<u64>,
    /// The person whose email changed.
    pub person_id: Option<u64>,
}

impl Change {
    fn lease(kind: ChangeKind, lease_id: u64) -> Change {
        Change { kind, lease_id: Some(lease_id), new_lease_id: None, person_id: None }
    }
}

/// Leasable slots (a whole unit, or one bed) numbered densely, so per-slot facts are vectors.
struct Slots {
    base: Vec<usize>,
    total: usize,
}

impl Slots {
    fn of(world: &World) -> Slots {
        let mut base = Vec::with_capacity(world.units.len());
        let mut total = 0;
        for unit in &world.units {
            base.push(total);
            total += unit.spaces.len().max(1);
        }
        Slots { base, total }
    }

    fn slot(&self, unit: usize, space: Option<usize>) -> usize {
        self.base[unit] + space.unwrap_or(0)
    }

    /// Which slots have a lease matching `holds`.
    fn marked(&self, world: &World, holds: impl Fn(&Lease) -> bool) -> Vec<bool> {
        let mut marks = vec![false; self.total];
        for lease in world.leases.iter().filter(|l| holds(l)) {
            marks[self.slot(lease.unit, lease.space)] = true;
        }
        marks
    }
}

/// Picks up to `n` of `candidates`, deterministically for the stream.
fn choose(rng: &mut ChaCha8Rng, mut candidates: Vec<usize>, n: usize) -> Vec<usize> {
    let n = n.min(candidates.len());
    for i in 0..n {
        let j = rng.random_range(i..candidates.len());
        candidates.swap(i, j);
    }
    candidates.truncate(n);
    candidates
}

/// Applies step `world.step + 1` to `world`.
pub(crate) fn apply_step(world: &mut World) {
    let step = world.step + 1;
    let mut rng = ChaCha8Rng::seed_from_u64(world.seed);
    rng.set_stream(u64::from(step));
    world.step = step;
    world.as_of = step_instant(step);
    let today = mountain_date(world.as_of);
    world.today = today;
    world.changes.clear();

    let slots = Slots::of(world);
    // Flows balance so the mix of states stays steady over many steps: k notices, k move-outs,
    // k approvals feeding k move-ins, k + k/4 new applications for k approvals and k/4
    // cancellations, and at most k/2 purges of the cancelled.
    let k = (slots.total / 60).max(1);
    let half = (k / 2).max(1);
    let quarter = (k / 4).max(1);

    remove_cancelled(world, &mut rng, half);

    // Leases touched by this step (by index; leases are only appended from here on), so no lease
    // changes twice in one step.
    let mut touched = vec![false; world.leases.len()];

    // Move-outs.
    let candidates = indexes(world, |_, l| l.status == LeaseStatus::Notice);
    for i in choose(&mut rng, candidates, k) {
        let lease = &mut world.leases[i];
        lease.move_out = Some(today);
        set_lease_state(lease, LeaseStatus::Past);
        touched[i] = true;
        world.changes.push(Change::lease(ChangeKind::MovedOut, lease.id));
    }

    // Move-ins, into slots nobody occupies any more.
    let mut occupied = slots.marked(world, Lease::is_occupying);
    let candidates = indexes(world, |_, l| l.status == LeaseStatus::Future && !occupied[slots.slot(l.unit, l.space)]);
    for i in choose(&mut rng, candidates, k) {
        let lease = &mut world.leases[i];
        let slot = slots.slot(lease.unit, lease.space);
        if std::mem::replace(&mut occupied[slot], true) {
            continue; // two future leases on one slot: the first one moves in
        }
        if lease.start_date() > today {
            // An early move-in starts the term today.
            let term = last_term(lease);
            term.start = today;
            term.end = term_end(today);
        }
        lease.move_in = Some(today);
        set_lease_state(lease, LeaseStatus::Current);
        touched[i] = true;
        world.changes.push(Change::lease(ChangeKind::MovedIn, lease.id));
    }

    // Notices.
    let candidates = indexes(world, |i, l| l.status == LeaseStatus::Current && !touched[i]);
    for i in choose(&mut rng, candidates, k) {
        let lease = &mut world.leases[i];
        lease.notice = Some(today);
        lease.move_out = Some(today + days(rng.random_range(30..60)));
        set_lease_state(lease, LeaseStatus::Notice);
        touched[i] = true;
        world.changes.push(Change::lease(ChangeKind::NoticeGiven, lease.id));
    }

    transfer(world, &mut rng, today, quarter, &mut touched);
    renew(world, &mut rng, today, half, &mut touched);

    // Leases past their end, not renewed, roll over month to month.
    for (i, lease) in world.leases.iter_mut().enumerate() {
        if lease.is_occupying() && !lease.month_to_month && lease.end_date() < today && !touched[i] {
            lease.month_to_month = true;
            world.changes.push(Change::lease(ChangeKind::MonthToMonth, lease.id));
        }
    }

    // Approvals and cancellations of applications made before this step.
    let candidates = indexes(world, |i, l| l.status == LeaseStatus::Applicant && !touched[i]);
    let chosen = choose(&mut rng, candidates, k + quarter);
    let (approve, cancel) = chosen.split_at(chosen.len().min(k));
    for &i in approve {
        let lease = &mut world.leases[i];
        let term = last_term(lease);
        term.approved_on = Some(today);
        if term.start <= today {
            term.start = today + days(14);
            term.end = term_end(term.start);
        }
        set_lease_state(lease, LeaseStatus::Future);
        touched[i] = true;
        world.changes.push(Change::lease(ChangeKind::Approved, lease.id));
    }
    for &i in cancel {
        let lease = &mut world.leases[i];
        set_lease_state(lease, LeaseStatus::Cancelled);
        touched[i] = true;
        world.changes.push(Change::lease(ChangeKind::Cancelled, lease.id));
    }

    new_applicants(world, &mut rng, today, &slots, k + quarter);
    change_emails(world, &mut rng, half);
}

fn indexes(world: &World, keep: impl Fn(usize, &Lease) -> bool) -> Vec<usize> {
    world.leases.iter().enumerate().filter(|(i, l)| keep(*i, l)).map(|(i, _)| i).collect()
}

fn last_term(lease: &mut Lease) -> &mut LeaseTerm {
    let last = lease.terms.len() - 1;
    &mut lease.terms[last]
}

/// Cancelled applications (from earlier steps) disappear, with the people left on no lease.
fn remove_cancelled(world: &mut World, rng: &mut ChaCha8Rng, n: usize) {
    let candidates = indexes(world, |_, l| l.status == LeaseStatus::Cancelled);
    let chosen = choose(rng, candidates, n);
    if chosen.is_empty() {
        return;
    }
    let mut remove = vec![false; world.leases.len()];
    let mut orphans: Vec<u64> = Vec::new();
    let mut removed = Vec::with_capacity(chosen.len());
    for i in chosen {
        remove[i] = true;
        orphans.extend(world.leases[i].residents.iter().map(|r| r.person_id));
        removed.push(world.leases[i].id);
    }
    let mut index = 0usize;
    world.leases.retain(|_| {
        index += 1;
        !remove[index - 1]
    });
    // The people of a cancelled application are on no other lease: only transfers put a person on
    // a second lease, and they move CURRENT households, never applicants (the generator's
    // transfer histories too). So they all go, without a scan of every lease; the world tests
    // check that nobody is left on no lease and no lease names a missing person.
    orphans.sort_unstable();
    orphans.dedup();
    world.people.retain(|p| orphans.binary_search(&p.id).is_err());
    removed.sort_unstable();
    world.changes.extend(removed.into_iter().map(|id| Change::lease(ChangeKind::Removed, id)));
}

/// Whole (unsplit) units with no active lease, as (unit index, property index).
fn free_whole_units(world: &World) -> Vec<usize> {
    let mut busy = vec![false; world.units.len()];
    for lease in world.leases.iter().filter(|l| l.is_active()) {
        busy[lease.unit] = true;
    }
    (0..world.units.len()).filter(|&u| !busy[u] && world.units[u].spaces.is_empty()).collect()
}

/// Households move from their current unit to a free unit (maybe in another property): the old
/// lease ends today (PAST), a new CURRENT lease starts today with the same people.
fn transfer(world: &mut World, rng: &mut ChaCha8Rng, today: NaiveDate, n: usize, touched: &mut Vec<bool>) {
    let mut free = free_whole_units(world);
    let candidates = indexes(world, |i, l| {
        l.status == LeaseStatus::Current
            && l.space.is_none()
            && !touched[i]
            && world.properties[l.property].kind == PropertyKind::Conventional
    });
    for i in choose(rng, candidates, n) {
        if free.is_empty() {
            break;
        }
        let to = free.swap_remove(rng.random_range(0..free.len()));
        let old = &mut world.leases[i];
        old.move_out = Some(today);
        old.notice.get_or_insert(today - days(30));
        set_lease_state(old, LeaseStatus::Past);
        touched[i] = true;
        let old_id = old.id;
        let residents = old.residents.clone();
        let unit = &world.units[to];
        let rent = unit.market_rent_cents;
        let term = new_term(&mut world.ids, TermKind::Initial, today, rent, today - days(21), Some(today - days(14)));
        let mut lease = Lease {
            id: take(&mut world.ids.lease),
            property: unit.property,
            unit: to,
            space: None,
            status: LeaseStatus::Current,
            terms: vec![term],
            move_in: Some(today),
            move_out: None,
            notice: None,
            month_to_month: false,
            residents,
        };
        set_lease_state(&mut lease, LeaseStatus::Current);
        world.changes.push(Change {
            kind: ChangeKind::Transferred,
            lease_id: Some(old_id),
            new_lease_id: Some(lease.id),
            person_id: None,
        });
        world.leases.push(lease); // the highest id so far: `leases` stays sorted
        touched.push(true);
    }
}

/// Leases at or past their end (month-to-month ones first in line) get a new 12-month term; when
/// none is due, the leases ending soonest renew early.
fn renew(world: &mut World, rng: &mut ChaCha8Rng, today: NaiveDate, n: usize, touched: &mut [bool]) {
    let due = indexes(world, |i, l| l.status == LeaseStatus::Current && !touched[i] && l.end_date() <= today);
    let chosen = if due.is_empty() {
        let mut soonest = indexes(world, |i, l| l.status == LeaseStatus::Current && !touched[i]);
        soonest.sort_by_key(|&i| (world.leases[i].end_date(), world.leases[i].id));
        soonest.truncate(n);
        soonest
    } else {
        choose(rng, due, n)
    };
    for i in chosen {
        let lease = &mut world.leases[i];
        let old_end = lease.end_date();
        let start = if old_end + days(7) >= today { old_end + days(1) } else { today };
        let rent = round_rent(lease.rent_cents() * 103 / 100);
        let term = LeaseTerm {
            id: take(&mut world.ids.term),
            kind: TermKind::Renewal,
            start,
            end: term_end(start),
            rent_cents: rent,
            applied_on: today - days(10),
            approved_on: Some(today),
            application_id: take(&mut world.ids.application),
            charge_id: take(&mut world.ids.charge),
        };
        lease.terms.push(term);
        lease.month_to_month = false;
        touched[i] = true;
        world.changes.push(Change::lease(ChangeKind::Renewed, lease.id));
    }
}

/// New households apply for free units or beds.
fn new_applicants(world: &mut World, rng: &mut ChaCha8Rng, today: NaiveDate, slots: &Slots, n: usize) {
    let busy = slots.marked(world, Lease::is_active);
    let mut free: Vec<(usize, Option<usize>)> = Vec::new();
    for (u, unit) in world.units.iter().enumerate() {
        if unit.spaces.is_empty() {
            if !busy[slots.slot(u, None)] {
                free.push((u, None));
            }
        } else {
            free.extend((0..unit.spaces.len()).map(|s| (u, Some(s))).filter(|&(u, s)| !busy[slots.slot(u, s)]));
        }
    }
    let chosen = choose(rng, (0..free.len()).collect(), n);
    for f in chosen {
        let (u, space) = free[f];
        let unit = &world.units[u];
        let property = &world.properties[unit.property];
        let student = property.kind == PropertyKind::Student;
        let city = property.city;
        let rent = slot_rent(unit, space);
        let pi = unit.property;
        let household = Household::random(rng, student);
        let residents = new_household(rng, &mut world.ids, &city, &household, &mut world.people);
        let start = today + days(rng.random_range(14..45));
        let term = new_term(&mut world.ids, TermKind::Initial, start, rent, today, None);
        let mut lease = Lease::application(take(&mut world.ids.lease), pi, u, space, term, residents);
        set_lease_state(&mut lease, LeaseStatus::Applicant);
        world.changes.push(Change::lease(ChangeKind::NewApplicant, lease.id));
        world.leases.push(lease);
    }
}

/// People (on a lease that is not cancelled, occupants aside) change their email address;
/// someone without one gets one.
fn change_emails(world: &mut World, rng: &mut ChaCha8Rng, n: usize) {
    let candidates = indexes(world, |_, l| l.status != LeaseStatus::Cancelled);
    let step = world.step;
    let mut changed: HashSet<u64> = HashSet::new();
    for i in choose(rng, candidates, n) {
        let lease = &world.leases[i];
        let people: Vec<u64> =
            lease.residents.iter().filter(|r| r.role != ResidentRole::Occupant).map(|r| r.person_id).collect();
        let id = people[rng.random_range(0..people.len())];
        let Ok(p) = world.people.binary_search_by_key(&id, |p| p.id) else { continue };
        if !changed.insert(id) {
            continue;
        }
        let person = &mut world.people[p];
        let domain = pick(rng, names::EMAIL_DOMAINS);
        person.email = Some(email_for(person.first_name, person.last_name, person.id, domain, step));
        world.changes.push(Change {
            kind: ChangeKind::EmailChanged,
            lease_id: None,
            new_lease_id: None,
            person_id: Some(id),
        });
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::world::Size;

    #[test]
    fn every_kind_of_change_happens_within_a_few_steps_and_each_step_changes_something() {
        let mut world = World::generate(1, Size::SMALL, 0);
        let mut seen = BTreeSet::new();
        for _ in 0..6 {
            world = world.next();
            assert!(!world.changes.is_empty());
            seen.extend(world.changes.iter().map(|c| c.kind));
        }
        let all: BTreeSet<ChangeKind> = ChangeKind::ALL.into_iter().collect();
        assert_eq!(seen, all);
    }

    #[test]
    fn the_core_changes_happen_on_every_step_for_fifty_steps() {
        let mut world = World::generate(2, Size::SMALL, 0);
        for _ in 0..50 {
            world = world.next();
            let kinds: BTreeSet<ChangeKind> = world.changes.iter().map(|c| c.kind).collect();
            for kind in [
                ChangeKind::MovedIn,
                ChangeKind::MovedOut,
                ChangeKind::NoticeGiven,
                ChangeKind::Transferred,
                ChangeKind::Renewed,
                ChangeKind::EmailChanged,
                ChangeKind::NewApplicant,
                ChangeKind::Removed,
            ] {
                assert!(kinds.contains(&kind), "step {}: no {kind:?}", world.step);
            }
        }
    }

    #[test]
    fn changes_show_in_the_next_world() {
        let before = World::generate(3, Size::SMALL, 4);
        let after = before.next();
        for change in &after.changes {
            match change.kind {
                ChangeKind::MovedIn => {
                    let id = change.lease_id.expect("lease");
                    assert_eq!(before.lease(id).expect("was there").status, LeaseStatus::Future);
                    let lease = after.lease(id).expect("still there");
                    assert_eq!(lease.status, LeaseStatus::Current);
                    assert_eq!(lease.move_in, Some(after.today));
                }
                ChangeKind::MovedOut => {
                    let id = change.lease_id.expect("lease");
                    assert_eq!(before.lease(id).expect("was there").status, LeaseStatus::Notice);
                    let lease = after.lease(id).expect("still there");
                    assert_eq!((lease.status, lease.move_out), (LeaseStatus::Past, Some(after.today)));
                }
                ChangeKind::NoticeGiven => {
                    let lease = after.lease(change.lease_id.expect("lease")).expect("there");
                    assert_eq!(lease.status, LeaseStatus::Notice);
                    assert_eq!(lease.notice, Some(after.today));
                    assert!(lease.move_out.expect("scheduled") > after.today);
                }
                ChangeKind::Transferred => {
                    let old = after.lease(change.lease_id.expect("old")).expect("old lease");
                    let new = after.lease(change.new_lease_id.expect("new")).expect("new lease");
                    assert_eq!(old.status, LeaseStatus::Past);
                    assert_eq!(new.status, LeaseStatus::Current);
                    assert_ne!(old.unit, new.unit);
                    let people = |l: &Lease| l.residents.iter().map(|r| r.person_id).collect::<Vec<_>>();
                    assert_eq!(people(old), people(new));
                    assert!(before.lease(new.id).is_none());
                }
                ChangeKind::Renewed => {
                    let id = change.lease_id.expect("lease");
                    let old = before.lease(id).expect("was there");
                    let new = after.lease(id).expect("there");
                    assert_eq!(new.terms.len(), old.terms.len() + 1);
                    assert!(new.end_date() > old.end_date());
                    assert!(!new.month_to_month);
                }
                ChangeKind::Removed => {
                    let id = change.lease_id.expect("lease");
                    assert_eq!(before.lease(id).expect("was there").status, LeaseStatus::Cancelled);
                    assert!(after.lease(id).is_none());
                }
                ChangeKind::EmailChanged => {
                    let id = change.person_id.expect("person");
                    assert_ne!(before.person(id).expect("was there").email, after.person(id).expect("there").email);
                }
                ChangeKind::NewApplicant => {
                    let id = change.lease_id.expect("lease");
                    assert!(before.lease(id).is_none());
                    assert_eq!(after.lease(id).expect("there").status, LeaseStatus::Applicant);
                }
                ChangeKind::Approved => {
                    let lease = after.lease(change.lease_id.expect("lease")).expect("there");
                    assert_eq!(lease.status, LeaseStatus::Future);
                }
                ChangeKind::Cancelled => {
                    let lease = after.lease(change.lease_id.expect("lease")).expect("there");
                    assert_eq!(lease.status, LeaseStatus::Cancelled);
                }
                ChangeKind::MonthToMonth => {
                    assert!(after.lease(change.lease_id.expect("lease")).expect("there").month_to_month);
                }
            }
        }
        // Removed people are gone; nobody else is.
        let gone: Vec<u64> = before.people.iter().filter(|p| after.person(p.id).is_none()).map(|p| p.id).collect();
        for id in gone {
            assert!(after.leases.iter().all(|l| l.residents.iter().all(|r| r.person_id != id)));
        }
    }
}
