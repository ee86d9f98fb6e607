//! Live reload of the call flows. When the flow directory changes (or on SIGHUP) the files are
//! checked again as one set: a set with no errors is published to the store and put in force
//! there, so every server serves it within a second (this one at once); a set with errors is
//! refused, logged with every finding, and the last good set keeps serving. Calls in progress
//! carry only line and step ids in their action URLs, so they go on in the new set, or get the
//! safe answer if their step is gone.
//!
//! A server's flow directory is where flows come from; the store says which version is in
//! force. So a roll-back from the console holds on every server, and a server that restarts
//! with files the store has seen before does not undo it: only files the store has never had
//! are put in force at start.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use notify::RecursiveMode;
use notify_debouncer_full::{DebounceEventResult, new_debouncer};

use super::App;
use super::metrics::Counter;
use crate::flow::{self, Flows};
use crate::store::Store;

/// Editors write a file in several steps; wait for them to finish.
const SETTLE: Duration = Duration::from_millis(300);
/// While the store is unavailable, a good edit waiting to be published is tried again this often.
const RETRY: Duration = Duration::from_secs(2);
/// How long a change made here may take to be in force on this server.
const APPLY_WITHIN: Duration = Duration::from_secs(3);

/// What one reload did.
#[derive(Debug, PartialEq, Eq)]
pub enum Reloaded {
    /// The files are the ones in force (or the set already refused): nothing to do.
    Unchanged,
    /// The new set is in force.
    Swapped { version: String },
    /// The set has errors; the last good set keeps serving.
    Refused { version: String },
    /// The set is good, but the store is unavailable: it is published when the store is back.
    Waiting { version: String },
    /// The set is good, but held back since a roll-back: see [`FilesRead`].
    Held { version: String },
}

/// Flow files as a server read them from its directory. After a roll-back they are held back
/// (the store says so): they differ from the version in force, and go into force only when
/// someone puts them there from the console, in words.
pub struct FilesRead {
    pub version: String,
    pub files: flow::NamedFiles,
}

/// A checked set of flow files: the flows, and each file's name and text.
pub struct FlowFiles {
    pub flows: Flows,
    pub files: flow::NamedFiles,
}

/// Reads and checks the flow directory: the set (its warnings logged), or the version read
/// and every finding.
pub fn read_checked(dir: &Path) -> Result<FlowFiles, (String, flow::Diagnostics)> {
    let files = flow::read_named(dir).map_err(|d| (String::new(), d))?;
    let checked = crate::check::check_named(&files, Utc::now().date_naive());
    let Some(flows) = checked.flows else {
        return Err((checked.version, checked.diagnostics));
    };
    for finding in &checked.diagnostics.0 {
        tracing::warn!(%finding, "call flows: warning");
    }
    Ok(FlowFiles { flows, files })
}

/// Publishes `set` to the store and puts it in force there, `by` whom and why: the revision.
pub async fn publish(
    store: &Store,
    set: &FlowFiles,
    by: &str,
    why: &str,
) -> crate::store::Result<i64> {
    let mut change = store.change(by).await?;
    let before = crate::ops::in_force_name(change.in_force().await?.as_ref());
    let version = &set.flows.version;
    change.put_flows_in_force(version, &set.files, why).await?;
    // Files put in force are no longer held back.
    change.release_flow_files().await?;
    let number = change.version_number(version).await?.unwrap_or_default();
    let after = crate::ops::version_name(number);
    change
        .audit(
            &format!("new call flows put in force as {after}"),
            why,
            &before,
            &after,
        )
        .await?;
    change.commit().await
}

/// Who the audit says made a change that came from the flow files.
const FLOW_FILES: &str = "the flow files";

/// Lifts the hold on the flow files: they are the version in force again.
async fn release(store: &Store) -> crate::store::Result<()> {
    let mut change = store.change(FLOW_FILES).await?;
    change.release_flow_files().await?;
    let what = "the flow files match the version in force again: no longer held back";
    change.audit(what, "", "held back", "not held back").await?;
    change.commit().await?;
    Ok(())
}

/// Keeps `set` as the files this server read from its directory.
fn note_read(app: &App, set: &FlowFiles) {
    let read = FilesRead {
        version: set.flows.version.clone(),
        files: set.files.clone(),
    };
    app.files_read.store(Some(Arc::new(read)));
}

/// Says whether this server's files are held back since a roll-back.
pub fn note_held(app: &App, held: bool) {
    app.files_held
        .store(held, std::sync::atomic::Ordering::Relaxed);
}

/// At start: whether this server's files are held back since a roll-back (they differ from
/// the version in force), kept so in `app` for the console to show.
pub async fn hold_if_held(app: &App, store: &Store, set: &FlowFiles) -> crate::store::Result<()> {
    note_read(app, set);
    let in_force = store.snapshot().await?.in_force.map(|v| v.version);
    let held = store.flow_files_held().await?.is_some();
    note_held(app, held);
    if held && in_force.as_ref() != Some(&set.flows.version) {
        tracing::warn!(version = %set.flows.version, "the flow files are held back since a roll-back: put them in force from the console's Versions page");
    }
    Ok(())
}

/// Publishes `set` at start if the store has never had it (and the files are not held back
/// since a roll-back); files it has seen before are not put in force again, so a restart
/// never undoes a roll-back made from the console.
pub async fn publish_if_new(
    store: &Store,
    set: &FlowFiles,
    dir: &Path,
) -> crate::store::Result<()> {
    if store.flow_files_held().await?.is_some() {
        return Ok(());
    }
    if !store.knows_version(&set.flows.version).await? {
        // In ops' words: which directory and host is the server's log's to say.
        let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_owned());
        tracing::info!(dir = %dir.display(), server = %super::follow::this_server(), "new flow files at start: publishing them");
        publish(
            store,
            set,
            FLOW_FILES,
            "new flow files, read as a server started",
        )
        .await?;
    }
    Ok(())
}

pub struct Reloader {
    app: Arc<App>,
    store: Store,
    dir: PathBuf,
    last_refused: Option<String>,
    /// The version of the files as last read: only files that changed since are published,
    /// so touching a file never undoes a roll-back made from the console.
    last_read: String,
    /// A good set the store could not take yet.
    waiting: bool,
}

impl Reloader {
    /// `read` is the version of the files as `serve` read them at start.
    pub fn new(app: Arc<App>, store: Store, dir: PathBuf, read: &str) -> Self {
        Reloader {
            app,
            store,
            dir,
            last_refused: None,
            last_read: read.to_owned(),
            waiting: false,
        }
    }

    /// Checks the directory and, if its files changed since last read and have no errors,
    /// publishes them and puts them in force.
    pub async fn reload(&mut self) -> Reloaded {
        let dir = self.dir.clone();
        // The files are read off the async workers that answer calls.
        let Ok(checked) = tokio::task::spawn_blocking(move || read_checked(&dir)).await else {
            tracing::error!(dir = %self.dir.display(), "reading the call flows failed; the last good flows keep serving");
            return Reloaded::Unchanged;
        };
        let metrics = &self.app.metrics;
        let set = match checked {
            Ok(set) => set,
            Err((version, diagnostics)) => {
                if self.last_refused.as_ref() == Some(&version) {
                    return Reloaded::Unchanged;
                }
                metrics.add(Counter::FlowReloads, &[("result", "refused")]);
                tracing::error!(
                    dir = %self.dir.display(),
                    %version,
                    "call flows REFUSED: the last good flows keep serving"
                );
                for finding in &diagnostics.0 {
                    tracing::error!(%finding, "call flows REFUSED because of");
                }
                self.last_refused = Some(version.clone());
                self.waiting = false;
                return Reloaded::Refused { version };
            }
        };
        self.last_refused = None;
        note_read(&self.app, &set);
        let version = set.flows.version.clone();
        if version == self.last_read && !self.waiting {
            return Reloaded::Unchanged;
        }
        self.last_read = version.clone();
        let held = match self.store.flow_files_held().await {
            Ok(held) => held.is_some(),
            Err(error) => {
                if !self.waiting {
                    tracing::error!(%error, %version, "the edited flows are good but the store is unavailable: they go into force when it is back");
                }
                self.waiting = true;
                return Reloaded::Waiting { version };
            }
        };
        self.waiting = false;
        note_held(&self.app, held);
        let in_force = self.app.flows.load().version.clone();
        if held && version != in_force {
            tracing::warn!(%version, "the flow files were edited, but are held back since a roll-back: put them in force from the console's Versions page");
            return Reloaded::Held { version };
        }
        if held {
            note_held(&self.app, false);
            // Edited back to the version in force: nothing is held back any more.
            if let Err(error) = release(&self.store).await {
                tracing::warn!(%error, "the flow files match the version in force again, but the hold on them could not be lifted");
            }
            return Reloaded::Unchanged;
        }
        let why = "the flow files were edited";
        match publish(&self.store, &set, FLOW_FILES, why).await {
            Ok(revision) => {
                self.waiting = false;
                self.app.store.serve_at_least(revision, APPLY_WITHIN).await;
                tracing::info!(dir = %self.dir.display(), %version, "call flows published and in force");
                Reloaded::Swapped { version }
            }
            Err(error) => {
                if !self.waiting {
                    tracing::error!(%error, %version, "the edited flows are good but the store is unavailable: they go into force when it is back");
                }
                self.waiting = true;
                Reloaded::Waiting { version }
            }
        }
    }

    /// Reloads whenever the directory changes (if `watch`) and on SIGHUP, until dropped.
    /// The directory is watched rather than its files, as editors save by renaming.
    pub async fn follow(mut self, watch: bool) {
        let wake = Arc::new(tokio::sync::Notify::new());
        let _watching = if watch {
            let waker = wake.clone();
            let debouncer = new_debouncer(SETTLE, None, move |result: DebounceEventResult| {
                match result {
                    Ok(_) => waker.notify_one(),
                    Err(errors) => {
                        for error in errors {
                            tracing::warn!(%error, "watching the call flows");
                        }
                        // Something changed that could not be described: look again.
                        waker.notify_one();
                    }
                }
            });
            match debouncer {
                Ok(mut debouncer) => {
                    match debouncer.watch(&self.dir, RecursiveMode::NonRecursive) {
                        Ok(()) => Some(debouncer),
                        Err(error) => {
                            tracing::error!(%error, dir = %self.dir.display(), "cannot watch the call flows; reload them with SIGHUP");
                            None
                        }
                    }
                }
                Err(error) => {
                    tracing::error!(%error, "cannot watch the call flows; reload them with SIGHUP");
                    None
                }
            }
        } else {
            None
        };
        // An edit saved between the first read and the watch starting made no event: look once
        // now (nothing happens if the files are as they were read). Not watching, only SIGHUP
        // reloads.
        if watch {
            self.reload().await;
        }
        let mut hangup = hangups();
        loop {
            let retry = async {
                if self.waiting {
                    tokio::time::sleep(RETRY).await;
                } else {
                    std::future::pending::<()>().await;
                }
            };
            tokio::select! {
                () = wake.notified() => {}
                () = hangup.recv() => tracing::info!("SIGHUP: reloading the call flows"),
                () = retry => {}
            }
            self.reload().await;
        }
    }
}

/// SIGHUP, where there is such a thing.
struct Hangups(#[cfg(unix)] Option<tokio::signal::unix::Signal>);

fn hangups() -> Hangups {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        Hangups(signal(SignalKind::hangup()).ok())
    }
    #[cfg(not(unix))]
    Hangups()
}

impl Hangups {
    async fn recv(&mut self) {
        #[cfg(unix)]
        if let Some(signal) = &mut self.0 {
            signal.recv().await;
            return;
        }
        std::future::pending::<()>().await;
    }
}
