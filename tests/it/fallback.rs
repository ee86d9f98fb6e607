//! The document for a number's fallback URL (`switchboard fallback`), for when no server of
//! ours can answer: made from the flows, it puts the caller through to the number the flows
//! dial when something goes wrong, needs no server (no URL in it), and `check` refuses flows
//! whose fallback would not reach a person who is always there.

use std::process::{Command, Output};

use crate::support::*;
use switchboard::twiml::tree;

fn switchboard(args: &[&str]) -> Output {
    let state = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(args)
        .env("SWITCHBOARD_STATE_DIR", state.path())
        .env_remove("SWITCHBOARD_FLOWS")
        .output()
        .expect("the binary runs")
}

/// The fallback document for `number`, from the flows in `flows`.
fn fallback(flows: &str, number: &str) -> String {
    let out = switchboard(&["fallback", "--to", number, "--flows", flows]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn each_lines_fallback_dials_the_24_7_number_and_needs_no_server() {
    for number in [WELLBEING, DOCTOR_SUPPORT] {
        let document = fallback("call-flows", number);
        let doc = tree::parse(&document).unwrap_or_else(|e| panic!("{number}: {e}"));
        let verbs: Vec<&str> = doc.elements().map(|e| e.name.as_str()).collect();
        assert_eq!(verbs, ["Say", "Dial", "Say", "Hangup"], "{document}");
        let dial = doc.elements().find(|e| e.name == "Dial").unwrap();
        assert_eq!(dial.text().trim(), COUNSELLING, "{document}");
        // Nothing to come back to: no action, no redirect, no URL of any server.
        assert_eq!(dial.attribute("action"), None, "{document}");
        assert!(!document.contains("http"), "{document}");
        assert!(!document.contains("/voice"), "{document}");
        // The caller who was not put through hears the number to ring.
        assert!(document.contains("020 7946 0101"), "{document}");
    }
}

#[test]
fn the_fallback_follows_the_number_the_flows_dial() {
    let moved = "+442079460999";
    let flows = edited_flows("wellbeing.toml", |text| text.replace(COUNSELLING, moved));
    let document = fallback(flows.path().to_str().unwrap(), DOCTOR_SUPPORT);
    assert!(
        document.contains(&format!("<Number>{moved}</Number>")),
        "{document}"
    );
    assert!(!document.contains(COUNSELLING), "{document}");
}

#[test]
fn a_number_no_line_answers_is_refused_with_the_numbers_there_are() {
    let out = switchboard(&["fallback", "--to", "+441632960000", "--flows", "call-flows"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    let said = text(&out.stderr);
    assert!(said.contains("no line answers \"+441632960000\""), "{said}");
    assert!(said.contains(&format!("{WELLBEING} (wellbeing)")), "{said}");
}

#[test]
fn check_warns_of_flows_whose_fallback_reaches_no_line_open_around_the_clock() {
    // Doctor support's on_error pointed at its own team, who work office hours: its fallback
    // would put callers through to nobody at night.
    let flows = edited_flows("doctor-support.toml", |text| {
        text.replace(
            "on_error = \"wellbeing/counselling\"",
            "on_error = \"team\"",
        )
    });
    let out = switchboard(&["check", "--flows", flows.path().to_str().unwrap()]);
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(
        said.contains("warning: line \"doctor-support\"'s fallback document, for when no server answers, puts callers through to line \"doctor-support\", which is not open around the clock"),
        "{said}"
    );
    // The shipped flows: no such warning.
    let shipped = switchboard(&["check", "--flows", "call-flows"]);
    let said = format!("{}{}", text(&shipped.stdout), text(&shipped.stderr));
    assert!(shipped.status.success(), "{said}");
    assert!(!said.contains("fallback document"), "{said}");
}
