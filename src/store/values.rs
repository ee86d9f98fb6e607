//! Small named values the servers share (the bank-holiday feed's cache).

use sqlx::Row;

use super::{Result, Store};

impl Store {
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
}
