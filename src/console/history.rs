//! Every set of flows that went into force, kept in the state directory so ops can see what
//! changed and roll back: `flow-history.jsonl` says which version, when and by whom (a console
//! user, "start" or "file change"), and `flow-history/VERSION/` holds its files.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::flow;

const LOG_FILE: &str = "flow-history.jsonl";
const SNAPSHOTS_DIR: &str = "flow-history";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InForce {
    pub version: String,
    /// RFC 3339.
    pub at: String,
    pub by: String,
}

fn snapshot_dir(state_dir: &Path, version: &str) -> Option<PathBuf> {
    // Versions are hex; anything else never names a directory.
    let hex = !version.is_empty() && version.bytes().all(|b| b.is_ascii_hexdigit());
    hex.then(|| state_dir.join(SNAPSHOTS_DIR).join(version))
}

/// Notes that the flows in `flows_dir`, of `version`, went into force `by` someone, keeping a
/// copy of them; nothing if that version is the latest noted already. A copy that does not
/// match the version (the files changed meanwhile) is not kept.
pub fn record(state_dir: &Path, flows_dir: &Path, version: &str, by: &str) -> std::io::Result<()> {
    if latest(state_dir)?
        .first()
        .is_some_and(|v| v.version == version)
    {
        return Ok(());
    }
    let Some(snapshot) = snapshot_dir(state_dir, version) else {
        return Ok(());
    };
    if !snapshot.exists() {
        // Made under a name of this process's own, as replicas sharing the state directory
        // may note the same version at once; the rename makes it whole in one step.
        let partial = snapshot.with_extension(format!("partial-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&partial);
        std::fs::create_dir_all(&partial)?;
        for file in flow::flow_files(flows_dir)? {
            std::fs::copy(&file, partial.join(file.file_name().expect("a file name")))?;
        }
        if flow::check_dir(&partial, chrono::Utc::now().date_naive()).version != version {
            std::fs::remove_dir_all(&partial)?;
            return Ok(());
        }
        if std::fs::rename(&partial, &snapshot).is_err() {
            // Another replica kept the same version first.
            std::fs::remove_dir_all(&partial)?;
        }
    }
    let entry = InForce {
        version: version.to_owned(),
        at: crate::calendar::format_instant(chrono::Utc::now()),
        by: by.to_owned(),
    };
    let mut line = serde_json::to_string(&entry).expect("serialises");
    line.push('\n');
    use std::io::Write as _;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(state_dir.join(LOG_FILE))?
        .write_all(line.as_bytes())
}

/// The versions noted, newest first.
pub fn latest(state_dir: &Path) -> std::io::Result<Vec<InForce>> {
    let text = match crate::state::read_small(&state_dir.join(LOG_FILE), 4 * 1024 * 1024)? {
        Some(text) => text,
        None => return Ok(Vec::new()),
    };
    let mut all: Vec<InForce> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    all.reverse();
    Ok(all)
}

/// The files of a kept version, by name.
fn files_of(state_dir: &Path, version: &str) -> Option<Vec<(String, String)>> {
    let sources = flow::read_sources(&snapshot_dir(state_dir, version)?).ok()?;
    let name = |path: &Path| path.file_name().map(|n| n.to_string_lossy().into_owned());
    sources
        .into_iter()
        .map(|(path, text)| Some((name(&path)?, text)))
        .collect()
}

/// A unified diff of two kept versions, file by file; `None` if either is not kept.
pub fn diff(state_dir: &Path, from: &str, to: &str) -> Option<String> {
    let (old, new) = (files_of(state_dir, from)?, files_of(state_dir, to)?);
    let mut names: Vec<&String> = old.iter().chain(&new).map(|(n, _)| n).collect();
    names.sort();
    names.dedup();
    let text_of = |files: &[(String, String)], name: &str| {
        files
            .iter()
            .find(|(n, _)| n == name)
            .map_or(String::new(), |(_, t)| t.clone())
    };
    let mut out = String::new();
    for name in names {
        let (a, b) = (text_of(&old, name), text_of(&new, name));
        if a != b {
            let diff = similar::TextDiff::from_lines(&a, &b);
            out.push_str(
                &diff
                    .unified_diff()
                    .context_radius(2)
                    .header(&format!("{from}/{name}"), &format!("{to}/{name}"))
                    .to_string(),
            );
        }
    }
    Some(if out.is_empty() {
        "no difference\n".into()
    } else {
        out
    })
}

/// Why a roll-back did not happen.
#[derive(Debug, thiserror::Error)]
pub enum RollbackError {
    #[error("version {0} is not kept in the state directory")]
    NotKept(String),
    #[error("version {version} no longer passes check:\n{findings}")]
    Refused { version: String, findings: String },
    #[error("writing the flows in {}: {source}", dir.display())]
    Write {
        dir: PathBuf,
        source: std::io::Error,
    },
}

/// Makes `flows_dir` hold exactly the files of `version` again, once `check` passes them.
pub fn roll_back(state_dir: &Path, flows_dir: &Path, version: &str) -> Result<(), RollbackError> {
    let snapshot = snapshot_dir(state_dir, version)
        .filter(|d| d.is_dir())
        .ok_or_else(|| RollbackError::NotKept(version.to_owned()))?;
    let checked = flow::check_dir(&snapshot, chrono::Utc::now().date_naive());
    if checked.flows.is_none() {
        return Err(RollbackError::Refused {
            version: version.to_owned(),
            findings: checked.diagnostics.to_string(),
        });
    }
    let write = |source| RollbackError::Write {
        dir: flows_dir.to_owned(),
        source,
    };
    let files =
        files_of(state_dir, version).ok_or_else(|| RollbackError::NotKept(version.into()))?;
    for (name, text) in &files {
        crate::state::write_atomically(&flows_dir.join(name), text.as_bytes()).map_err(write)?;
    }
    for path in flow::flow_files(flows_dir).map_err(write)? {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        if !files.iter().any(|(n, _)| Some(n) == name.as_ref()) {
            std::fs::remove_file(&path).map_err(write)?;
        }
    }
    Ok(())
}
