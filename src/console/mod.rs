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
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path as UrlPath, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{NaiveDate, Utc};

use crate::calendar::schedule::{ClosedBecause, Status};
use crate::calendar::{Emergencies, emergency, report, speech};
use crate::engine::Context;
use crate::flow;
use crate::server::App;
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
enum Denied {
    NoSession,
    Forbidden(Box<Session>, &'static str),
}

impl IntoResponse for Denied {
    fn into_response(self) -> Response {
        match self {
            Denied::NoSession => Redirect::to("/login").into_response(),
            Denied::Forbidden(session, why) => refused(StatusCode::FORBIDDEN, Some(&session), why),
        }
    }
}

/// The request's session, if it has one that has not ended.
fn session(console: &Console, headers: &HeaderMap) -> Result<Session, Denied> {
    auth::token_of(headers)
        .and_then(|token| console.sessions.get(&token))
        .ok_or(Denied::NoSession)
}

/// The session of a request that changes something: an editor's, with the session's CSRF
/// token in the form.
fn editor(
    console: &Console,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<Session, Denied> {
    let session = session(console, headers)?;
    let token = form.get("csrf").map_or("", String::as_str);
    if !auth::same_secret(token, &session.csrf) {
        return Err(Denied::Forbidden(
            Box::new(session),
            "This form has expired or did not come from this console. Go back, reload the page and try again.",
        ));
    }
    if session.role != Role::Editor {
        return Err(Denied::Forbidden(
            Box::new(session),
            "Your account may look but not change anything. Ask an editor.",
        ));
    }
    Ok(session)
}

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

async fn log_out(State(console): State<Arc<Console>>, headers: HeaderMap, body: Bytes) -> Response {
    let form = fields(&body);
    let Ok(session) = session(&console, &headers) else {
        return Redirect::to("/login").into_response();
    };
    if !auth::same_secret(form.get("csrf").map_or("", String::as_str), &session.csrf) {
        return refused(
            StatusCode::FORBIDDEN,
            Some(&session),
            "This form did not come from this console.",
        );
    }
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
    headers: HeaderMap,
    Query(notice): Query<Notice>,
) -> Response {
    let session = match session(&console, &headers) {
        Ok(session) => session,
        Err(denied) => return denied.into_response(),
    };
    let app = &console.app;
    let flows = app.flows.load();
    let holidays = app.holidays.load();
    let emergencies = app.emergencies.load();
    let now = app.clock.now();
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
                .map(|s| schedule_now(&flows.schedules[s], &holidays, &emergencies, now))
                .collect(),
            calls: console.today.count(&app.metrics, &flows, &line.id, "calls"),
            outcomes: today::OUTCOMES
                .into_iter()
                .map(|status| {
                    let count = console.today.count(&app.metrics, &flows, &line.id, status);
                    (status, count)
                })
                .collect(),
        })
        .collect();
    let schedules: Vec<pages::ScheduleNow> = flows
        .schedules
        .iter()
        .map(|s| schedule_now(s, &holidays, &emergencies, now))
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

async fn emergency_switch(
    State(console): State<Arc<Console>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = fields(&body);
    let session = match editor(&console, &headers, &form) {
        Ok(session) => session,
        Err(denied) => return denied.into_response(),
    };
    let schedule = form.get("schedule").cloned().unwrap_or_default();
    let note = form.get("note").map_or("", |n| n.trim()).to_owned();
    let close = form.get("action").map(String::as_str) == Some("close");
    if !console
        .app
        .flows
        .load()
        .schedules
        .iter()
        .any(|s| s.name == schedule)
    {
        return refused(
            StatusCode::BAD_REQUEST,
            Some(&session),
            "There is no such schedule.",
        );
    }
    if close && note.is_empty() {
        return refused(
            StatusCode::BAD_REQUEST,
            Some(&session),
            "Say why it must close: the note is for the team.",
        );
    }
    let path = console.emergency_file();
    let before = Emergencies::read_or_last_good(&path).0;
    let changed = tokio::task::spawn_blocking(move || {
        Emergencies::update(&path, |switch| {
            if close {
                switch.close_noting(&schedule, &note, Utc::now());
            } else {
                switch.open(&schedule);
            }
        })
        .map(|updated| (updated.switch, schedule, note))
    })
    .await;
    let (after, schedule, note) = match changed {
        Ok(Ok(done)) => done,
        Ok(Err(error)) => {
            return refused(
                StatusCode::INTERNAL_SERVER_ERROR,
                Some(&session),
                &format!("The switch could not be written: {error}"),
            );
        }
        Err(_) => {
            return refused(
                StatusCode::INTERNAL_SERVER_ERROR,
                Some(&session),
                "The switch could not be written.",
            );
        }
    };
    // This server applies it at once; the others read it within a second or two.
    console.app.emergencies.store(Arc::new(after.clone()));
    let what = format!(
        "emergency {} {schedule}",
        if close { "close" } else { "open" }
    );
    let entry = audit::Entry {
        at: audit::now(),
        who: session.user.clone(),
        what: what.clone(),
        note,
        before: switch_text(&before),
        after: switch_text(&after),
    };
    if let Err(error) = audit::append(&console.state_dir, &entry) {
        tracing::error!(%error, "the console's audit log could not be written");
    }
    tracing::warn!(user = %session.user, %what, "changed from the console");
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

async fn audit_page(State(console): State<Arc<Console>>, headers: HeaderMap) -> Response {
    let session = match session(&console, &headers) {
        Ok(session) => session,
        Err(denied) => return denied.into_response(),
    };
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
    headers: HeaderMap,
    UrlPath(line_id): UrlPath<String>,
    Query(query): Query<TryCall>,
) -> Response {
    let session = match session(&console, &headers) {
        Ok(session) => session,
        Err(denied) => return denied.into_response(),
    };
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

async fn one_off_days(
    State(console): State<Arc<Console>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = fields(&body);
    let session = match editor(&console, &headers, &form) {
        Ok(session) => session,
        Err(denied) => return denied.into_response(),
    };
    let get = |name: &str| form.get(name).map_or("", |v| v.trim()).to_owned();
    let (line, schedule, value) = (get("line"), get("schedule"), get("value"));
    let Some(list) = days::List::named(&get("list")) else {
        return refused(
            StatusCode::BAD_REQUEST,
            Some(&session),
            "Closure days or special hours?",
        );
    };
    let Ok(date) = get("date").parse::<NaiveDate>() else {
        return refused(
            StatusCode::BAD_REQUEST,
            Some(&session),
            "Give the day as a date.",
        );
    };
    let add = get("action") == "add";
    if add && value.is_empty() {
        return refused(StatusCode::BAD_REQUEST, Some(&session), list.asks_for());
    }
    let (flows_dir, by) = (console.flows_dir.clone(), session.user.clone());
    let edit = tokio::task::spawn_blocking(move || {
        days::edit(
            &flows_dir,
            &schedule,
            list,
            date,
            add.then_some(value.as_str()),
        )
    })
    .await
    .unwrap_or_else(|_| Err("the edit failed".into()));
    let edited = match edit {
        Ok(edited) => edited,
        Err(problem) => return refused(StatusCode::BAD_REQUEST, Some(&session), &problem),
    };
    // In force at once here (the other servers reload when their files change).
    let checked = flow::check_dir(&console.flows_dir, Utc::now().date_naive());
    if let Some(flows) = checked.flows {
        let version = flows.version.clone();
        console.app.swap_flows(flows);
        let _ = history::record(&console.state_dir, &console.flows_dir, &version, &by);
    }
    let what = format!(
        "{} {} {date} in {}",
        if add { "add" } else { "remove" },
        list.one(),
        edited.file
    );
    let entry = audit::Entry {
        at: audit::now(),
        who: by.clone(),
        what: what.clone(),
        note: String::new(),
        before: edited.before,
        after: edited.after,
    };
    if let Err(error) = audit::append(&console.state_dir, &entry) {
        tracing::error!(%error, "the console's audit log could not be written");
    }
    tracing::warn!(user = %by, %what, "changed from the console");
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
    headers: HeaderMap,
    Query(compare): Query<Compare>,
) -> Response {
    let session = match session(&console, &headers) {
        Ok(session) => session,
        Err(denied) => return denied.into_response(),
    };
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

async fn roll_back(
    State(console): State<Arc<Console>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = fields(&body);
    let session = match editor(&console, &headers, &form) {
        Ok(session) => session,
        Err(denied) => return denied.into_response(),
    };
    let version = form.get("version").cloned().unwrap_or_default();
    let before = console.app.flows.load().version.clone();
    if let Err(error) = history::roll_back(&console.state_dir, &console.flows_dir, &version) {
        return refused(StatusCode::BAD_REQUEST, Some(&session), &error.to_string());
    }
    let checked = flow::check_dir(&console.flows_dir, Utc::now().date_naive());
    let Some(flows) = checked.flows else {
        return refused(
            StatusCode::INTERNAL_SERVER_ERROR,
            Some(&session),
            &format!(
                "The rolled-back files do not pass the check:\n{}",
                checked.diagnostics
            ),
        );
    };
    let after = flows.version.clone();
    console.app.swap_flows(flows);
    let _ = history::record(
        &console.state_dir,
        &console.flows_dir,
        &after,
        &session.user,
    );
    let entry = audit::Entry {
        at: audit::now(),
        who: session.user.clone(),
        what: format!("roll back the flows to {version}"),
        note: String::new(),
        before,
        after,
    };
    if let Err(error) = audit::append(&console.state_dir, &entry) {
        tracing::error!(%error, "the console's audit log could not be written");
    }
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
