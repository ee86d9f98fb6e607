//! The calendar: UK bank holidays (by rule and from GOV.UK's feed), opening schedules, the
//! emergency switch, and how times are spoken.

pub mod days;
pub mod emergency;
pub mod feed;
pub mod holidays;
pub mod hours;
pub mod schedule;
pub mod speech;

pub use days::{DayKind, OneOffDay, plain_reason};
pub use emergency::{Emergencies, EmergencyClosure};
pub use holidays::{BankHolidays, Division, Holiday};
pub use schedule::{ClosedBecause, Opening, Schedule, SpecialHours, Status};

use chrono::{DateTime, Utc};

/// An RFC 3339 instant as ops, testers and fixtures write it, in any offset, as UTC.
pub fn parse_instant(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("{text:?} is not an RFC 3339 instant like 2026-12-25T10:00:00Z: {e}"))
}

/// The instant as [`parse_instant`] reads it back: `2026-12-25T10:00:00Z`.
pub fn format_instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}
