//! Keeps this server's snapshot of the store current. Webhooks read only memory (the flows,
//! the switch and the holidays in [`App`]); a task of its own watches the store's revision
//! (LISTEN/NOTIFY on PostgreSQL, with a poll as backstop; a poll of one row on SQLite) and,
//! when it moves, loads the store again and swaps in what it says. A store that is down or
//! slow changes nothing callers hear: the last snapshot keeps serving, the outage is logged,
//! counted and shown on `/readyz`, and the server catches up by itself when the store is back.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::Utc;

use super::App;
use super::metrics::Counter;
use crate::flow::Flows;
use crate::store::{ServerSeen, Snapshot, Store};

/// How often the revision is read, whatever else wakes the follower: on SQLite this is how
/// changes are seen; on PostgreSQL it catches a notification lost while disconnected.
const POLL: Duration = Duration::from_millis(200);
/// Past this, a read of the store is given up and counted as the store being slow.
const DEADLINE: Duration = Duration::from_secs(2);
/// How often this server says in the store that it reads it.
const HEARTBEAT: Duration = Duration::from_secs(2);

/// What a server knows of its link to the store, shared by the follower, the console and
/// `/readyz`.
pub struct StoreLink {
    available: AtomicBool,
    /// Wakes the follower at once, after a change made on this server.
    wake: tokio::sync::Notify,
    /// The revision this server serves.
    applied: tokio::sync::watch::Sender<i64>,
    /// The store, for the one thing a webhook writes: a caller's request for a call back.
    store: std::sync::OnceLock<Store>,
}

impl Default for StoreLink {
    fn default() -> Self {
        StoreLink {
            available: AtomicBool::new(true),
            wake: tokio::sync::Notify::new(),
            applied: tokio::sync::watch::Sender::new(0),
            store: std::sync::OnceLock::new(),
        }
    }
}

impl StoreLink {
    /// Whether the last read of the store worked.
    pub fn available(&self) -> bool {
        self.available.load(Ordering::Relaxed)
    }

    /// The store this server follows, once it follows one.
    pub fn store(&self) -> Option<&Store> {
        self.store.get()
    }

    /// The revision in force on this server.
    pub fn revision(&self) -> i64 {
        *self.applied.borrow()
    }

    /// Asks the follower to read the store now, and waits (at most `within`) until this
    /// server serves `revision` or a later one: whether it does.
    pub async fn serve_at_least(&self, revision: i64, within: Duration) -> bool {
        self.wake.notify_one();
        let mut applied = self.applied.subscribe();
        tokio::time::timeout(within, applied.wait_for(|now| *now >= revision))
            .await
            .is_ok_and(|r| r.is_ok())
    }
}

/// The flows as published (before the one-off days are merged in), and the revision applied.
pub struct Follower {
    app: Arc<App>,
    store: Store,
    published: Flows,
    seen: ServerSeen,
    /// What the last snapshot had wrong with it, so each problem is logged once, not at every
    /// change.
    problems: Vec<String>,
    /// The store's file generation the snapshot was read from (see `Store::file_generation`).
    file_generation: u64,
}

impl Follower {
    /// `published` are the flows read at start, already checked; `address` is where this
    /// server answers webhooks, for the list of servers.
    fn new(app: Arc<App>, store: Store, published: Flows, address: &str) -> Follower {
        Follower {
            file_generation: store.file_generation(),
            app,
            store,
            published,
            seen: ServerSeen {
                server: this_server(),
                address: address.to_owned(),
                seen_ms: 0,
                revision: -1,
            },
            problems: Vec::new(),
        }
    }

    /// A follower with the store's snapshot already in force in `app`: so a line closed in an
    /// emergency is never open for a moment when a server starts.
    pub async fn start(
        app: Arc<App>,
        store: Store,
        published: Flows,
        address: &str,
    ) -> crate::store::Result<Follower> {
        let snapshot = store.snapshot().await?;
        let _ = app.store.store.set(store.clone());
        let mut follower = Follower::new(app, store, published, address);
        follower.apply(snapshot).await;
        Ok(follower)
    }

    /// This server's name in the store's list of servers.
    pub fn server(&self) -> &str {
        &self.seen.server
    }

    /// Puts `snapshot` in force: the switch, and the published flows with the days merged in.
    pub async fn apply(&mut self, snapshot: Snapshot) {
        if let Some(in_force) = &snapshot.in_force
            && in_force.version != self.published.version
        {
            match self.load_version(&in_force.version).await {
                Ok(flows) => {
                    tracing::info!(version = %flows.version, by = %in_force.by, why = %in_force.why, "call flows in force from the store");
                    self.app
                        .metrics
                        .add(Counter::FlowReloads, &[("result", "ok")]);
                    self.published = flows;
                }
                Err(problem) => {
                    self.app
                        .metrics
                        .add(Counter::FlowReloads, &[("result", "refused")]);
                    tracing::error!(version = %in_force.version, %problem, "the flows in force in the store do not load here; the last good flows keep serving");
                }
            }
        }
        let (merged, mut problems) = self.published.with_days(&snapshot.days);
        let known: Vec<&str> = merged.schedules.iter().map(|s| s.name.as_str()).collect();
        problems.extend(snapshot.emergencies.unknown(&known).into_iter().map(|schedule| {
            format!("the emergency switch closes {schedule:?}, which no flow has: it closes nothing")
        }));
        for problem in problems.iter().filter(|p| !self.problems.contains(p)) {
            tracing::warn!(%problem, "the store's run-time changes");
        }
        self.problems = problems;
        log_switch_changes(&self.app.emergencies.load(), &snapshot.emergencies);

        self.app.emergencies.store(Arc::new(snapshot.emergencies));
        self.app.swap_flows(merged);
        self.seen.revision = snapshot.revision;
        self.app.store.applied.send_replace(snapshot.revision);
    }

    async fn load_version(&self, version: &str) -> Result<Flows, String> {
        let files = self
            .store
            .flow_files(version)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("version {version} is not kept in the store"))?;
        let checked = crate::check::check_named(&files, Utc::now().date_naive());
        checked.flows.ok_or_else(|| checked.diagnostics.to_string())
    }

    /// Follows the store until the process ends.
    pub async fn run(mut self) {
        tokio::spawn(relay_notifications(self.store.clone(), self.app.clone()));
        let mut last_heartbeat = tokio::time::Instant::now() - HEARTBEAT;
        let mut said_revision = None;
        // Why the last heartbeat (this server's one write) failed: a store that reads but
        // cannot write (a full disk, a read-only file) is not available either.
        let mut writes_failing: Option<String> = None;
        loop {
            let outcome = tokio::time::timeout(DEADLINE, self.catch_up()).await;
            let read_problem = match outcome {
                Ok(Ok(())) => None,
                Ok(Err(error)) => Some(("unavailable", error.to_string())),
                Err(_) => Some(("slow", format!("no answer within {DEADLINE:?}"))),
            };
            // Said at once after a new revision, so ops see that this server serves it; tried
            // while writes fail too, to see when they work again.
            let due = last_heartbeat.elapsed() >= HEARTBEAT
                || said_revision != Some(self.seen.revision)
                || writes_failing.is_some();
            if due && read_problem.is_none() {
                self.seen.seen_ms = crate::store::millis(Utc::now());
                let written =
                    tokio::time::timeout(DEADLINE, self.store.server_seen(&self.seen)).await;
                last_heartbeat = tokio::time::Instant::now();
                writes_failing = match written {
                    Ok(Ok(())) => {
                        said_revision = Some(self.seen.revision);
                        None
                    }
                    Ok(Err(error)) => Some(error.to_string()),
                    Err(_) => Some(format!("no write within {DEADLINE:?}")),
                };
            }
            let problem = read_problem.or_else(|| {
                writes_failing
                    .clone()
                    .map(|error| ("writes-failing", format!("writes fail: {error}")))
            });
            self.note_health(problem);
            tokio::select! {
                () = self.app.store.wake.notified() => {}
                () = tokio::time::sleep(POLL) => {}
            }
        }
    }

    /// Reads the revision and, if it moved, the whole snapshot.
    async fn catch_up(&mut self) -> crate::store::Result<()> {
        let revision = self.store.revision().await?;
        let generation = self.store.file_generation();
        if revision == self.seen.revision && generation == self.file_generation {
            return Ok(());
        }
        self.file_generation = generation;
        let snapshot = self.store.snapshot().await?;
        self.apply(snapshot).await;
        Ok(())
    }

    fn note_health(&self, problem: Option<(&'static str, String)>) {
        let link = &self.app.store;
        match problem {
            None => {
                if !link.available.swap(true, Ordering::Relaxed) {
                    tracing::info!(store = %self.store.url(), "the store answers again; this server is up to date with it");
                }
            }
            Some((kind, error)) => {
                self.app
                    .metrics
                    .add(Counter::StoreProblems, &[("problem", kind)]);
                if link.available.swap(false, Ordering::Relaxed) {
                    tracing::error!(store = %self.store.url(), %error, "the store is unavailable: calls are answered from the last snapshot, and changes wait until it is back");
                }
            }
        }
    }
}

/// Wakes the follower at each PostgreSQL notification (nothing on SQLite). A listener that
/// cannot connect is tried again each second; once connected, sqlx's listener reconnects by
/// itself. Notifications sent meanwhile are lost, which the poll makes good.
async fn relay_notifications(store: Store, app: Arc<App>) {
    loop {
        let mut listener = match store.listen().await {
            None => return,
            Some(Ok(listener)) => listener,
            Some(Err(error)) => {
                tracing::debug!(%error, "cannot LISTEN for changes yet; polling meanwhile");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        loop {
            match listener.recv().await {
                Ok(_) => app.store.wake.notify_one(),
                Err(error) => {
                    tracing::debug!(%error, "LISTEN connection lost; reconnecting");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }
}

/// `host:process`, as the list of servers names this one.
pub fn this_server() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".to_owned());
    format!("{host}:{}", std::process::id())
}

fn log_switch_changes(before: &crate::calendar::Emergencies, after: &crate::calendar::Emergencies) {
    for (schedule, closure) in after.iter() {
        if !before.is_closed(schedule) {
            tracing::warn!(schedule, note = %closure.note, "EMERGENCY CLOSURE: schedule closed by the switch");
        }
    }
    for (schedule, _) in before.iter() {
        if !after.is_closed(schedule) {
            tracing::warn!(
                schedule,
                "emergency closure lifted: schedule follows its hours again"
            );
        }
    }
}
