//! The emergency switch and the one-off days in the store every server reads: a change made by
//! the CLI in another process is in force on a running server within a second; an upgrade
//! takes over a previous release's state directory and loses nothing; a store the server
//! cannot use stops it with the reason, and never shows a password.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::support::process::Server;
use crate::support::*;

/// Monday 23 November 2026, 10:00: the Doctor support line is open by its hours.
const NOW: &str = "2026-11-23T10:00:00Z";

fn switchboard(state: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(args)
        .args(["--flows", shipped_flows_dir().to_str().unwrap()])
        .args(["--state-dir", state.to_str().unwrap()])
        .env_remove("SWITCHBOARD_FLOWS")
        .env_remove("SWITCHBOARD_DATABASE_URL")
        .output()
        .expect("the binary runs")
}

#[tokio::test]
async fn on_sqlite_a_cli_in_another_process_changes_what_a_running_server_answers_within_a_second()
{
    let state = tempfile::tempdir().unwrap();
    let server = Server::start(state.path(), NOW, &[]);
    assert!(!server.call(DOCTOR_SUPPORT).await.contains("had to close"));

    let asked = Instant::now();
    let out = switchboard(
        state.path(),
        &[
            "emergency",
            "close",
            "doctor-support",
            "--note",
            "fire alarm",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let took = server
        .answered_within(DOCTOR_SUPPORT, asked, |twiml| {
            twiml.contains("had to close")
        })
        .await;
    assert!(took < Duration::from_secs(1), "{took:?}");
    let said = status_once_the_server_says_it_serves_the_latest_change(state.path());
    assert!(said.contains("doctor-support: CLOSED"), "{said}");

    let asked = Instant::now();
    let out = switchboard(state.path(), &["emergency", "open", "doctor-support"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let took = server
        .answered_within(DOCTOR_SUPPORT, asked, |twiml| {
            !twiml.contains("had to close")
        })
        .await;
    assert!(took < Duration::from_secs(1), "{took:?}");

    // A closure day for today, with its reason heard.
    let asked = Instant::now();
    let out = switchboard(
        state.path(),
        &[
            "closures",
            "add",
            "doctor-support",
            "2026-11-23",
            "--reason",
            "the office is closed for staff training",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let took = server
        .answered_within(DOCTOR_SUPPORT, asked, |twiml| {
            twiml.contains("staff training")
        })
        .await;
    assert!(took < Duration::from_secs(1), "{took:?}");
    let listed = text(&switchboard(state.path(), &["closures", "list"]).stdout);
    assert!(
        listed.contains("doctor-support\t2026-11-23\tthe office is closed for staff training"),
        "{listed}"
    );

    // Special hours that open later today, with a reason: heard at 10am, before they open.
    let out = switchboard(
        state.path(),
        &["closures", "remove", "doctor-support", "2026-11-23"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let asked = Instant::now();
    let out = switchboard(
        state.path(),
        &[
            "special-hours",
            "add",
            "doctor-support",
            "2026-11-23",
            "--hours",
            "1pm to 5pm",
            "--reason",
            "the team opens late after its training",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let took = server
        .answered_within(DOCTOR_SUPPORT, asked, |twiml| {
            twiml.contains("We are closed now: the team opens late after its training.")
        })
        .await;
    assert!(took < Duration::from_secs(1), "{took:?}");
    let listed = text(&switchboard(state.path(), &["special-hours", "list"]).stdout);
    assert!(
        listed.contains(
            "doctor-support\t2026-11-23\t1pm to 5pm (callers hear: the team opens late after its training)"
        ),
        "{listed}"
    );
    // No flow file was written.
    let shipped = std::fs::read_to_string(shipped_flows_dir().join("doctor-support.toml")).unwrap();
    assert!(!shipped.contains("staff training") && !shipped.contains("opens late"));
}

/// `emergency status`, asked until the server says it serves the latest change. A server
/// writes that in the store just after it answers with the change, so under load the first
/// ask can come between the two; two seconds is the heartbeat, by when it has always said.
fn status_once_the_server_says_it_serves_the_latest_change(state: &Path) -> String {
    let asked = Instant::now();
    loop {
        let said = text(&switchboard(state, &["emergency", "status"]).stdout);
        if said.contains("serves the latest change") {
            return said;
        }
        assert!(asked.elapsed() < Duration::from_secs(2), "{said}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A state directory as the previous release wrote it: the Doctor support line closed by the
/// switch, a console user, an audit entry and a flow version.
fn previous_releases_state_directory() -> tempfile::TempDir {
    let state = tempfile::tempdir().unwrap();
    let dir = state.path();
    std::fs::write(
        dir.join("emergency.toml"),
        "[doctor-support]\nsince = \"2026-11-20T08:00:00Z\"\nnote = \"flood in the office\"\n",
    )
    .unwrap();
    let amira = switchboard::store::User::new(
        "amira",
        switchboard::store::Role::Editor,
        "correct horse battery",
    )
    .unwrap();
    std::fs::write(
        dir.join("console-users.toml"),
        format!(
            "[[user]]\nname = \"amira\"\nrole = \"editor\"\nhash = \"{}\"\n",
            amira.hash
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("audit.jsonl"),
        "{\"at\":\"2026-11-20T08:00:00Z\",\"who\":\"amira\",\"what\":\"emergency close doctor-support\",\"note\":\"flood in the office\",\"before\":\"nothing closed\",\"after\":\"doctor-support: closed\"}\n",
    )
        .unwrap();
    let version = shipped_flows().version.clone();
    let kept = dir.join("flow-history").join(&version);
    std::fs::create_dir_all(&kept).unwrap();
    for name in ["wellbeing.toml", "doctor-support.toml"] {
        std::fs::copy(shipped_flows_dir().join(name), kept.join(name)).unwrap();
    }
    std::fs::write(
        dir.join("flow-history.jsonl"),
        format!("{{\"version\":\"{version}\",\"at\":\"2026-11-01T09:00:00Z\",\"by\":\"start\"}}\n"),
    )
    .unwrap();
    state
}

#[tokio::test]
async fn an_upgrade_takes_over_the_previous_releases_state_directory() {
    let state = previous_releases_state_directory();
    let dir = state.path();
    let version = shipped_flows().version.clone();

    let server = Server::start_with_env(dir, NOW, &[], &[("RUST_LOG", "warn")]);
    // The switch that was closed stays closed, from the very first call.
    assert!(server.call(DOCTOR_SUPPORT).await.contains("had to close"));
    let logs = server.logs();
    assert!(
        logs.contains("took over the previous release's state directory"),
        "{logs}"
    );

    let url = switchboard::store::DatabaseUrl::sqlite_in(dir);
    let store = switchboard::store::Store::open(&url).await.unwrap();
    let users = store.users().await.unwrap();
    assert_eq!(
        switchboard::store::users::verify(&users, "amira", "correct horse battery"),
        Some(switchboard::store::Role::Editor)
    );
    let audit = store.audit(10).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.what == "emergency close doctor-support" && e.who == "amira"),
        "{audit:?}"
    );
    let history = store.flow_history(10).await.unwrap();
    assert!(
        history
            .iter()
            .any(|v| v.version == version && v.by == "start"),
        "{history:?}"
    );
}

#[test]
fn a_store_it_cannot_use_stops_serve_with_the_reason_and_no_password() {
    let state = tempfile::tempdir().unwrap();
    let nobody = crate::support::process::free_address();
    let out = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["serve", "--flows", shipped_flows_dir().to_str().unwrap()])
        .args(["--state-dir", state.path().to_str().unwrap()])
        .args([
            "--database",
            &format!("postgres://switchboard:hunter2secret@{nobody}/switchboard"),
        ])
        .env("TWILIO_AUTH_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = text(&out.stderr);
    assert!(said.contains("cannot be reached"), "{said}");
    assert!(said.contains("switchboard:***@"), "{said}");
    assert!(!said.contains("hunter2secret"), "{said}");
}

#[test]
fn whichever_command_first_opens_the_store_after_an_upgrade_takes_the_state_directory_over() {
    let state = previous_releases_state_directory();
    let out = switchboard(state.path(), &["emergency", "status"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("took over the previous release's state directory"),
        "{}",
        text(&out.stderr)
    );
    let status = text(&out.stdout);
    assert!(status.contains("doctor-support: CLOSED"), "{status}");
    assert!(status.contains("flood in the office"), "{status}");
    let users = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["admin", "list-users", "--state-dir"])
        .arg(state.path())
        .env_remove("SWITCHBOARD_DATABASE_URL")
        .output()
        .unwrap();
    assert_eq!(text(&users.stdout), "amira\teditor\n");
    // Taken over once: the second command says nothing of it.
    assert!(
        !text(&users.stderr).contains("took over"),
        "{}",
        text(&users.stderr)
    );
}
