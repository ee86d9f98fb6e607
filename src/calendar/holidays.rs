//! UK bank holidays, known by rule for any year plus a list of one-off days, with no network.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, LazyLock};

use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// The first and last years the rules are computed for.
pub const FIRST_YEAR: i32 = 1970;
pub const LAST_YEAR: i32 = 2100;

/// The divisions GOV.UK publishes, each with its own holidays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Division {
    EnglandAndWales,
    Scotland,
    NorthernIreland,
}

impl Division {
    pub const ALL: [Division; 3] = [
        Division::EnglandAndWales,
        Division::Scotland,
        Division::NorthernIreland,
    ];

    /// The name GOV.UK's feed uses.
    pub fn name(self) -> &'static str {
        match self {
            Division::EnglandAndWales => "england-and-wales",
            Division::Scotland => "scotland",
            Division::NorthernIreland => "northern-ireland",
        }
    }
}

impl fmt::Display for Division {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0:?} is not a division: use england-and-wales, scotland or northern-ireland")]
pub struct UnknownDivision(pub String);

impl FromStr for Division {
    type Err = UnknownDivision;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Division::ALL
            .into_iter()
            .find(|d| d.name() == s)
            .ok_or_else(|| UnknownDivision(s.to_owned()))
    }
}

/// A day off: only the day actually taken, so never a Saturday or Sunday.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holiday {
    pub date: NaiveDate,
    /// As GOV.UK writes it, e.g. "Boxing Day".
    pub name: Arc<str>,
    /// Taken in place of a holiday that fell on a weekend.
    pub substitute: bool,
}

impl Holiday {
    /// How a caller hears it: "Christmas Day", or "the substitute day for Boxing Day".
    pub fn spoken(&self) -> String {
        if self.substitute {
            format!("the substitute day for {}", self.name)
        } else {
            self.name.to_string()
        }
    }
}

/// Every known bank holiday of every division, by date.
#[derive(Clone, Debug, Default)]
pub struct BankHolidays {
    by_division: BTreeMap<Division, BTreeMap<NaiveDate, Holiday>>,
}

impl BankHolidays {
    /// The holidays known by rule and by the one-off list, 1970 to 2100, computed once.
    pub fn builtin() -> Arc<BankHolidays> {
        static BUILTIN: LazyLock<Arc<BankHolidays>> = LazyLock::new(|| {
            let mut all = BankHolidays::default();
            for division in Division::ALL {
                for year in FIRST_YEAR..=LAST_YEAR {
                    for holiday in by_rule(division, year) {
                        all.insert(division, holiday);
                    }
                }
            }
            Arc::new(all)
        });
        BUILTIN.clone()
    }

    pub fn insert(&mut self, division: Division, holiday: Holiday) {
        self.by_division
            .entry(division)
            .or_default()
            .insert(holiday.date, holiday);
    }

    pub fn on(&self, division: Division, date: NaiveDate) -> Option<&Holiday> {
        self.by_division.get(&division)?.get(&date)
    }

    /// The holidays of a division between two dates, both included, in date order.
    pub fn between(
        &self,
        division: Division,
        from: NaiveDate,
        to: NaiveDate,
    ) -> impl Iterator<Item = &Holiday> {
        self.by_division
            .get(&division)
            .into_iter()
            .flat_map(move |days| days.range(from..=to).map(|(_, h)| h))
    }
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("a valid calendar date")
}

/// Easter Sunday in the Gregorian calendar (the anonymous Gregorian algorithm).
pub fn easter_sunday(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    date(year, month as u32, day as u32)
}

fn first_monday(year: i32, month: u32) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Mon, 1)
        .expect("every month has a Monday")
}

fn last_monday(year: i32, month: u32) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Mon, 5).unwrap_or_else(|| {
        NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Mon, 4).expect("4 Mondays")
    })
}

fn is_weekend(day: NaiveDate) -> bool {
    matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
}

fn holiday(date: NaiveDate, name: &str) -> Holiday {
    Holiday {
        date,
        name: name.into(),
        substitute: false,
    }
}

/// Fixed-date holidays that fall on a weekend move to the next weekday not already a holiday,
/// in date order: Christmas on a Saturday gives Monday 27 and Tuesday 28 December; on a
/// Sunday, Boxing Day keeps Monday 26 and Christmas moves to Tuesday 27.
fn with_substitutes(days: &[(NaiveDate, &str)]) -> Vec<Holiday> {
    let mut taken: Vec<Holiday> = days
        .iter()
        .filter(|(d, _)| !is_weekend(*d))
        .map(|(d, name)| holiday(*d, name))
        .collect();
    for (day, name) in days.iter().filter(|(d, _)| is_weekend(*d)) {
        let mut substitute = *day;
        while is_weekend(substitute) || taken.iter().any(|h| h.date == substitute) {
            substitute += Duration::days(1);
        }
        taken.push(Holiday {
            date: substitute,
            name: (*name).into(),
            substitute: true,
        });
    }
    taken
}

/// Each day in date order takes its own date or, if that is a weekend or already taken, the
/// next free weekday.
fn with_substitutes_in_date_order(days: &[(NaiveDate, &str)]) -> Vec<Holiday> {
    let mut taken: Vec<Holiday> = Vec::new();
    for (day, name) in days {
        let mut date = *day;
        while is_weekend(date) || taken.iter().any(|h| h.date == date) {
            date += Duration::days(1);
        }
        taken.push(Holiday {
            date,
            name: (*name).into(),
            substitute: date != *day,
        });
    }
    taken
}

/// One-off days proclaimed for national events, and the divisions that had them.
const ONE_OFF: &[(&str, &str, &[Division])] = &[
    ("1977-06-07", "Queen’s Silver Jubilee", &Division::ALL),
    ("1981-07-29", "Royal wedding", &Division::ALL),
    ("1999-12-31", "Millennium celebrations", &Division::ALL),
    ("2002-06-03", "Golden Jubilee bank holiday", &Division::ALL),
    ("2011-04-29", "Royal wedding", &Division::ALL),
    ("2012-06-05", "Queen’s Diamond Jubilee", &Division::ALL),
    (
        "2022-06-03",
        "Platinum Jubilee bank holiday",
        &Division::ALL,
    ),
    (
        "2022-09-19",
        "Bank Holiday for the State Funeral of Queen Elizabeth II",
        &Division::ALL,
    ),
    (
        "2023-05-08",
        "Bank holiday for the coronation of King Charles III",
        &Division::ALL,
    ),
    // Proclaimed in February 2026 for Scotland only, the day after the men's team's first
    // World Cup match since 1998.
    (
        "2026-06-15",
        "Bank holiday for Scotland’s return to the World Cup",
        &[Division::Scotland],
    ),
];

/// The early May bank holiday began in 1978.
fn early_may(year: i32) -> Option<Holiday> {
    match year {
        ..1978 => None,
        1995 | 2020 => Some(holiday(date(year, 5, 8), "Early May bank holiday (VE day)")),
        _ => Some(holiday(first_monday(year, 5), "Early May bank holiday")),
    }
}

fn spring(year: i32) -> Holiday {
    let day = match year {
        2002 | 2012 => date(year, 6, 4),
        2022 => date(year, 6, 2),
        _ => last_monday(year, 5),
    };
    holiday(day, "Spring bank holiday")
}

/// The holidays of one division in one year, by rule and from the one-off list.
pub fn by_rule(division: Division, year: i32) -> Vec<Holiday> {
    use Division::*;
    let easter = easter_sunday(year);
    let mut days = Vec::new();

    // New Year's Day has been a bank holiday in England, Wales and Northern Ireland since 1974.
    let new_year: &[(NaiveDate, &str)] = match division {
        Scotland => &[
            (date(year, 1, 1), "New Year’s Day"),
            (date(year, 1, 2), "2nd January"),
        ],
        _ if year < 1974 => &[],
        _ => &[(date(year, 1, 1), "New Year’s Day")],
    };
    // Since 2023, when 1 January is a Sunday, Scotland gives New Year's Day the Monday and
    // moves 2nd January to the Tuesday (in 2012 and 2017 it was the other way round).
    if division == Scotland && year >= 2023 {
        days.extend(with_substitutes_in_date_order(new_year));
    } else {
        days.extend(with_substitutes(new_year));
    }
    if division == NorthernIreland {
        days.extend(with_substitutes(&[(date(year, 3, 17), "St Patrick’s Day")]));
    }
    days.push(holiday(easter - Duration::days(2), "Good Friday"));
    if division != Scotland {
        days.push(holiday(easter + Duration::days(1), "Easter Monday"));
    }
    days.extend(early_may(year));
    days.push(spring(year));
    if division == NorthernIreland {
        days.extend(with_substitutes(&[(
            date(year, 7, 12),
            "Battle of the Boyne (Orangemen’s Day)",
        )]));
    }
    let summer = if division == Scotland {
        first_monday(year, 8)
    } else {
        last_monday(year, 8)
    };
    days.push(holiday(summer, "Summer bank holiday"));
    if division == Scotland && year >= 2007 {
        days.extend(with_substitutes(&[(date(year, 11, 30), "St Andrew’s Day")]));
    }
    // Boxing Day has been a bank holiday in Scotland since 1974.
    let christmas: &[(NaiveDate, &str)] = if division == Scotland && year < 1974 {
        &[(date(year, 12, 25), "Christmas Day")]
    } else {
        &[
            (date(year, 12, 25), "Christmas Day"),
            (date(year, 12, 26), "Boxing Day"),
        ]
    };
    days.extend(with_substitutes(christmas));

    for (day, name, divisions) in ONE_OFF {
        let day: NaiveDate = day
            .parse()
            .expect("one-off dates are written as YYYY-MM-DD");
        if day.year() == year && divisions.contains(&division) {
            days.push(holiday(day, name));
        }
    }
    days.sort_by_key(|h| h.date);
    days
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ew(day: &str) -> Option<Holiday> {
        BankHolidays::builtin()
            .on(Division::EnglandAndWales, day.parse().unwrap())
            .cloned()
    }

    #[test]
    fn easter_matches_known_dates() {
        for (year, day) in [
            (1995, "1995-04-16"),
            (2024, "2024-03-31"),
            (2025, "2025-04-20"),
            (2026, "2026-04-05"),
            (2038, "2038-04-25"),
            (2285, "2285-03-22"),
        ] {
            assert_eq!(
                easter_sunday(year),
                day.parse::<NaiveDate>().unwrap(),
                "{year}"
            );
        }
    }

    #[test]
    fn england_and_wales_substitute_days() {
        let boxing_2026 = ew("2026-12-28").expect("Boxing Day 2026 falls on a Saturday");
        assert_eq!(
            (&*boxing_2026.name, boxing_2026.substitute),
            ("Boxing Day", true)
        );
        assert_eq!(&*ew("2027-12-27").unwrap().name, "Christmas Day");
        assert_eq!(&*ew("2027-12-28").unwrap().name, "Boxing Day");
        assert_eq!(&*ew("2028-01-03").unwrap().name, "New Year’s Day");
        assert_eq!(
            ew("2026-12-26"),
            None,
            "the Saturday itself is not a day off"
        );
        // Christmas on a Sunday: Boxing Day keeps the Monday.
        assert_eq!(&*ew("2022-12-26").unwrap().name, "Boxing Day");
        assert!(ew("2022-12-27").unwrap().substitute);
    }

    #[test]
    fn england_and_wales_one_off_and_moved_days() {
        assert_eq!(
            &*ew("2022-09-19").unwrap().name,
            "Bank Holiday for the State Funeral of Queen Elizabeth II"
        );
        assert_eq!(
            &*ew("2023-05-08").unwrap().name,
            "Bank holiday for the coronation of King Charles III"
        );
        assert_eq!(
            &*ew("2020-05-08").unwrap().name,
            "Early May bank holiday (VE day)"
        );
        assert_eq!(ew("2020-05-04"), None);
        assert_eq!(&*ew("2022-06-02").unwrap().name, "Spring bank holiday");
        assert_eq!(ew("2022-05-30"), None);
    }

    #[test]
    fn no_holiday_is_ever_on_a_weekend() {
        let all = BankHolidays::builtin();
        for division in Division::ALL {
            let first = date(FIRST_YEAR, 1, 1);
            let last = date(LAST_YEAR, 12, 31);
            for h in all.between(division, first, last) {
                assert!(!is_weekend(h.date), "{division} {} {}", h.date, h.name);
            }
        }
    }

    #[test]
    fn spoken_names_say_when_a_day_is_a_substitute() {
        assert_eq!(
            ew("2026-12-28").unwrap().spoken(),
            "the substitute day for Boxing Day"
        );
        assert_eq!(ew("2026-12-25").unwrap().spoken(), "Christmas Day");
    }
}
