//! The team's queue of requests for a call back: oldest first, each with when it was made, the
//! line, and when it is due (the line's next opening after the request, plus the time the team
//! aims to call within); then the Done list. Editors see numbers as people write them, a link
//! that dials on a phone; viewers see only the last three digits.

use chrono::{DateTime, Duration, Utc};
use maud::{Markup, html};

use super::sees_numbers;
use crate::calendar::BankHolidays;
use crate::console::auth::Session;
use crate::console::layout::{self, Notice, csrf, field_problem, page, uk_time};
use crate::flow::Flows;
use crate::store::Role;
use crate::store::call_backs::{CallBack, due};

/// "2 hours 5 minutes", "40 minutes".
fn span(d: Duration) -> String {
    let minutes = d.num_minutes().max(0);
    let (hours, minutes) = (minutes / 60, minutes % 60);
    let unit = |n: i64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    match (hours, minutes) {
        (0, m) => unit(m, "minute", "minutes"),
        (h, 0) => unit(h, "hour", "hours"),
        (h, m) => format!(
            "{} {}",
            unit(h, "hour", "hours"),
            unit(m, "minute", "minutes")
        ),
    }
}

/// A request's number as the session may see it: written in full with a link that dials
/// (`tel:`), or only its end.
pub struct Number {
    pub shown: String,
    /// E.164, for the link; `None` when the number is not shown.
    pub dial: Option<String>,
}

impl Number {
    fn of(r: &CallBack, session: &Session) -> Number {
        if sees_numbers(session.role) {
            Number {
                shown: crate::phone::written(&r.number),
                dial: Some(r.number.clone()),
            }
        } else {
            Number {
                shown: format!("number ending {}", crate::phone::ending(&r.number)),
                dial: None,
            }
        }
    }

    fn markup(&self) -> Markup {
        html! {
            @match &self.dial {
                Some(dial) => a href=(format!("tel:{dial}")) { (self.shown) },
                None => (self.shown),
            }
        }
    }
}

/// A line's name, from its id in a request.
fn line_name(flows: &Flows, id: &str) -> String {
    flows
        .line_index(id)
        .map_or(id.to_owned(), |i| flows.line(i).name.clone())
}

/// One request as the queue shows it.
pub struct Row {
    pub id: i64,
    pub number: Number,
    pub line: String,
    pub asked: String,
    pub due: String,
    pub overdue: bool,
    pub claimed_by: Option<String>,
    pub tries: i64,
    pub note: Option<String>,
}

impl Row {
    pub fn of(
        r: &CallBack,
        session: &Session,
        flows: &Flows,
        holidays: &BankHolidays,
        aim: Duration,
        now: DateTime<Utc>,
    ) -> Row {
        let asked = DateTime::<Utc>::from_timestamp_millis(r.asked_ms).unwrap_or_default();
        let (due, overdue) = match due(r, flows, holidays, aim) {
            Some(at) if at <= now => (format!("{}: {} overdue", uk_time(at), span(now - at)), true),
            Some(at) => (format!("{} (in {})", uk_time(at), span(at - now)), false),
            None => ("as soon as you can".to_owned(), false),
        };
        Row {
            id: r.id,
            number: Number::of(r, session),
            line: line_name(flows, &r.line),
            asked: uk_time(asked),
            due,
            overdue,
            claimed_by: r.claimed_by.clone(),
            tries: r.tries,
            note: r.note.clone(),
        }
    }
}

/// One closed request, as the Done list shows it.
pub struct DoneRow {
    pub id: i64,
    pub number: Number,
    pub line: String,
    pub asked: String,
    /// "Called back" or "Closed without a call".
    pub outcome: &'static str,
    pub by: String,
    pub when: String,
    pub tries: i64,
    pub note: String,
}

impl DoneRow {
    pub fn of(r: &CallBack, session: &Session, flows: &Flows) -> DoneRow {
        let at = |ms: i64| uk_time(DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default());
        DoneRow {
            id: r.id,
            number: Number::of(r, session),
            line: line_name(flows, &r.line),
            asked: at(r.asked_ms),
            outcome: match r.outcome.as_deref() {
                Some("called back") => "Called back",
                _ => "Closed without a call",
            },
            // Closed before who closed one was kept: said as not known.
            by: r.closed_by.clone().unwrap_or_else(|| "someone".to_owned()),
            when: r.closed_ms.map(at).unwrap_or_default(),
            tries: r.tries,
            note: r.note.clone().unwrap_or_default(),
        }
    }
}

/// The requests the page lists.
pub struct Listed<'a> {
    pub waiting: &'a [Row],
    /// The latest closed ones.
    pub done: &'a [DoneRow],
    /// Whether older closed ones are kept but not shown.
    pub older_not_shown: bool,
}

pub fn queue(
    session: &Session,
    listed: &Listed<'_>,
    aim: Duration,
    notice: Option<&Notice>,
) -> Markup {
    let editor = session.role == Role::Editor;
    let (rows, done) = (listed.waiting, listed.done);
    page(
        "Call backs",
        Some(session),
        html! {
            (layout::notice(notice, session))
            p { "Callers who asked the team to call them back, oldest first. Each is due "
                (span(aim)) " after the line opens (or after it was asked for, if the line was open)." }
            @if !editor {
                p { "Numbers show only their last three digits: an editor makes the calls." }
            }
            h2 { "Waiting (" (rows.len()) ")" }
            @if rows.is_empty() {
                p { "Nobody is waiting for a call back." }
            }
            @for row in rows {
                section.line aria-labelledby=(format!("request-{}", row.id)) {
                    h3 id=(format!("request-{}", row.id)) { "Request " (row.id) ": " (row.number.markup()) }
                    p { (row.line) ". Asked for " (row.asked) "." }
                    p { @if row.overdue { span.closed { "Due " (row.due) } } @else { "Due " (row.due) } "." }
                    p {
                        @match &row.claimed_by {
                            Some(who) => { "Being called by " strong { (who) } ". " }
                            None => { "Nobody has taken it on yet. " }
                        }
                        @if row.tries > 0 { "Calls that found nobody: " (row.tries) "." }
                    }
                    @if let Some(note) = &row.note { p { "Note: " (note) } }
                    @if editor {
                        form method="post" action=(format!("/call-backs/{}", row.id)) {
                            (csrf(session))
                            @if row.claimed_by.as_deref() != Some(session.user.as_str()) {
                                button type="submit" name="action" value="claim" { "Take this one on" }
                            }
                            button type="submit" name="action" value="called-back" { "Called back" }
                            button type="submit" name="action" value="no-answer" { "No answer" }
                            button.danger type="submit" name="action" value="closed" { "Close without a call" }
                        }
                    }
                }
            }
            h2 id="done" { "Done" }
            p { "Requests called back or closed, the latest first, kept until they are deleted." }
            @if done.is_empty() {
                p { "None yet." }
            }
            @for row in done {
                section.line aria-labelledby=(format!("done-{}", row.id)) {
                    h3 id=(format!("done-{}", row.id)) { "Request " (row.id) ": " (row.number.markup()) }
                    p { strong { (row.outcome) } " by " (row.by) ", " (row.when) "." }
                    p { (row.line) ". Asked for " (row.asked) "."
                        @if row.tries > 0 { " Calls that found nobody before: " (row.tries) "." } }
                    @if !row.note.is_empty() { p { "Note: " (row.note) } }
                    @if editor {
                        form method="post" action=(format!("/call-backs/{}", row.id)) {
                            (csrf(session))
                            input type="hidden" name="action" value="reopen";
                            button type="submit" { "Reopen it" }
                        }
                    }
                }
            }
            @if listed.older_not_shown {
                p { "These are the latest " (done.len()) "; older ones are kept until they are deleted: "
                    code { "switchboard callbacks list --all" } " lists them all." }
            }
        },
    )
}

/// A change to a request, asked first.
pub struct Asked<'a> {
    pub id: i64,
    /// The action, as its button names it.
    pub action: &'a str,
    /// "the request from the number ending 456".
    pub named: String,
    pub note: &'a str,
    /// Why it was not made, said beside the note.
    pub problem: Option<&'a str>,
}

pub fn confirm(session: &Session, asked: &Asked<'_>) -> Markup {
    let named = &asked.named;
    let (title, question, yes, note_label) = match asked.action {
        "called-back" => (
            "Mark it called back?",
            format!("Mark {named} as called back?"),
            "Yes, mark it called back",
            "What happened (needed)",
        ),
        "closed" => (
            "Close it without a call?",
            format!("Close {named} without a call? It leaves the queue for the Done list."),
            "Yes, close it",
            "Why it is closed (needed)",
        ),
        _ => (
            "Nobody answered?",
            format!(
                "Count a call to {named} that nobody answered? It stays in the queue for another try."
            ),
            "Yes, nobody answered",
            "Note (if any)",
        ),
    };
    let described = asked.problem.map(|_| "note-problem");
    page(
        title,
        Some(session),
        html! {
            form method="post" action=(format!("/call-backs/{}", asked.id)) {
                (csrf(session))
                input type="hidden" name="action" value=(asked.action);
                input type="hidden" name="confirmed" value="yes";
                p { (question) }
                label for="note" { (note_label) }
                (field_problem("note", asked.problem))
                input type="text" id="note" name="note" maxlength="500" value=(asked.note)
                    aria-describedby=[described] aria-invalid=[described.map(|_| "true")];
                p {
                    button type="submit" { (yes) }
                    " " a href="/call-backs" { "No, go back" }
                }
            }
        },
    )
}
