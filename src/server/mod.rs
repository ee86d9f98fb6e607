//! The HTTP face: Twilio's webhooks in, TwiML out, every request's signature checked, behind
//! the limits, fallbacks and metrics an on-call engineer relies on.

pub mod metrics;
pub mod reload;
pub mod served;
pub mod signature;

use std::any::Any;
use std::borrow::Cow;
use std::future::Future;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use axum::Router;
use axum::body::Bytes;
use axum::extract::Request;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

use crate::calendar::{BankHolidays, Emergencies};
use crate::engine::{self, CallInput, Context, Outcome, Position};
use crate::fixture::record::{Heard, Recorder};
use crate::fixture::replay::PINNED_INSTANT_PARAM;
use crate::flow::{Flows, StepRef};
use crate::phone::Masked;
use crate::twiml;
use metrics::{Counter, Labels, Metrics};
use served::Served;

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
    /// The account's auth token, which keys `X-Twilio-Signature`.
    Token(signature::Key),
    /// No check at all: for local experiments only.
    Insecure,
}

impl Auth {
    pub fn token(token: &str) -> Self {
        Auth::Token(signature::Key::new(token))
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
    /// A client that has not sent its request headers by then is disconnected.
    pub header_timeout: Duration,
    /// Reading the body and answering; past it, 408.
    pub request_timeout: Duration,
    /// How long shutdown waits for requests in flight.
    pub drain_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            body_bytes: 64 * 1024,
            header_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
            drain_timeout: Duration::from_secs(10),
        }
    }
}

pub struct App {
    /// Swapped whole by a reload; each request reads one set from start to end.
    pub flows: ArcSwap<Served>,
    /// Kept current by the bank-holiday feed, when one is configured.
    pub holidays: Arc<ArcSwap<BankHolidays>>,
    /// Kept current from the emergency switch file.
    pub emergencies: Arc<ArcSwap<Emergencies>>,
    pub clock: Clock,
    pub auth: Auth,
    /// Without one, the URL is taken from the request's Host header (plain http). Set only
    /// by [`App::new`]: the answers written once for the flows carry its prefix.
    public_url: Option<PublicUrl>,
    pub limits: Limits,
    pub metrics: Metrics,
    /// Writes each call as a fixture when it ends (`serve --record`).
    pub recorder: Option<Arc<Recorder>>,
    /// Lets a signed webhook pin its own instant ([`PINNED_INSTANT_PARAM`]), so a tester can
    /// replay fixtures against this server. Never in production.
    pub accept_pinned_instants: bool,
}

impl App {
    /// The flows with the holidays known by rule, no emergency closures, default limits and
    /// fresh metrics.
    pub fn new(flows: Flows, clock: Clock, auth: Auth, public_url: Option<PublicUrl>) -> App {
        let metrics = Metrics::default();
        for result in ["ok", "refused"] {
            metrics.declare(Counter::FlowReloads, &[("result", result)]);
        }
        let prefix = public_url.as_ref().map_or("", |u| u.prefix.as_str());
        App {
            flows: ArcSwap::from_pointee(Served::new(flows, prefix, &metrics)),
            holidays: Arc::new(ArcSwap::new(BankHolidays::builtin())),
            emergencies: Arc::new(ArcSwap::from_pointee(Emergencies::default())),
            clock,
            auth,
            public_url,
            limits: Limits::default(),
            metrics,
            recorder: None,
            accept_pinned_instants: false,
        }
    }
}

impl App {
    /// Puts a new set of flows in force for every request from now on.
    pub fn swap_flows(&self, flows: Flows) {
        let prefix = self.public_url.as_ref().map_or("", |u| u.prefix.as_str());
        self.flows
            .store(Arc::new(Served::new(flows, prefix, &self.metrics)));
    }
}

/// Every route behind every safety layer, as an axum router; tests drive it with `oneshot`.
pub fn router(app: Arc<App>) -> Router {
    harden(routes(app.clone()), app)
}

/// What [`harden`] puts its layers around: ours, or a test's.
pub trait Routes:
    tower::Service<
        Request,
        Response = Response,
        Error = std::convert::Infallible,
        Future: Send + 'static,
    > + Clone
    + Send
    + Sync
    + 'static
{
}

impl<S> Routes for S where
    S: tower::Service<
            Request,
            Response = Response,
            Error = std::convert::Infallible,
            Future: Send + 'static,
        > + Clone
        + Send
        + Sync
        + 'static
{
}

/// Every route, as a service: [`dispatch`] for each request.
fn routes(app: Arc<App>) -> impl Routes {
    use futures_util::FutureExt as _;
    tower::service_fn(move |request| dispatch(app.clone(), request).map(Ok))
}

/// What a request is for, from its path alone: the routes, in one place. Matched here rather
/// than by axum's router: the list is short and fixed, and the router's own work for each
/// request (matching, extensions, boxed futures) was an eighth of a webhook's instructions.
enum Route {
    /// Twilio's: answered once the body is read.
    Webhook(Webhook),
    /// Ops' and probes': GET (or HEAD) only.
    Page(Page),
    Unknown,
}

enum Webhook {
    /// A new call, or any step's action URL: a step that does not exist still gets a safe
    /// answer, never a 404.
    Voice(Position),
    Status,
    Fallback,
}

enum Page {
    Health,
    Ready,
    Metrics,
}

impl Route {
    fn of(uri: &Uri) -> Route {
        if let Some(position) = Position::from_url(uri.path(), uri.query()) {
            return Route::Webhook(Webhook::Voice(position));
        }
        match uri.path() {
            "/status" => Route::Webhook(Webhook::Status),
            "/fallback" => Route::Webhook(Webhook::Fallback),
            "/healthz" => Route::Page(Page::Health),
            "/readyz" => Route::Page(Page::Ready),
            "/metrics" => Route::Page(Page::Metrics),
            _ => Route::Unknown,
        }
    }
}

/// One request's answer; only Twilio's webhooks wait for a body. Written as a function
/// returning a future, which holds the request once (480 bytes; an `async fn` holds its
/// arguments twice: 704).
fn dispatch(app: Arc<App>, request: Request) -> impl Future<Output = Response> + Send + 'static {
    let (parts, body) = request.into_parts();
    async move {
        let app = &*app;
        match Route::of(&parts.uri) {
            Route::Webhook(webhook) => {
                let body = match read_whole(body).await {
                    Ok(body) => body,
                    Err(refused) => return refused,
                };
                let incoming = Incoming { parts, body };
                match webhook {
                    Webhook::Voice(position) => self::webhook(app, position, &incoming),
                    Webhook::Status => status_callback(app, &incoming),
                    Webhook::Fallback => fallback(app, &incoming),
                }
            }
            Route::Page(_) if !matches!(parts.method, Method::GET | Method::HEAD) => (
                StatusCode::METHOD_NOT_ALLOWED,
                [(header::ALLOW, "GET, HEAD")],
                "use GET\n",
            )
                .into_response(),
            Route::Page(Page::Health) => "ok\n".into_response(),
            Route::Page(Page::Ready) => readyz(app),
            Route::Page(Page::Metrics) => render_metrics(app),
            Route::Unknown => StatusCode::NOT_FOUND.into_response(),
        }
    }
}

/// `routes` (ours, or any others a test needs) behind every safety layer, as one router.
pub fn harden(routes: impl Routes, app: Arc<App>) -> Router {
    Router::new().fallback_service(hardened(routes, app))
}

/// The protections every route sits behind, in one place: a body over the limit is refused
/// with 413 before it is read whole; a request that takes too long gets 408; a panic answers
/// the safe TwiML instead of breaking the call; and these refusals are counted. They are one
/// service around the routes, not four layers: each layer would wrap and box the bodies again,
/// and a timeout layer would set a timer for every request, where this one sets it only when
/// an answer is not ready at once (when the body is still on its way).
fn hardened<S, B>(
    routes: S,
    app: Arc<App>,
) -> impl tower::Service<
    axum::http::Request<B>,
    Response = Response,
    Error = std::convert::Infallible,
    Future = impl Send + 'static,
> + Clone
+ Send
+ Sync
+ 'static
where
    S: Routes,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    tower::service_fn(move |request| guarded(routes.clone(), app.clone(), request))
}

async fn guarded<S, B>(
    mut routes: S,
    app: Arc<App>,
    request: axum::http::Request<B>,
) -> Result<Response, std::convert::Infallible>
where
    S: Routes,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    use futures_util::FutureExt as _;
    let limit = app.limits.body_bytes;
    let declared_too_large = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|length| length.to_str().ok()?.parse::<u64>().ok())
        .is_some_and(|length| length > limit as u64);
    let response = if declared_too_large {
        StatusCode::PAYLOAD_TOO_LARGE.into_response()
    } else {
        // A body without a declared length is cut off at the limit: its reader gets 413.
        let request =
            request.map(|body| axum::body::Body::new(http_body_util::Limited::new(body, limit)));
        let answer = std::panic::AssertUnwindSafe(routes.call(request)).catch_unwind();
        let mut answer = std::pin::pin!(answer);
        // Most answers are ready when first asked (Twilio's body comes with the head): the
        // timer, and the clock read that sets its deadline, are for the others only.
        let at_once = std::future::poll_fn(|cx| Poll::Ready(answer.as_mut().poll(cx))).await;
        let answered = match at_once {
            Poll::Ready(answered) => Ok(answered),
            Poll::Pending => tokio::time::timeout(app.limits.request_timeout, answer).await,
        };
        match answered {
            Ok(Ok(Ok(response))) => response,
            Ok(Ok(Err(never))) => match never {},
            Ok(Err(panic)) => answer_panic(&app, panic.as_ref()),
            Err(_elapsed) => StatusCode::REQUEST_TIMEOUT.into_response(),
        }
    };
    Ok(count_refusals(&app, response))
}

/// Serves until `shutdown` completes, then lets the requests in flight finish (for at most
/// `drain_timeout`). Each connection must send its headers within `header_timeout`, so slow
/// or half-open connections cost a little memory each and never hold up anyone else.
pub async fn run(
    listener: TcpListener,
    app: Arc<App>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = app.limits.clone();
    let service = TowerToHyperService::new(hardened(routes(app.clone()), app));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        // An answer is a head and a TwiML document of a kilobyte or so: copied together and
        // sent in one `write`, rather than as two pieces in a `writev`, it costs the kernel
        // less (3% more requests a second, measured side by side).
        .writev(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    // Out of file descriptors, say: wait a moment rather than spin.
                    tracing::warn!(%error, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let connection = http.serve_connection(TokioIo::new(stream), service.clone());
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // A client that hangs up or times out is not an error worth logging.
            let _ = connection.await;
        });
    }
    drop(listener);
    let in_flight = graceful.count();
    tokio::select! {
        () = graceful.shutdown() => tracing::info!(connections = in_flight, "drained; stopping"),
        () = tokio::time::sleep(limits.drain_timeout) => {
            tracing::warn!("requests still in flight after {:?}; stopping anyway", limits.drain_timeout);
        }
    }
    Ok(())
}

/// A request as the handlers need it: its head, and its body read whole (within the limit).
struct Incoming {
    parts: Parts,
    body: Bytes,
}

/// A body read whole: kept as it came when it came in one piece, as Twilio's do; joined
/// otherwise. Over the limit (see [`guarded`]) it is 413; cut off, 400.
async fn read_whole(mut body: axum::body::Body) -> Result<Bytes, Response> {
    use http_body_util::BodyExt as _;
    let mut first = Bytes::new();
    let mut joined = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|error| refuse_body(&error))?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers: nothing Twilio sends
        };
        if first.is_empty() {
            first = data;
        } else {
            if joined.is_empty() {
                joined.extend_from_slice(&first);
            }
            joined.extend_from_slice(&data);
        }
    }
    Ok(if joined.is_empty() {
        first
    } else {
        Bytes::from(joined)
    })
}

fn refuse_body(error: &axum::Error) -> Response {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = cause {
        if error.is::<http_body_util::LengthLimitError>() {
            return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large\n").into_response();
        }
        cause = error.source();
    }
    (StatusCode::BAD_REQUEST, "request body could not be read\n").into_response()
}

impl Incoming {
    /// The POST form (a GET's parameters are in its URL), then the query's parameters.
    fn params(&self) -> Params<'_> {
        let mut all = if self.parts.method == Method::POST {
            parse_form(&self.body)
        } else {
            Vec::new()
        };
        let signed = all.len();
        all.extend(parse_form(self.parts.uri.query().unwrap_or("").as_bytes()));
        Params { all, signed }
    }
}

/// A request's parameters: first the ones Twilio signs, then the query's.
struct Params<'a> {
    all: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    signed: usize,
}

impl Params<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        self.all
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_ref())
    }

    /// The CallSid if it looks like one; anything else is not logged as sent.
    fn call_sid(&self) -> &str {
        self.get("CallSid").filter(|s| is_sid(s)).unwrap_or("-")
    }

    /// The caller's number, masked for the logs.
    fn from(&self) -> Masked<'_> {
        Masked(self.get("From").unwrap_or(""))
    }
}

/// Why a request was not answered.
#[derive(Debug)]
enum Refusal {
    Method,
    Signature,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::Method => (StatusCode::METHOD_NOT_ALLOWED, "use POST or GET\n"),
            Refusal::Signature => (
                StatusCode::FORBIDDEN,
                "invalid or missing X-Twilio-Signature\n",
            ),
        }
        .into_response()
    }
}

/// The request's parameters, once its method and `X-Twilio-Signature` are checked.
fn signed_params<'a>(
    app: &App,
    endpoint: &'static str,
    incoming: &'a Incoming,
) -> Result<Params<'a>, Refusal> {
    let params = incoming.params();
    check(app, endpoint, incoming, &params)?;
    Ok(params)
}

/// Checks the method and `X-Twilio-Signature`; a bad signature is counted and logged.
fn check(
    app: &App,
    endpoint: &'static str,
    incoming: &Incoming,
    params: &Params<'_>,
) -> Result<(), Refusal> {
    let (method, uri, headers) = (
        &incoming.parts.method,
        &incoming.parts.uri,
        &incoming.parts.headers,
    );
    if !matches!(*method, Method::GET | Method::POST) {
        return Err(Refusal::Method);
    }
    if let Auth::Token(key) = &app.auth {
        let url = signed_url_parts(app.public_url.as_ref(), headers, uri);
        let claimed = headers
            .get(signature::HEADER_NAME)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !key.is_valid_for_parts(&url, &params.all[..params.signed], claimed) {
            app.metrics
                .add(Counter::SignatureFailures, &[("endpoint", endpoint)]);
            tracing::warn!(
                endpoint,
                "refused a request whose X-Twilio-Signature does not match"
            );
            return Err(Refusal::Signature);
        }
    }
    Ok(())
}

fn webhook(app: &App, position: Position, incoming: &Incoming) -> Response {
    let params = match signed_params(app, "voice", incoming) {
        Ok(params) => params,
        Err(refusal) => return refusal.into_response(),
    };
    let started = Instant::now();
    let flows = app.flows.load();
    let to = params.get("To");
    // Most webhooks are a new call's first: often written once for these flows. (Not when
    // recording: the recorder needs the answer itself.)
    if position == Position::Start && app.recorder.is_none() {
        let line = flows.line_for_number(to);
        if let Some(first) = flows.first_answer(line) {
            first.count();
            log_answer(&flows, &params, &first.decision);
            let response = twiml_document(first.twiml.clone());
            app.metrics.observe_answer(started.elapsed());
            return response;
        }
    }
    let input = CallInput::from_params(|name| params.get(name));
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
    let answer = engine::answer(&ctx, &position, &input);
    if let Some(recorder) = &app.recorder {
        let uri = &incoming.parts.uri;
        let heard = Heard {
            call_sid: params.get("CallSid").unwrap_or(""),
            path: uri.path(),
            query: uri.query(),
            params: &params.all,
            at: ctx.now,
            position: &position,
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
    record(app, &flows, &params, &decision);
    let response = twiml_response(app, &answer.response);
    app.metrics.observe_answer(started.elapsed());
    response
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
    let outcome = decision.outcome;
    // The message as a field of its own: a string, written as it is, without `fmt`.
    match decision.error {
        None => tracing::info!(
            message = "answered",
            call_sid,
            line = line.as_str(),
            step,
            outcome = outcome.as_str(),
            %from,
        ),
        Some(error) => {
            tracing::error!(
                message = "answered with the fallback",
                call_sid,
                line = line.as_str(),
                step,
                %error,
                %from,
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
    };
    if let Some(choice) = choice {
        let labels = [("line", line), ("step", step), ("choice", choice)];
        count(Counter::MenuChoices, &labels);
    }
}

fn twiml_response(app: &App, response: &twiml::Response) -> Response {
    let prefix = app.public_url.as_ref().map_or("", |u| u.prefix.as_str());
    twiml_document(Bytes::from(response.to_xml(prefix)))
}

/// A TwiML document as the answer.
fn twiml_document(document: Bytes) -> Response {
    let mut response = Response::new(axum::body::Body::from(document));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(twiml::CONTENT_TYPE),
    );
    response
}

/// After a panic nothing about the request can be trusted: the default line's safe answer.
fn answer_panic(app: &App, panic: &(dyn Any + Send)) -> Response {
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

/// Counts the refusals the layers make before a handler runs.
fn count_refusals(app: &App, response: Response) -> Response {
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
fn status_callback(app: &App, incoming: &Incoming) -> Response {
    let params = match signed_params(app, "status", incoming) {
        Ok(params) => params,
        Err(refusal) => return refusal.into_response(),
    };
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
    tracing::info!(call_sid, line, status, duration, %from, "call status");
    twiml_response(app, &twiml::Response::new(Vec::new()))
}

/// Twilio's Fallback URL, called when a webhook failed: the caller is apologised to and put
/// through to a counsellor. It answers even an unsigned request, since TwiML only acts on a
/// real call and a caller must never meet a second failure; bad signatures are still counted.
fn fallback(app: &App, incoming: &Incoming) -> Response {
    let params = incoming.params();
    // Checked only to be counted and logged: this answer goes out whatever.
    let _ = check(app, "fallback", incoming, &params);
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
    twiml_response(app, &engine::safe_response(&flows, line))
}

/// Ready once flows are loaded, which `serve` does before it listens.
fn readyz(app: &App) -> Response {
    let flows = app.flows.load();
    let body = serde_json::json!({
        "status": "ready",
        "flows": flows.version,
        "lines": flows.lines.len(),
    });
    (
        [(header::CONTENT_TYPE, "application/json")],
        format!("{body}\n"),
    )
        .into_response()
}

fn render_metrics(app: &App) -> Response {
    let mut text = app.metrics.render();
    text.push_str("# HELP switchboard_flows_info The call flows in force.\n");
    text.push_str("# TYPE switchboard_flows_info gauge\n");
    let flows = app.flows.load();
    let labels = [("version", flows.version.as_str())];
    text.push_str(&format!(
        "switchboard_flows_info{} 1\n",
        metrics::label_set(&labels)
    ));
    text.push_str(
        "# HELP switchboard_emergency_closed 1 while the emergency switch closes the schedule.\n",
    );
    text.push_str("# TYPE switchboard_emergency_closed gauge\n");
    let emergencies = app.emergencies.load();
    for schedule in &flows.schedules {
        let closed = u8::from(emergencies.is_closed(&schedule.name));
        let labels = [("schedule", schedule.name.as_str())];
        text.push_str(&format!(
            "switchboard_emergency_closed{} {closed}\n",
            metrics::label_set(&labels)
        ));
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

/// The URL Twilio signed, in pieces: the public URL's origin and prefix, then the path and
/// query received.
fn signed_url_parts<'a>(
    public: Option<&'a PublicUrl>,
    headers: &'a HeaderMap,
    uri: &'a Uri,
) -> [&'a str; 3] {
    let path_and_query = uri.path_and_query().map_or("/", |p| p.as_str());
    match public {
        Some(public) => [&public.origin, &public.prefix, path_and_query],
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("localhost");
            ["http://", host, path_and_query]
        }
    }
}

/// Form fields, decoded as `application/x-www-form-urlencoded`; bytes that are not UTF-8
/// become U+FFFD rather than an error. Fields that need no decoding (most of Twilio's) are
/// borrowed from the request, not copied. Decodes exactly as the `form_urlencoded` crate does,
/// in one pass over each field instead of three, with UTF-8 checked once for the whole body.
pub fn parse_form(body: &[u8]) -> Vec<(Cow<'_, str>, Cow<'_, str>)> {
    let whole = std::str::from_utf8(body).ok();
    // Field boundaries are at `&` and `=`, which are ASCII: a slice of `whole` between
    // them is UTF-8 too.
    let text = |start: usize, end: usize| -> Cow<'_, str> {
        let bytes = &body[start..end];
        if memchr::memchr2(b'%', b'+', bytes).is_some() {
            percent_decode(bytes)
        } else if let Some(whole) = whole {
            Cow::Borrowed(&whole[start..end])
        } else {
            String::from_utf8_lossy(bytes)
        }
    };
    let mut fields = Vec::new();
    let mut start = 0;
    for end in memchr::memchr_iter(b'&', body).chain([body.len()]) {
        if end > start {
            fields.push(match memchr::memchr(b'=', &body[start..end]) {
                Some(at) => (text(start, start + at), text(start + at + 1, end)),
                None => (text(start, end), Cow::Borrowed("")),
            });
        }
        start = end + 1;
    }
    fields
}

/// `+` is a space and `%XX` a byte; a `%` not followed by two hex digits stays as it is.
fn percent_decode(text: &[u8]) -> Cow<'_, str> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut bytes = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let byte = match text[i] {
            b'+' => b' ',
            b'%' => match (
                text.get(i + 1).and_then(|&b| hex(b)),
                text.get(i + 2).and_then(|&b| hex(b)),
            ) {
                (Some(high), Some(low)) => {
                    i += 2;
                    high * 16 + low
                }
                _ => b'%',
            },
            other => other,
        };
        bytes.push(byte);
        i += 1;
    }
    match String::from_utf8(bytes) {
        Ok(text) => Cow::Owned(text),
        Err(error) => Cow::Owned(String::from_utf8_lossy(error.as_bytes()).into_owned()),
    }
}

/// Twilio SIDs are two letters and 32 hex digits; anything else is not logged as given.
fn is_sid(text: &str) -> bool {
    (2..=64).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric())
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
