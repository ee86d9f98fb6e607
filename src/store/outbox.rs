//! The outbox: notifications for the team, written to the store first and delivered after, so
//! none is lost when a server stops or the receiver is down. Each has an event id, unique, so
//! the same event noticed by several servers is one notification, and a receiver can drop a
//! second delivery of it (delivery is at least once).

use chrono::{DateTime, Duration, Utc};
use sqlx::Row;

use super::{Result, Store, millis};

/// A notification waiting to be delivered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    pub row: i64,
    pub event: String,
    pub body: String,
    pub tries: i64,
}

impl Store {
    /// Adds the notification `event` unless it is already there (noticed before, or by
    /// another server): whether it was added.
    pub async fn notify(&self, event: &str, body: &str, at: DateTime<Utc>) -> Result<bool> {
        let added = sqlx::query(
            "INSERT INTO outbox (event, body, created_ms, next_try_ms) VALUES ($1, $2, $3, $3) ON CONFLICT DO NOTHING",
        )
        .bind(event)
        .bind(body)
        .bind(millis(at))
        .execute(&self.pool()?)
        .await?;
        Ok(added.rows_affected() == 1)
    }

    /// The next notification due at `now`, taken for `lease` (no other server tries it
    /// meanwhile, and if this one stops, another takes it after).
    pub async fn take_notification(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<Option<Notification>> {
        let due = sqlx::query(
            "SELECT id, event, body, tries FROM outbox WHERE delivered_ms IS NULL AND next_try_ms <= $1 ORDER BY next_try_ms, id LIMIT 1",
        )
        .bind(millis(now))
        .fetch_optional(&self.pool()?)
        .await?;
        let Some(row) = due else {
            return Ok(None);
        };
        let notification = Notification {
            row: row.get("id"),
            event: row.get("event"),
            body: row.get("body"),
            tries: row.get("tries"),
        };
        // Taken only if nobody took it since it was read.
        let taken = sqlx::query(
            "UPDATE outbox SET next_try_ms = $1 WHERE id = $2 AND delivered_ms IS NULL AND next_try_ms <= $3",
        )
        .bind(millis(now + lease))
        .bind(notification.row)
        .bind(millis(now))
        .execute(&self.pool()?)
        .await?;
        Ok((taken.rows_affected() == 1).then_some(notification))
    }

    pub async fn delivered(&self, row: i64, at: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE outbox SET delivered_ms = $1, tries = tries + 1, last_error = NULL WHERE id = $2")
            .bind(millis(at))
            .bind(row)
            .execute(&self.pool()?)
            .await?;
        Ok(())
    }

    /// A try failed: the next is at `next`.
    pub async fn not_delivered(&self, row: i64, next: DateTime<Utc>, error: &str) -> Result<()> {
        sqlx::query(
            "UPDATE outbox SET tries = tries + 1, next_try_ms = $1, last_error = $2 WHERE id = $3",
        )
        .bind(millis(next))
        .bind(error)
        .bind(row)
        .execute(&self.pool()?)
        .await?;
        Ok(())
    }

    /// How many notifications wait to be delivered.
    pub async fn undelivered(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS waiting FROM outbox WHERE delivered_ms IS NULL")
            .fetch_one(&self.pool()?)
            .await?;
        Ok(row.get("waiting"))
    }
}
