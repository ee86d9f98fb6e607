//! A report's tables, once: the Reports page shows each and offers each as CSV from the same
//! rows, so what a coordinator downloads is what they read.

use super::words::{
    self, choice_words, percent, reason_words, result_words, status_words, step_words,
};
use crate::flow::Flows;
use crate::store::report::{LineReport, Report};

/// One table: its id (in the page and the CSV's URL), its title, its column headings, and
/// its rows as plain values (ISO dates, whole numbers, words).
pub struct Table {
    pub id: &'static str,
    pub title: &'static str,
    pub headings: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn csv(&self) -> String {
        let headings: Vec<&str> = self.headings.iter().map(String::as_str).collect();
        super::csv(&headings, &self.rows)
    }
}

fn headings(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

/// A count and its share of `whole`, as two cells.
fn with_share(n: u64, whole: u64) -> [String; 2] {
    [n.to_string(), percent(n, whole)]
}

/// The summary: a row for each line (and all lines, when there are several).
pub fn summary(report: &Report) -> Table {
    let several = report.lines.len() > 1;
    let rows = report
        .lines
        .iter()
        .chain(several.then_some(&report.all))
        .map(|l| {
            let mut row = vec![l.name.clone(), l.calls.to_string()];
            for (how, _) in words::OUTCOMES {
                row.extend(with_share(l.ended_as(how), l.calls));
            }
            row.extend(with_share(l.closed_calls, l.calls));
            row.push(l.reached_from_other_lines.to_string());
            row.push(super::waits_words(&l.wait_for_person));
            row.push(super::waits_words(&l.call_back_wait));
            row
        })
        .collect();
    let mut names = vec!["Line".to_owned(), words::CALLS.name.to_owned()];
    for (_, figure) in words::OUTCOMES {
        names.push(figure.name.to_owned());
        names.push(format!("{} (% of calls)", figure.name));
    }
    names.push(words::WHILE_CLOSED.name.to_owned());
    names.push(format!("{} (% of calls)", words::WHILE_CLOSED.name));
    for figure in [
        &words::FROM_OTHER_LINES,
        &words::TIME_TO_PERSON,
        &words::TIME_TO_CALL_BACK,
    ] {
        names.push(figure.name.to_owned());
    }
    Table {
        id: "summary",
        title: "Summary",
        headings: names,
        rows,
    }
}

/// Each table of one line's figures (or all lines'), in the order the page shows them.
pub fn of_line(flows: &Flows, l: &LineReport) -> Vec<Table> {
    let line = l.line.as_str();
    let by_day = Table {
        id: "by-day",
        title: "Calls by day",
        headings: headings(&[
            "Day",
            words::CALLS.name,
            words::REACHED.name,
            words::HUNG_UP.name,
            words::WHILE_CLOSED.name,
            words::CALL_BACK_TAKEN.name,
        ]),
        rows: l
            .by_day
            .iter()
            .map(|d| {
                [d.day.clone()]
                    .into_iter()
                    .chain(
                        [
                            d.calls,
                            d.answered,
                            d.abandoned,
                            d.closed_calls,
                            d.callbacks,
                        ]
                        .map(|n| n.to_string()),
                    )
                    .collect()
            })
            .collect(),
    };
    let mut hour_names = vec!["Day".to_owned()];
    hour_names.extend((0..24).map(|h| format!("{h:02}:00")));
    let by_hour = Table {
        id: "by-hour",
        title: "Calls by hour of the week (UK time)",
        headings: hour_names,
        rows: super::WEEKDAYS
            .iter()
            .enumerate()
            .map(|(d, day)| {
                std::iter::once((*day).to_owned())
                    .chain((0..24).map(|h| l.by_week_hour[d * 24 + h].to_string()))
                    .collect()
            })
            .collect(),
    };
    let ended = Table {
        id: "ended",
        title: "How calls ended",
        headings: headings(&["How", "Where", words::CALLS.name, "% of calls"]),
        rows: l
            .ended
            .iter()
            .map(|e| {
                let [n, share] = with_share(e.calls, l.calls);
                let at = if e.step.is_empty() {
                    String::new()
                } else {
                    step_words(flows, line, &e.step)
                };
                vec![words::outcome_words(&e.how).to_owned(), at, n, share]
            })
            .collect(),
    };
    let closed = Table {
        id: "closed",
        title: "Calls while the line was closed, by hour",
        headings: headings(&["Why it was closed", "Hour (UK time)", words::CALLS.name]),
        rows: l
            .closed_by_hour
            .iter()
            .map(|c| {
                vec![
                    reason_words(&c.reason).to_owned(),
                    format!("{:02}:00", c.hour),
                    c.calls.to_string(),
                ]
            })
            .collect(),
    };
    let reached = Table {
        id: "reached",
        title: "Steps reached",
        headings: headings(&["Step", "Times reached"]),
        rows: l
            .reached
            .iter()
            .map(|r| vec![step_words(flows, line, &r.step), r.calls.to_string()])
            .collect(),
    };
    let choices = Table {
        id: "choices",
        title: "Choices at each menu",
        headings: headings(&["Menu", "Choice", words::CALLS.name]),
        rows: l
            .choices
            .iter()
            .map(|c| {
                vec![
                    step_words(flows, line, &c.step),
                    choice_words(flows, &c.step, &c.choice),
                    c.calls.to_string(),
                ]
            })
            .collect(),
    };
    let connections = Table {
        id: "connections",
        title: "Tries to put callers through",
        headings: headings(&["To", "Result", "Tries"]),
        rows: l
            .connections
            .iter()
            .map(|c| {
                vec![
                    step_words(flows, line, &c.step),
                    result_words(&c.result).to_owned(),
                    c.attempts.to_string(),
                ]
            })
            .collect(),
    };
    let statuses = Table {
        id: "statuses",
        title: "How Twilio says the calls ended",
        headings: headings(&["Status", words::CALLS.name, "Average length"]),
        rows: l
            .statuses
            .iter()
            .map(|s| {
                let average = (s.seconds / s.calls.max(1)) as i64;
                vec![
                    status_words(&s.status).to_owned(),
                    s.calls.to_string(),
                    super::duration_words(average),
                ]
            })
            .collect(),
    };
    vec![
        by_day,
        by_hour,
        ended,
        closed,
        reached,
        choices,
        connections,
        statuses,
    ]
}

/// The table `id` of the report, as the page shows it for the line shown.
pub fn named(flows: &Flows, report: &Report, id: &str) -> Option<Table> {
    if id == "summary" {
        return Some(summary(report));
    }
    let shown = report.shown();
    of_line(flows, shown).into_iter().find(|t| t.id == id)
}
