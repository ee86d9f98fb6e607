//! The HTTP face: Twilio's webhooks in, TwiML out, every request's signature checked, behind
//! the limits, fallbacks and metrics an on-call engineer relies on.

pub mod calls;
pub mod follow;
pub mod listen;
pub mod metrics;
pub mod notify;
pub mod reload;
mod twilio;

use std::any::Any;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use chrono::{DateTime, Utc};
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use crate::calendar::{BankHolidays, Emergencies};
use crate::engine::{self, CallInput, Context, Outcome};
use crate::fixture::record::{Heard, Recorder};
use crate::fixture::replay::PINNED_INSTANT_PARAM;
use crate::flow::{Flows, StepRef};
use crate::next_step::Position;
use crate::signature;
use crate::twiml;
use metrics::{Counter, Labels, Metrics};
pub use twilio::{Params, Signed, TwilioRequest};

/// Where "now" comes from: the system clock, or an instant pinned for tests and demos.
#[derive(Clone, Copy, Debug)]
pub enum Clock {
    System,
    Fixed(DateTime<Utc>),
}

impl Clock {
    pub fn now(self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Fixed(instant) => instant,
        }
    }
}

/// How webhooks are authenticated.
#[derive(Clone, Debug)]
pub enum Auth {
    /// The secrets whose `X-Twilio-Signature` is accepted: the auth token(s), shared keys.
    Twilio(signature::Secrets),
    /// No check at all: for local experiments only.
    Insecure,
}

impl Auth {
    /// Signatures made with the account's one auth token.
    pub fn token(token: &str) -> Self {
        Auth::Twilio(signature::Secrets::new(&[token], &[]))
    }
}

/// The URL Twilio is configured with, e.g. `https://ivr.example.org` or, behind a proxy that
/// strips a path prefix, `https://example.org/switchboard`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicUrl {
    /// Scheme and authority: `https://example.org`.
    pub origin: String,
    /// The path prefix, without a trailing slash; often empty.
    pub prefix: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "{0:?} is not a public URL like https://ivr.example.org (scheme, host, optional path, no query)"
)]
pub struct BadPublicUrl(String);

impl std::str::FromStr for PublicUrl {
    type Err = BadPublicUrl;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || BadPublicUrl(text.to_owned());
        let uri: Uri = text.parse().map_err(|_| bad())?;
        let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
            return Err(bad());
        };
        if !matches!(scheme, "http" | "https") || uri.query().is_some() || text.contains('#') {
            return Err(bad());
        }
        Ok(PublicUrl {
            origin: format!("{scheme}://{authority}"),
            prefix: uri.path().trim_end_matches('/').to_owned(),
        })
    }
}

/// What a client may cost the server.
#[derive(Clone, Debug)]
pub struct Limits {
    /// A larger request body is refused with 413 before it is read whole. Twilio's are ~1 KB.
    pub body_bytes: usize,
    /// A new connection that has not sent its request headers by then is disconnected.
    pub header_timeout: Duration,
    /// How long a connection kept alive after a request may wait for the next.
    pub keep_alive: Duration,
    /// Reading the body and answering; past it, 408.
    pub request_timeout: Duration,
    /// How long shutdown waits for requests in flight.
    pub drain_timeout: Duration,
    /// Connections open at once; past it, new ones wait in the kernel's queue.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            body_bytes: 64 * 1024,
            header_timeout: Duration::from_secs(5),
            // nginx's default: longer than common HTTP clients keep an idle connection pooled.
            keep_alive: Duration::from_secs(75),
            request_timeout: Duration::from_secs(10),
            drain_timeout: Duration::from_secs(10),
            max_connections: 1024,
        }
    }
}

pub struct App {
    /// Swapped whole by a reload; each request reads one set from start to end.
    pub flows: ArcSwap<Flows>,
    /// Kept current by the bank-holiday feed, when one is configured.
    pub holidays: Arc<ArcSwap<BankHolidays>>,
    /// Kept current from the store.
    pub emergencies: Arc<ArcSwap<Emergencies>>,
    /// Whether the store answers, and the revision of it this server serves.
    pub store: follow::StoreLink,
    pub clock: Clock,
    pub auth: Auth,
    /// Without one, the URL is taken from the request's Host header (plain http).
    pub public_url: Option<PublicUrl>,
    pub limits: Limits,
    pub metrics: Metrics,
    /// Writes each call as a fixture when it ends (`serve --record`).
    pub recorder: Option<Arc<Recorder>>,
    /// How each call went, queued for the store's reports.
    pub call_records: calls::CallRecords,
    /// Lets a signed webhook pin its own instant ([`PINNED_INSTANT_PARAM`]), so a tester can
    /// replay fixtures against this server. Never in production.
    pub accept_pinned_instants: bool,
    /// The flow files as this server last read them from its directory (good ones only).
    pub files_read: arc_swap::ArcSwapOption<reload::FilesRead>,
    /// Whether, as this server last learnt, the flow files are held back since a roll-back
    /// (the store is the authority: see [`reload::FilesRead`]).
    pub files_held: std::sync::atomic::AtomicBool,
}

/// Everything an [`App`] is made from besides the flows: one value, built once by `serve`.
pub struct Settings {
    pub clock: Clock,
    pub auth: Auth,
    pub public_url: Option<PublicUrl>,
    pub limits: Limits,
    pub holidays: Arc<BankHolidays>,
    pub emergencies: Emergencies,
    pub recorder: Option<Arc<Recorder>>,
    /// Record how each call went for reports (`serve --call-records`).
    pub call_records: bool,
    pub accept_pinned_instants: bool,
}

impl App {
    /// The flows with the holidays known by rule, no emergency closures, default limits and
    /// fresh metrics: for tests and tools.
    pub fn new(flows: Flows, clock: Clock, auth: Auth, public_url: Option<PublicUrl>) -> App {
        App::with(
            flows,
            Settings {
                clock,
                auth,
                public_url,
                limits: Limits::default(),
                holidays: BankHolidays::builtin(),
                emergencies: Emergencies::default(),
                recorder: None,
                call_records: false,
                accept_pinned_instants: false,
            },
        )
    }

    pub fn with(flows: Flows, settings: Settings) -> App {
        let metrics = Metrics::default();
        for result in ["ok", "refused"] {
            metrics.declare(Counter::FlowReloads, &[("result", result)]);
        }
        metrics.declare(Counter::LogLinesDropped, &[]);
        for result in [
            "written",
            "dropped-queue-full",
            "dropped-store",
            "dropped-stop",
        ] {
            metrics.declare(Counter::CallRecords, &[("result", result)]);
        }
        for problem in ["unavailable", "slow", "writes-failing"] {
            metrics.declare(Counter::StoreProblems, &[("problem", problem)]);
        }
        for listener in ["webhooks", "console"] {
            for reason in listen::Refusal::ALL {
                let labels = [("listener", listener), ("reason", reason.as_str())];
                metrics.declare(Counter::RefusedConnections, &labels);
            }
        }
        App {
            flows: ArcSwap::from_pointee(flows),
            holidays: Arc::new(ArcSwap::new(settings.holidays)),
            emergencies: Arc::new(ArcSwap::from_pointee(settings.emergencies)),
            store: follow::StoreLink::default(),
            clock: settings.clock,
            auth: settings.auth,
            public_url: settings.public_url,
            limits: settings.limits,
            metrics,
            recorder: settings.recorder,
            call_records: calls::CallRecords::new(settings.call_records),
            accept_pinned_instants: settings.accept_pinned_instants,
            files_read: arc_swap::ArcSwapOption::empty(),
            files_held: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Puts a new set of flows in force for every request from now on.
    pub fn swap_flows(&self, flows: Flows) {
        self.flows.store(Arc::new(flows));
    }

    /// The public URL's path prefix, which every action URL starts with (often empty).
    fn prefix(&self) -> &str {
        self.public_url.as_ref().map_or("", |u| u.prefix.as_str())
    }
}

/// Every route behind every safety layer: the one router, for production and tests alike.
pub fn router(app: Arc<App>) -> Router {
    harden(routes(app.clone()), app)
}

/// The routes. Twilio's webhooks take GET or POST; a voice URL naming any step, or none,
/// still gets an answer (a safe one), never a 404.
fn routes(app: Arc<App>) -> Router {
    Router::new()
        .route("/voice", any(voice))
        .route("/voice/", any(voice))
        .route("/voice/{*step}", any(voice))
        .route("/status", any(status_callback))
        .route("/fallback", any(fallback))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(render_metrics))
        .with_state(app)
}

/// The protections around `routes` (ours, or a test's), outermost first: refusals are
/// counted; a panic answers the safe TwiML instead of breaking the call; a body over the
/// limit is refused with 413 before it is read whole; an answer that takes too long is 408.
pub fn harden(routes: Router, app: Arc<App>) -> Router {
    let limits = app.limits.clone();
    let on_panic = app.clone();
    routes.layer(
        ServiceBuilder::new()
            .layer(axum::middleware::map_response_with_state(
                app,
                count_refusals,
            ))
            .layer(CatchPanicLayer::custom(move |panic| {
                answer_panic(&on_panic, panic)
            }))
            .layer(RequestBodyLimitLayer::new(limits.body_bytes))
            .layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                limits.request_timeout,
            )),
    )
}

/// Serves webhooks until `shutdown` completes, then lets the requests in flight finish (for
/// at most `drain_timeout`). Each new connection must send its headers within `header_timeout`,
/// so slow or half-open connections cost a little memory each; one kept alive waits up to
/// `keep_alive` for its next request. Past `max_connections`, of the connections not in a
/// request, the one that has waited longest for one is closed to make room for a new one.
pub async fn run(
    listener: TcpListener,
    app: Arc<App>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let rules = listen::Rules {
        max_connections: app.limits.max_connections,
        header_timeout: app.limits.header_timeout,
        keep_alive: app.limits.keep_alive,
        drain_timeout: app.limits.drain_timeout,
        when_full: listen::WhenFull::MakeRoom,
    };
    let counted = app.clone();
    let router = router(app);
    listen::serve(
        listener,
        &rules,
        |_| router.clone(),
        |refusal| counted.metrics.refused_connection("webhooks", refusal),
        shutdown,
    )
    .await;
    Ok(())
}

/// A voice webhook: a new call (`/voice`) or a step's action URL.
async fn voice(State(app): State<Arc<App>>, Signed(request): Signed) -> Response {
    let position = Position::from_url(request.uri.path(), request.uri.query())
        .expect("routed here only for /voice paths");
    let started = Instant::now();
    match webhook(&app, &position, &request, None, started) {
        Ok(response) => response,
        // The one webhook that waits on the store, and only for as long as a caller can: the
        // answer says whether the request was kept, so it must be known first.
        Err(wanted) => {
            let kept = keep_call_back(&app, wanted).await;
            webhook(&app, &position, &request, Some(kept), started).unwrap_or_else(|_| {
                unreachable!("the engine asks to keep a request only before it knows the result")
            })
        }
    }
}

/// How long a caller waits, at most, for their request for a call back to be kept: far inside
/// the 15 s Twilio waits for an answer.
pub const CALL_BACK_DEADLINE: Duration = Duration::from_secs(4);

/// The last part of [`CALL_BACK_DEADLINE`], kept for the commit: a request not written by then
/// is rolled back and the caller told so.
const COMMIT_WITHIN: Duration = Duration::from_millis(1500);

/// Keeps a request for a call back in the store, within [`CALL_BACK_DEADLINE`], so that what
/// the caller hears is what the store holds. A task of its own writes it in a transaction and
/// commits only when told to, while the caller still waits: a request written too late is
/// rolled back, and one whose commit returns too late (the caller already told it was not
/// kept) is deleted again. The task always finishes its transaction itself: a store call cut
/// off halfway (a dropped future) can leave its connection in the middle of a transaction.
async fn keep_call_back(app: &App, wanted: engine::CallBackRequest) -> engine::CallBackResult {
    use engine::CallBackResult::{AlreadyAsked, NotTaken, Taken};
    let Some(store) = app.store.store().cloned() else {
        return NotTaken;
    };
    let deadline = tokio::time::Instant::now() + CALL_BACK_DEADLINE;
    let line = wanted.line.clone();
    let now = app.clock.now();
    let (written_tx, mut written) = tokio::sync::oneshot::channel();
    let (go_tx, go) = tokio::sync::oneshot::channel::<()>();
    let (committed_tx, mut committed) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let pending = match store
            .begin_call_back(&wanted.number, &wanted.line, now)
            .await
        {
            Ok(pending) => pending,
            Err(error) => {
                let _ = written_tx.send(Err(error));
                return;
            }
        };
        let added = pending.added();
        // No go (the caller was told it was not kept, or it was there already): undone.
        if written_tx.send(Ok(added)).is_err() || go.await.is_err() {
            let _ = pending.roll_back().await;
            return;
        }
        let id = pending.id();
        if let Err(Ok(())) = committed_tx.send(pending.commit().await)
            && let Some(id) = id
        {
            tracing::warn!(line = %wanted.line, "a request for a call back was kept after the caller was told it was not: deleting it");
            withdraw(&store, id).await;
        }
    });
    let added = match tokio::time::timeout_at(deadline - COMMIT_WITHIN, &mut written).await {
        Ok(Ok(Ok(added))) => added,
        Ok(Ok(Err(error))) => {
            tracing::error!(%line, %error, "a request for a call back could not be kept: the caller was told so");
            return NotTaken;
        }
        Ok(Err(_)) => return NotTaken,
        Err(_) => {
            // From here the task can no longer hand over a write: it rolls back.
            written.close();
            tracing::error!(%line, "a request for a call back was not written within the deadline: the caller was told so");
            return NotTaken;
        }
    };
    if !added {
        return AlreadyAsked;
    }
    let _ = go_tx.send(());
    match tokio::time::timeout_at(deadline, &mut committed).await {
        Ok(Ok(Ok(()))) => Taken,
        Ok(Ok(Err(error))) => {
            tracing::error!(%line, %error, "a request for a call back could not be committed: the caller was told so");
            NotTaken
        }
        Ok(Err(_)) => NotTaken,
        Err(_) => {
            // A commit that came back just now still counts; any later one is deleted again.
            committed.close();
            match committed.try_recv() {
                Ok(Ok(())) => Taken,
                _ => {
                    tracing::error!(%line, "a request for a call back was not committed within the deadline: the caller was told so");
                    NotTaken
                }
            }
        }
    }
}

/// Deletes a request kept too late, trying again while the store does not answer (for an hour).
async fn withdraw(store: &crate::store::Store, id: i64) {
    for _ in 0..720 {
        match store.withdraw_call_back(id).await {
            Ok(()) => return,
            Err(error) => {
                tracing::warn!(%error, "a request for a call back kept too late could not be deleted yet");
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        }
    }
    tracing::error!(
        "a request for a call back kept too late could not be deleted within an hour: it stays in the queue"
    );
}

/// The answer to a voice webhook; or, when the engine needs a request for a call back kept
/// first (and `call_back` does not yet say what became of it), that request.
fn webhook(
    app: &App,
    position: &Position,
    request: &TwilioRequest,
    call_back: Option<engine::CallBackResult>,
    started: Instant,
) -> Result<Response, engine::CallBackRequest> {
    let params = &request.params;
    let flows = app.flows.load();
    let mut input = CallInput::from_params(|name| params.get(name));
    input.call_back = call_back;
    let holidays = app.holidays.load();
    let emergencies = app.emergencies.load();
    // Looked for only when allowed: the parameters are not searched on every webhook.
    let pinned = app
        .accept_pinned_instants
        .then(|| params.get(PINNED_INSTANT_PARAM))
        .flatten()
        .and_then(|at| crate::calendar::parse_instant(at).ok());
    let ctx = Context {
        flows: &flows,
        holidays: &holidays,
        emergencies: &emergencies,
        now: pinned.unwrap_or_else(|| app.clock.now()),
    };
    let answer = engine::answer(&ctx, position, &input);
    if let (Some(wanted), None) = (&answer.call_back, call_back) {
        return Err(wanted.clone());
    }
    // A probe from outside (`switchboard probe`, marked under the signature) is answered as
    // any call, and never counted or recorded as one.
    let call_sid = params.call_sid();
    let probe = crate::probe::is_probe(call_sid);
    if let (Some(recorder), false) = (&app.recorder, probe) {
        let uri = &request.uri;
        let heard = Heard {
            call_sid: params.get("CallSid").unwrap_or(""),
            path: uri.path(),
            query: uri.query(),
            params: params.all(),
            at: ctx.now,
            position,
            answer: &answer,
        };
        recorder.hear(&flows, &emergencies, &heard);
    }
    let decision = Decision {
        line: answer.line,
        about: answer.path.first().copied(),
        waiting_at: answer.path.last().copied(),
        outcome: answer.outcome,
        error: answer.error.as_ref(),
    };
    if probe {
        log_answer(&flows, params, &decision);
    } else {
        record(app, &flows, params, &decision);
        let dial_duration = params.get("DialCallDuration").and_then(|d| d.parse().ok());
        let heard = calls::HeardOfCall {
            call_sid,
            dialled: params.get("To"),
            dial_duration,
        };
        calls::note_answer(app, &ctx, &answer, &heard);
    }
    let response = twiml_response(app, &answer.response);
    app.metrics.observe_answer(started.elapsed());
    Ok(response)
}

/// What the logs and metrics say of one answer.
struct Decision<'a> {
    /// The line the call is on.
    line: usize,
    /// The step the webhook was about: for a new call, the line's first step.
    about: Option<StepRef>,
    /// Where the call now waits.
    waiting_at: Option<StepRef>,
    outcome: Outcome,
    error: Option<&'a engine::EngineError>,
}

/// One log line and the counters for an answer.
fn record(app: &App, flows: &Flows, params: &Params, decision: &Decision<'_>) {
    answer_counts(flows, decision, &mut |counter, labels| {
        app.metrics.add(counter, labels)
    });
    log_answer(flows, params, decision);
}

fn log_answer(flows: &Flows, params: &Params, decision: &Decision<'_>) {
    let line = &flows.line(decision.line).id;
    let step = decision
        .waiting_at
        .map_or("", |s| flows.step(s).qualified_id.as_str());
    let (call_sid, from) = (params.call_sid(), params.from());
    let outcome = decision.outcome.as_str();
    // Ids (checked to be letters, digits and dashes) and fixed names are written bare, with
    // `%`: quoting and escaping each was a fifth of a webhook's instructions.
    match decision.error {
        None => tracing::info!(
            %call_sid,
            %line,
            %step,
            %outcome,
            %from,
            "answered"
        ),
        Some(error) => {
            tracing::error!(
                %call_sid,
                %line,
                %step,
                %error,
                %from,
                "answered with the fallback"
            )
        }
    }
}

/// The counters one answer adds to: the one place that decides. Labels are ids from the
/// flows and fixed names only.
fn answer_counts(flows: &Flows, decision: &Decision<'_>, count: &mut dyn FnMut(Counter, &Labels)) {
    let line = flows.line(decision.line).id.as_str();
    let step = decision
        .about
        .map_or("-", |s| flows.step(s).qualified_id.as_str());
    let outcome = decision.outcome.as_str();
    count(
        Counter::Webhooks,
        &[("line", line), ("step", step), ("outcome", outcome)],
    );
    let key;
    let choice = match decision.outcome {
        Outcome::Started => {
            count(Counter::Calls, &[("line", line)]);
            None
        }
        Outcome::Chose(k) => {
            key = k.to_string();
            Some(key.as_str())
        }
        Outcome::AnyKey | Outcome::NoInput | Outcome::Invalid => Some(outcome),
        Outcome::Dialled(status) => {
            let labels = [("line", line), ("step", step), ("result", status.as_str())];
            count(Counter::DialResults, &labels);
            None
        }
        Outcome::Failed => {
            count(Counter::Fallbacks, &[("reason", "engine-error")]);
            None
        }
        Outcome::Keyed => None,
        Outcome::CallBack(result) => {
            count(
                Counter::CallBacks,
                &[("line", line), ("result", result.as_str())],
            );
            None
        }
    };
    if let Some(choice) = choice {
        let labels = [("line", line), ("step", step), ("choice", choice)];
        count(Counter::MenuChoices, &labels);
    }
}

/// A TwiML document as the answer.
fn twiml_response(app: &App, response: &twiml::Response) -> Response {
    (
        [(header::CONTENT_TYPE, twiml::CONTENT_TYPE)],
        Bytes::from(response.to_xml(app.prefix())),
    )
        .into_response()
}

/// After a panic nothing about the request can be trusted: the default line's safe answer.
fn answer_panic(app: &App, panic: Box<dyn Any + Send>) -> Response {
    let message = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)");
    tracing::error!(
        panic = message,
        "a request panicked; answered with the safe fallback"
    );
    app.metrics.add(Counter::Fallbacks, &[("reason", "panic")]);
    let flows = app.flows.load();
    twiml_response(app, &engine::safe_response(&flows, flows.default_line()))
}

/// Counts the refusals made before a handler runs: by the layers, and by the router (405).
async fn count_refusals<B>(
    State(app): State<Arc<App>>,
    response: axum::http::Response<B>,
) -> axum::http::Response<B> {
    let reason = match response.status() {
        StatusCode::PAYLOAD_TOO_LARGE => Some("body-too-large"),
        StatusCode::REQUEST_TIMEOUT => Some("timeout"),
        StatusCode::METHOD_NOT_ALLOWED => Some("method"),
        _ => None,
    };
    if let Some(reason) = reason {
        app.metrics.add(Counter::Refused, &[("reason", reason)]);
    }
    response
}

/// Twilio's call status callback: counts how calls ended, per line.
async fn status_callback(State(app): State<Arc<App>>, Signed(request): Signed) -> Response {
    let params = &request.params;
    let flows = app.flows.load();
    let line = &flows.line(flows.line_for_number(params.get("To"))).id;
    let status = match params.get("CallStatus") {
        Some(s @ ("completed" | "busy" | "no-answer" | "failed" | "canceled")) => s,
        Some("queued" | "ringing" | "in-progress" | "initiated") => "in-progress",
        _ => "other",
    };
    app.metrics
        .add(Counter::CallStatus, &[("line", line), ("status", status)]);
    if let Some(recorder) = &app.recorder
        && status != "in-progress"
    {
        recorder.call_ended(params.get("CallSid").unwrap_or(""));
    }
    let duration = params
        .get("CallDuration")
        .and_then(|d| d.parse::<u32>().ok());
    let (call_sid, from) = (params.call_sid(), params.from());
    if status != "in-progress" {
        calls::note_status(&app, call_sid, status, duration);
    }
    tracing::info!(call_sid, line = line.as_str(), status, duration, %from, "call status");
    twiml_response(&app, &twiml::Response::new(Vec::new()))
}

/// Twilio's Fallback URL, called when a webhook failed: the caller is apologised to and put
/// through to a counsellor. It answers even an unsigned request, since TwiML only acts on a
/// real call and a caller must never meet a second failure; bad signatures are still counted.
async fn fallback(State(app): State<Arc<App>>, request: TwilioRequest) -> Response {
    // The signature was checked only to be counted and logged: this answer goes out whatever.
    let params = &request.params;
    let flows = app.flows.load();
    let line = flows.line_for_number(params.get("To"));
    let error_code = params
        .get("ErrorCode")
        .filter(|c| c.len() <= 8 && c.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or("-");
    // Our own URL, but as sent: shortened and escaped so it cannot forge log lines.
    let error_url: String = params
        .get("ErrorUrl")
        .unwrap_or("-")
        .chars()
        .take(200)
        .collect();
    let (call_sid, from) = (params.call_sid(), params.from());
    tracing::error!(
        call_sid,
        line = %flows.line(line).id,
        error_code,
        error_url = ?error_url,
        %from,
        "Twilio called the fallback URL; caller sent to the safe answer"
    );
    app.metrics
        .add(Counter::Fallbacks, &[("reason", "fallback-url")]);
    twiml_response(&app, &engine::safe_response(&flows, line))
}

/// The version of this server's flow files while they are held back and differ from the
/// version in force.
fn held_files_version(app: &App, flows: &Flows) -> Option<String> {
    let held = app.files_held.load(std::sync::atomic::Ordering::Relaxed);
    let read = app.files_read.load();
    let read = read
        .as_ref()
        .filter(|r| held && r.version != flows.version)?;
    Some(read.version.clone())
}

/// Ready once flows are loaded, which `serve` does before it listens; still ready while the
/// store is unavailable (calls are answered from the last snapshot), and says so.
async fn readyz(State(app): State<Arc<App>>) -> Response {
    let flows = app.flows.load();
    let body = serde_json::json!({
        "status": "ready",
        "flows": flows.version,
        "lines": flows.lines.len(),
        "store": if app.store.available() { "available" } else { "unavailable" },
        "store_revision": app.store.revision(),
        // The flow files here differ from the version in force, held back since a roll-back.
        "flow_files_held": held_files_version(&app, &flows),
    });
    (
        [(header::CONTENT_TYPE, "application/json")],
        format!("{body}\n"),
    )
        .into_response()
}

async fn render_metrics(State(app): State<Arc<App>>) -> Response {
    let flows = app.flows.load();
    let emergencies = app.emergencies.load();
    let closed = flows
        .schedules
        .iter()
        .map(|s| (s.name.clone(), emergencies.is_closed(&s.name)));
    let names: Vec<&str> = flows.schedules.iter().map(|s| s.name.as_str()).collect();
    let unknown = emergencies.unknown(&names).len();
    app.metrics.show_state(&flows.version, closed, unknown);
    app.metrics.show_store(app.store.available());
    (
        [(header::CONTENT_TYPE, metrics::CONTENT_TYPE)],
        app.metrics.render(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_url_splits_origin_and_prefix() {
        let url: PublicUrl = "https://ivr.example.org".parse().unwrap();
        assert_eq!(
            url,
            PublicUrl {
                origin: "https://ivr.example.org".into(),
                prefix: "".into()
            }
        );
        let url: PublicUrl = "http://example.org:8080/switchboard/".parse().unwrap();
        assert_eq!(
            url,
            PublicUrl {
                origin: "http://example.org:8080".into(),
                prefix: "/switchboard".into()
            }
        );
        for bad in [
            "example.org",
            "ftp://example.org",
            "https://example.org/?a=1",
            "",
        ] {
            assert!(bad.parse::<PublicUrl>().is_err(), "{bad}");
        }
    }
}
