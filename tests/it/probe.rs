//! `switchboard probe` from outside: against a running server every line reaches a person;
//! a wrong token and no server each fail, naming the line, the step and why; and a probe is
//! never counted as a call.

use std::process::{Command, Output};

use crate::support::process::{Server, free_address};
use crate::support::*;

fn probe(public_url: &str, token: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["probe", "--public-url", public_url, "--within", "5s"])
        .args(["--flows", "call-flows"])
        .env("TWILIO_AUTH_TOKEN", token)
        .env_remove("SWITCHBOARD_FLOWS")
        .output()
        .expect("the binary runs")
}

/// Saturday 5 December 2026: the Doctor support line is closed, so its probe goes through the
/// closed message's counselling offer.
const SATURDAY: &str = "2026-12-05T14:00:00Z";
/// Monday 7 December 2026, 10:00: it is open, and puts the caller through to its team.
const MONDAY: &str = "2026-12-07T10:00:00Z";

#[test]
fn every_line_reaches_a_person_through_a_running_server_and_no_probe_counts_as_a_call() {
    for (now, doctor_support) in [
        (
            SATURDAY,
            "doctor-support: put through to +442079460101 at wellbeing/counselling",
        ),
        (
            MONDAY,
            "doctor-support: put through to +442079460103 at doctor-support/team",
        ),
    ] {
        let state = tempfile::tempdir().unwrap();
        let server = Server::start(state.path(), now, &[]);
        let out = probe(&server.url(""), TOKEN);
        let said = text(&out.stdout);
        assert!(out.status.success(), "{said}{}", text(&out.stderr));
        assert!(
            said.contains(
                "ok      wellbeing: put through to +442079460101 at wellbeing/counselling"
            ),
            "{said}"
        );
        assert!(said.contains(doctor_support), "{said}");
        // Answered, but never counted as a call: no call metric and no record for reports.
        let metrics = tokio_free_get(&server.url("/metrics"));
        assert!(!metrics.contains("switchboard_calls_total{"), "{metrics}");
        assert!(
            !metrics.contains("switchboard_webhooks_total{"),
            "{metrics}"
        );
        let report = Command::new(env!("CARGO_BIN_EXE_switchboard"))
            .args([
                "report",
                "--from",
                "2026-12-01",
                "--to",
                "2026-12-31",
                "--format",
                "json",
            ])
            .args(["--state-dir", state.path().to_str().unwrap()])
            .env_remove("SWITCHBOARD_DATABASE_URL")
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
        for line in report.as_array().unwrap() {
            assert_eq!(line["calls"], 0, "{line:#}");
        }
    }
}

#[test]
fn a_wrong_token_fails_naming_the_line_the_step_and_the_token() {
    let state = tempfile::tempdir().unwrap();
    let server = Server::start(state.path(), SATURDAY, &[]);
    let out = probe(&server.url(""), "not the servers' token");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let said = text(&out.stderr);
    assert!(
        said.contains("FAILED  wellbeing: at start: HTTP 403"),
        "{said}"
    );
    assert!(
        said.contains("is TWILIO_AUTH_TOKEN the servers' token"),
        "{said}"
    );
    assert!(
        said.contains("FAILED  doctor-support: at start: HTTP 403"),
        "{said}"
    );
}

#[test]
fn no_server_fails_saying_the_connection_was_refused() {
    let nobody = format!("http://{}", free_address());
    let out = probe(&nobody, TOKEN);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let said = text(&out.stderr);
    assert!(
        said.contains("FAILED  wellbeing: at start: no answer: Connection refused"),
        "{said}"
    );
}

/// A plain GET, with no runtime: the probe's own process is blocking too.
fn tokio_free_get(url: &str) -> String {
    switchboard::outbound::blocking_client()
        .build()
        .unwrap()
        .get(url)
        .send()
        .unwrap()
        .text()
        .unwrap()
}
