//! Opening hours as ops read them: when a schedule opens and closes over the coming days, and
//! why it is closed (weekend, which holiday, closure day, emergency).

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};

use super::emergency::Emergencies;
use super::holidays::BankHolidays;
use super::schedule::{ClosedBecause, Opening, Schedule, SpecialHours, Status};
use super::speech;

/// The schedule's state at `from`, then a line a day for `days` days from `from`'s local date.
pub fn hours(
    schedule: &Schedule,
    holidays: &BankHolidays,
    emergencies: &Emergencies,
    from: DateTime<Utc>,
    days: u32,
) -> String {
    let mut out = format!(
        "schedule {}: {}, bank holidays of {}\n",
        schedule.name, schedule.timezone, schedule.holidays
    );
    let local = from.with_timezone(&schedule.timezone);
    let now = match schedule.status(holidays, emergencies, from) {
        Status::Open { closes_at } => format!("open until {}", clock(&closes_at.time())),
        Status::Closed(ClosedBecause::OutsideHours | ClosedBecause::OutsideSpecialHours) => {
            match day(schedule, holidays, local.date_naive()) {
                Day::Closed(why) => format!("closed ({why})"),
                Day::Open { .. } => "closed (outside opening hours)".to_owned(),
            }
        }
        Status::Closed(why) => format!("closed ({})", reason(&why)),
    };
    let _ = writeln!(out, "at {}: {now}", local.format("%a %Y-%m-%d %H:%M %Z"));
    if let Some(closure) = emergencies.get(&schedule.name) {
        let since = if closure.since.is_empty() {
            String::new()
        } else {
            format!(" since {}", closure.since)
        };
        let note = if closure.note.is_empty() {
            String::new()
        } else {
            format!(" ({})", closure.note)
        };
        let _ = writeln!(
            out,
            "EMERGENCY CLOSURE in force{since}{note}: closed until it is lifted; the days below apply after that"
        );
    } else {
        match schedule.next_opening(holidays, from) {
            Some(opens) => {
                let _ = writeln!(out, "next opening: {}", speech::weekday_date_time(&opens));
            }
            None => out.push_str("next opening: none within a year\n"),
        }
    }
    for offset in 0..i64::from(days) {
        let date = local.date_naive() + Duration::days(offset);
        let what = match day(schedule, holidays, date) {
            Day::Closed(why) => format!("closed all day: {why}"),
            Day::Open { openings, special } => {
                format!("open {}{}", ranges(openings), special_mark(special))
            }
        };
        let _ = writeln!(out, "{}  {what}", date.format("%a %Y-%m-%d"));
    }
    out
}

/// The next `days` days from `from`'s local date, in words for ops, leaving out the emergency
/// switch: ("Wednesday 2 December 2026", "9am to 5pm"), or why the day is closed.
pub fn days_in_words(
    schedule: &Schedule,
    holidays: &BankHolidays,
    from: DateTime<Utc>,
    days: u32,
) -> Vec<(String, String)> {
    let first = from.with_timezone(&schedule.timezone).date_naive();
    (0..i64::from(days))
        .map(|offset| {
            let date = first + Duration::days(offset);
            let hours = match day(schedule, holidays, date) {
                Day::Closed(why) => format!("closed: {why}"),
                Day::Open { openings, special } => {
                    format!("{}{}", speech::openings(openings), special_mark(special))
                }
            };
            (speech::full_date(date), hours)
        })
        .collect()
}

/// A day as the schedule has it, leaving out the emergency switch.
enum Day<'s> {
    Open {
        openings: &'s [Opening],
        special: Option<&'s SpecialHours>,
    },
    Closed(String),
}

fn day<'s>(schedule: &'s Schedule, holidays: &BankHolidays, date: NaiveDate) -> Day<'s> {
    if let Some(why) = schedule.closed_all_day(holidays, date) {
        return Day::Closed(reason(&why));
    }
    match schedule.openings_on(date) {
        [] if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) => {
            Day::Closed("weekend".to_owned())
        }
        [] => Day::Closed("no hours on this weekday".to_owned()),
        openings => Day::Open {
            openings,
            special: schedule.special_hours.get(&date),
        },
    }
}

/// " (special hours)", with the reason callers hear if ops gave one.
fn special_mark(special: Option<&SpecialHours>) -> String {
    match special.map(|s| s.reason.as_deref()) {
        None => String::new(),
        Some(None) => " (special hours)".to_owned(),
        Some(Some(reason)) => format!(" (special hours: {reason})"),
    }
}

fn reason(why: &ClosedBecause) -> String {
    match why {
        ClosedBecause::Emergency => "emergency closure".to_owned(),
        ClosedBecause::Closure(reason) => format!("closure day, {reason}"),
        ClosedBecause::Holiday(h) if h.substitute => {
            format!("bank holiday, {} (substitute day)", h.name)
        }
        ClosedBecause::Holiday(h) => format!("bank holiday, {}", h.name),
        ClosedBecause::OutsideHours => "outside opening hours".to_owned(),
        ClosedBecause::OutsideSpecialHours => "outside the day's special hours".to_owned(),
    }
}

fn clock(time: &chrono::NaiveTime) -> String {
    time.format("%H:%M").to_string()
}

fn ranges(openings: &[Opening]) -> String {
    openings
        .iter()
        .map(|o| format!("{}-{}", clock(&o.opens), clock(&o.closes)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `date,name` CSV of a division's holidays from the first day of `from_year` to the last of
/// `to_year`, in date order.
pub fn holidays_csv(
    holidays: &BankHolidays,
    division: super::Division,
    from_year: i32,
    to_year: i32,
) -> String {
    let mut out = String::from("date,name\n");
    let (Some(first), Some(last)) = (
        chrono::NaiveDate::from_ymd_opt(from_year, 1, 1),
        chrono::NaiveDate::from_ymd_opt(to_year, 12, 31),
    ) else {
        return out;
    };
    for holiday in holidays.between(division, first, last) {
        let _ = writeln!(out, "{},{}", holiday.date, csv_field(&holiday.name));
    }
    out
}

/// A CSV field, quoted only when it must be (RFC 4180).
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_only_what_needs_quoting() {
        assert_eq!(csv_field("Boxing Day"), "Boxing Day");
        assert_eq!(csv_field("Day, with comma"), "\"Day, with comma\"");
        assert_eq!(csv_field("Say \"hi\""), "\"Say \"\"hi\"\"\"");
    }

    #[test]
    fn csv_lists_a_years_holidays_in_order() {
        let csv = holidays_csv(
            &BankHolidays::builtin(),
            super::super::Division::Scotland,
            2022,
            2022,
        );
        let dates: Vec<&str> = csv.lines().skip(1).map(|l| &l[..10]).collect();
        assert_eq!(csv.lines().next(), Some("date,name"));
        assert_eq!(
            dates,
            [
                "2022-01-03",
                "2022-01-04",
                "2022-04-15",
                "2022-05-02",
                "2022-06-02",
                "2022-06-03",
                "2022-08-01",
                "2022-09-19",
                "2022-11-30",
                "2022-12-26",
                "2022-12-27"
            ]
        );
    }
}
