//! The HTTP face: Twilio's webhooks in, TwiML out, every request's signature checked.

pub mod signature;

use std::future::Future;
use std::sync::Arc;

use arc_swap::ArcSwap;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use chrono::{DateTime, Utc};
use tokio::net::TcpListener;

use crate::calendar::{BankHolidays, Emergencies};
use crate::callback::{Callback, ENTRY_PATH};
use crate::engine::{self, CallInput, Context, Position};
use crate::flow::Flows;
use crate::phone::Masked;
use crate::twiml;

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
    Token(String),
    /// No check at all: for local experiments only.
    Insecure,
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

pub struct App {
    pub flows: Arc<Flows>,
    /// Kept current by the bank-holiday feed, when one is configured.
    pub holidays: Arc<ArcSwap<BankHolidays>>,
    /// Kept current from the emergency switch file.
    pub emergencies: Arc<ArcSwap<Emergencies>>,
    pub clock: Clock,
    pub auth: Auth,
    /// Without one, the URL is taken from the request's Host header (plain http).
    pub public_url: Option<PublicUrl>,
}

/// The router with every route; tests drive it in-process with `oneshot`.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route(ENTRY_PATH, any(entry))
        .route(&format!("{ENTRY_PATH}/{{line}}/{{step}}"), any(step))
        .route("/healthz", get(|| async { "ok\n" }))
        .with_state(app)
}

/// Serves until `shutdown` completes, then finishes the requests in flight.
pub async fn run(
    listener: TcpListener,
    app: Arc<App>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(app))
        .with_graceful_shutdown(shutdown)
        .await
}

async fn entry(
    State(app): State<Arc<App>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    webhook(&app, Position::Start, &method, &uri, &headers, &body)
}

async fn step(
    State(app): State<Arc<App>>,
    Path((line, step)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let position = match Callback::from_request(&line, &step, uri.query()) {
        Ok(callback) => Position::After(callback),
        // A mangled attempt count still gets the caller somewhere safe: the step's last try.
        Err(_) => Position::After(Callback::new(&line, &step, crate::callback::MAX_ATTEMPT)),
    };
    webhook(&app, position, &method, &uri, &headers, &body)
}

fn webhook(
    app: &App,
    position: Position,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Response {
    if !matches!(*method, Method::GET | Method::POST) {
        return (StatusCode::METHOD_NOT_ALLOWED, "use POST or GET\n").into_response();
    }
    let query = uri.query().unwrap_or("");
    // Twilio signs POST parameters; a GET's parameters are already in the signed URL.
    let signed: Vec<(String, String)> = if *method == Method::POST {
        parse_form(body)
    } else {
        Vec::new()
    };
    if let Auth::Token(token) = &app.auth {
        let url = signed_url(app.public_url.as_ref(), headers, uri);
        let claimed = headers
            .get(signature::HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !signature::is_valid(token, &url, &signed, claimed) {
            tracing::warn!(
                path = uri.path(),
                "refused a webhook whose X-Twilio-Signature does not match"
            );
            return (
                StatusCode::FORBIDDEN,
                "invalid or missing X-Twilio-Signature\n",
            )
                .into_response();
        }
    }
    let mut params = signed;
    params.extend(parse_form(query.as_bytes()));
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let input = CallInput {
        to: param("To"),
        digits: param("Digits"),
        speech: param("SpeechResult"),
        dial_status: param("DialCallStatus"),
    };
    let holidays = app.holidays.load();
    let emergencies = app.emergencies.load();
    let ctx = Context {
        flows: &app.flows,
        holidays: &holidays,
        emergencies: &emergencies,
        now: app.clock.now(),
    };
    let answer = engine::answer(&ctx, &position, &input);

    let line = &app.flows.line(answer.line).id;
    // Where the call now waits, as `line/step`: a step may belong to another line.
    let step = answer.path.last().map_or_else(String::new, |s| {
        format!("{}/{}", app.flows.line(s.line).id, app.flows.step(*s).id)
    });
    let call_sid = param("CallSid")
        .filter(|s| is_sid(s))
        .unwrap_or_else(|| "-".to_owned());
    let from = param("From").unwrap_or_default();
    match &answer.error {
        None => {
            tracing::info!(call_sid, line, step, outcome = ?answer.outcome, from = %Masked(&from), "answered")
        }
        Some(error) => {
            tracing::error!(call_sid, line, step, %error, from = %Masked(&from), "answered with the fallback")
        }
    }
    let prefix = app.public_url.as_ref().map_or("", |u| u.prefix.as_str());
    (
        [(header::CONTENT_TYPE, twiml::CONTENT_TYPE)],
        answer.response.to_xml(prefix),
    )
        .into_response()
}

/// The URL Twilio signed: the public URL's origin and prefix, then the path and query received.
fn signed_url(public: Option<&PublicUrl>, headers: &HeaderMap, uri: &Uri) -> String {
    let path_and_query = uri.path_and_query().map_or("/", |p| p.as_str());
    match public {
        Some(public) => format!("{}{}{path_and_query}", public.origin, public.prefix),
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("localhost");
            format!("http://{host}{path_and_query}")
        }
    }
}

/// Form fields, decoded; bytes that are not UTF-8 become U+FFFD rather than an error.
fn parse_form(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
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
