//! The `switchboard` command: serve webhooks, check flows, simulate calls.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use chrono::{DateTime, Utc};
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};

use switchboard::calendar::BankHolidays;
use switchboard::engine::Context;
use switchboard::flow::{self, Flows};
use switchboard::server::{self, App, Auth, Clock, PublicUrl};
use switchboard::simulate::{self, CallerAction};

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
    Serve {
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
    },
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

fn parse_instant(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("{text:?} is not an RFC 3339 instant like 2026-12-25T10:00:00Z: {e}"))
}

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let result = match cli.command {
        Command::Check { flows } => return check(&flows),
        Command::Simulate { flows, to, at, .. } => {
            let actions = caller_actions(
                matches
                    .subcommand_matches("simulate")
                    .expect("simulate was parsed"),
            );
            simulate(&flows, &to, at, &actions)
        }
        Command::Sign { url, params } => sign(&url, &params),
        Command::Serve {
            listen,
            flows,
            public_url,
            now,
            insecure_skip_signature,
        } => serve(listen, &flows, public_url, now, insecure_skip_signature),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("switchboard: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn check(dir: &std::path::Path) -> ExitCode {
    match flow::load_dir(dir) {
        Ok(flows) => {
            let steps: usize = flows.lines.iter().map(|l| l.steps.len()).sum();
            println!(
                "{}: {} lines, {steps} steps, no problems",
                dir.display(),
                flows.lines.len()
            );
            ExitCode::SUCCESS
        }
        Err(diagnostics) => {
            eprint!("{diagnostics}");
            ExitCode::FAILURE
        }
    }
}

fn load(dir: &std::path::Path) -> anyhow::Result<Flows> {
    flow::load_dir(dir)
        .map_err(|d| anyhow::anyhow!("the call flows in {} have problems:\n{d}", dir.display()))
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
    dir: &std::path::Path,
    to: &str,
    at: DateTime<Utc>,
    actions: &[CallerAction],
) -> anyhow::Result<()> {
    let flows = load(dir)?;
    let holidays = BankHolidays::builtin();
    let ctx = Context {
        flows: &flows,
        holidays: &holidays,
        now: at,
    };
    print!("{}", simulate::call(&ctx, to, actions).text());
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

fn serve(
    listen: SocketAddr,
    dir: &std::path::Path,
    public_url: Option<PublicUrl>,
    now: Option<DateTime<Utc>>,
    insecure: bool,
) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let auth = match std::env::var("TWILIO_AUTH_TOKEN") {
        Ok(token) if !token.is_empty() => Auth::Token(token),
        _ if insecure => {
            tracing::warn!(
                "SIGNATURES ARE NOT CHECKED (--insecure-skip-signature): anyone can drive calls; never do this in production"
            );
            Auth::Insecure
        }
        _ => bail!(
            "set TWILIO_AUTH_TOKEN to the Twilio account's auth token (or pass --insecure-skip-signature for local experiments)"
        ),
    };
    let flows = load(dir)?;
    let app = Arc::new(App {
        flows: Arc::new(flows),
        holidays: BankHolidays::builtin(),
        clock: now.map_or(Clock::System, Clock::Fixed),
        auth,
        public_url,
    });
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("listening on {listen}"))?;
        tracing::info!(address = %listener.local_addr()?, flows = %dir.display(), "serving");
        server::run(listener, app, shutdown_signal())
            .await
            .context("serving")
    })
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
