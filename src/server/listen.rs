//! The accept loop both listeners use, the webhooks' and the console's, and the one budget of
//! open files they share: whatever is done to the console, the webhooks keep the connections
//! and the file descriptors they need.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};
use std::time::Duration;

use axum::extract::Request;
use axum::response::Response;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

/// How one listener treats its connections.
#[derive(Clone, Debug)]
pub struct Rules {
    /// Connections served at once.
    pub max_connections: usize,
    /// A new connection must send its first request's headers within this: a silent or slow
    /// one is closed, never kept for ever.
    pub header_timeout: Duration,
    /// A connection kept alive after a request may wait this long for the next one's headers.
    /// Longer than the client's own pool keeps it, so that the client never sends on a
    /// connection at the instant it is closed (a reset call).
    pub keep_alive: Duration,
    /// How long shutdown waits for requests in flight.
    pub drain_timeout: Duration,
    /// What becomes of a connection past `max_connections`.
    pub when_full: WhenFull,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WhenFull {
    /// Room is made for it: of the connections not in a request, the one that has waited
    /// longest for one is closed (a slow client's, or one kept alive and idle, as nginx does).
    /// If every one is in a request, it waits until one ends. (Twilio's: a slow or idle client
    /// holds a slot only until a webhook needs it.)
    MakeRoom,
    /// It is accepted and closed at once, and counted (the console's: nobody waits on it,
    /// and its connections must never hold the file descriptors the webhooks need).
    Refuse,
}

/// Why a connection was not served, for the metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The listener already serves its `max_connections`.
    Full,
    /// Closed to make room for a new one: it had sent no whole request, or was idle.
    MadeRoom,
    /// The kernel would not accept it (out of file descriptors, say).
    AcceptFailed,
}

impl Refusal {
    pub const ALL: [Refusal; 3] = [Refusal::Full, Refusal::MadeRoom, Refusal::AcceptFailed];

    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::Full => "full",
            Refusal::MadeRoom => "made-room",
            Refusal::AcceptFailed => "accept-failed",
        }
    }
}

/// The connections a listener serves, so that one can be closed to make room for another.
struct Live {
    /// When the listener started: connections' times are kept as milliseconds since.
    epoch: std::time::Instant,
    connections: std::sync::Mutex<(u64, std::collections::HashMap<u64, Arc<Conn>>)>,
    /// Told as each request ends: a connection that may now make room.
    request_ended: tokio::sync::Notify,
}

impl Default for Live {
    fn default() -> Self {
        Live {
            epoch: std::time::Instant::now(),
            connections: Default::default(),
            request_ended: tokio::sync::Notify::new(),
        }
    }
}

/// What the accept loop knows of one connection.
struct Conn {
    /// Whether a request's headers have come on it (set as its first request is served).
    used: AtomicBool,
    /// Requests being answered on it now.
    in_request: AtomicUsize,
    /// Since when it has waited for a request (its acceptance, or its last answer), in
    /// milliseconds since the listener's epoch.
    idle_since_ms: AtomicU64,
    /// Told to close, to make room: no longer one to choose.
    closing: AtomicBool,
    close: tokio::sync::Notify,
}

impl Live {
    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    fn add(&self) -> (u64, Arc<Conn>) {
        let conn = Arc::new(Conn {
            used: AtomicBool::new(false),
            in_request: AtomicUsize::new(0),
            idle_since_ms: AtomicU64::new(self.now_ms()),
            closing: AtomicBool::new(false),
            close: tokio::sync::Notify::new(),
        });
        let mut guard = self.connections.lock().unwrap_or_else(|e| e.into_inner());
        let (next, connections) = &mut *guard;
        *next += 1;
        connections.insert(*next, conn.clone());
        (*next, conn)
    }

    fn remove(&self, id: u64) {
        let mut guard = self.connections.lock().unwrap_or_else(|e| e.into_inner());
        guard.1.remove(&id);
    }

    /// Closes one connection not in a request, to make room: the one that has waited longest
    /// for a request (since it was accepted, or since its last answer), so a slow client or a
    /// long-idle one goes before a connection whose request is just coming. Whether there was
    /// one. (A scan of them all, only when the listener is full.)
    fn close_one_to_make_room(&self) -> bool {
        let guard = self.connections.lock().unwrap_or_else(|e| e.into_inner());
        let chosen = guard
            .1
            .values()
            .filter(|conn| !conn.closing.load(Relaxed) && conn.in_request.load(Relaxed) == 0)
            .min_by_key(|conn| conn.idle_since_ms.load(Relaxed));
        match chosen {
            Some(conn) => {
                conn.closing.store(true, Relaxed);
                conn.close.notify_one();
                true
            }
            None => false,
        }
    }
}

/// A request being answered on a connection: counted while it lasts, and the connection idle
/// from when it ends (or is dropped unanswered).
struct InRequest {
    conn: Arc<Conn>,
    live: Arc<Live>,
}

impl InRequest {
    fn start(conn: &Arc<Conn>, live: &Arc<Live>) -> Self {
        conn.used.store(true, Relaxed);
        conn.in_request.fetch_add(1, Relaxed);
        InRequest {
            conn: conn.clone(),
            live: live.clone(),
        }
    }
}

impl Drop for InRequest {
    fn drop(&mut self) {
        self.conn.idle_since_ms.store(self.live.now_ms(), Relaxed);
        self.conn.in_request.fetch_sub(1, Relaxed);
        self.live.request_ended.notify_one();
    }
}

/// A connection's service, counting the requests in it.
#[derive(Clone)]
struct Tracked<S> {
    inner: S,
    conn: Arc<Conn>,
    live: Arc<Live>,
}

impl<S, B> tower::Service<Request<B>> for Tracked<S>
where
    S: tower::Service<Request<B>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = std::pin::Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let in_request = InRequest::start(&self.conn, &self.live);
        let answer = self.inner.call(request);
        Box::pin(async move {
            let answered = answer.await;
            drop(in_request);
            answered
        })
    }
}

/// Serves `listener` until `shutdown` completes, then lets the requests in flight finish (for
/// at most `drain_timeout`). `service_for` makes the service for a connection from the peer's
/// address; `refused` is told of each connection not served. (Our own loop, in mini-redis's
/// shape: axum's `serve` can set no header timeout and no cap.)
pub async fn serve<S>(
    listener: TcpListener,
    rules: &Rules,
    service_for: impl Fn(SocketAddr) -> S,
    refused: impl Fn(Refusal),
    shutdown: impl Future<Output = ()>,
) where
    S: tower::Service<Request<Incoming>, Response = Response, Error = std::convert::Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(tokio::sync::Semaphore::new(rules.max_connections));
    let live = Arc::new(Live::default());
    let mut http = hyper::server::conn::http1::Builder::new();
    // hyper's header timeout runs from when a connection waits for a request's headers: for
    // a kept-alive connection, how long it may stay idle. The first request's deadline,
    // shorter, is kept below.
    http.timer(TokioTimer::new())
        .header_read_timeout(rules.keep_alive.max(rules.header_timeout));
    let mut shutdown = std::pin::pin!(shutdown);
    let mut backoff = AcceptBackoff::default();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => {
                    backoff.reset();
                    accepted
                }
                Err(error) => {
                    // Out of file descriptors, say: wait, longer each time, rather than spin.
                    let wait = backoff.next();
                    refused(Refusal::AcceptFailed);
                    tracing::warn!(%error, ?wait, "could not accept a connection");
                    tokio::time::sleep(wait).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let slot = match slots.clone().try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) if rules.when_full == WhenFull::Refuse => {
                // Closed at once: it holds its file descriptor for no longer than this.
                refused(Refusal::Full);
                drop(stream);
                continue;
            }
            Err(_) => {
                // Room is made as soon as a connection is not in a request: now, or when the
                // next request ends (a kept-alive connection would otherwise hold its slot
                // for its whole keep-alive).
                let mut made_room = false;
                let slot = loop {
                    if !made_room && live.close_one_to_make_room() {
                        made_room = true;
                        refused(Refusal::MadeRoom);
                    }
                    tokio::select! {
                        slot = slots.clone().acquire_owned() => {
                            break Some(slot.expect("the semaphore is never closed"));
                        }
                        () = live.request_ended.notified() => {}
                        () = &mut shutdown => break None,
                    }
                };
                match slot {
                    Some(slot) => slot,
                    None => break,
                }
            }
        };
        let _ = stream.set_nodelay(true);
        let (id, conn) = live.add();
        let service = TowerToHyperService::new(Tracked {
            inner: service_for(peer),
            conn: conn.clone(),
            live: live.clone(),
        });
        let connection = http.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        let live = live.clone();
        let header_timeout = rules.header_timeout;
        tokio::spawn(async move {
            let first_request = async {
                tokio::time::sleep(header_timeout).await;
                if conn.used.load(Relaxed) {
                    std::future::pending::<()>().await;
                }
            };
            // A client that hangs up or times out is not an error worth logging; one closed
            // to make room, or that sent no request's headers in time, is simply dropped.
            tokio::select! {
                _ = connection => {}
                () = conn.close.notified() => {}
                () = first_request => {}
            }
            live.remove(id);
            drop(slot);
        });
    }
    drop(listener);
    let in_flight = graceful.count();
    tokio::select! {
        () = graceful.shutdown() => tracing::info!(connections = in_flight, "drained; stopping"),
        () = tokio::time::sleep(rules.drain_timeout) => {
            tracing::warn!("requests still in flight after {:?}; stopping anyway", rules.drain_timeout);
        }
    }
}

/// How long to wait after each failed accept in a row: 5 ms, doubling to at most 1 s.
#[derive(Default)]
struct AcceptBackoff {
    failures: u32,
}

impl AcceptBackoff {
    fn next(&mut self) -> Duration {
        let wait = Duration::from_millis(5 << self.failures.min(8)).min(Duration::from_secs(1));
        self.failures += 1;
        wait
    }

    fn reset(&mut self) {
        self.failures = 0;
    }
}

/// File descriptors kept for everything that is not a connection: the store's pools, the log,
/// the flow files and their watcher, the feed, the notifier, a test's or ops' `lsof`.
pub const RESERVED_FILES: u64 = 128;

/// The open-file limit this process may use, raised to its hard limit: systemd and Docker give
/// a soft limit of 1,024 by default and a far higher hard one, which a process may take.
pub fn raise_open_file_limit() -> u64 {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let Some(hard) = limit.maximum else {
        // No hard limit: keep the soft one, or take a generous one if there is none either.
        return limit.current.unwrap_or(1 << 20);
    };
    if limit.current == Some(hard) {
        return hard;
    }
    let raised = rustix::process::Rlimit {
        current: Some(hard),
        maximum: Some(hard),
    };
    match setrlimit(Resource::Nofile, raised) {
        Ok(()) => hard,
        Err(error) => {
            let soft = limit.current.unwrap_or(hard);
            tracing::warn!(%error, soft, hard, "could not raise the open-file limit");
            soft
        }
    }
}

/// How many connections each listener may hold within `open_files`, from what each asked for:
/// the reserve first, then the console's (at most a quarter of what is left), then the
/// webhooks' from the rest. So no number of console connections can leave the webhooks
/// without file descriptors. Says, as a warning, what it had to lower.
pub fn share_open_files(open_files: u64, webhooks: usize, console: usize) -> (usize, usize) {
    let usable = open_files.saturating_sub(RESERVED_FILES).max(8);
    let console_fits = (console as u64).min(usable / 4) as usize;
    let webhooks_fit = (webhooks as u64).min(usable - console_fits as u64) as usize;
    if console_fits < console || webhooks_fit < webhooks {
        tracing::warn!(
            open_files,
            webhooks = webhooks_fit,
            console = console_fits,
            "the open-file limit is too low for the connections asked for: each listener takes fewer (raise LimitNOFILE or ulimit -n)"
        );
    }
    (webhooks_fit, console_fits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_accepts_back_off_from_5_ms_to_a_second_and_start_again_after_one_succeeds() {
        let mut backoff = AcceptBackoff::default();
        let waits: Vec<u64> = (0..10).map(|_| backoff.next().as_millis() as u64).collect();
        assert_eq!(waits, [5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
        backoff.reset();
        assert_eq!(backoff.next(), Duration::from_millis(5));
    }

    #[test]
    fn the_console_never_takes_the_file_descriptors_the_webhooks_need() {
        // Plenty: each gets what it asked for.
        assert_eq!(share_open_files(65_536, 4096, 64), (4096, 64));
        // systemd's default soft limit, unraised: the console gets a quarter of what is left
        // at most, the webhooks the rest, and together they stay inside the limit.
        let (webhooks, console) = share_open_files(1024, 4096, 4096);
        assert_eq!(console, (1024 - RESERVED_FILES as usize) / 4);
        assert_eq!(webhooks + console, 1024 - RESERVED_FILES as usize);
        // Absurdly low: still something for each, never an underflow.
        let (webhooks, console) = share_open_files(10, 100, 100);
        assert!(webhooks >= 6 && console >= 1, "{webhooks} {console}");
    }

    #[test]
    fn raising_the_limit_gives_at_least_the_soft_limit_there_was() {
        let before = rustix::process::getrlimit(rustix::process::Resource::Nofile);
        let raised = raise_open_file_limit();
        assert!(raised >= before.current.unwrap_or(0));
        let after = rustix::process::getrlimit(rustix::process::Resource::Nofile);
        assert_eq!(after.current, Some(raised));
    }
}
