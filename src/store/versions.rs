//! The flow versions: every set of flow files published, kept by its hash, and each time one
//! went into force (by whom, why).

use chrono::{DateTime, Utc};
use sqlx::{Any, Executor, Row};

use super::{Change, Result, Store, instant, millis};

impl Store {
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
}

impl Change {
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

pub(super) async fn read_in_force<'e>(
    executor: impl Executor<'e, Database = Any>,
    limit: i64,
) -> Result<Vec<InForce>> {
    // Every version numbered in one pass (a count for each row was quadratic: 0.3 s for 500).
    let rows = sqlx::query(
        "SELECT f.version, f.at_ms, f.by_whom, f.why, n.number \
         FROM flows_in_force f JOIN (\
             SELECT version, ROW_NUMBER() OVER (ORDER BY first_ms, version) AS number \
             FROM flow_versions\
         ) n ON n.version = f.version \
         ORDER BY f.id DESC LIMIT $1",
    )
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
/// before it or with it. Versions published in the same millisecond are ordered by hash (as
/// [`read_in_force`] numbers them all at once).
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
