//! `switchboard emergency`: close a schedule at once, reopen it, or say which are closed.

use std::path::Path;

use anyhow::bail;
use chrono::Utc;
use clap::Subcommand;
use switchboard::calendar::{Emergencies, EmergencyClosure};
use switchboard::state;

use super::{Done, FlowsDir, StateDir, load};

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
    /// Close the schedule now: callers hear the hours step's `emergency` branch.
    Close {
        /// The schedule's name, e.g. doctor-support.
        schedule: String,
        /// Why, for the team (callers never hear it).
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Lift the closure: the schedule follows its hours again.
    Open {
        /// The schedule's name, e.g. doctor-support.
        schedule: String,
    },
    /// List the schedules closed by the switch.
    Status,
}

impl Args {
    pub fn execute(self) -> anyhow::Result<Done> {
        emergency(&self.flows.dir, &self.state.dir, self.action)?;
        Ok(Done::Ok)
    }
}

fn emergency(dir: &Path, state_dir: &Path, action: Action) -> anyhow::Result<()> {
    let path = state::emergency_file(state_dir);
    let mut switch = Emergencies::read(&path)?;
    match action {
        Action::Status => {
            if switch.iter().next().is_none() {
                println!("no emergency closures ({})", path.display());
            }
            for (schedule, closure) in switch.iter() {
                println!(
                    "{schedule}: CLOSED since {} {}",
                    closure.since, closure.note
                );
            }
            return Ok(());
        }
        Action::Close { schedule, note } => {
            let flows = load(dir)?;
            if !flows.schedules.iter().any(|s| s.name == schedule) {
                let known: Vec<&str> = flows.schedules.iter().map(|s| s.name.as_str()).collect();
                bail!(
                    "there is no schedule {schedule:?} in {}; the schedules are {}",
                    dir.display(),
                    known.join(", ")
                );
            }
            let since = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            switch.close(&schedule, EmergencyClosure { since, note });
            switch.write(&path)?;
            println!(
                "{schedule}: CLOSED; callers hear its emergency message within seconds ({})",
                path.display()
            );
        }
        Action::Open { schedule } => {
            if !switch.open(&schedule) {
                bail!(
                    "{schedule:?} is not closed by the emergency switch ({})",
                    path.display()
                );
            }
            switch.write(&path)?;
            println!(
                "{schedule}: reopened; it follows its hours again ({})",
                path.display()
            );
        }
    }
    Ok(())
}
