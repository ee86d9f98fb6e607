//! What the days page looks like.

use maud::{Markup, html};

use crate::calendar::DayKind;
use crate::console::auth::Session;
use crate::console::layout::{csrf, page, uk_day};
use crate::ops::DayValue;

/// A closure day or special hours to add (`value`: the reason as callers will hear it, or
/// the day's hours and their reason) or to remove (`None`).
pub struct DayChange<'a> {
    pub line: &'a str,
    pub schedule: &'a str,
    pub kind: DayKind,
    pub date: chrono::NaiveDate,
    pub value: Option<DayValue<'a>>,
    /// For a listed day changed in place: what it holds until now.
    pub before: Option<DayValue<'a>>,
    /// Whether the line's call flow says this kind of day's reason (else it is never heard).
    pub reason_said: bool,
}

/// Before a closure day or special hours are added or removed: what a caller will hear that
/// day, and the one button that does it.
pub fn confirm_day(
    session: &Session,
    change: &DayChange<'_>,
    heard: &[(String, String, String)],
    warning: Option<&str>,
) -> Markup {
    let day = uk_day(change.date);
    let title = match (change.value, change.before) {
        (Some(_), Some(_)) => format!("Change the {} of {day}?", change.kind.said()),
        (Some(_), None) => format!("Add {} on {day}?", change.kind.one_said()),
        (None, _) => format!("Remove the {} of {day}?", change.kind.said()),
    };
    page(
        &title,
        Some(session),
        html! {
            @if let Some(warning) = warning {
                p.notice role="note" { (warning) }
            }
            @if let Some(before) = change.before {
                p { "Until now it says:" }
                blockquote { (before.in_words(change.kind)) }
            }
            @match (change.kind, change.value) {
                (DayKind::Closure, Some(reason)) if change.reason_said => {
                    p { "Callers are told why, in these words:" }
                    blockquote { (reason.value) }
                }
                (DayKind::Closure, Some(reason)) => (unheard(change.kind, reason.value)),
                (DayKind::SpecialHours, Some(hours)) => {
                    p { "The line's hours that day: " strong { (crate::flow::hours_said(hours.value)) } "." }
                    @match (hours.reason, change.reason_said) {
                        (Some(reason), true) => {
                            p { "While the line is closed that day, callers are told why, in these words:" }
                            blockquote { (reason) }
                        }
                        (Some(reason), false) => (unheard(change.kind, reason)),
                        (None, true) => p { "No reason is given: while the line is closed that day, callers are told its hours." },
                        (None, false) => {}
                    }
                }
                _ => {}
            }
            @for (time, line_name, words) in heard {
                p { "Then, on " (day) ", a caller to the " strong { (line_name) } " at " (time) " hears first:" }
                blockquote { (words) }
            }
            form method="post" action="/days" {
                (csrf(session))
                input type="hidden" name="line" value=(change.line);
                input type="hidden" name="schedule" value=(change.schedule);
                input type="hidden" name="list" value=(change.kind.as_str());
                input type="hidden" name="date" value=(change.date.to_string());
                @if let Some(value) = change.value {
                    input type="hidden" name="value" value=(value.value);
                    @if let Some(reason) = value.reason {
                        input type="hidden" name="reason" value=(reason);
                    }
                    @if change.before.is_some() {
                        input type="hidden" name="action" value="change";
                        input type="hidden" name="confirmed" value="yes";
                        button type="submit" { "Yes, change it" }
                    } @else {
                        input type="hidden" name="action" value="add";
                        input type="hidden" name="confirmed" value="yes";
                        button type="submit" { "Yes, add it" }
                    }
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

/// Said on the question where the line's call flow never says this kind of day's reason.
fn unheard(kind: DayKind, reason: &str) -> Markup {
    html! {
        p.notice role="note" {
            "The line's call flow says no reason for " (kind.one_said()) ", so callers will not hear this one: “"
            (reason) "”. They hear what is shown below. Ask whoever edits the call flows to add it."
        }
    }
}

/// The words of a list of one-off days.
pub struct OneOff {
    kind: DayKind,
    title: &'static str,
    asks: &'static str,
    /// What the optional reason field asks, for a list whose days take one beside their value.
    asks_reason: Option<&'static str>,
    add: &'static str,
}

pub const CLOSURES: OneOff = OneOff {
    kind: DayKind::Closure,
    title: "Closure days",
    asks: "The reason callers hear (\"the office is closed for staff training\")",
    asks_reason: None,
    add: "Add the closure day",
};

pub const SPECIAL_HOURS: OneOff = OneOff {
    kind: DayKind::SpecialHours,
    title: "Special hours",
    asks: "The day's hours (\"10am to 1pm\", or \"9am to 12:30pm and 1:30pm to 5pm\")",
    asks_reason: Some(
        "Optional: the reason callers hear while the line is closed that day (without one, they hear its hours)",
    ),
    add: "Add the special hours",
};

/// A schedule's closure days or special hours: the list, and for an editor the forms that add
/// and remove one.
pub fn one_off_days(
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
        asks_reason,
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
            @for shown in days {
                @let date = &shown.date;
                @let day = date.parse().map_or_else(|_| date.clone(), uk_day);
                li {
                    (day) ": " (shown.in_words)
                    @if !shown.run_time { " (in the flow file: change it there)" }
                    @if editor && shown.run_time {
                        @let change_id = format!("change-{id}-{date}");
                        form method="post" action="/days" {
                            (fields)
                            input type="hidden" name="date" value=(date);
                            input type="hidden" name="action" value="change";
                            label for=(change_id) { "Change " (day) " to" }
                            input type="text" id=(change_id) name="value" required value=(shown.value);
                            @if let Some(asks_reason) = asks_reason {
                                @let reason_id = format!("change-reason-{id}-{date}");
                                label for=(reason_id) { (asks_reason) }
                                input type="text" id=(reason_id) name="reason" value=[shown.reason.as_ref()];
                            }
                            button type="submit" { "Change " (day) }
                        }
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
                @if let Some(asks_reason) = asks_reason {
                    label for=(format!("reason-{id}")) { (asks_reason) }
                    input type="text" id=(format!("reason-{id}")) name="reason" value=[problem.map(|p| &p.reason)];
                }
                button type="submit" { (add) }
            }
        }
    }
}

/// A one-off day as a line's page lists it.
pub struct DayShown {
    /// YYYY-MM-DD.
    pub date: String,
    /// As ops read it: the reason, or the hours and their reason.
    pub in_words: String,
    /// What the change form starts from: the reason, or the hours.
    pub value: String,
    /// Special hours' reason, if they have one.
    pub reason: Option<String>,
    /// Added at run time, so changed and removed here.
    pub run_time: bool,
}

/// A closure day or special hours that could not be added: which form, what was typed, why.
pub struct DayProblem {
    pub list: DayKind,
    pub schedule: String,
    pub date: String,
    pub value: String,
    pub reason: String,
    pub message: String,
}
