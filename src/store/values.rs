//! Small named values the servers share (the bank-holiday feed's cache, the hold on the flow
//! files after a roll-back).

use sqlx::Row;

use super::{Change, Result, Store};

/// While set, the flow files are not put in force by themselves: a roll-back took out of force
/// the version named here, and the files on the servers may still hold it.
const FLOW_FILES_HELD: &str = "flow-files-held";

impl Change {
    /// Holds the flow files back after a roll-back that took `version` out of force.
    pub async fn hold_flow_files(&mut self, version: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO kv (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = $2",
        )
        .bind(FLOW_FILES_HELD)
        .bind(version)
        .execute(self.connection())
        .await?;
        Ok(())
    }

    /// Lets the flow files go into force by themselves again.
    pub async fn release_flow_files(&mut self) -> Result<()> {
        sqlx::query("DELETE FROM kv WHERE name = $1")
            .bind(FLOW_FILES_HELD)
            .execute(self.connection())
            .await?;
        Ok(())
    }
}

impl Store {
    /// The version a roll-back took out of force, while the flow files are held back.
    pub async fn flow_files_held(&self) -> Result<Option<String>> {
        self.get_value(FLOW_FILES_HELD).await
    }

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
