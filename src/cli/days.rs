//! `switchboard closures` and `switchboard special-hours`: the one-off days ops add at run
//! time, in the store every server reads (flow files are not written).

use chrono::NaiveDate;
use clap::Subcommand;
use switchboard::calendar::DayKind;
use switchboard::ops;

use super::{Done, FlowsDir, StateDir};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
    #[command(flatten)]
    flows: FlowsDir,
    #[command(flatten)]
    state: StateDir,
}

#[derive(Subcommand)]
enum Action {
    /// Add a day to a schedule (or to the schedule of the line named).
    Add {
        /// A schedule's name, or a line whose hours follow one schedule.
        line_or_schedule: String,
        /// The day, as 2026-12-24.
        date: NaiveDate,
        /// The reason callers hear ("the office is closed for training"): needed for a closure
        /// day; for special hours, optional, heard while they have the line closed that day.
        #[arg(long)]
        reason: Option<String>,
        /// For special hours: the day's hours ("10:00-13:00", or "09:00-12:30, 13:30-17:00").
        #[arg(long)]
        hours: Option<String>,
    },
    /// Remove a day added at run time.
    Remove {
        line_or_schedule: String,
        date: NaiveDate,
    },
    /// List the days added at run time, and any that clash with the flow files.
    List,
}

impl Args {
    /// Runs the command for closure days or for special hours.
    pub fn execute(self, kind: DayKind) -> anyhow::Result<Done> {
        let runtime = super::runtime()?;
        let store = self.state.open(&runtime)?;
        runtime.block_on(async {
            let flows = super::in_force(&store, &self.flows.dir).await?;
            let schedule_of = |name: &str| -> anyhow::Result<String> {
                if flows.schedules.iter().any(|s| s.name == name) {
                    return Ok(name.to_owned());
                }
                let Some(line) = flows.line_index(name) else {
                    return Ok(name.to_owned());
                };
                match flows.own_schedules(line).as_slice() {
                    [one] => Ok(flows.schedules[*one].name.clone()),
                    [] => anyhow::bail!(
                        "the line {name} has no hours of its own: it answers at all times (name the schedule of another line's hours, if that is what you mean)"
                    ),
                    _ => anyhow::bail!("the line {name} follows several schedules: name one"),
                }
            };
            let by = super::cli_user();
            let holidays = super::holidays_in(&store).await?;
            let done = match self.action {
                Action::List => {
                    let days = store.days().await?;
                    let shown: Vec<_> = days.iter().filter(|d| d.kind == kind).collect();
                    if shown.is_empty() {
                        out!("no {} added at run time", kind.said());
                    }
                    for day in shown {
                        out!(
                            "{}\t{}\t{}\tadded by {} at {}",
                            day.schedule,
                            day.day,
                            ops::DayValue::of_day(day).in_words(kind),
                            day.added_by,
                            day.added_at
                        );
                    }
                    for clash in flows.with_days(&days).1 {
                        out!("clash: {clash}");
                    }
                    return Ok(Done::Ok);
                }
                Action::Add {
                    line_or_schedule,
                    date,
                    reason,
                    hours,
                } => {
                    let (value, reason) = match kind {
                        DayKind::Closure => (
                            reason.ok_or_else(|| {
                                anyhow::anyhow!("give --reason: the words callers will hear")
                            })?,
                            None,
                        ),
                        DayKind::SpecialHours => (
                            hours.ok_or_else(|| anyhow::anyhow!("give --hours, as 10:00-13:00"))?,
                            reason,
                        ),
                    };
                    let value = ops::DayValue {
                        value: &value,
                        reason: reason.as_deref(),
                    };
                    let schedule = schedule_of(&line_or_schedule)?;
                    ops::edit_day(
                        &store,
                        &by,
                        &flows,
                        &holidays,
                        &schedule,
                        date,
                        kind,
                        ops::DayEdit::Add(value),
                    )
                    .await?
                }
                Action::Remove {
                    line_or_schedule,
                    date,
                } => {
                    let schedule = schedule_of(&line_or_schedule)?;
                    let remove = ops::DayEdit::Remove;
                    ops::edit_day(&store, &by, &flows, &holidays, &schedule, date, kind, remove)
                        .await?
                }
            };
            out!("{} (in the store {})", done.said, store.url());
            super::warn_if_nobody_reads(&store).await;
            Ok(Done::Ok)
        })
    }
}
