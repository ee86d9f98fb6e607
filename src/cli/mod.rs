//! The `switchboard` command's subcommands, one file each, and what they share: where the
//! flows and the state directory are, and reading them.

mod admin;
mod check;
pub mod config;
mod emergency;
mod graph;
mod healthcheck;
mod holidays;
mod hours;
mod import;
mod replay;
pub mod secrets;
mod serve;
mod sign;
mod simulate;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::{ArgMatches, Subcommand};

use switchboard::calendar::feed::{Feed, FeedError};
use switchboard::calendar::{BankHolidays, Emergencies};
use switchboard::flow::{self, Flows};
use switchboard::state;

/// How a command ended, for its exit status: 0, 1 (it ran, and found what it looks for:
/// errors in the flows, fixtures that differ), or 2 (it could not do its work).
pub enum Done {
    Ok,
    Found,
}

#[derive(Subcommand)]
pub enum Command {
    /// Answer Twilio's webhooks with TwiML.
    #[command(
        after_help = "Environment (each may instead name a file holding it, as NAME_FILE):\n  TWILIO_AUTH_TOKEN            the Twilio account's auth token, which X-Twilio-Signature is checked with\n  TWILIO_AUTH_TOKEN_SECONDARY  its secondary token, accepted too while the token is rotated\n  TWILIO_SHARED_KEYS           KEYID=secret,KEYID2=secret2: the shared keys Webhooks Rules sign with\nOne of them is required unless --insecure-skip-signature."
    )]
    Serve(Box<serve::Args>),
    /// Validate the call-flow files; print `path:line:col: message` for each problem.
    Check(check::Args),
    /// Play a call through the flows and print what the caller hears and where the call goes.
    Simulate(simulate::Args),
    /// Replay recorded calls (fixtures) and show every answer that changed; exit 1 if any did.
    Replay(replay::Args),
    /// Turn real calls, from Twilio's Call Events or Event Streams, into fixtures.
    Import(import::Args),
    /// Print a division's bank holidays as CSV (`date,name`), from the rules and the cached feed.
    Holidays(holidays::Args),
    /// Print when a line opens and closes over the coming days, and why it is closed.
    Hours(hours::Args),
    /// Draw a line's call flow, for Graphviz (`| dot -Tsvg > line.svg`) or Mermaid.
    Graph(graph::Args),
    /// Close a schedule at once, or reopen it, without editing the call flows.
    Emergency(emergency::Args),
    /// The ops console's users (`serve --admin-listen`): add, remove, list.
    Admin(admin::Args),
    /// Ask a running server whether it is alive (exit 0) or not (exit 1): for HEALTHCHECK.
    Healthcheck(healthcheck::Args),
    /// Print the X-Twilio-Signature Twilio would send (with the auth token or a shared key): for curl.
    Sign(sign::Args),
}

impl Command {
    /// Runs the command; `matches` are its own, for what clap's derive cannot give (the order
    /// of `simulate`'s caller actions).
    pub fn execute(self, matches: &ArgMatches) -> anyhow::Result<Done> {
        let own = matches
            .subcommand()
            .map(|(_, own)| own)
            .expect("a subcommand was parsed");
        match self {
            Command::Serve(args) => args.execute(),
            Command::Check(args) => args.execute(),
            Command::Simulate(args) => args.execute(own),
            Command::Replay(args) => args.execute(),
            Command::Import(args) => args.execute(),
            Command::Holidays(args) => args.execute(),
            Command::Hours(args) => args.execute(),
            Command::Graph(args) => args.execute(),
            Command::Emergency(args) => args.execute(),
            Command::Sign(args) => args.execute(),
            Command::Healthcheck(args) => args.execute(),
            Command::Admin(args) => args.execute(),
        }
    }
}

/// The call-flow directory, the same flag and variable for every command.
#[derive(clap::Args)]
pub struct FlowsDir {
    /// The directory of call-flow files (*.toml).
    #[arg(
        id = "flows",
        long = "flows",
        default_value = "call-flows",
        env = "SWITCHBOARD_FLOWS",
        global = true
    )]
    pub dir: PathBuf,
}

/// Where the service keeps what outlives a run: the feed cache and the emergency switch.
#[derive(clap::Args)]
pub struct StateDir {
    /// The state directory: the bank-holiday cache and the emergency switch.
    #[arg(id = "state-dir", long = "state-dir", default_value = state::DEFAULT_DIR, env = "SWITCHBOARD_STATE_DIR", global = true)]
    pub dir: PathBuf,
}

/// `path` as ops should read it in what a command prints: absolute, so that a command run from
/// another directory visibly names another directory.
pub fn in_full(path: &std::path::Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

/// A duration as written on the command line (`90s`, `30m`, `24h`), more than zero.
pub fn duration(text: &str) -> Result<Duration, String> {
    match humantime::parse_duration(text) {
        Ok(d) if !d.is_zero() => Ok(d),
        _ => Err(format!("{text:?} is not a duration like 90s, 30m or 24h")),
    }
}

pub fn load(dir: &Path) -> anyhow::Result<Flows> {
    flow::load_dir(dir).map_err(|d| refused(dir, &d))
}

pub fn refused(dir: &Path, findings: &flow::Diagnostics) -> anyhow::Error {
    anyhow::anyhow!(
        "the call flows in {} have problems:\n{findings}",
        dir.display()
    )
}

/// The holidays known without the network: the rules, plus the last good feed cached in the
/// state directory. A broken cache is reported and left out.
pub fn known_holidays(
    state_dir: &Path,
    warn: impl Fn(&FeedError),
) -> (Arc<BankHolidays>, Option<Feed>) {
    let builtin = BankHolidays::builtin();
    match Feed::read_cache(&state::feed_cache_file(state_dir)) {
        Ok(Some(feed)) => (Arc::new(builtin.merge(&feed).holidays), Some(feed)),
        Ok(None) => (builtin, None),
        Err(error) => {
            warn(&error);
            (builtin, None)
        }
    }
}

/// For the commands other than `serve`, which have no log.
pub fn warn_on_stderr(error: &FeedError) {
    eprintln!(
        "switchboard: warning: bank-holiday cache ignored, using the holidays known by rule: {error}"
    );
}

pub fn read_emergencies(state_dir: &Path) -> anyhow::Result<Emergencies> {
    Ok(Emergencies::read(&state::emergency_file(state_dir))?)
}
