//! The whole service, as `switchboard serve` runs it and as a test or another program can: the
//! store opened (a previous release's state taken over), the flows published, the follower,
//! the live reload, the bank-holiday feed, the console, the notifier, the call records and the
//! housekeeping started, then the webhooks served until shutdown. The command line only turns
//! flags into a [`Config`] and binds the [`Listeners`].

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use crate::calendar::feed::{FeedSource, Refresher, known_holidays};
use crate::console::Console;
use crate::fixture::record::Recorder;
use crate::server::follow::Follower;
use crate::server::reload::{self, FlowFiles, Reloader};
use crate::server::{self, App, Auth, Clock, Limits, PublicUrl, Settings, listen};
use crate::store::{DatabaseUrl, Store, legacy};

/// Everything the service is made from.
pub struct Config {
    /// The flow directory, and its files as read and checked at start.
    pub flows_dir: PathBuf,
    pub files: FlowFiles,
    /// The state directory: a previous release's files there are taken over.
    pub state_dir: PathBuf,
    pub database: DatabaseUrl,
    /// Make a new SQLite store even where one was lost (see `Store::open_or_make`).
    pub init: bool,
    pub clock: Clock,
    pub auth: Auth,
    pub public_url: Option<PublicUrl>,
    /// The webhooks' limits; `max_connections` is what they ask for, shared out with the
    /// console's within the open-file limit.
    pub limits: Limits,
    /// Console connections asked for.
    pub admin_max_connections: usize,
    pub recorder: Option<Arc<Recorder>>,
    pub call_records: bool,
    pub keep_call_records_days: u32,
    pub keep_call_backs_days: u32,
    pub call_back_within: chrono::Duration,
    pub accept_pinned_instants: bool,
    pub watch_flows: bool,
    pub bank_holidays: Option<FeedSettings>,
    pub notify: Option<NotifySettings>,
    /// The log writer, whose dropped lines are counted in the metrics.
    pub logs: Option<crate::logs::Logs>,
}

/// Where the bank-holiday feed is fetched from, how often, and how long a fetch may take.
pub struct FeedSettings {
    pub url: String,
    pub every: Duration,
    pub timeout: Duration,
}

/// Where the team's notifications go, and the key they are signed with.
pub struct NotifySettings {
    pub url: String,
    pub key: Vec<u8>,
    pub every: Duration,
}

/// What the service serves on: Twilio's webhooks, the ops console, or both (at least one).
pub struct Listeners {
    pub webhooks: Option<Listen>,
    pub console: Option<Listen>,
}

/// A listener bound already (a test's, on port 0), or an address to bind once the store has
/// taken what the server writes as it starts: a server that cannot use its store stops with
/// that reason, having held the port for no call.
pub enum Listen {
    Bound(std::net::TcpListener),
    At(SocketAddr),
}

impl Listen {
    fn bind(self, what: &str) -> anyhow::Result<std::net::TcpListener> {
        let listener = match self {
            Listen::Bound(listener) => listener,
            Listen::At(address) => std::net::TcpListener::bind(address)
                .with_context(|| format!("listening {what} on {address}"))?,
        };
        listener.set_nonblocking(true)?;
        Ok(listener)
    }
}

/// Runs the service until `shutdown` completes (then finishes the calls in flight), or fails
/// as it starts: a store that cannot be opened, a listener that will not serve.
pub async fn run(
    config: Config,
    listeners: Listeners,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let Listeners { webhooks, console } = listeners;
    anyhow::ensure!(
        webhooks.is_some() || console.is_some(),
        "the service serves the webhooks, the console or both"
    );
    let open_files = listen::raise_open_file_limit();
    let console_wanted = console.as_ref().map_or(0, |_| config.admin_max_connections);
    let webhooks_wanted = webhooks
        .as_ref()
        .map_or(0, |_| config.limits.max_connections);
    let (max_connections, admin_max_connections) =
        listen::share_open_files(open_files, webhooks_wanted, console_wanted);

    let store = Store::open_or_make(&config.database, config.init).await?;
    if let Some(taken) = legacy::take_over(&store, &config.state_dir).await? {
        for problem in &taken.problems {
            tracing::error!(%problem, "taking over the state directory");
        }
        if !taken.is_empty() {
            tracing::warn!(
                state = %in_full(&config.state_dir).display(),
                "took over the previous release's state directory into the store ({taken}); its files are no longer read"
            );
        }
    }
    let files = config.files;
    reload::publish_if_new(&store, &files, &config.flows_dir).await?;
    let version = files.flows.version.clone();
    let cached = store.get_value(legacy::FEED_CACHE).await?;
    let (holidays, cached_feed) = known_holidays(cached.as_deref(), |error| {
        tracing::warn!(%error, "bank-holiday cache ignored; using the holidays known by rule");
    });
    let answers_calls = webhooks.is_some();
    let settings = Settings {
        clock: config.clock,
        auth: config.auth,
        public_url: config.public_url.clone(),
        limits: Limits {
            max_connections,
            ..config.limits.clone()
        },
        holidays,
        emergencies: Default::default(),
        recorder: config.recorder.filter(|_| answers_calls),
        call_records: config.call_records && answers_calls,
        accept_pinned_instants: config.accept_pinned_instants,
    };
    let app = Arc::new(App::with(files.flows.clone(), settings));
    // Files held back since a roll-back are kept for the console to show, not put in force.
    reload::hold_if_held(&app, &store, &files).await?;
    // Bound only now that the store has taken what this server writes as it starts: a server
    // that cannot write it (a full disk) stops without having taken a call it then drops.
    let webhooks = match webhooks {
        Some(listen) => Some(tokio::net::TcpListener::from_std(
            listen.bind("for webhooks")?,
        )?),
        None => None,
    };
    let console = console
        .map(|listen| listen.bind("for the console"))
        .transpose()?;
    // The name other servers and `emergency status` know this one by: where it listens.
    let name = match (&webhooks, &console) {
        (Some(listener), _) => listener.local_addr()?.to_string(),
        (None, Some(admin)) => format!("console {}", admin.local_addr()?),
        (None, None) => unreachable!("ensured above"),
    };
    let follower = Follower::start(app.clone(), store.clone(), files.flows, &name).await?;
    if let Some(listener) = &webhooks {
        tracing::info!(
            address = %listener.local_addr()?,
            flows = %in_full(&config.flows_dir).display(),
            version = %app.flows.load().version,
            store = %store.url(),
            max_connections,
            open_files,
            "serving"
        );
    }
    let refresher = config
        .bank_holidays
        .map(|feed| {
            let source = FeedSource {
                url: feed.url,
                cache: Arc::new(store.clone()),
                every: feed.every,
                timeout: feed.timeout,
            };
            Refresher::new(source, app.holidays.clone(), cached_feed)
        })
        .transpose()
        .context("setting up the bank-holiday feed")?;
    let server_name = follower.server().to_owned();
    tokio::spawn(follower.run());
    if let Some(admin) = console {
        let secure = config
            .public_url
            .as_ref()
            .is_some_and(|u| u.origin.starts_with("https://"));
        tracing::info!(address = %admin.local_addr()?, max_connections = admin_max_connections, "serving the ops console");
        let rules = listen::Rules {
            max_connections: admin_max_connections,
            header_timeout: config.limits.header_timeout,
            // Browsers reconnect at no cost to anyone: an idle console connection is not kept.
            keep_alive: config.limits.header_timeout,
            drain_timeout: config.limits.drain_timeout,
            when_full: listen::WhenFull::Refuse,
        };
        let database = config.database.clone();
        serve_console(
            admin,
            app.clone(),
            database,
            secure,
            config.call_back_within,
            rules,
        )?;
    }
    let reloader = Reloader::new(
        app.clone(),
        store.clone(),
        config.flows_dir.clone(),
        &version,
    );
    tokio::spawn(reloader.follow(config.watch_flows));
    // In the background: the server answers at once, whatever the feed does.
    if let Some(refresher) = refresher {
        tokio::spawn(refresher.run());
    }
    if let (Some(notify), true) = (config.notify, answers_calls) {
        let notifier = server::notify::Notifier {
            app: app.clone(),
            store: store.clone(),
            url: notify.url,
            key: notify.key,
            every: notify.every,
            aim: config.call_back_within,
        };
        tokio::spawn(notifier.run());
    }
    let records = server::calls::CallRecords::start_writing(
        &app,
        config.database.clone(),
        config.keep_call_records_days,
    )?;
    tokio::spawn(forget_call_backs(
        store.clone(),
        chrono::Duration::days(config.keep_call_backs_days.into()),
    ));
    if let Some(recorder) = app.recorder.clone() {
        tokio::spawn(finish_quiet_calls(recorder));
    }
    if let Some(logs) = &config.logs {
        let counted = app.clone();
        tokio::spawn(logs.watch_drops(move |count| {
            counted
                .metrics
                .add_by(server::metrics::Counter::LogLinesDropped, &[], count)
        }));
    }
    let recorder = app.recorder.clone();
    match webhooks {
        Some(listener) => server::run(listener, app.clone(), shutdown)
            .await
            .context("serving")?,
        // The console alone: it serves on its own thread until the process is stopped.
        None => shutdown.await,
    }
    if let Some(recorder) = recorder {
        recorder.close();
    }
    // Every answer is given: what the calls' records still queue is written before the end.
    if let Some(records) = records {
        records.finish(&app, config.limits.drain_timeout).await;
    }
    let _ = tokio::time::timeout(Duration::from_secs(2), store.server_gone(&server_name)).await;
    store.close().await;
    Ok(())
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
    rules: listen::Rules,
) -> anyhow::Result<()> {
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
                let router = crate::console::router(console);
                // Each request knows its peer's address: the login throttle counts by it.
                let service_for = |peer: SocketAddr| {
                    tower::ServiceExt::map_request(router.clone(), move |mut request: axum::extract::Request<_>| {
                        request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
                        request
                    })
                };
                let refused = |refusal| counted.metrics.refused_connection("console", refusal);
                listen::serve(listener, &rules, service_for, refused, std::future::pending()).await;
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

/// A path in full, for what the logs and commands say.
pub fn in_full(path: &std::path::Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}
