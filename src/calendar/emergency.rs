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
    pub fn open(&mut self, schedule: &str) -> bool {
        self.closed.remove(schedule).is_some()
    }

    pub fn parse(text: &str, path: &Path) -> Result<Self, SwitchError> {
        toml::from_str(text).map_err(|e| SwitchError::Parse {
            path: path.to_owned(),
            message: e.to_string().trim_end().replace('\n', " "),
        })
    }

    /// The switch as the file says; no file means nothing is closed.
    pub fn read(path: &Path) -> Result<Self, SwitchError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(source) => Err(SwitchError::Read {
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// Writes the whole file at once (a temporary file renamed over it), so the server never
    /// reads half an edit.
    pub fn write(&self, path: &Path) -> Result<(), SwitchError> {
        let mut text = String::from(
            "# Emergency closures: each table closes the schedule it names, whatever its hours say.\n\
             # Written by `switchboard emergency`; see the README. Delete a table to reopen.\n\n",
        );
        text.push_str(&toml::to_string(self).expect("the switch is plain strings"));
        crate::state::write_atomically(path, text.as_bytes()).map_err(|source| SwitchError::Write {
            path: path.to_owned(),
            source,
        })
    }
}

/// Keeps `switch` as the file at `path` says, reading it every `every`, and logs each change.
/// A file that cannot be read or parsed changes nothing (and is logged once per edit); a
/// missing file reopens everything, as if every table had been deleted.
pub async fn follow(path: PathBuf, switch: Arc<ArcSwap<Emergencies>>, every: Duration) {
    let mut last_seen: Option<Result<String, std::io::ErrorKind>> = None;
    loop {
        let seen = std::fs::read_to_string(&path).map_err(|e| e.kind());
        if last_seen.as_ref() != Some(&seen) {
            let read = match &seen {
                Ok(text) => Emergencies::parse(text, &path),
                Err(std::io::ErrorKind::NotFound) => Ok(Emergencies::default()),
                Err(_) => Emergencies::read(&path),
            };
            match read {
                Ok(now) => {
                    log_changes(&switch.load(), &now);
                    switch.store(Arc::new(now));
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
