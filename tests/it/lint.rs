//! `check`'s deeper rules, one bad flow each, with the exact finding. (File syntax, unknown
//! keys, unknown steps, bad numbers and overlapping hours are in `tests/cli.rs`.)

use std::path::PathBuf;

use crate::support::*;
use chrono::NaiveDate;
use switchboard::check::check_sources;

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
                "flows/test.toml:{hello}:8: error: a caller who stays silent goes round for ever here without being put through to anyone: test/hello, then round test/hello (silence, 2 tries) → test/hello; give `after_attempts` a way to a person"
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
fn on_a_24_7_line_any_way_to_a_hang_up_before_a_person_answered_is_an_error() {
    let sources = line_with("open_24_7 = true", MENU_WITHOUT_A_PERSON);
    let goodbye = line_of(&sources, "test.toml", "[steps.goodbye]");
    let busy = line_of(&sources, "test.toml", "[steps.counsellor-busy]");
    assert_eq!(
        findings(&sources, today()),
        (
            vec![
                format!(
                    "flows/test.toml:{busy}:8: error: a call that started on line \"test\", open 24/7, is hung up on here before a person answered: test/hello (something goes wrong) → test/counsellor (no-answer, 1 try) → test/counsellor-busy"
                ),
                format!(
                    "flows/test.toml:{goodbye}:8: error: a call that started on line \"test\", open 24/7, is hung up on here before a person answered: test/hello (silence, 2 tries) → test/goodbye"
                ),
            ],
            true
        )
    );
    // The same flow on a line that does not promise 24/7 service is allowed.
    assert_eq!(
        findings(&line_with("", MENU_WITHOUT_A_PERSON), today()),
        (vec![], false)
    );
    // Offering a counsellor is not enough: every way on must end with a person, whatever the
    // caller chooses and however the connections go.
    let offered = MENU_WITHOUT_A_PERSON.replace(
        r#"options = [{ key = "1", next = "hours-info" }]"#,
        r#"options = [{ key = "1", next = "hours-info" }, { key = "2", next = "counsellor" }]"#,
    );
    assert!(findings(&line_with("open_24_7 = true", &offered), today()).1);
    // Where every way ends with a dial that, failing, is tried again, the line is safe.
    let safe = offered
        .replace(
            r#"after_attempts = "goodbye""#,
            r#"after_attempts = "counsellor""#,
        )
        .replace(r#"next = "goodbye""#, r#"next = "hello""#)
        .replace(
            "[steps.goodbye]\ntype = \"hangup\"\nsay = \"Goodbye.\"\n",
            "",
        );
    let safe: Vec<_> = line_with("open_24_7 = true", &safe)
        .into_iter()
        .map(|(path, text)| {
        let text = text.replace(
            "after_attempts = \"counsellor-busy\"\n\n[steps.counsellor-busy]\ntype = \"hangup\"\nsay = \"Please call again.\"",
            "after_attempts = \"counsellor\"",
        );
        (path, text)
    })
        .collect();
    assert_eq!(findings(&safe, today()), (vec![], false));
}

#[test]
fn menus_that_ask_again_without_a_word_are_warned_about() {
    let sources = shipped_sources("doctor-support.toml", |t| {
        // The first menu only, the counselling offer: the menu after a call back is the same.
        t.replacen(
            "no_input_say = \"Sorry, we didn't hear a choice.\"\n",
            "",
            1,
        )
        .replacen(
            "invalid_say = \"Sorry, that isn't one of the choices.\"\n",
            "",
            1,
        )
        .replacen(
            "attempts = 2\nafter_attempts = \"no-choice\"",
            "after_attempts = \"no-choice\"",
            1,
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
fn a_phrase_that_also_names_another_choice_is_an_error_at_the_phrase() {
    // "back" for the main menu is within "call back" and "call me back", so a caller saying
    // either is asked again; and "two" is key 2's own number, said.
    let sources = shipped_sources("wellbeing.toml", |t| {
        t.replace(
            r#"speech = ["main menu", "go back", "no"]"#,
            r#"speech = ["main menu", "back", "no", "two"]"#,
        )
    });
    let (_, text) = sources
        .iter()
        .find(|(p, _)| p.ends_with("wellbeing.toml"))
        .unwrap();
    let menu = text.find("[steps.doctor-support-call-back-offer]").unwrap();
    // `file:line:column` of the first `needle` in the menu.
    let at = |needle: &str| {
        let offset = menu + text[menu..].find(needle).unwrap();
        let line = text[..offset].lines().count();
        let column = offset - text[..offset].rfind('\n').unwrap();
        format!(
            "call-flows/wellbeing.toml:{line}:{column}: error: in menu \"doctor-support-call-back-offer\""
        )
    };
    let advice = "Give each choice words no other choice's words are in";
    assert_eq!(
        findings(&sources, today()),
        (
            vec![
                format!(
                    "{}, a caller who says \"call back\" (for key 2) is asked again: those words also choose key *. {advice}",
                    at(r#""call back""#)
                ),
                format!(
                    "{}, a caller who says \"call me back\" (for key 2) is asked again: those words also choose key *. {advice}",
                    at(r#""call me back""#)
                ),
                format!(
                    "{}, a caller who says \"two\" (for key *) is asked again: those words also choose key 2. {advice}",
                    at(r#""two""#)
                ),
            ],
            true
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
                "call-flows/wellbeing.toml:{menu}:8: warning: callers on line \"wellbeing\" hear about 38 s of speech before menu \"main-menu\" has told them every choice; keep it under 30 s"
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

#[test]
fn a_reason_no_step_says_is_a_warning_where_it_is_written() {
    let cases = [
        (
            "closures = []",
            r#"closures = [{ date = "2026-12-23", reason = "the team is away" }]"#,
            "We are closed today: {closure_reason}.",
            "closure_reason",
        ),
        (
            "special_hours = []",
            r#"special_hours = [{ date = "2026-12-24", hours = "10:00-13:00", reason = "we close early" }]"#,
            "We are closed now: {special_hours_reason}.",
            "special_hours_reason",
        ),
    ];
    for (empty, day, says, placeholder) in cases {
        let with_reason = |t: &str| t.replace(empty, day);
        // The shipped flows say it: nothing to warn of.
        assert_eq!(
            findings(
                &shipped_sources("doctor-support.toml", with_reason),
                today()
            ),
            (vec![], false),
            "{placeholder}"
        );
        // A flow that never says it: the reason is warned of, where it is written.
        let unsaid = |t: &str| with_reason(t).replace(says, "We are closed.");
        let sources = shipped_sources("doctor-support.toml", unsaid);
        let line = line_of(
            &sources,
            "doctor-support.toml",
            &day[..day.find('{').unwrap() + 1],
        );
        let (found, refused) = findings(&sources, today());
        assert!(!refused);
        assert_eq!(found.len(), 1, "{found:#?}");
        let expected = format!(
            "warning: callers never hear this reason: no step on schedule \"doctor-support\" says {{{placeholder}}}"
        );
        assert!(
            found[0].starts_with(&format!("call-flows/doctor-support.toml:{line}:"))
                && found[0].contains(&expected),
            "{found:#?}"
        );
    }
}

// --- The edits that once passed `check`: each is refused, with the way a caller would go ---

/// A hang-up step added to the end of `text`, for the edits below to send callers to.
fn with_a_goodbye(text: &str) -> String {
    format!("{text}\n[steps.bye]\ntype = \"hangup\"\nsay = \"Goodbye.\"\n")
}

/// The errors `check` finds in the shipped flows with `file` edited; the set must be refused.
fn errors_after(file: &str, edit: impl Fn(&str) -> String) -> Vec<String> {
    let sources = shipped_sources(file, edit);
    let (found, refused) = findings(&sources, today());
    assert!(refused, "the edit was taken: {found:?}");
    found
        .into_iter()
        .filter(|f| f.contains(": error: "))
        .collect()
}

fn step_line(file: &str, edit: impl Fn(&str) -> String, step: &str) -> usize {
    line_of(
        &shipped_sources(file, edit),
        file,
        &format!("[steps.{step}]"),
    )
}

const HANGUP_BEFORE_A_PERSON: &str = "error: a call that started on line \"wellbeing\", open 24/7, is hung up on here before a person answered:";

#[test]
fn the_main_menu_s_last_try_going_to_a_hang_up_is_refused() {
    let edit = |t: &str| {
        with_a_goodbye(&t.replace(
            "attempts = 3\nafter_attempts = \"no-choice\"",
            "attempts = 3\nafter_attempts = \"bye\"",
        ))
    };
    let bye = step_line("wellbeing.toml", edit, "bye");
    assert_eq!(
        errors_after("wellbeing.toml", edit),
        [format!(
            "call-flows/wellbeing.toml:{bye}:8: {HANGUP_BEFORE_A_PERSON} wellbeing/welcome → wellbeing/main-menu (silence, 3 tries) → wellbeing/bye"
        )]
    );
}

#[test]
fn putting_a_caller_through_to_a_counsellor_by_way_of_a_hang_up_is_refused() {
    let edit = |t: &str| {
        with_a_goodbye(&t.replace(
            "say = \"We'll put you through to a counsellor now.\"\nnext = \"counselling\"",
            "say = \"We'll put you through to a counsellor now.\"\nnext = \"bye\"",
        ))
    };
    let bye = step_line("wellbeing.toml", edit, "bye");
    assert_eq!(
        errors_after("wellbeing.toml", edit),
        [format!(
            "call-flows/wellbeing.toml:{bye}:8: {HANGUP_BEFORE_A_PERSON} wellbeing/welcome → wellbeing/main-menu (silence, 3 tries) → wellbeing/no-choice → wellbeing/bye"
        )]
    );
}

#[test]
fn the_counsellors_busy_menu_s_last_try_going_to_a_hang_up_is_refused() {
    let edit = |t: &str| {
        with_a_goodbye(&t.replace(
            "attempts = 2\nafter_attempts = \"peer-support-connect\"",
            "attempts = 2\nafter_attempts = \"bye\"",
        ))
    };
    let bye = step_line("wellbeing.toml", edit, "bye");
    assert_eq!(
        errors_after("wellbeing.toml", edit),
        [format!(
            "call-flows/wellbeing.toml:{bye}:8: {HANGUP_BEFORE_A_PERSON} wellbeing/welcome → wellbeing/main-menu (presses 1) → wellbeing/counselling (no-answer, 3 tries) → wellbeing/counselling-unavailable (silence, 2 tries) → wellbeing/bye"
        )]
    );
}

#[test]
fn a_main_menu_that_a_silent_caller_can_never_leave_is_refused() {
    let edit = |t: &str| {
        t.replace(
            "attempts = 3\nafter_attempts = \"no-choice\"",
            "attempts = 3\nafter_attempts = \"main-menu\"",
        )
    };
    let menu = step_line("wellbeing.toml", edit, "main-menu");
    assert_eq!(
        errors_after("wellbeing.toml", edit),
        [format!(
            "call-flows/wellbeing.toml:{menu}:8: error: a caller who stays silent goes round for ever here without being put through to anyone: wellbeing/welcome → wellbeing/main-menu, then round wellbeing/main-menu (silence, 3 tries) → wellbeing/main-menu; give `after_attempts` a way to a person"
        )]
    );
}

#[test]
fn a_destination_one_digit_short_is_refused_as_no_such_number() {
    let edit = |t: &str| t.replace("number = \"+442079460101\"", "number = \"+44207946010\"");
    let line = line_of(
        &shipped_sources("wellbeing.toml", edit),
        "wellbeing.toml",
        "+44207946010\"",
    );
    assert_eq!(
        errors_after("wellbeing.toml", edit),
        [format!(
            "call-flows/wellbeing.toml:{line}:10: error: \"+44207946010\" is not a number that can be called: no such number exists in its country's numbering plan (a digit missing or extra?)"
        )]
    );
}

#[test]
fn the_next_opening_in_the_emergency_message_is_refused() {
    let edit = |t: &str| {
        t.replace(
            "[steps.closed-emergency]\ntype = \"say\"\nsay = \"\"\"\nThank you for calling Doctor support. \\\n",
            "[steps.closed-emergency]\ntype = \"say\"\nschedule = \"doctor-support\"\nsay = \"\"\"\nThank you for calling Doctor support. We open again on {next_opening}. \\\n",
        )
    };
    let step = step_line("doctor-support.toml", edit, "closed-emergency");
    assert_eq!(
        errors_after("doctor-support.toml", edit),
        [format!(
            "call-flows/doctor-support.toml:{step}:8: error: {{next_opening}} can fail here: it is said while the emergency switch has closed schedule \"doctor-support\", and nobody knows when that ends; a caller comes this way: doctor-support/office-hours (emergency) → doctor-support/closed-emergency"
        )]
    );
}

#[test]
fn a_next_opening_said_after_the_caller_waited_without_looking_at_the_hours_again_is_refused() {
    // After the team's tries, the switch may have been thrown while the caller waited: the
    // message must come after an hours step, not straight after the dial.
    let edit = |t: &str| {
        t.replace(
            "after_attempts = \"team-unavailable\"",
            "after_attempts = \"no-answer\"",
        )
    };
    let step = step_line("doctor-support.toml", edit, "no-answer");
    let errors = errors_after("doctor-support.toml", edit);
    assert_eq!(
        errors,
        [format!(
            "call-flows/doctor-support.toml:{step}:8: error: {{next_opening}} can fail here: the emergency switch may have closed schedule \"doctor-support\", and no `hours` step on it decides otherwise first in the same answer; a caller comes this way: doctor-support/office-hours (open) → doctor-support/open-greeting → doctor-support/team (no-answer, 2 tries) → doctor-support/no-answer"
        )]
    );
}

#[test]
fn a_holiday_named_outside_the_bank_holiday_branch_is_refused() {
    let edit = |t: &str| {
        t.replace(
            "We are closed now, and open again on {next_opening}.",
            "We are closed now for {holiday}, and open again on {next_opening}.",
        )
    };
    let step = step_line("doctor-support.toml", edit, "closed");
    assert_eq!(
        errors_after("doctor-support.toml", edit),
        [format!(
            "call-flows/doctor-support.toml:{step}:8: error: {{holiday}} can fail here: only the bank holiday branch of an `hours` step on schedule \"doctor-support\", in the same answer, makes sure today is a bank holiday; a caller comes this way: doctor-support/office-hours (closed) → doctor-support/closed"
        )]
    );
}

#[test]
fn a_special_hours_reason_said_outside_its_branch_is_refused() {
    let edit = |t: &str| {
        t.replace(
            "We are closed now, and open again on {next_opening}.",
            "We are closed now: {special_hours_reason}. We open again on {next_opening}.",
        )
    };
    let step = step_line("doctor-support.toml", edit, "closed");
    assert_eq!(
        errors_after("doctor-support.toml", edit),
        [format!(
            "call-flows/doctor-support.toml:{step}:8: error: {{special_hours_reason}} can fail here: only the special hours branch of an `hours` step on schedule \"doctor-support\", in the same answer, makes sure today has special hours; a caller comes this way: doctor-support/office-hours (closed) → doctor-support/closed"
        )]
    );
}

#[test]
fn a_doctor_support_hang_up_that_a_wellbeing_caller_could_reach_is_refused() {
    // Without the origin step, the goodbye ends calls put through from the 24/7 line (the
    // counselling offer's; the menu after a call back is left as it is).
    let edit = |t: &str| {
        t.replacen(
            "attempts = 2\nafter_attempts = \"no-choice\"",
            "attempts = 2\nafter_attempts = \"goodbye\"",
            1,
        )
    };
    let goodbye = step_line("doctor-support.toml", edit, "goodbye");
    let errors = errors_after("doctor-support.toml", edit);
    assert_eq!(
        errors,
        [format!(
            "call-flows/doctor-support.toml:{goodbye}:8: {HANGUP_BEFORE_A_PERSON} wellbeing/welcome → wellbeing/main-menu (presses 3) → wellbeing/doctor-support-info → wellbeing/doctor-support-now (open) → wellbeing/doctor-support-offer (presses 1) → doctor-support/team (no-answer, 2 tries) → doctor-support/team-unavailable (open) → doctor-support/no-answer → doctor-support/offer-counselling (silence, 2 tries) → doctor-support/goodbye"
        )]
    );
}

/// What a caller waits for on the shipped flows, in seconds (at 150 words a minute, numbers
/// said digit by digit): printed for the README, and held to the limits callers need.
#[test]
fn what_a_caller_waits_for_on_the_shipped_flows() {
    use switchboard::flow::timing;
    let flows = shipped_flows();
    for (id, first_key, told, ringing) in [
        ("wellbeing", 20.0, 30.0, 120.0),
        ("doctor-support", 30.0, 30.0, 60.0),
    ] {
        let line = flows.line_index(id).unwrap();
        let waits = timing::waits(&flows, line).expect("a menu");
        let silent = waits
            .silent_until_ringing
            .expect("a silent caller is put through");
        println!(
            "{id}: \"press 1\" heard after {:.1} s; every choice told after {:.1} s; first menu ends after {:.1} s; a silent caller hears a phone ring after {silent:.1} s",
            waits.first_key, waits.choices_told, waits.menu_ends
        );
        assert!(waits.first_key < first_key, "{id}: {waits:?}");
        assert!(waits.choices_told < told, "{id}: {waits:?}");
        assert!(waits.first_key <= waits.choices_told && waits.choices_told <= waits.menu_ends);
        assert!(silent < ringing, "{id}: {waits:?}");
    }
    // The wellbeing welcome and its whole menu, not only its choices, are under 30 s.
    let wellbeing = timing::waits(&flows, flows.line_index("wellbeing").unwrap()).unwrap();
    assert!(wellbeing.menu_ends < 30.0, "{wellbeing:?}");
}

/// Where to go for urgent help is said in the same words everywhere a caller hears it.
#[test]
fn urgent_help_is_worded_the_same_everywhere() {
    const SAME: &str = "We're not an emergency service: for urgent help, contact your GP or A and E; in an emergency, dial 999.";
    let mut places = 0;
    for (path, text) in shipped_sources("", str::to_owned) {
        // The texts as callers hear them: no comments, line continuations joined, white
        // space folded.
        let spoken: Vec<&str> = text
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .collect();
        let spoken = spoken.join("\n").replace("\\\n", " ");
        let spoken = spoken.split_whitespace().collect::<Vec<_>>().join(" ");
        let said = spoken.matches("999").count();
        let same = spoken.matches(SAME).count();
        assert_eq!(said, same, "{}: 999 said in other words", path.display());
        places += same;
    }
    // The welcome, both "still couldn't reach" menus, the open greeting, the counselling offer
    // and the menu after a call back.
    assert_eq!(places, 6);
}

// --- A call back's two branches: the request kept, and not kept ---

/// The Doctor support line's `callback` step with one of its ways on (`next` or `not_taken`)
/// sent to a hang-up: a call from the 24/7 wellbeing line that asks for a call back would then
/// be hung up on. Refused on either branch, at the hang-up's file:line:col.
fn a_call_back_branch_to_a_hang_up_is_refused(branch: &str, taken: &str) {
    let edit = |t: &str| {
        with_a_goodbye(&t.replace(
            "schedule = \"doctor-support\"\nnext = \"after-call-back\"\nnot_taken = \"after-call-back\"",
            &format!(
                "schedule = \"doctor-support\"\nnext = \"after-call-back\"\nnot_taken = \"after-call-back\"\n{branch} = \"bye\""
            )
            .replace(&format!("{branch} = \"after-call-back\"\n"), ""),
        ))
    };
    let bye = step_line("doctor-support.toml", edit, "bye");
    let errors = errors_after("doctor-support.toml", edit);
    assert!(
        errors.iter().any(|e| e.starts_with(&format!(
            "call-flows/doctor-support.toml:{bye}:8: {HANGUP_BEFORE_A_PERSON}"
        )) && e.contains(&format!(
            "doctor-support/call-back (call back {taken}) → doctor-support/bye"
        ))),
        "{errors:#?}"
    );
}

#[test]
fn a_call_back_that_hangs_up_on_a_24_7_call_once_the_request_is_kept_is_refused() {
    a_call_back_branch_to_a_hang_up_is_refused("next", "taken");
}

#[test]
fn a_call_back_that_hangs_up_on_a_24_7_call_when_the_store_cannot_keep_it_is_refused() {
    a_call_back_branch_to_a_hang_up_is_refused("not_taken", "not taken");
}

// --- Spoken-text limits ---

#[test]
fn a_closure_reason_that_is_not_plain_words_of_a_sentence_is_refused_where_it_is_written() {
    for (reason, why) in [
        (
            "the office is closed ".repeat(2500),
            "keep it to 200 characters (it has 52499)",
        ),
        (
            "closed <break time=\"10s\"/> today".to_owned(),
            "is spoken as plain words: '<' cannot be said",
        ),
    ] {
        // A closure day's reason, and special hours' (which is optional).
        for (list, day) in [
            (
                "closures",
                format!("date = \"2026-12-24\", reason = {reason:?}"),
            ),
            (
                "special_hours",
                format!("date = \"2026-12-24\", hours = \"10:00-13:00\", reason = {reason:?}"),
            ),
        ] {
            let edit =
                |t: &str| t.replace(&format!("{list} = []"), &format!("{list} = [{{ {day} }}]"));
            let errors = errors_after("doctor-support.toml", edit);
            let line = line_of(
                &shipped_sources("doctor-support.toml", edit),
                "doctor-support.toml",
                &format!("{list} = [{{"),
            );
            assert!(
                errors.iter().any(|e| e
                    .starts_with(&format!("call-flows/doctor-support.toml:{line}:"))
                    && e.contains(why)),
                "{list}: {errors:#?}"
            );
        }
    }
}

#[test]
fn a_text_longer_than_twilio_says_at_once_is_refused() {
    let long = "Please hold. ".repeat(320);
    let edit = |t: &str| {
        t.replace(
            "say = \"We'll put you through to a counsellor now.\"",
            &format!("say = \"{long}\""),
        )
    };
    let errors = errors_after("wellbeing.toml", edit);
    assert!(
        errors.iter().any(|e| e.contains(
            "this text would be 4159 characters when said; Twilio refuses to say more than 4096 at once"
        )),
        "{errors:#?}"
    );
}

#[test]
fn one_broken_file_is_reported_in_that_file_only() {
    let sources = shipped_sources("doctor-support.toml", |t| t.replacen("[line]", "[line", 1));
    let (found, refused) = findings(&sources, today());
    assert!(refused);
    assert!(
        found
            .iter()
            .all(|f| f.starts_with("call-flows/doctor-support.toml:")),
        "{found:#?}"
    );
    assert_eq!(found.len(), 1, "{found:#?}");
}
