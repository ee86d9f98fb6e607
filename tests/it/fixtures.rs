//! The recorded calls in `fixtures/calls/`: they replay green on the shipped flows, reach every
//! step and branch, fail by name when a flow changes, and a call recorded by `serve --record`
//! replays green with nothing identifying the caller in it.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use crate::support::process::Server;
use crate::support::*;
use switchboard::calendar::BankHolidays;
use switchboard::fixture::coverage::Coverage;
use switchboard::fixture::record::FAKE_CALLER;
use switchboard::fixture::replay::{self, Target, Verdict};
use switchboard::fixture::{self, Fixture};
use switchboard::flow::Flows;

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(fixture::DEFAULT_DIR)
}

fn fixture_files() -> Vec<PathBuf> {
    fixture::files(&[fixtures_dir()]).unwrap()
}

/// Replays every shipped fixture in process: (file name, verdict) for each.
fn replay_all(flows: &Flows, coverage: Option<&mut Coverage>) -> Vec<(String, Verdict)> {
    let holidays = BankHolidays::builtin();
    let target = Target::InProcess {
        flows,
        holidays: &holidays,
    };
    let mut reports = Vec::new();
    replay::replay_files(&fixture_files(), &target, coverage, |report| {
        let name = report
            .path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        reports.push((name, report.verdict));
    });
    reports
}

fn switchboard(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .envs(env.iter().copied())
        .output()
        .expect("the binary runs")
}

#[test]
fn every_fixture_replays_green_and_together_they_reach_every_step_and_branch() {
    let flows = shipped_flows();
    let mut coverage = Coverage::default();
    let reports = replay_all(&flows, Some(&mut coverage));
    assert!(reports.len() >= 30, "only {} fixtures", reports.len());
    let failures: Vec<String> = reports
        .iter()
        .filter(|(_, v)| !matches!(v, Verdict::Passed { .. }))
        .map(|(name, v)| format!("{name}: {v:?}"))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let lines = coverage.lines(&flows);
    assert_eq!(lines.len(), flows.lines.len());
    for line in lines {
        assert!(line.is_complete(), "{line}");
        assert!(line.steps > 5 && line.branches > line.steps, "{line}");
    }
}

#[test]
fn the_fixtures_cover_the_tricky_instants() {
    let names: Vec<String> = fixture_files()
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    for needed in [
        "open-at-0900",
        "closed-at-0859",
        "closed-at-1700",
        "open-at-165959",
        "dst-spring",
        "dst-autumn",
        "good-friday",
        "easter-monday",
        "substitute",
        "one-off",
        "closure-day",
        "emergency",
        "silence",
        "invalid",
        "say-",
        "busy",
        "no-answer",
    ] {
        assert!(
            names.iter().any(|n| n.contains(needed)),
            "no fixture for {needed}"
        );
    }
}

#[test]
fn a_changed_destination_fails_naming_the_fixture_and_the_exchange() {
    let sources = shipped_sources("wellbeing.toml", |t| {
        t.replace("+442079460101", "+442079460199")
    });
    let flows = switchboard::check::load_sources(&sources).unwrap();
    let reports = replay_all(&flows, None);
    let (_, verdict) = reports
        .iter()
        .find(|(name, _)| name == "wellbeing-press-1-counselling.toml")
        .unwrap();
    let Verdict::Differs(differences) = verdict else {
        panic!("{verdict:?}")
    };
    assert_eq!(differences.len(), 1, "{differences:?}");
    let difference = &differences[0];
    assert_eq!(difference.exchange, Some(2));
    assert_eq!(
        difference.about,
        "/voice/wellbeing/main-menu?attempt=1 (Digits=\"1\")"
    );
    assert!(
        difference
            .detail
            .contains("-    <Number>+442079460101</Number>")
            && difference
                .detail
                .contains("+    <Number>+442079460199</Number>")
            && difference.detail.contains("-dials: +442079460101")
            && difference.detail.contains("+dials: +442079460199"),
        "{}",
        difference.detail
    );
    // Only calls that reach counselling differ; peer support alone still passes.
    let passed = |name: &str| {
        reports
            .iter()
            .any(|(n, v)| n == name && matches!(v, Verdict::Passed { .. }))
    };
    assert!(passed("wellbeing-press-2-peer-support.toml"));
    assert!(passed("doctor-support-open-monday.toml"));
}

#[test]
fn a_changed_message_fails_through_the_command_with_a_readable_diff() {
    let flows = edited_flows("doctor-support.toml", |t| {
        t.replace("so we are closed.", "so the office is shut.")
    });
    let out = switchboard(&["replay", "--flows", flows.path().to_str().unwrap()], &[]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(
            "DIFFERS  fixtures/calls/doctor-support-good-friday.toml\n  exchange 1: /voice\n"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("-      Thank you for calling Doctor support. Today is a bank holiday, Good Friday, so we are closed.")
            && stdout.contains("+      Thank you for calling Doctor support. Today is a bank holiday, Good Friday, so the office is shut."),
        "{stdout}"
    );
    // Calls on days that are not holidays never hear that sentence.
    assert!(stdout.contains("ok       fixtures/calls/doctor-support-closed-at-1700.toml"));
    let total = fixture_files().len();
    let holidays = stdout.matches("DIFFERS").count();
    assert!(holidays >= 6, "{stdout}");
    assert!(
        stdout.ends_with(&format!(
            "{total} fixtures: {} passed, {holidays} differ, 0 broken\n",
            total - holidays
        )),
        "{stdout}"
    );
}

#[test]
fn update_rewrites_the_answers_and_keeps_the_testers_comments() {
    let dir = tempfile::tempdir().unwrap();
    let name = "doctor-support-closed-at-1700.toml";
    let copy = dir.path().join(name);
    std::fs::copy(fixtures_dir().join(name), &copy).unwrap();
    let flows = edited_flows("doctor-support.toml", |t| {
        t.replace("\"+442079460103\"", "\"+442079460177\"")
            .replace("We are closed now,", "We are closed at the moment,")
    });
    let flows = flows.path().to_str().unwrap();
    let copy_arg = copy.to_str().unwrap();
    let first = switchboard(&["replay", copy_arg, "--flows", flows], &[]);
    assert_eq!(first.status.code(), Some(1), "{}", text(&first.stdout));
    let updated = switchboard(&["replay", copy_arg, "--flows", flows, "--update"], &[]);
    assert_eq!(updated.status.code(), Some(0), "{}", text(&updated.stdout));
    assert!(text(&updated.stdout).contains("1 updated"));
    let again = switchboard(&["replay", copy_arg, "--flows", flows], &[]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stdout));
    let rewritten = std::fs::read_to_string(&copy).unwrap();
    let original = std::fs::read_to_string(fixtures_dir().join(name)).unwrap();
    assert!(
        rewritten.starts_with("# 17:00:00 exactly is closed"),
        "{rewritten}"
    );
    assert!(rewritten.contains("We are closed at the moment,"));
    // The facts a tester wrote by hand are kept, and still checked.
    assert!(rewritten.contains("next = \"/voice/doctor-support/offer-counselling?attempt=1\""));
    // Only the changed sentence changed.
    let changed: Vec<(&str, &str)> = original
        .lines()
        .zip(rewritten.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert_eq!(original.lines().count(), rewritten.lines().count());
}

#[test]
fn a_broken_fixture_is_reported_with_its_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let good =
        std::fs::read_to_string(fixtures_dir().join("doctor-support-open-monday.toml")).unwrap();
    let bad = good.replace("path = \"/voice\"", "path = \"/elsewhere\"");
    let line = bad.lines().position(|l| l.contains("/elsewhere")).unwrap() + 1;
    std::fs::write(dir.path().join("bad.toml"), bad).unwrap();
    std::fs::write(dir.path().join("good.toml"), good).unwrap();
    let out = switchboard(&["replay", dir.path().to_str().unwrap()], &[]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let file = dir.path().join("bad.toml");
    assert!(
        stdout.contains(&format!(
            "BROKEN   {}:{line}: path \"/elsewhere\" is not a voice webhook's",
            file.display()
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("2 fixtures: 1 passed, 0 differ, 1 broken"),
        "{stdout}"
    );
}

#[test]
fn coverage_names_what_the_fixtures_never_reach() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "wellbeing-press-1-counselling.toml",
        "doctor-support-open-monday.toml",
    ] {
        std::fs::copy(fixtures_dir().join(name), dir.path().join(name)).unwrap();
    }
    let out = switchboard(&["replay", "--coverage", dir.path().to_str().unwrap()], &[]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("doctor-support (Doctor support line): 3 of 17 steps reached"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  never reached: closed-holiday\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "  never taken: doctor-support/office-hours → doctor-support/closed-holiday (bank holiday)\n"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("  never taken: wellbeing/counselling → itself (no connection: tries again (3 tries in all))\n"),
        "{stdout}"
    );
    let all = switchboard(&["replay", "--coverage"], &[]);
    let stdout = text(&all.stdout);
    assert!(
        stdout.contains("doctor-support (Doctor support line): 17 of 17 steps reached, 31 of 31 branches taken\n")
            && stdout.contains("wellbeing (Wellbeing support line): 15 of 15 steps reached, 36 of 36 branches taken\n"),
        "{stdout}"
    );
}

/// A call as Twilio sends it, with everything a real one carries that identifies the caller.
const REAL_CALLER: &str = "+447911123456";
const REAL_SID: &str = "CAa1b2c3d4e5f60718293a4b5c6d7e8f90";

fn real_params<'a>(to: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut params = vec![
        ("AccountSid", "ACf00df00df00df00df00df00df00df00d"),
        ("ApiVersion", "2010-04-01"),
        ("CallSid", REAL_SID),
        ("CallStatus", "in-progress"),
        ("Called", to),
        ("Caller", REAL_CALLER),
        ("CallerCity", "LEEDS"),
        ("CallerName", "DR A PATIENT"),
        ("CallerZip", "LS1 4AP"),
        ("Direction", "inbound"),
        ("From", REAL_CALLER),
        ("FromCity", "LEEDS"),
        ("To", to),
    ];
    params.extend_from_slice(extra);
    params
}

#[tokio::test]
async fn a_recorded_call_replays_green_with_nothing_identifying_the_caller() {
    let state = tempfile::tempdir().unwrap();
    let recorded = tempfile::tempdir().unwrap();
    let dir = recorded.path().to_str().unwrap();
    let server = Server::start(state.path(), "2026-11-23T19:30:00Z", &["--record", dir]);
    // Doctor support information (closed), then counselling by speech, then a busy counsellor.
    let steps: [(&str, Vec<(&str, &str)>); 5] = [
        ("/voice", vec![]),
        (
            "/voice/wellbeing/main-menu?attempt=1",
            vec![("Digits", "3")],
        ),
        (
            "/voice/wellbeing/main-menu?attempt=1",
            vec![
                (
                    "SpeechResult",
                    "It's Dr Jane Smith, I'd like counselling please",
                ),
                ("Confidence", "0.91"),
            ],
        ),
        (
            "/voice/wellbeing/counselling?attempt=1",
            vec![
                ("DialCallStatus", "busy"),
                ("DialCallSid", "CAffffffffffffffffffffffffffffffff"),
            ],
        ),
        (
            "/voice/wellbeing/counselling?attempt=2",
            vec![("DialCallStatus", "completed")],
        ),
    ];
    for (i, (path, extra)) in steps.iter().enumerate() {
        let params = real_params(WELLBEING, extra);
        // One webhook by GET, its parameters in the URL, as a number set to GET sends them.
        let (status, body) = if i == 1 {
            let query = form(&params);
            server.get_signed(&format!("{path}&{query}")).await
        } else {
            server.post(path, &params).await
        };
        assert_eq!(status, 200, "{body}");
    }
    // The last answer hung up: the call is written within moments, off the request path.
    let files = written_within(recorded.path(), Duration::from_secs(5));
    assert_eq!(files.len(), 1, "{}", server.logs());
    let written = std::fs::read_to_string(&files[0]).unwrap();
    for secret in [
        REAL_CALLER,
        "7911123456",
        REAL_SID,
        "Jane",
        "Smith",
        "LEEDS",
        "LS1",
        "PATIENT",
        "f00df00d",
        "0.91",
        "CAffff",
    ] {
        assert!(
            !written.contains(secret),
            "{secret} is in the fixture:\n{written}"
        );
    }
    assert!(written.contains(FAKE_CALLER), "{written}");
    let fixture = Fixture::read(&files[0]).unwrap();
    assert_eq!(fixture.line, "wellbeing");
    assert_eq!(fixture.exchanges.len(), 5);
    assert_eq!(fixture.exchanges[2].params["SpeechResult"], "counselling");
    assert!(
        files[0]
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("wellbeing-2026-11-23T19-30-00Z")
    );
    // It replays green, in process, with the shipped flows.
    let out = switchboard(&["replay", files[0].to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("1 fixtures: 1 passed"));
    // And it says what the caller heard at 19:30: the Doctor support line closed.
    assert!(
        written.contains("It opens again on Tuesday")
            && written.contains("<say-as interpret-as=\"ordinal\">24</say-as>")
            && written.contains("November at 9am."),
        "{written}"
    );
}

/// The fixtures in `dir`, once there is one (or when `within` has passed).
fn written_within(dir: &std::path::Path, within: Duration) -> Vec<std::path::PathBuf> {
    let deadline = std::time::Instant::now() + within;
    loop {
        let files = fixture::files(&[dir.to_owned()]).unwrap();
        if !files.is_empty() || std::time::Instant::now() > deadline {
            return files;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn a_flooded_call_is_recorded_only_up_to_its_cap() {
    use switchboard::fixture::record::MAX_EXCHANGES_PER_CALL;
    let state = tempfile::tempdir().unwrap();
    let recorded = tempfile::tempdir().unwrap();
    let dir = recorded.path().to_str().unwrap();
    let server = Server::start(state.path(), "2026-11-23T10:00:00Z", &["--record", dir]);
    let (status, _) = server.post("/voice", &real_params(WELLBEING, &[])).await;
    assert_eq!(status, 200);
    // The same menu, over and over: far more webhooks than any call needs.
    for _ in 0..MAX_EXCHANGES_PER_CALL + 50 {
        let params = real_params(WELLBEING, &[("Digits", "*")]);
        let (status, _) = server
            .post("/voice/wellbeing/main-menu?attempt=1", &params)
            .await;
        assert_eq!(status, 200);
    }
    let params = real_params(WELLBEING, &[("DialCallStatus", "completed")]);
    let (status, body) = server
        .post("/voice/wellbeing/counselling?attempt=1", &params)
        .await;
    assert!(status == 200 && body.contains("<Hangup"), "{body}");
    let files = written_within(recorded.path(), Duration::from_secs(5));
    assert_eq!(files.len(), 1, "{}", server.logs());
    let fixture = Fixture::read(&files[0]).unwrap();
    assert_eq!(fixture.exchanges.len(), MAX_EXCHANGES_PER_CALL);
    assert!(
        server.logs().contains("only the first are kept"),
        "{}",
        server.logs()
    );
}

#[tokio::test]
async fn calls_still_going_when_the_server_stops_are_written_too() {
    let state = tempfile::tempdir().unwrap();
    let recorded = tempfile::tempdir().unwrap();
    let dir = recorded.path().to_str().unwrap();
    let mut server = Server::start(state.path(), "2026-11-23T10:00:00Z", &["--record", dir]);
    let (status, _) = server
        .post("/voice", &real_params(DOCTOR_SUPPORT, &[]))
        .await;
    assert_eq!(status, 200);
    assert!(
        fixture::files(&[recorded.path().to_owned()])
            .unwrap()
            .is_empty()
    );
    let status = server
        .terminate(Duration::from_secs(10))
        .expect("serve stops on SIGTERM");
    assert!(status.success(), "{}", server.logs());
    let files = fixture::files(&[recorded.path().to_owned()]).unwrap();
    assert_eq!(files.len(), 1, "{}", server.logs());
    let out = switchboard(&["replay", files[0].to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[test]
fn the_fixtures_replay_green_against_a_running_server() {
    let state = tempfile::tempdir().unwrap();
    // A clock that is none of the fixtures' instants: each request pins its own.
    let server = Server::start(
        state.path(),
        "2030-07-01T12:00:00Z",
        &["--accept-pinned-instants"],
    );
    let url = format!("http://{}", server.address);
    let out = switchboard(
        &["replay", "--against", &url],
        &[("TWILIO_AUTH_TOKEN", TOKEN)],
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", server.logs());
    // Those that set the emergency switch, closure days, special hours, or what the store holds.
    let skipped = stdout.matches("skipped  ").count();
    assert_eq!(skipped, 9, "{stdout}");
    let total = fixture_files().len();
    assert!(
        stdout.ends_with(&format!(
            "{total} fixtures: {} passed, 0 differ, 0 broken, 9 skipped\n",
            total - 9
        )),
        "{stdout}"
    );
    // Without --accept-pinned-instants the server keeps its own clock, and the replay says
    // which answers depend on the moment.
    let plain = Server::start(state.path(), "2030-07-01T12:00:00Z", &[]);
    let url = format!("http://{}", plain.address);
    let out = switchboard(
        &["replay", "--against", &url],
        &[("TWILIO_AUTH_TOKEN", TOKEN)],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("DIFFERS  fixtures/calls/doctor-support-closed-at-1700.toml")
    );
}

#[test]
fn a_wrong_token_is_a_difference_not_a_crash() {
    let state = tempfile::tempdir().unwrap();
    let server = Server::start(state.path(), "2026-11-23T10:00:00Z", &[]);
    let url = format!("http://{}", server.address);
    let file = fixtures_dir().join("doctor-support-open-monday.toml");
    let out = switchboard(
        &["replay", "--against", &url, file.to_str().unwrap()],
        &[("TWILIO_AUTH_TOKEN", "not-the-token")],
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("HTTP 403 Forbidden"), "{stdout}");
}

#[tokio::test]
async fn a_recorded_call_that_asked_for_a_call_back_is_not_written() {
    let state = tempfile::tempdir().unwrap();
    let recorded = tempfile::tempdir().unwrap();
    let dir = recorded.path().to_str().unwrap();
    // Saturday: the Doctor support line is closed, and offers a call back.
    let mut server = Server::start_with_env(
        state.path(),
        "2026-12-05T14:00:00Z",
        &["--record", dir],
        &[("RUST_LOG", "info")],
    );
    let asked = [
        ("/voice", vec![]),
        (
            "/voice/doctor-support/offer-counselling?attempt=1",
            vec![("Digits", "2")],
        ),
        (
            "/voice/doctor-support/call-back?attempt=1",
            vec![("Digits", "1")],
        ),
    ];
    for (path, extra) in &asked {
        let (status, body) = server.post(path, &real_params(DOCTOR_SUPPORT, extra)).await;
        assert_eq!(status, 200, "{body}");
    }
    // Another call, which is written.
    let mut other = real_params(WELLBEING, &[]);
    for (name, value) in &mut other {
        if *name == "CallSid" {
            *value = "CAbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
        }
    }
    let (status, _) = server.post("/voice", &other).await;
    assert_eq!(status, 200);
    let status = server
        .terminate(Duration::from_secs(10))
        .expect("serve stops on SIGTERM");
    assert!(status.success(), "{}", server.logs());
    let files = fixture::files(&[recorded.path().to_owned()]).unwrap();
    assert_eq!(files.len(), 1, "{}", server.logs());
    let written = std::fs::read_to_string(&files[0]).unwrap();
    assert!(written.contains("line = \"wellbeing\""), "{written}");
    assert!(
        server.logs().contains("asked for a call back: not written"),
        "{}",
        server.logs()
    );
}
