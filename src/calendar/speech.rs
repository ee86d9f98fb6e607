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

/// A day's hours as the console and the text say them: "10am to 1pm", "9am to 12:30pm and
/// 1:30pm to 5pm".
pub fn hours_in_words(openings: &[super::Opening]) -> String {
    let ranges: Vec<String> = openings
        .iter()
        .map(|o| format!("{} to {}", time(o.opens), time(o.closes)))
        .collect();
    ranges.join(" and ")
}

/// Hours as people write them, read: "10am to 1pm", "10am-1pm", "10:00-13:00", "9.30am to
/// 12 noon", ranges joined by "and" or commas. As the flow files keep them ("10:00-13:00"),
/// or what is wrong, with what was perhaps meant.
pub fn hours_as_written(text: &str) -> Result<String, String> {
    let text = text.trim().to_ascii_lowercase();
    let ranges: Vec<&str> = text
        .split([','])
        .flat_map(|part| part.split(" and "))
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .collect();
    if ranges.is_empty() {
        return Err("Give the day's hours, as in “10am to 1pm”.".to_owned());
    }
    let mut kept = Vec::new();
    for range in ranges {
        let (opens, closes) = split_range(range).ok_or_else(|| {
            format!("“{range}” is not a time range: write it as in “10am to 1pm”.")
        })?;
        let (opens, closes) = match (read_time(opens), read_time(closes)) {
            (Ok(opens), Ok(closes)) => (opens, closes),
            (Err(Unclear::NoHalf(hour)), Ok(closes)) => {
                // "9-1pm": which half of the day is the 9?
                let guess = if hour > closes.hour() % 12 || closes.hour() < 12 {
                    "am"
                } else {
                    "pm"
                };
                let closes = time(closes);
                return Err(format!(
                    "“{range}”: say am or pm for each time: did you mean “{hour}{guess} to {closes}”?"
                ));
            }
            _ => {
                return Err(format!(
                    "“{range}” is not a time range: write it as in “10am to 1pm” or “10:00-13:00”."
                ));
            }
        };
        if opens >= closes {
            return Err(format!(
                "“{range}” closes before it opens: give the opening time first."
            ));
        }
        kept.push(format!(
            "{}-{}",
            opens.format("%H:%M"),
            closes.format("%H:%M")
        ));
    }
    Ok(kept.join(", "))
}

/// The two ends of a range: "10am to 1pm", "10am-1pm", "10:00 – 13:00".
fn split_range(range: &str) -> Option<(&str, &str)> {
    for separator in [" to ", "-", "–", "—"] {
        if let Some((a, b)) = range.split_once(separator) {
            return Some((a.trim(), b.trim()));
        }
    }
    None
}

/// Why a time could not be read.
enum Unclear {
    /// An hour with no am or pm and no minutes ("9"): the half of the day is not said.
    NoHalf(u32),
    Unreadable,
}

/// One time as people write it: "9am", "9.30am", "9:30 pm", "12 noon", "midday", "13:00".
fn read_time(text: &str) -> Result<NaiveTime, Unclear> {
    let text = text.trim().trim_end_matches('.');
    match text {
        "noon" | "12 noon" | "midday" | "12 midday" => {
            return NaiveTime::from_hms_opt(12, 0, 0).ok_or(Unclear::Unreadable);
        }
        "midnight" => return Err(Unclear::Unreadable),
        _ => {}
    }
    let (clock, half) = match text.strip_suffix("am").or(text.strip_suffix("a.m")) {
        Some(clock) => (clock.trim(), Some(false)),
        None => match text.strip_suffix("pm").or(text.strip_suffix("p.m")) {
            Some(clock) => (clock.trim(), Some(true)),
            None => (text, None),
        },
    };
    let (hour, minute) = match clock.split_once([':', '.']) {
        Some((h, m)) => (h.parse::<u32>(), m.parse::<u32>()),
        None => (clock.parse::<u32>(), Ok(0)),
    };
    let (Ok(hour), Ok(minute)) = (hour, minute) else {
        return Err(Unclear::Unreadable);
    };
    let hour = match half {
        Some(pm) if (1..=12).contains(&hour) => hour % 12 + if pm { 12 } else { 0 },
        Some(_) => return Err(Unclear::Unreadable),
        // "13:00" is clear; "9" alone is not.
        None if clock.contains([':', '.']) => hour,
        None => return Err(Unclear::NoHalf(hour)),
    };
    NaiveTime::from_hms_opt(hour, minute, 0).ok_or(Unclear::Unreadable)
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

    #[test]
    fn hours_are_read_as_people_write_them_and_kept_as_the_files_write_them() {
        use super::hours_as_written as read;
        assert_eq!(read("10am to 1pm").unwrap(), "10:00-13:00");
        assert_eq!(read("10am-1pm").unwrap(), "10:00-13:00");
        assert_eq!(read("10:00-13:00").unwrap(), "10:00-13:00");
        assert_eq!(
            read("9.30am to 12 noon and 1:30pm to 5pm").unwrap(),
            "09:30-12:00, 13:30-17:00"
        );
        assert_eq!(
            read("09:00-12:30, 13:30-17:00").unwrap(),
            "09:00-12:30, 13:30-17:00"
        );
        let unclear = read("9-1pm").unwrap_err();
        assert!(unclear.contains("did you mean “9am to 1pm”"), "{unclear}");
        assert!(
            read("1pm to 10am")
                .unwrap_err()
                .contains("closes before it opens")
        );
        assert!(read("whenever").is_err());
        assert!(read("13pm to 2pm").is_err());
    }

    #[test]
    fn hours_are_said_back_in_words() {
        let at = |h, m| super::NaiveTime::from_hms_opt(h, m, 0).unwrap();
        let openings = [
            super::Opening {
                opens: at(10, 0),
                closes: at(13, 0),
            },
            super::Opening {
                opens: at(14, 0),
                closes: at(16, 30),
            },
        ];
        assert_eq!(
            super::hours_in_words(&openings),
            "10am to 1pm and 2pm to 4:30pm"
        );
    }
}
