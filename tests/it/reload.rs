//! Live reload: a good edit is in force at once, a broken one is refused while the last good
//! flows keep serving, and calls in progress carry on across a reload.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::support::process::Server;
use crate::support::*;
use switchboard::server::metrics::Counter;
use switchboard::server::reload::{Reloaded, Reloader};
use switchboard::server::{self, App};

const NOW: &str = "2026-11-23T10:00:00Z";
const NEW_COUNSELLING: &str = "+442079460199";

/// A copy of the shipped flows that the test may edit.
fn flow_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in ["wellbeing.toml", "doctor-support.toml"] {
        std::fs::copy(shipped_flows_dir().join(name), dir.path().join(name)).unwrap();
    }
    dir
}

/// Edits a file as editors save it: a new file written beside it, renamed over it.
fn edit(dir: &Path, name: &str, change: impl Fn(&str) -> String) {
    let path = dir.join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    let changed = change(&text);
    assert_ne!(changed, text, "the edit changed nothing");
    let temporary = dir.join(format!(".{name}.swp"));
    std::fs::write(&temporary, changed).unwrap();
    std::fs::rename(&temporary, &path).unwrap();
}

fn new_counselling_number(text: &str) -> String {
    text.replace(COUNSELLING, NEW_COUNSELLING)
}

fn misspell_a_step(text: &str) -> String {
    text.replacen("next = \"counselling\" }", "next = \"counseling\" }", 1)
}

/// A server on the flows in `dir`, following a store of its own (in the directory returned
/// with it).
async fn serving(
    dir: &Path,
) -> (
    Arc<App>,
    axum::Router,
    Reloader,
    (switchboard::store::Store, tempfile::TempDir),
) {
    let flows = switchboard::check::load_dir(dir).unwrap();
    let version = flows.version.clone();
    let app = Arc::new(app_state(flows, NOW));
    let (store, state) = following_a_store(&app, dir).await;
    let router = server::router(app.clone());
    let reloader = Reloader::new(app.clone(), store.clone(), dir.to_owned(), &version);
    (app, router, reloader, (store, state))
}

async fn counselling_number(router: &axum::Router) -> Option<String> {
    let mut call = Call::start(router, WELLBEING).await;
    call.press("1").await;
    call.dialling()
}

#[tokio::test]
async fn a_changed_destination_is_in_force_after_a_reload() {
    let dir = flow_dir();
    let (app, router, mut reloader, _store) = serving(dir.path()).await;
    let before = app.flows.load().version.clone();
    assert_eq!(
        counselling_number(&router).await.as_deref(),
        Some(COUNSELLING)
    );
    assert_eq!(reloader.reload().await, Reloaded::Unchanged);

    edit(dir.path(), "wellbeing.toml", new_counselling_number);
    let Reloaded::Swapped { version } = reloader.reload().await else {
        panic!("the edit is good and should be taken");
    };
    assert_ne!(version, before);
    assert_eq!(app.flows.load().version, version);
    assert_eq!(
        counselling_number(&router).await.as_deref(),
        Some(NEW_COUNSELLING)
    );
    assert_eq!(
        app.metrics.get(Counter::FlowReloads, &[("result", "ok")]),
        1
    );
}

#[tokio::test]
async fn a_broken_edit_is_refused_and_the_last_good_flows_keep_serving() {
    let dir = flow_dir();
    let (app, router, mut reloader, _store) = serving(dir.path()).await;
    let good = app.flows.load().version.clone();
    edit(dir.path(), "wellbeing.toml", |t| {
        misspell_a_step(&new_counselling_number(t))
    });
    assert!(matches!(reloader.reload().await, Reloaded::Refused { .. }));
    assert_eq!(app.flows.load().version, good);
    assert_eq!(
        counselling_number(&router).await.as_deref(),
        Some(COUNSELLING)
    );
    // The same broken files again are not refused (or logged) twice.
    assert_eq!(reloader.reload().await, Reloaded::Unchanged);
    assert_eq!(
        app.metrics
            .get(Counter::FlowReloads, &[("result", "refused")]),
        1
    );
    // Mended, they are taken.
    edit(dir.path(), "wellbeing.toml", |t| {
        t.replace("\"counseling\" }", "\"counselling\" }")
    });
    assert!(matches!(reloader.reload().await, Reloaded::Swapped { .. }));
    assert_eq!(
        counselling_number(&router).await.as_deref(),
        Some(NEW_COUNSELLING)
    );
}

#[tokio::test]
async fn a_call_in_progress_carries_on_across_a_reload() {
    let dir = flow_dir();
    let (_app, router, mut reloader, _store) = serving(dir.path()).await;
    let mut call = Call::start(&router, WELLBEING).await;
    assert_eq!(call.waiting_at(), "wellbeing/main-menu?attempt=1");

    edit(dir.path(), "wellbeing.toml", new_counselling_number);
    assert!(matches!(reloader.reload().await, Reloaded::Swapped { .. }));
    call.press("1").await;
    assert_eq!(call.dialling().as_deref(), Some(NEW_COUNSELLING));
    call.dial_ends("completed").await;
    assert!(call.hung_up());

    // A reload that removes the very step a caller waits at: they get a counsellor.
    let mut call = Call::start(&router, WELLBEING).await;
    edit(dir.path(), "wellbeing.toml", |t| {
        t.replace("main-menu", "choices")
    });
    assert!(matches!(reloader.reload().await, Reloaded::Swapped { .. }));
    call.press("2").await;
    assert_eq!(call.dialling().as_deref(), Some(NEW_COUNSELLING));
    assert!(call.heard().contains("Sorry, something went wrong"));
}

#[tokio::test]
async fn a_running_server_takes_a_saved_edit_within_seconds_and_refuses_a_broken_one() {
    let dir = flow_dir();
    let state = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), state.path(), NOW, &[], &[("RUST_LOG", "info")]);
    let version = |readyz: String| {
        let ready: serde_json::Value = serde_json::from_str(&readyz).unwrap();
        ready["flows"].as_str().unwrap().to_owned()
    };
    let first = version(server.get("/readyz").await);

    edit(dir.path(), "wellbeing.toml", new_counselling_number);
    let started = std::time::Instant::now();
    let twiml = server
        .call_until_after_press(WELLBEING, "1", NEW_COUNSELLING, Duration::from_secs(5))
        .await;
    assert!(twiml.contains(NEW_COUNSELLING), "{twiml}");
    assert!(started.elapsed() < Duration::from_secs(5));
    let second = version(server.get("/readyz").await);
    assert_ne!(first, second);

    edit(dir.path(), "wellbeing.toml", misspell_a_step);
    std::thread::sleep(Duration::from_secs(2));
    let twiml = server
        .call_until_after_press(WELLBEING, "1", NEW_COUNSELLING, Duration::from_secs(1))
        .await;
    assert!(
        twiml.contains(NEW_COUNSELLING),
        "still the last good flows: {twiml}"
    );
    assert_eq!(version(server.get("/readyz").await), second);
    let logs = server.logs();
    assert!(logs.contains("call flows REFUSED"), "{logs}");
    let text = std::fs::read_to_string(dir.path().join("wellbeing.toml")).unwrap();
    let (line, column) = text
        .lines()
        .enumerate()
        .find_map(|(i, l)| l.find("next = \"counseling\"").map(|c| (i + 1, c + 8)))
        .unwrap();
    let finding = format!(
        "wellbeing.toml:{line}:{column}: error: step \"counseling\" is not defined; did you mean \"counselling\"?"
    );
    assert!(
        logs.contains(&finding),
        "the log names the file, line and reason:\n{logs}"
    );
    let metrics = server.get("/metrics").await;
    assert!(
        metrics.contains("switchboard_flow_reloads_total{result=\"ok\"} 1\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("switchboard_flow_reloads_total{result=\"refused\"} 1\n"),
        "{metrics}"
    );
}

#[tokio::test]
async fn sighup_reloads_when_watching_is_off() {
    let dir = flow_dir();
    let state = tempfile::tempdir().unwrap();
    let server = Server::start_in(
        dir.path(),
        state.path(),
        NOW,
        &["--watch-flows", "false"],
        &[("RUST_LOG", "warn")],
    );
    edit(dir.path(), "wellbeing.toml", new_counselling_number);
    std::thread::sleep(Duration::from_millis(1500));
    let twiml = server
        .call_until_after_press(WELLBEING, "1", COUNSELLING, Duration::from_secs(1))
        .await;
    assert!(
        twiml.contains(COUNSELLING),
        "not watching: the old flows still serve"
    );
    server.signal("HUP");
    let twiml = server
        .call_until_after_press(WELLBEING, "1", NEW_COUNSELLING, Duration::from_secs(5))
        .await;
    assert!(twiml.contains(NEW_COUNSELLING), "{twiml}");
}

/// A ConfigMap volume as kubelet lays it out: the files in a timestamped directory, `..data`
/// a symlink to it, and each file a symlink through `..data`.
struct ConfigMapVolume {
    dir: tempfile::TempDir,
    generation: u32,
}

impl ConfigMapVolume {
    fn new(files: &[(&str, String)]) -> ConfigMapVolume {
        let mut volume = ConfigMapVolume {
            dir: tempfile::tempdir().unwrap(),
            generation: 0,
        };
        volume.update(files);
        for (name, _) in files {
            std::os::unix::fs::symlink(format!("..data/{name}"), volume.dir.path().join(name))
                .unwrap();
        }
        volume
    }

    /// As kubelet updates it: a new timestamped directory, a `..data_tmp` symlink to it
    /// renamed over `..data` in one step, and the old directory removed.
    fn update(&mut self, files: &[(&str, String)]) {
        self.generation += 1;
        let root = self.dir.path();
        let stamp = format!("..2026_12_01_10_00_0{}.12345", self.generation);
        std::fs::create_dir(root.join(&stamp)).unwrap();
        for (name, text) in files {
            std::fs::write(root.join(&stamp).join(name), text).unwrap();
        }
        let old = std::fs::read_link(root.join("..data")).ok();
        std::os::unix::fs::symlink(&stamp, root.join("..data_tmp")).unwrap();
        std::fs::rename(root.join("..data_tmp"), root.join("..data")).unwrap();
        if let Some(old) = old {
            std::fs::remove_dir_all(root.join(old)).unwrap();
        }
    }
}

#[cfg(unix)]
#[tokio::test]
async fn a_kubernetes_configmap_update_by_symlink_swap_is_taken_within_seconds() {
    let shipped = |name: &str| std::fs::read_to_string(shipped_flows_dir().join(name)).unwrap();
    let files = |wellbeing: String| {
        [
            ("wellbeing.toml", wellbeing),
            ("doctor-support.toml", shipped("doctor-support.toml")),
        ]
    };
    let mut volume = ConfigMapVolume::new(&files(shipped("wellbeing.toml")));
    let state = tempfile::tempdir().unwrap();
    let server = Server::start_in(volume.dir.path(), state.path(), NOW, &[], &[]);
    assert!(!server.call(WELLBEING).await.contains(NEW_COUNSELLING));
    volume.update(&files(new_counselling_number(&shipped("wellbeing.toml"))));
    let twiml = server
        .call_until_after_press(WELLBEING, "1", NEW_COUNSELLING, Duration::from_secs(5))
        .await;
    assert!(
        twiml.contains(NEW_COUNSELLING),
        "{twiml}\n{}",
        server.logs()
    );
    // A broken update is refused like any other edit.
    volume.update(&files(misspell_a_step(&new_counselling_number(&shipped(
        "wellbeing.toml",
    )))));
    std::thread::sleep(Duration::from_secs(2));
    let twiml = server
        .call_until_after_press(WELLBEING, "1", NEW_COUNSELLING, Duration::from_secs(1))
        .await;
    assert!(twiml.contains(NEW_COUNSELLING), "{twiml}");
}

#[tokio::test]
async fn a_good_edit_while_the_store_is_down_waits_and_the_last_flows_keep_serving() {
    let dir = flow_dir();
    let (app, router, mut reloader, (store, _state)) = serving(dir.path()).await;
    let good = app.flows.load().version.clone();
    store.close().await;
    edit(dir.path(), "wellbeing.toml", new_counselling_number);
    assert!(matches!(reloader.reload().await, Reloaded::Waiting { .. }));
    assert_eq!(app.flows.load().version, good);
    assert_eq!(
        counselling_number(&router).await.as_deref(),
        Some(COUNSELLING)
    );
}

/// What `/readyz` says: the version in force, and the version of the files held back, if any.
async fn in_force_and_held(server: &crate::support::process::Server) -> (String, Option<String>) {
    let ready: serde_json::Value = serde_json::from_str(&server.get("/readyz").await).unwrap();
    let held = ready["flow_files_held"].as_str().map(str::to_owned);
    (ready["flows"].as_str().unwrap().to_owned(), held)
}

/// Waits until `/readyz` says `wanted`.
async fn until_readyz(
    server: &crate::support::process::Server,
    wanted: impl Fn(&(String, Option<String>)) -> bool,
) -> (String, Option<String>) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let said = in_force_and_held(server).await;
        if wanted(&said) {
            return said;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "readyz never said it: {said:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// After a roll-back from the console, the flow files on disk (which still hold what was
/// rolled back) do not go back into force with their next edit: they are held, `/readyz` and
/// the Versions page say so and what they would change, in people's words, and they go into
/// force only when someone puts them there, asked first, with a reason.
#[tokio::test]
async fn after_a_roll_back_an_edit_of_the_files_waits_for_someone_to_put_it_in_force() {
    use crate::support::process::{ConsoleSite, Server, free_address};
    let state = tempfile::tempdir().unwrap();
    let url = switchboard::store::DatabaseUrl::sqlite_in(state.path());
    {
        let store = switchboard::store::Store::open(&url).await.unwrap();
        let editor = switchboard::store::Role::Editor;
        add_user(&store, "amira", editor, "correct horse battery").await;
        store.close().await;
    }
    let flows = tempfile::tempdir().unwrap();
    for name in ["wellbeing.toml", "doctor-support.toml"] {
        std::fs::copy(shipped_flows_dir().join(name), flows.path().join(name)).unwrap();
    }
    let console_at = free_address();
    let server = Server::start_in(
        flows.path(),
        state.path(),
        "2026-12-07T10:00:00Z",
        &["--admin-listen", &console_at.to_string()],
        &[("RUST_LOG", "warn")],
    );
    let (first, _) = in_force_and_held(&server).await;
    // An edit: the team's new number, in force by itself.
    let doctor_support = flows.path().join("doctor-support.toml");
    let edit = |path: &std::path::Path, from: &str, to: &str| {
        let text = std::fs::read_to_string(path).unwrap();
        assert!(text.contains(from), "{from} in {}", path.display());
        std::fs::write(path, text.replace(from, to)).unwrap();
    };
    edit(&doctor_support, "+442079460103", "+442079460113");
    let (second, _) = until_readyz(&server, |(v, _)| *v != first).await;

    // Rolled back from the console: the old number is in force again.
    let console = ConsoleSite::at(console_at);
    let login = console.try_log_in("amira", "correct horse battery").await;
    let csrf = console.csrf(&login.cookie).await;
    let fields = [
        ("csrf", csrf.as_str()),
        ("version", first.as_str()),
        ("note", "the new number is not staffed yet"),
        ("confirmed", "yes"),
    ];
    let back = console
        .post("/history/rollback", &login.cookie, &fields)
        .await;
    assert_eq!(back.status, 303, "{}", back.body);
    // At once, the files here (which still hold the new number) are said to be held back.
    let (_, held) = until_readyz(&server, |(v, _)| *v == first).await;
    assert_eq!(held.as_deref(), Some(second.as_str()));
    let history = console.get("/history", &login.cookie).await;
    assert!(
        history.body.contains("The flow files are held back"),
        "{}",
        history.body
    );
    assert!(
        history
            .body
            .contains("changes from 020 7946 0103 to 020 7946 0113"),
        "{}",
        history.body
    );

    // An unrelated edit of the files, which still hold the new number: held, not in force.
    edit(
        &flows.path().join("wellbeing.toml"),
        "Welcome to the wellbeing support line",
        "Hello, this is the wellbeing support line",
    );
    let (in_force, held) = until_readyz(&server, |(_, held)| {
        held.as_ref().is_some_and(|h| *h != second)
    })
    .await;
    assert_eq!(in_force, first);
    let third = held.unwrap();
    assert_ne!(third, second);
    let history = console.get("/history", &login.cookie).await;
    assert!(
        history.body.contains("The flow files are held back"),
        "{}",
        history.body
    );
    assert!(
        history.body.contains(
            "the number “Team” puts callers through to changes from 020 7946 0103 to 020 7946 0113"
        ),
        "{}",
        history.body
    );
    assert!(
        history
            .body
            .contains("what callers hear at “Welcome” changes to"),
        "{}",
        history.body
    );

    // `check`, where the store is, says so too, and what they would change.
    let checked = std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["check", "--flows", flows.path().to_str().unwrap()])
        .args(["--state-dir", state.path().to_str().unwrap()])
        .env_remove("SWITCHBOARD_DATABASE_URL")
        .output()
        .unwrap();
    assert!(checked.status.success());
    let said = String::from_utf8_lossy(&checked.stderr);
    assert!(
        said.contains("warning: these files are held back since a roll-back"),
        "{said}"
    );
    assert!(
        said.contains("changes from 020 7946 0103 to 020 7946 0113"),
        "{said}"
    );

    // Put in force by someone, asked first, with a reason.
    let asked = console
        .post("/history/files", &login.cookie, &[("csrf", csrf.as_str())])
        .await;
    assert_eq!(asked.status, 200, "{}", asked.body);
    assert!(
        asked.body.contains("Put the flow files in force?"),
        "{}",
        asked.body
    );
    assert_eq!(in_force_and_held(&server).await.0, first);
    let fields = [
        ("csrf", csrf.as_str()),
        ("note", "the team's number is staffed now"),
        ("confirmed", "yes"),
    ];
    let made = console.post("/history/files", &login.cookie, &fields).await;
    assert_eq!(made.status, 303, "{}", made.body);
    let (in_force, held) = until_readyz(&server, |(v, _)| *v == third).await;
    assert_eq!((in_force, held), (third, None));
}
