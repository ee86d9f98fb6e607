//! The state directory cannot hang the server or lie to ops: the emergency switch read off
//! the async workers, only from small regular files; updates under a lock; a broken file
//! never reopens a closed line; a table naming no schedule is said to close nothing.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::support::process::Server;
use crate::support::*;

const NOW: &str = "2026-11-23T10:00:00Z";

fn emergency(state: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("emergency")
        .args(args)
        .args(["--flows", shipped_flows_dir().to_str().unwrap()])
        .args(["--state-dir", state.to_str().unwrap()])
        .env_remove("SWITCHBOARD_FLOWS")
        .output()
        .expect("the binary runs")
}

fn switch_file(state: &Path) -> std::path::PathBuf {
    state.join("emergency.toml")
}

#[cfg(unix)]
fn fifo(path: &Path) {
    let made = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(made.success());
}

#[cfg(unix)]
#[tokio::test]
async fn a_fifo_in_the_state_directory_neither_stops_the_server_starting_nor_hangs_it() {
    let state = tempfile::tempdir().unwrap();
    fifo(&switch_file(state.path()));
    fifo(&state.path().join("bank-holidays.json"));
    let started = Instant::now();
    let server = Server::start(state.path(), NOW, &[]);
    assert!(started.elapsed() < Duration::from_secs(10));
    // Several seconds of the switch being read every second: still answering at once.
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let asked = Instant::now();
        assert_eq!(server.get("/healthz").await, "ok\n");
        assert!(server.call(DOCTOR_SUPPORT).await.contains("<Response>"));
        assert!(
            asked.elapsed() < Duration::from_millis(500),
            "{:?}",
            asked.elapsed()
        );
    }
    assert!(
        server.logs().contains("not a regular file"),
        "{}",
        server.logs()
    );
    // Counted on every read, so an alert on its rate fires while the file stays wrong.
    let metrics = server.get("/metrics").await;
    let unreadable = metrics
        .lines()
        .find_map(|l| {
            l.strip_prefix(
                "switchboard_state_read_problems_total{file=\"emergency\",problem=\"unreadable\"} ",
            )
        })
        .and_then(|n| n.parse::<u64>().ok());
    assert!(unreadable >= Some(2), "{metrics}");
}

#[test]
fn an_oversized_or_endless_switch_file_is_refused_not_read() {
    let state = tempfile::tempdir().unwrap();
    std::fs::write(switch_file(state.path()), "#".repeat(100_000)).unwrap();
    let out = emergency(state.path(), &["status"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("refused"),
        "{}",
        text(&out.stdout)
    );
    #[cfg(unix)]
    {
        std::fs::remove_file(switch_file(state.path())).unwrap();
        std::os::unix::fs::symlink("/dev/zero", switch_file(state.path())).unwrap();
        let out = emergency(state.path(), &["status"]);
        assert!(
            text(&out.stdout).contains("not a regular file"),
            "{}",
            text(&out.stdout)
        );
    }
}

#[test]
fn closures_made_at_the_same_moment_are_all_kept() {
    // Many closes at once, of different schedules: each must survive the others' writes.
    let dir = tempfile::tempdir().unwrap();
    let path = switch_file(dir.path());
    let writers: Vec<_> = (0..12)
        .map(|i| {
            let path = path.clone();
            std::thread::spawn(move || {
                switchboard::calendar::Emergencies::update(&path, |switch| {
                    switch.close(&format!("schedule-{i}"), Default::default())
                })
                .unwrap();
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    let switch = switchboard::calendar::Emergencies::read(&path).unwrap();
    assert_eq!(switch.iter().count(), 12, "{switch:?}");
}

#[test]
fn a_corrupt_switch_keeps_a_closed_line_closed_and_the_cli_mends_it() {
    let state = tempfile::tempdir().unwrap();
    let out = emergency(
        state.path(),
        &["close", "doctor-support", "--note", "flooded office"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // Someone breaks the file by hand.
    std::fs::write(switch_file(state.path()), "[doctor-support\nnote = ").unwrap();
    let out = emergency(state.path(), &["status"]);
    let status = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{status}");
    assert!(
        status.contains("does not read") && status.contains("doctor-support: CLOSED"),
        "{status}"
    );
    // The CLI still works: it sets the broken file aside, says so, and writes a good one.
    let out = emergency(state.path(), &["close", "doctor-support"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("put aside as"),
        "{}",
        text(&out.stderr)
    );
    assert!(state.path().join("emergency.toml.broken").exists());
    // Closed again without a note: the note stays.
    let out = emergency(state.path(), &["status"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text(&out.stdout).contains("flooded office"),
        "{}",
        text(&out.stdout)
    );
}

#[tokio::test]
async fn a_corrupt_switch_at_start_does_not_reopen_a_line_that_was_closed() {
    let state = tempfile::tempdir().unwrap();
    let out = emergency(state.path(), &["close", "doctor-support"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    std::fs::write(switch_file(state.path()), "this is not toml [").unwrap();
    let server = Server::start(state.path(), NOW, &[]);
    let answer = server.call(DOCTOR_SUPPORT).await;
    assert!(answer.contains("has had to close for now"), "{answer}");
    let metrics = server.get("/metrics").await;
    assert!(
        metrics.contains("switchboard_emergency_closed{schedule=\"doctor-support\"} 1"),
        "{metrics}"
    );
}

#[test]
fn a_table_naming_no_schedule_is_said_to_close_nothing() {
    let state = tempfile::tempdir().unwrap();
    std::fs::write(
        switch_file(state.path()),
        "[doctor_support]\nnote = \"misspelt by hand\"\n",
    )
    .unwrap();
    let out = emergency(state.path(), &["status"]);
    let status = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{status}");
    assert!(
        status.contains("doctor_support: NO SUCH SCHEDULE: this table closes nothing"),
        "{status}"
    );
}

#[tokio::test]
async fn a_running_server_logs_and_counts_a_table_naming_no_schedule_as_an_error() {
    let state = tempfile::tempdir().unwrap();
    std::fs::write(switch_file(state.path()), "[doctor_support]\n").unwrap();
    let server = Server::start(state.path(), NOW, &[]);
    let deadline = Instant::now() + Duration::from_secs(5);
    while !server.logs().contains("names a schedule no flow has") {
        assert!(Instant::now() < deadline, "{}", server.logs());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // And the line it meant to close is open: the log and a gauge say why.
    assert!(
        !server
            .call(DOCTOR_SUPPORT)
            .await
            .contains("has had to close")
    );
    let metrics = server.get("/metrics").await;
    assert!(
        metrics.contains("switchboard_emergency_unknown_schedules 1\n"),
        "{metrics}"
    );
}

#[tokio::test]
async fn status_lists_the_servers_that_read_the_switch_and_whether_each_applied_it() {
    let state = tempfile::tempdir().unwrap();
    // With no server reading the directory, a change warns that it reaches nobody.
    let out = emergency(state.path(), &["close", "doctor-support"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text(&out.stderr).contains("no running server has read"),
        "{}",
        text(&out.stderr)
    );
    let mut server = Server::start(state.path(), NOW, &[]);
    let address = server.address.to_string();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let out = emergency(state.path(), &["status"]);
        let status = text(&out.stdout);
        if status.contains(&format!("at {address}: read it"))
            && status.contains("has applied the switch as it is")
        {
            break;
        }
        assert!(Instant::now() < deadline, "{status}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Now a change warns of nothing: a server reads the directory.
    let out = emergency(state.path(), &["open", "doctor-support"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        !text(&out.stderr).contains("no running server"),
        "{}",
        text(&out.stderr)
    );
    // A server that stops says so: it is no longer listed.
    server.terminate(Duration::from_secs(5));
    let out = emergency(state.path(), &["status"]);
    assert!(
        text(&out.stdout).contains("no server has said it reads this switch"),
        "{}",
        text(&out.stdout)
    );
}
