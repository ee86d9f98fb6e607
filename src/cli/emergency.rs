//! `switchboard emergency`: close a schedule at once, reopen it, or say which are closed, in
//! the store every server reads.

use chrono::Utc;
use clap::Subcommand;
use switchboard::store::{Store, ops};

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
    /// Close the schedule now: callers hear the hours step's `emergency` branch.
    Close {
        /// The schedule's name, e.g. doctor-support.
        schedule: String,
        /// Why, for the team (callers never hear it); required.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Lift the closure: the schedule follows its hours again.
    Open {
        /// The schedule's name, e.g. doctor-support.
        schedule: String,
    },
    /// List the schedules closed by the switch, and the servers that read it.
    Status,
}

impl Args {
    pub fn execute(self) -> anyhow::Result<Done> {
        let runtime = super::runtime()?;
        let store = self.state.open(&runtime)?;
        runtime.block_on(emergency(&store, &self.flows, self.action))
    }
}

async fn emergency(store: &Store, flows: &FlowsDir, action: Action) -> anyhow::Result<Done> {
    if let Action::Status = action {
        return status(store).await;
    }
    let flows = super::in_force(store, &flows.dir).await?;
    let done = match &action {
        Action::Close { schedule, note } => {
            ops::throw_switch(store, &super::cli_user(), &flows, schedule, true, note).await?
        }
        Action::Open { schedule } => {
            ops::throw_switch(store, &super::cli_user(), &flows, schedule, false, "").await?
        }
        Action::Status => unreachable!("answered above"),
    };
    out!("{} (in the store {})", done.said, store.url());
    super::warn_if_nobody_reads(store).await;
    Ok(Done::Ok)
}

/// What the switch closes, and which servers read the store and serve its latest change.
async fn status(store: &Store) -> anyhow::Result<Done> {
    let switch = store.emergencies().await?;
    if switch.iter().next().is_none() {
        out!("no emergency closures (in the store {})", store.url());
    }
    for (schedule, closure) in switch.iter() {
        out!(
            "{schedule}: CLOSED since {} {}",
            closure.since,
            closure.note
        );
    }
    let revision = store.revision().await?;
    let servers = store.servers().await?;
    if servers.is_empty() {
        out!("no server has said it reads this store");
    }
    let now = Utc::now();
    for server in &servers {
        let age = server.age(now);
        let applied = if server.revision >= revision {
            "serves the latest change"
        } else {
            "does NOT serve the latest change yet"
        };
        let running = if age.num_seconds() < super::FRESH_SECONDS {
            ""
        } else {
            " (not running, or not reading it)"
        };
        out!(
            "server {} at {}: read it {:.1} s ago, {applied}{running}",
            server.server,
            server.address,
            age.num_milliseconds() as f64 / 1000.0
        );
    }
    Ok(Done::Ok)
}
