//! `switchboard emergency`: close a schedule at once, reopen it, or say which are closed.

use std::path::Path;

use anyhow::bail;
use chrono::Utc;
use clap::Subcommand;
use switchboard::calendar::Emergencies;
use switchboard::calendar::emergency::Reader;
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
        emergency(&self.flows.dir, &self.state.dir, self.action)
    }
}

fn emergency(dir: &Path, state_dir: &Path, action: Action) -> anyhow::Result<Done> {
    // Said in full, so ops can see it is the directory the servers read.
    let state_dir = super::in_full(state_dir);
    let path = state::emergency_file(&state_dir);
    let flows = load(dir);
    if let Action::Status = action {
        // The switch is shown even when the flows do not load: it matters most then.
        let known = flows.as_ref().ok().map(|flows| {
            flows
                .schedules
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
        });
        if let Err(error) = &flows {
            println!("the schedules could not be checked: {error:#}");
        }
        return status(&path, known.as_deref());
    }
    let flows = flows?;
    let known: Vec<&str> = flows.schedules.iter().map(|s| s.name.as_str()).collect();
    if let Action::Close { schedule, .. } = &action
        && !known.contains(&schedule.as_str())
    {
        bail!(
            "there is no schedule {schedule:?} in {}; the schedules are {}",
            dir.display(),
            known.join(", ")
        );
    }
    let updated = Emergencies::update(&path, |switch| match &action {
        Action::Close { schedule, note } => {
            switch.close_noting(schedule, note, Utc::now());
            true
        }
        Action::Open { schedule } => switch.open(schedule),
        Action::Status => unreachable!("answered above"),
    })?;
    if let Some(aside) = &updated.set_aside {
        eprintln!(
            "switchboard: the switch file did not read ({}); it was put aside as {} and the last good switch used instead",
            path.display(),
            aside.display()
        );
    }
    warn_if_nobody_reads(&path);
    match action {
        Action::Close { schedule, .. } => println!(
            "{schedule}: CLOSED; callers hear its emergency message within seconds ({})",
            path.display()
        ),
        Action::Open { schedule } if updated.result => println!(
            "{schedule}: reopened; it follows its hours again ({})",
            path.display()
        ),
        Action::Open { schedule } => bail!(
            "{schedule:?} is not closed by the emergency switch ({})",
            path.display()
        ),
        Action::Status => {}
    }
    Ok(Done::Ok)
}

/// A server that read the switch this recently is taken to be running and reading it.
const FRESH_SECONDS: i64 = 5;

/// Says on stderr when no running server has read this state directory lately: a switch
/// nobody reads changes nothing for callers.
fn warn_if_nobody_reads(path: &Path) {
    let now = Utc::now();
    let fresh = Reader::all(path).iter().any(|r| {
        r.age(now)
            .is_some_and(|age| age.num_seconds() < FRESH_SECONDS)
    });
    if !fresh {
        eprintln!(
            "switchboard: warning: no running server has read {} in the last {FRESH_SECONDS} s: callers hear no change until one does (do the servers use this --state-dir?)",
            path.display()
        );
    }
}

/// What the switch closes, and whether any of it names a schedule no flow has (exit 1).
fn status(path: &Path, known: Option<&[&str]>) -> anyhow::Result<Done> {
    let (switch, broken) = Emergencies::read_or_last_good(path);
    if let Some(error) = &broken {
        println!(
            "the switch file does not read: {error}; servers keep the last good switch, shown here"
        );
    }
    if switch.iter().next().is_none() {
        println!("no emergency closures ({})", path.display());
    }
    for (schedule, closure) in switch.iter() {
        println!(
            "{schedule}: CLOSED since {} {}",
            closure.since, closure.note
        );
    }
    let now = Utc::now();
    let readers = Reader::all(path);
    if readers.is_empty() {
        println!("no server has said it reads this switch");
    }
    for reader in &readers {
        let ago = reader
            .age(now)
            .map_or("at an unknown time".to_owned(), |age| {
                format!("{:.1} s ago", age.num_milliseconds() as f64 / 1000.0)
            });
        let applied = if reader.has_applied(&switch) {
            "has applied the switch as it is"
        } else {
            "has NOT applied the switch as it is"
        };
        let running = match reader.age(now) {
            Some(age) if age.num_seconds() < FRESH_SECONDS => "",
            _ => " (not running, or not reading it)",
        };
        println!(
            "server {} at {}: read it {ago}, {applied}{running}",
            reader.server, reader.address
        );
    }
    let unknown = known.map_or(Vec::new(), |known| switch.unknown(known));
    for schedule in &unknown {
        println!(
            "{schedule}: NO SUCH SCHEDULE: this table closes nothing (the schedules are {})",
            known.unwrap_or_default().join(", ")
        );
    }
    Ok(
        if unknown.is_empty() && broken.is_none() && known.is_some() {
            Done::Ok
        } else {
            Done::Found
        },
    )
}
