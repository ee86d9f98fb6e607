//! Two servers sharing one PostgreSQL store, each with a state directory of its own: a change
//! made through either is in force on both within a second; a console session and the login
//! throttle are the same on both; a roll-back from one is in force on the other, audited once;
//! PostgreSQL stopped under load harms no caller, and when it is back changes flow again. The
//! test PostgreSQL itself starts on another port when the one it found free is taken.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::support::postgres::Postgres;
use crate::support::process::{ConsoleSite, Server, free_address, menu_action};
use crate::support::*;
use switchboard::store::{DatabaseUrl, Role, Store, User};

/// Monday 23 November 2026, 10:00: the Doctor support line is open by its hours.
const NOW: &str = "2026-11-23T10:00:00Z";
const PASSWORD: &str = "correct horse battery";
const SECOND: Duration = Duration::from_secs(1);

/// One of the servers: the process, its console, and the state directory of its own.
struct Replica {
    server: Server,
    console: ConsoleSite,
    state: tempfile::TempDir,
}

impl Replica {
    /// `switchboard serve` on the flows in `flows`, with the console, sharing `pg`.
    fn start(pg: &Postgres, flows: &Path) -> Replica {
        let state = tempfile::tempdir().unwrap();
        let console = free_address();
        let extra = [
            "--database",
            &pg.url(),
            "--admin-listen",
            &console.to_string(),
        ];
        let server = Server::start_in(flows, state.path(), NOW, &extra, &[("RUST_LOG", "warn")]);
        Replica {
            server,
            console: ConsoleSite::at(console),
            state,
        }
    }

    /// A `switchboard` command run on this server's machine.
    fn command(&self, pg: &Postgres, args: &[&str]) -> Output {
        let out = Command::new(env!("CARGO_BIN_EXE_switchboard"))
            .args(args)
            .args(["--flows", shipped_flows_dir().to_str().unwrap()])
            .args(["--state-dir", self.state.path().to_str().unwrap()])
            .args(["--database", &pg.url()])
            .env_remove("SWITCHBOARD_FLOWS")
            .env_remove("SWITCHBOARD_DATABASE_URL")
            .output()
            .expect("the binary runs");
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        out
    }

    /// Logs `user` in on this server's console: the session cookie and its CSRF token.
    async fn log_in(&self, user: &str) -> (String, String) {
        let page = self.console.try_log_in(user, PASSWORD).await;
        assert_eq!(page.status, 303, "{}", page.body);
        let csrf = self.console.csrf(&page.cookie).await;
        (page.cookie, csrf)
    }

    /// Closes ("close") or opens ("open") the Doctor support line from this server's console.
    async fn throw_switch(&self, (cookie, csrf): (&str, &str), action: &str) -> u16 {
        let fields = [
            ("csrf", csrf),
            ("schedule", "doctor-support"),
            ("action", action),
            ("note", "fire alarm in the building"),
            ("confirmed", "yes"),
        ];
        self.console
            .post("/emergency", cookie, &fields)
            .await
            .status
    }
}

/// The shared store, with the console users `amira` (editor) and `ben` (viewer).
async fn store_with_users(pg: &Postgres) -> Store {
    let store = Store::open(&DatabaseUrl::parse(&pg.url()).unwrap())
        .await
        .unwrap();
    let mut change = store.change("test").await.unwrap();
    for (name, role) in [("amira", Role::Editor), ("ben", Role::Viewer)] {
        change
            .put_user(&User::new(name, role, PASSWORD).unwrap())
            .await
            .unwrap();
    }
    change.audit("add console users", "", "", "").await.unwrap();
    change.commit().await.unwrap();
    store
}

fn closed(twiml: &str) -> bool {
    twiml.contains("had to close")
}

#[tokio::test]
async fn a_change_through_either_server_is_heard_on_the_other_within_a_second() {
    let pg = Postgres::start();
    store_with_users(&pg).await;
    let a = Replica::start(&pg, &shipped_flows_dir());
    let b = Replica::start(&pg, &shipped_flows_dir());
    assert!(!closed(&b.server.call(DOCTOR_SUPPORT).await));

    // Closed from A's console: B answers with the emergency message within a second.
    let (cookie, csrf) = a.log_in("amira").await;
    let asked = Instant::now();
    assert_eq!(a.throw_switch((&cookie, &csrf), "close").await, 303);
    let took = b
        .server
        .answered_within(DOCTOR_SUPPORT, asked, closed)
        .await;
    assert!(took < SECOND, "B heard the close after {took:?}");

    // Reopened by the CLI on B's machine: A is back within a second.
    let asked = Instant::now();
    b.command(&pg, &["emergency", "open", "doctor-support"]);
    let took = a
        .server
        .answered_within(DOCTOR_SUPPORT, asked, |t| !closed(t))
        .await;
    assert!(took < SECOND, "A heard the reopening after {took:?}");

    // A closure day for today added on A's machine: both speak its reason within a second.
    let asked = Instant::now();
    a.command(
        &pg,
        &[
            "closures",
            "add",
            "doctor-support",
            "2026-11-23",
            "--reason",
            "the team is at a training day",
        ],
    );
    for replica in [&a, &b] {
        let took = replica
            .server
            .answered_within(DOCTOR_SUPPORT, asked, |t| t.contains("training day"))
            .await;
        assert!(took < SECOND, "the closure day was heard after {took:?}");
    }
}

#[tokio::test]
async fn a_console_session_and_the_login_throttle_are_the_same_on_both_servers() {
    let pg = Postgres::start();
    store_with_users(&pg).await;
    let a = Replica::start(&pg, &shipped_flows_dir());
    let b = Replica::start(&pg, &shipped_flows_dir());

    // Logged in on A, the same cookie is a session on B (a load balancer may send either).
    let (cookie, _) = a.log_in("amira").await;
    let on_b = b.console.get("/", &cookie).await;
    assert_eq!(on_b.status, 200, "{}", on_b.body);
    assert!(on_b.body.contains("amira"), "{}", on_b.body);
    // Logged out on B, it is gone on A too.
    let csrf = b.console.csrf(&cookie).await;
    let out = b
        .console
        .post("/logout", &cookie, &[("csrf", csrf.as_str())])
        .await;
    assert_eq!(out.status, 303, "{}", out.body);
    let after = a.console.get("/", &cookie).await;
    assert!(!after.body.contains("name=\"csrf\""), "{}", after.body);

    // Wrong passwords for ben, three on each server: together they lock him out of both.
    for replica in [&a, &b, &a, &b, &a, &b] {
        let page = replica.console.try_log_in("ben", "a wrong guess").await;
        assert!(
            !page.cookie.starts_with(switchboard::console::auth::COOKIE),
            "{}",
            page.cookie
        );
    }
    for replica in [&a, &b] {
        let right = replica.console.try_log_in("ben", PASSWORD).await;
        assert_eq!(right.status, 429, "{}", right.body);
        assert!(
            !right.cookie.starts_with(switchboard::console::auth::COOKIE),
            "{}",
            right.cookie
        );
    }
}

#[tokio::test]
async fn a_roll_back_from_one_servers_console_is_in_force_on_the_other_and_audited_once() {
    let pg = Postgres::start();
    let store = store_with_users(&pg).await;
    let first = shipped_flows().version.clone();
    let a = Replica::start(&pg, &shipped_flows_dir());
    // B's flow directory has an edit: published when B starts, so in force on both.
    let edited = edited_flows("wellbeing.toml", |t| {
        t.replace(COUNSELLING, "+442079460199")
    });
    let b = Replica::start(&pg, edited.path());
    let dialled = |twiml: &str, number: &str| twiml.contains(&format!(">{number}<"));
    let heard = a
        .server
        .call_until_after_press(WELLBEING, "1", "+442079460199", 2 * SECOND)
        .await;
    assert!(dialled(&heard, "+442079460199"), "{heard}");

    let (cookie, csrf) = a.log_in("amira").await;
    let asked = Instant::now();
    let back = a
        .console
        .post(
            "/history/rollback",
            &cookie,
            &[
                ("csrf", csrf.as_str()),
                ("version", first.as_str()),
                ("note", "the new number is not staffed yet"),
                ("confirmed", "yes"),
            ],
        )
        .await;
    assert_eq!(back.status, 303, "{}", back.body);
    let heard = b
        .server
        .call_until_after_press(WELLBEING, "1", COUNSELLING, 2 * SECOND)
        .await;
    assert!(dialled(&heard, COUNSELLING), "{heard}");
    assert!(asked.elapsed() < 2 * SECOND);
    // Still so later: B's own flow files do not undo it.
    tokio::time::sleep(SECOND).await;
    let heard = b.server.press_at_first_menu(WELLBEING, "1").await;
    assert!(dialled(&heard, COUNSELLING), "{heard}");

    // The Versions page numbers them on PostgreSQL too, in the order they were first published,
    // with version 1 in force again (and listed once, with both times it went into force).
    let versions = a.console.get("/history", &cookie).await;
    assert_eq!(versions.status, 200, "{}", versions.body);
    let rows = &versions.body[versions.body.find("<tbody>").unwrap()..];
    let (v2, v1) = (
        rows.find("<td>Version 2</td>"),
        rows.find("<td>Version 1 (in force)</td>"),
    );
    assert!(
        matches!((v2, v1), (Some(v2), Some(v1)) if v2 < v1),
        "newest first: {rows}"
    );
    assert_eq!(rows.matches("<tr>").count(), 2, "{rows}");

    let audit = store.audit(100).await.unwrap();
    let roll_backs = audit
        .iter()
        .filter(|e| e.what == "call flows rolled back to version 1")
        .count();
    assert_eq!(roll_backs, 1, "{audit:#?}");
    let mut changes: Vec<_> = audit
        .iter()
        .map(|e| (&e.what, &e.note, &e.before, &e.after))
        .collect();
    let all = changes.len();
    changes.sort();
    changes.dedup();
    assert_eq!(changes.len(), all, "an entry twice: {audit:#?}");
}

/// Calls both servers over and over until told to stop: each call a first answer and a key
/// press at the Wellbeing line's menu, every answer compared with the one heard before.
struct Load {
    stop: Arc<AtomicBool>,
    answers: Arc<AtomicU64>,
    not_200: Arc<AtomicU64>,
    not_twiml: Arc<AtomicU64>,
    different: Arc<AtomicU64>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    async fn start(servers: &[&Server]) -> Load {
        let load = Load {
            stop: Arc::default(),
            answers: Arc::default(),
            not_200: Arc::default(),
            not_twiml: Arc::default(),
            different: Arc::default(),
            tasks: Vec::new(),
        };
        let mut tasks = Vec::new();
        for server in servers {
            let first = server.call(WELLBEING).await;
            let action = menu_action(&first);
            let pressed = server.press_at_first_menu(WELLBEING, "1").await;
            assert!(pressed.contains(COUNSELLING), "{pressed}");
            for _ in 0..2 {
                let (server, action) = (server.webhooks(), action.clone());
                let (first, pressed) = (first.clone(), pressed.clone());
                let counts = (
                    load.stop.clone(),
                    load.answers.clone(),
                    load.not_200.clone(),
                    load.not_twiml.clone(),
                    load.different.clone(),
                );
                tasks.push(tokio::spawn(async move {
                    let (stop, answers, not_200, not_twiml, different) = counts;
                    let call = [
                        ("CallSid", "CA0123456789abcdef0123456789abcdef"),
                        ("From", CALLER),
                        ("To", WELLBEING),
                    ];
                    let press = [
                        ("CallSid", "CA0123456789abcdef0123456789abcdef"),
                        ("From", CALLER),
                        ("Digits", "1"),
                    ];
                    while !stop.load(Ordering::Relaxed) {
                        for (path, params, expected) in [
                            ("/voice", &call, &first),
                            (action.as_str(), &press, &pressed),
                        ] {
                            let (status, body) = server.post(path, params).await;
                            answers.fetch_add(1, Ordering::Relaxed);
                            if status != 200 {
                                not_200.fetch_add(1, Ordering::Relaxed);
                            }
                            let root = switchboard::twiml::tree::parse(&body);
                            if root.map_or(true, |r| r.name != "Response") {
                                not_twiml.fetch_add(1, Ordering::Relaxed);
                            }
                            if body != *expected {
                                different.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                }));
            }
        }
        Load { tasks, ..load }
    }

    /// Stops calling: the answers, and those not 200, not TwiML, and not as before.
    async fn finish(self) -> [u64; 4] {
        self.stop.store(true, Ordering::Relaxed);
        for task in self.tasks {
            task.await.unwrap();
        }
        [
            &self.answers,
            &self.not_200,
            &self.not_twiml,
            &self.different,
        ]
        .map(|count| count.load(Ordering::Relaxed))
    }
}

#[tokio::test]
async fn postgresql_stopped_under_load_harms_no_caller_and_changes_flow_again_when_it_is_back() {
    let pg = Postgres::start();
    store_with_users(&pg).await;
    let a = Replica::start(&pg, &shipped_flows_dir());
    let b = Replica::start(&pg, &shipped_flows_dir());
    let session = a.log_in("amira").await;
    let load = Load::start(&[&a.server, &b.server]).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    pg.stop();
    for replica in [&a, &b] {
        let deadline = Instant::now() + 5 * SECOND;
        loop {
            let ready = replica.server.get("/readyz").await;
            if ready.contains("\"store\":\"unavailable\"") {
                break;
            }
            assert!(Instant::now() < deadline, "/readyz never said so: {ready}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let metrics = replica.server.get("/metrics").await;
        assert!(
            metrics.contains("switchboard_store_available 0"),
            "{metrics}"
        );
    }
    // A change in the console is refused, in words.
    let fields = [
        ("csrf", session.1.as_str()),
        ("schedule", "doctor-support"),
        ("action", "close"),
        ("note", "fire alarm"),
    ];
    let refused = a.console.post("/emergency", &session.0, &fields).await;
    assert_eq!(refused.status, 503, "{}", refused.body);
    assert!(
        refused.body.contains("nothing was changed"),
        "{}",
        refused.body
    );
    tokio::time::sleep(SECOND).await;

    pg.start_again();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let [answers, not_200, not_twiml, different] = load.finish().await;
    assert!(answers > 100, "only {answers} answers");
    assert_eq!(
        (not_200, not_twiml, different),
        (0, 0, 0),
        "of {answers} answers: not 200, not TwiML, not as before"
    );

    // Back: the same session closes the line, and the other server hears it; no restart.
    let deadline = Instant::now() + 10 * SECOND;
    while a.throw_switch((&session.0, &session.1), "close").await != 303 {
        assert!(Instant::now() < deadline, "the console never recovered");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let took = b
        .server
        .answered_within(DOCTOR_SUPPORT, Instant::now(), closed)
        .await;
    assert!(took < SECOND, "B heard the close after {took:?}");
    let ready = b.server.get("/readyz").await;
    assert!(ready.contains("\"store\":\"available\""), "{ready}");
}

#[tokio::test]
async fn serve_takes_the_store_and_the_console_from_the_environment_as_the_recipes_give_them() {
    let pg = Postgres::start();
    store_with_users(&pg).await;
    let secrets = tempfile::tempdir().unwrap();
    let url_file = secrets.path().join("url");
    std::fs::write(&url_file, format!("{}\n", pg.url())).unwrap();
    let state = tempfile::tempdir().unwrap();
    let console = free_address();
    let server = Server::start_in(
        &shipped_flows_dir(),
        state.path(),
        NOW,
        &[],
        &[
            ("SWITCHBOARD_DATABASE_URL_FILE", url_file.to_str().unwrap()),
            ("SWITCHBOARD_ADMIN_LISTEN", &console.to_string()),
            ("RUST_LOG", "warn"),
        ],
    );
    let ready = server.get("/readyz").await;
    assert!(ready.contains("\"store\":\"available\""), "{ready}");
    let page = ConsoleSite::at(console).try_log_in("amira", PASSWORD).await;
    assert_eq!(page.status, 303, "{}", page.body);
    // No SQLite store was made beside it: the one named is the one used.
    assert!(!state.path().join("switchboard.db").exists());

    // Both the variable and its file: refused, rather than one silently winning.
    let out = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["emergency", "status"])
        .args(["--state-dir", state.path().to_str().unwrap()])
        .env("SWITCHBOARD_DATABASE_URL", pg.url())
        .env("SWITCHBOARD_DATABASE_URL_FILE", &url_file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("not both"),
        "{}",
        text(&out.stderr)
    );
}

/// Every `SWITCHBOARD_*` and `TWILIO_*` variable the deployment recipes set (a `_FILE` form
/// standing for its variable) is one `switchboard serve` reads.
#[test]
fn every_variable_the_recipes_set_is_one_serve_reads() {
    let help = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let help = text(&help.stdout);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy");
    let mut checked = 0;
    for recipe in [
        "kubernetes/switchboard.yaml",
        "compose/compose.yaml",
        "systemd/switchboard.service",
    ] {
        let source = std::fs::read_to_string(root.join(recipe)).unwrap();
        let names = source
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|word| word.starts_with("SWITCHBOARD_") || word.starts_with("TWILIO_"))
            // Compose's own: the domain Caddy and the public URL are made from.
            .filter(|word| *word != "SWITCHBOARD_DOMAIN");
        for name in names {
            let read = name.strip_suffix("_FILE").unwrap_or(name);
            assert!(
                help.contains(read),
                "{recipe} sets {name}, which serve does not read"
            );
            checked += 1;
        }
    }
    assert!(checked > 10, "only {checked} variables found");
}

/// The test servers' own safeguard: a port taken between being found free and PostgreSQL
/// binding it (another test's connection can take it) costs a retry, not a failed test.
#[tokio::test]
async fn a_test_postgresql_whose_port_is_taken_starts_on_another() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_port = taken.local_addr().unwrap().port();
    let pg = Postgres::start_trying_first(taken_port);
    assert_ne!(pg.port, taken_port);
    let store = Store::open(&DatabaseUrl::parse(&pg.url()).unwrap())
        .await
        .expect("the store opens on the port PostgreSQL moved to");
    drop(store);
}

/// Sets (with `reason`) or removes a closure day of the Doctor support line through `store`,
/// as the console and the CLI do, on a task of its own so that several can run at once.
fn closure_day(
    store: &Store,
    by: &'static str,
    day: chrono::NaiveDate,
    reason: Option<&'static str>,
) -> tokio::task::JoinHandle<switchboard::ops::Result<switchboard::ops::Done>> {
    let store = store.clone();
    tokio::spawn(async move {
        let holidays = switchboard::calendar::BankHolidays::builtin();
        let kind = switchboard::calendar::DayKind::Closure;
        let flows = shipped_flows();
        switchboard::ops::edit_day(
            &store,
            by,
            &flows,
            &holidays,
            "doctor-support",
            day,
            kind,
            reason.map_or(switchboard::ops::DayEdit::Remove, |reason| {
                switchboard::ops::DayEdit::Add(switchboard::ops::DayValue::of(reason))
            }),
        )
        .await
    })
}

#[tokio::test]
async fn two_editors_adding_one_day_at_once_are_told_it_is_already_a_closure_day() {
    let pg = Postgres::start();
    let url = DatabaseUrl::parse(&pg.url()).unwrap();
    let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 16).unwrap();
    for round in 0..10 {
        let (one, two) = (
            Store::open(&url).await.unwrap(),
            Store::open(&url).await.unwrap(),
        );
        let reason = Some("staff training");
        let (a, b) = (
            closure_day(&one, "amira", day, reason),
            closure_day(&two, "carl", day, reason),
        );
        let results = [a.await.unwrap(), b.await.unwrap()];
        let refusals: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
        assert_eq!(refusals.len(), 1, "round {round}: {results:?}");
        assert!(!refusals[0].is_unavailable(), "{}", refusals[0]);
        assert_eq!(
            refusals[0].to_string(),
            "Wednesday 16 December 2026 already has a closure day: remove it first to change it."
        );
        // Removed again for the next round.
        closure_day(&one, "amira", day, None)
            .await
            .unwrap()
            .unwrap();
    }
}

#[tokio::test]
async fn changes_made_at_once_on_two_servers_audit_befores_and_afters_that_chain() {
    let pg = Postgres::start();
    let url = DatabaseUrl::parse(&pg.url()).unwrap();
    let (one, two) = (
        Store::open(&url).await.unwrap(),
        Store::open(&url).await.unwrap(),
    );
    let first = chrono::NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
    // Twenty closure days added at once, alternately through each server's store.
    let adds: Vec<_> = (0..20)
        .map(|n| {
            let store = if n % 2 == 0 { &one } else { &two };
            let day = first + chrono::Duration::days(n);
            closure_day(store, "ops", day, Some("staff training"))
        })
        .collect();
    for add in adds {
        add.await.unwrap().unwrap();
    }
    let mut audit = one.audit(100).await.unwrap();
    audit.reverse();
    assert_eq!(audit.len(), 20);
    for pair in audit.windows(2) {
        assert_eq!(
            pair[1].before, pair[0].after,
            "an entry's before is not the one before it's after:\n{:?}\n{:?}",
            pair[0], pair[1]
        );
    }
}
