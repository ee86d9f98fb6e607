//! The store itself: changes made at the same moment are all kept, a change with no audit entry
//! is not made, a state directory is taken over once, and a store that goes away harms no
//! caller (the last snapshot answers, `/readyz` and the metrics say so, the console refuses a
//! change in words).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::*;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use switchboard::store::{DatabaseUrl, Store, Switch, legacy};

/// Monday 23 November 2026, 10:00: the Doctor support line is open by its hours.
const NOW: &str = "2026-11-23T10:00:00Z";

async fn doctor_support_closed(store: &Store) -> bool {
    store
        .emergencies()
        .await
        .unwrap()
        .is_closed("doctor-support")
}

/// Runs `test` on a new SQLite store and then on a new PostgreSQL one.
macro_rules! on_both_backends {
    ($test:ident) => {
        mod $test {
            #[tokio::test]
            async fn on_sqlite() {
                let state = tempfile::tempdir().unwrap();
                super::$test(&super::DatabaseUrl::sqlite_in(state.path())).await;
            }

            #[tokio::test]
            async fn on_postgresql() {
                let pg = crate::support::postgres::Postgres::start();
                super::$test(&super::DatabaseUrl::parse(&pg.url()).unwrap()).await;
            }
        }
    };
}

on_both_backends!(changes_made_at_the_same_moment_by_many_processes_are_all_kept);
async fn changes_made_at_the_same_moment_by_many_processes_are_all_kept(url: &DatabaseUrl) {
    Store::open(url).await.unwrap();
    // A pool each, as separate servers and commands have.
    let writers: Vec<_> = (0..12)
        .map(|i| {
            let url = url.clone();
            tokio::spawn(async move {
                let store = Store::open(&url).await.unwrap();
                let schedule = format!("schedule-{i}");
                let mut change = store.change(&format!("writer {i}")).await.unwrap();
                let note = format!("note {i}");
                assert!(
                    change
                        .switch(&schedule, Switch::Close { note: &note })
                        .await
                        .unwrap()
                );
                change
                    .audit(&format!("emergency close {schedule}"), &note, "", "")
                    .await
                    .unwrap();
                change.commit().await.unwrap()
            })
        })
        .collect();
    let mut revisions = Vec::new();
    for writer in writers {
        revisions.push(writer.await.unwrap());
    }
    revisions.sort_unstable();
    assert_eq!(revisions, (1..=12).collect::<Vec<i64>>());
    let store = Store::open(url).await.unwrap();
    assert_eq!(store.emergencies().await.unwrap().iter().count(), 12);
    assert_eq!(store.audit(100).await.unwrap().len(), 12);
}

on_both_backends!(a_change_with_no_audit_entry_is_not_made);
async fn a_change_with_no_audit_entry_is_not_made(url: &DatabaseUrl) {
    let store = Store::open(url).await.unwrap();
    let mut change = store.change("amira").await.unwrap();
    assert!(
        change
            .switch("doctor-support", Switch::Close { note: "fire" })
            .await
            .unwrap()
    );
    let refused = change.commit().await.unwrap_err();
    assert!(!refused.is_unavailable(), "{refused}");
    assert!(!doctor_support_closed(&store).await);
    assert_eq!(store.revision().await.unwrap(), 0);
}

on_both_backends!(a_state_directory_is_taken_over_once);
async fn a_state_directory_is_taken_over_once(url: &DatabaseUrl) {
    let state = tempfile::tempdir().unwrap();
    std::fs::write(
        state.path().join("emergency.toml"),
        "[doctor-support]\nnote = \"flood\"\n",
    )
    .unwrap();
    let store = Store::open(url).await.unwrap();
    let taken = legacy::take_over(&store, state.path())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(taken.closed, ["doctor-support"]);
    // Reopened by ops since: a second start does not close it again from the old file.
    let mut change = store.change("amira").await.unwrap();
    assert!(change.switch("doctor-support", Switch::Open).await.unwrap());
    change
        .audit("emergency open doctor-support", "", "", "")
        .await
        .unwrap();
    change.commit().await.unwrap();
    assert_eq!(legacy::take_over(&store, state.path()).await.unwrap(), None);
    assert!(!doctor_support_closed(&store).await);
}

#[tokio::test]
async fn the_store_going_away_harms_no_caller_and_the_server_says_so() {
    let flows = shipped_flows_dir();
    let app = Arc::new(app_state(shipped_flows(), NOW));
    let (store, _state) = following_a_store(&app, &flows).await;
    let console = switchboard::console::router(Arc::new(switchboard::console::Console::new(
        app.clone(),
        store.clone(),
        false,
    )));
    let webhooks = switchboard::server::router(app.clone());
    let before = Call::start(&webhooks, DOCTOR_SUPPORT).await.heard();

    store.close().await;
    let readyz = || async {
        let request = Request::get("/readyz").body(Body::empty()).unwrap();
        send(&webhooks, request).await
    };
    let since = Instant::now();
    loop {
        let ready = readyz().await;
        assert_eq!(ready.status, StatusCode::OK, "{}", ready.body);
        if ready.body.contains("\"store\":\"unavailable\"") {
            break;
        }
        assert!(since.elapsed() < Duration::from_secs(5), "{}", ready.body);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Calls are answered exactly as before, from the last snapshot.
    assert_eq!(Call::start(&webhooks, DOCTOR_SUPPORT).await.heard(), before);
    let metrics = send(
        &webhooks,
        Request::get("/metrics").body(Body::empty()).unwrap(),
    )
    .await;
    assert!(
        metrics.body.contains("switchboard_store_available 0"),
        "{}",
        metrics.body
    );
    let counted = app.metrics.get(
        switchboard::server::metrics::Counter::StoreProblems,
        &[("problem", "unavailable")],
    );
    assert!(counted > 0);
    // The console says so, and changes nothing.
    let request = Request::get("/")
        .header(header::COOKIE, "switchboard_console=0123")
        .body(Body::empty())
        .unwrap();
    let page = send(&console, request).await;
    assert_eq!(
        page.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("cannot be reached, so nothing was changed"),
        "{}",
        page.body
    );
}

on_both_backends!(one_open_request_for_a_call_back_per_number);
async fn one_open_request_for_a_call_back_per_number(url: &DatabaseUrl) {
    use switchboard::store::call_backs::Closing;
    let store = Store::open(url).await.unwrap();
    let number = switchboard::phone::E164::parse("+447911123456").unwrap();
    let now = chrono::Utc::now();
    assert!(
        store
            .request_call_back(&number, "doctor-support", now)
            .await
            .unwrap()
    );
    assert!(
        !store
            .request_call_back(&number, "doctor-support", now)
            .await
            .unwrap()
    );
    let open = store.call_backs(true).await.unwrap();
    assert_eq!(open.len(), 1);
    let mut change = store.change("amira").await.unwrap();
    change
        .close_call_back(
            open[0].id,
            Closing::CalledBack,
            "amira",
            "spoke to them",
            now,
        )
        .await
        .unwrap();
    change.audit("call back closed", "", "", "").await.unwrap();
    change.commit().await.unwrap();
    // Closed, the number may ask again.
    assert!(
        store
            .request_call_back(&number, "doctor-support", now)
            .await
            .unwrap()
    );
    assert_eq!(store.call_backs(false).await.unwrap().len(), 2);
}

on_both_backends!(an_event_is_one_notification_taken_by_one_server_at_a_time);
async fn an_event_is_one_notification_taken_by_one_server_at_a_time(url: &DatabaseUrl) {
    let store = Store::open(url).await.unwrap();
    let now = chrono::Utc::now();
    let lease = chrono::Duration::seconds(15);
    assert!(store.notify("event-1", "{}", now).await.unwrap());
    // Noticed again, by this server or another: still one.
    assert!(!store.notify("event-1", "{}", now).await.unwrap());
    let taken = store.take_notification(now, lease).await.unwrap().unwrap();
    assert_eq!(taken.event, "event-1");
    // Held by that server for its lease: nobody else takes it meanwhile.
    assert_eq!(store.take_notification(now, lease).await.unwrap(), None);
    let later = now + chrono::Duration::seconds(1);
    store
        .not_delivered(taken.row, later, "the receiver answered 500")
        .await
        .unwrap();
    assert_eq!(store.take_notification(now, lease).await.unwrap(), None);
    let again = store
        .take_notification(later, lease)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((again.event.as_str(), again.tries), ("event-1", 1));
    store.delivered(again.row, later).await.unwrap();
    assert_eq!(store.undelivered().await.unwrap(), 0);
    let much_later = later + chrono::Duration::hours(1);
    assert_eq!(
        store.take_notification(much_later, lease).await.unwrap(),
        None
    );
}

on_both_backends!(records_older_than_kept_become_daily_totals_and_the_report_still_counts_them);
async fn records_older_than_kept_become_daily_totals_and_the_report_still_counts_them(
    url: &DatabaseUrl,
) {
    use switchboard::store::calls::{CallRecord, StepRecord};
    let store = Store::open(url).await.unwrap();
    let call = |n: u32, at: &str, choice: bool| {
        let at_ms = chrono::DateTime::parse_from_rfc3339(at)
            .unwrap()
            .timestamp_millis();
        CallRecord {
            call: format!("{n:032x}"),
            line: "wellbeing".to_owned(),
            at_ms,
            started: Some("open"),
            step: choice.then(|| StepRecord {
                step: "wellbeing/main-menu".to_owned(),
                choice: Some("1".to_owned()),
                result: None,
            }),
            waiting_at: Some("wellbeing/main-menu".to_owned()),
            ..CallRecord::default()
        }
    };
    let old = "2025-10-01T12:00:00Z";
    // Only a status callback's record, its webhooks' records dropped: its start never known.
    let status_only = |n: u32, at: &str| CallRecord {
        call: format!("{n:032x}"),
        at_ms: chrono::DateTime::parse_from_rfc3339(at)
            .unwrap()
            .timestamp_millis(),
        status: Some(("completed".to_owned(), Some(30))),
        ..CallRecord::default()
    };
    store
        .record_calls(&[
            call(1, old, true),
            call(2, old, false),
            call(3, "2026-12-01T12:00:00Z", true),
            status_only(4, old),
            status_only(5, "2026-12-01T12:00:00Z"),
        ])
        .await
        .unwrap();
    let lines = [("wellbeing".to_owned(), "Wellbeing support line".to_owned())];
    let (from, to) = ("2025-10-01".parse().unwrap(), "2026-12-31".parse().unwrap());
    let before = store.report(from, to, &lines).await.unwrap();
    assert_eq!(before.lines[0].choices[0].calls, 2);
    // Summed up for reports, the report is the same, and a day is summed up once.
    assert!(
        store
            .sum_up_calls("2026-12-03".parse().unwrap())
            .await
            .unwrap()
    );
    assert!(
        !store
            .sum_up_calls("2026-12-03".parse().unwrap())
            .await
            .unwrap()
    );
    assert_eq!(store.report(from, to, &lines).await.unwrap(), before);
    // A summary table made again with its columns in another order and one more: the report
    // reads columns by name, so not a figure moves.
    {
        use sqlx::Connection as _;
        sqlx::any::install_default_drivers();
        let mut raw = sqlx::AnyConnection::connect(&url.to_string())
            .await
            .unwrap();
        for statement in [
            "CREATE TABLE call_step_summary_new (result TEXT NOT NULL, note TEXT, calls BIGINT NOT NULL, \
             choice TEXT NOT NULL, step TEXT NOT NULL, day TEXT NOT NULL, line TEXT NOT NULL)",
            "INSERT INTO call_step_summary_new (result, calls, choice, step, day, line) \
             SELECT result, calls, choice, step, day, line FROM call_step_summary",
            "DROP TABLE call_step_summary",
            "ALTER TABLE call_step_summary_new RENAME TO call_step_summary",
        ] {
            sqlx::query(statement).execute(&mut raw).await.unwrap();
        }
    }
    assert_eq!(store.report(from, to, &lines).await.unwrap(), before);

    let rolled = store
        .roll_up_calls("2025-11-05".parse().unwrap())
        .await
        .unwrap();
    // The two old calls, and the old record that never learned its start (the recent one is
    // kept: its start may yet be recorded).
    assert_eq!(rolled, 3);
    let after = store.report(from, to, &lines).await.unwrap();
    let wellbeing = &after.lines[0];
    // The totals stay; the detail of the old day is gone.
    assert_eq!(
        (wellbeing.calls, wellbeing.abandoned),
        (before.lines[0].calls, before.lines[0].abandoned)
    );
    assert_eq!(wellbeing.calls, 3);
    let old_day = wellbeing
        .by_day
        .iter()
        .find(|d| d.day == "2025-10-01")
        .unwrap();
    assert_eq!((old_day.calls, old_day.abandoned), (2, 2));
    assert_eq!(
        wellbeing.choices[0].calls, 1,
        "only the kept record's choice"
    );
    assert_eq!(wellbeing.by_week_hour.iter().sum::<u64>(), 1);
    // Rolling up again adds nothing twice.
    assert_eq!(
        store
            .roll_up_calls("2025-11-05".parse().unwrap())
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store.report(from, to, &lines).await.unwrap().lines[0].calls,
        3
    );
}

/// Waits up to five seconds for the server's view of the store to be `available`.
async fn until_available_is(app: &switchboard::server::App, available: bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while app.store.available() != available {
        assert!(
            Instant::now() < deadline,
            "the server never said the store is {}",
            if available {
                "available"
            } else {
                "unavailable"
            }
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `switchboard ARGS --state-dir DIR`: its exit status and what it printed.
fn cli(state: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(args)
        .args(["--state-dir", state.to_str().unwrap()])
        .env_remove("SWITCHBOARD_DATABASE_URL")
        .output()
        .unwrap();
    (
        out.status.success(),
        format!("{}{}", text(&out.stdout), text(&out.stderr)),
    )
}

#[tokio::test]
async fn the_sqlite_file_deleted_then_put_back_is_said_unavailable_then_followed_without_a_restart()
{
    let app = Arc::new(app_state(shipped_flows(), NOW));
    let (store, state) = following_a_store(&app, &shipped_flows_dir()).await;
    let file = state.path().join("switchboard.db");
    let away = state.path().join("backup.db");
    until_available_is(&app, true).await;
    // Moved away, as a deletion looks to the server: it says so, and a change is refused.
    std::fs::rename(&file, &away).unwrap();
    until_available_is(&app, false).await;
    let refused = store
        .change("ops")
        .await
        .err()
        .expect("no change on a lost file");
    assert!(refused.is_unavailable(), "{refused}");
    // Nor any read: what a page or command shows never comes from the deleted file.
    let unread = store.users().await.expect_err("no read of a lost file");
    assert!(unread.to_string().contains("is gone"), "{unread}");
    // The command line makes no new empty store in its place (whose switch would say all open).
    let (ok, said) = cli(state.path(), &["emergency", "status"]);
    assert!(!ok, "{said}");
    assert!(
        said.contains("is missing, though a store was made there"),
        "{said}"
    );
    assert!(!file.exists(), "a new store was made");
    // Put back: the server follows it again by itself.
    std::fs::rename(&away, &file).unwrap();
    until_available_is(&app, true).await;
    assert!(store.change("ops").await.is_ok());
}

#[tokio::test]
async fn the_sqlite_file_replaced_by_a_backup_is_followed_and_what_it_holds_is_served() {
    let app = Arc::new(app_state(shipped_flows(), NOW));
    let (_store, state) = following_a_store(&app, &shipped_flows_dir()).await;
    let file = state.path().join("switchboard.db");
    // A backup with the Doctor support line closed, restored over the file in use (a new
    // inode, as `cp` over it after deleting, or a restore tool, makes).
    let elsewhere = tempfile::tempdir().unwrap();
    let (ok, said) = cli(
        elsewhere.path(),
        &["emergency", "close", "doctor-support", "--note", "restored"],
    );
    assert!(ok, "{said}");
    let backup = elsewhere.path().join("switchboard.db");
    let (ok, said) = cli(elsewhere.path(), &["emergency", "status"]);
    assert!(ok, "{said}");
    std::fs::remove_file(&file).unwrap();
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(state.path().join(format!("switchboard.db{suffix}")));
    }
    // The backup's write-ahead log first (the closing is there until SQLite checkpoints it),
    // then its file.
    let backup_wal = elsewhere.path().join("switchboard.db-wal");
    if backup_wal.exists() {
        std::fs::copy(&backup_wal, state.path().join("switchboard.db-wal")).unwrap();
    }
    std::fs::copy(&backup, &file).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !app.emergencies.load().is_closed("doctor-support") {
        assert!(
            Instant::now() < deadline,
            "the restored store was never served: {:?}",
            _store.revision().await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(app.store.available());
}

#[tokio::test]
async fn a_store_that_reads_but_cannot_write_is_said_unavailable_until_writes_work_again() {
    let app = Arc::new(app_state(shipped_flows(), NOW));
    let (store, state) = following_a_store(&app, &shipped_flows_dir()).await;
    until_available_is(&app, true).await;
    // Every write refused, as a full disk or a read-only file refuses them (as root, neither
    // can be made here): reads still work.
    let url = DatabaseUrl::sqlite_in(state.path());
    let mut other = {
        use sqlx::Connection as _;
        sqlx::sqlite::SqliteConnection::connect(
            url.sqlite_path()
                .map(|p| format!("sqlite://{p}"))
                .as_deref()
                .unwrap(),
        )
        .await
        .unwrap()
    };
    sqlx::query(
        "CREATE TRIGGER no_writes BEFORE UPDATE ON servers BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END",
    )
    .execute(&mut other)
    .await
    .unwrap();
    sqlx::query(
        "CREATE TRIGGER no_inserts BEFORE INSERT ON servers BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END",
    )
    .execute(&mut other)
    .await
    .unwrap();
    until_available_is(&app, false).await;
    assert!(store.emergencies().await.is_ok(), "reads still work");
    sqlx::query("DROP TRIGGER no_writes")
        .execute(&mut other)
        .await
        .unwrap();
    sqlx::query("DROP TRIGGER no_inserts")
        .execute(&mut other)
        .await
        .unwrap();
    until_available_is(&app, true).await;
}

#[tokio::test]
async fn a_write_that_sqlite_rolled_back_by_itself_leaves_later_writes_working() {
    use sqlx::Connection as _;
    use switchboard::store::calls::CallRecord;
    let state = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::sqlite_in(state.path());
    let store = Store::open(&url).await.unwrap();
    let record = |n: u32| CallRecord {
        call: format!("{n:032x}"),
        line: "wellbeing".to_owned(),
        at_ms: 1_764_590_400_000,
        started: Some("open"),
        ..CallRecord::default()
    };
    // SQLite ends the transaction by itself, as it does when the disk is full (SQLITE_FULL):
    // a trigger that rolls back does the same to every write of a record.
    let path = url.sqlite_path().unwrap().to_owned();
    let mut other = sqlx::sqlite::SqliteConnection::connect(&format!("sqlite://{path}"))
        .await
        .unwrap();
    sqlx::query(
        "CREATE TRIGGER full BEFORE INSERT ON calls BEGIN SELECT RAISE(ROLLBACK, 'database or disk is full'); END",
    )
    .execute(&mut other)
    .await
    .unwrap();
    // More failures than the pool has connections, so every connection meets one.
    for n in 0..8 {
        let failed = store.record_calls(&[record(n)]).await.unwrap_err();
        assert!(failed.to_string().contains("disk is full"), "{failed}");
    }
    sqlx::query("DROP TRIGGER full")
        .execute(&mut other)
        .await
        .unwrap();
    // The disk freed: every write works again, on every connection, without a restart.
    for n in 10..30 {
        store
            .record_calls(&[record(n)])
            .await
            .unwrap_or_else(|e| panic!("a write after the disk was freed: {e}"));
    }
    assert!(store.change("ops").await.is_ok());
}

/// A small tmpfs mounted for a test, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> SmallDisk {
        let dir = tempfile::tempdir().unwrap();
        let mount = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .expect("mount (util-linux) runs");
        assert!(
            mount.status.success(),
            "mounting a tmpfs needs root: {}",
            text(&mount.stderr)
        );
        SmallDisk { dir }
    }

    fn path(&self) -> &std::path::Path {
        self.dir.path()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .output();
    }
}

/// The value of one series in a running server's metrics.
async fn metric(server: &crate::support::process::Server, series: &str) -> f64 {
    let text = server.get("/metrics").await;
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {series} in\n{text}"))
}

#[tokio::test]
#[ignore = "needs root, to mount a small tmpfs: run with --ignored as root (.ci/run does)"]
async fn a_full_disk_freed_leaves_the_server_writing_and_logging_in_without_a_restart() {
    use crate::support::process::{ConsoleSite, Server, free_address};
    let disk = SmallDisk::mount("4m");
    let state = disk.path().join("state");
    {
        let store = Store::open(&DatabaseUrl::sqlite_in(&state)).await.unwrap();
        let editor = switchboard::store::Role::Editor;
        add_user(&store, "amira", editor, "a long enough password").await;
    }
    let admin = free_address();
    let server = Server::start_in(
        &shipped_flows_dir(),
        &state,
        NOW,
        &["--admin-listen", &admin.to_string()],
        &[("RUST_LOG", "warn")],
    );
    let written = r#"switchboard_call_records_total{result="written"}"#;
    let calls = |n: usize| {
        let webhooks = server.webhooks();
        async move {
            for i in 0..n {
                let sid = format!("CA{:032x}", 0xD15C_0000 + i + n * 1000);
                let params = [
                    ("CallSid", sid.as_str()),
                    ("From", CALLER),
                    ("To", WELLBEING),
                ];
                let (status, _) = webhooks.post("/voice", &params).await;
                assert_eq!(status, 200);
            }
        }
    };
    // Full: a file fills what the store has not.
    let filler = disk.path().join("filler");
    let fill = std::process::Command::new("dd")
        .args(["if=/dev/zero", "bs=64k"])
        .arg(format!("of={}", filler.display()))
        .output()
        .unwrap();
    assert!(!fill.status.success(), "dd stops at a full disk");
    calls(20).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let before = metric(&server, written).await;
    let ready = server.get("/readyz").await;
    assert!(ready.contains("\"unavailable\""), "{ready}");
    // A login cannot be kept either (its try is counted in the store first), and says so.
    let site = ConsoleSite::at(admin);
    let refused = site.try_log_in("amira", "a long enough password").await;
    assert_eq!(refused.status, 503, "{}", refused.body);
    // Freed: what comes after is written again.
    std::fs::remove_file(&filler).unwrap();
    calls(20).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while metric(&server, written).await < before + 20.0 {
        assert!(
            Instant::now() < deadline,
            "records not written after the disk was freed"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // And logins work again.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let page = site.try_log_in("amira", "a long enough password").await;
        if page.status == 303 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no login after the disk was writable again: {}",
            page.body
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The server's own check of the store (a read and its heartbeat write) says so at its
    // next turn.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let ready = server.get("/readyz").await;
        if ready.contains("\"available\"") {
            break;
        }
        assert!(Instant::now() < deadline, "{ready}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Each table the migrations in `dir` make, with its columns in order (from CREATE TABLE and
/// ALTER TABLE ... ADD COLUMN; constraints left out).
fn schema(dir: &str) -> std::collections::BTreeMap<String, Vec<String>> {
    let mut tables = std::collections::BTreeMap::<String, Vec<String>>::new();
    let mut files: Vec<_> = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for file in files {
        let sql = std::fs::read_to_string(&file).unwrap();
        let mut current: Option<String> = None;
        for line in sql.lines().map(|l| l.split("--").next().unwrap().trim()) {
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                ["CREATE", "TABLE", name, ..] => {
                    let name = name.trim_end_matches('(').to_owned();
                    tables.entry(name.clone()).or_default();
                    current = Some(name);
                }
                ["ALTER", "TABLE", name, "ADD", "COLUMN", column, ..] => {
                    tables.get_mut(*name).unwrap().push((*column).to_owned());
                }
                [");"] | [")"] => current = None,
                [first, ..] if current.is_some() => {
                    let constraint = ["PRIMARY", "UNIQUE", "CHECK", "FOREIGN", "CONSTRAINT"];
                    if !constraint.contains(first) {
                        let column = first.trim_end_matches(',').to_owned();
                        tables
                            .get_mut(current.as_ref().unwrap())
                            .unwrap()
                            .push(column);
                    }
                }
                _ => {}
            }
        }
    }
    tables
}

#[test]
fn the_sqlite_and_postgresql_migrations_make_the_same_tables_and_columns() {
    let (sqlite, postgres) = (schema("migrations/sqlite"), schema("migrations/postgres"));
    assert!(sqlite.len() >= 20, "{sqlite:?}");
    assert!(sqlite["calls"].len() > 10, "{:?}", sqlite["calls"]);
    assert_eq!(sqlite, postgres);
}

on_both_backends!(ops_tells_a_change_refused_from_a_store_that_is_down);
/// A change the rows do not allow (a closure day on a day that has one) is refused in
/// people's words; the same change on a store that does not answer is an outage, not a
/// refusal, so the console says to try again rather than what to put right.
async fn ops_tells_a_change_refused_from_a_store_that_is_down(url: &DatabaseUrl) {
    use switchboard::ops::{self, OpsError};
    let store = Store::open(url).await.unwrap();
    let (flows, holidays) = (
        shipped_flows(),
        switchboard::calendar::BankHolidays::builtin(),
    );
    let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 16).unwrap();
    let closure = switchboard::calendar::DayKind::Closure;
    let add = |store: Store| {
        let (flows, holidays) = (flows.clone(), holidays.clone());
        async move {
            let reason =
                ops::DayEdit::Add(ops::DayValue::of("the office is closed for staff training"));
            ops::edit_day(
                &store,
                "amira",
                &flows,
                &holidays,
                "doctor-support",
                day,
                closure,
                reason,
            )
            .await
        }
    };
    add(store.clone())
        .await
        .expect("the first closure of that day is made");
    match add(store.clone()).await {
        Err(OpsError::Refused(words)) => assert_eq!(
            words,
            "Wednesday 16 December 2026 already has a closure day: remove it first to change it."
        ),
        other => panic!("a second closure of the same day is refused, not {other:?}"),
    }
    store.close().await;
    match add(store.clone()).await {
        Err(error @ OpsError::Unavailable(_)) => assert!(error.is_unavailable()),
        other => panic!("a store that is closed is unavailable, not {other:?}"),
    }
}

on_both_backends!(a_batch_of_records_written_again_counts_once);
/// The call records' writer tries a failed batch again; if the first try was in fact written
/// (its commit's answer lost), the second adds nothing: each record has its own id.
async fn a_batch_of_records_written_again_counts_once(url: &DatabaseUrl) {
    use switchboard::store::calls::{CallRecord, StepRecord};
    let store = Store::open(url).await.unwrap();
    let at_ms = instant("2026-12-01T12:00:00Z").timestamp_millis();
    let record = |n: u32, id: &str| CallRecord {
        call: format!("{n:032x}"),
        id: id.to_owned(),
        line: "wellbeing".to_owned(),
        at_ms,
        started: Some("open"),
        step: Some(StepRecord {
            step: "wellbeing/main-menu".to_owned(),
            choice: Some("1".to_owned()),
            result: None,
        }),
        reached: vec!["wellbeing/counselling".to_owned()],
        waiting_at: Some("wellbeing/counselling".to_owned()),
        ..CallRecord::default()
    };
    let batch = [record(1, "a1"), record(2, "a2")];
    let lines = [("wellbeing".to_owned(), "Wellbeing support line".to_owned())];
    let day = "2026-12-01".parse().unwrap();
    store.record_calls(&batch).await.unwrap();
    let once = store.report(day, day, &lines).await.unwrap();
    store.record_calls(&batch).await.unwrap();
    let twice = store.report(day, day, &lines).await.unwrap();
    assert_eq!(twice, once);
    assert_eq!(once.lines[0].calls, 2);
    assert_eq!(once.lines[0].choices[0].calls, 2);
    assert_eq!(once.lines[0].reached[0].calls, 2);
}

on_both_backends!(a_report_read_across_a_roll_up_gives_the_figures_from_before_it);
/// A report reads in one transaction: a roll-up that commits between two of its statements
/// (turning records into daily totals, and deleting them) changes none of its figures.
async fn a_report_read_across_a_roll_up_gives_the_figures_from_before_it(url: &DatabaseUrl) {
    use switchboard::store::calls::{CallRecord, StepRecord};
    let store = Store::open(url).await.unwrap();
    let at_ms = instant("2026-10-01T12:00:00Z").timestamp_millis();
    let records: Vec<CallRecord> = (0..3u32)
        .map(|n| CallRecord {
            call: format!("{n:032x}"),
            line: "wellbeing".to_owned(),
            at_ms,
            started: Some("open"),
            step: Some(StepRecord {
                step: "wellbeing/main-menu".to_owned(),
                choice: Some("2".to_owned()),
                result: None,
            }),
            waiting_at: Some("wellbeing/peer-support".to_owned()),
            ..CallRecord::default()
        })
        .collect();
    store.record_calls(&records).await.unwrap();
    let lines = [("wellbeing".to_owned(), "Wellbeing support line".to_owned())];
    let (from, to) = ("2026-09-01".parse().unwrap(), "2026-12-31".parse().unwrap());
    let before = store.report(from, to, &lines).await.unwrap();
    assert_eq!(before.lines[0].choices[0].calls, 3);

    let mut reading = store.reading().await.unwrap();
    let rolled = store.roll_up_calls("2026-11-01".parse().unwrap()).await;
    assert_eq!(
        rolled.unwrap(),
        3,
        "the roll-up ran while the report was open"
    );
    assert_eq!(reading.report(from, to, &lines).await.unwrap(), before);
    // Read afresh, the choices are gone with the records: the roll-up did change the store.
    let after = store.report(from, to, &lines).await.unwrap();
    assert_eq!(after.lines[0].calls, 3);
    assert!(after.lines[0].choices.is_empty(), "{after:?}");
}
