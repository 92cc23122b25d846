//! Lifecycle events for access-control and Wi-Fi vendors (DESIGN.md, "Access-control semantics"):
//! what happened to a lease or a person, derived from the change log a sync job wrote
//! ([`derive`]), stored in the feed with gap-free positions ([`crate::store::events`]), served as
//! a GraphQL connection and subscription, and delivered to webhooks.

pub mod derive;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The canonical list of lifecycle events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, async_graphql::Enum)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EventType {
    /// A lease appeared at the PMS (after the integration's first full sync).
    LeaseCreated,
    /// A person's lease became FUTURE: they will move in (the move-in date is in `changes`).
    MoveInScheduled,
    /// A person's lease became CURRENT (or NOTICE) from FUTURE, APPLICANT or nothing.
    MovedIn,
    /// A person's lease became NOTICE: a move-out is scheduled.
    NoticeGiven,
    /// A person's lease became PAST: they moved out (and not to another unit: see TRANSFERRED).
    MovedOut,
    /// A person's active lease moved to another unit or property.
    Transferred,
    /// A lease got a new term (a later end date), or a new lease continues the same people in the
    /// same unit.
    Renewed,
    /// A person's name or phone changed (the fields are in `changes`).
    ResidentUpdated,
    /// A person's email changed at the PMS.
    EmailChanged,
    /// A record is no longer at the PMS (after a complete, successful full sync).
    RemoteDeleted,
    /// The integration's first complete full sync: its data is the baseline (no event per record).
    InitialSyncCompleted,
}

impl EventType {
    pub const ALL: [EventType; 11] = [
        EventType::LeaseCreated,
        EventType::MoveInScheduled,
        EventType::MovedIn,
        EventType::NoticeGiven,
        EventType::MovedOut,
        EventType::Transferred,
        EventType::Renewed,
        EventType::ResidentUpdated,
        EventType::EmailChanged,
        EventType::RemoteDeleted,
        EventType::InitialSyncCompleted,
    ];

    /// The stored and served name.
    pub const fn as_str(self) -> &'static str {
        match self {
            EventType::LeaseCreated => "LEASE_CREATED",
            EventType::MoveInScheduled => "MOVE_IN_SCHEDULED",
            EventType::MovedIn => "MOVED_IN",
            EventType::NoticeGiven => "NOTICE_GIVEN",
            EventType::MovedOut => "MOVED_OUT",
            EventType::Transferred => "TRANSFERRED",
            EventType::Renewed => "RENEWED",
            EventType::ResidentUpdated => "RESIDENT_UPDATED",
            EventType::EmailChanged => "EMAIL_CHANGED",
            EventType::RemoteDeleted => "REMOTE_DELETED",
            EventType::InitialSyncCompleted => "INITIAL_SYNC_COMPLETED",
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EventType {
    type Err = pmsgraph_connector_core::UnknownWord;

    fn from_str(word: &str) -> Result<Self, Self::Err> {
        EventType::ALL
            .into_iter()
            .find(|t| t.as_str() == word)
            .ok_or_else(|| pmsgraph_connector_core::UnknownWord { vocabulary: "event type", word: word.to_owned() })
    }
}
