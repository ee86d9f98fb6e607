//! The emergency closure switch: ops close a schedule at once, without editing the call flows.
//!
//! The switch is a small TOML file (`emergency.toml` in the state directory), one table per
//! closed schedule. `switchboard emergency close|open` writes it; a person may too. The server
//! reads it every second, so every copy of the server sharing the file agrees, and a restart
//! keeps the line closed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use serde::{Deserialize, Serialize};

use crate::state;

/// The schedules closed by the switch, by name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Emergencies {
    closed: BTreeMap<String, EmergencyClosure>,
}

/// One schedule closed in an emergency. Callers hear the flow's `emergency` step, never this
/// text: it is for the people on call.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmergencyClosure {
    /// When it was closed (RFC 3339), as written by `switchboard emergency close`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub since: String,
    /// Why, for the team.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SwitchError {
    #[error("{path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl Emergencies {
    pub fn is_closed(&self, schedule: &str) -> bool {
        self.closed.contains_key(schedule)
    }

    pub fn get(&self, schedule: &str) -> Option<&EmergencyClosure> {
        self.closed.get(schedule)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &EmergencyClosure)> {
        self.closed.iter().map(|(name, c)| (name.as_str(), c))
    }

    pub fn close(&mut self, schedule: &str, closure: EmergencyClosure) {
        self.closed.insert(schedule.to_owned(), closure);
    }

    /// Whether the schedule was closed.
    /// Closes `schedule` with `note`. Closed again without a note, the closure keeps its note
    /// and the time it began.
    pub fn close_noting(&mut self, schedule: &str, note: &str, now: chrono::DateTime<chrono::Utc>) {
        let closure = match self.get(schedule) {
            Some(already) if note.is_empty() => already.clone(),
            _ => EmergencyClosure {
                since: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                note: note.to_owned(),
            },
        };
        self.close(schedule, closure);
    }

    pub fn open(&mut self, schedule: &str) -> bool {
        self.closed.remove(schedule).is_some()
    }

    pub fn parse(text: &str, path: &Path) -> Result<Self, SwitchError> {
        toml::from_str(text).map_err(|e| SwitchError::Parse {
            path: path.to_owned(),
            message: e.to_string().trim_end().replace('\n', " "),
        })
    }

    /// The switch as the file says; no file means nothing is closed. Only a small regular
    /// file is read (see [`state::read_small`]).
    pub fn read(path: &Path) -> Result<Self, SwitchError> {
        match state::read_small(path, state::EMERGENCY_MAX_BYTES) {
            Ok(Some(text)) => Self::parse(&text, path),
            Ok(None) => Ok(Self::default()),
            Err(source) => Err(SwitchError::Read {
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// The switch, or, when the file cannot be read, the last good switch kept beside it (and
    /// the error): a broken file never reopens a line that was closed.
    pub fn read_or_last_good(path: &Path) -> (Self, Option<SwitchError>) {
        match Self::read(path) {
            Ok(switch) => (switch, None),
            Err(error) => (
                Self::read(&last_good(path)).unwrap_or_default(),
                Some(error),
            ),
        }
    }

    /// Writes the whole file at once (a temporary file renamed over it), so the server never
    /// reads half an edit, and keeps a copy as the last good switch.
    pub fn write(&self, path: &Path) -> Result<(), SwitchError> {
        let mut text = String::from(
            "# Emergency closures: each table closes the schedule it names, whatever its hours say.\n\
             # Written by `switchboard emergency`; see the README. Delete a table to reopen.\n\n",
        );
        text.push_str(&toml::to_string(self).expect("the switch is plain strings"));
        for target in [path.to_owned(), last_good(path)] {
            state::write_atomically(&target, text.as_bytes()).map_err(|source| {
                SwitchError::Write {
                    path: target.clone(),
                    source,
                }
            })?;
        }
        Ok(())
    }

    /// Reads, changes and writes the switch under a lock, so two commands at once lose
    /// nothing. A file that cannot be read is set aside, not lost: the change starts from the
    /// last good switch, and [`Updated::set_aside`] says where the broken file went.
    pub fn update<R>(
        path: &Path,
        change: impl FnOnce(&mut Emergencies) -> R,
    ) -> Result<Updated<R>, SwitchError> {
        let io = |source| SwitchError::Write {
            path: path.to_owned(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(sibling(path, "lock"))
            .map_err(io)?;
        // Released when `lock` is dropped, at the end of this function.
        fs4::FileExt::lock(&lock).map_err(io)?;
        let (mut switch, broken) = Self::read_or_last_good(path);
        let set_aside = match broken {
            Some(_) => {
                let aside = sibling(path, "broken");
                std::fs::rename(path, &aside).map_err(io)?;
                Some(aside)
            }
            None => None,
        };
        let result = change(&mut switch);
        switch.write(path)?;
        Ok(Updated {
            result,
            switch,
            set_aside,
        })
    }

    /// The schedules closed here that `known` does not have: tables that close nothing.
    pub fn unknown<'a>(&'a self, known: &[&str]) -> Vec<&'a str> {
        self.closed
            .keys()
            .map(String::as_str)
            .filter(|name| !known.contains(name))
            .collect()
    }
}

/// What [`Emergencies::update`] did.
pub struct Updated<R> {
    pub result: R,
    /// The switch as written.
    pub switch: Emergencies,
    /// Where a broken file was put aside, if it was.
    pub set_aside: Option<PathBuf>,
}

/// `emergency.toml.SUFFIX`, beside the switch.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(".");
    name.push(suffix);
    path.with_file_name(name)
}

/// The last switch that was read or written whole, kept beside it.
pub fn last_good(path: &Path) -> PathBuf {
    sibling(path, "last-good")
}

/// A server that reads the switch, as it says so in the state directory each time it does:
/// so ops can see which servers a change reaches, and whether each has applied it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reader {
    /// `host:process`.
    pub server: String,
    /// The address it answers webhooks on.
    pub address: String,
    /// When it last read the switch (RFC 3339, to the millisecond).
    pub read_at: String,
    /// The schedules closed at that server after that read.
    pub closed: Vec<String>,
}

impl Reader {
    /// This process, answering on `address`.
    pub fn this_server(address: &str) -> Reader {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "unknown-host".to_owned());
        Reader {
            server: format!("{host}:{}", std::process::id()),
            address: address.to_owned(),
            read_at: String::new(),
            closed: Vec::new(),
        }
    }

    /// The file this server's record is kept in, in the state directory of `switch`.
    fn file(&self, switch: &Path) -> PathBuf {
        let name: String = self
            .server
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        state_dir(switch)
            .join(state::READERS_DIR)
            .join(format!("{name}.toml"))
    }

    /// Records that this server read the switch now, with `in_force` after it.
    fn record(&self, switch: &Path, in_force: &Emergencies) {
        let record = Reader {
            read_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            closed: in_force.closed.keys().cloned().collect(),
            ..self.clone()
        };
        let text = toml::to_string(&record).unwrap_or_default();
        if let Err(error) = state::write_atomically(&self.file(switch), text.as_bytes()) {
            tracing::warn!(%error, "could not record that this server reads the emergency switch");
        }
    }

    /// This server no longer reads the switch: its record goes.
    pub fn forget(&self, switch: &Path) {
        let _ = std::fs::remove_file(self.file(switch));
    }

    /// Every server that has said it reads the switch at `switch`, most recent first.
    pub fn all(switch: &Path) -> Vec<Reader> {
        let dir = state_dir(switch).join(state::READERS_DIR);
        let mut readers: Vec<Reader> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .filter_map(|entry| {
                let text = state::read_small(&entry.ok()?.path(), 4096).ok()??;
                toml::from_str(&text).ok()
            })
            .collect();
        readers.sort_by(|a, b| b.read_at.cmp(&a.read_at));
        readers
    }

    /// How long ago it last read the switch.
    pub fn age(&self, now: chrono::DateTime<chrono::Utc>) -> Option<chrono::TimeDelta> {
        let read_at = chrono::DateTime::parse_from_rfc3339(&self.read_at).ok()?;
        Some(now - read_at.with_timezone(&chrono::Utc))
    }

    /// Whether it has the switch as `switch` is now.
    pub fn has_applied(&self, switch: &Emergencies) -> bool {
        self.closed.iter().eq(switch.closed.keys())
    }
}

fn state_dir(switch: &Path) -> &Path {
    switch.parent().unwrap_or(Path::new("."))
}

/// How long one read of the switch may take before it is given up (and logged): a hung
/// network filesystem must not stop the switch being read again.
const READ_DEADLINE: Duration = Duration::from_secs(2);

/// A read of the switch that went wrong, for the server to count: either may mean callers
/// hear a switch that is not what ops set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadProblem {
    /// The read did not finish within [`READ_DEADLINE`] (a hung or slow disk).
    Slow,
    /// The file could not be read or parsed.
    Unreadable,
}

impl ReadProblem {
    pub fn as_str(self) -> &'static str {
        match self {
            ReadProblem::Slow => "slow",
            ReadProblem::Unreadable => "unreadable",
        }
    }
}

/// Keeps `switch` as the file at `path` says, reading it every `every` on a blocking thread
/// (never on the async workers that answer calls), and logs each change. A file that cannot
/// be read or parsed changes nothing (and is logged once per edit); a missing file reopens
/// everything, as if every table had been deleted. `known` names the schedules the flows in
/// force have: a table naming another is logged as an error, for it closes nothing. Each read
/// is recorded as `reader`'s in the state directory (see [`Reader`]); each read that fails or
/// is too slow is told to `problem`, every time.
pub async fn follow(
    path: PathBuf,
    switch: Arc<ArcSwap<Emergencies>>,
    every: Duration,
    known: impl Fn() -> Vec<String> + Send + 'static,
    reader: Reader,
    problem: impl Fn(ReadProblem) + Send + 'static,
) {
    let mut last_seen: Option<Result<Emergencies, String>> = None;
    let mut in_flight: Option<tokio::task::JoinHandle<Result<Emergencies, SwitchError>>> = None;
    loop {
        let mut read = match in_flight.take() {
            Some(still) => still,
            None => {
                let (path, reader) = (path.clone(), reader.clone());
                let before = switch.load_full();
                tokio::task::spawn_blocking(move || {
                    let read = Emergencies::read(&path);
                    reader.record(&path, read.as_ref().unwrap_or(&before));
                    read
                })
            }
        };
        let seen = match tokio::time::timeout(READ_DEADLINE, &mut read).await {
            Ok(Ok(outcome)) => Some(outcome.map_err(|e| e.to_string())),
            Ok(Err(panicked)) => Some(Err(format!("reading the switch failed: {panicked}"))),
            Err(_) => {
                problem(ReadProblem::Slow);
                tracing::error!(path = %path.display(), "the emergency switch did not answer within {READ_DEADLINE:?}; keeping the closures already in force");
                // Waited for again next time, rather than piling up threads on a hung disk.
                in_flight = Some(read);
                None
            }
        };
        if let Some(Err(_)) = seen {
            problem(ReadProblem::Unreadable);
        }
        if let Some(seen) = seen
            && last_seen.as_ref() != Some(&seen)
        {
            match &seen {
                Ok(now) => {
                    let names = known();
                    let names: Vec<&str> = names.iter().map(String::as_str).collect();
                    for schedule in now.unknown(&names) {
                        tracing::error!(schedule, path = %path.display(), "the emergency switch names a schedule no flow has: it closes nothing (misspelt?)");
                    }
                    log_changes(&switch.load(), now);
                    switch.store(Arc::new(now.clone()));
                    // Kept for a restart, should the file be broken by then.
                    let _ = state::write_atomically(
                        &last_good(&path),
                        toml::to_string(now).unwrap_or_default().as_bytes(),
                    );
                }
                Err(error) => tracing::error!(
                    %error,
                    "emergency switch unreadable; keeping the closures already in force"
                ),
            }
            last_seen = Some(seen);
        }
        tokio::time::sleep(every).await;
    }
}

fn log_changes(before: &Emergencies, after: &Emergencies) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_switch_reads_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(crate::state::EMERGENCY_FILE);
        assert_eq!(Emergencies::read(&path).unwrap(), Emergencies::default());
        let mut switch = Emergencies::default();
        switch.close(
            "doctor-support",
            EmergencyClosure {
                since: "2026-11-22T10:00:00Z".into(),
                note: "power cut at the office".into(),
            },
        );
        switch.write(&path).unwrap();
        let read = Emergencies::read(&path).unwrap();
        assert!(read.is_closed("doctor-support"));
        assert!(!read.is_closed("wellbeing"));
        assert_eq!(read, switch);
        let mut reopened = read.clone();
        assert!(reopened.open("doctor-support"));
        assert!(!reopened.open("doctor-support"));
    }

    #[test]
    fn a_hand_written_table_with_no_keys_closes_the_schedule() {
        let switch = Emergencies::parse("[doctor-support]\n", Path::new("e.toml")).unwrap();
        assert!(switch.is_closed("doctor-support"));
    }

    #[test]
    fn a_broken_file_is_an_error_naming_the_file() {
        let error = Emergencies::parse("[doctor-support\n", Path::new("state/emergency.toml"))
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("state/emergency.toml: "), "{error}");
    }
}
