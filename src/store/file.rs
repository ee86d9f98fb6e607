//! The SQLite file of a store, watched: a file deleted or replaced under a running server is
//! noticed (its connections would go on reading and writing the old one, and the server say
//! the store is available), and a store is made only where none ever was.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Which file a path names: its device and inode.
type Identity = (u64, u64);

fn identity(path: &Path) -> Option<Identity> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        std::fs::metadata(path).ok().map(|_| (0, 0))
    }
}

/// What is at the store's path now, against the file its connections have open.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Seen {
    Same,
    /// Nothing: deleted (or moved away).
    Gone,
    /// Another file: restored from a backup, say.
    Replaced,
}

/// The file a store's connections have open.
pub(super) struct Watched {
    path: PathBuf,
    opened: Mutex<Option<Identity>>,
    /// How many times the connections were made again to a file put in place of the last.
    reopened: std::sync::atomic::AtomicU64,
}

impl Watched {
    /// The file at `path` as it is now (the store has just opened it).
    pub(super) fn new(path: &Path) -> Watched {
        Watched {
            path: path.to_owned(),
            opened: Mutex::new(identity(path)),
            reopened: std::sync::atomic::AtomicU64::new(0),
        }
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    pub(super) fn look(&self) -> Seen {
        let opened = *self.opened.lock().unwrap_or_else(|e| e.into_inner());
        match identity(&self.path) {
            None => Seen::Gone,
            now if now == opened => Seen::Same,
            Some(_) => Seen::Replaced,
        }
    }

    /// The file at the path now is the one the connections have open (they were made again).
    pub(super) fn reopened(&self) {
        *self.opened.lock().unwrap_or_else(|e| e.into_inner()) = identity(&self.path);
        self.reopened
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    pub(super) fn times_reopened(&self) -> u64 {
        self.reopened.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// The file beside a store's that says one was made there: while it is there, a missing store
/// file is a store lost (deleted, or on a disk not mounted), never a store to make anew.
pub(super) fn made_marker(path: &Path) -> PathBuf {
    beside(path, "-made")
}

/// The file beside the store's named as SQLite names its own (`switchboard.db-wal`).
fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(suffix);
    path.with_file_name(name)
}

/// Whether a store should be at `path` but is not: its file is missing and a trace of it is
/// beside it (the marker, or SQLite's write-ahead log or shared memory).
pub(super) fn missing(path: &Path) -> bool {
    !path.exists()
        && ["-made", "-wal", "-shm"]
            .iter()
            .any(|s| beside(path, s).exists())
}

/// Leaves the marker beside a store's file (once; its failure only loses the check).
pub(super) fn mark(path: &Path) {
    let marker = made_marker(path);
    if marker.exists() {
        return;
    }
    let said = format!(
        "A Switchboard store was made beside this file ({}). If that file is missing, the store \
         was lost: restore it from a backup, or start an empty one with --init.\n",
        path.file_name().unwrap_or_default().to_string_lossy()
    );
    if let Err(error) = std::fs::write(&marker, said) {
        tracing::warn!(%error, marker = %marker.display(), "could not mark where the store was made");
    }
}

/// An exclusive lock on the file beside the store's that only migrations take, held until
/// the returned file is dropped; waited for off the async workers.
pub(super) async fn lock_for_migrations(path: &Path) -> std::io::Result<std::fs::File> {
    let lock = beside(path, "-migrating");
    tokio::task::spawn_blocking(move || {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock)?;
        rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive)?;
        Ok(file)
    })
    .await
    .map_err(std::io::Error::other)?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_deleted_or_replaced_is_seen_and_a_lost_store_is_told_from_a_new_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("switchboard.db");
        // Never a store here: nothing missing.
        assert!(!missing(&path));
        std::fs::write(&path, "store").unwrap();
        mark(&path);
        let watched = Watched::new(&path);
        // Held open, as the store's connections hold it: its inode is not used again.
        let _open = std::fs::File::open(&path).unwrap();
        assert_eq!(watched.look(), Seen::Same);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(watched.look(), Seen::Gone);
        assert!(missing(&path), "the marker says a store was here");
        std::fs::write(&path, "another").unwrap();
        assert_eq!(watched.look(), Seen::Replaced);
        watched.reopened();
        assert_eq!(watched.look(), Seen::Same);
    }
}
