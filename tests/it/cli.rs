//! The command line as ops and testers use it: `check`, `simulate`, `sign`, `holidays`,
//! `hours` and `emergency`.

use std::path::Path;
use std::process::{Command, Output};

use crate::support::*;

/// Runs the binary with an empty state directory (no feed cache, no emergency), unless the
/// arguments name one.
fn switchboard(args: &[&str]) -> Output {
    let state = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(args)
        .env("SWITCHBOARD_STATE_DIR", state.path())
        .output()
        .expect("the binary runs")
}

/// Runs `check` and returns its stderr with the temporary directory written as `DIR`.
fn check_errors(dir: &Path) -> String {
    let out = switchboard(&["check", "--flows", dir.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "check must fail: {}",
        text(&out.stdout)
    );
    text(&out.stderr).replace(dir.to_str().unwrap(), "DIR")
}

#[test]
fn check_passes_the_shipped_flows() {
    let out = switchboard(&["check", "--flows", shipped_flows_dir().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("2 lines"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn check_names_a_misspelled_step_with_its_position_and_a_suggestion() {
    let dir = edited_flows("wellbeing.toml", |t| {
        t.replacen("next = \"counselling\" }", "next = \"counseling\" }", 1)
    });
    let errors = check_errors(dir.path());
    let line = std::fs::read_to_string(dir.path().join("wellbeing.toml"))
        .unwrap()
        .lines()
        .position(|l| l.contains("\"counseling\" }"))
        .unwrap()
        + 1;
    let col = std::fs::read_to_string(dir.path().join("wellbeing.toml"))
        .unwrap()
        .lines()
        .nth(line - 1)
        .unwrap()
        .find("next = \"counseling\"")
        .unwrap()
        + 8;
    assert_eq!(
        errors,
        format!(
            "DIR/wellbeing.toml:{line}:{col}: error: step \"counseling\" is not defined; did you mean \"counselling\"?\n"
        )
    );
}

#[test]
fn check_refuses_unknown_keys_bad_numbers_and_bad_hours() {
    let dir = edited_flows("doctor-support.toml", |t| {
        t.replace("ring_seconds = 30", "ring_secs = 30")
    });
    let errors = check_errors(dir.path());
    assert!(
        errors.starts_with("DIR/doctor-support.toml:")
            && errors.contains(
                "error: a dial step does not take `ring_secs`; did you mean \"ring_seconds\"?"
            ),
        "{errors}"
    );

    let dir = edited_flows("doctor-support.toml", |t| {
        t.replace("+442079460103", "020 7946 0103")
    });
    let errors = check_errors(dir.path());
    assert!(
        errors.contains("error: \"020 7946 0103\" is not an E.164 number"),
        "{errors}"
    );

    let dir = edited_flows("doctor-support.toml", |t| {
        t.replacen("monday = \"09:00-17:00\"", "monday = \"17:00-09:00\"", 1)
    });
    let errors = check_errors(dir.path());
    assert!(errors.contains("closes before it opens"), "{errors}");

    let dir = edited_flows("doctor-support.toml", |t| {
        t.replace("{next_opening}", "{next_openning}")
    });
    let errors = check_errors(dir.path());
    assert!(
        errors.contains("{next_openning} is not a placeholder")
            && errors.contains("did you mean \"next_opening\"?"),
        "{errors}"
    );
}

#[test]
fn check_reports_toml_syntax_errors_with_a_position() {
    let dir = edited_flows("wellbeing.toml", |t| {
        t.replacen("attempts = 3", "attempts = = 3", 1)
    });
    let errors = check_errors(dir.path());
    let first = errors.lines().next().unwrap();
    let position: Vec<&str> = first.splitn(4, ':').collect();
    assert_eq!(position[0], "DIR/wellbeing.toml");
    assert!(
        position[1].parse::<usize>().unwrap() > 1 && position[2].parse::<usize>().unwrap() >= 1,
        "{first}"
    );
    assert!(first.contains(": error: "), "{first}");
}

#[test]
fn check_refuses_steps_that_loop_without_asking_the_caller() {
    let dir = edited_flows("wellbeing.toml", |t| {
        t.replace(
            "next = \"doctor-support-now\"",
            "next = \"doctor-support-info\"",
        )
    });
    let errors = check_errors(dir.path());
    assert!(
        errors.contains(
            "step \"doctor-support-info\" loops back to itself without asking the caller anything"
        ),
        "{errors}"
    );
}

#[test]
fn check_refuses_a_step_with_keys_its_type_does_not_take() {
    let dir = edited_flows("wellbeing.toml", |t| {
        t.replacen(
            "type = \"say\"\nsay = \"We'll put",
            "type = \"say\"\nnumber = \"+442079460101\"\nsay = \"We'll put",
            1,
        )
    });
    let errors = check_errors(dir.path());
    assert!(
        errors.contains("error: a say step does not take `number`"),
        "{errors}"
    );
}

#[test]
fn simulate_plays_a_call_with_keys_words_and_dial_results_in_order() {
    let flows = shipped_flows_dir();
    let out = switchboard(&[
        "simulate",
        "--flows",
        flows.to_str().unwrap(),
        "--to",
        WELLBEING,
        "--at",
        "2026-12-25T10:00:00Z",
        "--say",
        "peer support",
        "--press",
        "9",
        "--dial",
        "busy",
        "--dial",
        "no-answer",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let transcript = text(&out.stdout);
    let expected_order = [
        "hears: Welcome to the wellbeing support line",
        "> says \"peer support\" (step main-menu, try 1)",
        "> presses 9 (step peer-support, try 1)",
        "hears: Our privacy notice.",
        "> stays silent (step privacy-notice, try 1)",
        "dials: +442079460102 (step peer-support-connect, try 1) -> busy",
        "dials: +442079460102 (step peer-support-connect, try 2) -> no-answer",
        "hears: Sorry, nobody in peer support answered just then.",
        "hears: We're sorry: we still couldn't reach anyone in peer support",
        "> stays silent (step peer-support-unavailable, try 1)",
        "dials: +442079460101 (step counselling, try 1) -> completed",
        "call ends",
    ];
    let mut rest = transcript.as_str();
    for line in expected_order {
        let at = rest
            .find(line)
            .unwrap_or_else(|| panic!("{line:?} missing or out of order in:\n{transcript}"));
        rest = &rest[at + line.len()..];
    }
}

#[test]
fn serve_refuses_to_start_without_a_token() {
    let out = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env_remove("TWILIO_AUTH_TOKEN")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("TWILIO_AUTH_TOKEN"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn sign_prints_twilios_published_example_signature() {
    let out = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args([
            "sign",
            "--url",
            "https://mycompany.com/myapp.php?foo=1&bar=2",
        ])
        .args([
            "CallSid=CA1234567890ABCDE",
            "Caller=+14158675309",
            "Digits=1234",
            "From=+14158675309",
            "To=+18005551212",
        ])
        .env("TWILIO_AUTH_TOKEN", "12345")
        .output()
        .unwrap();
    assert_eq!(
        text(&out.stdout),
        "RSOYDt4T1cUTdK1PDd93/VVr8B8=\n",
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn check_insists_the_error_path_is_a_dial() {
    let dir = edited_flows("wellbeing.toml", |t| {
        t.replace("on_error = \"counselling\"", "on_error = \"main-menu\"")
    });
    let errors = check_errors(dir.path());
    assert!(
        errors.contains("error: `on_error` must name a dial step, not \"main-menu\""),
        "{errors}"
    );
}

#[test]
fn holidays_prints_a_divisions_days_as_csv_in_date_order() {
    let out = switchboard(&[
        "holidays",
        "--division",
        "northern-ireland",
        "--from",
        "2024",
        "--to",
        "2025",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "date,name");
    assert_eq!(lines.len(), 1 + 10 + 10, "{csv}");
    assert!(lines.contains(&"2024-03-18,St Patrick’s Day"), "{csv}");
    assert!(
        lines.contains(&"2025-07-14,Battle of the Boyne (Orangemen’s Day)"),
        "{csv}"
    );
    let mut sorted = lines[1..].to_vec();
    sorted.sort();
    assert_eq!(sorted, lines[1..]);
}

#[test]
fn holidays_refuses_unknown_divisions_and_years_outside_the_calendar() {
    let out = switchboard(&[
        "holidays",
        "--division",
        "wales",
        "--from",
        "2026",
        "--to",
        "2026",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("england-and-wales, scotland or northern-ireland"));
    let out = switchboard(&[
        "holidays",
        "--division",
        "scotland",
        "--from",
        "1960",
        "--to",
        "2026",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("covers 1970 to 2100"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn hours_says_when_the_line_opens_and_why_it_is_closed() {
    let dir = edited_flows("doctor-support.toml", |t| {
        t.replace(
            "closures = []",
            r#"closures = [{ date = "2026-12-24", reason = "the office is closed for Christmas Eve" }]"#,
        )
        .replace(
            "special_hours = []",
            r#"special_hours = [
                { date = "2026-12-30", hours = "09:00-12:00", reason = "the team meets to plan the year" },
                { date = "2026-12-31", hours = "10:00-13:00" },
            ]"#,
        )
    });
    let out = switchboard(&[
        "hours",
        "--line",
        "doctor-support",
        "--flows",
        dir.path().to_str().unwrap(),
        "--from",
        "2026-12-23T17:30:00Z",
        "--days",
        "9",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report = text(&out.stdout);
    let expected = "\
Doctor support line (doctor-support)

schedule doctor-support: Europe/London, bank holidays of england-and-wales
at Wed 2026-12-23 17:30 GMT: closed (outside opening hours)
next opening: Tuesday 29 December at 9am
Wed 2026-12-23  open 09:00-17:00
Thu 2026-12-24  closed all day: closure day, the office is closed for Christmas Eve
Fri 2026-12-25  closed all day: bank holiday, Christmas Day
Sat 2026-12-26  closed all day: weekend
Sun 2026-12-27  closed all day: weekend
Mon 2026-12-28  closed all day: bank holiday, Boxing Day (substitute day)
Tue 2026-12-29  open 09:00-17:00
Wed 2026-12-30  open 09:00-12:00 (special hours: the team meets to plan the year)
Thu 2026-12-31  open 10:00-13:00 (special hours)
";
    assert_eq!(report, expected);
}

#[test]
fn hours_of_a_line_without_hours_names_the_line_whose_hours_it_reports() {
    let state = tempfile::tempdir().unwrap();
    let out = switchboard(&[
        "hours",
        "--line",
        "wellbeing",
        "--flows",
        shipped_flows_dir().to_str().unwrap(),
        "--state-dir",
        state.path().to_str().unwrap(),
        "--from",
        "2026-12-23T17:30:00Z",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "\
Wellbeing support line (wellbeing)
no hours of its own: the line answers at all times
it tells callers whether the Doctor support line is open: see switchboard hours --line doctor-support
"
    );
}

#[test]
fn emergency_close_names_the_schedule_and_hours_reports_it() {
    let state = tempfile::tempdir().unwrap();
    let state_dir = state.path().to_str().unwrap();
    let flows = shipped_flows_dir();
    let flows = flows.to_str().unwrap();
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--flows", flows, "--state-dir", state_dir]);
        switchboard(&all)
    };
    let out = run(&["emergency", "close", "doctor-suport"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no schedule \"doctor-suport\""),
        "{}",
        text(&out.stderr)
    );
    let out = run(&[
        "emergency",
        "close",
        "doctor-support",
        "--note",
        "flooded office",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = run(&["emergency", "status"]);
    assert!(
        text(&out.stdout).contains("doctor-support: CLOSED since 20"),
        "{}",
        text(&out.stdout)
    );
    let out = run(&[
        "hours",
        "--line",
        "doctor-support",
        "--from",
        "2026-11-23T10:00:00Z",
        "--days",
        "1",
    ]);
    let report = text(&out.stdout);
    assert!(
        report.contains("at Mon 2026-11-23 10:00 GMT: closed (emergency closure)"),
        "{report}"
    );
    assert!(
        report.contains("EMERGENCY CLOSURE in force since 20"),
        "{report}"
    );
    assert!(report.contains("(flooded office)"), "{report}");
    let out = run(&["emergency", "open", "doctor-support"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = run(&["emergency", "open", "doctor-support"]);
    assert_eq!(out.status.code(), Some(2), "reopening twice is an error");
    let out = run(&[
        "hours",
        "--line",
        "doctor-support",
        "--from",
        "2026-11-23T10:00:00Z",
        "--days",
        "1",
    ]);
    assert!(
        text(&out.stdout).contains("10:00 GMT: open until 17:00"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn check_refuses_bad_closures_and_special_hours_without_follow_on_errors() {
    let dir = edited_flows("doctor-support.toml", |t| {
        t.replace(
            "closures = []",
            r#"closures = [{ date = "2026-12-24", reason = "closed" }, { date = "24/12/2026", reason = "x" }]"#,
        )
        .replace(
            "special_hours = []",
            r#"special_hours = [
  { date = "2026-12-24", hours = "09:00-12:00" },
  { date = "2026-12-28", hours = "10:00-12:00" },
  { date = "2026-12-30", hours = "12:00-10:00" },
]"#,
        )
    });
    let errors = check_errors(dir.path());
    let line = |needle: &str| {
        std::fs::read_to_string(dir.path().join("doctor-support.toml"))
            .unwrap()
            .lines()
            .position(|l| l.contains(needle))
            .unwrap()
            + 1
    };
    let closures = line("closures = [{");
    let (eve, boxing, bad) = (
        line("\"2026-12-24\", hours"),
        line("\"2026-12-28\""),
        line("12:00-10:00"),
    );
    assert_eq!(
        errors,
        format!(
            "DIR/doctor-support.toml:{closures}:66: error: \"24/12/2026\" is not a date like 2026-12-24
DIR/doctor-support.toml:{eve}:12: error: 2026-12-24 is both a closure and a day with special hours
DIR/doctor-support.toml:{boxing}:12: error: 2026-12-28 is a bank holiday (Boxing Day), and a bank holiday closes the line whatever its special hours say
DIR/doctor-support.toml:{bad}:34: error: \"12:00-10:00\" closes before it opens (a range cannot pass midnight)
"
        )
    );
}

#[test]
fn check_insists_an_hours_step_says_where_an_emergency_closure_goes() {
    let dir = edited_flows("doctor-support.toml", |t| {
        t.replace("emergency = \"closed-emergency\"\n", "")
    });
    let errors = check_errors(dir.path());
    assert!(
        errors.ends_with(
            ":8: error: an hours step needs `emergency`: the step callers go to while \
             `switchboard emergency close` has closed the schedule\n"
        ),
        "{errors}"
    );
}

#[test]
fn check_prints_warnings_but_passes_when_there_is_no_error() {
    let dir = edited_flows("doctor-support.toml", |t| {
        t.replacen(
            "invalid_say = \"Sorry, that isn't one of the choices.\"\n",
            "",
            1,
        )
    });
    let out = switchboard(&["check", "--flows", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stderr = text(&out.stderr).replace(dir.path().to_str().unwrap(), "DIR");
    assert!(
        stderr.starts_with("DIR/doctor-support.toml:")
            && stderr.contains(
                ": warning: menu \"offer-counselling\" asks again in silence after a wrong key"
            ),
        "{stderr}"
    );
    assert!(
        text(&out.stdout).contains("2 lines, 32 steps, 1 warning (version "),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn a_broken_bank_holiday_cache_is_reported_and_the_rules_still_answer() {
    let state = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let url = switchboard::store::DatabaseUrl::sqlite_in(state.path());
        let store = switchboard::store::Store::open(&url).await.unwrap();
        store
            .set_value(switchboard::store::legacy::FEED_CACHE, "not json")
            .await
            .unwrap();
    });
    let out = switchboard(&[
        "holidays",
        "--division",
        "scotland",
        "--from",
        "2026",
        "--to",
        "2026",
        "--state-dir",
        state.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("bank-holiday cache ignored"),
        "{}",
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains("2026-11-30,St Andrew’s Day"));
}

#[test]
fn serve_refuses_to_start_on_flows_with_errors_and_says_why() {
    let dir = edited_flows("wellbeing.toml", |t| {
        t.replacen("next = \"counselling\" }", "next = \"counseling\" }", 1)
    });
    let out = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(["--flows", dir.path().to_str().unwrap()])
        .env("TWILIO_AUTH_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr).replace(dir.path().to_str().unwrap(), "DIR");
    assert!(
        stderr.contains("the call flows in DIR have problems:"),
        "{stderr}"
    );
    assert!(
        stderr.contains("error: step \"counseling\" is not defined; did you mean \"counselling\"?"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("warning"),
        "errors are not logged as warnings: {stderr}"
    );
}

#[test]
fn simulate_hears_words_only_at_a_menu_that_listens_for_speech() {
    let dir = edited_flows("wellbeing.toml", |t| {
        t.replace(
            r#"{ key = "1", speech = ["counselling", "counseling", "counsellor", "counselor"], next = "counselling" },
  { key = "2", speech = ["peer support", "peer"], next = "peer-support" },
  { key = "3", speech = ["doctor support", "gmc", "investigation"], next = "doctor-support-info" },
  { key = "*", speech = ["repeat", "again"], next = "main-menu" },"#,
            r#"{ key = "1", next = "counselling" },
  { key = "2", next = "peer-support" },
  { key = "3", next = "doctor-support-info" },
  { key = "*", next = "main-menu" },"#,
        )
    });
    let out = switchboard(&[
        "simulate",
        "--flows",
        dir.path().to_str().unwrap(),
        "--to",
        "+443301231245",
        "--at",
        "2026-12-02T11:00:00Z",
        "--say",
        "one",
    ]);
    let transcript = text(&out.stdout);
    assert!(
        transcript
            .contains("> says \"one\", unheard: this menu takes keys only (step main-menu, try 1)")
            && transcript.contains("(step main-menu, try 2)"),
        "{transcript}"
    );
}

#[test]
fn every_command_reads_the_flows_from_switchboard_flows() {
    // A broken set named only by the variable: `check` and `simulate` must look there too.
    let dir = edited_flows("wellbeing.toml", |t| {
        t.replace("next = \"main-menu\"", "next = \"main-menu-typo\"")
    });
    for args in [
        vec!["check"],
        vec![
            "simulate",
            "--to",
            "+443301231245",
            "--at",
            "2026-12-02T11:00:00Z",
        ],
        vec!["graph", "--line", "wellbeing"],
    ] {
        let state = tempfile::tempdir().unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_switchboard"))
            .args(&args)
            .env("SWITCHBOARD_FLOWS", dir.path())
            .env("SWITCHBOARD_STATE_DIR", state.path())
            .output()
            .unwrap();
        assert_ne!(out.status.code(), Some(0), "{args:?}");
        assert!(
            text(&out.stderr).contains("main-menu-typo"),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn serve_help_names_the_token_and_every_flag_has_help() {
    let out = switchboard(&["serve", "--help"]);
    let help = text(&out.stdout);
    assert!(help.contains("TWILIO_AUTH_TOKEN"), "{help}");
    // Every option is followed, on its line or the next, by words saying what it is for.
    let lines: Vec<&str> = help.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let option = line.trim_start();
        if !option.starts_with("--") || option.starts_with("--help") {
            continue;
        }
        let inline = option.split_once("  ").map(|(_, rest)| rest.trim());
        let said = inline
            .filter(|words| !words.is_empty())
            .or_else(|| lines.get(i + 1).map(|next| next.trim()))
            .unwrap_or("");
        assert!(
            !said.is_empty() && !said.starts_with('-') && !said.starts_with('['),
            "no help for {line:?}"
        );
    }
}

#[test]
fn an_unknown_key_suggests_the_nearest_key_of_its_step_type() {
    let dir = edited_flows("wellbeing.toml", |t| {
        t.replacen("attempts = 3\n", "atempts = 3\n", 1)
    });
    let errors = check_errors(dir.path());
    assert!(
        errors.contains(": error: a menu step does not take `atempts`; did you mean \"attempts\"?"),
        "{errors}"
    );
    assert!(!errors.contains("expected one of"), "{errors}");
}

#[test]
fn a_file_that_does_not_parse_reports_its_own_errors_only() {
    let dir = edited_flows("wellbeing.toml", |t| {
        t.replacen("type = \"menu\"\n", "type = \"menu\n", 1)
    });
    let errors = check_errors(dir.path());
    assert_eq!(errors.lines().count(), 1, "{errors}");
    assert!(errors.starts_with("DIR/wellbeing.toml:"), "{errors}");
}

#[test]
fn simulate_takes_numbers_as_people_write_them_and_says_what_it_did_not_use() {
    let out = switchboard(&[
        "simulate",
        "--to",
        "020 7383 6707",
        "--at",
        "2026-12-02T19:00:00Z",
        "--press",
        "1",
        "--press",
        "5",
    ]);
    let transcript = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        transcript.starts_with("[Doctor support line]"),
        "{transcript}"
    );
    assert!(
        transcript.contains("not used: --press \"5\" (the call never came to it)"),
        "{transcript}"
    );
    // A number no line claims is refused, unless the default line is asked for.
    let unclaimed = [
        "simulate",
        "--to",
        "020 7946 0999",
        "--at",
        "2026-12-02T19:00:00Z",
    ];
    let out = switchboard(&unclaimed);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no line answers +442079460999"),
        "{}",
        text(&out.stderr)
    );
    let out = switchboard(&[&unclaimed[..], &["--default-line"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("[Wellbeing support line]"));
    // A connection outcome Twilio never sends is refused.
    let out = switchboard(&[
        "simulate",
        "--to",
        "0330 123 1245",
        "--at",
        "2026-12-02T19:00:00Z",
        "--dial",
        "bogus",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("invalid value 'bogus'"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn one_configuration_file_sets_the_directories_for_every_command() {
    let top = tempfile::tempdir().unwrap();
    let config_dir = top.path().join("etc");
    std::fs::create_dir_all(&config_dir).unwrap();
    // A copy of the flows with a broken file, named by the configuration, relative to it.
    let broken = edited_flows("wellbeing.toml", |t| {
        t.replace("next = \"main-menu\"", "next = \"main-menu-typo\"")
    });
    let flows = config_dir.join("flows");
    std::fs::create_dir_all(&flows).unwrap();
    for entry in std::fs::read_dir(broken.path()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), flows.join(entry.file_name())).unwrap();
    }
    let config = config_dir.join("switchboard.toml");
    std::fs::write(&config, "flows = \"flows\"\nstate-dir = \"state\"\n").unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_switchboard"))
            .args(args)
            .current_dir(top.path())
            .env("SWITCHBOARD_CONFIG", &config)
            .env_remove("SWITCHBOARD_FLOWS")
            .env_remove("SWITCHBOARD_STATE_DIR")
            .output()
            .unwrap()
    };
    let out = run(&["check"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("main-menu-typo"),
        "{}",
        text(&out.stderr)
    );
    let out = run(&["emergency", "status"]);
    let expected = config_dir.join("state").join("switchboard.db");
    assert!(
        text(&out.stdout).contains(&expected.display().to_string()),
        "{}",
        text(&out.stdout)
    );
    // A flag still wins over the file.
    let out = run(&["check", "--flows", shipped_flows_dir().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // A setting that does not exist is refused, with the nearest one.
    std::fs::write(&config, "flow = \"flows\"\n").unwrap();
    let out = run(&["check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr)
            .contains("switchboard.toml:1: `flow` is not a setting; did you mean \"flows\"?"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn check_prints_github_annotations_on_the_lines_of_the_findings() {
    let dir = edited_flows("wellbeing.toml", |t| {
        t.replacen("next = \"counselling\" }", "next = \"counseling\" }", 1)
    });
    let out = switchboard(&[
        "check",
        "--format",
        "github",
        "--flows",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let annotations = text(&out.stdout);
    let file = dir.path().join("wellbeing.toml");
    let expected = format!(
        "::error file={},line=",
        file.display().to_string().replace(':', "%3A")
    );
    assert!(annotations.starts_with(&expected), "{annotations}");
    assert!(
        annotations.contains("::step \"counseling\" is not defined; did you mean \"counselling\"?"),
        "{annotations}"
    );
}

#[tokio::test]
async fn healthcheck_says_whether_a_server_is_alive() {
    let state = tempfile::tempdir().unwrap();
    let server = crate::support::process::Server::start(state.path(), "2026-11-23T10:00:00Z", &[]);
    let alive = switchboard(&["healthcheck", &server.url("/healthz")]);
    assert_eq!(alive.status.code(), Some(0), "{}", text(&alive.stderr));
    let missing = switchboard(&["healthcheck", &server.url("/nothing-here")]);
    assert_eq!(missing.status.code(), Some(1));
    let address = crate::support::process::free_address();
    let nobody = switchboard(&["healthcheck", &format!("http://{address}/healthz")]);
    assert_eq!(nobody.status.code(), Some(1));
    assert!(!text(&nobody.stderr).is_empty());
}

#[test]
fn a_reader_that_goes_away_is_reported_not_a_panic() {
    // As `switchboard graph --line wellbeing | dot -Tsvg` where dot is not installed: the
    // reader is gone before the diagram is written. Every command writes its output the same
    // way; these are some of them.
    for args in [
        vec!["graph", "--line", "wellbeing"],
        vec![
            "hours",
            "--line",
            "doctor-support",
            "--state-dir",
            "/nonexistent/state",
        ],
        vec![
            "simulate",
            "--to",
            DOCTOR_SUPPORT,
            "--at",
            "2026-12-25T10:00:00Z",
        ],
        vec![
            "holidays",
            "--division",
            "scotland",
            "--from",
            "1970",
            "--to",
            "2100",
            "--state-dir",
            "/nonexistent/state",
        ],
    ] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
            .args(&args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(
            stderr.contains("the output was closed before all of it was written"),
            "{args:?}: {stderr}"
        );
    }
}

/// The README's text, for the tests that hold it to what the commands do.
fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

/// The arguments of the README's example that starts `prefix`, as a shell would split them.
fn readme_example(prefix: &str) -> Vec<String> {
    let readme = readme();
    let line = readme
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("the README has no example {prefix:?}"));
    let mut args = Vec::new();
    let mut quoted = false;
    let mut word = String::new();
    for c in line[prefix.len()..].chars() {
        match c {
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                if !word.is_empty() {
                    args.push(std::mem::take(&mut word));
                }
            }
            _ => word.push(c),
        }
    }
    args.extend((!word.is_empty()).then_some(word));
    args
}

#[test]
fn the_readmes_hours_example_is_what_hours_prints() {
    let args = readme_example("switchboard hours ");
    let out = switchboard(
        &[
            &["hours"][..],
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
            &["--state-dir", "/nonexistent/state"],
        ]
        .concat(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    let readme = readme();
    let shown = readme
        .split(&format!(
            "switchboard hours {}\n```\n\n```\n",
            args.join(" ")
        ))
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the README shows what hours prints");
    assert_eq!(shown, printed);
}

#[test]
fn the_readmes_simulate_example_uses_every_action_it_gives() {
    let args = readme_example("cargo run --release -- simulate ");
    let out = switchboard(
        &[
            &["simulate"][..],
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
        ]
        .concat(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    assert!(!printed.contains("not used"), "{printed}");
    assert!(printed.contains("> presses 1"), "{printed}");
}

#[test]
fn every_flag_of_every_command_is_in_the_readme() {
    let readme = readme();
    let commands: [&[&str]; 19] = [
        &["serve"],
        &["check"],
        &["simulate"],
        &["replay"],
        &["import"],
        &["holidays"],
        &["hours"],
        &["graph"],
        &["emergency", "close"],
        &["emergency", "open"],
        &["emergency", "status"],
        &["closures", "add"],
        &["closures", "list"],
        &["special-hours", "add"],
        &["admin", "add-user"],
        &["callbacks", "list"],
        &["callbacks", "done"],
        &["healthcheck"],
        &["sign"],
    ];
    let mut missing = Vec::new();
    for command in commands {
        let help = text(&switchboard(&[command, &["--help"]].concat()).stdout);
        let flags = help
            .split(|c: char| c.is_whitespace() || c == ',' || c == '=' || c == '[' || c == '<')
            .map(|w| w.trim_end_matches(|c: char| !(c.is_ascii_alphanumeric() || c == '-')))
            .filter(|w| w.starts_with("--") && w.len() > 2)
            .filter(|w| !["--help", "--version"].contains(w));
        for flag in flags {
            let written = readme.match_indices(flag).any(|(at, _)| {
                !readme[at + flag.len()..]
                    .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '-')
            });
            if !written {
                missing.push(format!("{} {flag}", command.join(" ")));
            }
        }
    }
    assert!(missing.is_empty(), "not in the README: {missing:?}");
}

#[test]
fn an_empty_auth_token_is_said_to_be_empty_not_unset() {
    let state = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["serve", "--state-dir", state.path().to_str().unwrap()])
        .env("TWILIO_AUTH_TOKEN", "")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = text(&out.stderr);
    assert!(
        said.contains("TWILIO_AUTH_TOKEN is set but empty"),
        "{said}"
    );
}

#[test]
fn healthcheck_with_no_server_says_the_connection_was_refused() {
    let nobody = crate::support::process::free_address();
    let out = switchboard(&["healthcheck", &format!("http://{nobody}/healthz")]);
    assert_eq!(out.status.code(), Some(1));
    let said = text(&out.stderr);
    assert!(said.contains("Connection refused"), "{said}");
}

#[test]
fn a_refused_postgresql_port_is_said_refused_once() {
    let nobody = crate::support::process::free_address();
    let url = format!("postgres://switchboard:s3cret@{nobody}/switchboard");
    let out = switchboard(&["emergency", "status", "--database", &url]);
    assert!(!out.status.success());
    let said = text(&out.stderr);
    assert!(said.contains("Connection refused"), "{said}");
    assert_eq!(said.matches("cannot be reached").count(), 1, "{said}");
    assert!(!said.contains("pool timed out"), "{said}");
    assert!(!said.contains("s3cret"), "{said}");
}

#[test]
fn a_malformed_database_value_never_shows_its_password() {
    let out = switchboard(&[
        "emergency",
        "status",
        "--database",
        "postgres//switchboard:s3cret@db/switchboard",
    ]);
    assert!(!out.status.success());
    let said = text(&out.stderr);
    assert!(said.contains("is not a database URL"), "{said}");
    assert!(!said.contains("s3cret"), "{said}");
}

#[test]
fn three_emergency_closes_at_once_on_a_new_state_directory_all_succeed() {
    for round in 0..5 {
        let state = tempfile::tempdir().unwrap();
        let closes: Vec<_> = (0..3)
            .map(|n| {
                Command::new(env!("CARGO_BIN_EXE_switchboard"))
                    .args(["emergency", "close", "doctor-support", "--note"])
                    .arg(format!("close {n}"))
                    .arg("--state-dir")
                    .arg(state.path())
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for close in closes {
            let out = close.wait_with_output().unwrap();
            assert!(out.status.success(), "round {round}: {}", text(&out.stderr));
        }
    }
}

#[test]
fn a_taken_over_closure_of_a_schedule_no_flow_has_is_flagged_by_status_and_can_be_cleared() {
    let state = tempfile::tempdir().unwrap();
    // A previous release's switch, closing a schedule the shipped flows no longer have.
    std::fs::write(
        state.path().join("emergency.toml"),
        "[counselling-old]\nnote = \"flood\"\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_switchboard"))
            .args(args)
            .arg("--state-dir")
            .arg(state.path())
            .args(["--flows", shipped_flows_dir().to_str().unwrap()])
            .output()
            .unwrap()
    };
    let status = run(&["emergency", "status"]);
    let said = text(&status.stdout);
    assert_eq!(status.status.code(), Some(1), "{said}");
    assert!(
        said.contains("counselling-old: held closed") && said.contains("it closes NOTHING"),
        "{said}"
    );
    assert!(!said.contains("counselling-old: CLOSED"), "{said}");
    // Ops can clear it, though no flow names it.
    let open = run(&["emergency", "open", "counselling-old"]);
    assert!(open.status.success(), "{}", text(&open.stderr));
    let status = run(&["emergency", "status"]);
    assert!(status.status.success(), "{}", text(&status.stdout));
    assert!(text(&status.stdout).contains("no emergency closures"));
}
