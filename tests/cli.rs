//! The command line as ops and testers use it: `check` and `simulate`.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::*;

fn switchboard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A copy of the shipped flows with one file's text edited by `edit`.
fn edited_flows(file: &str, edit: impl Fn(&str) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in ["wellbeing.toml", "doctor-support.toml"] {
        let original = std::fs::read_to_string(shipped_flows_dir().join(name)).unwrap();
        let content = if name == file {
            edit(&original)
        } else {
            original
        };
        assert!(
            name != file
                || content != std::fs::read_to_string(shipped_flows_dir().join(name)).unwrap(),
            "the edit changed nothing"
        );
        std::fs::write(dir.path().join(name), content).unwrap();
    }
    dir
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
            && errors.contains("error: unknown field `ring_secs`"),
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
        "hears: Thank you for calling the wellbeing support line",
        "> says \"peer support\" (step main-menu, try 1)",
        "> presses 9 (step peer-support, try 1)",
        "hears: Our privacy notice.",
        "dials: +442079460102 (step peer-support-connect, try 1) -> busy",
        "dials: +442079460102 (step peer-support-connect, try 2) -> no-answer",
        "hears: We're sorry: nobody in peer support",
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
