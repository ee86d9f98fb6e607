//! The store that every server shares: the emergency switch, the one-off days ops add, the
//! flow versions in force, console users and sessions, the login throttle, the audit log, the
//! servers that read it and the bank-holiday feed cache. SQLite on one machine, PostgreSQL for
//! more than one: the same schema and the same queries through sqlx's `Any` driver, so a
//! backend is a URL, not a code path of its own.
//!
//! Data only, one file per group of tables: `versions` (flow files and what was in force),
//! `days` (the switch and one-off days), `audit`, `users`, `sessions` (and the login throttle),
//! `servers`, `values`, `calls`, `call_backs`, `outbox`, `report` (the figures). Words for
//! people are `ops`' and `reports`'.
//!
//! Every change goes through [`Change`]: the change, its audit entry and the bump of the
//! revision are one transaction, so a change that cannot be audited does not happen. Servers
//! never read the store on a webhook's path: each keeps a snapshot in memory and reloads it
//! when the revision moves (see `server::follow`).

mod audit;
pub mod call_backs;
pub mod calls;
mod days;
mod file;
pub mod legacy;
pub mod outbox;
pub mod report;
mod servers;
mod sessions;
mod url;
pub mod users;
mod values;
mod versions;
mod writing;

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::any::AnyPoolOptions;
use sqlx::{Any, AnyConnection, Executor, Pool, Row};

use crate::calendar::feed::{Feed, FeedCache, SaveFuture};
use crate::calendar::{DayKind, Emergencies, OneOffDay};
pub use audit::AuditEntry;
pub use days::Switch;
pub use servers::ServerSeen;
pub use url::{Backend, BadUrl, DatabaseUrl};
pub use users::{Role, User};
pub use versions::InForce;
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
    /// A change that the rows as they are do not allow (`ops` says it in people's words).
    #[error("{0}")]
    Conflict(Conflict),
}

/// What the store's rows would not let a change do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Conflict {
    #[error("schedule {schedule} already has a {kind:?} day on {day}")]
    DayTaken {
        schedule: String,
        day: NaiveDate,
        kind: DayKind,
    },
    #[error("schedule {schedule} has no {kind:?} day on {day}")]
    NoSuchDay {
        schedule: String,
        day: NaiveDate,
        kind: DayKind,
    },
    #[error("no call-back request {0}")]
    NoSuchCallBack(i64),
    #[error("call-back request {id} is closed already ({outcome})")]
    CallBackClosed { id: i64, outcome: String },
    #[error("call-back request {0} is open")]
    CallBackOpen(i64),
    #[error("call-back request {id} cannot reopen: request {other} for the same number is open")]
    NumberHasOpenRequest { id: i64, other: i64 },
    #[error("a change with no audit entry is not made")]
    NotAudited,
}

impl StoreError {
    /// Whether the store itself failed (rather than the rows refusing the change).
    pub fn is_unavailable(&self) -> bool {
        !matches!(self, StoreError::Conflict(_))
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
        let emergencies = days::read_emergencies(&mut *tx).await?;
        let days = days::read_days(&mut *tx).await?;
        let in_force = versions::read_in_force(&mut *tx, 1)
            .await?
            .into_iter()
            .next();
        tx.commit().await?;
        Ok(Snapshot {
            revision,
            emergencies,
            days,
            in_force,
        })
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

/// A change in the making: one transaction that holds the change, its audit entry and the
/// revision's bump. Dropped without [`Change::commit`], nothing happened. Committed without an
/// audit entry, it is refused: every change says who made it and why.
pub struct Change {
    tx: Writing,
    backend: Backend,
    by: String,
    audited: bool,
}

impl Change {
    pub(super) fn connection(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }

    /// Bumps the revision, announces it and commits: the change and its audit entry happen
    /// together, or neither does. The new revision.
    pub async fn commit(mut self) -> Result<i64> {
        if !self.audited {
            return Err(StoreError::Conflict(Conflict::NotAudited));
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
