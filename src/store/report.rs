//! Reports for coordinators: how the lines were used over a range of UK dates, per line and
//! for all lines, counted exactly in the store from the call records (and, for days older than
//! the records kept, from their daily totals). Said in words, CSV and JSON by `crate::reports`.

use std::collections::BTreeMap;
use std::ops::AddAssign;

use chrono::NaiveDate;
use serde::Serialize;

use super::calls::{
    CALL_SUMMARY, GROUPED_STATUSES, GROUPED_STEPS, GROUPED_WAITS, STATUS_SUMMARY, STEP_SUMMARY,
    SUMMED_THROUGH, grouped_calls,
};
use sqlx::{Any, AnyConnection, Row};

use super::{Backend, Result, Store};

/// The middle and the 90th percentile of some waits, by nearest rank, in whole seconds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Waits {
    /// How many waits there were.
    pub count: u64,
    pub median_s: Option<i64>,
    pub p90_s: Option<i64>,
}

impl Waits {
    /// From a histogram of (seconds, how many).
    fn of(histogram: BTreeMap<i64, u64>) -> Waits {
        let histogram: Vec<(i64, u64)> = histogram.into_iter().collect();
        let count = histogram.iter().map(|(_, n)| n).sum();
        let at_rank = |share: f64| {
            let rank = ((share * count as f64).ceil() as u64).max(1);
            let mut seen = 0;
            histogram.iter().find_map(|(value, n)| {
                seen += n;
                (seen >= rank).then_some(*value)
            })
        };
        Waits {
            count,
            median_s: at_rank(0.5),
            p90_s: at_rank(0.9),
        }
    }
}

/// One day's calls.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Day {
    /// YYYY-MM-DD, UK.
    pub day: String,
    pub calls: u64,
    pub answered: u64,
    pub abandoned: u64,
    pub closed_calls: u64,
    pub callbacks: u64,
}

/// How many calls ended one way, at one step (the team that answered, or where the caller
/// hung up; empty when it does not apply).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ending {
    pub how: String,
    pub step: String,
    pub calls: u64,
}

/// Calls that arrived while the line was closed, by why and the UK hour of the day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClosedHour {
    pub reason: String,
    pub hour: u32,
    pub calls: u64,
}

/// Choices made at a menu (the option's key, or no-input, invalid, any-key).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Choice {
    pub step: String,
    pub choice: String,
    pub calls: u64,
}

/// Calls by Twilio's final status, and how long they lasted in all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Status {
    pub status: String,
    pub calls: u64,
    pub seconds: u64,
}

/// How many times calls reached a step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reached {
    pub step: String,
    pub calls: u64,
}

/// Connection attempts from a dial step, by DialCallStatus.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Connection {
    pub step: String,
    pub result: String,
    pub attempts: u64,
}

/// One line's figures (or all lines', as `line` "all").
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LineReport {
    /// The line's id, as flow files and URLs name it.
    pub line: String,
    pub name: String,
    pub calls: u64,
    /// Reached a person.
    pub answered: u64,
    /// Hung up before a person answered, a call back was taken or the line ended the call.
    pub abandoned: u64,
    /// Ended by the line itself (a goodbye, as when it is closed).
    pub ended_by_line: u64,
    /// Arrived while the line was closed (its hours, a bank holiday, a closure day, the
    /// emergency switch).
    pub closed_calls: u64,
    /// Requests for a call back taken.
    pub callbacks: u64,
    /// Calls to other lines that reached a person at one of this line's steps (a Doctor
    /// support call put through to a counsellor): counted as the other line's calls, not again
    /// as this line's. Not known for days kept only as daily totals.
    pub reached_from_other_lines: u64,
    /// From the call's start to a person answering.
    pub wait_for_person: Waits,
    /// From a request for a call back to the team calling back (those called back).
    pub call_back_wait: Waits,
    pub by_day: Vec<Day>,
    /// Calls by UK hour of the week, Monday 00:00 first: 168 figures.
    pub by_week_hour: Vec<u64>,
    pub ended: Vec<Ending>,
    pub closed_by_hour: Vec<ClosedHour>,
    pub choices: Vec<Choice>,
    pub connections: Vec<Connection>,
    /// Each step, and how many times calls reached it.
    pub reached: Vec<Reached>,
    /// Twilio's final status of each call (`unknown` until its status callback).
    pub statuses: Vec<Status>,
}

/// Some calls' figures, added to a line's totals and to their day's alike.
#[derive(Clone, Copy)]
struct Counted {
    calls: u64,
    answered: u64,
    abandoned: u64,
    ended_by_line: u64,
    closed_calls: u64,
    callbacks: u64,
}

impl LineReport {
    /// Adds `counted` to the totals, and to the day's (the report's `day`th, if in it).
    fn add(&mut self, day: Option<usize>, counted: Counted) {
        self.calls += counted.calls;
        self.answered += counted.answered;
        self.abandoned += counted.abandoned;
        self.ended_by_line += counted.ended_by_line;
        self.closed_calls += counted.closed_calls;
        self.callbacks += counted.callbacks;
        if let Some(d) = day {
            let d = &mut self.by_day[d];
            d.calls += counted.calls;
            d.answered += counted.answered;
            d.abandoned += counted.abandoned;
            d.closed_calls += counted.closed_calls;
            d.callbacks += counted.callbacks;
        }
    }

    fn new(line: &str, name: &str, days: &[String]) -> LineReport {
        LineReport {
            line: line.to_owned(),
            name: name.to_owned(),
            by_day: days
                .iter()
                .map(|day| Day {
                    day: day.clone(),
                    ..Day::default()
                })
                .collect(),
            by_week_hour: vec![0; 168],
            ..LineReport::default()
        }
    }

    /// Calls that ended `how` ("answered", "call back", "ended by the line", "hung up"): the
    /// four add up to the calls (but for days kept only as daily totals).
    pub fn ended_as(&self, how: &str) -> u64 {
        self.ended
            .iter()
            .filter(|e| e.how == how)
            .map(|e| e.calls)
            .sum()
    }

    /// Calls that arrived while closed, by why.
    pub fn closed_by_reason(&self) -> BTreeMap<&str, u64> {
        let mut reasons = BTreeMap::new();
        for c in &self.closed_by_hour {
            *reasons.entry(c.reason.as_str()).or_default() += c.calls;
        }
        reasons
    }
}

/// The report over `from..=to` (UK dates).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Each line asked for (every line, or the one).
    pub lines: Vec<LineReport>,
    /// All of them together.
    pub all: LineReport,
}

impl Report {
    /// The figures a page shows in detail: the one line asked for, or all lines together.
    pub fn shown(&self) -> &LineReport {
        match self.lines.as_slice() {
            [one] => one,
            _ => &self.all,
        }
    }
}

/// A summary table's rows for the days from `$1` to `$2`.
const DAYS: &str = "WHERE day >= $1 AND day <= $2";

/// Which of a report's days are read from the summaries, and which from the records.
struct Summed {
    /// Days read from the summaries, if any: (first, last).
    summaries: Option<(String, String)>,
    /// Days read from the records, if any.
    records: Option<(String, String)>,
}

impl Summed {
    async fn of(db: &mut AnyConnection, first: &str, last: &str) -> Result<Summed> {
        let through: String = sqlx::query("SELECT value FROM kv WHERE name = $1")
            .bind(SUMMED_THROUGH)
            .fetch_optional(&mut *db)
            .await?
            .map(|row| row.get("value"))
            .unwrap_or_default();
        let after: Option<String> = through
            .parse::<NaiveDate>()
            .ok()
            .and_then(|d| d.succ_opt())
            .map(|d| d.to_string());
        let summaries = (through.as_str() >= first && !through.is_empty())
            .then(|| (first.to_owned(), last.min(through.as_str()).to_owned()));
        let records_from = match after {
            Some(after) if after.as_str() > first => after,
            _ => first.to_owned(),
        };
        let records = (records_from.as_str() <= last).then(|| (records_from, last.to_owned()));
        Ok(Summed { summaries, records })
    }

    /// The rows of `summary` (from a summary table, whose rows are `grouped`'s; both read
    /// the days from `$1` to `$2`) over the days summed up, then of `grouped` over the days
    /// since.
    async fn read<T>(&self, db: &mut AnyConnection, summary: &str, grouped: &str) -> Result<Vec<T>>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
    {
        let mut rows = Vec::new();
        for (sql, days) in [(summary, &self.summaries), (grouped, &self.records)] {
            if let Some((first, last)) = days {
                rows.extend(
                    sqlx::query_as::<_, T>(sql)
                        .bind(first)
                        .bind(last)
                        .fetch_all(&mut *db)
                        .await?,
                );
            }
        }
        Ok(rows)
    }
}

/// Counts by key, for each line and for all lines at once.
struct Tally<K, V = u64> {
    lines: Vec<BTreeMap<K, V>>,
    all: BTreeMap<K, V>,
}

impl<K: Ord + Clone, V: Default + Copy + AddAssign> Tally<K, V> {
    fn new(lines: usize) -> Self {
        Tally {
            lines: (0..lines).map(|_| BTreeMap::new()).collect(),
            all: BTreeMap::new(),
        }
    }

    fn add(&mut self, line: usize, key: K, value: V) {
        *self.lines[line].entry(key.clone()).or_default() += value;
        *self.all.entry(key).or_default() += value;
    }

    /// Each line's counts to its report, and all lines' to `all`, as `make` words them, in
    /// the field `field` names.
    fn give<T>(
        self,
        reports: &mut [LineReport],
        all: &mut LineReport,
        make: impl Fn(BTreeMap<K, V>) -> T,
        field: impl Fn(&mut LineReport) -> &mut T,
    ) {
        for (report, counts) in reports.iter_mut().zip(self.lines) {
            *field(report) = make(counts);
        }
        *field(all) = make(self.all);
    }
}

/// Calls, and the seconds they lasted in all.
#[derive(Clone, Copy, Default)]
struct Lasted(u64, u64);

impl AddAssign for Lasted {
    fn add_assign(&mut self, other: Lasted) {
        self.0 += other.0;
        self.1 += other.1;
    }
}

/// A count as the store keeps it (never below zero).
fn count(n: i64) -> u64 {
    n.max(0) as u64
}

/// The rows each part of a report reads, by column name: a column added to a table shifts
/// nothing.
#[derive(sqlx::FromRow)]
struct CallsRow {
    line: String,
    day: String,
    week_hour: i64,
    state: String,
    ended: String,
    at_step: Option<String>,
    call_backs: i64,
    calls: i64,
}

#[derive(sqlx::FromRow)]
struct DayRow {
    line: String,
    day: String,
    calls: i64,
    answered: i64,
    abandoned: i64,
    closed_calls: i64,
    call_backs: i64,
}

#[derive(sqlx::FromRow)]
struct WaitRow {
    line: String,
    wait_s: i64,
    calls: i64,
}

#[derive(sqlx::FromRow)]
struct StatusRow {
    line: String,
    status: String,
    calls: i64,
    seconds: i64,
}

#[derive(sqlx::FromRow)]
struct StepRow {
    line: String,
    step: String,
    choice: String,
    result: String,
    calls: i64,
}

/// A map's entries as a sorted vector of `T`.
fn sorted<K: Ord + Clone, T>(map: BTreeMap<K, u64>, make: impl Fn(K, u64) -> T) -> Vec<T> {
    map.into_iter().map(|(k, n)| make(k, n)).collect()
}

/// One read transaction: every statement of a report reads the store as of one moment, so a
/// roll-up or a summing up that commits while it runs is either all in it or not at all.
pub struct Reading {
    tx: sqlx::Transaction<'static, Any>,
}

impl Store {
    /// The report over `from..=to` for `lines` ((id, name), in the order to show them; a line
    /// in the records but not in `lines` is left out), read in one transaction.
    pub async fn report(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        lines: &[(String, String)],
    ) -> Result<Report> {
        let mut reading = self.reading().await?;
        let report = reading.report(from, to, lines).await?;
        reading.tx.rollback().await?;
        Ok(report)
    }

    /// A read transaction whose view of the store is taken now: REPEATABLE READ on
    /// PostgreSQL; on SQLite, a read transaction holds its snapshot of the WAL from its first
    /// read to its end.
    pub async fn reading(&self) -> Result<Reading> {
        let mut tx = self.pool()?.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        // Both take their snapshot at the first read, not at BEGIN.
        sqlx::query("SELECT serial FROM revision WHERE id = 1")
            .fetch_one(&mut *tx)
            .await?;
        Ok(Reading { tx })
    }
}

impl Reading {
    /// The report over `from..=to` for `lines`, as of this transaction's moment.
    pub async fn report(
        &mut self,
        from: NaiveDate,
        to: NaiveDate,
        lines: &[(String, String)],
    ) -> Result<Report> {
        let db: &mut AnyConnection = &mut self.tx;
        let days: Vec<String> = from
            .iter_days()
            .take_while(|d| *d <= to)
            .map(|d| d.to_string())
            .collect();
        let (first, last) = (from.to_string(), to.to_string());
        let day_of = |day: &str| {
            let day = day.parse::<NaiveDate>().ok()?;
            usize::try_from((day - from).num_days())
                .ok()
                .filter(|d| *d < days.len())
        };
        let mut by_line: Vec<LineReport> = lines
            .iter()
            .map(|(id, name)| LineReport::new(id, name, &days))
            .collect();
        let mut all = LineReport::new("all", "All lines", &days);
        let index = |line: &str| lines.iter().position(|(id, _)| id == line);

        // Calls, grouped by everything the figures split them by.
        // Days summed up are read from the summaries; the days since, from the records.
        let summed = Summed::of(db, &first, &last).await?;
        let mut endings = Tally::new(lines.len());
        let mut closed = Tally::new(lines.len());
        let calls: Vec<CallsRow> = summed
            .read(
                db,
                &format!("SELECT {CALL_SUMMARY} FROM call_summary {DAYS}"),
                &grouped_calls(),
            )
            .await?;
        for row in calls {
            let Some(i) = index(&row.line) else {
                continue;
            };
            let day = day_of(&row.day);
            let week_hour = row.week_hour.clamp(0, 167) as usize;
            let (state, ended, step) = (row.state, row.ended, row.at_step);
            let (call_backs, n) = (count(row.call_backs), count(row.calls));
            let step = match ended.as_str() {
                "answered" | "hung up" => step.unwrap_or_default(),
                _ => String::new(),
            };
            let is = |how: &str| if ended == how { n } else { 0 };
            let closed_now = state != "open";
            let counted = Counted {
                calls: n,
                answered: is("answered"),
                abandoned: is("hung up"),
                ended_by_line: is("ended by the line"),
                closed_calls: if closed_now { n } else { 0 },
                callbacks: call_backs,
            };
            for report in [&mut by_line[i], &mut all] {
                report.add(day, counted);
                report.by_week_hour[week_hour] += n;
            }
            if closed_now {
                closed.add(i, (state, (week_hour % 24) as u32), n);
            }
            // A person on another line's step: that line's figure too, as a connection.
            let owner = step.split_once('/').map(|(line, _)| line);
            if let (true, Some(owner)) = (ended == "answered", owner)
                && owner != row.line
                && let Some(j) = index(owner)
            {
                by_line[j].reached_from_other_lines += n;
            }
            endings.add(i, (ended, step), n);
        }
        endings.give(
            &mut by_line,
            &mut all,
            |m| sorted(m, ending),
            |r| &mut r.ended,
        );
        closed.give(
            &mut by_line,
            &mut all,
            |m| sorted(m, closed_hour),
            |r| &mut r.closed_by_hour,
        );

        // Days older than the records kept: their totals.
        for row in sqlx::query_as::<_, DayRow>(
            "SELECT line, day, calls, answered, abandoned, closed_calls, call_backs FROM call_days \
             WHERE day >= $1 AND day <= $2",
        )
        .bind(&first)
        .bind(&last)
        .fetch_all(&mut *db)
        .await?
        {
            let Some(i) = index(&row.line) else {
                continue;
            };
            let day = day_of(&row.day);
            let counted = Counted {
                calls: count(row.calls),
                answered: count(row.answered),
                abandoned: count(row.abandoned),
                ended_by_line: 0,
                closed_calls: count(row.closed_calls),
                callbacks: count(row.call_backs),
            };
            for report in [&mut by_line[i], &mut all] {
                report.add(day, counted);
            }
        }

        // Waits as histograms of whole seconds.
        let histogram = |rows: Vec<WaitRow>| {
            let mut waits = Tally::new(lines.len());
            for row in rows {
                if let Some(i) = index(&row.line) {
                    waits.add(i, row.wait_s.max(0), count(row.calls));
                }
            }
            waits
        };
        let waits = summed
            .read(
                db,
                &format!(
                    // A wait's count over the whole range: a row a second waited, not a day.
                    "SELECT line, '' AS day, wait_s, CAST(SUM(calls) AS BIGINT) AS calls \
                     FROM call_wait_summary {DAYS} GROUP BY line, wait_s"
                ),
                GROUPED_WAITS,
            )
            .await?;
        histogram(waits).give(&mut by_line, &mut all, Waits::of, |r| {
            &mut r.wait_for_person
        });
        let call_back_waits = sqlx::query_as::<_, WaitRow>(
            "SELECT line, waited_s AS wait_s, COUNT(*) AS calls FROM call_back_waits \
             WHERE day >= $1 AND day <= $2 GROUP BY line, waited_s",
        )
        .bind(&first)
        .bind(&last)
        .fetch_all(&mut *db)
        .await?;
        histogram(call_back_waits)
            .give(&mut by_line, &mut all, Waits::of, |r| &mut r.call_back_wait);

        // Twilio's final statuses.
        let mut statuses = Tally::new(lines.len());
        let status_rows: Vec<StatusRow> = summed
            .read(
                db,
                &format!("SELECT {STATUS_SUMMARY} FROM call_status_summary {DAYS}"),
                GROUPED_STATUSES,
            )
            .await?;
        for row in status_rows {
            if let Some(i) = index(&row.line) {
                let lasted = Lasted(count(row.calls), count(row.seconds));
                statuses.add(i, row.status, lasted);
            }
        }
        let status_list = |map: BTreeMap<String, Lasted>| {
            map.into_iter()
                .map(|(status, Lasted(calls, seconds))| Status {
                    status,
                    calls,
                    seconds,
                })
                .collect()
        };
        statuses.give(&mut by_line, &mut all, status_list, |r| &mut r.statuses);

        // Choices at menus, connection attempts and steps reached.
        let mut choices = Tally::new(lines.len());
        let mut connections = Tally::new(lines.len());
        let mut reached = Tally::new(lines.len());
        let steps: Vec<StepRow> = summed
            .read(
                db,
                &format!("SELECT {STEP_SUMMARY} FROM call_step_summary {DAYS}"),
                GROUPED_STEPS,
            )
            .await?;
        for row in steps {
            let Some(i) = index(&row.line) else {
                continue;
            };
            let (step, choice, result) = (row.step, row.choice, row.result);
            let n = count(row.calls);
            if !choice.is_empty() {
                choices.add(i, (step, choice), n);
            } else if !result.is_empty() {
                connections.add(i, (step, result), n);
            } else {
                reached.add(i, step, n);
            }
        }
        choices.give(
            &mut by_line,
            &mut all,
            |m| sorted(m, choice),
            |r| &mut r.choices,
        );
        connections.give(
            &mut by_line,
            &mut all,
            |m| sorted(m, connection),
            |r| &mut r.connections,
        );
        reached.give(
            &mut by_line,
            &mut all,
            |m| sorted(m, step_reached),
            |r| &mut r.reached,
        );
        Ok(Report {
            from,
            to,
            lines: by_line,
            all,
        })
    }
}

fn ending((how, step): (String, String), calls: u64) -> Ending {
    Ending { how, step, calls }
}

fn closed_hour((reason, hour): (String, u32), calls: u64) -> ClosedHour {
    ClosedHour {
        reason,
        hour,
        calls,
    }
}

fn choice((step, choice): (String, String), calls: u64) -> Choice {
    Choice {
        step,
        choice,
        calls,
    }
}

fn step_reached(step: String, calls: u64) -> Reached {
    Reached { step, calls }
}

fn connection((step, result): (String, String), attempts: u64) -> Connection {
    Connection {
        step,
        result,
        attempts,
    }
}

#[cfg(test)]
mod tests {
    use super::Waits;
    use std::collections::BTreeMap;

    #[test]
    fn percentiles_are_by_nearest_rank() {
        let waits = Waits::of(BTreeMap::from([(30, 1), (10, 2), (20, 6), (40, 1)]));
        // 10 10 20 20 20 20 20 20 30 40: the 5th and the 9th.
        assert_eq!(waits.count, 10);
        assert_eq!(waits.median_s, Some(20));
        assert_eq!(waits.p90_s, Some(30));
        assert_eq!(Waits::of(BTreeMap::new()).median_s, None);
        assert_eq!(Waits::of(BTreeMap::from([(7, 1)])).p90_s, Some(7));
    }
}
