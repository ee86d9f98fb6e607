//! A transaction that writes, begun and ended by plain `BEGIN`, `COMMIT` and `ROLLBACK` on a
//! connection of the pool, and a connection that fails in one is closed, never given back.
//!
//! sqlx's own transactions keep a count of the transactions open on each connection. When
//! SQLite ends a transaction by itself (a full disk, `SQLITE_FULL`, rolls it back), sqlx's
//! ROLLBACK then fails, the count stays at one, and every later `BEGIN IMMEDIATE` on that
//! connection fails with "begin_with at non-zero transaction depth", until a restart: after a
//! full disk was freed, the call records kept being dropped. Here nothing is counted, and a
//! connection whose state is in doubt is dropped (the database then discards whatever it had
//! not committed).

use std::ops::{Deref, DerefMut};

use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, Executor as _, Pool};

use super::{Backend, Result};

pub struct Writing {
    /// Taken when the transaction ends.
    connection: Option<PoolConnection<Any>>,
}

impl Writing {
    /// Begins one. On SQLite the write lock is taken at the start (`BEGIN IMMEDIATE`): a
    /// transaction that reads and then writes would otherwise fail at once (not wait) if
    /// another process wrote meanwhile.
    pub(super) async fn begin(pool: &Pool<Any>, backend: Backend) -> Result<Writing> {
        let mut connection = pool.acquire().await?;
        let begin = match backend {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        };
        if let Err(error) = connection.execute(begin).await {
            // Whether a transaction is open on it now is not known: it goes.
            drop(connection.detach());
            return Err(error.into());
        }
        Ok(Writing {
            connection: Some(connection),
        })
    }

    pub async fn commit(mut self) -> Result<()> {
        self.end("COMMIT").await
    }

    pub async fn rollback(mut self) -> Result<()> {
        self.end("ROLLBACK").await
    }

    /// Ends it with `statement`: the connection goes back to the pool if that worked, and is
    /// closed if not (its transaction may still be open, or already ended by the database).
    async fn end(&mut self, statement: &str) -> Result<()> {
        let Some(mut connection) = self.connection.take() else {
            return Ok(());
        };
        match connection.execute(statement).await {
            Ok(_) => Ok(()),
            Err(error) => {
                drop(connection.detach());
                Err(error.into())
            }
        }
    }
}

/// Dropped before it was ended (an error on the way, a caller gone): the connection is
/// closed, so what was written is discarded by the database and nothing is left half-open on
/// a connection someone else will use.
impl Drop for Writing {
    fn drop(&mut self) {
        if let Some(connection) = self.connection.take() {
            drop(connection.detach());
        }
    }
}

impl Deref for Writing {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        self.connection.as_ref().expect("a transaction not ended")
    }
}

impl DerefMut for Writing {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        self.connection.as_mut().expect("a transaction not ended")
    }
}
