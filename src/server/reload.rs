//! Live reload of the call flows. When the flow directory changes (or on SIGHUP) the files are
//! checked again as one set: a set with no errors replaces the one in force at once; a set
//! with errors is refused, logged with every finding, and the last good set keeps serving.
//! Calls in progress carry only line and step ids in their action URLs, so they go on in the
//! new set, or get the safe answer if their step is gone.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use notify::RecursiveMode;
use notify_debouncer_full::{DebounceEventResult, new_debouncer};

use super::App;
use super::metrics::Counter;
use crate::flow;

/// Editors write a file in several steps; wait for them to finish.
const SETTLE: Duration = Duration::from_millis(300);

/// What one reload did.
#[derive(Debug, PartialEq, Eq)]
pub enum Reloaded {
    /// The files are the ones in force (or the set already refused): nothing to do.
    Unchanged,
    /// The new set is in force.
    Swapped { version: String },
    /// The set has errors; the last good set keeps serving.
    Refused { version: String },
}

pub struct Reloader {
    app: Arc<App>,
    dir: PathBuf,
    last_refused: Option<String>,
    /// Where each set put in force is noted, for the console's history.
    history: Option<PathBuf>,
}

impl Reloader {
    pub fn new(app: Arc<App>, dir: PathBuf) -> Self {
        Reloader {
            app,
            dir,
            last_refused: None,
            history: None,
        }
    }

    /// Notes each set it puts in force in the state directory (see [`crate::console::history`]).
    pub fn noting_history(mut self, state_dir: &std::path::Path) -> Self {
        self.history = Some(state_dir.to_owned());
        self
    }

    /// Checks the directory and swaps in its flows if they have no errors.
    pub fn reload(&mut self) -> Reloaded {
        self.reload_by("file change")
    }

    /// As [`Reloader::reload`], for a change made `by` someone (the console's user): the
    /// history says who.
    pub fn reload_by(&mut self, by: &str) -> Reloaded {
        let checked = flow::check_dir(&self.dir, Utc::now().date_naive());
        let metrics = &self.app.metrics;
        let Some(flows) = checked.flows else {
            if self.last_refused.as_ref() == Some(&checked.version) {
                return Reloaded::Unchanged;
            }
            metrics.add(Counter::FlowReloads, &[("result", "refused")]);
            tracing::error!(
                dir = %self.dir.display(),
                version = %checked.version,
                "call flows REFUSED: the last good flows keep serving"
            );
            for finding in &checked.diagnostics.0 {
                tracing::error!(%finding, "call flows REFUSED because of");
            }
            self.last_refused = Some(checked.version.clone());
            return Reloaded::Refused {
                version: checked.version,
            };
        };
        self.last_refused = None;
        if flows.version == self.app.flows.load().version {
            return Reloaded::Unchanged;
        }
        for finding in &checked.diagnostics.0 {
            tracing::warn!(%finding, "call flows: warning");
        }
        let version = flows.version.clone();
        self.app.swap_flows(flows);
        if let Some(state_dir) = &self.history
            && let Err(error) = crate::console::history::record(state_dir, &self.dir, &version, by)
        {
            tracing::warn!(%error, "the flow versions in force could not be noted");
        }
        metrics.add(Counter::FlowReloads, &[("result", "ok")]);
        tracing::info!(dir = %self.dir.display(), %version, "call flows reloaded");
        Reloaded::Swapped { version }
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
        let mut hangup = hangups();
        loop {
            tokio::select! {
                () = wake.notified() => {}
                () = hangup.recv() => tracing::info!("SIGHUP: reloading the call flows"),
            }
            // The flow files (and the history kept beside the state) are read off the async
            // workers that answer calls.
            self = match tokio::task::spawn_blocking(move || {
                self.reload();
                self
            })
            .await
            {
                Ok(reloader) => reloader,
                Err(error) => {
                    tracing::error!(%error, "reloading the call flows failed; live reload and SIGHUP stop until a restart");
                    return;
                }
            };
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
