//! A PostgreSQL server of the test's own: a new cluster in a temporary directory, on a free
//! local port, stopped and started again at the test's word, removed when dropped.
//!
//! It needs PostgreSQL's server programs (Debian's `postgresql` package, which `.ci/run`
//! installs). Without them the test fails and says so: it never skips.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Postgres {
    bin: PathBuf,
    root: bool,
    dir: tempfile::TempDir,
    pub port: u16,
}

/// Where `initdb` and `pg_ctl` are: `SWITCHBOARD_TEST_PG_BIN`, else Debian's newest
/// `/usr/lib/postgresql/N/bin`, else the `PATH`.
fn server_programs() -> PathBuf {
    if let Some(dir) = std::env::var_os("SWITCHBOARD_TEST_PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut debian: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let major = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((major, bin))
        })
        .collect();
    debian.sort();
    if let Some((_, bin)) = debian.pop() {
        return bin;
    }
    let on_path = std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .find(|dir| dir.join("initdb").exists() && dir.join("pg_ctl").exists());
    on_path.unwrap_or_else(|| {
        panic!(
            "the PostgreSQL tests need PostgreSQL's server programs (initdb, pg_ctl): \
             install Debian's postgresql package, or set SWITCHBOARD_TEST_PG_BIN to their directory"
        )
    })
}

/// Whether this process runs as root: the owner of a directory it has just made.
fn running_as_root(made: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(made).unwrap().uid() == 0
}

/// PostgreSQL refuses to run as root: as root, its programs run as the `postgres` user.
fn as_server_user(program: &Path, root: bool) -> Command {
    if root {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn run(command: &mut Command, what: &str) {
    if let Err(failure) = try_run(command, what) {
        panic!("{failure}");
    }
}

fn try_run(command: &mut Command, what: &str) -> Result<(), String> {
    let out = command.output().map_err(|e| format!("{what}: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    Err(format!(
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ))
}

/// Whether PostgreSQL's log says its port was taken (see `on_a_free_port`).
fn port_was_taken(log: &str) -> bool {
    log.contains("could not bind") || log.contains("Address already in use")
}

impl Postgres {
    /// A new cluster, started.
    pub fn start() -> Postgres {
        Postgres::start_trying_first(super::process::free_address().port())
    }

    /// A new cluster, started on `port` or, if that is taken, on another free port.
    pub fn start_trying_first(port: u16) -> Postgres {
        let bin = server_programs();
        let dir = tempfile::Builder::new()
            .prefix("switchboard-pg-")
            .tempdir()
            .unwrap();
        let root = running_as_root(dir.path());
        if root {
            let postgres = Command::new("id")
                .args(["-u", "postgres"])
                .output()
                .unwrap();
            let uid: u32 = String::from_utf8_lossy(&postgres.stdout)
                .trim()
                .parse()
                .expect("a postgres user (Debian's postgresql package makes it)");
            std::os::unix::fs::chown(dir.path(), Some(uid), None).unwrap();
        }
        let mut postgres = Postgres {
            bin,
            root,
            dir,
            port,
        };
        run(
            as_server_user(&postgres.bin.join("initdb"), root)
                .args(["--auth=trust", "--username=switchboard", "--no-sync"])
                .args(["--encoding=UTF8", "--locale=C", "-D"])
                .arg(postgres.data()),
            "initdb",
        );
        super::process::on_a_free_port(port, |port| {
            postgres.port = port;
            // pg_ctl appends to its log: each try's log is its own.
            let _ = std::fs::remove_file(postgres.log_path());
            match postgres.try_start() {
                Ok(()) => Some(()),
                Err(_) if port_was_taken(&postgres.log()) => None,
                Err(failure) => panic!("{failure}\nPostgreSQL's log:\n{}", postgres.log()),
            }
        });
        postgres
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The URL the servers are given.
    pub fn url(&self) -> String {
        format!("postgres://switchboard@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the server again (on the same port), waiting until it accepts connections.
    pub fn start_again(&self) {
        if let Err(failure) = self.try_start() {
            panic!("{failure}\nPostgreSQL's log:\n{}", self.log());
        }
    }

    fn try_start(&self) -> Result<(), String> {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        try_run(
            as_server_user(&self.bin.join("pg_ctl"), self.root)
                .args(["start", "--wait", "--silent", "-D"])
                .arg(self.data())
                .args(["-o", &options, "-l"])
                .arg(self.log_path()),
            "pg_ctl start",
        )
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    /// What PostgreSQL logged, for a failure's message.
    fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_else(|e| format!("(no log: {e})"))
    }

    /// Freezes every process of the server (SIGSTOP), as a stalled disk or a paused virtual
    /// machine would: connections stay open and nothing answers, until [`Postgres::thaw`].
    pub fn freeze(&self) {
        self.signal_all(rustix::process::Signal::STOP);
    }

    pub fn thaw(&self) {
        self.signal_all(rustix::process::Signal::CONT);
    }

    /// The postmaster (from postmaster.pid) and its children (from /proc), signalled.
    fn signal_all(&self, signal: rustix::process::Signal) {
        let pid_file = std::fs::read_to_string(self.data().join("postmaster.pid")).unwrap();
        let postmaster: i32 = pid_file.lines().next().unwrap().trim().parse().unwrap();
        let mut pids = vec![postmaster];
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
                continue;
            };
            let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
            // "pid (name) state ppid ...": the name may hold spaces, so read after its ')'.
            let parent = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|ppid| ppid.parse::<i32>().ok());
            if parent == Some(postmaster) {
                pids.push(pid);
            }
        }
        for pid in pids {
            let pid = rustix::process::Pid::from_raw(pid).unwrap();
            let _ = rustix::process::kill_process(pid, signal);
        }
    }

    /// Stops the server at once, as a crash or a lost network would: connections drop.
    pub fn stop(&self) {
        run(
            as_server_user(&self.bin.join("pg_ctl"), self.root)
                .args(["stop", "--wait", "--silent", "-m", "immediate", "-D"])
                .arg(self.data()),
            "pg_ctl stop",
        );
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = as_server_user(&self.bin.join("pg_ctl"), self.root)
            .args(["stop", "--silent", "-m", "immediate", "-D"])
            .arg(self.data())
            .output();
    }
}
