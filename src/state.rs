//! The state directory: the one place that says what it holds. By default the store's SQLite
//! file (`switchboard.db`), unless `--database` names another store; nothing else is written
//! there. A previous release kept its state here as files (the names below): at first start
//! on an empty store they are taken over into it (`crate::store::legacy`), then no longer read.
//! This module also reads small files whole and writes files so a reader never sees half of
//! one, for the recorder, fixtures and tools.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The default state directory, relative to where the service runs.
pub const DEFAULT_DIR: &str = "state";

/// The store's SQLite file, by default.
pub const SQLITE_FILE: &str = "switchboard.db";

// A previous release's files, taken over into the store.
/// The emergency switch (and `emergency.toml.last-good` beside it).
pub const EMERGENCY_FILE: &str = "emergency.toml";
/// The last good bank-holiday feed.
pub const FEED_CACHE_FILE: &str = "bank-holidays.json";
/// The console's users and their password hashes.
pub const USERS_FILE: &str = "console-users.toml";
/// The console's audit log, a JSON object a line.
pub const AUDIT_FILE: &str = "audit.jsonl";
/// The flow versions that went into force, a JSON object a line…
pub const FLOW_HISTORY_FILE: &str = "flow-history.jsonl";
/// …and the files of each, in `flow-history/VERSION/`.
pub const FLOW_HISTORY_DIR: &str = "flow-history";

/// The emergency switch inside a state directory.
pub fn emergency_file(dir: &Path) -> PathBuf {
    dir.join(EMERGENCY_FILE)
}

/// The last good bank-holiday feed inside a state directory.
pub fn feed_cache_file(dir: &Path) -> PathBuf {
    dir.join(FEED_CACHE_FILE)
}

/// The most a state file may hold: the emergency switch is a few lines, the feed cache a few
/// hundred days. Anything larger is not what it should be, and is not read whole.
pub const EMERGENCY_MAX_BYTES: u64 = 16 * 1024;
pub const FEED_CACHE_MAX_BYTES: u64 = 4 * 1024 * 1024;

/// A state file's text, or `None` if there is none. Only a regular file is read (a FIFO, a
/// device or a directory would block or never end), and only up to `max_bytes`.
pub fn read_small(path: &Path, max_bytes: u64) -> std::io::Result<Option<String>> {
    use std::io::{Error, ErrorKind, Read};
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error),
    };
    if !metadata.is_file() {
        return Err(Error::other("not a regular file: refused"));
    }
    if metadata.len() > max_bytes {
        return Err(Error::other(format!(
            "{} bytes, more than the {max_bytes} such a file can need: refused",
            metadata.len()
        )));
    }
    let mut text = String::new();
    std::fs::File::open(path)?
        .take(max_bytes + 1)
        .read_to_string(&mut text)?;
    if text.len() as u64 > max_bytes {
        return Err(Error::other(format!(
            "more than the {max_bytes} bytes such a file can need: refused"
        )));
    }
    Ok(Some(text))
}

/// Writes `bytes` to a temporary file beside `path` (`tempfile`), flushes it to disk, then
/// renames it over `path`: a reader sees the old file or the new one, never half of either.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            dir
        }
        None => Path::new("."),
    };
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    // tempfile makes files only their owner can read; the file keeps the mode it had (or is
    // readable by all, as files usually are), so a server running as another user reads it.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(path).map_or(0o644, |m| m.permissions().mode() & 0o777);
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_small_regular_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(EMERGENCY_FILE);
        assert_eq!(read_small(&path, 10).unwrap(), None);
        std::fs::write(&path, "short").unwrap();
        assert_eq!(read_small(&path, 10).unwrap().as_deref(), Some("short"));
        std::fs::write(&path, "x".repeat(11)).unwrap();
        assert!(
            read_small(&path, 10)
                .unwrap_err()
                .to_string()
                .contains("refused")
        );
        // A directory, and a symlink to an endless device, are refused, not read.
        assert!(read_small(dir.path(), 10).is_err());
        #[cfg(unix)]
        {
            let zero = dir.path().join("zero.toml");
            std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
            assert!(
                read_small(&zero, 10)
                    .unwrap_err()
                    .to_string()
                    .contains("not a regular file")
            );
        }
    }

    #[test]
    fn an_atomic_write_replaces_the_file_whole_and_leaves_nothing_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state").join(EMERGENCY_FILE);
        write_atomically(&path, b"first").unwrap();
        write_atomically(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [EMERGENCY_FILE]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o644, "{mode:o}");
        }
    }
}
