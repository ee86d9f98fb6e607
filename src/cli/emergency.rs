//! `switchboard emergency`: close a schedule at once, reopen it, or say which are closed, in
//! the store every server reads.

use chrono::Utc;
use clap::Subcommand;
use switchboard::ops;
use switchboard::store::Store;

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
        // The flows only name what the switch holds; without them it is still listed.
        let in_force = super::in_force(store, &flows.dir).await.ok();
        return status(store, in_force.as_ref()).await;
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
/// Exits 1 when the switch holds a schedule that no flow in force has: that closure closes
/// nothing (taken over from a previous release's switch file, or a schedule renamed since).
async fn status(store: &Store, flows: Option<&switchboard::flow::Flows>) -> anyhow::Result<Done> {
    let switch = store.emergencies().await?;
    if switch.iter().next().is_none() {
        out!("no emergency closures (in the store {})", store.url());
    }
    let known: Vec<&str> = flows.map_or_else(Vec::new, |f| {
        f.schedules.iter().map(|s| s.name.as_str()).collect()
    });
    let unknown = match flows {
        Some(_) => switch.unknown(&known),
        None => Vec::new(),
    };
    for (schedule, closure) in switch.iter() {
        if unknown.contains(&schedule) {
            out!(
                "{schedule}: held closed since {} {}, but no flow in force has a schedule {schedule}: it closes NOTHING (the schedules are {}; `switchboard emergency open {schedule}` clears it)",
                closure.since,
                closure.note,
                known.join(", ")
            );
        } else {
            out!(
                "{schedule}: CLOSED since {} {}",
                closure.since,
                closure.note
            );
        }
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
    Ok(if unknown.is_empty() {
        Done::Ok
    } else {
        Done::Found
    })
}
