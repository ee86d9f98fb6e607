//! The UK bank-holiday calendar: every rule, every one-off day, the substitute days of all
//! three divisions, and Easter. Dates are as GOV.UK published them.

use chrono::{Datelike, NaiveDate, Weekday};
use proptest::prelude::*;
use switchboard::calendar::holidays::{FIRST_YEAR, LAST_YEAR, by_rule, easter_sunday};
use switchboard::calendar::{BankHolidays, Division};

const EW: Division = Division::EnglandAndWales;
const SCOTLAND: Division = Division::Scotland;
const NI: Division = Division::NorthernIreland;

fn date(text: &str) -> NaiveDate {
    text.parse().expect("a YYYY-MM-DD date")
}

/// The holiday's name on that day, as "Name" or "Name (substitute)".
fn on(division: Division, day: &str) -> Option<String> {
    BankHolidays::builtin()
        .on(division, date(day))
        .map(|h| match h.substitute {
            true => format!("{} (substitute)", h.name),
            false => h.name.to_string(),
        })
}

fn year(division: Division, year: i32) -> Vec<String> {
    by_rule(division, year)
        .iter()
        .map(|h| format!("{} {}", h.date, h.name))
        .collect()
}

#[test]
fn each_division_in_2026_is_exactly_the_published_list() {
    assert_eq!(
        year(EW, 2026),
        [
            "2026-01-01 New Year’s Day",
            "2026-04-03 Good Friday",
            "2026-04-06 Easter Monday",
            "2026-05-04 Early May bank holiday",
            "2026-05-25 Spring bank holiday",
            "2026-08-31 Summer bank holiday",
            "2026-12-25 Christmas Day",
            "2026-12-28 Boxing Day",
        ]
    );
    assert_eq!(
        year(SCOTLAND, 2026),
        [
            "2026-01-01 New Year’s Day",
            "2026-01-02 2nd January",
            "2026-04-03 Good Friday",
            "2026-05-04 Early May bank holiday",
            "2026-05-25 Spring bank holiday",
            "2026-06-15 Bank holiday for Scotland’s return to the World Cup",
            "2026-08-03 Summer bank holiday",
            "2026-11-30 St Andrew’s Day",
            "2026-12-25 Christmas Day",
            "2026-12-28 Boxing Day",
        ]
    );
    assert_eq!(
        year(NI, 2026),
        [
            "2026-01-01 New Year’s Day",
            "2026-03-17 St Patrick’s Day",
            "2026-04-03 Good Friday",
            "2026-04-06 Easter Monday",
            "2026-05-04 Early May bank holiday",
            "2026-05-25 Spring bank holiday",
            "2026-07-13 Battle of the Boyne (Orangemen’s Day)",
            "2026-08-31 Summer bank holiday",
            "2026-12-25 Christmas Day",
            "2026-12-28 Boxing Day",
        ]
    );
}

#[test]
fn new_year_with_its_substitutes_and_scotlands_2nd_january() {
    // 2022: 1 January a Saturday, 2 January a Sunday.
    assert_eq!(
        on(EW, "2022-01-03").as_deref(),
        Some("New Year’s Day (substitute)")
    );
    assert_eq!(on(EW, "2022-01-04"), None);
    assert_eq!(
        on(SCOTLAND, "2022-01-03").as_deref(),
        Some("New Year’s Day (substitute)")
    );
    assert_eq!(
        on(SCOTLAND, "2022-01-04").as_deref(),
        Some("2nd January (substitute)")
    );
    // 2023: 1 January a Sunday; since 2023 Scotland gives New Year's Day the Monday.
    assert_eq!(
        on(SCOTLAND, "2023-01-02").as_deref(),
        Some("New Year’s Day (substitute)")
    );
    assert_eq!(
        on(SCOTLAND, "2023-01-03").as_deref(),
        Some("2nd January (substitute)")
    );
    assert_eq!(
        on(EW, "2023-01-02").as_deref(),
        Some("New Year’s Day (substitute)")
    );
    assert_eq!(on(EW, "2023-01-03"), None);
    // 2017, under the earlier practice.
    assert_eq!(on(SCOTLAND, "2017-01-02").as_deref(), Some("2nd January"));
    assert_eq!(
        on(SCOTLAND, "2017-01-03").as_deref(),
        Some("New Year’s Day (substitute)")
    );
    // 2027: 2 January a Saturday.
    assert_eq!(
        on(SCOTLAND, "2027-01-04").as_deref(),
        Some("2nd January (substitute)")
    );
    // New Year's Day became a bank holiday in England, Wales and Northern Ireland in 1974.
    assert_eq!(on(EW, "1973-01-01"), None);
    assert_eq!(on(EW, "1974-01-01").as_deref(), Some("New Year’s Day"));
    assert_eq!(on(NI, "1974-01-01").as_deref(), Some("New Year’s Day"));
    assert_eq!(
        on(SCOTLAND, "1973-01-01").as_deref(),
        Some("New Year’s Day")
    );
}

#[test]
fn easter_holidays_follow_easter_and_scotland_has_no_easter_monday() {
    assert_eq!(on(EW, "2025-04-18").as_deref(), Some("Good Friday"));
    assert_eq!(on(EW, "2025-04-21").as_deref(), Some("Easter Monday"));
    assert_eq!(on(NI, "2025-04-21").as_deref(), Some("Easter Monday"));
    assert_eq!(on(SCOTLAND, "2025-04-18").as_deref(), Some("Good Friday"));
    assert_eq!(on(SCOTLAND, "2025-04-21"), None);
}

#[test]
fn early_may_from_1978_moved_to_8_may_in_1995_and_2020() {
    assert_eq!(on(EW, "1977-05-02"), None);
    assert_eq!(
        on(EW, "1978-05-01").as_deref(),
        Some("Early May bank holiday")
    );
    assert_eq!(
        on(EW, "2026-05-04").as_deref(),
        Some("Early May bank holiday")
    );
    for division in Division::ALL {
        for (moved, usual) in [("1995-05-08", "1995-05-01"), ("2020-05-08", "2020-05-04")] {
            assert_eq!(
                on(division, moved).as_deref(),
                Some("Early May bank holiday (VE day)"),
                "{division} {moved}"
            );
            assert_eq!(on(division, usual), None, "{division} {usual}");
        }
    }
}

#[test]
fn spring_is_the_last_monday_of_may_except_in_2002_2012_and_2022() {
    assert_eq!(on(EW, "2026-05-25").as_deref(), Some("Spring bank holiday"));
    assert_eq!(
        on(SCOTLAND, "2021-05-31").as_deref(),
        Some("Spring bank holiday")
    );
    for division in Division::ALL {
        for (moved, usual) in [
            ("2002-06-04", "2002-05-27"),
            ("2012-06-04", "2012-05-28"),
            ("2022-06-02", "2022-05-30"),
        ] {
            assert_eq!(on(division, moved).as_deref(), Some("Spring bank holiday"));
            assert_eq!(on(division, usual), None, "{division} {usual}");
        }
    }
}

#[test]
fn summer_is_the_first_monday_of_august_in_scotland_and_the_last_elsewhere() {
    assert_eq!(
        on(SCOTLAND, "2026-08-03").as_deref(),
        Some("Summer bank holiday")
    );
    assert_eq!(on(SCOTLAND, "2026-08-31"), None);
    for division in [EW, NI] {
        assert_eq!(
            on(division, "2026-08-31").as_deref(),
            Some("Summer bank holiday")
        );
        assert_eq!(on(division, "2026-08-03"), None);
    }
}

#[test]
fn st_andrews_day_in_scotland_from_2007_with_substitutes() {
    assert_eq!(on(SCOTLAND, "2006-11-30"), None);
    assert_eq!(
        on(SCOTLAND, "2007-11-30").as_deref(),
        Some("St Andrew’s Day")
    );
    // 30 November 2025 was a Sunday.
    assert_eq!(
        on(SCOTLAND, "2025-12-01").as_deref(),
        Some("St Andrew’s Day (substitute)")
    );
    assert_eq!(on(EW, "2026-11-30"), None);
    assert_eq!(on(NI, "2026-11-30"), None);
}

#[test]
fn northern_irelands_st_patricks_day_and_battle_of_the_boyne_with_substitutes() {
    assert_eq!(on(NI, "2025-03-17").as_deref(), Some("St Patrick’s Day"));
    // 17 March 2024 was a Sunday; 12 July 2025 a Saturday.
    assert_eq!(
        on(NI, "2024-03-18").as_deref(),
        Some("St Patrick’s Day (substitute)")
    );
    assert_eq!(
        on(NI, "2025-07-14").as_deref(),
        Some("Battle of the Boyne (Orangemen’s Day) (substitute)")
    );
    assert_eq!(
        on(NI, "2024-07-12").as_deref(),
        Some("Battle of the Boyne (Orangemen’s Day)")
    );
    assert_eq!(on(EW, "2024-03-18"), None);
    assert_eq!(on(SCOTLAND, "2025-07-14"), None);
}

#[test]
fn christmas_and_boxing_day_substitutes_in_every_division() {
    for division in Division::ALL {
        // 2021: Christmas a Saturday, Boxing Day a Sunday.
        assert_eq!(
            on(division, "2021-12-27").as_deref(),
            Some("Christmas Day (substitute)")
        );
        assert_eq!(
            on(division, "2021-12-28").as_deref(),
            Some("Boxing Day (substitute)")
        );
        // 2022: Christmas a Sunday; Boxing Day keeps its Monday.
        assert_eq!(on(division, "2022-12-26").as_deref(), Some("Boxing Day"));
        assert_eq!(
            on(division, "2022-12-27").as_deref(),
            Some("Christmas Day (substitute)")
        );
        // 2026: Boxing Day a Saturday.
        assert_eq!(
            on(division, "2026-12-28").as_deref(),
            Some("Boxing Day (substitute)")
        );
        assert_eq!(on(division, "2026-12-26"), None);
    }
    // Boxing Day became a bank holiday in Scotland in 1974.
    assert_eq!(on(SCOTLAND, "1973-12-26"), None);
    assert_eq!(on(SCOTLAND, "1974-12-26").as_deref(), Some("Boxing Day"));
}

#[test]
fn every_one_off_day_is_a_holiday_where_it_was_proclaimed() {
    let everywhere = Division::ALL.as_slice();
    let one_offs: [(&str, &str, &[Division]); 10] = [
        ("1977-06-07", "Queen’s Silver Jubilee", everywhere),
        ("1981-07-29", "Royal wedding", everywhere),
        ("1999-12-31", "Millennium celebrations", everywhere),
        ("2002-06-03", "Golden Jubilee bank holiday", everywhere),
        ("2011-04-29", "Royal wedding", everywhere),
        ("2012-06-05", "Queen’s Diamond Jubilee", everywhere),
        ("2022-06-03", "Platinum Jubilee bank holiday", everywhere),
        (
            "2022-09-19",
            "Bank Holiday for the State Funeral of Queen Elizabeth II",
            everywhere,
        ),
        (
            "2023-05-08",
            "Bank holiday for the coronation of King Charles III",
            everywhere,
        ),
        (
            "2026-06-15",
            "Bank holiday for Scotland’s return to the World Cup",
            &[SCOTLAND],
        ),
    ];
    for (day, name, divisions) in one_offs {
        for division in Division::ALL {
            let expected = divisions.contains(&division).then_some(name);
            assert_eq!(on(division, day).as_deref(), expected, "{division} {day}");
        }
    }
}

#[test]
fn easter_sunday_from_1995_to_2060() {
    // From python-dateutil's `easter`, an independent implementation.
    let expected = [
        "04-16", "04-07", "03-30", "04-12", "04-04", "04-23", "04-15", "03-31", "04-20", "04-11",
        "03-27", "04-16", "04-08", "03-23", "04-12", "04-04", "04-24", "04-08", "03-31", "04-20",
        "04-05", "03-27", "04-16", "04-01", "04-21", "04-12", "04-04", "04-17", "04-09", "03-31",
        "04-20", "04-05", "03-28", "04-16", "04-01", "04-21", "04-13", "03-28", "04-17", "04-09",
        "03-25", "04-13", "04-05", "04-25", "04-10", "04-01", "04-21", "04-06", "03-29", "04-17",
        "04-09", "03-25", "04-14", "04-05", "04-18", "04-10", "04-02", "04-21", "04-06", "03-29",
        "04-18", "04-02", "04-22", "04-14", "03-30", "04-18",
    ];
    for (year, month_day) in (1995..=2060).zip(expected) {
        let sunday = easter_sunday(year);
        assert_eq!(sunday, date(&format!("{year}-{month_day}")), "{year}");
        assert_eq!(sunday.weekday(), Weekday::Sun);
        let good_friday = sunday - chrono::Duration::days(2);
        assert_eq!(
            on(EW, &good_friday.to_string()).as_deref(),
            Some("Good Friday")
        );
    }
}

fn division() -> impl Strategy<Value = Division> {
    prop::sample::select(Division::ALL.to_vec())
}

proptest! {
    #[test]
    fn no_holiday_falls_on_a_weekend_and_each_date_is_listed_once(
        division in division(),
        year in FIRST_YEAR..=LAST_YEAR,
    ) {
        let days = by_rule(division, year);
        prop_assert!(days.len() >= 6, "{division} {year}: {days:?}");
        for pair in days.windows(2) {
            prop_assert!(pair[0].date < pair[1].date, "{division} {year}: {pair:?}");
        }
        for holiday in &days {
            prop_assert!(
                !matches!(holiday.date.weekday(), Weekday::Sat | Weekday::Sun),
                "{division} {}: {}", holiday.date, holiday.name
            );
            prop_assert_eq!(holiday.date.year(), year);
        }
    }
}
