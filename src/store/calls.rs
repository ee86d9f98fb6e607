//! Records of how calls went, for coordinators' reports: written in batches off the webhook's
//! path, joined across servers by a keyed hash of the CallSid, and after a set number of days
//! rolled up into daily totals. No number, name or words said is ever part of one.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use sqlx::Row;

use super::{Backend, Result, Store};

/// What one webhook (or status callback) says of a call. Every field but `call` may be
/// missing: each server records what it heard, and the store joins them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallRecord {
    /// The keyed hash of the CallSid.
    pub call: String,
    /// This record's own random id, given when it is first written: the same record written
    /// again (a retry) adds nothing twice. Empty: no id, for records that are never retried.
    pub id: String,
    /// The line whose number the caller rang (not the line of the step now answering).
    pub line: String,
    /// When the webhook was answered.
    pub at_ms: i64,
    /// For the call's first webhook: the line's state then (open, closed, holiday, closure,
    /// emergency).
    pub started: Option<&'static str>,
    /// The step the webhook was about, and the choice made there or the connection's result.
    pub step: Option<StepRecord>,
    /// The steps the call reached with this webhook's answer (`line/step`).
    pub reached: Vec<String>,
    /// When a person answered (from the connection's result and duration), and which step.
    pub answered: Option<(i64, String)>,
    /// A request for a call back and what became of it.
    pub call_back: Option<&'static str>,
    /// Where the call now waits; `None` when the line ended it.
    pub waiting_at: Option<String>,
    /// Twilio's final status and the call's duration, from the status callback.
    pub status: Option<(String, Option<i64>)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepRecord {
    /// `line/step`.
    pub step: String,
    /// The option's key, or no-input, invalid, any-key.
    pub choice: Option<String>,
    /// A connection's DialCallStatus.
    pub result: Option<String>,
}

/// The UK date ("2026-12-02") and hour of the week (Monday 00:00 is 0) of an instant.
pub fn uk_day_and_hour(at: DateTime<Utc>) -> (String, i64) {
    let uk = at.with_timezone(&chrono_tz::Europe::London);
    let week_hour = uk.weekday().num_days_from_monday() * 24 + uk.hour();
    (uk.date_naive().to_string(), i64::from(week_hour))
}

/// Where one record goes: unknown fields keep what other records said.
const UPSERT: &str = "INSERT INTO calls (call, line, started_ms, day, week_hour, state, answered_ms, team, call_back, last_step, last_ms, ended_ms, status, duration_s, heard_ms) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
     ON CONFLICT (call) DO UPDATE SET \
     line = CASE WHEN excluded.started_ms IS NOT NULL THEN excluded.line ELSE COALESCE(calls.line, excluded.line) END, \
     started_ms = COALESCE(excluded.started_ms, calls.started_ms), \
     day = COALESCE(excluded.day, calls.day), \
     week_hour = COALESCE(excluded.week_hour, calls.week_hour), \
     state = COALESCE(excluded.state, calls.state), \
     team = CASE WHEN excluded.answered_ms IS NOT NULL AND (calls.answered_ms IS NULL OR excluded.answered_ms < calls.answered_ms) THEN excluded.team ELSE calls.team END, \
     answered_ms = CASE WHEN excluded.answered_ms IS NOT NULL AND (calls.answered_ms IS NULL OR excluded.answered_ms < calls.answered_ms) THEN excluded.answered_ms ELSE calls.answered_ms END, \
     call_back = COALESCE(excluded.call_back, calls.call_back), \
     last_step = CASE WHEN excluded.last_ms IS NOT NULL AND (calls.last_ms IS NULL OR excluded.last_ms >= calls.last_ms) THEN excluded.last_step ELSE calls.last_step END, \
     last_ms = CASE WHEN excluded.last_ms IS NOT NULL AND (calls.last_ms IS NULL OR excluded.last_ms >= calls.last_ms) THEN excluded.last_ms ELSE calls.last_ms END, \
     ended_ms = COALESCE(calls.ended_ms, excluded.ended_ms), \
     status = COALESCE(excluded.status, calls.status), \
     duration_s = COALESCE(excluded.duration_s, calls.duration_s), \
     heard_ms = CASE WHEN excluded.heard_ms > calls.heard_ms THEN excluded.heard_ms ELSE calls.heard_ms END";

/// The name in the store's `kv` of the key CallSids are hashed with.
const KEY: &str = "call-record-key";

impl Store {
    /// The key every server hashes CallSids with (made by the first to ask): the same call
    /// is one record whichever servers answered it, and the SID is never kept.
    pub async fn call_record_key(&self) -> Result<String> {
        sqlx::query("INSERT INTO kv (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
            .bind(KEY)
            .bind(crate::signature::random_hex(32))
            .execute(&self.pool()?)
            .await?;
        Ok(self.get_value(KEY).await?.unwrap_or_default())
    }

    /// Writes a batch of records in one transaction.
    pub async fn record_calls(&self, records: &[CallRecord]) -> Result<()> {
        let mut tx = self.begin_writing().await?;
        for r in records {
            let at = DateTime::<Utc>::from_timestamp_millis(r.at_ms).unwrap_or_default();
            let (day, week_hour) = uk_day_and_hour(at);
            let started = r.started.is_some();
            // A webhook that is not about a call's start, or a status callback, says nothing of
            // which line or state the call started in.
            let line_known =
                started || r.step.is_some() || r.waiting_at.is_some() || !r.reached.is_empty();
            sqlx::query(UPSERT)
                .bind(&r.call)
                .bind(line_known.then_some(r.line.as_str()))
                .bind(started.then_some(r.at_ms))
                .bind(started.then_some(day.as_str()))
                .bind(started.then_some(week_hour))
                .bind(r.started)
                .bind(r.answered.as_ref().map(|(at, _)| *at))
                .bind(r.answered.as_ref().map(|(_, team)| team.as_str()))
                .bind(r.call_back)
                .bind(r.waiting_at.as_deref())
                .bind((r.status.is_none()).then_some(r.at_ms))
                .bind((r.status.is_none() && r.waiting_at.is_none()).then_some(r.at_ms))
                .bind(r.status.as_ref().map(|(s, _)| s.as_str()))
                .bind(r.status.as_ref().and_then(|(_, d)| *d))
                .bind(r.at_ms)
                .execute(&mut *tx)
                .await?;
            let id = (!r.id.is_empty()).then_some(r.id.as_str());
            // The choice or connection result first (place 0), then each step reached.
            let made = r
                .step
                .as_ref()
                .filter(|s| s.choice.is_some() || s.result.is_some());
            let made = made.map(|s| (&s.step, s.choice.as_deref(), s.result.as_deref()));
            let reached = r.reached.iter().map(|step| (step, None, None));
            for (seq, (step, choice, result)) in made.into_iter().chain(reached).enumerate() {
                sqlx::query(
                    "INSERT INTO call_steps (call, line, day, step, choice, result, record, seq) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (record, seq) DO NOTHING",
                )
                .bind(&r.call)
                .bind(&r.line)
                .bind(&day)
                .bind(step)
                .bind(choice)
                .bind(result)
                .bind(id)
                .bind(seq as i64)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Sums up the records of every day up to `through` (a UK date) not yet summed up into
    /// the summary tables that reports read: whether there were days to sum up. Once, however
    /// many servers try at once.
    pub async fn sum_up_calls(&self, through: NaiveDate) -> Result<bool> {
        let mut tx = self.begin_writing().await?;
        sqlx::query("INSERT INTO kv (name, value) VALUES ($1, '') ON CONFLICT (name) DO NOTHING")
            .bind(SUMMED_THROUGH)
            .execute(&mut *tx)
            .await?;
        let lock = match self.backend {
            Backend::Sqlite => "SELECT value FROM kv WHERE name = $1",
            Backend::Postgres => "SELECT value FROM kv WHERE name = $1 FOR UPDATE",
        };
        let done: String = sqlx::query(lock)
            .bind(SUMMED_THROUGH)
            .fetch_one(&mut *tx)
            .await?
            .get("value");
        let through = through.to_string();
        if done >= through {
            return Ok(false);
        }
        // The first day not yet summed up ("" sorts before every day).
        let first = match done.parse::<NaiveDate>() {
            Ok(day) => day.succ_opt().unwrap_or(day).to_string(),
            Err(_) => String::new(),
        };
        let grouped_calls = grouped_calls();
        for (table, columns, grouped) in [
            ("call_summary", CALL_SUMMARY, grouped_calls.as_str()),
            ("call_wait_summary", WAIT_SUMMARY, GROUPED_WAITS),
            ("call_step_summary", STEP_SUMMARY, GROUPED_STEPS),
            ("call_status_summary", STATUS_SUMMARY, GROUPED_STATUSES),
        ] {
            // By name, both sides: the grouped query's columns are named as the table's.
            let grouped = format!("SELECT {columns} FROM ({grouped}) AS grouped");
            sqlx::query(&format!("INSERT INTO {table} ({columns}) {grouped}"))
                .bind(&first)
                .bind(&through)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("UPDATE kv SET value = $1 WHERE name = $2")
            .bind(&through)
            .bind(SUMMED_THROUGH)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Rolls the records of calls started before `before` (a UK date) up into daily totals,
    /// and deletes them, with any record of a call last heard of before then whose start was
    /// never recorded: how many records of calls were deleted.
    pub async fn roll_up_calls(&self, before: NaiveDate) -> Result<u64> {
        let before_ms = super::millis(before.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
        let before = before.to_string();
        let mut tx = self.begin_writing().await?;
        let totals = format!(
            "INSERT INTO call_days (line, day, calls, answered, abandoned, closed_calls, call_backs) \
             SELECT line, day, COUNT(*), SUM(CASE WHEN {ENDED} = 'answered' THEN 1 ELSE 0 END), \
             SUM(CASE WHEN {ENDED} = 'hung up' THEN 1 ELSE 0 END), SUM(CASE WHEN {CLOSED} THEN 1 ELSE 0 END), \
             SUM(CASE WHEN {CALL_BACK_TAKEN} THEN 1 ELSE 0 END) \
             FROM calls WHERE day < $1 AND line IS NOT NULL GROUP BY line, day \
             ON CONFLICT (line, day) DO UPDATE SET calls = call_days.calls + excluded.calls, \
             answered = call_days.answered + excluded.answered, abandoned = call_days.abandoned + excluded.abandoned, \
             closed_calls = call_days.closed_calls + excluded.closed_calls, call_backs = call_days.call_backs + excluded.call_backs"
        );
        sqlx::query(&totals).bind(&before).execute(&mut *tx).await?;
        let rolled = sqlx::query("DELETE FROM calls WHERE day < $1")
            .bind(&before)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        for table in [
            "call_steps",
            "call_back_waits",
            "call_summary",
            "call_wait_summary",
            "call_step_summary",
            "call_status_summary",
        ] {
            sqlx::query(&format!("DELETE FROM {table} WHERE day < $1"))
                .bind(&before)
                .execute(&mut *tx)
                .await?;
        }
        // Records that never learned their start (their first webhook's record was dropped).
        let aged = sqlx::query("DELETE FROM calls WHERE day IS NULL AND heard_ms < $1")
            .bind(before_ms)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(rolled + aged)
    }
}

/// How a call ended, over a row of `calls`: the one place each ending is decided. A person
/// answered; else a request for a call back was taken; else the line ended it (a goodbye);
/// else the caller hung up before any of these ("abandoned").
pub(super) const ENDED: &str = "CASE WHEN answered_ms IS NOT NULL THEN 'answered' \
     WHEN call_back = 'taken' THEN 'call back' \
     WHEN ended_ms IS NOT NULL THEN 'ended by the line' ELSE 'hung up' END";

/// Calls grouped as reports read them, over the days from `$1` to `$2`: the columns of
/// `call_summary`.
pub(super) fn grouped_calls() -> String {
    format!(
        "SELECT line, day, week_hour, state, {ENDED} AS ended, \
         CASE WHEN answered_ms IS NOT NULL THEN team ELSE COALESCE(last_step, '') END AS at_step, \
         SUM(CASE WHEN {CALL_BACK_TAKEN} THEN 1 ELSE 0 END) AS call_backs, COUNT(*) AS calls \
         FROM calls WHERE day >= $1 AND day <= $2 AND line IS NOT NULL AND state IS NOT NULL \
         GROUP BY line, day, week_hour, state, ended, at_step"
    )
}

/// The columns of each summary table, which the grouped queries name alike.
pub(super) const CALL_SUMMARY: &str =
    "line, day, week_hour, state, ended, at_step, call_backs, calls";
pub(super) const WAIT_SUMMARY: &str = "line, day, wait_s, calls";
pub(super) const STEP_SUMMARY: &str = "line, day, step, choice, result, calls";
pub(super) const STATUS_SUMMARY: &str = "line, day, status, calls, seconds";

/// Waits for a person in whole seconds, over the days from `$1` to `$2`: the columns of
/// `call_wait_summary`.
pub(super) const GROUPED_WAITS: &str = "SELECT line, day, (answered_ms - started_ms) / 1000 AS wait_s, COUNT(*) AS calls \
     FROM calls WHERE day >= $1 AND day <= $2 AND answered_ms IS NOT NULL AND started_ms IS NOT NULL \
     AND line IS NOT NULL GROUP BY line, day, wait_s";

/// Choices and connection results, over the days from `$1` to `$2`: the columns of
/// `call_step_summary`.
pub(super) const GROUPED_STEPS: &str = "SELECT line, day, step, COALESCE(choice, '') AS choice, COALESCE(result, '') AS result, COUNT(*) AS calls \
     FROM call_steps WHERE day >= $1 AND day <= $2 GROUP BY line, day, step, choice, result";

/// Twilio's final status of each call and how long the calls lasted, over the days from `$1`
/// to `$2`: the columns of `call_status_summary` (a call with no status callback yet is
/// `unknown`).
pub(super) const GROUPED_STATUSES: &str = "SELECT line, day, COALESCE(status, 'unknown') AS status, COUNT(*) AS calls, CAST(SUM(COALESCE(duration_s, 0)) AS BIGINT) AS seconds \
     FROM calls WHERE day >= $1 AND day <= $2 AND line IS NOT NULL AND state IS NOT NULL GROUP BY line, day, status";

/// The name in `kv` of the last day summed up into the summary tables.
pub(super) const SUMMED_THROUGH: &str = "call-summary-through";

/// The line was not open when the call started.
pub(super) const CLOSED: &str = "state <> 'open'";
/// A request for a call back was taken during the call.
pub(super) const CALL_BACK_TAKEN: &str = "call_back = 'taken'";

/// Keeps how long a request for a call back waited until the team called back.
pub(super) async fn record_call_back_wait(
    connection: &mut sqlx::AnyConnection,
    request: i64,
    line: &str,
    asked_ms: i64,
    called_back: DateTime<Utc>,
) -> Result<()> {
    let asked = DateTime::<Utc>::from_timestamp_millis(asked_ms).unwrap_or_default();
    let waited = (called_back - asked).num_seconds().max(0);
    sqlx::query(
        "INSERT INTO call_back_waits (line, day, waited_s, call_back) VALUES ($1, $2, $3, $4)",
    )
    .bind(line)
    .bind(uk_day_and_hour(asked).0)
    .bind(waited)
    .bind(request)
    .execute(connection)
    .await?;
    Ok(())
}

/// Takes back the wait kept when request `request` was called back (it was reopened).
pub(super) async fn forget_call_back_wait(
    connection: &mut sqlx::AnyConnection,
    request: i64,
) -> Result<()> {
    sqlx::query("DELETE FROM call_back_waits WHERE call_back = $1")
        .bind(request)
        .execute(connection)
        .await?;
    Ok(())
}
