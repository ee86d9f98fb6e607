//! The ops console: the lines at a glance, the emergency switch, closure days, each line's
//! hours and diagram, and the flow versions, from a browser, on a listener of its own
//! (`serve --admin-listen`), served on a thread and runtime of its own so that its file reads
//! and writes never hold up a call. Every page needs a session; every change needs an editor,
//! the session's CSRF token, and is audited.

pub mod auth;
mod call_backs;
mod changes;
mod dashboard;
mod days;
mod diagram;
pub mod layout;
mod line;
mod login;
mod reports;
mod versions;

use dashboard::schedule_now;
use diagram::render_svg;
use line::{TryCall, line_page_with};

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{
    ConnectInfo, Form, FromRequest, FromRequestParts, Path as UrlPath, Query, Request, State,
};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::CookieJar;
use chrono::{NaiveDate, Utc};
use serde::de::DeserializeOwned;

use crate::calendar::schedule::{ClosedBecause, Status};
use crate::calendar::{DayKind, Emergencies, hours, speech};
use crate::engine::Context;
use crate::flow;
use crate::ops;
use crate::server::App;
use crate::simulate::{self, CallerAction};
use crate::store::{self, Role, Store, StoreError};
use auth::{Session, Verdict};
use layout::Notice;

/// What the console needs: the server's state, and the store every server shares.
pub struct Console {
    pub app: Arc<App>,
    store: Store,
    /// Cookies are marked Secure when the console is reached over HTTPS.
    pub secure_cookies: bool,
    /// The time the team aims to call back within, from the line's opening.
    call_back_aim: chrono::Duration,
    /// Where passwords are checked, a few at a time.
    passwords: auth::PasswordChecks,
    /// The line pages' diagrams, drawn once for each version.
    diagrams: diagram::Drawn,
    /// What each version changed, said once for the Versions page.
    described: versions::Described,
}

/// How long a change made here may take to be in force on this server; the others follow
/// within a second.
const APPLY_WITHIN: Duration = Duration::from_secs(3);

/// What the console says when the store does not answer.
const STORE_DOWN: &str = "The store that every server shares cannot be reached, so nothing was changed. Calls are still answered as before. Try again in a minute; if it goes on, tell whoever runs the database.";

impl Console {
    pub fn new(app: Arc<App>, store: Store, secure_cookies: bool) -> Self {
        Console {
            app,
            store,
            secure_cookies,
            call_back_aim: call_backs::DEFAULT_AIM,
            passwords: auth::PasswordChecks::for_this_machine(),
            diagrams: diagram::Drawn::default(),
            described: versions::Described::default(),
        }
    }

    /// The console with another time the team aims to call back within.
    pub fn with_call_back_aim(mut self, aim: chrono::Duration) -> Self {
        self.call_back_aim = aim;
        self
    }

    /// After a change: waits until this server serves it, and logs who made it.
    async fn made(&self, session: &Session, done: &ops::Done) {
        if !self
            .app
            .store
            .serve_at_least(done.revision, APPLY_WITHIN)
            .await
        {
            tracing::warn!(
                revision = done.revision,
                "a change made from the console is not yet in force on this server"
            );
        }
        tracing::warn!(user = %session.user, what = %done.said, "changed from the console");
    }
}

/// Today's date in the UK, by the server's clock.
fn uk_today(console: &Console) -> NaiveDate {
    let now = console.app.clock.now();
    now.with_timezone(&chrono_tz::Europe::London).date_naive()
}

/// The answer to a change: made, it is in force here, logged, and `said` (what it did, and
/// its undo) on the next page (`to`); not made, the reason.
async fn after_change(
    console: &Console,
    session: &Session,
    made: ops::Result<ops::Done>,
    to: &str,
    said: impl FnOnce(&ops::Done) -> Notice,
) -> Response {
    let done = match made {
        Ok(done) => done,
        Err(error) => return not_made(session, &error),
    };
    console.made(session, &done).await;
    let notice = said(&done).kept();
    if let Err(error) = console.store.leave_notice(&session.token, &notice).await {
        tracing::warn!(%error, "the notice of a change could not be kept for its page");
    }
    Redirect::to(to).into_response()
}

/// The notice left for this session's next page, if any.
async fn notice(console: &Console, session: &Session) -> Result<Option<Notice>, Denied> {
    let kept = console.store.take_notice(&session.token).await?;
    Ok(kept.as_deref().map(Notice::read))
}

/// The answer to a change that was refused or that the store could not make.
fn not_made(session: &Session, error: &ops::OpsError) -> Response {
    if error.is_unavailable() {
        tracing::error!(%error, "a change from the console could not be made");
        return refused(StatusCode::SERVICE_UNAVAILABLE, Some(session), STORE_DOWN);
    }
    refused(StatusCode::BAD_REQUEST, Some(session), &error.to_string())
}

pub fn router(console: Arc<Console>) -> Router {
    Router::new()
        .route("/login", get(login::login_page).post(login::log_in))
        .route("/logout", post(login::log_out))
        .route("/", get(dashboard::dashboard))
        .route("/emergency", post(dashboard::emergency_switch))
        .route("/lines/{line}", get(line::line_page))
        .route("/days", post(days::one_off_days))
        .route("/audit", get(changes::audit_page))
        .route("/history", get(versions::history_page))
        .route("/history/rollback", post(versions::roll_back))
        .route("/history/files", post(versions::put_files_in_force))
        .route("/call-backs", get(call_backs::call_backs_page))
        .route("/call-backs/{id}", post(call_backs::call_back_action))
        .route("/reports", get(reports::reports_page))
        .route("/reports.csv", get(reports::reports_csv))
        .route("/healthz", get(|| async { "ok\n" }))
        .layer(
            tower::ServiceBuilder::new()
                .layer(axum::middleware::map_response(with_safe_headers))
                .layer(tower_http::limit::RequestBodyLimitLayer::new(
                    FORM_MAX_BYTES,
                ))
                .layer(tower_http::timeout::TimeoutLayer::with_status_code(
                    StatusCode::REQUEST_TIMEOUT,
                    REQUEST_TIMEOUT,
                )),
        )
        .with_state(console)
}

/// A console request not answered within this gets 408: a page reads the store a few times,
/// a login waits its turn for Argon2, and nothing else takes long.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Every console answer: no script at all, no framing by another site, no sniffing, and not
/// kept by any cache (pages hold callers' numbers and the state of the lines).
const SAFE_HEADERS: [(&str, &str); 5] = [
    (
        "content-security-policy",
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("cache-control", "no-store"),
    ("referrer-policy", "no-referrer"),
];

async fn with_safe_headers<B>(mut response: axum::http::Response<B>) -> axum::http::Response<B> {
    let headers = response.headers_mut();
    for (name, value) in SAFE_HEADERS {
        headers.insert(
            header::HeaderName::from_static(name),
            header::HeaderValue::from_static(value),
        );
    }
    response
}

fn html(markup: maud::Markup) -> Response {
    Html(markup.into_string()).into_response()
}

fn refused(status: StatusCode, session: Option<&Session>, text: &str) -> Response {
    (
        status,
        html(layout::message("Not done", session, text, "/")),
    )
        .into_response()
}

/// Why a request gets no page: it has no session (so goes to the login page), it asks for a
/// change it may not make, or the store that holds the sessions does not answer.
pub enum Denied {
    NoSession,
    StoreDown,
    Forbidden(Box<Session>, &'static str),
    BadForm,
}

/// A store that fails while a page is made: logged, and the page says the store is down.
impl From<StoreError> for Denied {
    fn from(error: StoreError) -> Self {
        tracing::error!(%error, "the console cannot reach the store");
        Denied::StoreDown
    }
}

impl IntoResponse for Denied {
    fn into_response(self) -> Response {
        match self {
            Denied::NoSession => Redirect::to("/login").into_response(),
            Denied::StoreDown => refused(StatusCode::SERVICE_UNAVAILABLE, None, STORE_DOWN),
            Denied::Forbidden(session, why) => refused(StatusCode::FORBIDDEN, Some(&session), why),
            Denied::BadForm => {
                refused(StatusCode::BAD_REQUEST, None, "The form could not be read.")
            }
        }
    }
}

/// The request's session, if it has one that has not ended.
async fn session(console: &Console, cookies: &CookieJar) -> Result<Session, Denied> {
    let token = auth::token_of(cookies).ok_or(Denied::NoSession)?;
    match console
        .store
        .session(&token, auth::IDLE, auth::LONGEST)
        .await
    {
        Ok(Some((user, role, csrf))) => Ok(Session {
            user,
            role,
            csrf,
            token,
        }),
        Ok(None) => Err(Denied::NoSession),
        Err(error) => {
            tracing::error!(%error, "console sessions cannot be read");
            Err(Denied::StoreDown)
        }
    }
}

/// Every page but the login asks for a session.
impl FromRequestParts<Arc<Console>> for Session {
    type Rejection = Denied;

    async fn from_request_parts(parts: &mut Parts, console: &Arc<Console>) -> Result<Self, Denied> {
        session(console, &CookieJar::from_headers(&parts.headers)).await
    }
}

/// A form posted from one of this session's pages, read into `T`: it carries the session's
/// CSRF token.
struct Posted<T> {
    session: Session,
    form: T,
}

/// The fields of a form, and the CSRF token that comes with them.
#[derive(serde::Deserialize)]
struct Signed<T> {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    form: T,
}

impl<T: DeserializeOwned + Send> FromRequest<Arc<Console>> for Posted<T> {
    type Rejection = Denied;

    async fn from_request(request: Request, console: &Arc<Console>) -> Result<Self, Denied> {
        let (mut parts, body) = request.into_parts();
        let session = Session::from_request_parts(&mut parts, console).await?;
        let request = Request::from_parts(parts, body);
        let Form(signed) = Form::<Signed<T>>::from_request(request, console)
            .await
            .map_err(|rejection| {
                tracing::warn!(%rejection, "a console form could not be read");
                Denied::BadForm
            })?;
        if !auth::same_secret(&signed.csrf, &session.csrf) {
            return Err(Denied::Forbidden(
                Box::new(session),
                "This form has expired or did not come from this console. Go back, reload the page and try again.",
            ));
        }
        Ok(Posted {
            session,
            form: signed.form,
        })
    }
}

/// A form field with the spaces around it dropped; empty when the form has no such field.
fn trimmed<'de, D: serde::Deserializer<'de>>(field: D) -> Result<String, D::Error> {
    let text = <String as serde::Deserialize>::deserialize(field)?;
    Ok(text.trim().to_owned())
}

/// Whether a form is the confirmation of its change (`confirmed=yes`), rather than the ask.
fn is_yes(confirmed: &str) -> bool {
    confirmed == "yes"
}

/// A change: a form posted by an editor.
struct Change<T>(Posted<T>);

impl<T: DeserializeOwned + Send> FromRequest<Arc<Console>> for Change<T> {
    type Rejection = Denied;

    async fn from_request(request: Request, console: &Arc<Console>) -> Result<Self, Denied> {
        let posted = Posted::<T>::from_request(request, console).await?;
        if posted.session.role != Role::Editor {
            return Err(Denied::Forbidden(
                Box::new(posted.session),
                "Your account may look but not change anything. Ask an editor.",
            ));
        }
        Ok(Change(posted))
    }
}

/// Forms are a few fields; anything longer is not one of ours.
const FORM_MAX_BYTES: usize = 64 * 1024;

/// The line whose file defines schedule `index`, and what a new call to it hears first in
/// `ctx`.
fn heard_on_line_of(ctx: &Context<'_>, schedule: usize) -> (String, String) {
    let line = ctx.flows.schedule_line(schedule);
    (ctx.flows.line(line).name.clone(), first_heard(ctx, line))
}

/// What a new call to `line` hears first, in `ctx`.
fn first_heard(ctx: &Context<'_>, line: usize) -> String {
    let input = crate::engine::CallInput {
        to: ctx.flows.line(line).numbers.first().map(|n| n.to_string()),
        ..Default::default()
    };
    let answer = crate::engine::answer(ctx, &crate::engine::Position::Start, &input);
    answer.response.spoken()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_diagram_is_drawn_without_graphviz() {
        let flows = crate::check::load_dir(std::path::Path::new("call-flows")).unwrap();
        let dot = crate::flow::graph::render(
            &flows,
            "doctor-support",
            crate::flow::graph::Format::Dot,
            crate::flow::graph::Readers::Ops,
        )
        .unwrap();
        let svg = super::diagram::layout_svg(&dot).expect("layout-rs draws the shipped flows");
        assert!(svg.starts_with("<svg"), "{}", &svg[..100]);
        assert!(svg.contains("Doctor support line"));
    }
}
