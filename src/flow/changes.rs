//! What changed from one set of flow files to another, in words for ops ("Doctor support
//! line: closure day added for Thursday 24 December 2026"), read from the files as written.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{NaiveDate, Weekday};

use super::file::{
    ClosureSection, FlowFile, ScheduleSection, SpecialHoursSection, StepSection, Text,
};
use super::{hours_said, step_title};
use crate::calendar::speech;

/// One sentence per change, file by file (files as (name, text), as versions are kept).
pub fn described(old: &[(String, String)], new: &[(String, String)]) -> Vec<String> {
    let read = |files: &[(String, String)]| -> BTreeMap<String, String> {
        files.iter().cloned().collect()
    };
    let (old, new) = (read(old), read(new));
    let names: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let mut said = Vec::new();
    for name in names {
        let parsed = |text: &String| toml::from_str::<FlowFile>(text).ok();
        match (old.get(name), new.get(name)) {
            (None, Some(text)) => said.push(format!("{} added", line_name(name, parsed(text)))),
            (Some(text), None) => said.push(format!("{} removed", line_name(name, parsed(text)))),
            (Some(before), Some(after)) if before != after => {
                match (parsed(before), parsed(after)) {
                    (Some(before), Some(after)) => {
                        let line = before.line.name.as_ref().clone();
                        said.extend(
                            file_changes(&before, &after)
                                .into_iter()
                                .map(|change| format!("{line}: {change}")),
                        );
                    }
                    _ => said.push(format!("{name} changed")),
                }
            }
            _ => {}
        }
    }
    said
}

/// The line's name as its file gives it, else the file's name.
fn line_name(file: &str, parsed: Option<FlowFile>) -> String {
    parsed.map_or_else(|| file.to_owned(), |f| f.line.name.into_inner())
}

fn file_changes(before: &FlowFile, after: &FlowFile) -> Vec<String> {
    let mut said = Vec::new();
    let (a, b) = (&before.line, &after.line);
    if a.name != b.name {
        said.push(format!("renamed “{}”", b.name.as_ref()));
    }
    if a.numbers != b.numbers {
        let numbers: Vec<&str> = b.numbers.iter().map(|n| n.as_ref().as_str()).collect();
        said.push(format!("numbers now {}", numbers.join(", ")));
    }
    let settings = |l: &super::file::LineSection| {
        (
            l.voice.as_ref().clone(),
            l.language.as_ref().clone(),
            l.start.as_ref().clone(),
            l.on_error.as_ref().clone(),
            l.default,
            l.open_24_7,
        )
    };
    if settings(a) != settings(b) {
        said.push("the line's settings changed (voice, language, first step or error step)".into());
    }
    for (name, change) in keyed_changes(&before.schedules, &after.schedules) {
        match change {
            Keyed::Added => said.push(format!("hours “{name}” added")),
            Keyed::Removed => said.push(format!("hours “{name}” removed")),
            Keyed::Changed(a, b) => said.extend(schedule_changes(a, b)),
        }
    }
    for (id, change) in keyed_changes(&before.steps, &after.steps) {
        let title = step_title(id);
        match change {
            Keyed::Added => said.push(format!("step “{title}” added")),
            Keyed::Removed => said.push(format!("step “{title}” removed")),
            Keyed::Changed(a, b) => said.push(step_change(&title, a, b)),
        }
    }
    said
}

enum Keyed<'a, T> {
    Added,
    Removed,
    Changed(&'a T, &'a T),
}

/// The entries of two maps keyed by name that were added, removed or changed, in name order.
fn keyed_changes<'a, T: PartialEq>(
    before: &'a BTreeMap<Text, T>,
    after: &'a BTreeMap<Text, T>,
) -> Vec<(&'a str, Keyed<'a, T>)> {
    let find = |map: &'a BTreeMap<Text, T>, key: &str| {
        map.iter().find(|(k, _)| k.as_ref() == key).map(|(_, v)| v)
    };
    let keys: BTreeSet<&str> = before
        .keys()
        .chain(after.keys())
        .map(|k| k.as_ref().as_str())
        .collect();
    keys.into_iter()
        .filter_map(|key| match (find(before, key), find(after, key)) {
            (None, Some(_)) => Some((key, Keyed::Added)),
            (Some(_), None) => Some((key, Keyed::Removed)),
            (Some(a), Some(b)) if a != b => Some((key, Keyed::Changed(a, b))),
            _ => None,
        })
        .collect()
}

fn schedule_changes(before: &ScheduleSection, after: &ScheduleSection) -> Vec<String> {
    let mut said = Vec::new();
    let days = |s: &ScheduleSection| {
        [
            &s.monday,
            &s.tuesday,
            &s.wednesday,
            &s.thursday,
            &s.friday,
            &s.saturday,
            &s.sunday,
        ]
        .map(|d| {
            d.as_ref()
                .map_or("closed".to_owned(), |t| t.as_ref().clone())
        })
    };
    let weekdays =
        std::iter::successors(Some(Weekday::Mon), |d| Some(d.succ())).map(speech::weekday);
    for (day, (a, b)) in weekdays.zip(days(before).into_iter().zip(days(after))) {
        if a != b {
            let (a, b) = (hours_said(&a), hours_said(&b));
            said.push(format!("{day}s' hours changed from {a} to {b}"));
        }
    }
    if before.holidays != after.holidays || before.timezone != after.timezone {
        said.push(format!(
            "bank holidays now those of {} ({})",
            after.holidays.as_ref(),
            after.timezone.as_ref()
        ));
    }
    fn closure(c: &ClosureSection) -> (&Text, String) {
        (&c.date, c.reason.get_ref().clone())
    }
    fn special(h: &SpecialHoursSection) -> (&Text, String) {
        let reason = h.reason.as_ref().map(|r| r.get_ref().as_str());
        let words = super::with_reason(hours_said(h.hours.get_ref()), reason);
        (&h.date, words)
    }
    let (a, b) = (
        by_date(&before.closures, closure),
        by_date(&after.closures, closure),
    );
    said.extend(day_changes("closure day", &a, &b));
    let (a, b) = (
        by_date(&before.special_hours, special),
        by_date(&after.special_hours, special),
    );
    said.extend(day_changes("special hours", &a, &b));
    said
}

/// A list of one-off days in a file as (date, what it holds in words), by date.
fn by_date<T>(
    list: &[toml::Spanned<T>],
    fields: impl Fn(&T) -> (&Text, String),
) -> BTreeMap<String, String> {
    list.iter()
        .map(|item| {
            let (date, words) = fields(item.as_ref());
            (date.as_ref().clone(), words)
        })
        .collect()
}

/// One-off days added, removed or changed, each with its day in words.
fn day_changes(
    kind: &str,
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
) -> Vec<String> {
    let day = |date: &str| {
        date.parse::<NaiveDate>()
            .map_or(date.to_owned(), speech::full_date)
    };
    let dates: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    dates
        .into_iter()
        .filter_map(|date| match (before.get(date), after.get(date)) {
            (None, Some(b)) => Some(format!("{kind} added for {} (“{b}”)", day(date))),
            (Some(_), None) => Some(format!("{kind} for {} removed", day(date))),
            (Some(a), Some(b)) if a != b => {
                Some(format!("{kind} for {} changed to “{b}”", day(date)))
            }
            _ => None,
        })
        .collect()
}

/// A step's change in people's terms: a new number it puts callers through to (as people
/// write numbers), new words callers hear (the new words themselves), or where it leads.
fn step_change(title: &str, before: &StepSection, after: &StepSection) -> String {
    let number = |s: &StepSection| s.number.as_ref().map(|n| n.as_ref().clone());
    let (was, is) = (number(before), number(after));
    let only_the_number = StepSection {
        number: before.number.clone(),
        ..after.clone()
    } == *before;
    if was != is
        && only_the_number
        && let (Some(was), Some(is)) = (&was, &is)
    {
        let written = |n: &str| crate::phone::written(n);
        return format!(
            "the number “{title}” puts callers through to changes from {} to {}",
            written(was),
            written(is)
        );
    }
    let said = |s: &StepSection| s.say.as_ref().map(|t| t.as_ref().clone());
    let only_the_words = StepSection {
        say: before.say.clone(),
        ..after.clone()
    } == *before;
    if only_the_words
        && let Some(words) = said(after)
        && said(before) != said(after)
    {
        return format!(
            "what callers hear at “{title}” changes to: “{}”",
            words.trim()
        );
    }
    older_step_change(title, before, after)
}

/// Words callers hear changed, or where the step leads (or both).
fn older_step_change(title: &str, before: &StepSection, after: &StepSection) -> String {
    let words = |s: &StepSection| {
        [
            &s.say,
            &s.no_input_say,
            &s.invalid_say,
            &s.retry_say,
            &s.busy_say,
            &s.no_answer_say,
            &s.failed_say,
        ]
        .map(|t| t.as_ref().map(|t| t.as_ref().clone()))
    };
    let words_changed = words(before) != words(after);
    let without_words = |s: &StepSection| StepSection {
        say: None,
        no_input_say: None,
        invalid_say: None,
        retry_say: None,
        busy_say: None,
        no_answer_say: None,
        failed_say: None,
        ..s.clone()
    };
    let rest_changed = without_words(before) != without_words(after);
    match (words_changed, rest_changed) {
        (true, false) => format!("what callers hear at “{title}” changed"),
        (false, _) => format!("where “{title}” leads or how it behaves changed"),
        (true, true) => format!("“{title}” changed: its words and where it leads"),
    }
}

#[cfg(test)]
mod tests {
    use super::described;

    const DOCTOR_SUPPORT: &str = include_str!("../../call-flows/doctor-support.toml");
    const WELLBEING: &str = include_str!("../../call-flows/wellbeing.toml");

    fn shipped() -> Vec<(String, String)> {
        vec![
            ("doctor-support.toml".into(), DOCTOR_SUPPORT.into()),
            ("wellbeing.toml".into(), WELLBEING.into()),
        ]
    }

    fn edited(name: &str, edit: impl Fn(&str) -> String) -> Vec<(String, String)> {
        shipped()
            .into_iter()
            .map(|(n, t)| if n == name { (n, edit(&t)) } else { (n, t) })
            .collect()
    }

    #[test]
    fn the_same_files_have_no_change() {
        assert_eq!(described(&shipped(), &shipped()), Vec::<String>::new());
    }

    #[test]
    fn a_closure_day_added_in_a_file_is_said_with_its_day_and_reason() {
        let after = edited("doctor-support.toml", |t| {
            t.replacen(
                "closures = []",
                r#"closures = [{ date = "2026-12-24", reason = "the office is closed for Christmas Eve" }]"#,
                1,
            )
        });
        assert_eq!(
            described(&shipped(), &after),
            [
                "Doctor support line: closure day added for Thursday 24 December 2026 (“the office is closed for Christmas Eve”)"
            ]
        );
        assert_eq!(
            described(&after, &shipped()),
            ["Doctor support line: closure day for Thursday 24 December 2026 removed"]
        );
        let after = edited("doctor-support.toml", |t| {
            t.replacen(
                "special_hours = []",
                r#"special_hours = [{ date = "2026-12-31", hours = "09:00-13:00" }]"#,
                1,
            )
        });
        assert_eq!(
            described(&shipped(), &after),
            [
                "Doctor support line: special hours added for Thursday 31 December 2026 (“9am to 1pm”)"
            ]
        );
        let with_reason = edited("doctor-support.toml", |t| {
            t.replacen(
                "special_hours = []",
                r#"special_hours = [{ date = "2026-12-31", hours = "09:00-13:00", reason = "we close early" }]"#,
                1,
            )
        });
        assert_eq!(
            described(&after, &with_reason),
            [
                "Doctor support line: special hours for Thursday 31 December 2026 changed to “9am to 1pm (callers hear: we close early)”"
            ]
        );
    }

    #[test]
    fn new_words_and_new_hours_are_told_apart_from_a_new_route() {
        let after = edited("wellbeing.toml", |t| {
            t.replace("Welcome to the wellbeing support line", "Hello")
        });
        assert_eq!(
            described(&shipped(), &after),
            [
                "Wellbeing support line: what callers hear at “Welcome” changes to: “Hello: free, confidential, 24 hours, for all UK doctors and medical students. We're not an emergency service: for urgent help, contact your GP or A and E; in an emergency, dial 999.”"
            ]
        );
        let after = edited("doctor-support.toml", |t| {
            t.replacen("monday = \"09:00-17:00\"", "monday = \"10:00-17:00\"", 1)
        });
        assert_eq!(
            described(&shipped(), &after),
            ["Doctor support line: Mondays' hours changed from 9am to 5pm to 10am to 5pm"]
        );
    }

    #[test]
    fn a_new_number_is_said_as_people_write_numbers() {
        let after = edited("doctor-support.toml", |t| {
            t.replace("+442079460103", "+442079460113")
        });
        assert_eq!(
            described(&shipped(), &after),
            [
                "Doctor support line: the number “Team” puts callers through to changes from 020 7946 0103 to 020 7946 0113"
            ]
        );
    }

    #[test]
    fn a_line_added_or_removed_is_named_and_an_unreadable_file_is_named_by_file() {
        let only_wellbeing: Vec<_> = shipped().into_iter().skip(1).collect();
        assert_eq!(
            described(&only_wellbeing, &shipped()),
            ["Doctor support line added"]
        );
        assert_eq!(
            described(&shipped(), &only_wellbeing),
            ["Doctor support line removed"]
        );
        let broken = edited("wellbeing.toml", |t| format!("{t}\n[[["));
        assert_eq!(described(&shipped(), &broken), ["wellbeing.toml changed"]);
    }
}
