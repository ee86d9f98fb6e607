//! Opening hours: weekly ranges in a time zone, bank holidays, closure days, days with special
//! hours, the emergency switch, and the next opening.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::emergency::Emergencies;
use super::holidays::{BankHolidays, Division, Holiday};

/// How far ahead to look for the next opening before giving up (a schedule closed for longer
/// than this has no next opening to speak of).
const SEARCH_DAYS: i64 = 400;

/// One opening on a day: open from `opens` (included) to `closes` (excluded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Opening {
    pub opens: NaiveTime,
    pub closes: NaiveTime,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    pub name: String,
    pub timezone: Tz,
    pub holidays: Division,
    /// Monday first.
    pub weekly: [Vec<Opening>; 7],
    /// One-off days the office is closed, with the reason given to callers.
    pub closures: BTreeMap<NaiveDate, String>,
    /// One-off days with hours other than the week's (Christmas Eve until noon, say).
    pub special_hours: BTreeMap<NaiveDate, SpecialHours>,
}

/// A day's hours other than the week's, and the reason callers hear, if ops gave one.
#[derive(Clone, Debug, PartialEq)]
pub struct SpecialHours {
    pub openings: Vec<Opening>,
    pub reason: Option<String>,
}

impl SpecialHours {
    /// What a caller hears of the day while it is closed: the reason ops gave, or else its
    /// hours ("today we are open 10am to 1pm only"); never longer than a reason may be.
    pub fn said(&self) -> String {
        if let Some(reason) = &self.reason {
            return reason.clone();
        }
        let hours = format!(
            "today we are open {} only",
            super::speech::openings(&self.openings)
        );
        match self.openings.as_slice() {
            [] => "we are not open at all today".to_owned(),
            _ if hours.chars().count() > super::days::REASON_MAX_CHARS => {
                "today we keep special hours".to_owned()
            }
            _ => hours,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Status {
    Open { closes_at: DateTime<Tz> },
    Closed(ClosedBecause),
}

/// Why a schedule is closed, in the order they are checked.
#[derive(Clone, Debug, PartialEq)]
pub enum ClosedBecause {
    /// Ops flipped the emergency switch.
    Emergency,
    /// An ops closure day, with its reason.
    Closure(String),
    Holiday(Holiday),
    /// Outside the day's hours, or a day with none (a weekend).
    OutsideHours,
    /// Outside the hours of a day with special hours.
    OutsideSpecialHours,
}

impl Schedule {
    /// Whether the line is open at `now`, and if not, why: the emergency switch first, then
    /// closure days, bank holidays, and the day's hours.
    pub fn status(
        &self,
        holidays: &BankHolidays,
        emergencies: &Emergencies,
        now: DateTime<Utc>,
    ) -> Status {
        if emergencies.is_closed(&self.name) {
            return Status::Closed(ClosedBecause::Emergency);
        }
        let local = now.with_timezone(&self.timezone);
        let today = local.date_naive();
        if let Some(why) = self.closed_all_day(holidays, today) {
            return Status::Closed(why);
        }
        let time = local.time();
        for opening in self.openings_on(today) {
            if opening.opens <= time && time < opening.closes {
                return Status::Open {
                    closes_at: self.instant(today, opening.closes),
                };
            }
        }
        if self.special_hours.contains_key(&today) {
            return Status::Closed(ClosedBecause::OutsideSpecialHours);
        }
        Status::Closed(ClosedBecause::OutsideHours)
    }

    /// The first opening strictly after `now`, or `None` if none within [`SEARCH_DAYS`]. The
    /// emergency switch is not considered: nobody knows when it will be turned off.
    pub fn next_opening(
        &self,
        holidays: &BankHolidays,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Tz>> {
        let today = now.with_timezone(&self.timezone).date_naive();
        (0..SEARCH_DAYS)
            .map(|offset| today + Duration::days(offset))
            .filter(|day| self.closed_all_day(holidays, *day).is_none())
            .flat_map(|day| {
                self.openings_on(day)
                    .iter()
                    .map(move |o| self.instant(day, o.opens))
            })
            .find(|opens| opens.with_timezone(&Utc) > now)
    }

    /// The holiday (if any) on the local date of `now`, whatever the time.
    pub fn holiday_today<'h>(
        &self,
        holidays: &'h BankHolidays,
        now: DateTime<Utc>,
    ) -> Option<&'h Holiday> {
        holidays.on(
            self.holidays,
            now.with_timezone(&self.timezone).date_naive(),
        )
    }

    /// The reason ops gave for closing on the local date of `now`, if they did.
    pub fn closure_today(&self, now: DateTime<Utc>) -> Option<&str> {
        let today = now.with_timezone(&self.timezone).date_naive();
        self.closures.get(&today).map(String::as_str)
    }

    /// The special hours on the local date of `now`, if the day has them.
    pub fn special_hours_today(&self, now: DateTime<Utc>) -> Option<&SpecialHours> {
        let today = now.with_timezone(&self.timezone).date_naive();
        self.special_hours.get(&today)
    }

    /// Why the schedule is closed all day, if it is, leaving out the emergency switch.
    pub fn closed_all_day(&self, holidays: &BankHolidays, day: NaiveDate) -> Option<ClosedBecause> {
        if let Some(reason) = self.closures.get(&day) {
            return Some(ClosedBecause::Closure(reason.clone()));
        }
        holidays
            .on(self.holidays, day)
            .map(|h| ClosedBecause::Holiday(h.clone()))
    }

    /// The day's hours: its special hours if it has them, else the week's.
    pub fn openings_on(&self, day: NaiveDate) -> &[Opening] {
        self.special_hours
            .get(&day)
            .map(|special| &special.openings)
            .unwrap_or(&self.weekly[day.weekday().num_days_from_monday() as usize])
    }

    /// A local wall-clock time as an instant. A time skipped by a clock change (01:30 on the
    /// last Sunday of March) is taken as the first instant after the gap.
    pub fn instant(&self, day: NaiveDate, time: NaiveTime) -> DateTime<Tz> {
        let local = day.and_time(time);
        self.timezone
            .from_local_datetime(&local)
            .earliest()
            .unwrap_or_else(|| {
                let later = local + Duration::hours(1);
                self.timezone
                    .from_local_datetime(&later)
                    .earliest()
                    .expect("clock changes are at most an hour")
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn office() -> Schedule {
        let nine_to_five = vec![Opening {
            opens: "09:00:00".parse().unwrap(),
            closes: "17:00:00".parse().unwrap(),
        }];
        let mut weekly: [Vec<Opening>; 7] = Default::default();
        for day in weekly.iter_mut().take(5) {
            *day = nine_to_five.clone();
        }
        let closures = BTreeMap::from([(
            "2026-12-24".parse().unwrap(),
            "the office is closed for Christmas".to_owned(),
        )]);
        let special_hours = BTreeMap::from([(
            "2026-12-31".parse().unwrap(),
            SpecialHours {
                openings: vec![Opening {
                    opens: "10:00:00".parse().unwrap(),
                    closes: "12:30:00".parse().unwrap(),
                }],
                reason: None,
            },
        )]);
        Schedule {
            name: "office".into(),
            timezone: chrono_tz::Europe::London,
            holidays: Division::EnglandAndWales,
            weekly,
            closures,
            special_hours,
        }
    }

    fn at(instant: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(instant)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn is_open(instant: &str) -> bool {
        matches!(
            office().status(
                &BankHolidays::builtin(),
                &Emergencies::default(),
                at(instant)
            ),
            Status::Open { .. }
        )
    }

    #[test]
    fn nine_is_open_and_five_is_closed_in_local_time() {
        // Winter: London is UTC.
        assert!(!is_open("2026-11-23T08:59:59Z"));
        assert!(is_open("2026-11-23T09:00:00Z"));
        assert!(is_open("2026-11-23T16:59:59Z"));
        assert!(!is_open("2026-11-23T17:00:00Z"));
        // Summer: London is UTC+1.
        assert!(!is_open("2026-06-15T07:59:59Z"));
        assert!(is_open("2026-06-15T08:00:00Z"));
        assert!(!is_open("2026-06-15T16:00:00Z"));
    }

    #[test]
    fn closure_days_and_holidays_close_the_whole_day() {
        let holidays = BankHolidays::builtin();
        let none = Emergencies::default();
        assert_eq!(
            office().status(&holidays, &none, at("2026-12-24T10:00:00Z")),
            Status::Closed(ClosedBecause::Closure(
                "the office is closed for Christmas".into()
            ))
        );
        match office().status(&holidays, &none, at("2026-12-28T10:00:00Z")) {
            Status::Closed(ClosedBecause::Holiday(h)) => assert_eq!(&*h.name, "Boxing Day"),
            other => panic!("expected the Boxing Day substitute, got {other:?}"),
        }
    }

    #[test]
    fn special_hours_replace_the_days_usual_hours() {
        assert!(!is_open("2026-12-31T09:30:00Z"));
        assert!(is_open("2026-12-31T10:00:00Z"));
        assert!(is_open("2026-12-31T12:29:59Z"));
        assert!(!is_open("2026-12-31T12:30:00Z"));
        let next = office()
            .next_opening(&BankHolidays::builtin(), at("2026-12-30T17:00:00Z"))
            .unwrap();
        assert_eq!(next.to_rfc3339(), "2026-12-31T10:00:00+00:00");
        // Closed on a day with special hours is told apart, so callers can hear why.
        assert_eq!(
            office().status(
                &BankHolidays::builtin(),
                &Emergencies::default(),
                at("2026-12-31T13:00:00Z")
            ),
            Status::Closed(ClosedBecause::OutsideSpecialHours)
        );
    }

    #[test]
    fn special_hours_say_their_reason_or_else_their_hours() {
        let mut day = office().special_hours[&"2026-12-31".parse::<NaiveDate>().unwrap()].clone();
        assert_eq!(day.said(), "today we are open 10am to 12:30pm only");
        day.reason = Some("the office closes early for New Year's Eve".into());
        assert_eq!(day.said(), "the office closes early for New Year's Eve");
    }

    #[test]
    fn the_emergency_switch_closes_before_anything_else_is_asked() {
        let mut switch = Emergencies::default();
        switch.close("office", Default::default());
        let holidays = BankHolidays::builtin();
        for instant in [
            "2026-11-23T10:00:00Z",
            "2026-12-24T10:00:00Z",
            "2026-12-25T10:00:00Z",
        ] {
            assert_eq!(
                office().status(&holidays, &switch, at(instant)),
                Status::Closed(ClosedBecause::Emergency),
                "{instant}"
            );
        }
        let mut other = Emergencies::default();
        other.close("another-office", Default::default());
        assert!(matches!(
            office().status(&holidays, &other, at("2026-11-23T10:00:00Z")),
            Status::Open { .. }
        ));
    }

    #[test]
    fn next_opening_skips_closures_weekends_and_holidays() {
        let holidays = BankHolidays::builtin();
        let next = office()
            .next_opening(&holidays, at("2026-12-23T17:00:00Z"))
            .unwrap();
        assert_eq!(next.to_rfc3339(), "2026-12-29T09:00:00+00:00");
        // Across the spring clock change: Friday evening GMT to Monday 09:00 BST.
        let next = office()
            .next_opening(&holidays, at("2026-03-27T18:00:00Z"))
            .unwrap();
        assert_eq!(next.to_rfc3339(), "2026-03-30T09:00:00+01:00");
    }
}
