//! The `switchboard` command: serve webhooks, check flows, simulate calls, and the calendar
//! tools ops use (holidays, hours, the emergency switch).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};

use switchboard::calendar::feed::{Feed, FeedError, FeedSource, Refresher};
use switchboard::calendar::{
    BankHolidays, Division, Emergencies, EmergencyClosure, emergency, parse_instant, report,
};
use switchboard::engine::Context;
use switchboard::fixture::record::Recorder;
use switchboard::fixture::{self, coverage::Coverage, replay::Target, replay::Verdict};
use switchboard::flow::{self, Flows, StepKind};
use switchboard::server::reload::Reloader;
use switchboard::server::{self, App, Auth, Clock, Limits, PublicUrl};
use switchboard::simulate::{self, CallerAction};
use switchboard::state;

#[derive(Parser)]
#[command(
    name = "switchboard",
    version,
    about = "IVR routing for the UK doctors' wellbeing helplines"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Answer Twilio's webhooks with TwiML.
    Serve(Box<ServeArgs>),
    /// Validate the call-flow files; print `path:line:col: message` for each problem.
    Check {
        #[arg(long, default_value = "call-flows")]
        flows: PathBuf,
    },
    /// Play a call through the flows and print what the caller hears and where the call goes.
    Simulate {
        #[arg(long, default_value = "call-flows")]
        flows: PathBuf,
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
    },
    /// Replay recorded calls (fixtures) and show every answer that changed; exit 1 if any did.
    Replay {
        /// Fixture files, or directories of them.
        #[arg(default_value = fixture::DEFAULT_DIR)]
        paths: Vec<PathBuf>,
        #[arg(long, default_value = "call-flows", env = "SWITCHBOARD_FLOWS")]
        flows: PathBuf,
        /// Replay against the server at this URL (its public URL), each webhook signed with
        /// TWILIO_AUTH_TOKEN, instead of in process.
        #[arg(long)]
        against: Option<String>,
        /// Write the answers the replay got into the fixtures that differ, to review with git.
        #[arg(long)]
        update: bool,
        /// Report the steps and branches of each line the fixtures reach, and those they miss.
        #[arg(long)]
        coverage: bool,
    },
    /// Print a division's bank holidays as CSV (`date,name`), from the rules and the cached feed.
    Holidays {
        /// england-and-wales, scotland or northern-ireland.
        #[arg(long)]
        division: Division,
        /// The first year, e.g. 2026.
        #[arg(long)]
        from: i32,
        /// The last year, included.
        #[arg(long)]
        to: i32,
        #[command(flatten)]
        state: StateDir,
    },
    /// Print when a line opens and closes over the coming days, and why it is closed.
    Hours {
        /// The line's id: its flow file's name, e.g. doctor-support.
        #[arg(long)]
        line: String,
        /// Start here (RFC 3339) instead of now.
        #[arg(long, value_parser = parse_instant)]
        from: Option<DateTime<Utc>>,
        #[arg(long, default_value_t = 7)]
        days: u32,
        #[arg(long, default_value = "call-flows", env = "SWITCHBOARD_FLOWS")]
        flows: PathBuf,
        #[command(flatten)]
        state: StateDir,
    },
    /// Draw a line's call flow, for Graphviz (`| dot -Tsvg > line.svg`) or Mermaid.
    Graph {
        /// The line's id: its flow file's name, e.g. wellbeing.
        #[arg(long)]
        line: String,
        #[arg(long, default_value = "dot")]
        format: flow::graph::Format,
        #[arg(long, default_value = "call-flows", env = "SWITCHBOARD_FLOWS")]
        flows: PathBuf,
    },
    /// Close a schedule at once, or reopen it, without editing the call flows.
    Emergency {
        #[command(subcommand)]
        action: EmergencyAction,
        #[arg(
            long,
            default_value = "call-flows",
            env = "SWITCHBOARD_FLOWS",
            global = true
        )]
        flows: PathBuf,
        #[command(flatten)]
        state: StateDir,
    },
    /// Print the X-Twilio-Signature Twilio would send, keyed by TWILIO_AUTH_TOKEN: for curl.
    Sign {
        /// The full URL as Twilio calls it, query included.
        #[arg(long)]
        url: String,
        /// POST parameters as NAME=VALUE, unencoded.
        params: Vec<String>,
    },
}

#[derive(clap::Args)]
struct ServeArgs {
    #[arg(long, default_value = "127.0.0.1:8080", env = "SWITCHBOARD_LISTEN")]
    listen: SocketAddr,
    #[arg(long, default_value = "call-flows", env = "SWITCHBOARD_FLOWS")]
    flows: PathBuf,
    /// The URL Twilio calls, e.g. https://ivr.example.org; signatures are checked against it.
    #[arg(long, env = "SWITCHBOARD_PUBLIC_URL")]
    public_url: Option<PublicUrl>,
    /// Pin the clock to this instant (RFC 3339), for testing and demos.
    #[arg(long, value_parser = parse_instant)]
    now: Option<DateTime<Utc>>,
    /// Accept webhooks without checking X-Twilio-Signature. Never in production.
    #[arg(long)]
    insecure_skip_signature: bool,
    #[command(flatten)]
    state: StateDir,
    /// Fetch bank holidays from this GOV.UK-format feed (https://www.gov.uk/bank-holidays.json)
    /// at start, in the background, and then every --bank-holidays-every.
    #[arg(long, env = "SWITCHBOARD_BANK_HOLIDAYS_URL")]
    bank_holidays_url: Option<String>,
    /// How often to fetch the feed again: 90s, 30m, 24h.
    #[arg(long, default_value = "24h", env = "SWITCHBOARD_BANK_HOLIDAYS_EVERY")]
    bank_holidays_every: Span,
    /// Give up on one fetch of the feed after this long.
    #[arg(long, default_value = "10s", env = "SWITCHBOARD_BANK_HOLIDAYS_TIMEOUT")]
    bank_holidays_timeout: Span,
    /// Logs as text lines, or one JSON object a line.
    #[arg(
        long,
        value_enum,
        default_value = "text",
        env = "SWITCHBOARD_LOG_FORMAT"
    )]
    log_format: switchboard::logs::LogFormat,
    /// Refuse request bodies larger than this many bytes with 413.
    #[arg(long, default_value_t = Limits::default().body_bytes, env = "SWITCHBOARD_MAX_BODY_BYTES")]
    max_body_bytes: usize,
    /// Disconnect a client that has not sent its request headers within this.
    #[arg(long, default_value_t = Span(Limits::default().header_timeout), env = "SWITCHBOARD_HEADER_TIMEOUT")]
    header_timeout: Span,
    /// Answer 408 to a request not read and answered within this.
    #[arg(long, default_value_t = Span(Limits::default().request_timeout), env = "SWITCHBOARD_REQUEST_TIMEOUT")]
    request_timeout: Span,
    /// Reload the flows when a file in --flows changes (SIGHUP always reloads them).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, env = "SWITCHBOARD_WATCH_FLOWS")]
    watch_flows: bool,
    /// Write each call answered into this directory as a fixture for `switchboard replay`,
    /// the caller's number and words scrubbed.
    #[arg(long, env = "SWITCHBOARD_RECORD")]
    record: Option<PathBuf>,
    /// Let signed webhooks pin the instant they are answered at, as `replay --against` does.
    /// For test servers only: never in production.
    #[arg(long)]
    accept_pinned_instants: bool,
    /// Serve at most this many connections at once; more wait to be accepted.
    #[arg(long, default_value_t = Limits::default().max_connections, env = "SWITCHBOARD_MAX_CONNECTIONS")]
    max_connections: usize,
    /// On SIGTERM or Ctrl-C, wait at most this long for requests in flight.
    #[arg(long, default_value_t = Span(Limits::default().drain_timeout), env = "SWITCHBOARD_DRAIN_TIMEOUT")]
    drain_timeout: Span,
}

/// Where the service keeps what outlives a run: the feed cache and the emergency switch.
#[derive(clap::Args)]
struct StateDir {
    #[arg(long = "state-dir", default_value = state::DEFAULT_DIR, env = "SWITCHBOARD_STATE_DIR", global = true)]
    dir: PathBuf,
}

#[derive(Subcommand)]
enum EmergencyAction {
    /// Close the schedule now: callers hear the hours step's `emergency` branch.
    Close {
        /// The schedule's name, e.g. doctor-support.
        schedule: String,
        /// Why, for the team (callers never hear it).
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Lift the closure: the schedule follows its hours again.
    Open { schedule: String },
    /// List the schedules closed by the switch.
    Status,
}

/// A duration as written on the command line: "90s", "30m", "24h".
#[derive(Clone, Copy, Debug)]
struct Span(Duration);

impl std::str::FromStr for Span {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("{text:?} is not a duration like 90s, 30m or 24h");
        let split = text.len().checked_sub(1).ok_or_else(bad)?;
        let (number, unit) = text.split_at(split);
        let number: u64 = number.parse().map_err(|_| bad())?;
        let seconds = match unit {
            "s" => number,
            "m" => number * 60,
            "h" => number * 3600,
            _ => return Err(bad()),
        };
        if seconds == 0 {
            return Err(bad());
        }
        Ok(Span(Duration::from_secs(seconds)))
    }
}

impl std::fmt::Display for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.as_secs() {
            s if s % 3600 == 0 => write!(f, "{}h", s / 3600),
            s if s % 60 == 0 => write!(f, "{}m", s / 60),
            s => write!(f, "{s}s"),
        }
    }
}

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let result = match cli.command {
        Command::Check { flows } => return check(&flows),
        Command::Simulate {
            flows,
            to,
            at,
            state,
            ..
        } => {
            let actions = caller_actions(
                matches
                    .subcommand_matches("simulate")
                    .expect("simulate was parsed"),
            );
            simulate(&flows, &state.dir, &to, at, &actions)
        }
        Command::Sign { url, params } => sign(&url, &params),
        Command::Holidays {
            division,
            from,
            to,
            state,
        } => holidays(division, from, to, &state.dir),
        Command::Hours {
            line,
            from,
            days,
            flows,
            state,
        } => hours(
            &flows,
            &state.dir,
            &line,
            from.unwrap_or_else(Utc::now),
            days,
        ),
        Command::Graph {
            line,
            format,
            flows,
        } => graph(&flows, &line, format),
        Command::Emergency {
            action,
            flows,
            state,
        } => emergency(&flows, &state.dir, action),
        Command::Serve(args) => serve(*args),
        Command::Replay {
            paths,
            flows,
            against,
            update,
            coverage,
        } => {
            return match replay(&paths, &flows, against.as_deref(), update, coverage) {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::FAILURE,
                Err(e) => {
                    eprintln!("switchboard: {e:#}");
                    ExitCode::from(2)
                }
            };
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("switchboard: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn check(dir: &Path) -> ExitCode {
    let checked = flow::check_dir(dir, Utc::now().date_naive());
    eprint!("{}", checked.diagnostics);
    let warnings = checked.diagnostics.0.len();
    match checked.flows {
        Some(flows) => {
            let steps: usize = flows.lines.iter().map(|l| l.steps.len()).sum();
            let warnings = match warnings {
                0 => "no problems".to_owned(),
                n => flow::plural(n as u32, "warning", "warnings"),
            };
            println!(
                "{}: {} lines, {steps} steps, {warnings} (version {})",
                dir.display(),
                flows.lines.len(),
                flows.version
            );
            ExitCode::SUCCESS
        }
        None => ExitCode::FAILURE,
    }
}

fn load(dir: &Path) -> anyhow::Result<Flows> {
    flow::load_dir(dir).map_err(|d| refused(dir, &d))
}

fn refused(dir: &Path, findings: &flow::Diagnostics) -> anyhow::Error {
    anyhow::anyhow!(
        "the call flows in {} have problems:\n{findings}",
        dir.display()
    )
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

/// The holidays known without the network: the rules, plus the last good feed cached in the
/// state directory. A broken cache is reported and left out.
fn known_holidays(
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
fn warn_on_stderr(error: &FeedError) {
    eprintln!(
        "switchboard: warning: bank-holiday cache ignored, using the holidays known by rule: {error}"
    );
}

fn read_emergencies(state_dir: &Path) -> anyhow::Result<Emergencies> {
    Ok(Emergencies::read(&state::emergency_file(state_dir))?)
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

/// Replays the fixtures; `Ok(false)` when any differs or cannot be replayed.
fn replay(
    paths: &[PathBuf],
    dir: &Path,
    against: Option<&str>,
    update: bool,
    with_coverage: bool,
) -> anyhow::Result<bool> {
    let files = fixture::files(paths)?;
    if files.is_empty() {
        bail!(
            "no fixtures (*.toml) in {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let flows = load(dir)?;
    let holidays = BankHolidays::builtin();
    let target = match against {
        None => Target::InProcess {
            flows: &flows,
            holidays: &holidays,
        },
        Some(_) if with_coverage => bail!("--coverage needs an in-process replay, not --against"),
        Some(url) => {
            let token = std::env::var("TWILIO_AUTH_TOKEN")
                .context("set TWILIO_AUTH_TOKEN to the token the server checks signatures with")?;
            Target::http(url, &token)?
        }
    };
    let progress = indicatif::ProgressBar::new(files.len() as u64).with_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {wide_msg}")
            .expect("a valid template"),
    );
    let mut coverage = Coverage::default();
    let (mut passed, mut differ, mut broken, mut skipped, mut updated) = (0, 0, 0, 0, 0);
    let say = |text: String| progress.suspend(|| print!("{text}"));
    fixture::replay::replay_files(
        &files,
        &target,
        with_coverage.then_some(&mut coverage),
        |report| {
            progress.inc(1);
            progress.set_message(report.path.display().to_string());
            let path = report.path.display();
            match report.verdict {
                Verdict::Passed { exchanges } => {
                    passed += 1;
                    say(format!(
                        "ok       {path} ({})\n",
                        flow::plural(exchanges as u32, "exchange", "exchanges")
                    ));
                }
                Verdict::Skipped(why) => {
                    skipped += 1;
                    say(format!("skipped  {path}: {why}\n"));
                }
                Verdict::Broken(why) => {
                    broken += 1;
                    say(format!("BROKEN   {why}\n"));
                }
                Verdict::Differs(differences) => {
                    let mut text = format!("DIFFERS  {path}\n");
                    for d in &differences {
                        let which = d
                            .exchange
                            .map_or("the call".to_owned(), |n| format!("exchange {n}"));
                        text.push_str(&format!("  {which}: {}\n", d.about));
                        for line in d.detail.lines() {
                            text.push_str(&format!("    {line}\n"));
                        }
                    }
                    if update {
                        match fixture::replay::update(&report.path, &differences) {
                            Ok(()) => {
                                updated += 1;
                                text.push_str(&format!("  updated {path}\n"));
                            }
                            Err(error) => {
                                broken += 1;
                                text.push_str(&format!("  could not update it: {error}\n"));
                            }
                        }
                    } else {
                        differ += 1;
                    }
                    say(text);
                }
            }
        },
    );
    progress.finish_and_clear();
    if with_coverage {
        println!();
        for line in coverage.lines(&flows) {
            print!("{line}");
        }
    }
    println!();
    let mut summary = format!(
        "{} fixtures: {passed} passed, {differ} differ, {broken} broken",
        files.len()
    );
    if skipped > 0 {
        summary.push_str(&format!(", {skipped} skipped"));
    }
    if update {
        summary.push_str(&format!(", {updated} updated"));
    }
    println!("{summary}");
    Ok(differ == 0 && broken == 0)
}

fn holidays(division: Division, from: i32, to: i32, state_dir: &Path) -> anyhow::Result<()> {
    use switchboard::calendar::holidays::{FIRST_YEAR, LAST_YEAR};
    if !(FIRST_YEAR..=LAST_YEAR).contains(&from) || !(FIRST_YEAR..=LAST_YEAR).contains(&to) {
        bail!(
            "the calendar covers {FIRST_YEAR} to {LAST_YEAR}; --from {from} --to {to} is outside it"
        );
    }
    if from > to {
        bail!("--from {from} is after --to {to}");
    }
    let (holidays, _) = known_holidays(state_dir, warn_on_stderr);
    print!("{}", report::holidays_csv(&holidays, division, from, to));
    Ok(())
}

fn hours(
    dir: &Path,
    state_dir: &Path,
    line_id: &str,
    from: DateTime<Utc>,
    days: u32,
) -> anyhow::Result<()> {
    let flows = load(dir)?;
    let Some(line) = flows.lines.iter().find(|l| l.id == line_id) else {
        let known: Vec<&str> = flows.lines.iter().map(|l| l.id.as_str()).collect();
        bail!(
            "there is no line {line_id:?}; the lines are {}",
            known.join(", ")
        );
    };
    let (holidays, _) = known_holidays(state_dir, warn_on_stderr);
    let emergencies = read_emergencies(state_dir)?;
    let mut schedules: Vec<usize> = line
        .steps
        .iter()
        .filter(|step| matches!(step.kind, StepKind::Hours { .. }))
        .filter_map(|step| step.schedule)
        .collect();
    schedules.sort_unstable();
    schedules.dedup();
    println!("{} ({})", line.name, line.id);
    if schedules.is_empty() {
        println!("no hours step: the line answers at all times");
    }
    for schedule in schedules {
        println!();
        print!(
            "{}",
            report::hours(
                &flows.schedules[schedule],
                &holidays,
                &emergencies,
                from,
                days
            )
        );
    }
    Ok(())
}

fn graph(dir: &Path, line: &str, format: flow::graph::Format) -> anyhow::Result<()> {
    let flows = load(dir)?;
    let Some(diagram) = flow::graph::render(&flows, line, format) else {
        let known: Vec<&str> = flows.lines.iter().map(|l| l.id.as_str()).collect();
        bail!(
            "there is no line {line:?}; the lines are {}",
            known.join(", ")
        );
    };
    print!("{diagram}");
    Ok(())
}

fn emergency(dir: &Path, state_dir: &Path, action: EmergencyAction) -> anyhow::Result<()> {
    let path = state::emergency_file(state_dir);
    let mut switch = Emergencies::read(&path)?;
    match action {
        EmergencyAction::Status => {
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
        EmergencyAction::Close { schedule, note } => {
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
        EmergencyAction::Open { schedule } => {
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

fn sign(url: &str, params: &[String]) -> anyhow::Result<()> {
    let token = std::env::var("TWILIO_AUTH_TOKEN")
        .context("set TWILIO_AUTH_TOKEN to the token to sign with")?;
    let mut pairs = Vec::new();
    for param in params {
        let (name, value) = param
            .split_once('=')
            .with_context(|| format!("{param:?} is not NAME=VALUE"))?;
        pairs.push((name.to_owned(), value.to_owned()));
    }
    println!("{}", server::signature::sign(&token, url, &pairs));
    Ok(())
}

fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let logs = switchboard::logs::init(args.log_format);
    let auth = match std::env::var("TWILIO_AUTH_TOKEN") {
        Ok(token) if !token.is_empty() => Auth::token(&token),
        _ if args.insecure_skip_signature => {
            tracing::warn!(
                "SIGNATURES ARE NOT CHECKED (--insecure-skip-signature): anyone can drive calls; never do this in production"
            );
            Auth::Insecure
        }
        _ => bail!(
            "set TWILIO_AUTH_TOKEN to the Twilio account's auth token (or pass --insecure-skip-signature for local experiments)"
        ),
    };
    let state_dir = &args.state.dir;
    let checked = flow::check_dir(&args.flows, Utc::now().date_naive());
    let Some(flows) = checked.flows else {
        return Err(refused(&args.flows, &checked.diagnostics));
    };
    for finding in &checked.diagnostics.0 {
        tracing::warn!(%finding, "call flows: warning");
    }
    let (holidays, cached_feed) = known_holidays(state_dir, |error| {
        tracing::warn!(%error, "bank-holiday cache ignored; using the holidays known by rule");
    });
    let emergency_file = state::emergency_file(state_dir);
    // Read before serving, so a line closed in an emergency is never open for a moment. A
    // broken switch must not keep the service down: it is logged and followed once mended.
    let emergencies = Emergencies::read(&emergency_file).unwrap_or_else(|error| {
        tracing::error!(%error, "emergency switch unreadable at start; no closures in force until it is mended");
        Emergencies::default()
    });
    let clock = args.now.map_or(Clock::System, Clock::Fixed);
    let mut app = App::new(flows, clock, auth, args.public_url);
    app.holidays = Arc::new(ArcSwap::new(holidays));
    app.emergencies = Arc::new(ArcSwap::from_pointee(emergencies));
    app.limits = Limits {
        body_bytes: args.max_body_bytes,
        header_timeout: args.header_timeout.0,
        request_timeout: args.request_timeout.0,
        drain_timeout: args.drain_timeout.0,
        max_connections: args.max_connections,
    };
    if let Some(dir) = &args.record {
        std::fs::create_dir_all(dir).with_context(|| {
            format!(
                "creating the directory for recorded calls, {}",
                dir.display()
            )
        })?;
        app.recorder = Some(Arc::new(Recorder::new(dir.clone())));
    }
    if args.accept_pinned_instants {
        tracing::warn!(
            "webhooks may pin their own instant (--accept-pinned-instants): for test servers only"
        );
        app.accept_pinned_instants = true;
    }
    let app = Arc::new(app);
    let refresher = args
        .bank_holidays_url
        .map(|url| {
            let source = FeedSource {
                url,
                cache: state::feed_cache_file(state_dir),
                every: args.bank_holidays_every.0,
                timeout: args.bank_holidays_timeout.0,
            };
            Refresher::new(source, app.holidays.clone(), cached_feed)
        })
        .transpose()
        .context("setting up the bank-holiday feed")?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("listening on {}", args.listen))?;
        tracing::info!(
            address = %listener.local_addr()?,
            flows = %args.flows.display(),
            version = %app.flows.load().version,
            state = %state_dir.display(),
            "serving"
        );
        tokio::spawn(emergency::follow(
            emergency_file,
            app.emergencies.clone(),
            Duration::from_secs(1),
        ));
        let reloader = Reloader::new(app.clone(), args.flows.clone());
        tokio::spawn(reloader.follow(args.watch_flows));
        // In the background: the server answers at once, whatever the feed does.
        if let Some(refresher) = refresher {
            tokio::spawn(refresher.run());
        }
        if let Some(recorder) = app.recorder.clone() {
            tokio::spawn(finish_quiet_calls(recorder));
        }
        let counted = app.clone();
        tokio::spawn(logs.watch_drops(move |count| {
            counted
                .metrics
                .add_by(server::metrics::Counter::LogLinesDropped, &[], count)
        }));
        let recorder = app.recorder.clone();
        server::run(listener, app, shutdown_signal())
            .await
            .context("serving")?;
        if let Some(recorder) = recorder {
            recorder.finish_quiet(Duration::ZERO);
        }
        Ok(())
    })
}

/// Writes out recorded calls Twilio never reported the end of. A call talking to a counsellor
/// is quiet for as long as they talk, so only hours of silence count.
async fn finish_quiet_calls(recorder: Arc<Recorder>) {
    const QUIET: Duration = Duration::from_secs(4 * 3600);
    loop {
        tokio::time::sleep(Duration::from_secs(60)).await;
        recorder.finish_quiet(QUIET);
    }
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing the calls in flight");
}
