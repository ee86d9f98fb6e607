//! `switchboard simulate`: a call played through the flows, as a caller would live it.

use std::path::Path;

use chrono::{DateTime, Utc};
use clap::ArgMatches;
use switchboard::calendar::parse_instant;
use switchboard::engine::Context;
use switchboard::simulate::{self, CallerAction};

use super::{Done, FlowsDir, StateDir, known_holidays, load, read_emergencies, warn_on_stderr};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    flows: FlowsDir,
    /// The number dialled, e.g. +443301231245.
    #[arg(long)]
    to: String,
    /// The instant of the call (RFC 3339), e.g. 2026-12-25T10:00:00Z.
    #[arg(long, value_parser = parse_instant)]
    at: DateTime<Utc>,
    /// Keys pressed at the next menu; repeat for later menus.
    #[arg(long)]
    press: Vec<String>,
    /// Words said at the next menu; repeat for later menus.
    #[arg(long)]
    say: Vec<String>,
    /// How the next connection ends: completed, busy, no-answer, failed, canceled.
    #[arg(long)]
    dial: Vec<String>,
    #[command(flatten)]
    state: StateDir,
}

impl Args {
    pub fn execute(self, matches: &ArgMatches) -> anyhow::Result<Done> {
        let actions = caller_actions(matches);
        simulate(
            &self.flows.dir,
            &self.state.dir,
            &self.to,
            self.at,
            &actions,
        )?;
        Ok(Done::Ok)
    }
}

/// --press, --say and --dial in the order given on the command line.
fn caller_actions(matches: &ArgMatches) -> Vec<CallerAction> {
    let mut actions: Vec<(usize, CallerAction)> = Vec::new();
    type MakeAction = fn(String) -> CallerAction;
    let kinds: [(&str, MakeAction); 3] = [
        ("press", CallerAction::Press),
        ("say", CallerAction::Say),
        ("dial", CallerAction::Dial),
    ];
    for (id, make) in kinds {
        if let (Some(values), Some(indices)) =
            (matches.get_many::<String>(id), matches.indices_of(id))
        {
            actions.extend(indices.zip(values).map(|(i, v)| (i, make(v.clone()))));
        }
    }
    actions.sort_by_key(|(i, _)| *i);
    actions.into_iter().map(|(_, a)| a).collect()
}

fn simulate(
    dir: &Path,
    state_dir: &Path,
    to: &str,
    at: DateTime<Utc>,
    actions: &[CallerAction],
) -> anyhow::Result<()> {
    let flows = load(dir)?;
    let (holidays, _) = known_holidays(state_dir, warn_on_stderr);
    let emergencies = read_emergencies(state_dir)?;
    let ctx = Context {
        flows: &flows,
        holidays: &holidays,
        emergencies: &emergencies,
        now: at,
    };
    print!("{}", simulate::call(&ctx, to, actions).text());
    Ok(())
}
