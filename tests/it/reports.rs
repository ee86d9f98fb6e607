//! Reports for coordinators: known calls played through two servers sharing one store, each
//! webhook of a call to either server, at pinned instants in GMT and in BST and across an hour
//! boundary, with their connections' results and Twilio's status callbacks; the report's every
//! figure, as JSON and as CSV, is the known one.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::process::{Server, menu_action};
use crate::support::*;

/// A caller's own number (in the numbering plan, so a call back can be taken for it).
const OWN: &str = "+447911123456";
/// The servers' own clock: when the team is asked to call back (the request is kept then).
/// Before the calls' days, so that no server sums those days up while they are played (a
/// server sums up a day two days after it, when no record of it is still to come).
const SERVER_NOW: &str = "2026-06-01T08:00:00Z";

struct Replica {
    server: Server,
    _state: tempfile::TempDir,
}

fn replica(database: &str) -> Replica {
    let state = tempfile::tempdir().unwrap();
    let server = Server::start_in(
        &shipped_flows_dir(),
        state.path(),
        SERVER_NOW,
        &["--database", database, "--accept-pinned-instants"],
        &[("RUST_LOG", "warn")],
    );
    Replica {
        server,
        _state: state,
    }
}

/// One call as Twilio makes it: each webhook to the server given, at the instant given.
struct Call<'a> {
    sid: String,
    to: &'static str,
    /// Where the call's next webhook goes: its latest answer's action.
    next: String,
    servers: [&'a Server; 2],
}

impl<'a> Call<'a> {
    async fn start(
        servers: [&'a Server; 2],
        number: u32,
        to: &'static str,
        on: usize,
        at: &str,
    ) -> Call<'a> {
        let mut call = Call {
            sid: format!("CA{number:032x}"),
            to,
            next: "/voice".to_owned(),
            servers,
        };
        call.webhook(on, at, &[]).await;
        call
    }

    /// Sends the call's next webhook (with `params`) to server `on` at `at`: the answer.
    async fn webhook(&mut self, on: usize, at: &str, params: &[(&str, &str)]) -> String {
        let mut all = vec![
            ("CallSid", self.sid.as_str()),
            ("From", OWN),
            ("To", self.to),
            ("SwitchboardPinnedInstant", at),
        ];
        all.extend_from_slice(params);
        let (status, twiml) = self.servers[on].post(&self.next, &all).await;
        assert_eq!(status, 200, "{twiml}");
        if twiml.contains("action=\"") {
            self.next = menu_action(&twiml);
        }
        twiml
    }

    /// Twilio's status callback when the call ends.
    async fn ended(&self, on: usize, duration: &str) {
        let params = [
            ("CallSid", self.sid.as_str()),
            ("From", OWN),
            ("To", self.to),
            ("CallStatus", "completed"),
            ("CallDuration", duration),
        ];
        let (status, body) = self.servers[on].post("/status", &params).await;
        assert_eq!(status, 200, "{body}");
    }
}

/// `switchboard ARGS` on the shared store: its output, having succeeded.
fn switchboard(database: &str, args: &[&str]) -> String {
    let state = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(args)
        .args(["--state-dir", state.path().to_str().unwrap()])
        .args(["--database", database])
        .env_remove("SWITCHBOARD_FLOWS")
        .env_remove("SWITCHBOARD_DATABASE_URL")
        .output()
        .expect("the binary runs");
    assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
    text(&out.stdout)
}

fn report_json(database: &str) -> serde_json::Value {
    let args = [
        "report",
        "--from",
        "2026-06-01",
        "--to",
        "2026-12-31",
        "--format",
        "json",
    ];
    serde_json::from_str(&switchboard(database, &args)).unwrap()
}

/// Plays the known calls: what each must add to the report is said beside it.
async fn play_known_calls(servers: [&Server; 2]) {
    // A. Wellbeing, Wednesday 2 December 2026 (GMT), 09:59:50: starts on one server, presses 1
    // on the other after 10:00 (the hour is the start's), a counsellor answers 70 s after the
    // start and talks 300 s; Twilio says it ended after 370 s.
    let mut a = Call::start(servers, 1, WELLBEING, 0, "2026-12-02T09:59:50Z").await;
    let dialling = a
        .webhook(1, "2026-12-02T10:00:05Z", &[("Digits", "1")])
        .await;
    assert!(dialling.contains(COUNSELLING), "{dialling}");
    let connected = [("DialCallStatus", "completed"), ("DialCallDuration", "300")];
    a.webhook(0, "2026-12-02T10:06:00Z", &connected).await;
    a.ended(1, "370").await;

    // B. Wellbeing, 10:00:10 GMT: hangs up at the main menu.
    let b = Call::start(servers, 2, WELLBEING, 1, "2026-12-02T10:00:10Z").await;
    b.ended(0, "15").await;

    // C. Doctor support, Tuesday 2 June 2026, 09:30 BST (08:30 UTC), open: nobody answers the
    // first try, the second is answered 80 s after the start.
    let mut c = Call::start(servers, 3, DOCTOR_SUPPORT, 0, "2026-06-02T08:30:00Z").await;
    let retry = c
        .webhook(
            1,
            "2026-06-02T08:30:40Z",
            &[("DialCallStatus", "no-answer")],
        )
        .await;
    assert!(retry.contains(DOCTOR_SUPPORT_TEAM), "{retry}");
    let connected = [("DialCallStatus", "completed"), ("DialCallDuration", "600")];
    c.webhook(0, "2026-06-02T08:41:20Z", &connected).await;
    c.ended(1, "680").await;

    // D. Doctor support, 18:30 BST, closed: says nothing at the menu twice, and the line says
    // goodbye.
    let mut d = Call::start(servers, 4, DOCTOR_SUPPORT, 1, "2026-06-02T17:30:00Z").await;
    d.webhook(0, "2026-06-02T17:30:20Z", &[]).await;
    let goodbye = d.webhook(1, "2026-06-02T17:30:40Z", &[]).await;
    assert!(goodbye.contains("<Hangup"), "{goodbye}");
    d.ended(0, "45").await;

    // E. Doctor support, Wednesday 2 December, 18:05 GMT, closed: asks for a call back and
    // confirms their own number.
    let mut e = Call::start(servers, 5, DOCTOR_SUPPORT, 0, "2026-12-02T18:05:00Z").await;
    e.webhook(1, "2026-12-02T18:05:10Z", &[("Digits", "2")])
        .await;
    let taken = e
        .webhook(0, "2026-12-02T18:05:20Z", &[("Digits", "1")])
        .await;
    assert!(taken.contains("we have your request"), "{taken}");
    e.ended(1, "60").await;
}

/// Waits until the servers have written `records` records (a webhook's or status callback's
/// each) to the store.
async fn wait_for_written(servers: [&Server; 2], records: u64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut written = 0;
        for server in servers {
            let metrics = server.get("/metrics").await;
            written += metrics
                .lines()
                .find_map(|l| l.strip_prefix("switchboard_call_records_total{result=\"written\"} "))
                .map_or(0, |n| n.trim().parse::<u64>().unwrap());
        }
        if written == records {
            return;
        }
        assert!(written < records, "more records than webhooks: {written}");
        assert!(
            Instant::now() < deadline,
            "{written} of {records} records written"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn line<'r>(report: &'r serde_json::Value, id: &str) -> &'r serde_json::Value {
    report
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["line"] == id)
        .unwrap_or_else(|| panic!("no {id} in {report:#}"))
}

/// The hours of the week (Monday 00:00 is 0) with calls, and how many.
fn busy_hours(line: &serde_json::Value) -> Vec<(usize, u64)> {
    line["by_week_hour"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .filter_map(|(hour, n)| Some((hour, n.as_u64().unwrap())).filter(|(_, n)| *n > 0))
        .collect()
}

fn day<'r>(line: &'r serde_json::Value, date: &str) -> &'r serde_json::Value {
    line["by_day"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["day"] == date)
        .unwrap()
}

#[tokio::test]
async fn known_calls_through_two_servers_sharing_sqlite_give_every_figure_exactly() {
    let shared = tempfile::tempdir().unwrap();
    let database = format!(
        "sqlite://{}?mode=rwc",
        shared.path().join("shared.db").display()
    );
    known_calls_give_every_figure_exactly(&database).await;
}

#[tokio::test]
async fn known_calls_through_two_servers_sharing_postgresql_give_every_figure_exactly() {
    let pg = crate::support::postgres::Postgres::start();
    known_calls_give_every_figure_exactly(&pg.url()).await;
}

/// Plays the known calls through two servers sharing the store at `database`, and checks the
/// report's every figure.
async fn known_calls_give_every_figure_exactly(database: &str) {
    let database = database.to_owned();
    let (one, two) = (replica(&database), replica(&database));
    play_known_calls([&one.server, &two.server]).await;
    // 13 webhooks and 5 status callbacks.
    wait_for_written([&one.server, &two.server], 18).await;
    let report = report_json(&database);

    let wellbeing = line(&report, "wellbeing");
    assert_eq!(wellbeing["name"], "Wellbeing support line");
    for (figure, known) in [
        ("calls", 2),
        ("answered", 1),
        ("abandoned", 1),
        ("ended_by_line", 0),
        ("closed_calls", 0),
        ("callbacks", 0),
    ] {
        assert_eq!(
            wellbeing[figure], known,
            "wellbeing {figure}: {wellbeing:#}"
        );
    }
    assert_eq!(
        wellbeing["wait_for_person"],
        serde_json::json!({"count": 1, "median_s": 70, "p90_s": 70})
    );
    // Wednesday is day 2 of the week: 09:00 (A, started before the hour) and 10:00 (B).
    assert_eq!(busy_hours(wellbeing), [(2 * 24 + 9, 1), (2 * 24 + 10, 1)]);
    assert_eq!(
        wellbeing["ended"],
        serde_json::json!([
            {"how": "answered", "step": "wellbeing/counselling", "calls": 1},
            {"how": "hung up", "step": "wellbeing/main-menu", "calls": 1},
        ])
    );
    assert_eq!(
        wellbeing["choices"],
        serde_json::json!([{"step": "wellbeing/main-menu", "choice": "1", "calls": 1}])
    );
    assert_eq!(
        wellbeing["connections"],
        serde_json::json!([{"step": "wellbeing/counselling", "result": "completed", "attempts": 1}])
    );
    assert_eq!(
        wellbeing["reached"],
        serde_json::json!([
            {"step": "wellbeing/counselling", "calls": 1},
            {"step": "wellbeing/main-menu", "calls": 2},
            {"step": "wellbeing/welcome", "calls": 2},
        ])
    );
    assert_eq!(
        wellbeing["statuses"],
        serde_json::json!([{"status": "completed", "calls": 2, "seconds": 370 + 15}])
    );
    assert_eq!(day(wellbeing, "2026-12-02")["calls"], 2);
    assert_eq!(day(wellbeing, "2026-06-02")["calls"], 0);

    let doctor_support = line(&report, "doctor-support");
    for (figure, known) in [
        ("calls", 3),
        ("answered", 1),
        ("abandoned", 0),
        ("ended_by_line", 1),
        ("closed_calls", 2),
        ("callbacks", 1),
    ] {
        assert_eq!(
            doctor_support[figure], known,
            "doctor-support {figure}: {doctor_support:#}"
        );
    }
    assert_eq!(
        doctor_support["wait_for_person"],
        serde_json::json!({"count": 1, "median_s": 80, "p90_s": 80})
    );
    // Tuesday 09:00 and 18:00 in BST, Wednesday 18:00 in GMT: UK hours, not UTC's.
    assert_eq!(
        busy_hours(doctor_support),
        [(24 + 9, 1), (24 + 18, 1), (2 * 24 + 18, 1)]
    );
    assert_eq!(
        doctor_support["closed_by_hour"],
        serde_json::json!([{"reason": "closed", "hour": 18, "calls": 2}])
    );
    assert_eq!(
        doctor_support["ended"],
        serde_json::json!([
            {"how": "answered", "step": "doctor-support/team", "calls": 1},
            {"how": "call back", "step": "", "calls": 1},
            {"how": "ended by the line", "step": "", "calls": 1},
        ])
    );
    assert_eq!(
        doctor_support["choices"],
        serde_json::json!([
            {"step": "doctor-support/offer-counselling", "choice": "2", "calls": 1},
            {"step": "doctor-support/offer-counselling", "choice": "no-input", "calls": 2},
        ])
    );
    assert_eq!(
        doctor_support["connections"],
        serde_json::json!([
            {"step": "doctor-support/team", "result": "completed", "attempts": 1},
            {"step": "doctor-support/team", "result": "no-answer", "attempts": 1},
        ])
    );
    assert_eq!(
        doctor_support["reached"],
        serde_json::json!([
            {"step": "doctor-support/after-call-back", "calls": 1},
            {"step": "doctor-support/call-back", "calls": 1},
            {"step": "doctor-support/closed", "calls": 2},
            {"step": "doctor-support/goodbye", "calls": 1},
            {"step": "doctor-support/no-choice", "calls": 1},
            {"step": "doctor-support/offer-counselling", "calls": 2},
            {"step": "doctor-support/office-hours", "calls": 3},
            {"step": "doctor-support/open-greeting", "calls": 1},
            {"step": "doctor-support/team", "calls": 1},
        ])
    );
    assert_eq!(
        doctor_support["statuses"],
        serde_json::json!([{"status": "completed", "calls": 3, "seconds": 680 + 45 + 60}])
    );
    let june = day(doctor_support, "2026-06-02");
    assert_eq!(
        (&june["calls"], &june["answered"], &june["closed_calls"]),
        (&2.into(), &1.into(), &1.into())
    );
    let december = day(doctor_support, "2026-12-02");
    assert_eq!(
        (
            &december["calls"],
            &december["callbacks"],
            &december["closed_calls"]
        ),
        (&1.into(), &1.into(), &1.into())
    );
    // Not called back yet.
    assert_eq!(doctor_support["call_back_wait"]["count"], 0);

    // The team calls back; the wait is the store's own record of the request's times.
    switchboard(
        &database,
        &["callbacks", "done", "1", "--note", "spoke to them"],
    );
    let request = &serde_json::from_str::<serde_json::Value>(&switchboard(
        &database,
        &["callbacks", "list", "--all", "--format", "json"],
    ))
    .unwrap()[0];
    let waited =
        (request["closed_ms"].as_i64().unwrap() - request["asked_ms"].as_i64().unwrap()) / 1000;
    let report = report_json(&database);
    assert_eq!(
        line(&report, "doctor-support")["call_back_wait"],
        serde_json::json!({"count": 1, "median_s": waited, "p90_s": waited})
    );

    // Summed up (as each server does two days after a day), the report is the same.
    let store = switchboard::store::Store::open(
        &switchboard::store::DatabaseUrl::parse(&database).unwrap(),
    )
    .await
    .unwrap();
    assert!(
        store
            .sum_up_calls("2026-12-31".parse().unwrap())
            .await
            .unwrap()
    );
    assert!(
        !store
            .sum_up_calls("2026-12-31".parse().unwrap())
            .await
            .unwrap()
    );
    assert_eq!(report_json(&database), report);

    // The CSV: a header row, then a row a line with the same figures.
    let csv = switchboard(
        &database,
        &[
            "report",
            "--from",
            "2026-06-01",
            "--to",
            "2026-12-31",
            "--format",
            "csv",
        ],
    );
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(
        rows[0],
        "line,name,from,to,calls,answered,abandoned,ended_by_line,closed_calls,callbacks,median_wait_for_person_s,p90_wait_for_person_s,median_call_back_wait_s,p90_call_back_wait_s"
    );
    assert!(
        rows.contains(&format!(
            "doctor-support,Doctor support line,2026-06-01,2026-12-31,3,1,0,1,2,1,80,80,{waited},{waited}"
        )
        .as_str()),
        "{csv}"
    );
    assert!(
        rows.contains(
            &"wellbeing,Wellbeing support line,2026-06-01,2026-12-31,2,1,1,0,0,0,70,70,,"
        ),
        "{csv}"
    );
    assert_eq!(rows.len(), 3, "{csv}");
    // The text: every figure under a list says what it counts.
    let text = switchboard(
        &database,
        &["report", "--from", "2026-06-01", "--to", "2026-12-31"],
    );
    let listed: Vec<&str> = text
        .lines()
        .filter(|line| line.starts_with("    ") && !line.contains(" calls, "))
        .collect();
    assert!(!listed.is_empty(), "{text}");
    for line in listed {
        let labelled = [" call", " try", " tries", " in all"]
            .iter()
            .any(|unit| line.contains(unit));
        assert!(
            labelled,
            "a figure without what it counts: {line:?}\n{text}"
        );
    }
    // Choices by the name of what they choose, never a bare key.
    assert!(
        text.contains("Main menu, Counselling (1): 1 call"),
        "{text}"
    );
    assert!(
        text.contains("Offer counselling, Call back (2): 1 call"),
        "{text}"
    );
    assert!(
        text.contains("Offer counselling, No choice heard: 2 calls"),
        "{text}"
    );
    assert!(!text.contains("no-input"), "{text}");
    // One line alone.
    let one_line = switchboard(
        &database,
        &[
            "report",
            "--from",
            "2026-12-02",
            "--to",
            "2026-12-02",
            "--line",
            "wellbeing",
            "--format",
            "json",
        ],
    );
    let one_line: serde_json::Value = serde_json::from_str(&one_line).unwrap();
    assert_eq!(one_line.as_array().unwrap().len(), 1);
    assert_eq!(one_line[0]["calls"], 2);
    assert_eq!(one_line[0]["by_day"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn no_record_holds_a_number_a_call_sid_or_words_said() {
    let shared = tempfile::tempdir().unwrap();
    let database = format!(
        "sqlite://{}?mode=rwc",
        shared.path().join("shared.db").display()
    );
    let (one, two) = (replica(&database), replica(&database));
    let servers = [&one.server, &two.server];
    let mut call = Call::start(servers, 9, WELLBEING, 0, "2026-12-02T11:00:00Z").await;
    call.webhook(
        1,
        "2026-12-02T11:00:10Z",
        &[("SpeechResult", "peer support tangerine my name is Jane")],
    )
    .await;
    call.ended(0, "30").await;
    wait_for_written(servers, 3).await;
    let report = report_json(&database);
    assert_eq!(
        line(&report, "wellbeing")["choices"],
        serde_json::json!([{"step": "wellbeing/main-menu", "choice": "2", "calls": 1}]),
        "a phrase is kept as the choice it matched"
    );
    let sid = call.sid.clone();
    drop(call);
    drop((one, two));
    // The database and its write-ahead log, byte for byte.
    for file in std::fs::read_dir(shared.path()).unwrap() {
        let bytes = std::fs::read(file.unwrap().path()).unwrap();
        let kept = String::from_utf8_lossy(&bytes);
        for secret in ["7911123456", "Jane", "tangerine", &sid, &sid[2..]] {
            assert!(!kept.contains(secret), "the store keeps {secret:?}");
        }
    }
}

#[tokio::test]
async fn closed_doctor_support_calls_put_through_to_a_counsellor_count_on_doctor_support_on_sqlite()
{
    let shared = tempfile::tempdir().unwrap();
    let database = format!(
        "sqlite://{}?mode=rwc",
        shared.path().join("shared.db").display()
    );
    calls_count_on_the_line_dialled(&database).await;
}

#[tokio::test]
async fn closed_doctor_support_calls_put_through_to_a_counsellor_count_on_doctor_support_on_postgresql()
 {
    let pg = crate::support::postgres::Postgres::start();
    calls_count_on_the_line_dialled(&pg.url()).await;
}

/// Four callers ring the Doctor support line on a Wednesday evening, hear it is closed, press
/// 1 and talk to a counsellor on the wellbeing line's step; one caller rings the wellbeing line
/// itself. Each call counts once, on the line dialled, in the state that line was in.
async fn calls_count_on_the_line_dialled(database: &str) {
    let (one, two) = (replica(database), replica(database));
    let servers = [&one.server, &two.server];
    for n in 0..4u32 {
        let at = |second: u32| format!("2026-12-02T19:0{n}:{second:02}Z");
        let mut call = Call::start(servers, 100 + n, DOCTOR_SUPPORT, 0, &at(0)).await;
        let dialling = call.webhook(1, &at(10), &[("Digits", "1")]).await;
        assert!(dialling.contains(COUNSELLING), "{dialling}");
        let connected = [("DialCallStatus", "completed"), ("DialCallDuration", "120")];
        call.webhook(0, &at(50), &connected).await;
        call.ended(1, "170").await;
    }
    let mut direct = Call::start(servers, 200, WELLBEING, 1, "2026-12-02T19:10:00Z").await;
    direct
        .webhook(0, "2026-12-02T19:10:05Z", &[("Digits", "1")])
        .await;
    let connected = [("DialCallStatus", "completed"), ("DialCallDuration", "60")];
    direct.webhook(1, "2026-12-02T19:11:30Z", &connected).await;
    direct.ended(0, "90").await;
    // 5 calls of 3 webhooks and a status callback each.
    wait_for_written(servers, 20).await;
    let report = report_json(database);

    let doctor_support = line(&report, "doctor-support");
    for (figure, known) in [("calls", 4), ("answered", 4), ("closed_calls", 4)] {
        assert_eq!(
            doctor_support[figure], known,
            "doctor-support {figure}: {doctor_support:#}"
        );
    }
    assert_eq!(
        doctor_support["ended"],
        serde_json::json!([{"how": "answered", "step": "wellbeing/counselling", "calls": 4}])
    );
    assert_eq!(
        doctor_support["closed_by_hour"],
        serde_json::json!([{"reason": "closed", "hour": 19, "calls": 4}])
    );
    let wellbeing = line(&report, "wellbeing");
    for (figure, known) in [
        ("calls", 1),
        ("answered", 1),
        ("closed_calls", 0),
        ("reached_from_other_lines", 4),
    ] {
        assert_eq!(
            wellbeing[figure], known,
            "wellbeing {figure}: {wellbeing:#}"
        );
    }
    assert_eq!(wellbeing["closed_by_hour"], serde_json::json!([]));
    // The lines' calls add up to the calls made.
    let lines = report.as_array().unwrap().iter();
    let calls: u64 = lines.map(|l| l["calls"].as_u64().unwrap()).sum();
    assert_eq!(calls, 5, "{report:#}");
}

#[tokio::test]
async fn a_server_stopped_as_its_last_call_ends_loses_no_record_on_sqlite() {
    let shared = tempfile::tempdir().unwrap();
    let database = format!(
        "sqlite://{}?mode=rwc",
        shared.path().join("shared.db").display()
    );
    no_record_is_lost_at_a_stop(&database).await;
}

#[tokio::test]
async fn a_server_stopped_as_its_last_call_ends_loses_no_record_on_postgresql() {
    let pg = crate::support::postgres::Postgres::start();
    no_record_is_lost_at_a_stop(&pg.url()).await;
}

/// Rounds of eight answered calls, each round on a new server stopped (as a rolling deploy
/// stops one) the moment its last call's status callback is answered: every call of every
/// round is in the report, answered.
async fn no_record_is_lost_at_a_stop(database: &str) {
    const ROUNDS: u32 = 4;
    const CALLS: u32 = 8;
    for round in 0..ROUNDS {
        let mut server = replica(database);
        let servers = [&server.server, &server.server];
        for n in 0..CALLS {
            let at = |second: u32| format!("2026-12-02T10:{round:02}:{:02}Z", n * 6 + second);
            let mut call = Call::start(servers, 1000 * round + n, WELLBEING, 0, &at(0)).await;
            call.webhook(0, &at(1), &[("Digits", "1")]).await;
            let connected = [("DialCallStatus", "completed"), ("DialCallDuration", "2")];
            call.webhook(0, &at(4), &connected).await;
            call.ended(0, "5").await;
        }
        let stopped = server.server.terminate(Duration::from_secs(15));
        assert!(
            stopped.is_some_and(|s| s.success()),
            "round {round}: {stopped:?}"
        );
        let report = report_json(database);
        let wellbeing = line(&report, "wellbeing");
        let made = u64::from(CALLS * (round + 1));
        for figure in ["calls", "answered"] {
            assert_eq!(
                wellbeing[figure].as_u64(),
                Some(made),
                "round {round}, {figure}: {}",
                server.server.logs()
            );
        }
        assert_eq!(wellbeing["abandoned"], 0, "round {round}");
    }
}
