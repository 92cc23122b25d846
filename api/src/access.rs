//! Access-control semantics for lock and Wi-Fi vendors (DESIGN.md, "Access-control semantics"):
//! each lease resident's access window, and which of a person's leases is their active one.
//!
//! Windows are computed from property-local dates at the property's access times (10:00 on the
//! move-in date and 16:00 on the move-out date unless the property or its integration says
//! otherwise), converted to UTC with chrono-tz in the property's zone, so a move-out across a
//! daylight-saving change still closes at 16:00 on the wall clock. An app's override replaces
//! either bound. Whether a window is open depends on the instant asked about, so callers compute it
//! at read time and never cache it.

use std::cmp::Reverse;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use pmsgraph_connector_core::{LeaseStatus, ResidentRole};

/// Where a window's bounds come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum WindowSource {
    /// The PMS's dates.
    Pms,
    /// An app's override (early move-in, late move-out) for at least one bound.
    Override,
}

/// When a person may enter: from `starts_at` (null: no known start, as for a current resident the
/// PMS gives no dates for) until `ends_at` (null: open-ended, until the PMS says otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub source: WindowSource,
}

impl Window {
    /// Whether the window contains `at` (start inclusive, end exclusive).
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.starts_at.is_none_or(|s| s <= at) && self.ends_at.is_none_or(|e| at < e)
    }
}

/// What a window is computed from: one person on one lease, and where and when the property is.
#[derive(Debug, Clone, Copy)]
pub struct WindowFacts {
    /// The person's status on the lease.
    pub status: LeaseStatus,
    pub role: ResidentRole,
    pub person_move_in: Option<NaiveDate>,
    pub person_move_out: Option<NaiveDate>,
    pub lease_move_in: Option<NaiveDate>,
    pub lease_move_out: Option<NaiveDate>,
    pub lease_start: Option<NaiveDate>,
    pub lease_end: Option<NaiveDate>,
    pub zone: Tz,
    pub access_start: NaiveTime,
    pub access_end: NaiveTime,
    /// When pmsgraph first saw the person's lease as PAST.
    pub past_seen_at: Option<DateTime<Utc>>,
}

/// An app's override of a window's bounds.
#[derive(Debug, Clone, Copy, Default)]
pub struct Override {
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
}

/// A property-local date and wall-clock time as an instant. A time that falls in a
/// daylight-saving gap is taken an hour later; one that occurs twice, at its first occurrence.
pub fn local_instant(zone: Tz, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let local = date.and_time(time);
    zone.from_local_datetime(&local)
        .earliest()
        .or_else(|| zone.from_local_datetime(&(local + Duration::hours(1))).earliest())
        .map_or_else(|| local.and_utc(), |t| t.with_timezone(&Utc))
}

/// The access window of one person on one lease (DESIGN.md's table), or `None` when they get no
/// access: applicants, cancelled leases and guarantors.
pub fn window(facts: &WindowFacts, overridden: Option<Override>) -> Option<Window> {
    if matches!(facts.status, LeaseStatus::Applicant | LeaseStatus::Cancelled) || facts.role == ResidentRole::Guarantor
    {
        return None;
    }
    let at = |date: NaiveDate, time: NaiveTime| local_instant(facts.zone, date, time);
    let move_in = facts.person_move_in.or(facts.lease_move_in).or(facts.lease_start);
    let mut starts_at = move_in.map(|d| at(d, facts.access_start));
    let mut ends_at = match facts.person_move_out.or(facts.lease_move_out) {
        Some(out) => Some(at(out, facts.access_end)),
        None if facts.status == LeaseStatus::Past => {
            let end = facts.lease_end.map(|d| at(d, facts.access_end));
            match (end, facts.past_seen_at) {
                (Some(end), Some(seen)) => Some(end.min(seen)),
                (end, seen) => end.or(seen),
            }
        }
        None => None,
    };
    let mut source = WindowSource::Pms;
    if let Some(o) = overridden {
        if o.starts_at.is_some() {
            starts_at = o.starts_at;
            source = WindowSource::Override;
        }
        if o.ends_at.is_some() {
            ends_at = o.ends_at;
            source = WindowSource::Override;
        }
    }
    Some(Window { starts_at, ends_at, source })
}

/// How a person's occupancy ranks for their one active lease (DESIGN.md, "One active unit"):
/// CURRENT over NOTICE over FUTURE, then the latest move-in; `None` for every other state and for
/// guarantors, who never live in the unit. The smallest key wins.
pub fn active_rank(
    status: Option<LeaseStatus>,
    guarantor: bool,
    move_in: Option<NaiveDate>,
) -> Option<(u8, Reverse<Option<NaiveDate>>)> {
    if guarantor {
        return None;
    }
    let rank = match status? {
        LeaseStatus::Current => 0,
        LeaseStatus::Notice => 1,
        LeaseStatus::Future => 2,
        _ => return None,
    };
    Some((rank, Reverse(move_in)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a date")
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().expect("an instant")
    }

    fn facts(status: LeaseStatus) -> WindowFacts {
        WindowFacts {
            status,
            role: ResidentRole::Primary,
            person_move_in: None,
            person_move_out: None,
            lease_move_in: Some(date(2026, 3, 1)),
            lease_move_out: None,
            lease_start: Some(date(2026, 2, 15)),
            lease_end: Some(date(2027, 2, 28)),
            zone: chrono_tz::America::Denver,
            access_start: NaiveTime::from_hms_opt(10, 0, 0).expect("a time"),
            access_end: NaiveTime::from_hms_opt(16, 0, 0).expect("a time"),
            past_seen_at: None,
        }
    }

    #[test]
    fn a_current_lease_without_a_move_out_is_open_ended_from_move_in_at_ten() {
        let w = window(&facts(LeaseStatus::Current), None).expect("a window");
        // 10:00 in Denver on 1 March 2026 is MST (UTC-7).
        assert_eq!(w.starts_at, Some(utc("2026-03-01T17:00:00Z")));
        assert_eq!(w.ends_at, None, "a lease end date alone does not end access");
        assert_eq!(w.source, WindowSource::Pms);
        assert!(w.contains(utc("2030-01-01T00:00:00Z")));
        assert!(!w.contains(utc("2026-03-01T16:59:59Z")));
    }

    #[test]
    fn a_move_out_closes_at_sixteen_local_across_daylight_saving() {
        let mut f = facts(LeaseStatus::Notice);
        f.lease_move_out = Some(date(2026, 3, 31));
        let w = window(&f, None).expect("a window");
        // The move-in was in MST (UTC-7); the move-out, after 8 March, is in MDT (UTC-6).
        assert_eq!(w.starts_at, Some(utc("2026-03-01T17:00:00Z")));
        assert_eq!(w.ends_at, Some(utc("2026-03-31T22:00:00Z")));
        // The person's own dates win over the lease's.
        f.person_move_in = Some(date(2026, 3, 5));
        f.person_move_out = Some(date(2026, 3, 20));
        let w = window(&f, None).expect("a window");
        assert_eq!(w.starts_at, Some(utc("2026-03-05T17:00:00Z")));
        assert_eq!(w.ends_at, Some(utc("2026-03-20T22:00:00Z")));
    }

    #[test]
    fn past_without_a_move_out_ends_at_lease_end_or_when_past_was_seen() {
        let mut f = facts(LeaseStatus::Past);
        f.lease_end = Some(date(2026, 6, 30));
        assert_eq!(window(&f, None).expect("a window").ends_at, Some(utc("2026-06-30T22:00:00Z")));
        f.past_seen_at = Some(utc("2026-05-01T12:00:00Z"));
        assert_eq!(window(&f, None).expect("a window").ends_at, Some(utc("2026-05-01T12:00:00Z")));
        f.lease_end = None;
        assert_eq!(window(&f, None).expect("a window").ends_at, Some(utc("2026-05-01T12:00:00Z")));
    }

    #[test]
    fn applicants_cancelled_leases_and_guarantors_get_no_window() {
        assert_eq!(window(&facts(LeaseStatus::Applicant), None), None);
        assert_eq!(window(&facts(LeaseStatus::Cancelled), None), None);
        let guarantor = WindowFacts { role: ResidentRole::Guarantor, ..facts(LeaseStatus::Current) };
        assert_eq!(window(&guarantor, None), None);
    }

    #[test]
    fn an_override_replaces_the_bounds_it_sets() {
        let early = Override { starts_at: Some(utc("2026-02-27T15:00:00Z")), ends_at: None };
        let w = window(&facts(LeaseStatus::Future), Some(early)).expect("a window");
        assert_eq!(w.starts_at, early.starts_at);
        assert_eq!(w.ends_at, None);
        assert_eq!(w.source, WindowSource::Override);
    }

    #[test]
    fn times_in_a_daylight_saving_gap_move_an_hour_on() {
        let gap = NaiveTime::from_hms_opt(2, 30, 0).expect("a time");
        // 8 March 2026, 02:30 does not exist in Denver: 03:30 MDT is 09:30 UTC.
        assert_eq!(local_instant(chrono_tz::America::Denver, date(2026, 3, 8), gap), utc("2026-03-08T09:30:00Z"));
    }

    #[test]
    fn the_active_rank_prefers_current_then_notice_then_future_then_the_latest_move_in() {
        let key = |s, d| active_rank(Some(s), false, Some(d));
        assert!(key(LeaseStatus::Current, date(2020, 1, 1)) < key(LeaseStatus::Notice, date(2026, 1, 1)));
        assert!(key(LeaseStatus::Notice, date(2020, 1, 1)) < key(LeaseStatus::Future, date(2026, 1, 1)));
        assert!(key(LeaseStatus::Current, date(2026, 1, 1)) < key(LeaseStatus::Current, date(2020, 1, 1)));
        assert_eq!(active_rank(Some(LeaseStatus::Past), false, None), None);
        assert_eq!(active_rank(Some(LeaseStatus::Current), true, None), None);
    }
}
