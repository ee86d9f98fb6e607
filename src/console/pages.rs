//! The console's pages, rendered on the server with `maud` (which escapes every value): no
//! script, no asset from anywhere else, readable on a phone.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::auth::Session;
use crate::calendar::DayKind;
use crate::store::{AuditEntry as Entry, Role};

/// Plain, large, high-contrast; the focus is always visible for keyboard use.
const STYLE: &str = "
*{box-sizing:border-box}
body{font:1.05rem/1.5 system-ui,sans-serif;margin:0;color:#111;background:#fff}
header{background:#0b3d61;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;align-items:center}
header a{color:#fff}header form{margin-left:auto}
main{padding:1rem;max-width:60rem}
h1{font-size:1.5rem;margin:.2rem 0 1rem}h2{font-size:1.2rem;margin:1.4rem 0 .4rem}
section.line{border:2px solid #444;border-radius:.4rem;padding:.6rem 1rem;margin:1rem 0}
.open{color:#05602b;font-weight:700}.closed{color:#a50e0e;font-weight:700}
label{display:block;margin:.5rem 0 .2rem;font-weight:600}
input,select,button{font:inherit;padding:.45rem .6rem;border:2px solid #444;border-radius:.3rem}
input[type=text],input[type=password],input[type=date],input[type=datetime-local]{width:100%;max-width:24rem;box-sizing:border-box}
button{background:#0b3d61;color:#fff;border-color:#0b3d61;cursor:pointer;margin:.4rem .4rem .4rem 0}
button.danger{background:#a50e0e;border-color:#a50e0e}
:focus-visible{outline:3px solid #f5a300;outline-offset:2px}
table{border-collapse:collapse;width:100%}
main{overflow-wrap:break-word}td,th{overflow-wrap:anywhere;border-bottom:1px solid #bbb;padding:.3rem;text-align:left;vertical-align:top}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f3f3f3;padding:.6rem}
.notice{border-left:6px solid #0b3d61;padding:.4rem .8rem;background:#eef4f8}
.problem{border-left:6px solid #a50e0e;padding:.4rem .8rem;background:#fbeeee}
.zoom{border:0;padding:0;margin:0 0 .4rem}.zoom span{display:inline-block;margin-right:1rem}.zoom label{display:inline;font-weight:400}
.diagram{overflow:auto;max-height:85vh;border:1px solid #bbb}
.diagram svg{display:block;width:100%;height:auto;max-width:none}
main:has(#zoom-read:checked) .diagram svg{width:auto}
main:has(#zoom-large:checked) .diagram svg{width:auto;zoom:1.5}
.chart{display:block;max-width:100%;height:auto;margin:.4rem 0}
.wide{overflow-x:auto}.wide td,.wide th{overflow-wrap:normal;min-width:3rem}
details{margin:.4rem 0}summary{cursor:pointer}
.now{display:flex;flex-direction:column}
@media (max-width:40rem){.now>.switches{order:-1}}
";

/// "Saturday 5 December 2026, 2:00pm", in UK time.
pub fn uk_time(at: chrono::DateTime<chrono::Utc>) -> String {
    use crate::calendar::speech;
    use chrono::{Datelike, Timelike};
    let uk = at.with_timezone(&chrono_tz::Europe::London);
    let (pm, hour) = uk.hour12();
    format!(
        "{} {} {} {}, {hour}:{:02}{}",
        speech::weekday(uk.weekday()),
        uk.day(),
        speech::month(uk.month0()),
        uk.year(),
        uk.minute(),
        if pm { "pm" } else { "am" }
    )
}

/// An RFC 3339 instant (as the store keeps them) in UK words; as given if it is not one.
pub fn uk_words(rfc3339: &str) -> String {
    crate::calendar::parse_instant(rfc3339).map_or_else(|_| rfc3339.to_owned(), uk_time)
}

pub use crate::calendar::speech::full_date as uk_day;

/// What a change did, said on the session's next page, with the way to undo it where one
/// makes sense. Kept with the session (as JSON) between the change and that page.
#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Notice {
    pub said: String,
    pub undo: Option<Undo>,
}

/// A button that asks for the opposite change: it leads to that change's own confirmation.
#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Undo {
    pub label: String,
    pub action: String,
    pub fields: Vec<(String, String)>,
}

impl Notice {
    pub fn said(said: impl Into<String>) -> Self {
        Notice {
            said: said.into(),
            undo: None,
        }
    }

    pub fn with_undo(mut self, label: &str, action: &str, fields: &[(&str, &str)]) -> Self {
        self.undo = Some(Undo {
            label: label.to_owned(),
            action: action.to_owned(),
            fields: fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        });
        self
    }

    /// As kept with the session.
    pub fn kept(&self) -> String {
        serde_json::to_string(self).expect("a notice is plain strings")
    }

    /// A kept notice read back; a plain sentence (kept by an older release) is said as it is.
    pub fn read(kept: &str) -> Self {
        serde_json::from_str(kept).unwrap_or_else(|_| Notice::said(kept))
    }
}

/// A notice at the top of a page: what was done and, for an editor, its undo.
pub fn notice(notice: Option<&Notice>, session: &Session) -> Markup {
    html! {
        @if let Some(notice) = notice {
            div.notice role="status" {
                p { (notice.said) }
                @if let (Some(undo), Role::Editor) = (&notice.undo, session.role) {
                    form method="post" action=(undo.action) {
                        (csrf(session))
                        @for (name, value) in &undo.fields {
                            input type="hidden" name=(name) value=(value);
                        }
                        button type="submit" { (undo.label) }
                    }
                }
            }
        }
    }
}

/// What a viewer reads at the top of every page, instead of finding controls gone.
pub const READ_ONLY: &str = "You can look but not change anything: ask an editor to make a change.";

/// A whole page: the header (with the user and a way out), then `body`.
pub fn page(title: &str, session: Option<&Session>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en-GB" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — Switchboard" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    strong { "Switchboard" }
                    @if let Some(session) = session {
                        nav { a href="/" { "Lines now" } " · " a href="/audit" { "Changes" } " · " a href="/history" { "Versions" } " · " a href="/call-backs" { "Call backs" } " · " a href="/reports" { "Reports" } }
                        form method="post" action="/logout" {
                            (csrf(session))
                            span { (session.user) " (" (session.role.as_str()) ") " }
                            button type="submit" { "Log out" }
                        }
                    }
                }
                main {
                    h1 { (title) }
                    @if session.is_some_and(|s| s.role == Role::Viewer) {
                        p.notice role="note" { (READ_ONLY) }
                    }
                    (body)
                }
            }
        }
    }
}

/// The hidden field every form that changes something carries.
pub fn csrf(session: &Session) -> Markup {
    html! { input type="hidden" name="csrf" value=(session.csrf); }
}

/// The login form; `token` is the one its cookie holds too.
pub fn login(token: &str, problem: Option<&str>) -> Markup {
    page(
        "Log in",
        None,
        html! {
            @if let Some(problem) = problem { p.problem role="alert" { (problem) } }
            form method="post" action="/login" {
                input type="hidden" name="login" value=(token);
                label for="username" { "User name" }
                input type="text" id="username" name="username" autocomplete="username" required autofocus;
                label for="password" { "Password" }
                input type="password" id="password" name="password" autocomplete="current-password" required;
                p { button type="submit" { "Log in" } }
            }
        },
    )
}

/// A message page: something refused, or done.
pub fn message(title: &str, session: Option<&Session>, text: &str, back: &str) -> Markup {
    page(
        title,
        session,
        html! {
            p.problem role="alert" { (text) }
            p { a href=(back) { "Back" } }
        },
    )
}

/// One schedule of a line, as the dashboard shows it.
#[derive(Clone)]
pub struct ScheduleNow {
    /// The schedule's id, as its forms name it.
    pub name: String,
    /// The name of the line whose hours it is.
    pub line: String,
    pub open: bool,
    /// Why it is open or closed, in plain words.
    pub why: String,
    /// When that next changes.
    pub next_change: String,
    /// The next opening, as callers hear it; `None` while the emergency switch holds it.
    pub next_opening: Option<String>,
    /// The emergency switch's note, while it holds the schedule closed.
    pub emergency_note: Option<String>,
}

pub struct LineNow {
    pub id: String,
    pub name: String,
    pub numbers: Vec<String>,
    /// Answered around the clock, whatever its schedules say of the lines it offers.
    pub open_24_7: bool,
    pub schedules: Vec<ScheduleNow>,
    /// Today's calls, from every server's records.
    pub today: crate::store::report::LineReport,
}

pub struct ReaderNow {
    pub server: String,
    pub address: String,
    pub read: String,
    pub applied: bool,
}

fn schedule_state(schedule: &ScheduleNow) -> Markup {
    html! {
        p data-schedule=(schedule.name) {
            @if schedule.open { span.open { "OPEN" } } @else { span.closed { "CLOSED" } }
            " — " (schedule.why) ". " (schedule.next_change) "."
        }
        @if let Some(opening) = &schedule.next_opening {
            p { "Callers hear that it opens " (opening) "." }
        }
    }
}

/// One line's state on the dashboard: open or closed and why, and today's calls.
fn line_now(line: &LineNow) -> Markup {
    html! {
        section.line aria-labelledby=(format!("line-{}", line.id)) {
            h2 id=(format!("line-{}", line.id)) { a href=(format!("/lines/{}", line.id)) { (line.name) } }
            p { "Number: " (line.numbers.join(", ")) }
            @if line.open_24_7 {
                p { span.open { "OPEN" } " around the clock." }
                @for schedule in &line.schedules {
                    p { "It tells callers whether the " (schedule.line) " is open: "
                        @if schedule.open { "it is." } @else { "it is not." } }
                }
            } @else if line.schedules.is_empty() {
                p { span.open { "OPEN" } " at all times." }
            } @else {
                @for schedule in &line.schedules { (schedule_state(schedule)) }
            }
            @let t = &line.today;
            p {
                "Today: " (t.calls) " calls; " (t.answered) " reached a person, " (t.callbacks) " asked for a call back, "
                (t.ended_by_line) " ended by the line, " (t.abandoned) " hung up before; " (t.closed_calls) " while it was closed. "
                a href=(format!("/reports?line={}", line.id)) { "Reports" }
            }
        }
    }
}

/// The emergency switch of each schedule; its buttons only for editors.
fn emergency_switches(session: &Session, schedules: &[ScheduleNow]) -> Markup {
    html! {
        section.switches aria-labelledby="switch" {
            h2 id="switch" { "Emergency switch" }
            p { "Closing a line here closes it at once for every caller, on every server reading the store, until it is reopened." }
            @for schedule in schedules {
                section.line {
                    h3 { (schedule.line) }
                    (schedule_state(schedule))
                    @if let Some(note) = &schedule.emergency_note {
                        p { strong { "Closed by the emergency switch: " } (note) }
                    }
                    @if session.role == Role::Editor {
                        form method="post" action="/emergency" {
                            (csrf(session))
                            input type="hidden" name="schedule" value=(schedule.name);
                            @if schedule.emergency_note.is_some() {
                                input type="hidden" name="action" value="open";
                                button type="submit" { "Reopen the " (schedule.line) }
                            } @else {
                                input type="hidden" name="action" value="close";
                                label for=(format!("note-{}", schedule.name)) { "Why it must close now (for the team)" }
                                input type="text" id=(format!("note-{}", schedule.name)) name="note" required;
                                button.danger type="submit" { "Close the " (schedule.line) " now" }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub fn dashboard(
    session: &Session,
    now: &str,
    lines: &[LineNow],
    schedules: &[ScheduleNow],
    readers: &[ReaderNow],
    notice_shown: Option<&Notice>,
) -> Markup {
    page(
        "The lines now",
        Some(session),
        html! {
            (notice(notice_shown, session))
            p { "As of " (now) " (UK time)." }
            // On a phone the switch comes first (see `.now` in STYLE).
            div.now {
                @for line in lines { (line_now(line)) }
                (emergency_switches(session, schedules))
            }
            h2 { "Servers reading the store" }
            @if readers.is_empty() {
                p.problem { "No server has said it reads the store: a change here reaches no caller." }
            } @else {
                table {
                    thead { tr { th { "Server" } th { "Address" } th { "Last read" } th { "Has the latest change" } } }
                    tbody { @for r in readers { tr { td { (r.server) } td { (r.address) } td { (r.read) } td { @if r.applied { "yes" } @else { "not yet" } } } } }
                }
            }
        },
    )
}

pub fn audit(session: &Session, entries: &[Entry], older_not_shown: bool) -> Markup {
    page(
        "Changes",
        Some(session),
        html! {
            @if entries.is_empty() { p { "No change has been made from the console yet." } }
            @else {
                table {
                    thead { tr { th { "When" } th { "Who" } th { "What" } th { "Note" } th { "Before" } th { "After" } } }
                    tbody {
                        @for e in entries {
                            tr { td { (uk_words(&e.at)) } td { (e.who) } td { (e.what) } td { (e.note) } td { pre { (e.before) } } td { pre { (e.after) } } }
                        }
                    }
                }
                @if older_not_shown {
                    p { "These are the latest " (entries.len()) " changes; older ones are kept in the store." }
                }
            }
        },
    )
}

/// A one-off day as a line's page lists it: (date, reason or hours, added at run time, so
/// removable here).
pub type DayShown = (String, String, bool);

/// Before the switch is thrown or lifted: what callers will hear from now, the reason, and
/// the one button that does it.
pub fn confirm_switch(
    session: &Session,
    schedule: &str,
    close: bool,
    note: &str,
    heard: Option<&(String, String)>,
    problem: Option<&str>,
) -> Markup {
    let line = heard.map_or(schedule, |(line, _)| line.as_str());
    let title = if close {
        format!("Close the {line} now?")
    } else {
        format!("Reopen the {line} now?")
    };
    page(
        &title,
        Some(session),
        html! {
            @if let Some((line, words)) = heard {
                p { "From the moment you confirm, until "
                    @if close { "it is reopened" } @else { "its hours say otherwise" }
                    ", a caller to the " strong { (line) } " hears first:" }
                blockquote { (words) }
            }
            form method="post" action="/emergency" {
                (csrf(session))
                input type="hidden" name="schedule" value=(schedule);
                input type="hidden" name="action" value=(if close { "close" } else { "open" });
                input type="hidden" name="confirmed" value="yes";
                @if close {
                    label for="note" { "Why it must close now (for the team and the log)" }
                    (field_problem("note", problem))
                    input type="text" id="note" name="note" required value=(note)
                        aria-describedby=[problem.map(|_| "note-problem")];
                } @else if let Some(problem) = problem {
                    p.problem role="alert" { (problem) }
                }
                button.danger[close] type="submit" {
                    @if close { "Yes, close it now" } @else { "Yes, reopen it" }
                }
                " " a href="/" { "Cancel: change nothing" }
            }
        },
    )
}

/// A problem with what was typed, said just above its field (which points to it).
fn field_problem(field: &str, problem: Option<&str>) -> Markup {
    html! {
        @if let Some(problem) = problem {
            p.problem id=(format!("{field}-problem")) role="alert" { (problem) }
        }
    }
}

/// A closure day or special hours to add (`value`: the reason as callers will hear it, or
/// the day's hours) or to remove (`None`).
pub struct DayChange<'a> {
    pub line: &'a str,
    pub schedule: &'a str,
    pub kind: DayKind,
    pub date: chrono::NaiveDate,
    pub value: Option<&'a str>,
}

/// Before a closure day or special hours are added or removed: what a caller will hear that
/// day, and the one button that does it.
pub fn confirm_day(
    session: &Session,
    change: &DayChange<'_>,
    heard: Option<&(String, String)>,
) -> Markup {
    let day = uk_day(change.date);
    let title = match change.value {
        Some(_) => format!("Add a {} on {day}?", change.kind.said()),
        None => format!("Remove the {} of {day}?", change.kind.said()),
    };
    page(
        &title,
        Some(session),
        html! {
            @match (change.kind, change.value) {
                (DayKind::Closure, Some(reason)) => {
                    p { "Callers are told why, in these words:" }
                    blockquote { (reason) }
                }
                (DayKind::SpecialHours, Some(hours)) => p { "The line's hours that day: " strong { (hours) } "." },
                _ => {}
            }
            @if let Some((line_name, words)) = heard {
                p { "Then, on " (day) ", a caller to the " strong { (line_name) } " at 12 noon hears first:" }
                blockquote { (words) }
            }
            form method="post" action="/days" {
                (csrf(session))
                input type="hidden" name="line" value=(change.line);
                input type="hidden" name="schedule" value=(change.schedule);
                input type="hidden" name="list" value=(change.kind.as_str());
                input type="hidden" name="date" value=(change.date.to_string());
                @if let Some(value) = change.value {
                    input type="hidden" name="value" value=(value);
                    input type="hidden" name="action" value="add";
                    input type="hidden" name="confirmed" value="yes";
                    button type="submit" { "Yes, add it" }
                } @else {
                    input type="hidden" name="action" value="remove";
                    input type="hidden" name="confirmed" value="yes";
                    button.danger type="submit" { "Yes, remove it" }
                }
                " " a href=(format!("/lines/{}", change.line)) { "Cancel: change nothing" }
            }
        },
    )
}

/// What a new call to a line hears first, now and after a change (`None`: the line is gone).
pub struct HeardBeforeAfter {
    pub line: String,
    pub now: String,
    pub after: Option<String>,
}

/// Before a roll-back: what callers hear now and after, line by line, the reason, and the
/// one button that does it.
pub fn confirm_roll_back(
    session: &Session,
    version: &str,
    name: &str,
    why: &str,
    heard: &[HeardBeforeAfter],
    problem: Option<&str>,
) -> Markup {
    page(
        &format!("Put {name} back in force?"),
        Some(session),
        html! {
            p { "Every server would serve it within a second, until another version is put in force. "
                "What a new call hears first, now and after:" }
            @for h in heard {
                section.line {
                    h2 { (h.line) }
                    @match &h.after {
                        Some(after) if *after == h.now => {
                            p { "The same as now (what changes is further into the call; see the difference of the files):" }
                            blockquote { (h.now) }
                        }
                        Some(after) => {
                            p { "Now:" } blockquote { (h.now) }
                            p { "After:" } blockquote { (after) }
                        }
                        None => p.problem { "This line is not in that version: its number would reach the line that answers numbers no line claims." },
                    }
                }
            }
            form method="post" action="/history/rollback" {
                (csrf(session))
                input type="hidden" name="version" value=(version);
                input type="hidden" name="confirmed" value="yes";
                label for="note" { "Why (for the team and the log)" }
                (field_problem("note", problem))
                input type="text" id="note" name="note" required value=(why)
                    aria-describedby=[problem.map(|_| "note-problem")];
                button.danger type="submit" { "Yes, put " (name) " in force" }
                " " a href="/history" { "Cancel: change nothing" }
            }
        },
    )
}

/// A line's page: its diagram, its hours, its closures, and a call to try.
/// A line's opening hours, as its page shows them.
pub enum Hours {
    /// It has no hours of its own: why it answers at all times.
    Always(&'static str),
    /// Each of its schedules: its state now, and the coming days in words (day, hours).
    Schedules(Vec<(ScheduleNow, Vec<(String, String)>)>),
}

pub struct LinePage<'a> {
    pub name: &'a str,
    pub id: &'a str,
    /// The diagram as SVG, or the DOT text when Graphviz is not installed.
    pub diagram: Result<String, String>,
    pub hours: Hours,
    /// Lines whose hours this line tells its callers of: (name, id).
    pub depends_on: Vec<(String, String)>,
    pub closures: Vec<(String, Vec<DayShown>)>,
    pub special_hours: Vec<(String, Vec<DayShown>)>,
    pub tried: Option<TriedCall>,
    pub notice: Option<Notice>,
    /// A day form sent back with a problem.
    pub problem: Option<DayProblem>,
    /// The steps in words, beside the diagram.
    pub walk_through: Vec<WalkStep>,
}

/// One step of a line, in words.
pub struct WalkStep {
    pub id: String,
    pub title: String,
    pub does: String,
    /// (when, where to).
    pub ways: Vec<(String, String)>,
}

/// A closure day or special hours that could not be added: which form, what was typed, why.
pub struct DayProblem {
    pub list: DayKind,
    pub schedule: String,
    pub date: String,
    pub value: String,
    pub message: String,
}

/// A call tried on the page: what was asked, and what the caller heard (or why it could not
/// be played).
pub struct TriedCall {
    pub at: String,
    pub does: String,
    /// When (in UK words) and the call, or the problem with the time given.
    pub heard: Result<(String, String), String>,
}

pub fn line(session: &Session, line: &LinePage<'_>) -> Markup {
    let editor = session.role == Role::Editor;
    page(
        line.name,
        Some(session),
        html! {
            (notice(line.notice.as_ref(), session))
            @if let Some(tried) = &line.tried {
                section.line aria-labelledby="heard" {
                    h2 id="heard" { "What the caller hears" }
                    @match &tried.heard {
                        Ok((when, call)) => {
                            p { "A call " (when) ", the caller doing: "
                                (if tried.does.is_empty() { "nothing" } else { &tried.does }) "." }
                            pre { (call) }
                        }
                        Err(problem) => p.problem role="alert" { (problem) },
                    }
                }
            }
            @for (name, id) in &line.depends_on {
                p { "This line tells its callers whether the " a href=(format!("/lines/{id}")) { (name) }
                    " is open, by that line's hours: its hours, closure days and special hours are on its page." }
            }
            h2 { "Opening hours, the next 14 days" }
            @match &line.hours {
                Hours::Always(why) => p { (why) },
                Hours::Schedules(schedules) => {
                    @for (now, days) in schedules {
                        (schedule_state(now))
                        table {
                            thead { tr { th { "Day" } th { "Hours" } } }
                            tbody { @for (day, hours) in days { tr { td { (day) } td { (hours) } } } }
                        }
                    }
                }
            }
            @for (schedule, days) in &line.closures {
                (one_off_days(session, line.id, schedule, &CLOSURES, days, editor, line.problem.as_ref()))
            }
            @for (schedule, days) in &line.special_hours {
                (one_off_days(session, line.id, schedule, &SPECIAL_HOURS, days, editor, line.problem.as_ref()))
            }
            h2 { "Try a call" }
            form method="get" action=(format!("/lines/{}", line.id)) {
                label for="at" { "When (UK time; leave blank for now)" }
                input type="datetime-local" id="at" name="at" value=[line.tried.as_ref().map(|t| &t.at)];
                label for="does" { "What the caller does, in order: keys or words, separated by commas (\"3, peer support\"); then silence" }
                input type="text" id="does" name="does" value=[line.tried.as_ref().map(|t| &t.does)];
                input type="hidden" name="play" value="1";
                button type="submit" { "Play the call" }
            }
            h2 { "The call, step by step" }
            ol {
                @for step in &line.walk_through {
                    li id=(format!("step-{}", step.id)) {
                        strong { (step.title) } ". " (step.does)
                        @if !step.ways.is_empty() {
                            ul { @for (when, to) in &step.ways { li { (when) ": " (to) "." } } }
                        }
                    }
                }
            }
            h2 { "Diagram" }
            @match &line.diagram {
                Ok(svg) => {
                    // Zoom without script: the checked size styles the picture (see STYLE).
                    fieldset.zoom {
                        legend { "Size of the diagram (scroll it to move around)" }
                        @for (id, words) in [("zoom-fit", "The whole diagram"), ("zoom-read", "Readable size"), ("zoom-large", "Larger")] {
                            span { input type="radio" name="zoom" id=(id) checked[id == "zoom-fit"]; " " label for=(id) { (words) } }
                        }
                    }
                    div.diagram role="region" tabindex="0" aria-label=(format!("Diagram of the {}; the same steps in words are above", line.name)) {
                        div role="img" aria-label=(format!("The call flow of the {}", line.name)) { (PreEscaped(svg)) }
                    }
                },
                Err(dot) => { p { "Graphviz is not installed on the server, so here is the diagram's source (paste it into any DOT viewer):" } pre { (dot) } },
            }
        },
    )
}

/// The words of a list of one-off days.
struct OneOff {
    kind: DayKind,
    title: &'static str,
    asks: &'static str,
    add: &'static str,
}

const CLOSURES: OneOff = OneOff {
    kind: DayKind::Closure,
    title: "Closure days",
    asks: "The reason callers hear (\"the office is closed for staff training\")",
    add: "Add the closure day",
};

const SPECIAL_HOURS: OneOff = OneOff {
    kind: DayKind::SpecialHours,
    title: "Special hours",
    asks: "The day's hours (\"09:00-13:00\", or \"09:00-12:30, 13:30-17:00\")",
    add: "Add the special hours",
};

/// A schedule's closure days or special hours: the list, and for an editor the forms that add
/// and remove one.
fn one_off_days(
    session: &Session,
    line: &str,
    schedule: &str,
    kind: &OneOff,
    days: &[DayShown],
    editor: bool,
    problem: Option<&DayProblem>,
) -> Markup {
    let OneOff {
        kind,
        title,
        asks,
        add,
    } = kind;
    let list = kind.as_str();
    let id = format!("{list}-{schedule}");
    // What both the adding and the removing forms say of the list they change.
    let fields = html! {
        (csrf(session))
        input type="hidden" name="line" value=(line);
        input type="hidden" name="schedule" value=(schedule);
        input type="hidden" name="list" value=(list);
    };
    html! {
        // A line's own hours are usually named for it; other hours are named.
        h2 { (title) @if schedule != line { " (the hours named “" (schedule) "”)" } }
        @if days.is_empty() { p { "None." } }
        ul {
            @for (date, value, run_time) in days {
                @let day = date.parse().map_or_else(|_| date.clone(), uk_day);
                li {
                    (day) ": " (value)
                    @if !run_time { " (in the flow file: change it there)" }
                    @if editor && *run_time {
                        form method="post" action="/days" {
                            (fields)
                            input type="hidden" name="date" value=(date);
                            input type="hidden" name="action" value="remove";
                            button type="submit" { "Remove " (day) }
                        }
                    }
                }
            }
        }
        @if editor {
            @let problem = problem.filter(|p| p.list == *kind && p.schedule == schedule);
            form method="post" action="/days" id=(format!("add-{id}")) {
                (fields)
                input type="hidden" name="action" value="add";
                label for=(format!("date-{id}")) { "Day" }
                input type="date" id=(format!("date-{id}")) name="date" required value=[problem.map(|p| &p.date)];
                label for=(format!("value-{id}")) { (asks) }
                @if let Some(problem) = problem {
                    p.problem id=(format!("problem-{id}")) role="alert" { (problem.message) }
                    input type="text" id=(format!("value-{id}")) name="value" required value=(problem.value) aria-invalid="true" aria-describedby=(format!("problem-{id}")) autofocus;
                } @else {
                    input type="text" id=(format!("value-{id}")) name="value" required;
                }
                button type="submit" { (add) }
            }
        }
    }
}

/// The flow versions that went into force.
pub struct VersionRow {
    pub version: String,
    /// The number people know it by.
    pub number: i64,
    pub at: String,
    pub by: String,
    pub in_force: bool,
    /// Another version than the one in force (a version put in force again appears twice).
    pub can_roll_back: bool,
    /// What changed from the version before, in words.
    pub changes: Vec<String>,
}

/// Two versions compared: what a new call hears first in each, line by line, and the files'
/// difference.
pub struct Compared {
    pub from: String,
    pub to: String,
    /// The two as people know them ("version 3").
    pub from_name: String,
    pub to_name: String,
    pub heard: Vec<HeardBeforeAfter>,
    pub diff: String,
}

pub fn history(
    session: &Session,
    rows: &[VersionRow],
    older_not_shown: bool,
    compared: Option<&Compared>,
    notice_shown: Option<&Notice>,
) -> Markup {
    let editor = session.role == Role::Editor;
    // Each version once, named by its number and when it (last) came into force.
    let mut versions: Vec<(&str, String)> = Vec::new();
    for row in rows {
        if !versions.iter().any(|(v, _)| *v == row.version) {
            versions.push((
                &row.version,
                format!("Version {}, from {}", row.number, uk_words(&row.at)),
            ));
        }
    }
    page(
        "Flow versions",
        Some(session),
        html! {
            (notice(notice_shown, session))
            form method="get" action="/history" {
                label for="from" { "Compare version" }
                select id="from" name="from" {
                    @for (v, named) in &versions { option value=(v) selected[compared.is_some_and(|c| c.from == *v)] { (named) } }
                }
                label for="to" { "with version" }
                select id="to" name="to" {
                    @for (v, named) in &versions { option value=(v) selected[compared.is_some_and(|c| c.to == *v)] { (named) } }
                }
                button type="submit" { "Compare" }
            }
            @if let Some(c) = compared {
                h2 { "From " (c.from_name) " to " (c.to_name) }
                @for h in &c.heard {
                    section.line {
                        h3 { (h.line) ": what a new call hears first, now" }
                        @match &h.after {
                            Some(after) if *after == h.now => {
                                p { "The same in both (what changed is further into the call; see the files):" }
                                blockquote { (h.now) }
                            }
                            Some(after) => {
                                p { "In " (c.from_name) ":" } blockquote { (h.now) }
                                p { "In " (c.to_name) ":" } blockquote { (after) }
                            }
                            None => p { "This line is not in " (c.to_name) "." },
                        }
                    }
                }
                h3 { "The files" }
                pre { (c.diff) }
            }
            table {
                thead { tr { th { "Version" } th { "Into force" } th { "By" } th { "What changed" } th { "" } } }
                tbody {
                    @for (i, row) in rows.iter().enumerate() {
                        tr {
                            td { "Version " (row.number) @if row.in_force { " (in force)" } }
                            td { (uk_words(&row.at)) }
                            td { (row.by) }
                            td {
                                @if row.changes.is_empty() { "The same files as the version before." }
                                @else { ul { @for change in &row.changes { li { (change) } } } }
                            }
                            td {
                                @if let Some(older) = rows.get(i + 1) {
                                    a href=(format!("/history?from={}&to={}", older.version, row.version)) { "Compare with the version before" }
                                }
                                @if editor && row.can_roll_back {
                                    form method="post" action="/history/rollback" {
                                        (csrf(session))
                                        input type="hidden" name="version" value=(row.version);
                                        button type="submit" { "Roll back to version " (row.number) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if older_not_shown {
                p { "These are the latest " (rows.len()) " versions; older ones are kept in the store." }
            }
        },
    )
}
