//! What callers hear and ops read, pinned with `insta` snapshots (in `snapshots/`): the TwiML
//! of the answers that matter most, through the router as Twilio gets them, and the CLI's
//! outputs. A change to any of them shows as a diff to review (`cargo insta review`, or
//! `INSTA_UPDATE=always cargo test` and `git diff`).

use std::process::Command;

use crate::support::*;

const WEEKDAY_MORNING: &str = "2026-12-02T11:00:00Z";
const WEEKDAY_EVENING: &str = "2026-12-02T19:00:00Z";
const CHRISTMAS_DAY: &str = "2026-12-25T12:00:00Z";

/// The latest answer, one element a line, attributes sorted.
fn pretty(call: &Call) -> String {
    call.twiml.pretty()
}

#[tokio::test]
async fn wellbeing_answers() {
    let app = app(WEEKDAY_MORNING);
    let call = Call::start(&app, WELLBEING).await;
    insta::assert_snapshot!("wellbeing_welcome", pretty(&call));

    let mut call = Call::start(&app, WELLBEING).await;
    call.silence().await;
    insta::assert_snapshot!("wellbeing_menu_after_silence", pretty(&call));

    let mut call = Call::start(&app, WELLBEING).await;
    call.press("1").await;
    insta::assert_snapshot!("wellbeing_counselling_dial", pretty(&call));
    call.dial_ends("busy").await;
    insta::assert_snapshot!("wellbeing_counselling_busy_retry", pretty(&call));
    call.dial_ends("no-answer").await;
    call.dial_ends("canceled").await;
    insta::assert_snapshot!("wellbeing_counsellors_unreachable", pretty(&call));

    let mut call = Call::start(&app, WELLBEING).await;
    call.say("peer support").await;
    insta::assert_snapshot!("wellbeing_peer_support", pretty(&call));
    call.press("5").await;
    insta::assert_snapshot!("wellbeing_privacy_notice", pretty(&call));
}

#[tokio::test]
async fn wellbeing_doctor_support_answers() {
    let mut call = Call::start(&app(WEEKDAY_MORNING), WELLBEING).await;
    call.press("3").await;
    insta::assert_snapshot!("wellbeing_doctor_support_open", pretty(&call));
    call.press("1").await;
    call.dial_ends("no-answer").await;
    call.dial_ends("no-answer").await;
    insta::assert_snapshot!("wellbeing_doctor_support_team_no_answer", pretty(&call));
    call.silence().await;
    call.silence().await;
    insta::assert_snapshot!(
        "wellbeing_doctor_support_no_choice_counsellor",
        pretty(&call)
    );

    let mut call = Call::start(&app(WEEKDAY_EVENING), WELLBEING).await;
    call.press("3").await;
    insta::assert_snapshot!("wellbeing_doctor_support_closed", pretty(&call));
}

#[tokio::test]
async fn doctor_support_answers() {
    let call = Call::start(&app(WEEKDAY_MORNING), DOCTOR_SUPPORT).await;
    insta::assert_snapshot!("doctor_support_open", pretty(&call));
    let mut call = Call::start(&app(WEEKDAY_EVENING), DOCTOR_SUPPORT).await;
    insta::assert_snapshot!("doctor_support_closed", pretty(&call));
    call.silence().await;
    call.silence().await;
    insta::assert_snapshot!("doctor_support_goodbye", pretty(&call));
    let call = Call::start(&app(CHRISTMAS_DAY), DOCTOR_SUPPORT).await;
    insta::assert_snapshot!("doctor_support_bank_holiday", pretty(&call));
}

#[tokio::test]
async fn the_fallback_answer() {
    let reply = post(
        &app(WEEKDAY_MORNING),
        "/fallback",
        &[("To", DOCTOR_SUPPORT), ("ErrorCode", "11200")],
        None,
    )
    .await;
    insta::assert_snapshot!("fallback", reply.twiml().pretty());
}

/// The command's standard output and error, as one text, with its exit status.
fn run(args: &[&str]) -> String {
    let state = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("SWITCHBOARD_STATE_DIR", state.path())
        .env_remove("SWITCHBOARD_FLOWS")
        .output()
        .expect("the binary runs");
    let all = format!(
        "exit: {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    );
    // The state directory is a new temporary one each run.
    all.replace(state.path().to_str().unwrap(), "STATE")
}

#[test]
fn cli_outputs() {
    insta::assert_snapshot!(
        "cli_simulate_wellbeing_to_doctor_support",
        run(&[
            "simulate",
            "--to",
            WELLBEING,
            "--at",
            WEEKDAY_MORNING,
            "--press",
            "3",
            "--press",
            "1",
            "--dial",
            "no-answer",
            "--dial",
            "no-answer",
        ])
    );
    insta::assert_snapshot!(
        "cli_hours_doctor_support_christmas",
        run(&[
            "hours",
            "--line",
            "doctor-support",
            "--from",
            "2026-12-21T00:00:00Z",
            "--days",
            "14",
        ])
    );
    insta::assert_snapshot!(
        "cli_holidays_england_2026",
        run(&[
            "holidays",
            "--division",
            "england-and-wales",
            "--from",
            "2026",
            "--to",
            "2026",
        ])
    );
    insta::assert_snapshot!("cli_emergency_status_none", run(&["emergency", "status"]));
}

#[test]
fn check_findings() {
    let dir = edited_flows("wellbeing.toml", |t| {
        format!(
            "{}\n[steps.bye]\ntype = \"hangup\"\nsay = \"Goodbye.\"\n",
            t.replace(
                "attempts = 3\nafter_attempts = \"no-choice\"",
                "attempts = 3\nafter_attempts = \"bye\"",
            )
        )
    });
    let out = run(&["check", "--flows", dir.path().to_str().unwrap()]);
    insta::assert_snapshot!(
        "cli_check_hang_up_before_a_person",
        out.replace(dir.path().to_str().unwrap(), "DIR")
    );
}
