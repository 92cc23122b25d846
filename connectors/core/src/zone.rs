//! A property's time zone inferred from its address, for PMSs that do not say (DESIGN.md, "Normalized
//! model": "from the PMS where it says, else inferred from the address (state, postal code)").
//!
//! The state gives the zone most of its people live in; for states that span two zones, the
//! three-digit ZIP prefixes of the other part refine it. The answer is an IANA name; an app can
//! override it per property.

/// The IANA zone of a US address, from its USPS state code (any case) and ZIP code.
pub fn infer_time_zone(state: Option<&str>, postal_code: Option<&str>) -> Option<&'static str> {
    let state = state?.trim().to_ascii_uppercase();
    let prefix: Option<u16> = postal_code.and_then(|zip| zip.trim().get(..3)).and_then(|p| p.parse().ok());
    if let Some(prefix) = prefix
        && let Some(zone) =
            SPLIT_STATES.iter().find(|(s, range, _)| *s == state && range.contains(&prefix)).map(|(_, _, zone)| *zone)
    {
        return Some(zone);
    }
    STATES.iter().find(|(s, _)| *s == state).map(|(_, zone)| *zone)
}

/// The zone of each state's largest part.
const STATES: &[(&str, &str)] = &[
    ("AL", "America/Chicago"),
    ("AK", "America/Anchorage"),
    ("AZ", "America/Phoenix"),
    ("AR", "America/Chicago"),
    ("CA", "America/Los_Angeles"),
    ("CO", "America/Denver"),
    ("CT", "America/New_York"),
    ("DC", "America/New_York"),
    ("DE", "America/New_York"),
    ("FL", "America/New_York"),
    ("GA", "America/New_York"),
    ("HI", "Pacific/Honolulu"),
    ("ID", "America/Boise"),
    ("IL", "America/Chicago"),
    ("IN", "America/Indiana/Indianapolis"),
    ("IA", "America/Chicago"),
    ("KS", "America/Chicago"),
    ("KY", "America/New_York"),
    ("LA", "America/Chicago"),
    ("ME", "America/New_York"),
    ("MD", "America/New_York"),
    ("MA", "America/New_York"),
    ("MI", "America/Detroit"),
    ("MN", "America/Chicago"),
    ("MS", "America/Chicago"),
    ("MO", "America/Chicago"),
    ("MT", "America/Denver"),
    ("NE", "America/Chicago"),
    ("NV", "America/Los_Angeles"),
    ("NH", "America/New_York"),
    ("NJ", "America/New_York"),
    ("NM", "America/Denver"),
    ("NY", "America/New_York"),
    ("NC", "America/New_York"),
    ("ND", "America/Chicago"),
    ("OH", "America/New_York"),
    ("OK", "America/Chicago"),
    ("OR", "America/Los_Angeles"),
    ("PA", "America/New_York"),
    ("RI", "America/New_York"),
    ("SC", "America/New_York"),
    ("SD", "America/Chicago"),
    ("TN", "America/Chicago"),
    ("TX", "America/Chicago"),
    ("UT", "America/Denver"),
    ("VT", "America/New_York"),
    ("VA", "America/New_York"),
    ("WA", "America/Los_Angeles"),
    ("WV", "America/New_York"),
    ("WI", "America/Chicago"),
    ("WY", "America/Denver"),
    ("PR", "America/Puerto_Rico"),
    ("GU", "Pacific/Guam"),
    ("VI", "America/St_Thomas"),
];

/// The other zone of states that span two, by ZIP prefix.
const SPLIT_STATES: &[(&str, std::ops::RangeInclusive<u16>, &str)] = &[
    ("TX", 798..=799, "America/Denver"),      // El Paso
    ("FL", 324..=325, "America/Chicago"),     // Panhandle west of the Apalachicola
    ("TN", 373..=379, "America/New_York"),    // East Tennessee
    ("KY", 420..=427, "America/Chicago"),     // Western Kentucky
    ("IN", 463..=464, "America/Chicago"),     // Gary, northwest Indiana
    ("MI", 498..=499, "America/Menominee"),   // western Upper Peninsula
    ("SD", 575..=577, "America/Denver"),      // Rapid City, west river
    ("NE", 690..=693, "America/Denver"),      // western Nebraska
    ("KS", 677..=679, "America/Denver"),      // far western Kansas
    ("ND", 586..=588, "America/Denver"),      // southwest North Dakota
    ("ID", 835..=838, "America/Los_Angeles"), // the Panhandle
    ("OR", 979..=979, "America/Boise"),       // Malheur County
];

#[cfg(test)]
mod tests {
    use super::infer_time_zone;

    #[test]
    fn the_state_gives_the_zone_and_the_zip_refines_split_states() {
        assert_eq!(infer_time_zone(Some("CO"), Some("80205")), Some("America/Denver"));
        assert_eq!(infer_time_zone(Some("az"), None), Some("America/Phoenix"));
        assert_eq!(infer_time_zone(Some("TX"), Some("78705")), Some("America/Chicago"));
        assert_eq!(infer_time_zone(Some("TX"), Some("79901")), Some("America/Denver"));
        assert_eq!(infer_time_zone(Some("TN"), Some("37902")), Some("America/New_York"));
        assert_eq!(infer_time_zone(Some("TN"), Some("37203")), Some("America/Chicago"));
        assert_eq!(infer_time_zone(Some("ZZ"), Some("12345")), None);
        assert_eq!(infer_time_zone(None, Some("80205")), None);
    }

    #[test]
    fn every_zone_named_is_a_real_iana_zone() {
        let zones = super::STATES.iter().map(|(_, z)| z).chain(super::SPLIT_STATES.iter().map(|(_, _, z)| z));
        for zone in zones {
            assert!(zone.parse::<chrono_tz::Tz>().is_ok(), "{zone}");
        }
        let states: std::collections::HashSet<_> = super::STATES.iter().map(|(s, _)| *s).collect();
        assert_eq!(states.len(), super::STATES.len(), "a state is listed twice");
        for (state, _, _) in super::SPLIT_STATES {
            assert!(states.contains(state), "{state}");
        }
    }
}
