//! `check`'s deeper rules, one bad flow each, with the exact finding. (File syntax, unknown
//! keys, unknown steps, bad numbers and overlapping hours are in `tests/cli.rs`.)

mod common;

use std::path::PathBuf;

use chrono::NaiveDate;
use common::*;
use switchboard::flow::check_sources;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
}

/// A one-line set: `steps` is the TOML of its steps; `start` is "hello".
fn line_with(extra_line_keys: &str, steps: &str) -> Vec<(PathBuf, String)> {
    let text = format!(
        r#"[line]
name = "Test line"
numbers = ["+443301231245"]
default = true
voice = "Polly.Amy-Neural"
language = "en-GB"
start = "hello"
on_error = "counsellor"
{extra_line_keys}

[steps.counsellor]
type = "dial"
number = "+442079460101"
attempts = 1
after_attempts = "counsellor-busy"

[steps.counsellor-busy]
type = "hangup"
say = "Please call again."
{steps}"#
    );
    vec![(PathBuf::from("flows/test.toml"), text)]
}

/// Every finding, as `check` prints it, and whether the set was refused.
fn findings(sources: &[(PathBuf, String)], today: NaiveDate) -> (Vec<String>, bool) {
    let checked = check_sources(sources, today);
    let lines = checked
        .diagnostics
        .0
        .iter()
        .map(|d| d.to_string())
        .collect();
    (lines, checked.flows.is_none())
}

/// The 1-based line of the first line of `sources[0]`... holding `needle`.
fn line_of(sources: &[(PathBuf, String)], file: &str, needle: &str) -> usize {
    let (_, text) = sources
        .iter()
        .find(|(p, _)| p.ends_with(file))
        .expect("the file is in the set");
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} not in {file}"))
        + 1
}

#[test]
fn the_shipped_flows_have_no_findings_at_all() {
    let (found, refused) = findings(&shipped_sources("", str::to_owned), today());
    assert_eq!((found, refused), (vec![], false));
}

#[test]
fn a_step_nothing_leads_to_is_a_warning() {
    let sources = shipped_sources("wellbeing.toml", |t| {
        format!(
            "{t}\n[steps.old-greeting]\ntype = \"say\"\nsay = \"Hello.\"\nnext = \"main-menu\"\n"
        )
    });
    let line = line_of(&sources, "wellbeing.toml", "[steps.old-greeting]");
    assert_eq!(
        findings(&sources, today()),
        (
            vec![format!(
                "call-flows/wellbeing.toml:{line}:8: warning: step \"old-greeting\" is never reached: no step leads to it, and it is not the line's `start` or `on_error`"
            )],
            false
        )
    );
}

#[test]
fn a_loop_with_no_way_to_a_person_or_an_end_is_an_error() {
    let sources = line_with(
        "",
        r#"
[steps.hello]
type = "menu"
say = "For our hours, press 1."
options = [{ key = "1", next = "hours-info" }]
no_input_say = "Sorry?"
invalid_say = "Sorry?"
attempts = 2
after_attempts = "hello"

[steps.hours-info]
type = "say"
say = "We are open every day."
next = "hello"
"#,
    );
    let hello = line_of(&sources, "test.toml", "[steps.hello]");
    let info = line_of(&sources, "test.toml", "[steps.hours-info]");
    let (found, refused) = findings(&sources, today());
    assert!(refused);
    assert_eq!(
        found,
        [
            format!(
                "flows/test.toml:{hello}:8: error: a caller at step \"hello\" can never reach a person or the end of the call: every way on loops back; give one choice or `after_attempts` a dial or hang-up step"
            ),
            format!(
                "flows/test.toml:{info}:8: error: a caller at step \"hours-info\" can never reach a person or the end of the call: every way on loops back; give one choice or `after_attempts` a dial or hang-up step"
            ),
        ]
    );
}

const MENU_WITHOUT_A_PERSON: &str = r#"
[steps.hello]
type = "menu"
say = "For our opening hours, press 1."
options = [{ key = "1", next = "hours-info" }]
no_input_say = "Sorry?"
invalid_say = "Sorry?"
attempts = 2
after_attempts = "goodbye"

[steps.hours-info]
type = "say"
say = "We are open every day."
next = "goodbye"

[steps.goodbye]
type = "hangup"
say = "Goodbye."
"#;

#[test]
fn on_a_24_7_line_a_hang_up_before_a_person_was_offered_is_an_error() {
    let sources = line_with("open_24_7 = true", MENU_WITHOUT_A_PERSON);
    let goodbye = line_of(&sources, "test.toml", "[steps.goodbye]");
    assert_eq!(
        findings(&sources, today()),
        (
            vec![format!(
                "flows/test.toml:{goodbye}:8: error: line \"test\" is open 24/7, but a caller can reach this hang-up without being offered a person: test/hello → test/goodbye"
            )],
            true
        )
    );
    // The same flow on a line that does not promise 24/7 service is allowed.
    assert_eq!(
        findings(&line_with("", MENU_WITHOUT_A_PERSON), today()),
        (vec![], false)
    );
    // Offering a counsellor at the menu is enough, whatever the caller then chooses.
    let offered = MENU_WITHOUT_A_PERSON.replace(
        r#"options = [{ key = "1", next = "hours-info" }]"#,
        r#"options = [{ key = "1", next = "hours-info" }, { key = "2", next = "counsellor" }]"#,
    );
    assert_eq!(
        findings(&line_with("open_24_7 = true", &offered), today()),
        (vec![], false)
    );
}

#[test]
fn menus_that_ask_again_without_a_word_are_warned_about() {
    let sources = shipped_sources("doctor-support.toml", |t| {
        t.replace("no_input_say = \"Sorry, we didn't hear a choice.\"\n", "")
            .replace(
                "invalid_say = \"Sorry, that isn't one of the choices.\"\n",
                "",
            )
            .replace(
                "attempts = 2\nafter_attempts = \"goodbye\"",
                "after_attempts = \"goodbye\"",
            )
    });
    let menu = line_of(&sources, "doctor-support.toml", "[steps.offer-counselling]");
    let at = format!("call-flows/doctor-support.toml:{menu}:8: warning:");
    assert_eq!(
        findings(&sources, today()),
        (
            vec![
                format!(
                    "{at} menu \"offer-counselling\" does not say how many times to ask (`attempts`); it asks 3 times, then goes to `after_attempts`"
                ),
                format!(
                    "{at} menu \"offer-counselling\" asks again in silence when a caller says nothing: add `no_input_say`, e.g. \"Sorry, we didn't hear a choice.\""
                ),
                format!(
                    "{at} menu \"offer-counselling\" asks again in silence after a wrong key: add `invalid_say`, e.g. \"Sorry, that isn't one of the choices.\""
                ),
            ],
            false
        )
    );
}

#[test]
fn more_than_30_seconds_of_speech_before_the_first_choices_is_a_warning() {
    let sources = shipped_sources("wellbeing.toml", |t| {
        t.replace(
            "in an emergency, dial 999.",
            "in an emergency, dial 999. Your call matters to us, and we will answer it as soon as we can; \\\nplease listen carefully, as our choices have changed.",
        )
    });
    let menu = line_of(&sources, "wellbeing.toml", "[steps.main-menu]");
    assert_eq!(
        findings(&sources, today()),
        (
            vec![format!(
                "call-flows/wellbeing.toml:{menu}:8: warning: callers on line \"wellbeing\" hear about 37 s of speech (93 words) before menu \"main-menu\" has told them every choice; keep it under 30 s"
            )],
            false
        )
    );
}

#[test]
fn a_schedule_never_open_is_an_error() {
    let sources = shipped_sources("doctor-support.toml", |t| {
        t.replace("\"09:00-17:00\"", "\"closed\"")
    });
    let name = line_of(
        &sources,
        "doctor-support.toml",
        "[schedules.doctor-support]",
    );
    let (found, refused) = findings(&sources, today());
    assert!(refused);
    assert_eq!(
        found,
        [format!(
            "call-flows/doctor-support.toml:{name}:12: error: schedule \"doctor-support\" is never open: give at least one day hours like \"09:00-17:00\""
        )]
    );
}

#[test]
fn a_bank_holiday_calendar_that_ends_within_a_year_is_an_error() {
    let sources = shipped_sources("", str::to_owned);
    let line = line_of(
        &sources,
        "doctor-support.toml",
        "holidays = \"england-and-wales\"",
    );
    let late = NaiveDate::from_ymd_opt(2100, 3, 1).unwrap();
    assert_eq!(
        findings(&sources, late),
        (
            vec![format!(
                "call-flows/doctor-support.toml:{line}:12: error: the england-and-wales bank holidays Switchboard knows end in 2100, within a year: update Switchboard"
            )],
            true
        )
    );
    assert_eq!(
        findings(&sources, NaiveDate::from_ymd_opt(2099, 1, 1).unwrap()).0,
        Vec::<String>::new()
    );
}

#[test]
fn a_voice_twilio_does_not_know_is_a_warning_with_a_suggestion() {
    let sources = shipped_sources("wellbeing.toml", |t| {
        t.replace("Polly.Amy-Neural", "Polly.Amyy-Neural")
    });
    let line = line_of(&sources, "wellbeing.toml", "voice = ");
    assert_eq!(
        findings(&sources, today()),
        (
            vec![format!(
                "call-flows/wellbeing.toml:{line}:9: warning: Twilio does not know the voice \"Polly.Amyy-Neural\"; did you mean \"Polly.Amy\"?"
            )],
            false
        )
    );
}
