//! The team's queue of requests for a call back: oldest first, each with when it was made, the
//! line, and when it is due (the line's next opening after the request, plus the time the team
//! aims to call within). Editors see numbers in full, to call them; viewers see only the last
//! three digits.

use chrono::{DateTime, Duration, Utc};
use maud::{Markup, html};

use super::sees_numbers;
use crate::calendar::BankHolidays;
use crate::console::auth::Session;
use crate::console::layout::{self, Notice, csrf, page, uk_time};
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

/// One request as the queue shows it.
pub struct Row {
    pub id: i64,
    pub number: String,
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
        let line = flows
            .line_index(&r.line)
            .map_or(r.line.clone(), |i| flows.line(i).name.clone());
        let asked = DateTime::<Utc>::from_timestamp_millis(r.asked_ms).unwrap_or_default();
        let (due, overdue) = match due(r, flows, holidays, aim) {
            Some(at) if at <= now => (format!("{}: {} overdue", uk_time(at), span(now - at)), true),
            Some(at) => (format!("{} (in {})", uk_time(at), span(at - now)), false),
            None => ("as soon as you can".to_owned(), false),
        };
        Row {
            id: r.id,
            number: if sees_numbers(session.role) {
                r.number.clone()
            } else {
                r.masked()
            },
            line,
            asked: uk_time(asked),
            due,
            overdue,
            claimed_by: r.claimed_by.clone(),
            tries: r.tries,
            note: r.note.clone(),
        }
    }
}

pub fn queue(session: &Session, rows: &[Row], aim: Duration, notice: Option<&Notice>) -> Markup {
    let editor = session.role == Role::Editor;
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
            @if rows.is_empty() {
                p { "Nobody is waiting for a call back." }
            }
            @for row in rows {
                section.line aria-labelledby=(format!("request-{}", row.id)) {
                    h2 id=(format!("request-{}", row.id)) { "Request " (row.id) ": " (row.number) }
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
                            label for=(format!("note-{}", row.id)) { "Note (needed to close it)" }
                            input type="text" id=(format!("note-{}", row.id)) name="note" maxlength="500";
                            button type="submit" name="action" value="called-back" { "Called back" }
                            button type="submit" name="action" value="no-answer" { "No answer: try again later" }
                            button.danger type="submit" name="action" value="closed" { "Close without a call" }
                        }
                    }
                }
            }
        },
    )
}
