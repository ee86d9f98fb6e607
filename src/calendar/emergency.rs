//! The emergency closure switch: ops close a schedule at once, without editing the call flows.
//! The switch lives in the store (see `crate::store`); this is its value, and the reading of
//! the file a previous release kept it in (`emergency.toml`), for the store to take it over.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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

    /// The schedules closed here that `known` does not have: tables that close nothing.
    pub fn unknown<'a>(&'a self, known: &[&str]) -> Vec<&'a str> {
        self.closed
            .keys()
            .map(String::as_str)
            .filter(|name| !known.contains(name))
            .collect()
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_switch_file_reads_and_a_missing_one_closes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(crate::state::EMERGENCY_FILE);
        assert_eq!(Emergencies::read(&path).unwrap(), Emergencies::default());
        std::fs::write(
            &path,
            "[doctor-support]\nsince = \"2026-11-22T10:00:00Z\"\nnote = \"power cut\"\n",
        )
        .unwrap();
        let mut read = Emergencies::read(&path).unwrap();
        assert!(read.is_closed("doctor-support"));
        assert!(!read.is_closed("wellbeing"));
        assert_eq!(read.get("doctor-support").unwrap().note, "power cut");
        assert!(read.open("doctor-support"));
        assert!(!read.open("doctor-support"));
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
