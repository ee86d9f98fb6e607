//! `switchboard serve`: its flags, turned into the service's `Config` and listeners, and the
//! signals that stop it. The service itself is the library's (`switchboard::service`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use chrono::{DateTime, Utc};
use switchboard::calendar::parse_instant;
use switchboard::fixture::record::Recorder;
use switchboard::server::reload;
use switchboard::server::{Auth, Clock, Limits, PublicUrl};
use switchboard::service::{self, Config, FeedSettings, Listen, Listeners, NotifySettings};

use super::{Done, FlowsDir, StateDir, duration, refused};

#[derive(clap::Args)]
pub struct Args {
    /// The address and port to listen on for Twilio's webhooks.
    #[arg(long, default_value = "127.0.0.1:8080", env = "SWITCHBOARD_LISTEN")]
    listen: SocketAddr,
    #[command(flatten)]
    flows: FlowsDir,
    /// The URL Twilio calls, e.g. https://ivr.example.org; signatures are checked against it.
    #[arg(long, env = "SWITCHBOARD_PUBLIC_URL")]
    public_url: Option<PublicUrl>,
    /// Serve the ops console on this address (its own listener; never on the webhooks'). Users
    /// are added with `switchboard admin add-user`. Without it there is no console.
    #[arg(long, env = "SWITCHBOARD_ADMIN_LISTEN")]
    admin_listen: Option<SocketAddr>,
    /// What this process serves: Twilio's webhooks and the console (on one machine), the
    /// webhooks only, or the console only (apart from the servers that answer calls: they
    /// share the store, so nothing done to the console touches a call).
    #[arg(long, value_enum, default_value = "both", env = "SWITCHBOARD_ROLE")]
    role: Role,
    /// Serve at most this many console connections at once; more are closed at once and
    /// counted. The console never takes more than a quarter of the open-file limit.
    #[arg(long, default_value_t = 64, env = "SWITCHBOARD_ADMIN_MAX_CONNECTIONS")]
    admin_max_connections: usize,
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
    #[arg(long, default_value = "24h", value_parser = duration, env = "SWITCHBOARD_BANK_HOLIDAYS_EVERY")]
    bank_holidays_every: Duration,
    /// Give up on one fetch of the feed after this long.
    #[arg(long, default_value = "10s", value_parser = duration, env = "SWITCHBOARD_BANK_HOLIDAYS_TIMEOUT")]
    bank_holidays_timeout: Duration,
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
    /// Disconnect a new connection that has not sent its request headers within this.
    #[arg(long, default_value = "5s", value_parser = duration, env = "SWITCHBOARD_HEADER_TIMEOUT")]
    header_timeout: Duration,
    /// Keep a webhook connection open this long after a request, for the next one (longer
    /// than Twilio keeps it pooled, so that it never sends on one being closed).
    #[arg(long, default_value = "75s", value_parser = duration, env = "SWITCHBOARD_KEEP_ALIVE")]
    keep_alive: Duration,
    /// Answer 408 to a request not read and answered within this.
    #[arg(long, default_value = "10s", value_parser = duration, env = "SWITCHBOARD_REQUEST_TIMEOUT")]
    request_timeout: Duration,
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
    /// On SIGTERM or Ctrl-C, wait at most this long for requests in flight, and then as long
    /// again for the calls' records still queued to be written.
    #[arg(long, default_value = "10s", value_parser = duration, env = "SWITCHBOARD_DRAIN_TIMEOUT")]
    drain_timeout: Duration,
    /// Delete a request for a call back this many days after it was closed (its number is
    /// kept only to call back).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3650), env = "SWITCHBOARD_KEEP_CALL_BACKS_DAYS")]
    keep_call_backs_days: u32,
    /// Record how each call goes (never a number or words) for the reports: `switchboard
    /// report` and the console's Reports page. Written off the webhook's path.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, env = "SWITCHBOARD_CALL_RECORDS")]
    call_records: bool,
    /// Keep each call's record this many days (a year and a bit, to compare a year with the
    /// last), then only its day's totals.
    #[arg(long, default_value_t = 400, value_parser = clap::value_parser!(u32).range(1..=3650), env = "SWITCHBOARD_KEEP_CALL_RECORDS_DAYS")]
    keep_call_records_days: u32,
    /// The time the team aims to call back within, from the line's opening: the console shows
    /// each request due then, and overdue after.
    #[arg(long, default_value = "2h", value_parser = duration, env = "SWITCHBOARD_CALL_BACK_WITHIN")]
    call_back_within: Duration,
    /// Tell the team, by a JSON POST to this URL, when a line opens with requests for a call
    /// back waiting and when one is overdue. Signed with SWITCHBOARD_NOTIFY_KEY (or the file
    /// SWITCHBOARD_NOTIFY_KEY_FILE names), which it needs.
    #[arg(long, env = "SWITCHBOARD_NOTIFY_URL")]
    notify_url: Option<reqwest::Url>,
    /// How often to look for something to tell; also the first wait after a failed delivery
    /// (it doubles with each, up to an hour).
    #[arg(long, default_value = "30s", value_parser = duration, env = "SWITCHBOARD_NOTIFY_EVERY")]
    notify_every: Duration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Role {
    Both,
    Webhooks,
    Console,
}

impl Args {
    pub fn execute(self) -> anyhow::Result<Done> {
        serve(self)?;
        Ok(Done::Ok)
    }
}

fn serve(args: Args) -> anyhow::Result<()> {
    let logs = switchboard::logs::init(args.log_format);
    let auth = match super::secrets::from_env()? {
        Some(secrets) => Auth::Twilio(secrets),
        // The console alone takes no webhook: it needs no token to check them with.
        None if args.role == Role::Console => Auth::Insecure,
        None if args.insecure_skip_signature => {
            tracing::warn!(
                "SIGNATURES ARE NOT CHECKED (--insecure-skip-signature): anyone can drive calls; never do this in production"
            );
            Auth::Insecure
        }
        None => bail!(
            "set TWILIO_AUTH_TOKEN (or TWILIO_AUTH_TOKEN_FILE) to the Twilio account's auth token (or pass --insecure-skip-signature for local experiments)"
        ),
    };
    // Every server sealing with keys from the same token, any opens what another sealed.
    if let Auth::Twilio(secrets) = &auth {
        let installed = switchboard::seal::install(secrets.seal_keys().clone());
        assert!(
            installed,
            "the sealing keys are installed before any number is sealed"
        );
    }
    let files = reload::read_checked(&args.flows.dir)
        .map_err(|(_, findings)| refused(&args.flows.dir, &findings))?;
    let recorder = match &args.record {
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| {
                format!(
                    "creating the directory for recorded calls, {}",
                    dir.display()
                )
            })?;
            Some(Arc::new(Recorder::new(dir.clone())))
        }
        None => None,
    };
    if args.accept_pinned_instants {
        tracing::warn!(
            "webhooks may pin their own instant (--accept-pinned-instants): for test servers only"
        );
    }
    match (args.role, args.admin_listen) {
        (Role::Console, None) => {
            bail!("--role console needs --admin-listen: the address the console is served on")
        }
        (Role::Webhooks, Some(_)) => {
            bail!("--role webhooks serves no console: leave out --admin-listen, or use --role both")
        }
        _ => {}
    }
    let notify = match &args.notify_url {
        Some(url) => Some(NotifySettings {
            url: url.to_string(),
            key: super::secrets::secret("SWITCHBOARD_NOTIFY_KEY")?
                .context(
                    "--notify-url needs SWITCHBOARD_NOTIFY_KEY (or SWITCHBOARD_NOTIFY_KEY_FILE): the key its notifications are signed with",
                )?
                .into_bytes(),
            every: args.notify_every,
        }),
        None => None,
    };
    let config = Config {
        flows_dir: args.flows.dir.clone(),
        files,
        state_dir: args.state.dir.clone(),
        database: args.state.database_url()?,
        init: args.state.init,
        clock: args.now.map_or(Clock::System, Clock::Fixed),
        auth,
        public_url: args.public_url.clone(),
        limits: Limits {
            body_bytes: args.max_body_bytes,
            header_timeout: args.header_timeout,
            keep_alive: args.keep_alive,
            request_timeout: args.request_timeout,
            drain_timeout: args.drain_timeout,
            max_connections: args.max_connections,
        },
        admin_max_connections: args.admin_max_connections,
        recorder,
        call_records: args.call_records,
        keep_call_records_days: args.keep_call_records_days,
        keep_call_backs_days: args.keep_call_backs_days,
        call_back_within: chrono::Duration::from_std(args.call_back_within)
            .context("--call-back-within is too long")?,
        accept_pinned_instants: args.accept_pinned_instants,
        watch_flows: args.watch_flows,
        bank_holidays: args.bank_holidays_url.map(|url| FeedSettings {
            url,
            every: args.bank_holidays_every,
            timeout: args.bank_holidays_timeout,
        }),
        notify,
        logs: Some(logs),
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let webhooks = match args.role {
        Role::Console => None,
        Role::Both | Role::Webhooks => Some(Listen::At(args.listen)),
    };
    let console = args.admin_listen.map(Listen::At);
    runtime.block_on(async {
        service::run(config, Listeners { webhooks, console }, shutdown_signal()).await
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
