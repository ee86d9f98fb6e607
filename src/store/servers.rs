//! The servers that read the store: each says when it last read it and the revision it serves,
//! so ops can see that a change is in force everywhere.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Result, Store, millis};

impl Store {
    /// Says that a server read the store, and the revision it serves.
    pub async fn server_seen(&self, seen: &ServerSeen) -> Result<()> {
        sqlx::query(
            "INSERT INTO servers (server, address, seen_ms, revision) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (server) DO UPDATE SET address = $2, seen_ms = $3, revision = $4",
        )
        .bind(&seen.server)
        .bind(&seen.address)
        .bind(seen.seen_ms)
        .bind(seen.revision)
        .execute(&self.pool()?)
        .await?;
        Ok(())
    }

    pub async fn server_gone(&self, server: &str) -> Result<()> {
        sqlx::query("DELETE FROM servers WHERE server = $1")
            .bind(server)
            .execute(&self.pool()?)
            .await?;
        Ok(())
    }

    /// Every server that said it reads the store, most recent first.
    pub async fn servers(&self) -> Result<Vec<ServerSeen>> {
        let rows = sqlx::query(
            "SELECT server, address, seen_ms, revision FROM servers ORDER BY seen_ms DESC",
        )
        .fetch_all(&self.pool()?)
        .await?;
        Ok(rows
            .iter()
            .map(|row| ServerSeen {
                server: row.get("server"),
                address: row.get("address"),
                seen_ms: row.get("seen_ms"),
                revision: row.get("revision"),
            })
            .collect())
    }
}

/// A server that reads the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerSeen {
    /// `host:process`.
    pub server: String,
    /// Where it answers webhooks.
    pub address: String,
    pub seen_ms: i64,
    /// The revision it serves.
    pub revision: i64,
}

impl ServerSeen {
    /// How long ago it last read the store.
    pub fn age(&self, now: DateTime<Utc>) -> chrono::TimeDelta {
        chrono::TimeDelta::milliseconds(millis(now) - self.seen_ms)
    }
}
