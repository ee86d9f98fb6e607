//! Console sessions and the login throttle: shared by every server, not audited.

use std::time::Duration;

use chrono::Utc;
use sqlx::Row;

use super::{Result, Role, Store, millis};

impl Store {
    /// Starts a session for `user`: stored by a hash of `token`, with its CSRF token.
    /// Sessions older than `idle` unused or `longest` in all are forgotten meanwhile.
    pub async fn start_session(
        &self,
        token: &str,
        user: &str,
        csrf: &str,
        idle: Duration,
        longest: Duration,
    ) -> Result<()> {
        let now = millis(Utc::now());
        sqlx::query("DELETE FROM sessions WHERE used_ms < $1 OR started_ms < $2")
            .bind(now - idle.as_millis() as i64)
            .bind(now - longest.as_millis() as i64)
            .execute(&self.pool()?)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_name, csrf, started_ms, used_ms) VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(token_hash(token))
        .bind(user)
        .bind(csrf)
        .bind(now)
        .execute(&self.pool()?)
        .await?;
        Ok(())
    }

    /// The session of `token` if it has not ended (used within `idle`, started within
    /// `longest`), marked used now: its user, role (as the user is now) and CSRF token.
    pub async fn session(
        &self,
        token: &str,
        idle: Duration,
        longest: Duration,
    ) -> Result<Option<(String, Role, String)>> {
        let now = millis(Utc::now());
        let row = sqlx::query(
            "UPDATE sessions SET used_ms = $1 WHERE token_hash = $2 AND used_ms >= $3 AND started_ms >= $4 \
             RETURNING user_name, csrf",
        )
        .bind(now)
        .bind(token_hash(token))
        .bind(now - idle.as_millis() as i64)
        .bind(now - longest.as_millis() as i64)
        .fetch_optional(&self.pool()?)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let (user, csrf): (String, String) = (row.get("user_name"), row.get("csrf"));
        let role = sqlx::query("SELECT role FROM users WHERE name = $1")
            .bind(&user)
            .fetch_optional(&self.pool()?)
            .await?
            .and_then(|r| Role::named(&r.get::<String, _>("role")));
        Ok(role.map(|role| (user, role, csrf)))
    }

    /// Keeps `notice` with the session for the next page it shows.
    pub async fn leave_notice(&self, token: &str, notice: &str) -> Result<()> {
        sqlx::query("UPDATE sessions SET notice = $1 WHERE token_hash = $2")
            .bind(notice)
            .bind(token_hash(token))
            .execute(&self.pool()?)
            .await?;
        Ok(())
    }

    /// The notice left with the session, if any, which is then gone.
    pub async fn take_notice(&self, token: &str) -> Result<Option<String>> {
        let hash = token_hash(token);
        let row = sqlx::query("SELECT notice FROM sessions WHERE token_hash = $1")
            .bind(&hash)
            .fetch_optional(&self.pool()?)
            .await?;
        let notice: Option<String> = row.and_then(|row| row.get("notice"));
        if notice.is_some() {
            sqlx::query("UPDATE sessions SET notice = NULL WHERE token_hash = $1")
                .bind(&hash)
                .execute(&self.pool()?)
                .await?;
        }
        Ok(notice)
    }

    pub async fn end_session(&self, token: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash(token))
            .execute(&self.pool()?)
            .await?;
        Ok(())
    }

    /// Counts a try at logging in as `user` from `address` before its password is checked,
    /// as wrong until [`Store::login_succeeded`] says otherwise: the tries before it that
    /// were not right, the last within `window`; or `None` once `most` are counted, when it is
    /// not counted and must not be checked. Counted and read in one statement of one
    /// transaction, so tries made at once on any number of servers cannot pass the limit
    /// together. Tries older than `window` are forgotten meanwhile.
    pub async fn login_try(
        &self,
        user: &str,
        address: &str,
        window: Duration,
        most: u32,
    ) -> Result<Option<u32>> {
        let now = millis(Utc::now());
        let stale = now - window.as_millis() as i64;
        let mut tx = self.begin_writing().await?;
        sqlx::query("DELETE FROM login_failures WHERE last_ms < $1")
            .bind(stale)
            .execute(&mut *tx)
            .await?;
        let counted = sqlx::query(
            "INSERT INTO login_failures (user_name, address, count, last_ms) VALUES ($1, $2, 1, $3) \
             ON CONFLICT (user_name, address) DO UPDATE SET count = login_failures.count + 1, last_ms = $3 \
             WHERE login_failures.count < $4 RETURNING count",
        )
        .bind(user)
        .bind(address)
        .bind(now)
        .bind(i64::from(most))
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(counted.map(|row| u32::try_from(row.get::<i64, _>("count") - 1).unwrap_or(u32::MAX)))
    }

    pub async fn login_succeeded(&self, user: &str, address: &str) -> Result<()> {
        sqlx::query("DELETE FROM login_failures WHERE user_name = $1 AND address = $2")
            .bind(user)
            .bind(address)
            .execute(&self.pool()?)
            .await?;
        Ok(())
    }
}

pub(super) fn token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
