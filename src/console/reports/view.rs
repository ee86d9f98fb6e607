//! The Reports page: how the lines were used over a range of UK dates, as charts drawn here as
//! plain SVG (no script, nothing fetched), each with its figures in a table beside it, and as
//! CSV to download.

use chrono::NaiveDate;
use maud::{Markup, html};

use super::Asked;
use crate::calendar::speech;
use crate::console::auth::Session;
use crate::console::layout::{self, uk_day};
use crate::reports::{csv, duration_words};
use crate::store::report::{LineReport, Report, Waits};

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// "9am", "12 noon" for an hour of the day.
fn hour_words(hour: u32) -> String {
    speech::time(chrono::NaiveTime::from_hms_opt(hour, 0, 0).unwrap_or_default())
}

/// The page.
pub fn page(
    session: &Session,
    asked: &Asked,
    lines: &[(String, String)],
    report: Result<&Report, &str>,
) -> Markup {
    let query = format!("from={}&to={}&line={}", asked.from, asked.to, asked.line);
    layout::page(
        "Reports",
        Some(session),
        html! {
            form method="get" action="/reports" {
                label for="from" { "First day" }
                input type="date" id="from" name="from" value=(asked.from) required;
                label for="to" { "Last day" }
                input type="date" id="to" name="to" value=(asked.to) required;
                label for="line" { "Line" }
                select id="line" name="line" {
                    option value="" selected[asked.line.is_empty()] { "All lines" }
                    @for (id, name) in lines { option value=(id) selected[asked.line == *id] { (name) } }
                }
                " " button type="submit" { "Show" }
            }
            @match report {
                Err(problem) => p.problem role="alert" { (problem) },
                Ok(report) => {
                    p { "Calls that started from " (uk_day(report.from)) " to " (uk_day(report.to))
                        ", by UK time, on every server. A call is counted once however many servers answered it." }
                    (summary(report, &query))
                    @let shown = if report.lines.len() == 1 { &report.lines[0] } else { &report.all };
                    h2 { (shown.name) }
                    (by_day(shown, &query))
                    (by_hour_of_week(shown, &query))
                    (endings(shown))
                    (while_closed(shown))
                    (reached(shown))
                    (choices(shown))
                    (connections(shown))
                    (statuses(shown))
                }
            }
        },
    )
}

fn waits(w: &Waits) -> String {
    match (w.median_s, w.p90_s) {
        (Some(median), Some(p90)) => format!(
            "{} (9 in 10 within {})",
            duration_words(median),
            duration_words(p90)
        ),
        _ => "none".to_owned(),
    }
}

fn summary(report: &Report, query: &str) -> Markup {
    let rows: Vec<&LineReport> = report
        .lines
        .iter()
        .chain((report.lines.len() > 1).then_some(&report.all))
        .collect();
    html! {
        h2 { "Summary" }
        div.wide role="region" tabindex="0" aria-label="The summary (scrolls sideways)" { table {
            thead { tr {
                th scope="col" { "Line" } th scope="col" { "Calls" } th scope="col" { "Reached a person" }
                th scope="col" { "Hung up before" } th scope="col" { "Ended by the line" }
                th scope="col" { "While closed" } th scope="col" { "Call backs asked" }
                th scope="col" { "Time to a person (median)" } th scope="col" { "Time to the call back (median)" }
            } }
            tbody { @for l in rows { tr {
                th scope="row" { (l.name) } td { (l.calls) } td { (l.answered) } td { (l.abandoned) }
                td { (l.ended_by_line) } td { (l.closed_calls) } td { (l.callbacks) }
                td { (waits(&l.wait_for_person)) } td { (waits(&l.call_back_wait)) }
            } } }
        } }
        p { a href=(format!("/reports.csv?{query}&table=summary")) download { "Download the summary (CSV)" } }
    }
}

/// A bar chart of (label, value), about 600 wide whatever the number of bars; as many labels
/// under it as fit.
fn bars(title: &str, bars: &[(String, u64)]) -> Markup {
    let (gap, height, top, bottom, left) = (4.0, 140.0, 16.0, 34.0, 40.0);
    let bar = (600.0 / bars.len().max(1) as f64 - gap).clamp(2.0, 90.0);
    let label_every = (64.0 / (bar + gap)).ceil().max(1.0) as usize;
    let most = bars.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1) as f64;
    let width = left + bars.len() as f64 * (bar + gap) + 40.0;
    html! {
        svg.chart viewBox=(format!("0 0 {width} {}", height + top + bottom)) width=(width) height=(height + top + bottom)
            role="img" aria-label=(format!("{title}: the figures are in the table beside it")) {
            text x="0" y=(top + 4.0) font-size="11" { (most as u64) }
            text x="0" y=(top + height) font-size="11" { "0" }
            line x1=(left - 4.0) y1=(top + height) x2=(width) y2=(top + height) stroke="#444" {}
            @for (i, (label, n)) in bars.iter().enumerate() {
                @let x = left + i as f64 * (bar + gap);
                @let h = height * (*n as f64) / most;
                rect x=(x) y=(top + height - h) width=(bar) height=(h) fill="#0b3d61" { title { (label) ": " (n) } }
                @if i % label_every == 0 {
                    text x=(x) y=(top + height + 14.0) font-size="10" { (label) }
                }
            }
        }
    }
}

fn by_day(l: &LineReport, query: &str) -> Markup {
    let days: Vec<(String, u64)> = l
        .by_day
        .iter()
        .map(|d| (short_day(&d.day), d.calls))
        .collect();
    html! {
        section aria-labelledby="by-day" {
            h3 id="by-day" { "Calls by day" }
            (bars("Calls by day", &days))
            details {
                summary { "The figures, day by day" }
                table {
                    thead { tr { th scope="col" { "Day" } th scope="col" { "Calls" } th scope="col" { "Reached a person" }
                        th scope="col" { "Hung up before" } th scope="col" { "While closed" } th scope="col" { "Call backs" } } }
                    tbody { @for d in &l.by_day { tr {
                        th scope="row" { (d.day.parse().map_or(d.day.clone(), uk_day)) }
                        td { (d.calls) } td { (d.answered) } td { (d.abandoned) } td { (d.closed_calls) } td { (d.callbacks) }
                    } } }
                }
            }
            p { a href=(format!("/reports.csv?{query}&table=by-day")) download { "Download calls by day (CSV)" } }
        }
    }
}

/// "2 Dec" for 2026-12-02.
fn short_day(day: &str) -> String {
    use chrono::Datelike;
    day.parse::<NaiveDate>().map_or(day.to_owned(), |d| {
        format!("{} {}", d.day(), &speech::month(d.month0())[..3])
    })
}

/// Calls by hour of the week as a heat map: darker, more calls.
fn by_hour_of_week(l: &LineReport, query: &str) -> Markup {
    let most = l.by_week_hour.iter().copied().max().unwrap_or(0).max(1) as f64;
    let (cell, left, top) = (22.0, 34.0, 18.0);
    let shade = |n: u64| {
        // From a pale blue to the header's dark blue.
        let t = n as f64 / most;
        let mix = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
        format!(
            "#{:02x}{:02x}{:02x}",
            mix(238., 11.),
            mix(244., 61.),
            mix(248., 97.)
        )
    };
    html! {
        section aria-labelledby="by-hour" {
            h3 id="by-hour" { "Calls by hour of the week (UK time)" }
            svg.chart viewBox=(format!("0 0 {} {}", left + 24.0 * cell, top + 7.0 * cell)) width=(left + 24.0 * cell) height=(top + 7.0 * cell)
                role="img" aria-label="Calls by hour of the week, darker for more calls: the figures are in the table below" {
                @for hour in (0..24).step_by(3) {
                    text x=(left + hour as f64 * cell) y="12" font-size="10" { (hour_words(hour)) }
                }
                @for (d, day) in WEEKDAYS.iter().enumerate() {
                    text x="0" y=(top + d as f64 * cell + 15.0) font-size="11" { (day) }
                    @for hour in 0..24 {
                        @let n = l.by_week_hour[d * 24 + hour];
                        rect x=(left + hour as f64 * cell) y=(top + d as f64 * cell) width=(cell - 2.0) height=(cell - 2.0) fill=(shade(n)) {
                            title { (day) " " (hour_words(hour as u32)) ": " (n) }
                        }
                    }
                }
            }
            details {
                summary { "The figures, hour by hour" }
                div.wide role="region" tabindex="0" aria-label="Calls by hour (scrolls sideways)" { table {
                    thead { tr { th scope="col" { "Day" } @for hour in 0..24 { th scope="col" { (hour) } } } }
                    tbody { @for (d, day) in WEEKDAYS.iter().enumerate() { tr {
                        th scope="row" { (day) }
                        @for hour in 0..24 { td { (l.by_week_hour[d * 24 + hour]) } }
                    } } }
                } }
            }
            p { a href=(format!("/reports.csv?{query}&table=by-hour")) download { "Download calls by hour (CSV)" } }
        }
    }
}

fn endings(l: &LineReport) -> Markup {
    let how = |what: &str| {
        l.ended
            .iter()
            .filter(|e| e.how == what)
            .map(|e| e.calls)
            .sum::<u64>()
    };
    let totals: Vec<(String, u64)> = [
        ("answered", "A person"),
        ("call back", "Call back"),
        ("ended by the line", "Line ended it"),
        ("hung up", "Hung up"),
    ]
    .iter()
    .map(|(what, words)| ((*words).to_owned(), how(what)))
    .collect();
    html! {
        section aria-labelledby="ended" {
            h3 id="ended" { "How calls ended" }
            (bars("How calls ended", &totals))
            p { "Time to a person, from the start of the call: " (waits(&l.wait_for_person)) ". "
                "Time from a request for a call back to the call back: " (waits(&l.call_back_wait)) "." }
            table {
                thead { tr { th scope="col" { "How" } th scope="col" { "Where" } th scope="col" { "Calls" } } }
                tbody { @for e in &l.ended { tr {
                    td { (e.how) } td { (step_words(&e.step)) } td { (e.calls) }
                } } }
            }
        }
    }
}

/// `line/step` as its step's title ("Main menu"), for people.
fn step_words(step: &str) -> String {
    step.rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
        .map_or_else(|| "—".to_owned(), crate::flow::step_title)
}

fn while_closed(l: &LineReport) -> Markup {
    let mut by_hour = [0u64; 24];
    for c in &l.closed_by_hour {
        by_hour[c.hour as usize % 24] += c.calls;
    }
    let bars_by_hour: Vec<(String, u64)> = by_hour
        .iter()
        .enumerate()
        .map(|(h, n)| (hour_words(h as u32), *n))
        .collect();
    html! {
        section aria-labelledby="closed" {
            h3 id="closed" { "Calls while the line was closed, by hour (when callers want it open)" }
            @if l.closed_calls == 0 {
                p { "None." }
            } @else {
                (bars("Calls while closed, by hour of the day", &bars_by_hour))
                table {
                    thead { tr { th scope="col" { "Why it was closed" } th scope="col" { "Hour" } th scope="col" { "Calls" } } }
                    tbody { @for c in &l.closed_by_hour { tr {
                        td { (reason_words(&c.reason)) } td { (hour_words(c.hour)) } td { (c.calls) }
                    } } }
                }
            }
        }
    }
}

fn reason_words(reason: &str) -> &str {
    match reason {
        "closed" => "outside its hours",
        "holiday" => "a bank holiday",
        "closure" => "a closure day",
        "emergency" => "the emergency switch",
        other => other,
    }
}

/// A section of one table (its column headings, then a row of cells each), or "None.".
fn table_section(id: &str, title: &str, headings: &[&str], rows: Vec<Vec<String>>) -> Markup {
    html! {
        section aria-labelledby=(id) {
            h3 id=(id) { (title) }
            @if rows.is_empty() { p { "None." } } @else {
                table {
                    thead { tr { @for h in headings { th scope="col" { (h) } } } }
                    tbody { @for row in &rows { tr { @for cell in row { td { (cell) } } } } }
                }
            }
        }
    }
}

fn statuses(l: &LineReport) -> Markup {
    let rows = l.statuses.iter().map(|s| {
        let average = (s.seconds / s.calls.max(1)) as i64;
        vec![
            s.status.clone(),
            s.calls.to_string(),
            duration_words(average),
        ]
    });
    table_section(
        "statuses",
        "How Twilio says the calls ended",
        &["Status", "Calls", "Average length"],
        rows.collect(),
    )
}

fn reached(l: &LineReport) -> Markup {
    let rows = l
        .reached
        .iter()
        .map(|r| vec![step_words(&r.step), r.calls.to_string()]);
    table_section(
        "reached",
        "Steps reached",
        &["Step", "Times reached"],
        rows.collect(),
    )
}

fn choices(l: &LineReport) -> Markup {
    let rows = l
        .choices
        .iter()
        .map(|c| vec![step_words(&c.step), c.choice.clone(), c.calls.to_string()]);
    table_section(
        "choices",
        "Choices at each menu",
        &["Menu", "Choice", "Calls"],
        rows.collect(),
    )
}

fn connections(l: &LineReport) -> Markup {
    let rows = l.connections.iter().map(|c| {
        vec![
            step_words(&c.step),
            c.result.clone(),
            c.attempts.to_string(),
        ]
    });
    table_section(
        "connections",
        "Tries to put callers through",
        &["To", "Result", "Tries"],
        rows.collect(),
    )
}

/// One of the page's tables as CSV, with a header row: `None` for a table there is not.
pub fn table_csv(report: &Report, table: &str) -> Option<String> {
    use crate::reports::SUMMARY_COLUMNS;
    let shown = if report.lines.len() == 1 {
        &report.lines[0]
    } else {
        &report.all
    };
    match table {
        "summary" => Some(csv(&SUMMARY_COLUMNS, &report.summary_rows())),
        "by-day" => Some(csv(
            &[
                "day",
                "calls",
                "answered",
                "abandoned",
                "closed_calls",
                "callbacks",
            ],
            &shown
                .by_day
                .iter()
                .map(|d| {
                    vec![
                        d.day.clone(),
                        d.calls.to_string(),
                        d.answered.to_string(),
                        d.abandoned.to_string(),
                        d.closed_calls.to_string(),
                        d.callbacks.to_string(),
                    ]
                })
                .collect::<Vec<_>>(),
        )),
        "by-hour" => Some(csv(
            &["weekday", "hour", "calls"],
            &(0..168)
                .map(|h| {
                    vec![
                        WEEKDAYS[h / 24].to_owned(),
                        (h % 24).to_string(),
                        shown.by_week_hour[h].to_string(),
                    ]
                })
                .collect::<Vec<_>>(),
        )),
        _ => None,
    }
}
