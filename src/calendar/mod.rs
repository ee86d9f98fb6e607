//! The calendar: UK bank holidays, opening schedules, and how their times are spoken.

pub mod holidays;
pub mod schedule;
pub mod speech;

pub use holidays::{BankHolidays, Division, Holiday};
pub use schedule::{ClosedBecause, Opening, Schedule, Status};
