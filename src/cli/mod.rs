//! The `switchboard` command's subcommands, one file each, and what they share: where the
//! flows and the state directory are, and reading them.

mod admin;
mod call_backs;
mod check;
pub mod config;
mod days;
mod emergency;
mod fallback;
mod graph;
mod healthcheck;
mod holidays;
mod hours;
mod import;
mod probe;
mod replay;
mod report;
pub mod secrets;
mod serve;
mod sign;
mod simulate;
mod twilio;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::{ArgMatches, Subcommand};

use switchboard::calendar::feed::FeedError;
use switchboard::calendar::{BankHolidays, Emergencies};
use switchboard::flow::{self, Flows};
use switchboard::state;
use switchboard::store::{DatabaseUrl, Store, legacy};

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
    /// Print the TwiML for a number's fallback URL, to host apart from the servers (a TwiML
    /// Bin, or any static host with the fallback method GET): it puts callers through to the
    /// line's always-open number when no server can answer.
    Fallback(fallback::Args),
    /// Call each line from outside, through the servers' public URL, as Twilio would (signed
    /// with TWILIO_AUTH_TOKEN, never counted as a call): exit 0 only if every line puts the
    /// caller through to a person in time; otherwise name the line, the step and the problem.
    Probe(probe::Args),
    /// The lines' numbers in Twilio: check them against what the servers need, or set them
    /// (through Twilio's REST API; TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN or an API key).
    Twilio(twilio::Args),
    /// Close a schedule at once, or reopen it, without editing the call flows.
    Emergency(emergency::Args),
    /// Closure days added at run time (in the store, not the flow files): add, remove, list.
    Closures(days::Args),
    /// Special hours added at run time (in the store, not the flow files): add, remove, list.
    SpecialHours(days::Args),
    /// Requests for a call back that callers left: list them, mark one done.
    Callbacks(call_backs::Args),
    /// How the lines were used over a range of UK dates: calls by day and hour, how they
    /// ended, time to a person, choices, calls while closed, call backs. Text, CSV or JSON.
    Report(report::Args),
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
            Command::Fallback(args) => args.execute(),
            Command::Probe(args) => args.execute(),
            Command::Twilio(args) => args.execute(),
            Command::Emergency(args) => args.execute(),
            Command::Sign(args) => args.execute(),
            Command::Healthcheck(args) => args.execute(),
            Command::Admin(args) => args.execute(),
            Command::Callbacks(args) => args.execute(),
            Command::Report(args) => args.execute(),
            Command::Closures(args) => args.execute(switchboard::calendar::DayKind::Closure),
            Command::SpecialHours(args) => {
                args.execute(switchboard::calendar::DayKind::SpecialHours)
            }
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

/// Where the service keeps what outlives a run: the store, and the state directory that holds
/// its SQLite file by default.
#[derive(clap::Args)]
pub struct StateDir {
    /// The state directory: the SQLite store by default (and a previous release's files, taken
    /// over into the store at first start).
    #[arg(id = "state-dir", long = "state-dir", default_value = state::DEFAULT_DIR, env = "SWITCHBOARD_STATE_DIR", global = true)]
    pub dir: PathBuf,
    /// The store every server shares: sqlite://PATH (one machine) or
    /// postgres://USER:PASSWORD@HOST/DATABASE (any number). Default: sqlite://STATE-DIR/switchboard.db.
    /// SWITCHBOARD_DATABASE_URL_FILE may instead name a file holding it (read when neither
    /// this flag, the variable nor the config file gives one).
    #[arg(
        long = "database",
        env = "SWITCHBOARD_DATABASE_URL",
        global = true,
        hide_env_values = true
    )]
    pub database: Option<String>,
    /// Make a new, empty SQLite store even where one was lost (its file missing beside the
    /// trace of it): without it, such a store is refused, never silently made anew.
    #[arg(long, global = true)]
    pub init: bool,
}

impl StateDir {
    /// The store's URL: the flag, the variable or its `_FILE`, else SQLite in the state directory.
    pub fn database_url(&self) -> anyhow::Result<DatabaseUrl> {
        // Both variables set is refused here (which would be meant?), even though clap has
        // already taken the plain one.
        let from_env = secrets::secret("SWITCHBOARD_DATABASE_URL")?;
        let given = self.database.clone().or(from_env);
        match given {
            Some(url) => Ok(DatabaseUrl::parse(&url)?),
            None => Ok(DatabaseUrl::sqlite_in(&self.dir)),
        }
    }

    /// The store if there is one: `None` when no URL is given and the state directory has no
    /// SQLite file yet (so nothing was ever changed at run time, and nothing is made here).
    pub fn open_existing(
        &self,
        runtime: &tokio::runtime::Runtime,
    ) -> anyhow::Result<Option<Store>> {
        let url = self.database_url()?;
        if url.sqlite_path().is_some_and(|p| !Path::new(p).exists()) {
            // Nothing ever changed at run time, or a store lost: the second is no empty store.
            return match (Store::lost(&url), self.init) {
                (Some(lost), false) => Err(lost.into()),
                _ => Ok(None),
            };
        }
        self.open(runtime).map(Some)
    }

    /// Opens the store (brought up to date, and a previous release's state directory taken
    /// over the first time), on `runtime`, or says why it cannot be used.
    pub fn open(&self, runtime: &tokio::runtime::Runtime) -> anyhow::Result<Store> {
        let url = self.database_url()?;
        runtime.block_on(async {
            let store = Store::open_or_make(&url, self.init).await?;
            if let Some(taken) = legacy::take_over(&store, &self.dir).await? {
                for problem in &taken.problems {
                    eprintln!("switchboard: taking over the state directory: {problem}");
                }
                if !taken.is_empty() {
                    eprintln!(
                        "switchboard: took over the previous release's state directory {} into the store ({taken})",
                        in_full(&self.dir).display()
                    );
                }
            }
            Ok(store)
        })
    }
}

/// Who a change from the command line is by: the user running it, on this host.
pub fn cli_user() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    format!(
        "{user} (command line on {})",
        switchboard::server::follow::this_server()
    )
}

/// A runtime for a command that talks to the store.
/// Writes `text` to stdout. Unlike `print!`, a reader that has gone (`switchboard graph | dot`
/// with no Graphviz installed) is an error to report, not a panic.
pub fn print(text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| anyhow::Error::new(e).context("writing the output"))
}

/// Whether `error` is stdout's reader having gone before all was written.
pub fn reader_gone(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// A duration as written on the command line (`90s`, `30m`, `24h`), more than zero.
pub fn duration(text: &str) -> Result<Duration, String> {
    match humantime::parse_duration(text) {
        Ok(d) if !d.is_zero() => Ok(d),
        _ => Err(format!("{text:?} is not a duration like 90s, 30m or 24h")),
    }
}

pub fn load(dir: &Path) -> anyhow::Result<Flows> {
    switchboard::check::load_dir(dir).map_err(|d| refused(dir, &d))
}

pub use switchboard::service::in_full;

/// How a command that lists things prints them: for people, or as JSON for a script.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// Every line's numbers, with the line that answers each: "+44… (wellbeing), …".
pub fn numbers_of_lines(flows: &Flows) -> String {
    let numbers: Vec<String> = flows
        .lines
        .iter()
        .flat_map(|l| l.numbers.iter().map(|n| format!("{n} ({})", l.id)))
        .collect();
    numbers.join(", ")
}

pub fn refused(dir: &Path, findings: &flow::Diagnostics) -> anyhow::Error {
    anyhow::anyhow!(
        "the call flows in {} have problems:\n{findings}",
        dir.display()
    )
}

/// The flows every server serves: the version in force in the store, or, before any was
/// published, the flow directory's.
pub async fn in_force(store: &Store, dir: &Path) -> anyhow::Result<Flows> {
    if let Some(in_force) = store.flow_history(1).await?.into_iter().next()
        && let Some(files) = store.flow_files(&in_force.version).await?
    {
        let checked = switchboard::check::check_named(&files, chrono::Utc::now().date_naive());
        return checked.flows.ok_or_else(|| {
            anyhow::anyhow!(
                "the flows in force in the store ({}) do not load here:\n{}",
                in_force.version,
                checked.diagnostics
            )
        });
    }
    load(dir)
}

/// A server that read the store this recently is taken to be running and reading it.
pub const FRESH_SECONDS: i64 = 5;

/// Says on stderr when no running server has read the store lately: a change nobody reads
/// changes nothing for callers.
pub async fn warn_if_nobody_reads(store: &Store) {
    let now = chrono::Utc::now();
    let fresh = store
        .servers()
        .await
        .unwrap_or_default()
        .iter()
        .any(|s| s.age(now).num_seconds() < FRESH_SECONDS);
    if !fresh {
        eprintln!(
            "switchboard: warning: no running server has read the store {} in the last {FRESH_SECONDS} s: callers hear no change until one does (do the servers use this --database or --state-dir?)",
            store.url()
        );
    }
}

/// For the commands other than `serve`, which have no log.
pub fn warn_on_stderr(error: &FeedError) {
    eprintln!(
        "switchboard: warning: bank-holiday cache ignored, using the holidays known by rule: {error}"
    );
}

/// The holidays known by rule, with the feed cached in the store.
pub async fn holidays_in(store: &Store) -> anyhow::Result<Arc<BankHolidays>> {
    let cached = store.get_value(legacy::FEED_CACHE).await?;
    Ok(switchboard::calendar::feed::known_holidays(cached.as_deref(), warn_on_stderr).0)
}

/// What callers hear now, as the store says, for the commands that show it: `flows` with the
/// one-off days ops added merged in (and any clash), the emergency switch, and the holidays
/// with the cached feed.
pub struct Served {
    pub flows: Flows,
    pub clashes: Vec<String>,
    pub emergencies: Emergencies,
    pub holidays: Arc<BankHolidays>,
}

pub fn served(state: &StateDir, flows: &Flows) -> anyhow::Result<Served> {
    let runtime = runtime()?;
    let Some(store) = state.open_existing(&runtime)? else {
        return Ok(Served {
            flows: flows.clone(),
            clashes: Vec::new(),
            emergencies: Emergencies::default(),
            holidays: BankHolidays::builtin(),
        });
    };
    runtime.block_on(async {
        let snapshot = store.snapshot().await?;
        let holidays = holidays_in(&store).await?;
        let (flows, clashes) = flows.with_days(&snapshot.days);
        Ok(Served {
            flows,
            clashes,
            emergencies: snapshot.emergencies,
            holidays,
        })
    })
}
