//! The store that every server shares: the emergency switch, the one-off days ops add, the
//! flow versions in force, console users and sessions, the login throttle, the audit log, the
//! servers that read it and the bank-holiday feed cache. SQLite on one machine, PostgreSQL for
//! more than one: the same schema and the same queries through sqlx's `Any` driver, so a
//! backend is a URL, not a code path of its own.
//!
//! Every change goes through [`Change`]: the change, its audit entry and the bump of the
//! revision are one transaction, so a change that cannot be audited does not happen. Servers
//! never read the store on a webhook's path: each keeps a snapshot in memory and reloads it
//! when the revision moves (see `server::follow`).

pub mod call_backs;
pub mod calls;
mod file;
pub mod legacy;
pub mod outbox;
pub mod report;
mod servers;
mod sessions;
mod url;
pub mod users;
mod writing;

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyConnection, Executor, Pool, Row};

use crate::calendar::feed::{Feed, FeedCache, SaveFuture};
use crate::calendar::{DayKind, Emergencies, EmergencyClosure, OneOffDay};
pub use servers::ServerSeen;
pub use url::{Backend, BadUrl, DatabaseUrl};
pub use users::{Role, User};
use writing::Writing;

/// The PostgreSQL channel every change is announced on.
pub const CHANNEL: &str = "switchboard_changes";

/// How long a query may wait for a connection: a store that does not answer is reported as
/// unavailable, never waited on for long.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    // The causes are said in each message and are not also `source`s: an error chain would
    // otherwise say each of them twice.
    #[error("the store {url} cannot be reached: {cause}")]
    Connect { url: String, cause: sqlx::Error },
    #[error("the store {url} could not be brought up to date: {cause}")]
    Migrate {
        url: String,
        cause: sqlx::migrate::MigrateError,
    },
    #[error("the store is unavailable: {0}")]
    Unavailable(sqlx::Error),
    #[error(
        "the store's file {0} is gone: nothing is read or written until it is back (restore it from a backup; a server follows a file put back there by itself)"
    )]
    FileGone(String),
    #[error(
        "the store's file {0} is missing, though a store was made there: restore it from a backup, or pass --init to start an empty store"
    )]
    Lost(String),
    /// A change that cannot be made as asked: the words say why, for the person asking.
    #[error("{0}")]
    Refused(String),
}

impl StoreError {
    /// Whether the store itself failed (rather than the change being refused).
    pub fn is_unavailable(&self) -> bool {
        !matches!(self, StoreError::Refused(_))
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> StoreError {
        StoreError::Unavailable(error)
    }
}

fn connect_error(url: &DatabaseUrl, cause: sqlx::Error) -> StoreError {
    StoreError::Connect {
        url: url.to_string(),
        cause,
    }
}

/// Why a pool could not connect: the pool itself only says it timed out (it tried again and
/// again), so one connection is tried alone for the reason (refused, no such host, a wrong
/// password).
async fn why_no_connection(url: &DatabaseUrl, pooled: sqlx::Error) -> StoreError {
    use sqlx::Connection as _;
    if !matches!(pooled, sqlx::Error::PoolTimedOut) {
        return connect_error(url, pooled);
    }
    let alone = tokio::time::timeout(ACQUIRE_TIMEOUT, AnyConnection::connect(url.secret())).await;
    match alone {
        Ok(Err(cause)) => connect_error(url, cause),
        _ => connect_error(url, pooled),
    }
}

/// A handle on the store: cheap to clone (a pool).
#[derive(Clone)]
pub struct Store {
    /// Swapped whole when the SQLite file is replaced: see [`Store::check_file`].
    pool: std::sync::Arc<arc_swap::ArcSwap<Pool<Any>>>,
    backend: Backend,
    url: DatabaseUrl,
    /// The SQLite file the connections have open; none for PostgreSQL.
    file: Option<std::sync::Arc<file::Watched>>,
}

/// Milliseconds since the epoch, as the store keeps instants.
pub fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// The instant of `ms`, as RFC 3339 to the second.
pub fn instant(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl Store {
    /// Connects (making an SQLite file and its directory if need be) and brings the schema up
    /// to date with the migrations built into the binary.
    pub async fn open(url: &DatabaseUrl) -> Result<Store> {
        Store::open_or_make(url, false).await
    }

    /// As [`Store::open`]; with `init`, an SQLite store is made even where one was lost (its
    /// file missing beside the trace of it), which `open` refuses.
    pub async fn open_or_make(url: &DatabaseUrl, init: bool) -> Result<Store> {
        if let (Some(lost), false) = (Store::lost(url), init) {
            return Err(lost);
        }
        let store = Store::connect(url).await?;
        if let Some(path) = url.sqlite_path() {
            file::mark(std::path::Path::new(path));
        }
        let migrated = match store.backend {
            Backend::Sqlite => {
                // One process at a time brings a file up to date: sqlx's migrator checks
                // which migrations ran and then runs the rest, and two at once on a new file
                // both ran the first ("table revision already exists"). (PostgreSQL's
                // migrator takes an advisory lock of its own.)
                let path = url.sqlite_path().unwrap_or_default();
                let _held = file::lock_for_migrations(std::path::Path::new(path))
                    .await
                    .map_err(|e| connect_error(url, sqlx::Error::Io(e)))?;
                sqlx::migrate!("migrations/sqlite")
                    .run(&store.pool()?)
                    .await
            }
            Backend::Postgres => {
                sqlx::migrate!("migrations/postgres")
                    .run(&store.pool()?)
                    .await
            }
        };
        migrated.map_err(|cause| StoreError::Migrate {
            url: url.to_string(),
            cause,
        })?;
        Ok(store)
    }

    /// Connects without touching the schema: for a second pool in the same process.
    pub async fn connect(url: &DatabaseUrl) -> Result<Store> {
        let options = Store::pool_options(url)?;
        let pool = match options.connect(url.secret()).await {
            Ok(pool) => pool,
            Err(error) => return Err(why_no_connection(url, error).await),
        };
        Ok(Store::with_pool(pool, url))
    }

    /// As [`Store::connect`], but connecting only when first used, so a store that cannot be
    /// reached now is an error of each query until it can, not of this call.
    pub fn connect_lazily(url: &DatabaseUrl) -> Result<Store> {
        let options = Store::pool_options(url)?;
        let pool = options
            .connect_lazy(url.secret())
            .map_err(|source| connect_error(url, source))?;
        Ok(Store::with_pool(pool, url))
    }

    fn pool_options(url: &DatabaseUrl) -> Result<AnyPoolOptions> {
        sqlx::any::install_default_drivers();
        if let Some(path) = url.sqlite_path()
            && let Some(dir) = std::path::Path::new(path)
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir).map_err(|e| connect_error(url, sqlx::Error::Io(e)))?;
        }
        let options = AnyPoolOptions::new()
            .max_connections(4)
            .acquire_timeout(ACQUIRE_TIMEOUT);
        Ok(match url.backend() {
            // Several processes share one file: wait a while for another's write, and let
            // readers go on while one writes.
            Backend::Sqlite => options.after_connect(|connection, _| {
                Box::pin(async move {
                    connection.execute("PRAGMA busy_timeout = 5000").await?;
                    connection.execute("PRAGMA journal_mode = WAL").await?;
                    Ok(())
                })
            }),
            Backend::Postgres => options,
        })
    }

    fn with_pool(pool: Pool<Any>, url: &DatabaseUrl) -> Store {
        Store {
            pool: std::sync::Arc::new(arc_swap::ArcSwap::from_pointee(pool)),
            backend: url.backend(),
            url: url.clone(),
            file: url
                .sqlite_path()
                .map(|path| std::sync::Arc::new(file::Watched::new(std::path::Path::new(path)))),
        }
    }

    /// For SQLite, why no store must be made at `url`: its file is missing beside the trace
    /// of one (see `file::missing`).
    pub fn lost(url: &DatabaseUrl) -> Option<StoreError> {
        let path = std::path::Path::new(url.sqlite_path()?);
        file::missing(path).then(|| StoreError::Lost(path.display().to_string()))
    }

    /// Which file the store reads: it changes when an SQLite file put in place of the last is
    /// followed, so a reader of the store reads everything again (its revision says nothing of
    /// another file's).
    pub fn file_generation(&self) -> u64 {
        self.file
            .as_ref()
            .map_or(0, |watched| watched.times_reopened())
    }

    /// The pool of connections (a cheap handle), once the store's file is known to be the
    /// one its connections have open (see [`Store::check_file`]): every read and write goes
    /// through here, so none reaches a deleted file.
    fn pool(&self) -> Result<Pool<Any>> {
        self.check_file()?;
        Ok(self.any_pool())
    }

    /// The pool, unchecked: for closing it, and for a store just opened.
    fn any_pool(&self) -> Pool<Any> {
        Pool::clone(&self.pool.load())
    }

    /// For SQLite: an error while the file the store was opened on is gone, rather than
    /// reading and writing a deleted file while saying all is well. A file put in its place
    /// (a backup restored) is followed: new connections are made to it, none made anew.
    fn check_file(&self) -> Result<()> {
        let Some(watched) = &self.file else {
            return Ok(());
        };
        match watched.look() {
            file::Seen::Same => Ok(()),
            file::Seen::Gone => Err(StoreError::FileGone(watched.path().display().to_string())),
            file::Seen::Replaced => {
                // Open it as it is, never making one: `mode=rw`, not `rwc`.
                let url = self.url.secret().replace("mode=rwc", "mode=rw");
                let pool = Store::pool_options(&self.url)?
                    .connect_lazy(&url)
                    .map_err(|source| connect_error(&self.url, source))?;
                let old = self.pool.swap(std::sync::Arc::new(pool));
                watched.reopened();
                tracing::warn!(file = %watched.path().display(), "the store's file was replaced: its connections now open the new one");
                tokio::spawn(async move { old.close().await });
                Ok(())
            }
        }
    }

    /// The URL, its password hidden.
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// Closes every connection: queries after it fail at once.
    pub async fn close(&self) {
        self.any_pool().close().await;
    }

    /// Bumped by every change.
    pub async fn revision(&self) -> Result<i64> {
        read_revision(&self.pool()?).await
    }

    /// Everything a server answers calls from, as of one revision.
    pub async fn snapshot(&self) -> Result<Snapshot> {
        // One transaction, so the parts agree with each other and with the revision.
        let mut tx = self.pool()?.begin().await?;
        let revision = read_revision(&mut *tx).await?;
        let emergencies = read_emergencies(&mut *tx).await?;
        let days = read_days(&mut *tx).await?;
        let in_force = read_in_force(&mut *tx, 1).await?.into_iter().next();
        tx.commit().await?;
        Ok(Snapshot {
            revision,
            emergencies,
            days,
            in_force,
        })
    }

    pub async fn emergencies(&self) -> Result<Emergencies> {
        read_emergencies(&self.pool()?).await
    }

    pub async fn days(&self) -> Result<Vec<OneOffDay>> {
        read_days(&self.pool()?).await
    }

    /// The flow versions that went into force, newest first, at most `limit`.
    pub async fn flow_history(&self, limit: i64) -> Result<Vec<InForce>> {
        read_in_force(&self.pool()?, limit).await
    }

    /// The files of a published version, by name.
    pub async fn flow_files(&self, version: &str) -> Result<Option<Vec<(String, String)>>> {
        let row = sqlx::query("SELECT files FROM flow_versions WHERE version = $1")
            .bind(version)
            .fetch_optional(&self.pool()?)
            .await?;
        Ok(row.and_then(|row| serde_json::from_str(&row.get::<String, _>("files")).ok()))
    }

    /// The number people know a published version by; `None` for a version never published.
    pub async fn version_number(&self, version: &str) -> Result<Option<i64>> {
        read_version_number(&self.pool()?, version).await
    }

    /// Whether a version was ever published.
    pub async fn knows_version(&self, version: &str) -> Result<bool> {
        Ok(
            sqlx::query("SELECT 1 FROM flow_versions WHERE version = $1")
                .bind(version)
                .fetch_optional(&self.pool()?)
                .await?
                .is_some(),
        )
    }

    /// The latest audit entries, newest first.
    pub async fn audit(&self, limit: i64) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT at_ms, who, what, note, before_text, after_text FROM audit ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool()?)
        .await?;
        Ok(rows
            .iter()
            .map(|row| AuditEntry {
                at: instant(row.get("at_ms")),
                who: row.get("who"),
                what: row.get("what"),
                note: row.get("note"),
                before: row.get("before_text"),
                after: row.get("after_text"),
            })
            .collect())
    }

    pub async fn users(&self) -> Result<Vec<User>> {
        let rows = sqlx::query("SELECT name, role, hash FROM users ORDER BY name")
            .fetch_all(&self.pool()?)
            .await?;
        Ok(rows.iter().filter_map(user_of).collect())
    }

    /// A transaction that will write: see [`Writing`].
    async fn begin_writing(&self) -> Result<Writing> {
        Writing::begin(&self.pool()?, self.backend).await
    }

    /// Starts a change made `by` someone: see [`Change`].
    pub async fn change(&self, by: &str) -> Result<Change> {
        let mut tx = self.begin_writing().await?;
        if self.backend == Backend::Postgres {
            // One change at a time, from its first read: what it reads as "before" is then
            // the state the change before it left (its "after"), so the audit chains. (On
            // SQLite, BEGIN IMMEDIATE already takes the one write lock first.) Every change
            // bumps this row at its commit anyway.
            sqlx::query("SELECT serial FROM revision WHERE id = 1 FOR UPDATE")
                .execute(&mut *tx)
                .await?;
        }
        Ok(Change {
            tx,
            backend: self.backend,
            by: by.to_owned(),
            audited: false,
        })
    }

    // Small named values.

    pub async fn get_value(&self, name: &str) -> Result<Option<String>> {
        Ok(sqlx::query("SELECT value FROM kv WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool()?)
            .await?
            .map(|row| row.get("value")))
    }

    pub async fn set_value(&self, name: &str, value: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO kv (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = $2",
        )
        .bind(name)
        .bind(value)
        .execute(&self.pool()?)
        .await?;
        Ok(())
    }

    /// Waits for changes announced by other servers (PostgreSQL's LISTEN): each call to the
    /// returned listener's `recv` ends at the next. `None` on SQLite, which has no such thing.
    pub async fn listen(&self) -> Option<Result<sqlx::postgres::PgListener>> {
        if self.backend != Backend::Postgres {
            return None;
        }
        let listener = async {
            let mut listener = sqlx::postgres::PgListener::connect(self.url.secret()).await?;
            listener.listen(CHANNEL).await?;
            Ok(listener)
        };
        Some(listener.await.map_err(StoreError::Unavailable))
    }
}

/// Everything a server answers calls from.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub revision: i64,
    pub emergencies: Emergencies,
    pub days: Vec<OneOffDay>,
    /// The flow version every server serves; `None` before any was published.
    pub in_force: Option<InForce>,
}

/// A flow version that went into force.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InForce {
    pub version: String,
    /// Its place in the order versions were first published (1 is the first): the name
    /// people know it by, where `version` is a hash of its files.
    pub number: i64,
    /// RFC 3339.
    pub at: String,
    pub by: String,
    pub why: String,
}

/// One change, as the audit log shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    /// RFC 3339.
    pub at: String,
    pub who: String,
    pub what: String,
    pub note: String,
    pub before: String,
    pub after: String,
}

/// A change in the making: one transaction that holds the change, its audit entry and the
/// revision's bump. Dropped without [`Change::commit`], nothing happened. Committed without an
/// audit entry, it is refused: every change says who made it and why.
pub struct Change {
    tx: Writing,
    backend: Backend,
    by: String,
    audited: bool,
}

/// Whether an emergency change closes or opens.
pub enum Switch<'a> {
    Close { note: &'a str },
    Open,
}

impl Change {
    fn connection(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }

    pub async fn emergencies(&mut self) -> Result<Emergencies> {
        read_emergencies(self.connection()).await
    }

    /// Closes `schedule` (closed again, with the new note from now) or opens it: whether
    /// anything changed.
    pub async fn switch(&mut self, schedule: &str, switch: Switch<'_>) -> Result<bool> {
        let done = match switch {
            Switch::Close { note } => {
                sqlx::query(
                    "INSERT INTO emergency (schedule, since_ms, note) VALUES ($1, $2, $3) \
                     ON CONFLICT (schedule) DO UPDATE SET since_ms = $2, note = $3",
                )
                .bind(schedule)
                .bind(millis(Utc::now()))
                .bind(note)
                .execute(self.connection())
                .await?
            }
            Switch::Open => {
                sqlx::query("DELETE FROM emergency WHERE schedule = $1")
                    .bind(schedule)
                    .execute(self.connection())
                    .await?
            }
        };
        Ok(done.rows_affected() > 0)
    }

    pub async fn days(&mut self) -> Result<Vec<OneOffDay>> {
        read_days(self.connection()).await
    }

    /// Adds a one-off day; refused if the schedule has one that day already.
    pub async fn add_day(
        &mut self,
        schedule: &str,
        day: NaiveDate,
        kind: DayKind,
        value: &str,
    ) -> Result<()> {
        let already = |kind: DayKind| {
            StoreError::Refused(format!(
                "{} already has {}: remove it first to change it.",
                crate::calendar::speech::full_date(day),
                match kind {
                    DayKind::Closure => "a closure day",
                    DayKind::SpecialHours => "special hours",
                }
            ))
        };
        if let Some(existing) = self
            .days()
            .await?
            .into_iter()
            .find(|d| d.schedule == schedule && d.day == day)
        {
            return Err(already(existing.kind));
        }
        let added = sqlx::query(
            "INSERT INTO one_off_days (schedule, day, kind, value, added_by, added_ms) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(schedule)
        .bind(day.to_string())
        .bind(kind.as_str())
        .bind(value)
        .bind(self.by.clone())
        .bind(millis(Utc::now()))
        .execute(self.connection())
        .await;
        match added {
            Ok(_) => Ok(()),
            // Another editor added that day between the look above and this insert (two
            // transactions at once on PostgreSQL): a conflict, said as one, not an outage.
            Err(sqlx::Error::Database(error)) if error.is_unique_violation() => Err(already(kind)),
            Err(error) => Err(error.into()),
        }
    }

    /// Removes a one-off day; refused if there is none of that kind.
    pub async fn remove_day(
        &mut self,
        schedule: &str,
        day: NaiveDate,
        kind: DayKind,
    ) -> Result<()> {
        let removed =
            sqlx::query("DELETE FROM one_off_days WHERE schedule = $1 AND day = $2 AND kind = $3")
                .bind(schedule)
                .bind(day.to_string())
                .bind(kind.as_str())
                .execute(self.connection())
                .await?;
        if removed.rows_affected() == 0 {
            return Err(StoreError::Refused(format!(
                "{schedule} has no {} on {day} added at run time.",
                kind.said()
            )));
        }
        Ok(())
    }

    /// Keeps a set of flow files under its version (once), and puts it in force.
    pub async fn put_flows_in_force(
        &mut self,
        version: &str,
        files: &[(String, String)],
        why: &str,
    ) -> Result<()> {
        self.keep_flows(version, files).await?;
        self.put_version_in_force(version, why).await
    }

    /// Puts a version kept already in force again (a roll-back).
    pub async fn put_version_in_force(&mut self, version: &str, why: &str) -> Result<()> {
        let by = self.by.clone();
        self.note_in_force(version, Utc::now(), &by, why).await
    }

    /// Notes that `version` went into force `at`, `by` someone: for history taken over.
    pub async fn note_in_force(
        &mut self,
        version: &str,
        at: DateTime<Utc>,
        by: &str,
        why: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO flows_in_force (version, at_ms, by_whom, why) VALUES ($1, $2, $3, $4)",
        )
        .bind(version)
        .bind(millis(at))
        .bind(by)
        .bind(why)
        .execute(self.connection())
        .await?;
        Ok(())
    }

    /// Keeps a set of flow files under its version, without putting it in force.
    pub async fn keep_flows(&mut self, version: &str, files: &[(String, String)]) -> Result<()> {
        let files = serde_json::to_string(files).expect("names and texts serialise");
        sqlx::query(
            "INSERT INTO flow_versions (version, files, first_ms) VALUES ($1, $2, $3) ON CONFLICT (version) DO NOTHING",
        )
        .bind(version)
        .bind(files)
        .bind(millis(Utc::now()))
        .execute(self.connection())
        .await?;
        Ok(())
    }

    /// The version in force as this change sees it.
    pub async fn in_force(&mut self) -> Result<Option<InForce>> {
        Ok(read_in_force(self.connection(), 1)
            .await?
            .into_iter()
            .next())
    }

    /// The number people know a published version by, as this change sees it.
    pub async fn version_number(&mut self, version: &str) -> Result<Option<i64>> {
        read_version_number(self.connection(), version).await
    }

    /// Adds a user, or gives one a new role and hash: whether they are new.
    pub async fn put_user(&mut self, user: &User) -> Result<bool> {
        let new = sqlx::query("SELECT 1 FROM users WHERE name = $1")
            .bind(&user.name)
            .fetch_optional(self.connection())
            .await?
            .is_none();
        sqlx::query(
            "INSERT INTO users (name, role, hash) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET role = $2, hash = $3",
        )
        .bind(&user.name)
        .bind(user.role.as_str())
        .bind(&user.hash)
        .execute(self.connection())
        .await?;
        Ok(new)
    }

    /// Removes a user and ends their sessions: whether there was one.
    pub async fn remove_user(&mut self, name: &str) -> Result<bool> {
        sqlx::query("DELETE FROM sessions WHERE user_name = $1")
            .bind(name)
            .execute(self.connection())
            .await?;
        let removed = sqlx::query("DELETE FROM users WHERE name = $1")
            .bind(name)
            .execute(self.connection())
            .await?;
        Ok(removed.rows_affected() > 0)
    }

    /// The audit entry of this change: who (the change's author), what, why, before and after.
    pub async fn audit(&mut self, what: &str, note: &str, before: &str, after: &str) -> Result<()> {
        let entry = AuditEntry {
            at: instant(millis(Utc::now())),
            who: self.by.clone(),
            what: what.to_owned(),
            note: note.to_owned(),
            before: before.to_owned(),
            after: after.to_owned(),
        };
        self.audit_entry(&entry).await
    }

    /// An audit entry as given, at its own instant and by its own author: for entries taken
    /// over from a state directory.
    pub async fn audit_entry(&mut self, entry: &AuditEntry) -> Result<()> {
        let at = DateTime::parse_from_rfc3339(&entry.at)
            .map(|at| at.with_timezone(&Utc))
            .unwrap_or_else(|_| Utc::now());
        sqlx::query(
            "INSERT INTO audit (at_ms, who, what, note, before_text, after_text) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(millis(at))
        .bind(&entry.who)
        .bind(&entry.what)
        .bind(&entry.note)
        .bind(&entry.before)
        .bind(&entry.after)
        .execute(self.connection())
        .await?;
        self.audited = true;
        Ok(())
    }

    /// Bumps the revision, announces it and commits: the change and its audit entry happen
    /// together, or neither does. The new revision.
    pub async fn commit(mut self) -> Result<i64> {
        if !self.audited {
            return Err(StoreError::Refused(
                "a change with no audit entry is not made".into(),
            ));
        }
        let revision: i64 =
            sqlx::query("UPDATE revision SET serial = serial + 1 WHERE id = 1 RETURNING serial")
                .fetch_one(self.connection())
                .await?
                .get("serial");
        if self.backend == Backend::Postgres {
            // Delivered to every listener when the transaction commits, not before.
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(revision.to_string())
                .execute(self.connection())
                .await?;
        }
        self.tx.commit().await?;
        Ok(revision)
    }
}

async fn read_revision<'e>(executor: impl Executor<'e, Database = Any>) -> Result<i64> {
    Ok(sqlx::query("SELECT serial FROM revision WHERE id = 1")
        .fetch_one(executor)
        .await?
        .get("serial"))
}

fn user_of(row: &AnyRow) -> Option<User> {
    Some(User {
        name: row.get("name"),
        role: Role::named(&row.get::<String, _>("role"))?,
        hash: row.get("hash"),
    })
}

async fn read_emergencies<'e>(executor: impl Executor<'e, Database = Any>) -> Result<Emergencies> {
    let rows = sqlx::query("SELECT schedule, since_ms, note FROM emergency ORDER BY schedule")
        .fetch_all(executor)
        .await?;
    let mut switch = Emergencies::default();
    for row in &rows {
        switch.close(
            &row.get::<String, _>("schedule"),
            EmergencyClosure {
                since: instant(row.get("since_ms")),
                note: row.get("note"),
            },
        );
    }
    Ok(switch)
}

async fn read_days<'e>(executor: impl Executor<'e, Database = Any>) -> Result<Vec<OneOffDay>> {
    let rows = sqlx::query(
        "SELECT schedule, day, kind, value, added_by, added_ms FROM one_off_days ORDER BY schedule, day",
    )
    .fetch_all(executor)
    .await?;
    Ok(rows
        .iter()
        .filter_map(|row| {
            Some(OneOffDay {
                schedule: row.get("schedule"),
                day: row.get::<String, _>("day").parse().ok()?,
                kind: DayKind::named(&row.get::<String, _>("kind"))?,
                value: row.get("value"),
                added_by: row.get("added_by"),
                added_at: instant(row.get("added_ms")),
            })
        })
        .collect())
}

async fn read_in_force<'e>(
    executor: impl Executor<'e, Database = Any>,
    limit: i64,
) -> Result<Vec<InForce>> {
    let rows = sqlx::query(&format!(
        "SELECT f.version, f.at_ms, f.by_whom, f.why, {VERSION_NUMBER} AS number \
         FROM flows_in_force f JOIN flow_versions v ON v.version = f.version \
         ORDER BY f.id DESC LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(executor)
    .await?;
    Ok(rows
        .iter()
        .map(|row| InForce {
            version: row.get("version"),
            at: instant(row.get("at_ms")),
            by: row.get("by_whom"),
            why: row.get("why"),
            number: row.get("number"),
        })
        .collect())
}

/// The number of the version `v` (a row of `flow_versions`): how many were first published
/// before it or with it. Versions published in the same millisecond are ordered by hash.
const VERSION_NUMBER: &str = "(SELECT COUNT(*) FROM flow_versions o \
     WHERE o.first_ms < v.first_ms OR (o.first_ms = v.first_ms AND o.version <= v.version))";

/// The number people know a published version by (see [`InForce::number`]).
async fn read_version_number<'e>(
    executor: impl Executor<'e, Database = Any>,
    version: &str,
) -> Result<Option<i64>> {
    let row = sqlx::query(&format!(
        "SELECT {VERSION_NUMBER} AS number FROM flow_versions v WHERE v.version = $1"
    ))
    .bind(version)
    .fetch_optional(executor)
    .await?;
    Ok(row.map(|row| row.get("number")))
}

/// The store keeps the bank-holiday feed, so a server starting with the feed unreachable
/// still knows every day any server has fetched.
impl FeedCache for Store {
    fn save(&self, feed: &Feed) -> SaveFuture<'_> {
        let text = String::from_utf8_lossy(&feed.to_json()).into_owned();
        Box::pin(async move {
            self.set_value(legacy::FEED_CACHE, &text)
                .await
                .map_err(|e| e.to_string())
        })
    }
}
