//! What the dashboard page looks like.

use maud::{Markup, html};

use crate::reports::words;

use crate::console::auth::Session;
use crate::console::layout::{Notice, csrf, field_problem, notice, page};
use crate::store::Role;

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
    /// When it last read the changes, in words.
    pub read: String,
    /// Whether it serves the latest change.
    pub applied: bool,
}

pub fn schedule_state(schedule: &ScheduleNow) -> Markup {
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
                "Today: " (t.calls) @if t.calls == 1 { " call" } @else { " calls" }
                @if t.calls > 0 {
                    ": "
                    @for (i, (how, figure)) in words::OUTCOMES.iter().enumerate() {
                        @if i > 0 { ", " }
                        (t.ended_as(how)) " " (figure.name.to_lowercase())
                    }
                    ". " (t.closed_calls) " rang while it was closed"
                }
                ". " a href=(format!("/reports?line={}", line.id)) { "Reports" }
            }
        }
    }
}

/// The emergency switch of each schedule; its buttons only for editors.
fn emergency_switches(session: &Session, schedules: &[ScheduleNow]) -> Markup {
    html! {
        section.switches aria-labelledby="switch" {
            h2 id="switch" { "Emergency switch" }
            p { "Closing a line here closes it at once for every caller, on every server, until it is reopened." }
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
            h2 { "Servers answering calls" }
            @if readers.is_empty() {
                p.problem { "No server has said it is answering calls with the changes made here: a change here reaches no caller." }
            } @else {
                ul { @for (i, r) in readers.iter().enumerate() {
                    li { "Server " (i + 1) " of " (readers.len()) ": "
                        @if r.applied { "up to date" } @else { strong { "not yet up to date" } }
                        " (last looked " (r.read) ")." }
                } }
            }
        },
    )
}

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
