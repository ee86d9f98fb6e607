//! Requests for a call back: kept by the webhook that takes one (one open request per number),
//! listed for the team, and closed by them (an audited change). A number is shown in full only
//! where a role allows; everywhere else, masked to its last three digits.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Change, Conflict, Result, Store, StoreError, millis};
use crate::calendar::schedule::Status;
use crate::calendar::{BankHolidays, Emergencies};
use crate::flow::Flows;
use crate::phone::E164;

/// A request for a call back written in a transaction not yet committed.
pub struct PendingCallBack {
    tx: super::writing::Writing,
    /// The new request's id; `None` when the number had an open request already.
    id: Option<i64>,
}

impl PendingCallBack {
    /// Whether it is a new request (not one the number had open already).
    pub fn added(&self) -> bool {
        self.id.is_some()
    }

    /// The new request's id, if it is one.
    pub fn id(&self) -> Option<i64> {
        self.id
    }

    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await
    }

    pub async fn roll_back(self) -> Result<()> {
        self.tx.rollback().await
    }
}

/// One request, as the team's queue shows it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CallBack {
    pub id: i64,
    /// E.164. Never logged: show [`CallBack::masked`] unless the viewer may see it.
    #[serde(skip)]
    pub number: String,
    pub line: String,
    pub asked_ms: i64,
    pub claimed_by: Option<String>,
    /// Calls made that found nobody.
    pub tries: i64,
    pub closed_ms: Option<i64>,
    pub outcome: Option<String>,
    /// Who closed it.
    pub closed_by: Option<String>,
    pub note: Option<String>,
}

impl CallBack {
    /// The number as logs show one: all but its last three digits hidden, `+*********123`.
    pub fn masked(&self) -> String {
        crate::phone::Masked(&self.number).to_string()
    }
}

/// How a request was closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Closing {
    CalledBack,
    Closed,
}

impl Closing {
    pub fn as_str(self) -> &'static str {
        match self {
            Closing::CalledBack => "called back",
            Closing::Closed => "closed",
        }
    }
}

/// When request `r` is due: from the opening of its line after it was made (or when it was
/// made, if the line was open), plus `aim`. `None` for a line with no schedule in the flows.
pub fn due(
    r: &CallBack,
    flows: &Flows,
    holidays: &BankHolidays,
    aim: chrono::Duration,
) -> Option<DateTime<Utc>> {
    let asked = DateTime::<Utc>::from_timestamp_millis(r.asked_ms)?;
    let line = flows.line_index(&r.line)?;
    let schedule = &flows.schedules[flows.own_schedule(line)?];
    // The switch as it is now is not what it was then: the hours alone decide.
    let none = Emergencies::default();
    let from = match schedule.status(holidays, &none, asked) {
        Status::Open { .. } => asked,
        Status::Closed(_) => schedule.next_opening(holidays, asked)?.with_timezone(&Utc),
    };
    Some(from + aim)
}

const COLUMNS: &str =
    "id, number, line, asked_ms, claimed_by, tries, closed_ms, outcome, closed_by, note";

fn call_back_of(row: &sqlx::any::AnyRow) -> CallBack {
    CallBack {
        id: row.get("id"),
        number: row.get("number"),
        line: row.get("line"),
        asked_ms: row.get("asked_ms"),
        claimed_by: row.get("claimed_by"),
        tries: row.get::<i64, _>("tries"),
        closed_ms: row.get("closed_ms"),
        outcome: row.get("outcome"),
        closed_by: row.get("closed_by"),
        note: row.get("note"),
    }
}

impl Store {
    /// Keeps a request for a call back to `number` by `line`'s team: `true` if it was added,
    /// `false` if the number already has one open (nothing is added).
    pub async fn request_call_back(
        &self,
        number: &E164,
        line: &str,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let pending = self.begin_call_back(number, line, at).await?;
        let added = pending.added();
        pending.commit().await?;
        Ok(added)
    }

    /// Writes a request for a call back in a transaction not yet committed: the webhook
    /// commits it only while the caller still waits to hear whether it was kept.
    pub async fn begin_call_back(
        &self,
        number: &E164,
        line: &str,
        at: DateTime<Utc>,
    ) -> Result<PendingCallBack> {
        let mut tx = self.begin_writing().await?;
        let added = sqlx::query(
            "INSERT INTO call_backs (number, line, asked_ms) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(number.as_str())
        .bind(line)
        .bind(millis(at))
        .fetch_optional(&mut *tx)
        .await?;
        Ok(PendingCallBack {
            tx,
            id: added.map(|row| row.get("id")),
        })
    }

    /// Deletes a request the caller was told could not be kept, if it was kept after all (its
    /// commit came back too late): what the store holds is then what the caller heard.
    pub async fn withdraw_call_back(&self, id: i64) -> Result<()> {
        sqlx::query(
            "DELETE FROM call_backs WHERE id = $1 AND claimed_by IS NULL AND closed_ms IS NULL",
        )
        .bind(id)
        .execute(&self.pool()?)
        .await?;
        Ok(())
    }

    /// The open requests, oldest first, or every request (`open_only` false), newest first.
    pub async fn call_backs(&self, open_only: bool) -> Result<Vec<CallBack>> {
        let query = if open_only {
            format!(
                "SELECT {COLUMNS} FROM call_backs WHERE closed_ms IS NULL ORDER BY asked_ms, id"
            )
        } else {
            format!("SELECT {COLUMNS} FROM call_backs ORDER BY asked_ms DESC, id DESC")
        };
        let rows = sqlx::query(&query).fetch_all(&self.pool()?).await?;
        Ok(rows.iter().map(call_back_of).collect())
    }

    /// The requests closed, most recently closed first, at most `limit`.
    pub async fn call_backs_done(&self, limit: i64) -> Result<Vec<CallBack>> {
        let query = format!(
            "SELECT {COLUMNS} FROM call_backs WHERE closed_ms IS NOT NULL \
             ORDER BY closed_ms DESC, id DESC LIMIT $1"
        );
        let rows = sqlx::query(&query)
            .bind(limit)
            .fetch_all(&self.pool()?)
            .await?;
        Ok(rows.iter().map(call_back_of).collect())
    }

    /// Request `id`, open or closed.
    pub async fn call_back(&self, id: i64) -> Result<Option<CallBack>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM call_backs WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool()?)
            .await?;
        Ok(row.as_ref().map(call_back_of))
    }

    /// Deletes the requests closed before `before`: a number is kept only to call it back.
    /// How many were deleted.
    pub async fn forget_closed_call_backs(&self, before: DateTime<Utc>) -> Result<u64> {
        let deleted =
            sqlx::query("DELETE FROM call_backs WHERE closed_ms IS NOT NULL AND closed_ms < $1")
                .bind(millis(before))
                .execute(&self.pool()?)
                .await?;
        Ok(deleted.rows_affected())
    }
}

impl Change {
    /// Request `id`, or a conflict when there is none.
    async fn call_back_by_id(&mut self, id: i64) -> Result<CallBack> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM call_backs WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.connection())
            .await?;
        row.as_ref()
            .map(call_back_of)
            .ok_or(StoreError::Conflict(Conflict::NoSuchCallBack(id)))
    }

    /// Request `id` as it is, which must be open.
    async fn open_call_back(&mut self, id: i64) -> Result<CallBack> {
        let request = self.call_back_by_id(id).await?;
        if request.closed_ms.is_some() {
            return Err(StoreError::Conflict(Conflict::CallBackClosed {
                id,
                outcome: request.outcome.clone().unwrap_or_default(),
            }));
        }
        Ok(request)
    }

    /// `by` takes request `id` on (the others see who): what it was.
    pub async fn claim_call_back(&mut self, id: i64, by: &str) -> Result<CallBack> {
        let request = self.open_call_back(id).await?;
        sqlx::query("UPDATE call_backs SET claimed_by = $1 WHERE id = $2")
            .bind(by)
            .bind(id)
            .execute(self.connection())
            .await?;
        Ok(request)
    }

    /// A call to request `id` found nobody: one more try counted, and it is back in the queue
    /// for anyone to try again later. What it was.
    pub async fn call_back_unanswered(&mut self, id: i64, note: &str) -> Result<CallBack> {
        let request = self.open_call_back(id).await?;
        sqlx::query(
            "UPDATE call_backs SET tries = tries + 1, claimed_by = NULL, note = $1 WHERE id = $2",
        )
        .bind(note)
        .bind(id)
        .execute(self.connection())
        .await?;
        Ok(request)
    }

    /// Closes request `id` (which must be open) as `how`, by `by`, with the team's note: what
    /// it was.
    pub async fn close_call_back(
        &mut self,
        id: i64,
        how: Closing,
        by: &str,
        note: &str,
        at: DateTime<Utc>,
    ) -> Result<CallBack> {
        let request = self.open_call_back(id).await?;
        sqlx::query(
            "UPDATE call_backs SET closed_ms = $1, outcome = $2, closed_by = $3, note = $4 WHERE id = $5",
        )
        .bind(millis(at))
        .bind(how.as_str())
        .bind(by)
        .bind(note)
        .bind(id)
        .execute(self.connection())
        .await?;
        if how == Closing::CalledBack {
            // For reports: how long it waited (no number), kept after the request is deleted.
            super::calls::record_call_back_wait(
                self.connection(),
                id,
                &request.line,
                request.asked_ms,
                at,
            )
            .await?;
        }
        Ok(request)
    }

    /// Opens request `id` again (which must be closed): back in the queue as it was before it
    /// was closed, its wait for reports taken back. Refused while the same number has another
    /// request open. What it was.
    pub async fn reopen_call_back(&mut self, id: i64) -> Result<CallBack> {
        let request = self.call_back_by_id(id).await?;
        if request.closed_ms.is_none() {
            return Err(StoreError::Conflict(Conflict::CallBackOpen(id)));
        }
        let another = sqlx::query(
            "SELECT id FROM call_backs WHERE number = $1 AND closed_ms IS NULL AND id <> $2",
        )
        .bind(&request.number)
        .bind(id)
        .fetch_optional(self.connection())
        .await?;
        if let Some(row) = another {
            let other: i64 = row.get("id");
            return Err(StoreError::Conflict(Conflict::NumberHasOpenRequest {
                id,
                other,
            }));
        }
        sqlx::query(
            "UPDATE call_backs SET closed_ms = NULL, outcome = NULL, closed_by = NULL WHERE id = $1",
        )
        .bind(id)
        .execute(self.connection())
        .await?;
        super::calls::forget_call_back_wait(self.connection(), id).await?;
        Ok(request)
    }
}
