//! An upgrade loses nothing: the first time a store is opened, what the previous release kept
//! as files in the state directory is taken over into the store, in one transaction. The
//! emergency switch (`emergency.toml`, or its last good copy if it does not read), the console
//! users (`console-users.toml`, their password hashes as they were), the audit log
//! (`audit.jsonl`), the flow versions (`flow-history.jsonl` and `flow-history/VERSION/`) and
//! the bank-holiday feed cache (`bank-holidays.json`). The files are left where they are, and
//! no longer read. Whatever command first opens the store does it (see [`take_over`]).

use std::path::Path;

use chrono::Utc;
use serde::Deserialize;

use super::{AuditEntry, Result, Store, User};
use crate::calendar::Emergencies;
use crate::calendar::emergency::last_good;
use crate::{flow, state};

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

/// What was taken over, in a line: for the log and the audit.
impl std::fmt::Display for TakenOver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let closed = match self.closed.as_slice() {
            [] => "nothing closed".to_owned(),
            closed => format!("{} closed", closed.join(", ")),
        };
        write!(
            f,
            "emergency switch: {closed}; {} users; {} audit entries; {} flow versions; feed cache: {}",
            self.users,
            self.audit_entries,
            self.flow_versions,
            if self.feed_cache { "yes" } else { "no" }
        )
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

/// Takes `state_dir` over the first time this store is opened with one: `None` when a state
/// directory was taken over before (by this process or any other, even one starting at the
/// same moment: the claim is the transaction's first write).
pub async fn take_over(store: &Store, state_dir: &Path) -> Result<Option<TakenOver>> {
    // Read first, so a store taken over long ago is not written to by every command.
    if store.get_value(TAKEN_OVER).await?.is_some() {
        return Ok(None);
    }
    let mut change = store.change("switchboard (upgrade)").await?;
    let dir = std::path::absolute(state_dir).unwrap_or_else(|_| state_dir.to_owned());
    let claimed =
        sqlx::query("INSERT INTO kv (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
            .bind(TAKEN_OVER)
            .bind(format!(
                "{} at {}",
                dir.display(),
                crate::calendar::format_instant(Utc::now())
            ))
            .execute(change.connection())
            .await?;
    if claimed.rows_affected() == 0 {
        return Ok(None);
    }
    let mut found = TakenOver::default();

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

    match read(state_dir, state::USERS_FILE, 1024 * 1024) {
        Ok(Some(text)) => match toml::from_str::<UsersFile>(&text) {
            Ok(file) => {
                for user in &file.users {
                    change.put_user(user).await?;
                }
                found.users = file.users.len();
            }
            Err(error) => {
                found
                    .problems
                    .push(format!("{}: {}", state::USERS_FILE, error.message()))
            }
        },
        Ok(None) => {}
        Err(problem) => found.problems.push(problem),
    }

    match read(state_dir, state::AUDIT_FILE, 64 * 1024 * 1024) {
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

    match read(state_dir, state::FLOW_HISTORY_FILE, 16 * 1024 * 1024) {
        Ok(Some(text)) => {
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                let Ok(old) = serde_json::from_str::<OldInForce>(line) else {
                    found.problems.push(format!(
                        "{}: a line that does not read was skipped",
                        state::FLOW_HISTORY_FILE
                    ));
                    continue;
                };
                let hex =
                    !old.version.is_empty() && old.version.bytes().all(|b| b.is_ascii_hexdigit());
                let files = hex
                    .then(|| {
                        flow::read_named(
                            &state_dir.join(state::FLOW_HISTORY_DIR).join(&old.version),
                        )
                        .ok()
                    })
                    .flatten();
                let Some(files) = files else {
                    found.problems.push(format!(
                        "{}/{}: the files of this version are not kept; it is left out",
                        state::FLOW_HISTORY_DIR,
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

    if found.is_empty() {
        // Nothing to take over: the store starts empty, and that is no change to audit.
        change.tx.commit().await?;
        return Ok(Some(found));
    }
    let summary = found.to_string();
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
