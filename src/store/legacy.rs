//! An upgrade loses nothing: at first start on an empty store, what the previous release kept
//! as files in the state directory is taken over into the store, in one transaction. The
//! emergency switch (`emergency.toml`, or its last good copy if it does not read), the console
//! users (`console-users.toml`, their password hashes as they were), the audit log
//! (`audit.jsonl`), the flow versions (`flow-history.jsonl` and `flow-history/VERSION/`) and
//! the bank-holiday feed cache (`bank-holidays.json`). The files are left where they are, and
//! no longer read.

use std::path::Path;

use chrono::Utc;
use serde::Deserialize;

use super::{AuditEntry, Result, Store, StoreError, User};
use crate::calendar::Emergencies;
use crate::calendar::emergency::last_good;
use crate::state;

/// The name under which the store remembers that it took a state directory over.
const TAKEN_OVER: &str = "taken-over-from";
/// The bank-holiday feed cache's name in the store.
pub const FEED_CACHE: &str = "bank-holidays-feed";

/// What a take-over found, for the log.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct TakenOver {
    pub closed: Vec<String>,
    pub users: usize,
    pub audit_entries: usize,
    pub flow_versions: usize,
    pub feed_cache: bool,
    /// Files that were there but did not read, with why: what could be read was still taken.
    pub problems: Vec<String>,
}

impl TakenOver {
    pub fn is_empty(&self) -> bool {
        self.closed.is_empty()
            && self.users == 0
            && self.audit_entries == 0
            && self.flow_versions == 0
            && !self.feed_cache
    }
}

#[derive(Deserialize)]
struct UsersFile {
    #[serde(default, rename = "user")]
    users: Vec<User>,
}

#[derive(Deserialize)]
struct OldAudit {
    at: String,
    who: String,
    what: String,
    #[serde(default)]
    note: String,
    before: String,
    after: String,
}

#[derive(Deserialize)]
struct OldInForce {
    version: String,
    at: String,
    by: String,
}

/// Takes `state_dir` over if this store has never had anything in it: `None` when it has (or
/// it took a directory over before).
pub async fn take_over(store: &Store, state_dir: &Path) -> Result<Option<TakenOver>> {
    if store.get_value(TAKEN_OVER).await?.is_some()
        || !store.audit(1).await?.is_empty()
        || !store.flow_history(1).await?.is_empty()
        || !store.users().await?.is_empty()
    {
        return Ok(None);
    }
    let mut found = TakenOver::default();
    let mut change = store.change("switchboard (upgrade)").await?;

    let switch_file = state::emergency_file(state_dir);
    let (switch, broken) = Emergencies::read_or_last_good(&switch_file);
    if let Some(error) = broken {
        found.problems.push(format!(
            "{error} (the last good copy, {}, was used)",
            last_good(&switch_file).display()
        ));
    }
    for (schedule, closure) in switch.iter() {
        sqlx::query("INSERT INTO emergency (schedule, since_ms, note) VALUES ($1, $2, $3)")
            .bind(schedule)
            .bind(
                chrono::DateTime::parse_from_rfc3339(&closure.since)
                    .map_or_else(|_| super::millis(Utc::now()), |t| t.timestamp_millis()),
            )
            .bind(&closure.note)
            .execute(change.connection())
            .await?;
        found.closed.push(schedule.to_owned());
    }

    match read(state_dir, "console-users.toml", 1024 * 1024) {
        Ok(Some(text)) => match toml::from_str::<UsersFile>(&text) {
            Ok(file) => {
                for user in &file.users {
                    change.put_user(user).await?;
                }
                found.users = file.users.len();
            }
            Err(error) => found
                .problems
                .push(format!("console-users.toml: {}", error.message())),
        },
        Ok(None) => {}
        Err(problem) => found.problems.push(problem),
    }

    match read(state_dir, "audit.jsonl", 64 * 1024 * 1024) {
        Ok(Some(text)) => {
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                match serde_json::from_str::<OldAudit>(line) {
                    Ok(old) => {
                        change
                            .audit_entry(&AuditEntry {
                                at: old.at,
                                who: old.who,
                                what: old.what,
                                note: old.note,
                                before: old.before,
                                after: old.after,
                            })
                            .await?;
                        found.audit_entries += 1;
                    }
                    Err(error) => found
                        .problems
                        .push(format!("audit.jsonl: a line skipped: {error}")),
                }
            }
        }
        Ok(None) => {}
        Err(problem) => found.problems.push(problem),
    }

    match read(state_dir, "flow-history.jsonl", 16 * 1024 * 1024) {
        Ok(Some(text)) => {
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                let Ok(old) = serde_json::from_str::<OldInForce>(line) else {
                    found
                        .problems
                        .push("flow-history.jsonl: a line that does not read was skipped".into());
                    continue;
                };
                let hex =
                    !old.version.is_empty() && old.version.bytes().all(|b| b.is_ascii_hexdigit());
                let files = hex
                    .then(|| files_of(&state_dir.join("flow-history").join(&old.version)))
                    .flatten();
                let Some(files) = files else {
                    found.problems.push(format!(
                        "flow-history/{}: the files of this version are not kept; it is left out",
                        old.version
                    ));
                    continue;
                };
                let at = chrono::DateTime::parse_from_rfc3339(&old.at)
                    .map_or_else(|_| Utc::now(), |t| t.with_timezone(&Utc));
                change.keep_flows(&old.version, &files).await?;
                change
                    .note_in_force(
                        &old.version,
                        at,
                        &old.by,
                        "taken over from the state directory",
                    )
                    .await?;
                found.flow_versions += 1;
            }
        }
        Ok(None) => {}
        Err(problem) => found.problems.push(problem),
    }

    match read(
        state_dir,
        state::FEED_CACHE_FILE,
        state::FEED_CACHE_MAX_BYTES,
    ) {
        Ok(Some(text)) => {
            sqlx::query("INSERT INTO kv (name, value) VALUES ($1, $2)")
                .bind(FEED_CACHE)
                .bind(text)
                .execute(change.connection())
                .await?;
            found.feed_cache = true;
        }
        Ok(None) => {}
        Err(problem) => found.problems.push(problem),
    }

    let dir = std::path::absolute(state_dir).unwrap_or_else(|_| state_dir.to_owned());
    sqlx::query("INSERT INTO kv (name, value) VALUES ($1, $2)")
        .bind(TAKEN_OVER)
        .bind(format!(
            "{} at {}",
            dir.display(),
            crate::calendar::format_instant(Utc::now())
        ))
        .execute(change.connection())
        .await?;
    if found.is_empty() {
        // Nothing to take over: the store starts empty, and that is no change to audit.
        change.tx.commit().await.map_err(StoreError::Unavailable)?;
        return Ok(Some(found));
    }
    let summary = format!(
        "switch: {} closed; {} users; {} audit entries; {} flow versions; feed cache: {}",
        found.closed.len(),
        found.users,
        found.audit_entries,
        found.flow_versions,
        if found.feed_cache { "yes" } else { "no" }
    );
    change
        .audit(
            &format!("take over the state directory {}", dir.display()),
            "upgrade from files to the store",
            "files in the state directory",
            &summary,
        )
        .await?;
    change.commit().await?;
    Ok(Some(found))
}

fn read(state_dir: &Path, name: &str, max: u64) -> std::result::Result<Option<String>, String> {
    state::read_small(&state_dir.join(name), max).map_err(|e| format!("{name}: {e}"))
}

/// The flow files kept in a version's directory, by name.
fn files_of(dir: &Path) -> Option<Vec<(String, String)>> {
    let sources = crate::flow::read_sources(dir).ok()?;
    sources
        .into_iter()
        .map(|(path, text)| Some((path.file_name()?.to_string_lossy().into_owned(), text)))
        .collect()
}
