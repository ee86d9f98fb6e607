//! `switchboard hours`: when a line opens and closes over the coming days, and why.

use std::path::Path;

use anyhow::bail;
use chrono::{DateTime, Utc};
use switchboard::calendar::{hours, parse_instant};

use super::{Done, FlowsDir, StateDir, load};

#[derive(clap::Args)]
pub struct Args {
    /// The line's id: its flow file's name, e.g. doctor-support.
    #[arg(long)]
    line: String,
    /// Start here (RFC 3339) instead of now.
    #[arg(long, value_parser = parse_instant)]
    from: Option<DateTime<Utc>>,
    /// How many days to show.
    #[arg(long, default_value_t = 7)]
    days: u32,
    #[command(flatten)]
    flows: FlowsDir,
    #[command(flatten)]
    state: StateDir,
}

impl Args {
    pub fn execute(self) -> anyhow::Result<Done> {
        let from = self.from.unwrap_or_else(Utc::now);
        hours(&self.flows.dir, &self.state, &self.line, from, self.days)?;
        Ok(Done::Ok)
    }
}

fn hours(
    dir: &Path,
    state: &StateDir,
    line_id: &str,
    from: DateTime<Utc>,
    days: u32,
) -> anyhow::Result<()> {
    let served = super::served(state, &load(dir)?)?;
    for clash in &served.clashes {
        eprintln!("switchboard: warning: {clash}");
    }
    let (flows, holidays, emergencies) = (&served.flows, &served.holidays, &served.emergencies);
    let Some(index) = flows.lines.iter().position(|l| l.id == line_id) else {
        let known: Vec<&str> = flows.lines.iter().map(|l| l.id.as_str()).collect();
        bail!(
            "there is no line {line_id:?}; the lines are {}",
            known.join(", ")
        );
    };
    let line = &flows.lines[index];
    // A line's own hours; another line's schedule it only reports to callers is that
    // line's to show (and to change), so it is named, not printed as if it were this one's.
    let schedules = flows.own_schedules(index);
    out!("{} ({})", line.name, line.id);
    if schedules.is_empty() {
        out!("no hours of its own: the line answers at all times");
    }
    let mut told_of: Vec<usize> = flows
        .schedules_of(index)
        .into_iter()
        .filter(|s| !schedules.contains(s))
        .map(|s| flows.schedule_line(s))
        .collect();
    told_of.dedup();
    for other in told_of {
        let other = flows.line(other);
        out!(
            "it tells callers whether the {} is open: see switchboard hours --line {}",
            other.name,
            other.id
        );
    }
    for schedule in schedules {
        out!();
        super::print(&hours::hours(
            &flows.schedules[schedule],
            holidays,
            emergencies,
            from,
            days,
        ))?;
    }
    Ok(())
}
