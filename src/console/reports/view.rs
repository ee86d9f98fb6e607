//! The Reports page: how the lines were used over a range of UK dates, in coordinators'
//! words: each figure named and defined, with its share of the calls; charts drawn here as plain
//! SVG (no script, nothing fetched), each with its values and its table; and every table as CSV.

use chrono::NaiveDate;
use maud::{Markup, html};

use super::Asked;
use crate::calendar::speech;
use crate::console::auth::Session;
use crate::console::layout::{self, uk_day};
use crate::flow::Flows;
use crate::reports::tables::{self, Table};
use crate::reports::{WEEKDAYS, waits_words, words};
use crate::store::report::{LineReport, Report};

/// "9am", "12 noon" for an hour of the day.
fn hour_words(hour: u32) -> String {
    speech::time(chrono::NaiveTime::from_hms_opt(hour, 0, 0).unwrap_or_default())
}

/// The page: `quick` holds the one-click ranges, (words, query).
pub fn page(
    session: &Session,
    asked: &Asked,
    lines: &[(String, String)],
    quick: &[(&str, String)],
    flows: &Flows,
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
            p { "Or show: "
                @for (i, (words, range)) in quick.iter().enumerate() {
                    @if i > 0 { " · " }
                    a href=(format!("/reports?{range}&line={}", asked.line)) { (words) }
                }
            }
            @match report {
                Err(problem) => p.problem role="alert" { (problem) },
                Ok(report) => {
                    p { "Calls that started from " (uk_day(report.from)) " to " (uk_day(report.to))
                        ", by UK time, on every server. Each call counts once, on the line whose number the caller rang." }
                    h2 id="summary" { "Summary" }
                    (table_view(&tables::summary(report), &query))
                    (meanings())
                    @let shown = report.shown();
                    h2 { (shown.name) }
                    @for table in tables::of_line(flows, shown) {
                        section aria-labelledby=(table.id) {
                            h3 id=(table.id) { (table.title) }
                            @match table.id {
                                "by-day" => (bars(table.title, &by_day(shown))),
                                "by-hour" => (heat_map(shown)),
                                "ended" => (bars(table.title, &endings(shown))),
                                "closed" if shown.closed_calls > 0 => (bars("Calls while closed, by hour of the day", &closed_by_hour(shown))),
                                _ => {}
                            }
                            @if matches!(table.id, "by-day" | "by-hour") {
                                details {
                                    summary { "The figures" }
                                    (table_view(&table, &query))
                                }
                            } @else {
                                (table_view(&table, &query))
                            }
                            @if table.id == "ended" {
                                p { (words::TIME_TO_PERSON.name) ": " (waits_words(&shown.wait_for_person)) ". "
                                    (words::TIME_TO_CALL_BACK.name) ": " (waits_words(&shown.call_back_wait)) "." }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// What each figure means, in one line each, beside the summary.
fn meanings() -> Markup {
    html! {
        details open {
            summary { "What the figures mean" }
            dl { @for f in words::FIGURES { dt { (f.name) } dd { (f.means) } } }
        }
    }
}

/// A table of the report: on a phone, each row a card of labelled figures. Its first column
/// names the row (a date is said in words); the CSV below it holds the same rows.
fn table_view(table: &Table, query: &str) -> Markup {
    let first = |cell: &str| cell.parse::<NaiveDate>().map_or(cell.to_owned(), uk_day);
    html! {
        @if table.rows.is_empty() {
            p { "None." }
        } @else {
            table.cards {
                thead { tr { @for h in &table.headings { th scope="col" { (h) } } } }
                tbody { @for row in &table.rows { tr {
                    @for (i, cell) in row.iter().enumerate() {
                        @if i == 0 { th scope="row" { (first(cell)) } }
                        @else { td data-label=(table.headings[i]) { (cell) } }
                    }
                } } }
            }
            p { a href=(format!("/reports.csv?{query}&table={}", table.id)) download { "Download “" (table.title) "” (CSV)" } }
        }
    }
}

fn by_day(l: &LineReport) -> Vec<(String, u64)> {
    l.by_day
        .iter()
        .map(|d| (short_day(&d.day), d.calls))
        .collect()
}

fn endings(l: &LineReport) -> Vec<(String, u64)> {
    words::OUTCOMES
        .iter()
        .map(|(how, figure)| (figure.name.to_owned(), l.ended_as(how)))
        .collect()
}

fn closed_by_hour(l: &LineReport) -> Vec<(String, u64)> {
    let mut by_hour = [0u64; 24];
    for c in &l.closed_by_hour {
        by_hour[c.hour as usize % 24] += c.calls;
    }
    by_hour
        .iter()
        .enumerate()
        .map(|(h, n)| (hour_words(h as u32), *n))
        .collect()
}

/// A bar chart of (label, value), about 600 wide whatever the number of bars; as many labels
/// under it as fit, and each value over its bar where the bar is wide enough to hold it.
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
                @if bar >= 14.0 {
                    text x=(x + bar / 2.0) y=(top + height - h - 3.0) font-size="10" text-anchor="middle" { (n) }
                }
                @if i % label_every == 0 {
                    text x=(x) y=(top + height + 14.0) font-size="10" { (label) }
                }
            }
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

/// Calls by hour of the week as a heat map, darker for more calls, with its legend.
fn heat_map(l: &LineReport) -> Markup {
    let most = l.by_week_hour.iter().copied().max().unwrap_or(0);
    let shade = |n: u64| {
        // From a pale blue to the header's dark blue.
        let t = n as f64 / most.max(1) as f64;
        let mix = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
        format!(
            "#{:02x}{:02x}{:02x}",
            mix(238., 11.),
            mix(244., 61.),
            mix(248., 97.)
        )
    };
    let (cell, left, top) = (22.0, 34.0, 18.0);
    let legend_top = top + 7.0 * cell + 12.0;
    let steps: Vec<u64> = (0..=4).map(|i| most * i / 4).collect();
    html! {
        svg.chart viewBox=(format!("0 0 {} {}", left + 24.0 * cell, legend_top + 30.0)) width=(left + 24.0 * cell) height=(legend_top + 30.0)
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
            text x="0" y=(legend_top + 15.0) font-size="11" { "Calls in an hour:" }
            @for (i, n) in steps.iter().enumerate() {
                @let x = left + 90.0 + i as f64 * 60.0;
                rect x=(x) y=(legend_top) width="20" height="20" fill=(shade(*n)) stroke="#444" {}
                text x=(x + 24.0) y=(legend_top + 15.0) font-size="11" { (n) }
            }
        }
    }
}

/// One of the page's tables as CSV, with a header row: `None` for a table there is not.
pub fn table_csv(flows: &Flows, report: &Report, table: &str) -> Option<String> {
    tables::named(flows, report, table).map(|t| t.csv())
}
