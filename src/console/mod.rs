//! The ops console: the lines at a glance, the emergency switch, closure days, each line's
//! hours and diagram, and the flow versions, from a browser, on a listener of its own
//! (`serve --admin-listen`), served on a thread and runtime of its own so that its file reads
//! and writes never hold up a call. Every page needs a session; every change needs an editor,
//! the session's CSRF token, and is audited.

pub mod audit;
pub mod auth;
pub mod days;
pub mod history;
pub mod pages;
pub mod today;
pub mod users;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

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
use crate::calendar::{Emergencies, emergency, report, speech};
use crate::engine::Context;
use crate::flow;
use crate::server::App;
use crate::server::reload::{Reloaded, Reloader};
use crate::simulate::{self, CallerAction};
use auth::{Session, Sessions, Throttle, Verdict};
use users::Role;

/// What the console needs: the server's state, and where the flows and the state live.
pub struct Console {
    pub app: Arc<App>,
    pub flows_dir: PathBuf,
    pub state_dir: PathBuf,
    /// Cookies are marked Secure when the console is reached over HTTPS.
    pub secure_cookies: bool,
    sessions: Sessions,
    throttle: Throttle,
    today: today::Today,
    /// The live reload's own mechanism, for the changes made here.
    reloader: Mutex<Reloader>,
}

impl Console {
    pub fn new(
        app: Arc<App>,
        flows_dir: PathBuf,
        state_dir: PathBuf,
        secure_cookies: bool,
    ) -> Self {
        Console {
            today: today::Today::new(app.clock.now()),
            reloader: Mutex::new(
                Reloader::new(app.clone(), flows_dir.clone()).noting_history(&state_dir),
            ),
            app,
            flows_dir,
            state_dir,
            secure_cookies,
            sessions: Sessions::default(),
            throttle: Throttle::default(),
        }
    }

    /// Starts today's counts again once the UK day has changed: run every few seconds.
    pub fn roll_over_the_day(&self) {
        let flows = self.app.flows.load();
        self.today
            .roll_over(&self.app.metrics, &flows, self.app.clock.now());
    }

    /// Puts the flow directory in force on this server at once, as live reload does (checked,
    /// counted, logged, noted in the history) but noted as `by` whom: the version in force.
    fn put_in_force(&self, by: &str) -> Result<String, String> {
        let reloaded = self
            .reloader
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .reload_by(by);
        match reloaded {
            Reloaded::Swapped { version } => Ok(version),
            Reloaded::Unchanged => Ok(self.app.flows.load().version.clone()),
            Reloaded::Refused { version } => Err(format!(
                "version {version} of the flows does not load; the server's log has why"
            )),
        }
    }

    /// Notes a change in the audit log, and in the server's log.
    fn audit(&self, session: &Session, what: &str, note: &str, before: String, after: String) {
        let entry = audit::Entry {
            at: audit::now(),
            who: session.user.clone(),
            what: what.to_owned(),
            note: note.to_owned(),
            before,
            after,
        };
        if let Err(error) = audit::append(&self.state_dir, &entry) {
            tracing::error!(%error, "the console's audit log could not be written");
        }
        tracing::warn!(user = %session.user, what, "changed from the console");
    }

    fn emergency_file(&self) -> PathBuf {
        crate::state::emergency_file(&self.state_dir)
    }
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
        .with_state(console)
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

/// Why a request gets no page: it has no session (so goes to the login page), or it asks for a
/// change it may not make.
pub enum Denied {
    NoSession,
    Forbidden(Box<Session>, &'static str),
    BadForm,
}

impl IntoResponse for Denied {
    fn into_response(self) -> Response {
        match self {
            Denied::NoSession => Redirect::to("/login").into_response(),
            Denied::Forbidden(session, why) => refused(StatusCode::FORBIDDEN, Some(&session), why),
            Denied::BadForm => {
                refused(StatusCode::BAD_REQUEST, None, "The form could not be read.")
            }
        }
    }
}

/// The request's session, if it has one that has not ended.
fn session(console: &Console, headers: &HeaderMap) -> Result<Session, Denied> {
    auth::token_of(headers)
        .and_then(|token| console.sessions.get(&token))
        .ok_or(Denied::NoSession)
}

/// Every page but the login asks for a session.
impl FromRequestParts<Arc<Console>> for Session {
    type Rejection = Denied;

    async fn from_request_parts(parts: &mut Parts, console: &Arc<Console>) -> Result<Self, Denied> {
        session(console, &parts.headers)
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

async fn login_page(State(console): State<Arc<Console>>, headers: HeaderMap) -> Response {
    match session(&console, &headers) {
        Ok(_) => Redirect::to("/").into_response(),
        Err(_) => html(pages::login(None)),
    }
}

async fn log_in(
    State(console): State<Arc<Console>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Bytes,
) -> Response {
    let form = fields(&body);
    let name = form
        .get("username")
        .map_or("", String::as_str)
        .trim()
        .to_owned();
    let password = form.get("password").cloned().unwrap_or_default();
    let from = peer.ip();
    match console.throttle.before_try(&name, from) {
        Verdict::Locked => {
            tracing::warn!(%from, "console login refused: too many wrong passwords for one name");
            let problem = "Too many wrong passwords for this user from here. Wait 15 minutes, or ask an editor to set a new password.";
            return (
                StatusCode::TOO_MANY_REQUESTS,
                html(pages::login(Some(problem))),
            )
                .into_response();
        }
        Verdict::After(wait) => tokio::time::sleep(wait).await,
    }
    let state_dir = console.state_dir.clone();
    let (who, secret) = (name.clone(), password);
    // Argon2 takes tens of milliseconds of CPU: off the async workers.
    let (role, known) = tokio::task::spawn_blocking(move || {
        let all = users::load(&state_dir).unwrap_or_default();
        let known = all.iter().any(|u| u.name == who);
        (users::verify(&all, &who, &secret), known)
    })
    .await
    .unwrap_or((None, false));
    let Some(role) = role else {
        console.throttle.failed(&name, from);
        // A name typed is logged only if it is a user's: what else is typed there may be a
        // password put in the wrong field.
        let user = if known { name.as_str() } else { "(not a user)" };
        tracing::warn!(user, %from, "console login refused: wrong user name or password");
        return (
            StatusCode::UNAUTHORIZED,
            html(pages::login(Some("Wrong user name or password."))),
        )
            .into_response();
    };
    console.throttle.succeeded(&name, from);
    let token = console.sessions.start(&name, role);
    tracing::info!(user = %name, role = role.as_str(), "console login");
    (
        [(
            header::SET_COOKIE,
            auth::cookie(&token, console.secure_cookies),
        )],
        Redirect::to("/"),
    )
        .into_response()
}

async fn log_out(
    State(console): State<Arc<Console>>,
    headers: HeaderMap,
    _posted: Posted,
) -> Response {
    if let Some(token) = auth::token_of(&headers) {
        console.sessions.end(&token);
    }
    (
        [(header::SET_COOKIE, auth::cookie("", console.secure_cookies))],
        Redirect::to("/login"),
    )
        .into_response()
}

#[derive(serde::Deserialize)]
struct Notice {
    done: Option<String>,
}

async fn dashboard(
    State(console): State<Arc<Console>>,
    session: Session,
    Query(notice): Query<Notice>,
) -> Response {
    let app = &console.app;
    let flows = app.flows.load();
    let holidays = app.holidays.load();
    let emergencies = app.emergencies.load();
    let now = app.clock.now();
    let today = console.today.counts(&app.metrics, &flows);
    let schedules: Vec<pages::ScheduleNow> = flows
        .schedules
        .iter()
        .map(|s| schedule_now(s, &holidays, &emergencies, now))
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
            calls: today.get(&line.id, "calls"),
            outcomes: today::OUTCOMES
                .into_iter()
                .map(|status| {
                    let count = today.get(&line.id, status);
                    (status, count)
                })
                .collect(),
        })
        .collect();
    let switch_file = console.emergency_file();
    let readers: Vec<pages::ReaderNow> = emergency::Reader::all(&switch_file)
        .into_iter()
        .map(|r| pages::ReaderNow {
            applied: r.has_applied(&emergencies),
            read: r.age(Utc::now()).map_or_else(
                || r.read_at.clone(),
                |age| format!("{} s ago", age.num_seconds()),
            ),
            server: r.server,
            address: r.address,
        })
        .collect();
    let now_said = speech::weekday_date_time(&now.with_timezone(&chrono_tz::Europe::London));
    html(pages::dashboard(
        &session,
        &now_said,
        &console.today.said(),
        &lines,
        &schedules,
        &readers,
        notice.done.as_deref(),
    ))
}

fn schedule_now(
    schedule: &crate::calendar::Schedule,
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
            "" => format!("since {}", c.since),
            note => format!("{note} (since {})", c.since),
        });
    pages::ScheduleNow {
        name: schedule.name.clone(),
        open,
        why,
        next_change,
        // Worth saying only while it is closed, and not known while the switch holds it.
        next_opening: next_opening.filter(|_| !open && emergency_note.is_none()),
        emergency_note,
    }
}

async fn emergency_switch(State(console): State<Arc<Console>>, Change(posted): Change) -> Response {
    let session = &posted.session;
    let (schedule, note) = (posted.field("schedule"), posted.field("note"));
    let close = posted.field("action") == "close";
    let flows = console.app.flows.load();
    if !flows.schedules.iter().any(|s| s.name == schedule) {
        return refused(
            StatusCode::BAD_REQUEST,
            Some(session),
            "There is no such schedule.",
        );
    }
    if close && note.is_empty() {
        let why = "Say why it must close: the note is for the team.";
        return refused(StatusCode::BAD_REQUEST, Some(session), why);
    }
    // Read, changed and written under the switch's lock: `before` is what this change changed.
    let updated = Emergencies::update(&console.emergency_file(), |switch| {
        let before = switch.clone();
        if close {
            switch.close_noting(&schedule, &note, Utc::now());
        } else {
            switch.open(&schedule);
        }
        before
    });
    let (before, after) = match updated {
        Ok(updated) => (updated.result, updated.switch),
        Err(error) => {
            let why = format!("The switch could not be written: {error}");
            return refused(StatusCode::INTERNAL_SERVER_ERROR, Some(session), &why);
        }
    };
    // This server applies it at once; the others read it within a second or two.
    console.app.emergencies.store(Arc::new(after.clone()));
    let action = if close { "close" } else { "open" };
    let what = format!("emergency {action} {schedule}");
    console.audit(
        session,
        &what,
        &note,
        switch_text(&before),
        switch_text(&after),
    );
    let done = if close {
        format!("{schedule} is closed: callers hear its emergency message.")
    } else {
        format!("{schedule} is reopened: it follows its hours again.")
    };
    Redirect::to(&format!("/?done={}", urlencode(&done))).into_response()
}

fn switch_text(switch: &Emergencies) -> String {
    let closed: Vec<String> = switch
        .iter()
        .map(|(name, c)| format!("{name}: closed ({})", c.note))
        .collect();
    if closed.is_empty() {
        "nothing closed".into()
    } else {
        closed.join("\n")
    }
}

fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

async fn audit_page(State(console): State<Arc<Console>>, session: Session) -> Response {
    let entries = audit::latest(&console.state_dir).unwrap_or_default();
    html(pages::audit(&session, &entries))
}

#[derive(serde::Deserialize)]
struct TryCall {
    at: Option<String>,
    keys: Option<String>,
    done: Option<String>,
}

async fn line_page(
    State(console): State<Arc<Console>>,
    session: Session,
    UrlPath(line_id): UrlPath<String>,
    Query(query): Query<TryCall>,
) -> Response {
    let app = &console.app;
    let flows = app.flows.load();
    let Some(index) = flows.lines.iter().position(|l| l.id.as_str() == line_id) else {
        return refused(
            StatusCode::NOT_FOUND,
            Some(&session),
            "There is no such line.",
        );
    };
    let line = &flows.lines[index];
    let (holidays, emergencies, now) =
        (app.holidays.load(), app.emergencies.load(), app.clock.now());
    let schedules = flows.schedules_of(index);
    let hours = match schedules.as_slice() {
        [] => "It answers at all times.".to_owned(),
        _ => schedules
            .iter()
            .map(|s| report::hours(&flows.schedules[*s], &holidays, &emergencies, now, 14))
            .collect::<Vec<_>>()
            .join("\n"),
    };
    let special_hours = schedules
        .iter()
        .map(|s| {
            let schedule = &flows.schedules[*s];
            let days = schedule
                .special_hours
                .iter()
                .map(|(d, hours)| {
                    let hours: Vec<String> = hours
                        .iter()
                        .map(|o| {
                            format!("{}-{}", o.opens.format("%H:%M"), o.closes.format("%H:%M"))
                        })
                        .collect();
                    (d.to_string(), hours.join(", "))
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
                .map(|(d, r)| (d.to_string(), r.clone()))
                .collect();
            (schedule.name.clone(), days)
        })
        .collect();
    let tried = query
        .at
        .as_deref()
        .filter(|at| !at.trim().is_empty())
        .map(|at| {
            let keys = query.keys.clone().unwrap_or_default();
            let heard = match crate::calendar::parse_instant(at.trim()) {
                Err(problem) => problem,
                Ok(instant) => {
                    let ctx = Context {
                        flows: &flows,
                        holidays: &holidays,
                        emergencies: &emergencies,
                        now: instant,
                    };
                    let actions: Vec<CallerAction> = keys
                        .split_whitespace()
                        .map(|k| CallerAction::Press(k.to_owned()))
                        .collect();
                    let to = line.numbers.first().map_or("", |n| n.as_str());
                    simulate::call(&ctx, to, &actions).text()
                }
            };
            (at.to_owned(), keys, heard)
        });
    let dot = flow::graph::render(&flows, &line_id, flow::graph::Format::Dot).unwrap_or_default();
    let diagram = tokio::task::spawn_blocking(move || render_svg(&dot))
        .await
        .unwrap_or_else(|_| Err(String::new()));
    html(pages::line(
        &session,
        &pages::LinePage {
            name: &line.name,
            id: &line_id,
            diagram,
            hours,
            closures,
            special_hours,
            tried,
            notice: query.done,
        },
    ))
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
    let Some(list) = days::List::named(&posted.field("list")) else {
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
    let add = posted.field("action") == "add";
    if add && value.is_empty() {
        return refused(StatusCode::BAD_REQUEST, Some(session), list.asks_for());
    }
    let value = add.then_some(value.as_str());
    let edited = match days::edit(&console.flows_dir, &schedule, list, date, value) {
        Ok(edited) => edited,
        Err(problem) => return refused(StatusCode::BAD_REQUEST, Some(session), &problem),
    };
    // The other servers reload when their files change; this one takes it at once.
    if let Err(problem) = console.put_in_force(&session.user) {
        tracing::error!(%problem, "an edit that passed the check does not load");
    }
    let action = if add { "add" } else { "remove" };
    let what = format!("{action} {} {date} in {}", list.one(), edited.file);
    console.audit(session, &what, "", edited.before, edited.after);
    let done = urlencode(&format!("Done: {what}."));
    Redirect::to(&format!("/lines/{line}?done={done}")).into_response()
}

#[derive(serde::Deserialize)]
struct Compare {
    from: Option<String>,
    to: Option<String>,
}

async fn history_page(
    State(console): State<Arc<Console>>,
    session: Session,
    Query(compare): Query<Compare>,
) -> Response {
    let in_force = console.app.flows.load().version.clone();
    let rows: Vec<pages::VersionRow> = history::latest(&console.state_dir)
        .unwrap_or_default()
        .into_iter()
        .map(|v| pages::VersionRow {
            in_force: v.version == in_force,
            version: v.version,
            at: v.at,
            by: v.by,
        })
        .collect();
    let diff = match (&compare.from, &compare.to) {
        (Some(from), Some(to)) => {
            history::diff(&console.state_dir, from, to).map(|d| (from.as_str(), to.as_str(), d))
        }
        _ => None,
    };
    html(pages::history(
        &session,
        &rows,
        diff.as_ref().map(|(f, t, d)| (*f, *t, d.as_str())),
    ))
}

async fn roll_back(State(console): State<Arc<Console>>, Change(posted): Change) -> Response {
    let session = &posted.session;
    let version = posted.field("version");
    let before = console.app.flows.load().version.clone();
    if let Err(error) = history::roll_back(&console.state_dir, &console.flows_dir, &version) {
        return refused(StatusCode::BAD_REQUEST, Some(session), &error.to_string());
    }
    let after = match console.put_in_force(&session.user) {
        Ok(after) => after,
        Err(problem) => return refused(StatusCode::INTERNAL_SERVER_ERROR, Some(session), &problem),
    };
    let what = format!("roll back the flows to {version}");
    console.audit(session, &what, "", before, after);
    Redirect::to("/history").into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_diagram_is_drawn_without_graphviz() {
        let flows = crate::flow::load_dir(std::path::Path::new("call-flows")).unwrap();
        let dot =
            crate::flow::graph::render(&flows, "doctor-support", crate::flow::graph::Format::Dot)
                .unwrap();
        let svg = super::layout_svg(&dot).expect("layout-rs draws the shipped flows");
        assert!(svg.starts_with("<svg"), "{}", &svg[..100]);
        assert!(svg.contains("Doctor support line"));
    }
}
