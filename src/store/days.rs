//! The emergency switch and the one-off days (closure days, special hours) ops add at run time.

use chrono::{NaiveDate, Utc};
use sqlx::{Any, Executor, Row};

use super::{Change, Conflict, Result, Store, StoreError, instant, millis};
use crate::calendar::{DayKind, Emergencies, EmergencyClosure, OneOffDay};

impl Store {
    pub async fn emergencies(&self) -> Result<Emergencies> {
        read_emergencies(&self.pool()?).await
    }

    pub async fn days(&self) -> Result<Vec<OneOffDay>> {
        read_days(&self.pool()?).await
    }
}

impl Change {
    pub async fn emergencies(&mut self) -> Result<Emergencies> {
        read_emergencies(self.connection()).await
    }

    /// Closes `schedule` (closed again, with the new note from now) or opens it: whether
    /// anything changed.
    pub async fn switch(&mut self, schedule: &str, switch: Switch<'_>) -> Result<bool> {
        let done = match switch {
            Switch::Close { note } => {
                sqlx::query(
                    "INSERT INTO emergency (schedule, since_ms, note) VALUES ($1, $2, $3) \
                     ON CONFLICT (schedule) DO UPDATE SET since_ms = $2, note = $3",
                )
                .bind(schedule)
                .bind(millis(Utc::now()))
                .bind(note)
                .execute(self.connection())
                .await?
            }
            Switch::Open => {
                sqlx::query("DELETE FROM emergency WHERE schedule = $1")
                    .bind(schedule)
                    .execute(self.connection())
                    .await?
            }
        };
        Ok(done.rows_affected() > 0)
    }

    pub async fn days(&mut self) -> Result<Vec<OneOffDay>> {
        read_days(self.connection()).await
    }

    /// Adds a one-off day, with its value and (special hours only) the reason callers hear;
    /// refused if the schedule has one that day already.
    pub async fn add_day(
        &mut self,
        schedule: &str,
        day: NaiveDate,
        kind: DayKind,
        value: &str,
        reason: Option<&str>,
    ) -> Result<()> {
        let already = |kind: DayKind| {
            StoreError::Conflict(Conflict::DayTaken {
                schedule: schedule.to_owned(),
                day,
                kind,
            })
        };
        if let Some(existing) = self
            .days()
            .await?
            .into_iter()
            .find(|d| d.schedule == schedule && d.day == day)
        {
            return Err(already(existing.kind));
        }
        let added = sqlx::query(
            "INSERT INTO one_off_days (schedule, day, kind, value, reason, added_by, added_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(schedule)
        .bind(day.to_string())
        .bind(kind.as_str())
        .bind(value)
        .bind(reason)
        .bind(self.by.clone())
        .bind(millis(Utc::now()))
        .execute(self.connection())
        .await;
        match added {
            Ok(_) => Ok(()),
            // Another editor added that day between the look above and this insert (two
            // transactions at once on PostgreSQL): a conflict, said as one, not an outage.
            Err(sqlx::Error::Database(error)) if error.is_unique_violation() => Err(already(kind)),
            Err(error) => Err(error.into()),
        }
    }

    /// Removes a one-off day; refused if there is none of that kind.
    pub async fn remove_day(
        &mut self,
        schedule: &str,
        day: NaiveDate,
        kind: DayKind,
    ) -> Result<()> {
        let removed =
            sqlx::query("DELETE FROM one_off_days WHERE schedule = $1 AND day = $2 AND kind = $3")
                .bind(schedule)
                .bind(day.to_string())
                .bind(kind.as_str())
                .execute(self.connection())
                .await?;
        if removed.rows_affected() == 0 {
            return Err(StoreError::Conflict(Conflict::NoSuchDay {
                schedule: schedule.to_owned(),
                day,
                kind,
            }));
        }
        Ok(())
    }
}

/// Whether an emergency change closes or opens.
pub enum Switch<'a> {
    Close { note: &'a str },
    Open,
}

pub(super) async fn read_emergencies<'e>(
    executor: impl Executor<'e, Database = Any>,
) -> Result<Emergencies> {
    let rows = sqlx::query("SELECT schedule, since_ms, note FROM emergency ORDER BY schedule")
        .fetch_all(executor)
        .await?;
    let mut switch = Emergencies::default();
    for row in &rows {
        switch.close(
            &row.get::<String, _>("schedule"),
            EmergencyClosure {
                since: instant(row.get("since_ms")),
                note: row.get("note"),
            },
        );
    }
    Ok(switch)
}

pub(super) async fn read_days<'e>(
    executor: impl Executor<'e, Database = Any>,
) -> Result<Vec<OneOffDay>> {
    let rows = sqlx::query(
        "SELECT schedule, day, kind, value, reason, added_by, added_ms FROM one_off_days ORDER BY schedule, day",
    )
    .fetch_all(executor)
    .await?;
    Ok(rows
        .iter()
        .filter_map(|row| {
            Some(OneOffDay {
                schedule: row.get("schedule"),
                day: row.get::<String, _>("day").parse().ok()?,
                kind: DayKind::named(&row.get::<String, _>("kind"))?,
                value: row.get("value"),
                reason: row.get("reason"),
                added_by: row.get("added_by"),
                added_at: instant(row.get("added_ms")),
            })
        })
        .collect())
}
