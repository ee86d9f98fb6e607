//! `switchboard serve`: the webhook server, with everything that keeps it current (live
//! reload, the emergency switch, the bank-holiday feed) and the recorder.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use chrono::{DateTime, Utc};
use switchboard::calendar::feed::{FeedSource, Refresher};
use switchboard::calendar::parse_instant;
use switchboard::console::Console;
use switchboard::fixture::record::Recorder;
use switchboard::server::follow::Follower;
use switchboard::server::reload::{self, Reloader};
use switchboard::server::{self, App, Auth, Clock, Limits, PublicUrl, Settings};
use switchboard::store::{DatabaseUrl, Store, legacy};

use super::{Done, FlowsDir, StateDir, duration, known_holidays, refused};

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
    /// Disconnect a client that has not sent its request headers within this.
    #[arg(long, default_value = "5s", value_parser = duration, env = "SWITCHBOARD_HEADER_TIMEOUT")]
    header_timeout: Duration,
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
    /// On SIGTERM or Ctrl-C, wait at most this long for requests in flight.
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

impl Role {
    fn webhooks(self) -> bool {
        self != Role::Console
    }
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
    let state_dir = &args.state.dir;
    let database = args.state.database_url()?;
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
    let role = args.role;
    match (role, args.admin_listen) {
        (Role::Console, None) => {
            bail!("--role console needs --admin-listen: the address the console is served on")
        }
        (Role::Webhooks, Some(_)) => {
            bail!("--role webhooks serves no console: leave out --admin-listen, or use --role both")
        }
        _ => {}
    }
    let open_files = server::listen::raise_open_file_limit();
    let console_wanted = if args.admin_listen.is_some() {
        args.admin_max_connections
    } else {
        0
    };
    let webhooks_wanted = if role.webhooks() {
        args.max_connections
    } else {
        0
    };
    let (max_connections, admin_max_connections) =
        server::listen::share_open_files(open_files, webhooks_wanted, console_wanted);
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let store = Store::open_or_make(&database, args.state.init).await?;
        if let Some(taken) = legacy::take_over(&store, state_dir).await? {
            for problem in &taken.problems {
                tracing::error!(%problem, "taking over the state directory");
            }
            if !taken.is_empty() {
                tracing::warn!(
                    state = %super::in_full(state_dir).display(),
                    "took over the previous release's state directory into the store ({taken}); its files are no longer read"
                );
            }
        }
        reload::publish_if_new(&store, &files, &args.flows.dir).await?;
        let version = files.flows.version.clone();
        let cached = store.get_value(legacy::FEED_CACHE).await?;
        let (holidays, cached_feed) = known_holidays(cached.as_deref(), |error| {
            tracing::warn!(%error, "bank-holiday cache ignored; using the holidays known by rule");
        });
        let settings = Settings {
            clock: args.now.map_or(Clock::System, Clock::Fixed),
            auth,
            public_url: args.public_url.clone(),
            limits: Limits {
                body_bytes: args.max_body_bytes,
                header_timeout: args.header_timeout,
                request_timeout: args.request_timeout,
                drain_timeout: args.drain_timeout,
                max_connections,
            },
            holidays,
            emergencies: Default::default(),
            recorder: if role.webhooks() { recorder } else { None },
            call_records: args.call_records && role.webhooks(),
            accept_pinned_instants: args.accept_pinned_instants,
        };
        let app = Arc::new(App::with(files.flows.clone(), settings));
        let listener = match role.webhooks() {
            true => Some(
                tokio::net::TcpListener::bind(args.listen)
                    .await
                    .with_context(|| format!("listening on {}", args.listen))?,
            ),
            false => None,
        };
        let admin = args
            .admin_listen
            .map(|address| {
                std::net::TcpListener::bind(address)
                    .with_context(|| format!("listening for the console on {address}"))
            })
            .transpose()?;
        // The name other servers and `emergency status` know this one by: where it listens.
        let name = match (&listener, &admin) {
            (Some(listener), _) => listener.local_addr()?.to_string(),
            (None, Some(admin)) => format!("console {}", admin.local_addr()?),
            (None, None) => unreachable!("a role serves the webhooks, the console or both"),
        };
        let follower = Follower::start(app.clone(), store.clone(), files.flows, &name).await?;
        if let Some(listener) = &listener {
            tracing::info!(
                address = %listener.local_addr()?,
                flows = %super::in_full(&args.flows.dir).display(),
                version = %app.flows.load().version,
                store = %store.url(),
                max_connections,
                open_files,
                "serving"
            );
        }
        let refresher = args
            .bank_holidays_url
            .map(|url| {
                let source = FeedSource {
                    url,
                    cache: Arc::new(store.clone()),
                    every: args.bank_holidays_every,
                    timeout: args.bank_holidays_timeout,
                };
                Refresher::new(source, app.holidays.clone(), cached_feed)
            })
            .transpose()
            .context("setting up the bank-holiday feed")?;
        let server_name = follower.server().to_owned();
        tokio::spawn(follower.run());
        let aim = chrono::Duration::from_std(args.call_back_within)
            .context("--call-back-within is too long")?;
        if let Some(admin) = admin {
            let secure = args
                .public_url
                .as_ref()
                .is_some_and(|u| u.origin.starts_with("https://"));
            tracing::info!(address = %admin.local_addr()?, max_connections = admin_max_connections, "serving the ops console");
            let rules = server::listen::Rules {
                max_connections: admin_max_connections,
                header_timeout: args.header_timeout,
                drain_timeout: args.drain_timeout,
                when_full: server::listen::WhenFull::Refuse,
            };
            serve_console(admin, app.clone(), database.clone(), secure, aim, rules)?;
        }
        let reloader = Reloader::new(app.clone(), store.clone(), args.flows.dir.clone(), &version);
        tokio::spawn(reloader.follow(args.watch_flows));
        // In the background: the server answers at once, whatever the feed does.
        if let Some(refresher) = refresher {
            tokio::spawn(refresher.run());
        }
        if let (Some(url), true) = (&args.notify_url, role.webhooks()) {
            let key = super::secrets::secret("SWITCHBOARD_NOTIFY_KEY")?.context(
                "--notify-url needs SWITCHBOARD_NOTIFY_KEY (or SWITCHBOARD_NOTIFY_KEY_FILE): the key its notifications are signed with",
            )?;
            let notifier = switchboard::server::notify::Notifier {
                app: app.clone(),
                store: store.clone(),
                url: url.to_string(),
                key: key.into_bytes(),
                every: args.notify_every,
                aim,
            };
            tokio::spawn(notifier.run());
        }
        switchboard::server::calls::CallRecords::start_writing(
            &app,
            database.clone(),
            args.keep_call_records_days,
        )?;
        tokio::spawn(forget_call_backs(
            store.clone(),
            chrono::Duration::days(args.keep_call_backs_days.into()),
        ));
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
        match listener {
            Some(listener) => server::run(listener, app, shutdown_signal())
                .await
                .context("serving")?,
            // The console alone: it serves on its own thread until the process is stopped.
            None => shutdown_signal().await,
        }
        if let Some(recorder) = recorder {
            recorder.close();
        }
        let _ = tokio::time::timeout(Duration::from_secs(2), store.server_gone(&server_name)).await;
        store.close().await;
        Ok(())
    })
}

/// Serves the console on a thread and runtime of its own, with a pool of its own to the
/// store: what it reads and writes (the store, the flow files, Argon2 hashes) can then never
/// hold up the workers that answer calls. It stops with the process.
fn serve_console(
    listener: std::net::TcpListener,
    app: Arc<App>,
    database: DatabaseUrl,
    secure: bool,
    call_back_aim: chrono::Duration,
    rules: server::listen::Rules,
) -> anyhow::Result<()> {
    listener.set_nonblocking(true)?;
    std::thread::Builder::new()
        .name("switchboard-console".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for the console");
            runtime.block_on(async move {
                // Lazily: a store that cannot be reached this moment is said on each page
                // until it can, rather than leaving this server without a console.
                let store = match Store::connect_lazily(&database) {
                    Ok(store) => store,
                    Err(error) => {
                        tracing::error!(%error, "the ops console cannot use the store; it is not served");
                        return;
                    }
                };
                let listener = match tokio::net::TcpListener::from_std(listener) {
                    Ok(listener) => listener,
                    Err(error) => {
                        tracing::error!(%error, "the ops console cannot listen; it is not served");
                        return;
                    }
                };
                let counted = app.clone();
                let console =
                    Arc::new(Console::new(app, store, secure).with_call_back_aim(call_back_aim));
                let router = switchboard::console::router(console);
                // Each request knows its peer's address: the login throttle counts by it.
                let service_for = |peer: SocketAddr| {
                    tower::ServiceExt::map_request(router.clone(), move |mut request: axum::extract::Request<_>| {
                        request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
                        request
                    })
                };
                let refused = |refusal| counted.metrics.refused_connection("console", refusal);
                server::listen::serve(listener, &rules, service_for, refused, std::future::pending()).await;
            });
        })?;
    Ok(())
}

/// Deletes closed requests for a call back once they are `kept` old, each hour (every server
/// does; deleting what another already deleted is nothing).
async fn forget_call_backs(store: Store, kept: chrono::Duration) {
    loop {
        match store
            .forget_closed_call_backs(chrono::Utc::now() - kept)
            .await
        {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(
                deleted,
                "closed requests for a call back deleted, as kept long enough"
            ),
            Err(error) => {
                tracing::warn!(%error, "closed requests for a call back could not be deleted; trying again in an hour")
            }
        }
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
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
