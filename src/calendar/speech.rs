//! Times and opening hours as a caller hears them: "Tuesday 29 December at 9am".

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeZone, Timelike, Weekday};

use super::schedule::{Opening, Schedule};

const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// "January" for 0.
pub fn month(month0: u32) -> &'static str {
    MONTHS[month0 as usize % 12]
}

/// "Thursday 24 December 2026".
pub fn full_date(date: NaiveDate) -> String {
    format!(
        "{} {} {} {}",
        weekday(date.weekday()),
        date.day(),
        month(date.month0()),
        date.year()
    )
}

/// "9am", "9:30am", "12 noon", "5pm", "midnight".
pub fn time(t: NaiveTime) -> String {
    let (hour, minute) = (t.hour(), t.minute());
    match (hour, minute) {
        (0, 0) => "midnight".to_owned(),
        (12, 0) => "12 noon".to_owned(),
        _ => {
            let suffix = if hour < 12 { "am" } else { "pm" };
            let hour12 = match hour % 12 {
                0 => 12,
                h => h,
            };
            if minute == 0 {
                format!("{hour12}{suffix}")
            } else {
                format!("{hour12}:{minute:02}{suffix}")
            }
        }
    }
}

/// "Tuesday 29 December at 9am", in the instant's own time zone.
pub fn weekday_date_time<Z: TimeZone>(instant: &DateTime<Z>) -> String {
    let weekday = WEEKDAYS[instant.weekday().num_days_from_monday() as usize];
    let month = MONTHS[instant.month0() as usize];
    format!(
        "{weekday} {} {month} at {}",
        instant.day(),
        time(instant.time())
    )
}

/// "9am on Monday 7 December", in the instant's own time zone: from when a call back is due.
pub fn time_on_weekday_date<Z: TimeZone>(instant: &DateTime<Z>) -> String {
    let weekday = WEEKDAYS[instant.weekday().num_days_from_monday() as usize];
    let month = MONTHS[instant.month0() as usize];
    format!(
        "{} on {weekday} {} {month}",
        time(instant.time()),
        instant.day()
    )
}

/// The weekly hours, grouping days with the same openings: "Monday to Friday, 9am to 5pm".
pub fn weekly_hours(schedule: &Schedule) -> String {
    let mut groups: Vec<(usize, usize)> = Vec::new();
    for day in 0..7 {
        if schedule.weekly[day].is_empty() {
            continue;
        }
        match groups.last_mut() {
            Some((_, last))
                if *last + 1 == day && schedule.weekly[*last] == schedule.weekly[day] =>
            {
                *last = day
            }
            _ => groups.push((day, day)),
        }
    }
    if groups.is_empty() {
        return "at no time in a normal week".to_owned();
    }
    let parts: Vec<String> = groups
        .iter()
        .map(|&(first, last)| {
            let days = match last - first {
                0 => WEEKDAYS[first].to_owned(),
                1 => format!("{} and {}", WEEKDAYS[first], WEEKDAYS[last]),
                _ => format!("{} to {}", WEEKDAYS[first], WEEKDAYS[last]),
            };
            format!("{days}, {}", openings(&schedule.weekly[first]))
        })
        .collect();
    join_with_and(&parts, "; ")
}

/// A day's openings: "9am to 12:30pm, and 1:30pm to 5pm".
pub fn openings(day: &[Opening]) -> String {
    let ranges: Vec<String> = day
        .iter()
        .map(|o| format!("{} to {}", time(o.opens), time(o.closes)))
        .collect();
    join_with_and(&ranges, ", ")
}

fn join_with_and(parts: &[String], separator: &str) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{}{separator}and {last}", init.join(separator)),
    }
}

/// The weekday's English name.
pub fn weekday(day: Weekday) -> &'static str {
    WEEKDAYS[day.num_days_from_monday() as usize]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::Division;
    use std::collections::BTreeMap;

    fn t(s: &str) -> NaiveTime {
        s.parse().unwrap()
    }

    #[test]
    fn times_are_spoken_the_british_way() {
        assert_eq!(time(t("09:00:00")), "9am");
        assert_eq!(time(t("09:30:00")), "9:30am");
        assert_eq!(time(t("12:00:00")), "12 noon");
        assert_eq!(time(t("12:15:00")), "12:15pm");
        assert_eq!(time(t("17:00:00")), "5pm");
        assert_eq!(time(t("00:00:00")), "midnight");
        assert_eq!(time(t("00:30:00")), "12:30am");
    }

    #[test]
    fn an_opening_is_weekday_date_and_time() {
        let instant = chrono_tz::Europe::London
            .with_ymd_and_hms(2026, 12, 29, 9, 0, 0)
            .unwrap();
        assert_eq!(weekday_date_time(&instant), "Tuesday 29 December at 9am");
    }

    #[test]
    fn weekly_hours_group_days_alike() {
        let day = |a: &str, b: &str| {
            vec![Opening {
                opens: t(a),
                closes: t(b),
            }]
        };
        let mut weekly: [Vec<Opening>; 7] = Default::default();
        for d in weekly.iter_mut().take(5) {
            *d = day("09:00:00", "17:00:00");
        }
        let mut schedule = Schedule {
            name: "s".into(),
            timezone: chrono_tz::Europe::London,
            holidays: Division::EnglandAndWales,
            weekly,
            closures: BTreeMap::new(),
            special_hours: BTreeMap::new(),
        };
        assert_eq!(weekly_hours(&schedule), "Monday to Friday, 9am to 5pm");
        schedule.weekly[5] = day("10:00:00", "12:00:00");
        schedule.weekly[2].push(Opening {
            opens: t("18:00:00"),
            closes: t("20:00:00"),
        });
        assert_eq!(
            weekly_hours(&schedule),
            "Monday and Tuesday, 9am to 5pm; Wednesday, 9am to 5pm, and 6pm to 8pm; \
             Thursday and Friday, 9am to 5pm; and Saturday, 10am to 12 noon"
        );
    }
}
