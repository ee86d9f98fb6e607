//! The calendar: UK bank holidays (by rule and from GOV.UK's feed), opening schedules, the
//! emergency switch, and how times are spoken.

pub mod emergency;
pub mod feed;
pub mod holidays;
pub mod report;
pub mod schedule;
pub mod speech;

pub use emergency::{Emergencies, EmergencyClosure};
pub use holidays::{BankHolidays, Division, Holiday};
pub use schedule::{ClosedBecause, Opening, Schedule, Status};
