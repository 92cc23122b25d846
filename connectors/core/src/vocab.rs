//! The normalized vocabulary: lease status, resident role and unit occupancy.
//!
//! Values are stored in the database as their SCREAMING_CASE names (`as_str`) and served by GraphQL
//! under the same names. Mapping a PMS's own words onto these is each connector's job (DESIGN.md,
//! "Lease status: one vocabulary").

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A stored word that is not part of the vocabulary (a corrupted row or a newer schema).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{word}` is not a known {vocabulary}")]
pub struct UnknownWord {
    pub vocabulary: &'static str,
    pub word: String,
}

macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident, $label:literal { $($(#[$vmeta:meta])* $variant:ident => $word:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored and served name of this value.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word),+
                }
            }
        }

        impl FromStr for $name {
            type Err = UnknownWord;

            fn from_str(word: &str) -> Result<Self, Self::Err> {
                match word {
                    $($word => Ok($name::$variant),)+
                    other => Err(UnknownWord { vocabulary: $label, word: other.to_owned() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary! {
    /// Where a lease (or one person on it) stands, the same word whatever the PMS.
    LeaseStatus, "lease status" {
        /// Applied, not yet approved or signed.
        Applicant => "APPLICANT",
        /// Signed, move-in still ahead.
        Future => "FUTURE",
        /// In the unit, no notice given.
        Current => "CURRENT",
        /// In the unit, notice given (or under eviction): a move-out is coming.
        Notice => "NOTICE",
        /// Moved out.
        Past => "PAST",
        /// Cancelled or denied before move-in.
        Cancelled => "CANCELLED",
    }
}

vocabulary! {
    /// A person's part on a lease.
    ResidentRole, "resident role" {
        Primary => "PRIMARY",
        CoApplicant => "CO_APPLICANT",
        Occupant => "OCCUPANT",
        Guarantor => "GUARANTOR",
    }
}

vocabulary! {
    /// Whether a unit is lived in, as the PMS reports it.
    Occupancy, "occupancy" {
        Occupied => "OCCUPIED",
        Vacant => "VACANT",
        Unknown => "UNKNOWN",
    }
}

/// The dates that decide a lease's (or a person's) state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LeaseDates {
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
    pub move_in: Option<NaiveDate>,
    pub move_out: Option<NaiveDate>,
    pub notice: Option<NaiveDate>,
}

/// The nearest state by dates, for a status word a connector does not know (DESIGN.md: "an unknown
/// word maps to the nearest state by dates").
///
/// Moved out (a move-out date today or before) is PAST; a coming move-out is NOTICE once moved in;
/// moved in (or started) is CURRENT, NOTICE with a notice date, PAST once the term ended unless it
/// runs month to month; not yet started is FUTURE. Without any date nothing says the person is in
/// or coming, so it is APPLICANT, which opens no access.
pub fn status_by_dates(dates: &LeaseDates, month_to_month: bool, today: NaiveDate) -> LeaseStatus {
    let began = dates.move_in.or(dates.start).map(|d| d <= today);
    if let Some(move_out) = dates.move_out {
        return if move_out <= today {
            LeaseStatus::Past
        } else if began == Some(true) {
            LeaseStatus::Notice
        } else {
            LeaseStatus::Future
        };
    }
    match began {
        Some(true) if dates.end.is_some_and(|end| end < today) && !month_to_month => LeaseStatus::Past,
        Some(true) if dates.notice.is_some() => LeaseStatus::Notice,
        Some(true) => LeaseStatus::Current,
        Some(false) => LeaseStatus::Future,
        None => LeaseStatus::Applicant,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_round_trips() {
        for status in LeaseStatus::ALL {
            assert_eq!(status.as_str().parse::<LeaseStatus>(), Ok(*status));
        }
        for role in ResidentRole::ALL {
            assert_eq!(role.as_str().parse::<ResidentRole>(), Ok(*role));
        }
        for occupancy in Occupancy::ALL {
            assert_eq!(occupancy.as_str().parse::<Occupancy>(), Ok(*occupancy));
        }
    }

    #[test]
    fn serde_uses_the_stored_names() {
        let json = serde_json::to_string(&ResidentRole::CoApplicant).expect("serializes");
        assert_eq!(json, "\"CO_APPLICANT\"");
    }

    #[test]
    fn unknown_words_are_named_in_the_error() {
        let err = "EVICTED".parse::<LeaseStatus>().expect_err("not a status");
        assert_eq!(err.to_string(), "`EVICTED` is not a known lease status");
    }
}
