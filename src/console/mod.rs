//! The ops console: the lines at a glance, the emergency switch, closure days, each line's
//! hours and diagram, and the flow versions, from a browser, on a listener of its own
//! (`serve --admin-listen`), served on a thread and runtime of its own so that its file reads
//! and writes never hold up a call. Every page needs a session; every change needs an editor,
//! the session's CSRF token, and is audited.

pub mod auth;
pub mod call_backs;
pub mod history;
pub mod pages;
pub mod reports;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{
    ConnectInfo, FromRequest, FromRequestParts, Path as UrlPath, Query, Request, State,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{NaiveDate, Utc};

use crate::calendar::schedule::{ClosedBecause, Status};
use crate::calendar::{DayKind, Emergencies, hours, speech};
use crate::engine::Context;
use crate::flow;
use crate::server::App;
use crate::simulate::{self, CallerAction};
use crate::store::{self, Role, Store, StoreError, ops};
use auth::{Session, Verdict};
use pages::Notice;

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

/// The answer to a change: made, it is in force here, logged, and `said` (what it did, and
/// its undo) on the next page (`to`); not made, the reason.
async fn after_change(
    console: &Console,
    session: &Session,
    made: store::Result<ops::Done>,
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

/// The answer to a change the store refused or could not make.
fn not_made(session: &Session, error: &StoreError) -> Response {
    if error.is_unavailable() {
        tracing::error!(%error, "a change from the console could not be made");
        return refused(StatusCode::SERVICE_UNAVAILABLE, Some(session), STORE_DOWN);
    }
    refused(StatusCode::BAD_REQUEST, Some(session), &error.to_string())
}

pub fn router(console: Arc<Console>) -> Router {
    Router::new()
        .route("/login", get(login_page).post(log_in))
        .route("/logout", post(log_out))
        .route("/", get(dashboard))
        .route("/emergency", post(emergency_switch))
        .route("/lines/{line}", get(line_page))
        .route("/days", post(one_off_days))
        .route("/audit", get(audit_page))
        .route("/history", get(history_page))
        .route("/history/rollback", post(roll_back))
        .route("/call-backs", get(call_backs_page))
        .route("/call-backs/{id}", post(call_back_action))
        .route("/reports", get(reports_page))
        .route("/reports.csv", get(reports_csv))
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

/// The form fields of a POST body.
fn fields(body: &Bytes) -> HashMap<String, String> {
    form_urlencoded::parse(body).into_owned().collect()
}

fn html(markup: maud::Markup) -> Response {
    Html(markup.into_string()).into_response()
}

fn refused(status: StatusCode, session: Option<&Session>, text: &str) -> Response {
    (status, html(pages::message("Not done", session, text, "/"))).into_response()
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
async fn session(console: &Console, headers: &HeaderMap) -> Result<Session, Denied> {
    let token = auth::token_of(headers).ok_or(Denied::NoSession)?;
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
        session(console, &parts.headers).await
    }
}

/// A form posted from one of this session's pages: it carries the session's CSRF token.
struct Posted {
    session: Session,
    form: HashMap<String, String>,
}

impl Posted {
    /// A field, trimmed; "" when it is not there.
    fn field(&self, name: &str) -> String {
        self.form.get(name).map_or("", |v| v.trim()).to_owned()
    }
}

impl FromRequest<Arc<Console>> for Posted {
    type Rejection = Denied;

    async fn from_request(request: Request, console: &Arc<Console>) -> Result<Self, Denied> {
        let (mut parts, body) = request.into_parts();
        let session = Session::from_request_parts(&mut parts, console).await?;
        let body = axum::body::to_bytes(body, FORM_MAX_BYTES)
            .await
            .map_err(|_| Denied::BadForm)?;
        let form = fields(&body);
        let token = form.get("csrf").map_or("", String::as_str);
        if !auth::same_secret(token, &session.csrf) {
            return Err(Denied::Forbidden(
                Box::new(session),
                "This form has expired or did not come from this console. Go back, reload the page and try again.",
            ));
        }
        Ok(Posted { session, form })
    }
}

/// A change: a form posted by an editor.
struct Change(Posted);

impl FromRequest<Arc<Console>> for Change {
    type Rejection = Denied;

    async fn from_request(request: Request, console: &Arc<Console>) -> Result<Self, Denied> {
        let posted = Posted::from_request(request, console).await?;
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

/// The login form, with a fresh token in its cookie and in the form: see [`auth::LOGIN_COOKIE`].
async fn login_page(State(console): State<Arc<Console>>, headers: HeaderMap) -> Response {
    if session(&console, &headers).await.is_ok() {
        return Redirect::to("/").into_response();
    }
    login_form(&console, StatusCode::OK, None)
}

/// The login form with `problem` said above it, answered with `status`.
fn login_form(console: &Console, status: StatusCode, problem: Option<&str>) -> Response {
    let token = auth::random_token();
    (
        status,
        [(
            header::SET_COOKIE,
            auth::login_cookie(&token, console.secure_cookies),
        )],
        html(pages::login(&token, problem)),
    )
        .into_response()
}

async fn log_in(
    State(console): State<Arc<Console>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Denied> {
    let form = fields(&body);
    let sent = form.get("login").map_or("", String::as_str);
    let kept = auth::cookie_value(&headers, auth::LOGIN_COOKIE).unwrap_or_default();
    if kept.is_empty() || !auth::same_secret(sent, &kept) {
        tracing::warn!(from = %peer.ip(), "console login refused: the form did not come from this console");
        let problem = "This form has expired or did not come from this console. Try again.";
        return Ok(login_form(&console, StatusCode::FORBIDDEN, Some(problem)));
    }
    let name = form
        .get("username")
        .map_or("", String::as_str)
        .trim()
        .to_owned();
    let password = form.get("password").cloned().unwrap_or_default();
    let from = peer.ip().to_string();
    let store = &console.store;
    // Counted before it is checked: concurrent guesses cannot all slip under the limit.
    let tried = store
        .login_try(&name, &from, auth::LOCKED_FOR, auth::MAX_TRIES)
        .await?;
    match auth::verdict(tried) {
        Verdict::Locked => {
            tracing::warn!(%from, "console login refused: too many wrong passwords for one name");
            let problem = "Too many wrong passwords for this user from here. Wait 15 minutes, or ask an editor to set a new password.";
            return Ok(login_form(
                &console,
                StatusCode::TOO_MANY_REQUESTS,
                Some(problem),
            ));
        }
        Verdict::After(wait) => tokio::time::sleep(wait).await,
    }
    let all = store.users().await?;
    let known = all.iter().any(|u| u.name == name);
    let (who, secret) = (name.clone(), password);
    let checked = console
        .passwords
        .run(move |verifier| verifier.verify(&all, &who, &secret))
        .await;
    let Ok(role) = checked else {
        tracing::warn!(%from, "console login put off: passwords are being checked for others");
        let problem = "Many people are logging in at once. Try again in a few seconds.";
        let mut answer = login_form(&console, StatusCode::TOO_MANY_REQUESTS, Some(problem));
        let retry = auth::TURN_WITHIN.as_secs().to_string();
        answer.headers_mut().insert(
            header::RETRY_AFTER,
            header::HeaderValue::from_str(&retry).expect("digits"),
        );
        return Ok(answer);
    };
    let Some(role) = role else {
        // A name typed is logged only if it is a user's: what else is typed there may be a
        // password put in the wrong field.
        let user = if known { name.as_str() } else { "(not a user)" };
        tracing::warn!(user, %from, "console login refused: wrong user name or password");
        let problem = "Wrong user name or password.";
        return Ok(login_form(
            &console,
            StatusCode::UNAUTHORIZED,
            Some(problem),
        ));
    };
    let token = auth::random_token();
    store.login_succeeded(&name, &from).await?;
    let csrf = auth::random_token();
    store
        .start_session(&token, &name, &csrf, auth::IDLE, auth::LONGEST)
        .await?;
    tracing::info!(user = %name, role = role.as_str(), "console login");
    Ok((
        [(
            header::SET_COOKIE,
            auth::cookie(&token, console.secure_cookies),
        )],
        Redirect::to("/"),
    )
        .into_response())
}

async fn log_out(
    State(console): State<Arc<Console>>,
    headers: HeaderMap,
    _posted: Posted,
) -> Result<Response, Denied> {
    if let Some(token) = auth::token_of(&headers) {
        console.store.end_session(&token).await?;
    }
    Ok((
        [(header::SET_COOKIE, auth::cookie("", console.secure_cookies))],
        Redirect::to("/login"),
    )
        .into_response())
}

async fn dashboard(
    State(console): State<Arc<Console>>,
    session: Session,
) -> Result<Response, Denied> {
    let notice = notice(&console, &session).await?;
    let app = &console.app;
    let flows = app.flows.load();
    let holidays = app.holidays.load();
    let emergencies = app.emergencies.load();
    let now = app.clock.now();
    // Today's calls from every server's records, the same on each and kept across restarts.
    let today = now.with_timezone(&chrono_tz::Europe::London).date_naive();
    let counted = console
        .store
        .report(today, today, &store::report::lines_of(&flows))
        .await?;
    let schedules: Vec<pages::ScheduleNow> = flows
        .schedules
        .iter()
        .enumerate()
        .map(|(index, s)| {
            let line = flows.line(flows.schedule_line(index)).name.clone();
            schedule_now(s, line, &holidays, &emergencies, now)
        })
        .collect();
    let lines: Vec<pages::LineNow> = flows
        .lines
        .iter()
        .enumerate()
        .map(|(index, line)| pages::LineNow {
            id: line.id.to_string(),
            name: line.name.clone(),
            numbers: line.numbers.iter().map(|n| n.as_str().to_owned()).collect(),
            open_24_7: line.open_24_7,
            schedules: flows
                .schedules_of(index)
                .into_iter()
                .map(|s| schedules[s].clone())
                .collect(),
            today: counted.lines[index].clone(),
        })
        .collect();
    let revision = app.store.revision();
    let readers: Vec<pages::ReaderNow> = console
        .store
        .servers()
        .await?
        .into_iter()
        .map(|r| pages::ReaderNow {
            applied: r.revision >= revision,
            read: format!("{} s ago", r.age(Utc::now()).num_seconds()),
            server: r.server,
            address: r.address,
        })
        .collect();
    let now_said = speech::weekday_date_time(&now.with_timezone(&chrono_tz::Europe::London));
    Ok(html(pages::dashboard(
        &session,
        &now_said,
        &lines,
        &schedules,
        &readers,
        notice.as_ref(),
    )))
}

fn schedule_now(
    schedule: &crate::calendar::Schedule,
    line: String,
    holidays: &crate::calendar::BankHolidays,
    emergencies: &Emergencies,
    now: chrono::DateTime<Utc>,
) -> pages::ScheduleNow {
    let next_opening = schedule
        .next_opening(holidays, now)
        .map(|at| speech::weekday_date_time(&at));
    let (open, why, next_change) = match schedule.status(holidays, emergencies, now) {
        Status::Open { closes_at } => (
            true,
            format!("within its hours ({})", speech::weekly_hours(schedule)),
            format!("It closes {}", speech::weekday_date_time(&closes_at)),
        ),
        Status::Closed(why) => {
            let reason = match &why {
                ClosedBecause::Emergency => "the emergency switch closes it".to_owned(),
                ClosedBecause::Closure(reason) => format!("a closure day: {reason}"),
                ClosedBecause::Holiday(holiday) => format!("a bank holiday: {}", holiday.name),
                ClosedBecause::OutsideHours => {
                    format!("outside its hours ({})", speech::weekly_hours(schedule))
                }
            };
            let next = match (&why, &next_opening) {
                (ClosedBecause::Emergency, _) => {
                    "It stays closed until someone reopens it".to_owned()
                }
                (_, Some(opening)) => format!("It opens {opening}"),
                (_, None) => "No opening is set in the next year".to_owned(),
            };
            (false, reason, next)
        }
    };
    let emergency_note = emergencies
        .get(&schedule.name)
        .map(|c| match c.note.as_str() {
            "" => format!("since {}", pages::uk_words(&c.since)),
            note => format!("{note} (since {})", pages::uk_words(&c.since)),
        });
    pages::ScheduleNow {
        name: schedule.name.clone(),
        line,
        open,
        why,
        next_change,
        // Worth saying only while it is closed, and not known while the switch holds it.
        next_opening: next_opening.filter(|_| !open && emergency_note.is_none()),
        emergency_note,
    }
}

/// What a new call to each line that follows `schedule` hears first, were the switch thrown
/// (`close`) or lifted now: (line name, the words).
fn heard_if_switched(console: &Console, schedule: &str, close: bool) -> Option<(String, String)> {
    let app = &console.app;
    let flows = app.flows.load();
    let holidays = app.holidays.load();
    let mut emergencies = Emergencies::clone(&app.emergencies.load());
    if close {
        let closure = crate::calendar::EmergencyClosure {
            since: String::new(),
            note: String::new(),
        };
        emergencies.close(schedule, closure);
    } else {
        emergencies.open(schedule);
    }
    let ctx = Context {
        flows: &flows,
        holidays: &holidays,
        emergencies: &emergencies,
        now: app.clock.now(),
    };
    let index = flows.schedules.iter().position(|s| s.name == schedule)?;
    Some(heard_on_line_of(&ctx, index))
}

/// What a new call hears first at noon (UK time) on `change.date`, on the line whose
/// schedule it is, once the change is made (the day added with its value, or removed).
fn heard_on_day(console: &Console, change: &pages::DayChange<'_>) -> Option<(String, String)> {
    use chrono::TimeZone as _;
    let app = &console.app;
    let mut flows = flow::Flows::clone(&app.flows.load());
    let index = flows
        .schedules
        .iter()
        .position(|s| s.name == change.schedule)?;
    let schedule = &mut flows.schedules[index];
    schedule.closures.remove(&change.date);
    schedule.special_hours.remove(&change.date);
    if let Some(value) = change.value {
        let day = crate::calendar::OneOffDay {
            schedule: change.schedule.to_owned(),
            day: change.date,
            kind: change.kind,
            value: value.to_owned(),
            added_by: String::new(),
            added_at: String::new(),
        };
        flows = flows.with_days(&[day]).0;
    }
    let noon = change.date.and_hms_opt(12, 0, 0).expect("noon exists");
    let at = chrono_tz::Europe::London
        .from_local_datetime(&noon)
        .earliest()?;
    let (holidays, emergencies) = (app.holidays.load(), app.emergencies.load());
    let ctx = Context {
        flows: &flows,
        holidays: &holidays,
        emergencies: &emergencies,
        now: at.with_timezone(&Utc),
    };
    Some(heard_on_line_of(&ctx, index))
}

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

/// Version `version` of the flows as a server would serve it now: checked, with the days
/// added at run time.
async fn version_flows(console: &Console, version: &str) -> Result<flow::Flows, StoreError> {
    let files =
        console.store.flow_files(version).await?.ok_or_else(|| {
            StoreError::Refused("That version is not kept in the store.".to_owned())
        })?;
    let checked = crate::check::check_named(&files, console.app.clock.now().date_naive());
    let Some(flows) = checked.flows else {
        return Err(StoreError::Refused(
            "That version no longer passes the check, so it cannot be put in force.".to_owned(),
        ));
    };
    let days = console.store.days().await?;
    Ok(flows.with_days(&days).0)
}

/// A version as people know it: "version 3" (its hash is for engineers).
async fn version_name(console: &Console, version: &str) -> Result<String, StoreError> {
    Ok(match console.store.version_number(version).await? {
        Some(number) => crate::store::version_name(number),
        None => "the flow files as read at start".to_owned(),
    })
}

/// For a roll-back to `version`: each line, what a new call hears first now, and after it.
async fn heard_after_roll_back(
    console: &Console,
    version: &str,
) -> Result<Vec<pages::HeardBeforeAfter>, StoreError> {
    let target = version_flows(console, version).await?;
    Ok(heard_in(console, &console.app.flows.load(), &target))
}

/// Each line of `before`: what a new call hears first now in it, and in `after`.
fn heard_in(
    console: &Console,
    before: &flow::Flows,
    after: &flow::Flows,
) -> Vec<pages::HeardBeforeAfter> {
    let app = &console.app;
    let (holidays, emergencies) = (app.holidays.load(), app.emergencies.load());
    let now = app.clock.now();
    let ctx = |flows| Context {
        flows,
        holidays: &holidays,
        emergencies: &emergencies,
        now,
    };
    before
        .lines
        .iter()
        .enumerate()
        .map(|(index, line)| pages::HeardBeforeAfter {
            line: line.name.clone(),
            now: first_heard(&ctx(before), index),
            after: after
                .line_index(&line.id)
                .map(|i| first_heard(&ctx(after), i)),
        })
        .collect()
}

async fn emergency_switch(State(console): State<Arc<Console>>, Change(posted): Change) -> Response {
    let session = &posted.session;
    let (schedule, note) = (posted.field("schedule"), posted.field("note"));
    let close = posted.field("action") == "close";
    let flows = console.app.flows.load();
    // Before the change, and again with the problem if it is refused: what callers will hear
    // from now, and the reason asked for.
    let ask = |problem: Option<&str>| {
        let heard = heard_if_switched(&console, &schedule, close);
        let page = pages::confirm_switch(session, &schedule, close, &note, heard.as_ref(), problem);
        let status = problem.map_or(StatusCode::OK, |_| StatusCode::UNPROCESSABLE_ENTITY);
        (status, html(page)).into_response()
    };
    if posted.field("confirmed") != "yes" {
        return ask(None);
    }
    let made = ops::throw_switch(
        &console.store,
        &session.user,
        &flows,
        &schedule,
        close,
        &note,
    )
    .await;
    if let Err(error) = &made
        && !error.is_unavailable()
    {
        return ask(Some(&error.to_string()));
    }
    let line = flows.schedule_line_name(&schedule).to_owned();
    // The wall clock, as the store stamps the switch (a server's pinned `--now` is for calls).
    let at = pages::uk_time(chrono::Utc::now());
    after_change(&console, session, made, "/", |_| {
        let fields = [("schedule", schedule.as_str())];
        if close {
            Notice::said(format!(
                "The {line} is closed from {at} until it is reopened."
            ))
            .with_undo("Reopen it", "/emergency", &[fields[0], ("action", "open")])
        } else {
            Notice::said(format!(
                "The {line} was reopened at {at}: its hours decide again."
            ))
            .with_undo(
                "Close it again",
                "/emergency",
                &[fields[0], ("action", "close")],
            )
        }
    })
    .await
}

/// How many of the latest changes the Changes page shows (older ones stay in the store).
const CHANGES_SHOWN: usize = 500;

async fn audit_page(
    State(console): State<Arc<Console>>,
    session: Session,
) -> Result<Response, Denied> {
    let mut entries = console.store.audit(CHANGES_SHOWN as i64 + 1).await?;
    let older_not_shown = entries.len() > CHANGES_SHOWN;
    entries.truncate(CHANGES_SHOWN);
    Ok(html(pages::audit(&session, &entries, older_not_shown)))
}

#[derive(serde::Deserialize)]
struct TryCall {
    /// When the call is made: UK time as a browser's date-and-time field gives it
    /// (`2026-12-24T10:00`), or an RFC 3339 instant; blank for now.
    at: Option<String>,
    /// What the caller does, in order, comma-separated: keys ("3") or words ("peer support").
    does: Option<String>,
    /// Set when the form was sent: the call is then played.
    play: Option<String>,
}

/// When a call tried on the console is made: `text` as UK time (`2026-12-24T10:00`) or an
/// RFC 3339 instant, `now` when blank.
fn try_call_at(text: &str, now: chrono::DateTime<Utc>) -> Result<chrono::DateTime<Utc>, String> {
    use chrono::TimeZone as _;
    let text = text.trim();
    if text.is_empty() {
        return Ok(now);
    }
    if let Ok(instant) = crate::calendar::parse_instant(text) {
        return Ok(instant);
    }
    let local = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M").map_err(|_| {
        format!("{text:?} is not a date and time: give them as 24 December 2026, 10:00")
    })?;
    chrono_tz::Europe::London
        .from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| format!("{text} does not exist in UK time: the clocks went forward then"))
}

/// What the caller does, from "3, peer support, 1": keys, or words.
fn caller_actions(text: &str) -> Vec<CallerAction> {
    text.split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|a| {
            if a.chars()
                .all(|c| c.is_ascii_digit() || c == '*' || c == '#')
            {
                CallerAction::Press(a.to_owned())
            } else {
                CallerAction::Say(a.to_owned())
            }
        })
        .collect()
}

async fn line_page(
    State(console): State<Arc<Console>>,
    session: Session,
    UrlPath(line_id): UrlPath<String>,
    Query(query): Query<TryCall>,
) -> Result<Response, Denied> {
    line_page_with(&console, &session, &line_id, query, None).await
}

/// A line's page; with `problem`, the day form it names shows it beside its field and keeps
/// what was typed.
async fn line_page_with(
    console: &Console,
    session: &Session,
    line_id: &str,
    query: TryCall,
    problem: Option<pages::DayProblem>,
) -> Result<Response, Denied> {
    let app = &console.app;
    let flows = app.flows.load();
    let Some(index) = flows.lines.iter().position(|l| l.id.as_str() == line_id) else {
        return Ok(refused(
            StatusCode::NOT_FOUND,
            Some(session),
            "There is no such line.",
        ));
    };
    let line = &flows.lines[index];
    let (holidays, emergencies, now) =
        (app.holidays.load(), app.emergencies.load(), app.clock.now());
    // Its own hours, closure days and special hours; another line's it only tells callers of.
    let schedules = flows.own_schedules(index);
    let depends_on: Vec<(String, String)> = {
        let mut lines: Vec<usize> = flows
            .schedules_of(index)
            .into_iter()
            .filter(|s| !schedules.contains(s))
            .map(|s| flows.schedule_line(s))
            .collect();
        lines.dedup();
        lines
            .into_iter()
            .map(|l| (flows.line(l).name.clone(), flows.line(l).id.to_string()))
            .collect()
    };
    let added = console.store.days().await?;
    let run_time = |schedule: &str, day: NaiveDate| {
        added.iter().any(|d| d.schedule == schedule && d.day == day)
    };
    let hours = match schedules.as_slice() {
        [] if line.open_24_7 => pages::Hours::Always("It answers around the clock."),
        [] => pages::Hours::Always("It answers at all times."),
        _ => pages::Hours::Schedules(
            schedules
                .iter()
                .map(|s| {
                    let schedule = &flows.schedules[*s];
                    let state =
                        schedule_now(schedule, line.name.clone(), &holidays, &emergencies, now);
                    let days = hours::days_in_words(schedule, &holidays, now, 14);
                    (state, days)
                })
                .collect(),
        ),
    };
    let special_hours = schedules
        .iter()
        .map(|s| {
            let schedule = &flows.schedules[*s];
            let days = schedule
                .special_hours
                .iter()
                .map(|(d, hours)| {
                    let run_time = run_time(&schedule.name, *d);
                    let hours: Vec<String> = hours
                        .iter()
                        .map(|o| {
                            format!("{}-{}", o.opens.format("%H:%M"), o.closes.format("%H:%M"))
                        })
                        .collect();
                    (d.to_string(), hours.join(", "), run_time)
                })
                .collect();
            (schedule.name.clone(), days)
        })
        .collect();
    let closures = schedules
        .iter()
        .map(|s| {
            let schedule = &flows.schedules[*s];
            let days = schedule
                .closures
                .iter()
                .map(|(d, r)| (d.to_string(), r.clone(), run_time(&schedule.name, *d)))
                .collect();
            (schedule.name.clone(), days)
        })
        .collect();
    let played = query.play.is_some() || query.at.is_some();
    let tried = played.then(|| {
        let (at_text, does) = (query.at.clone().unwrap_or_default(), query.does.clone());
        let does = does.unwrap_or_default();
        let heard = match try_call_at(&at_text, now) {
            Err(problem) => Err(problem),
            Ok(instant) => {
                let ctx = Context {
                    flows: &flows,
                    holidays: &holidays,
                    emergencies: &emergencies,
                    now: instant,
                };
                let to = line.numbers.first().map_or("", |n| n.as_str());
                let call = simulate::call(&ctx, to, &caller_actions(&does)).text();
                Ok((call_backs::uk_time(instant), call))
            }
        };
        pages::TriedCall {
            at: at_text,
            does,
            heard,
        }
    });
    let dot = flow::graph::render(
        &flows,
        line_id,
        flow::graph::Format::Dot,
        flow::graph::Readers::Ops,
    )
    .unwrap_or_default();
    let diagram = tokio::task::spawn_blocking(move || render_svg(&dot))
        .await
        .unwrap_or_else(|_| Err(String::new()));
    Ok(html(pages::line(
        session,
        &pages::LinePage {
            name: &line.name,
            id: line_id,
            diagram,
            hours,
            depends_on,
            closures,
            special_hours,
            tried,
            notice: notice(console, session).await?,
            problem,
            walk_through: walk_through(&flows, index),
        },
    )))
}

/// The line's steps in the order a caller meets them: from the first step, each step's ways
/// on in turn (breadth first); steps no call reaches from there last, in file order.
fn in_call_order(flows: &flow::Flows, line: usize) -> Vec<usize> {
    let this = flows.line(line);
    let mut order = Vec::with_capacity(this.steps.len());
    let mut queue = std::collections::VecDeque::from([this.start]);
    while let Some(at) = queue.pop_front() {
        if at.line != line || order.contains(&at.step) {
            continue;
        }
        order.push(at.step);
        queue.extend(flows.step(at).kind.exits().into_iter().map(|exit| exit.to));
    }
    order.extend(
        (0..this.steps.len())
            .filter(|step| !order.contains(step))
            .collect::<Vec<_>>(),
    );
    order
}

/// The line's steps in words, for the text beside the diagram: each step's title, what it
/// does, and where a caller goes from it.
fn walk_through(flows: &flow::Flows, line: usize) -> Vec<pages::WalkStep> {
    let title = |at: flow::StepRef| {
        let step = flow::step_title(&flows.step(at).id);
        if at.line == line {
            step
        } else {
            format!("{} (the {})", step, flows.line(at.line).name)
        }
    };
    in_call_order(flows, line)
        .into_iter()
        .map(|index| {
            let at = flow::StepRef { line, step: index };
            let step = flows.step(at);
            let does = match &step.kind {
                flow::StepKind::Say { message, .. } => {
                    format!("Says: “{}”", message.in_words())
                }
                flow::StepKind::Menu(menu) => format!("Asks: “{}”", menu.prompt.in_words()),
                flow::StepKind::Dial(dial) => {
                    format!(
                        "Puts the caller through to {}, ringing for {} seconds.",
                        dial.number, dial.ring_seconds
                    )
                }
                flow::StepKind::Hours { .. } => {
                    let schedule = step
                        .schedule
                        .map_or("its schedule", |s| flows.schedules[s].name.as_str());
                    format!("Checks whether {schedule} is open now.")
                }
                flow::StepKind::Origin { .. } => {
                    "Checks whether the call started on a line open around the clock.".to_owned()
                }
                flow::StepKind::Hangup {
                    message: Some(message),
                } => format!("Says: “{}”, and ends the call.", message.in_words()),
                flow::StepKind::Hangup { message: None } => "Ends the call.".to_owned(),
                flow::StepKind::CallBack { .. } => {
                    "Takes a number for the team to call back, and says from when.".to_owned()
                }
            };
            let mut ways: Vec<(String, String)> = step
                .kind
                .exits()
                .into_iter()
                .map(|exit| (exit.label, title(exit.to)))
                .collect();
            if let flow::StepKind::Dial(_) = step.kind {
                ways.insert(
                    0,
                    (
                        "answered".to_owned(),
                        "the caller talks to that person".to_owned(),
                    ),
                );
            }
            pages::WalkStep {
                id: step.id.to_string(),
                title: title(at),
                does,
                ways,
            }
        })
        .collect()
}

/// The DOT diagram as SVG: by Graphviz's `dot` where it is installed (it lays graphs out best),
/// else by the pure-Rust `layout-rs`, so a server with no Graphviz (a container) still draws
/// it; the DOT itself only if neither can.
fn render_svg(dot: &str) -> Result<String, String> {
    graphviz_svg(dot)
        .or_else(|| layout_svg(dot))
        .ok_or_else(|| dot.to_owned())
}

fn graphviz_svg(dot: &str) -> Option<String> {
    use std::io::Write as _;
    let mut child = std::process::Command::new("dot")
        .arg("-Tsvg")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(dot.as_bytes());
    }
    let out = child
        .wait_with_output()
        .ok()
        .filter(|o| o.status.success())?;
    let svg = String::from_utf8_lossy(&out.stdout);
    // The SVG element alone, without the XML prologue and doctype.
    svg.find("<svg").map(|at| svg[at..].to_owned())
}

fn layout_svg(dot: &str) -> Option<String> {
    let graph = layout::gv::DotParser::new(dot).process().ok()?;
    let mut builder = layout::gv::GraphBuilder::new();
    builder.visit_graph(&graph);
    let mut writer = layout::backends::svg::SVGWriter::new();
    builder.get().do_it(false, false, false, &mut writer);
    let svg = writer.finalize();
    svg.find("<svg").map(|at| svg[at..].to_owned())
}

async fn one_off_days(State(console): State<Arc<Console>>, Change(posted): Change) -> Response {
    let session = &posted.session;
    let (line, schedule, value) = (
        posted.field("line"),
        posted.field("schedule"),
        posted.field("value"),
    );
    let Some(kind) = DayKind::named(&posted.field("list")) else {
        return refused(
            StatusCode::BAD_REQUEST,
            Some(session),
            "Closure days or special hours?",
        );
    };
    let Ok(date) = posted.field("date").parse::<NaiveDate>() else {
        return refused(
            StatusCode::BAD_REQUEST,
            Some(session),
            "Give the day as a date.",
        );
    };
    let (flows, holidays) = (console.app.flows.load(), console.app.holidays.load());
    let add = posted.field("action") == "add";
    // A day that cannot be added is said beside its field, with what was typed kept, on the
    // line's own page: when first asked, or if the store then refuses it.
    let beside_field = |message: String| async {
        let problem = pages::DayProblem {
            list: kind,
            schedule: schedule.clone(),
            date: date.to_string(),
            value: value.clone(),
            message,
        };
        let query = TryCall {
            at: None,
            does: None,
            play: None,
        };
        match line_page_with(&console, session, &line, query, Some(problem)).await {
            Ok(page) => (StatusCode::UNPROCESSABLE_ENTITY, page).into_response(),
            Err(denied) => denied.into_response(),
        }
    };
    let checked = match add {
        true => match ops::day_value(&flows, &holidays, &schedule, date, kind, &value) {
            Ok(value) => Some(value),
            Err(error) => return beside_field(error.to_string()).await,
        },
        false => None,
    };
    let change = pages::DayChange {
        line: &line,
        schedule: &schedule,
        kind,
        date,
        value: checked.as_deref(),
    };
    if posted.field("confirmed") != "yes" {
        // Before the change: the reason as it will be spoken, and what a caller hears that day.
        let heard = heard_on_day(&console, &change);
        return html(pages::confirm_day(session, &change, heard.as_ref()));
    }
    // What the day held before, so that a removal can be undone (a store that does not
    // answer refuses the change itself just after).
    let removed = match add {
        true => None,
        false => console.store.days().await.ok().and_then(|days| {
            days.into_iter()
                .find(|d| d.schedule == schedule && d.day == date && d.kind == kind)
                .map(|d| d.value)
        }),
    };
    let made = ops::edit_day(
        &console.store,
        &session.user,
        &flows,
        &holidays,
        &schedule,
        date,
        kind,
        change.value,
    )
    .await;
    if let Err(error) = &made
        && add
        && !error.is_unavailable()
    {
        return beside_field(error.to_string()).await;
    }
    let date = date.to_string();
    let fields = [
        ("line", line.as_str()),
        ("schedule", schedule.as_str()),
        ("list", kind.as_str()),
        ("date", date.as_str()),
    ];
    after_change(&console, session, made, &format!("/lines/{line}"), |done| {
        let said = Notice::said(&done.said);
        match (add, &removed) {
            (true, _) => said.with_undo(
                "Remove it",
                "/days",
                &[&fields[..], &[("action", "remove")]].concat(),
            ),
            (false, Some(value)) => said.with_undo(
                "Add it back",
                "/days",
                &[&fields[..], &[("action", "add"), ("value", value.as_str())]].concat(),
            ),
            (false, None) => said,
        }
    })
    .await
}

#[derive(serde::Deserialize)]
struct Compare {
    from: Option<String>,
    to: Option<String>,
}

/// How many of the latest versions the Versions page shows (older ones stay in the store).
const VERSIONS_SHOWN: usize = 100;

async fn history_page(
    State(console): State<Arc<Console>>,
    session: Session,
    Query(compare): Query<Compare>,
) -> Result<Response, Denied> {
    let in_force = console.app.flows.load().version.clone();
    // One more than is shown, so the oldest shown can say what changed since the one before.
    let history = console
        .store
        .flow_history(VERSIONS_SHOWN as i64 + 1)
        .await?;
    // Each version's files, read once: each row says what changed since the row below it.
    let mut files = std::collections::HashMap::new();
    for v in &history {
        if !files.contains_key(&v.version) {
            let kept = console.store.flow_files(&v.version).await?;
            files.insert(v.version.clone(), kept.unwrap_or_default());
        }
    }
    let changes = |i: usize| match history.get(i + 1) {
        Some(older) => {
            flow::changes::described(&files[&older.version], &files[&history[i].version])
        }
        None => vec!["The first version kept.".to_owned()],
    };
    // Only the latest entry is in force: a version put in force again appears twice.
    let rows: Vec<pages::VersionRow> = history
        .iter()
        .take(VERSIONS_SHOWN)
        .enumerate()
        .map(|(i, v)| pages::VersionRow {
            in_force: i == 0 && v.version == in_force,
            can_roll_back: v.version != in_force,
            version: v.version.clone(),
            number: v.number,
            at: v.at.clone(),
            by: v.by.clone(),
            changes: changes(i),
        })
        .collect();
    let compared = match (&compare.from, &compare.to) {
        (Some(from), Some(to)) => {
            // What callers hear in each, where both still pass the check.
            let heard = match (
                version_flows(&console, from).await,
                version_flows(&console, to).await,
            ) {
                (Ok(before), Ok(after)) => heard_in(&console, &before, &after),
                _ => Vec::new(),
            };
            let (from_name, to_name) = (
                version_name(&console, from).await?,
                version_name(&console, to).await?,
            );
            let files = history::diff(&console.store, (from, to), (&from_name, &to_name)).await?;
            files.map(|diff| pages::Compared {
                from: from.clone(),
                to: to.clone(),
                from_name,
                to_name,
                heard,
                diff,
            })
        }
        _ => None,
    };
    Ok(html(pages::history(
        &session,
        &rows,
        history.len() > VERSIONS_SHOWN,
        compared.as_ref(),
        notice(&console, &session).await?.as_ref(),
    )))
}

async fn roll_back(State(console): State<Arc<Console>>, Change(posted): Change) -> Response {
    let session = &posted.session;
    let (console, version, why) = (&console, &posted.field("version"), &posted.field("note"));
    // Before the change, and again with the problem if it is refused: what callers will
    // hear, now and after it, and the reason asked for.
    let ask = |problem: Option<String>| async move {
        let asked = async {
            let heard = heard_after_roll_back(console, version).await?;
            Ok::<_, StoreError>((version_name(console, version).await?, heard))
        };
        match asked.await {
            Ok((name, heard)) => {
                let page = pages::confirm_roll_back(
                    session,
                    version,
                    &name,
                    why,
                    &heard,
                    problem.as_deref(),
                );
                let status = problem.map_or(StatusCode::OK, |_| StatusCode::UNPROCESSABLE_ENTITY);
                (status, html(page)).into_response()
            }
            Err(error) => not_made(session, &error),
        }
    };
    if posted.field("confirmed") != "yes" {
        return ask(None).await;
    }
    let before = console.app.flows.load().version.clone();
    // Named first: once the change is made, the notice must not depend on another read.
    let names = async {
        Ok::<_, StoreError>((
            version_name(console, version).await?,
            version_name(console, &before).await?,
        ))
    };
    let (name, before_name) = match names.await {
        Ok(names) => names,
        Err(error) => return not_made(session, &error),
    };
    let made = ops::roll_back(&console.store, &session.user, version, why).await;
    if let Err(error) = &made
        && !error.is_unavailable()
    {
        return ask(Some(error.to_string())).await;
    }
    after_change(console, session, made, "/history", |_| {
        Notice::said(format!(
            "{} is in force on every server; {before_name} was until now.",
            flow::capitalised(&name)
        ))
        .with_undo(
            &format!("Put {before_name} back"),
            "/history/rollback",
            &[("version", before.as_str())],
        )
    })
    .await
}

async fn call_backs_page(
    State(console): State<Arc<Console>>,
    session: Session,
) -> Result<Response, Denied> {
    let notice = notice(&console, &session).await?;
    let requests = console.store.call_backs(true).await?;
    let flows = console.app.flows.load();
    let holidays = console.app.holidays.load();
    let now = console.app.clock.now();
    let aim = console.call_back_aim;
    let rows: Vec<call_backs::Row> = requests
        .iter()
        .map(|r| call_backs::Row::of(r, &session, &flows, &holidays, aim, now))
        .collect();
    Ok(html(call_backs::queue(
        &session,
        &rows,
        aim,
        notice.as_ref(),
    )))
}

async fn call_back_action(
    State(console): State<Arc<Console>>,
    UrlPath(id): UrlPath<i64>,
    Change(posted): Change,
) -> Response {
    use store::call_backs::Closing;
    let session = &posted.session;
    let action = match posted.field("action").as_str() {
        "claim" => ops::CallBackAction::Claim,
        "no-answer" => ops::CallBackAction::NoAnswer,
        "called-back" => ops::CallBackAction::Close(Closing::CalledBack),
        "closed" => ops::CallBackAction::Close(Closing::Closed),
        _ => return refused(StatusCode::BAD_REQUEST, Some(session), "No such action."),
    };
    let note = posted.field("note");
    let made = ops::act_on_call_back(&console.store, &session.user, id, action, &note).await;
    after_change(&console, session, made, "/call-backs", |done| {
        Notice::said(&done.said)
    })
    .await
}

#[derive(serde::Deserialize)]
struct ReportQuery {
    from: Option<String>,
    to: Option<String>,
    line: Option<String>,
    table: Option<String>,
}

/// The report the page or a download asks for (the last 7 days, all lines, by default): what
/// was asked, the lines to choose from, and the report or why there is none.
async fn report_for(
    console: &Console,
    query: &ReportQuery,
) -> Result<
    (
        reports::Asked,
        Vec<(String, String)>,
        Result<store::report::Report, String>,
    ),
    Denied,
> {
    let today = console
        .app
        .clock
        .now()
        .with_timezone(&chrono_tz::Europe::London)
        .date_naive();
    let asked = reports::Asked {
        from: query
            .from
            .clone()
            .unwrap_or_else(|| (today - chrono::Duration::days(6)).to_string()),
        to: query.to.clone().unwrap_or_else(|| today.to_string()),
        line: query.line.clone().unwrap_or_default(),
    };
    let flows = console.app.flows.load();
    let lines = store::report::lines_of(&flows);
    let chosen: Vec<(String, String)> = lines
        .iter()
        .filter(|(id, _)| asked.line.is_empty() || *id == asked.line)
        .cloned()
        .collect();
    let report = match reports::range(&asked) {
        Err(problem) => Err(problem),
        Ok(_) if chosen.is_empty() => Err("There is no such line.".to_owned()),
        Ok((from, to)) => Ok(console.store.report(from, to, &chosen).await?),
    };
    Ok((asked, lines, report))
}

async fn reports_page(
    State(console): State<Arc<Console>>,
    session: Session,
    Query(query): Query<ReportQuery>,
) -> Result<Response, Denied> {
    let (asked, lines, report) = report_for(&console, &query).await?;
    let status = match report {
        Ok(_) => StatusCode::OK,
        Err(_) => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let page = reports::page(
        &session,
        &asked,
        &lines,
        report.as_ref().map_err(String::as_str),
    );
    Ok((status, html(page)).into_response())
}

async fn reports_csv(
    State(console): State<Arc<Console>>,
    session: Session,
    Query(query): Query<ReportQuery>,
) -> Result<Response, Denied> {
    let (asked, _, report) = report_for(&console, &query).await?;
    let table = query.table.as_deref().unwrap_or("summary");
    let report = match report {
        Ok(report) => report,
        Err(problem) => {
            return Ok(refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(&session),
                &problem,
            ));
        }
    };
    let Some(csv) = reports::table_csv(&report, table) else {
        return Ok(refused(
            StatusCode::NOT_FOUND,
            Some(&session),
            "There is no such table.",
        ));
    };
    let name = format!("switchboard-{table}-{}-to-{}.csv", asked.from, asked.to);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        csv,
    )
        .into_response())
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
        let svg = super::layout_svg(&dot).expect("layout-rs draws the shipped flows");
        assert!(svg.starts_with("<svg"), "{}", &svg[..100]);
        assert!(svg.contains("Doctor support line"));
    }
}
