//! The audit log: who changed what, why, and the state before and after, one entry for every
//! change, written in the change's own transaction.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Change, Result, Store, instant, millis};

impl Store {
    /// The latest audit entries, newest first.
    pub async fn audit(&self, limit: i64) -> Result<Vec<AuditEntry>> {
        self.audit_page(0, limit, "").await
    }

    /// The audit entries newest first, `offset` of them skipped, at most `limit`; only those
    /// whose description contains `naming`, unless it is empty.
    pub async fn audit_page(
        &self,
        offset: i64,
        limit: i64,
        naming: &str,
    ) -> Result<Vec<AuditEntry>> {
        // LIKE on both backends, its wildcards in `naming` taken as themselves.
        let pattern = format!(
            "%{}%",
            naming
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let rows = sqlx::query(
            "SELECT at_ms, who, what, note, before_text, after_text FROM audit \
             WHERE what LIKE $3 ESCAPE '\\' ORDER BY id DESC LIMIT $1 OFFSET $2",
        )
        .bind(limit)
        .bind(offset)
        .bind(pattern)
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
}

impl Change {
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
