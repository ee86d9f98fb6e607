//! What the line page looks like.

use maud::{Markup, PreEscaped, html};

use crate::console::auth::Session;
use crate::console::dashboard::view::{ScheduleNow, schedule_state};
pub use crate::console::days::view::DayShown;
use crate::console::days::view::{CLOSURES, DayProblem, SPECIAL_HOURS, one_off_days};
use crate::console::layout::{Notice, notice, page};
use crate::store::Role;

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
