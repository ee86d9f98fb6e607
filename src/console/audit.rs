//! Every change made from the console, appended to `audit.jsonl` in the state directory: who,
//! when, what, the note, and the state before and after. Lines are only ever added.

use std::io::{Read as _, Seek as _, Write as _};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub const AUDIT_FILE: &str = "audit.jsonl";

/// How much of the end of the file the console shows: the latest entries.
const SHOWN_BYTES: u64 = 256 * 1024;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// RFC 3339.
    pub at: String,
    pub who: String,
    /// What was done, in a few words: "emergency close doctor-support".
    pub what: String,
    #[serde(default)]
    pub note: String,
    pub before: String,
    pub after: String,
}

/// The instant an entry is made, to the second (RFC 3339, UTC).
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub fn audit_file(state_dir: &Path) -> PathBuf {
    state_dir.join(AUDIT_FILE)
}

/// Appends `entry` as one line, written whole and flushed to disk before the change is said
/// to be done.
pub fn append(state_dir: &Path, entry: &Entry) -> std::io::Result<()> {
    std::fs::create_dir_all(state_dir)?;
    let mut line = serde_json::to_string(entry).expect("an entry serialises");
    line.push('\n');
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(audit_file(state_dir))?;
    file.write_all(line.as_bytes())?;
    file.sync_data()
}

/// The latest entries, newest first (a line that does not read is skipped).
pub fn latest(state_dir: &Path) -> std::io::Result<Vec<Entry>> {
    let mut file = match std::fs::File::open(audit_file(state_dir)) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let length = file.metadata()?.len();
    let start = length.saturating_sub(SHOWN_BYTES);
    file.seek(std::io::SeekFrom::Start(start))?;
    let mut bytes = Vec::new();
    file.take(SHOWN_BYTES).read_to_end(&mut bytes)?;
    let text = String::from_utf8_lossy(&bytes);
    // Starting in the middle of the file, the first line may be cut.
    let lines = text.lines().skip(usize::from(start > 0));
    let mut entries: Vec<Entry> = lines.filter_map(|l| serde_json::from_str(l).ok()).collect();
    entries.reverse();
    Ok(entries)
}
