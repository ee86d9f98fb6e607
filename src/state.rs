//! The state directory: what the service keeps between runs, written so a reader never sees
//! half a file. It holds the bank-holiday feed cache and the emergency switch.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The default state directory, relative to where the service runs.
pub const DEFAULT_DIR: &str = "state";

/// The emergency switch inside a state directory.
pub fn emergency_file(dir: &Path) -> PathBuf {
    dir.join(crate::calendar::emergency::FILE_NAME)
}

/// The last good bank-holiday feed inside a state directory.
pub fn feed_cache_file(dir: &Path) -> PathBuf {
    dir.join(crate::calendar::feed::CACHE_FILE_NAME)
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(".{}.tmp", std::process::id()));
    let temporary = PathBuf::from(temporary);
    let mut file = std::fs::File::create(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&temporary, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&temporary);
    })
}
