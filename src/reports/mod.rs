//! Reports in people's words and in files: each line's figures as text, a CSV a spreadsheet
//! reads, and JSON. The figures themselves are counted by the store (`store::report`).

pub mod tables;
pub mod words;

use std::fmt::Write as _;

use crate::calendar::speech;
use crate::store::report::{Ending, LineReport, Report, Waits};

/// The lines of `flows` as a report takes them: (id, name), in the flows' order.
pub fn lines_of(flows: &crate::flow::Flows) -> Vec<(String, String)> {
    flows
        .lines
        .iter()
        .map(|l| (l.id.to_string(), l.name.clone()))
        .collect()
}

/// The summary's columns, one row a line: the CSV's header.
pub const SUMMARY_COLUMNS: [&str; 14] = [
    "line",
    "name",
    "from",
    "to",
    "calls",
    "answered",
    "abandoned",
    "ended_by_line",
    "closed_calls",
    "callbacks",
    "median_wait_for_person_s",
    "p90_wait_for_person_s",
    "median_call_back_wait_s",
    "p90_call_back_wait_s",
];

/// A cell as a spreadsheet can open it safely: one that starts as a formula would (`=`, `+`,
/// `-`, `@`, a tab or a carriage return) is written as text, after a `'`, so a line or step
/// named by someone can never run as a formula on a coordinator's machine.
fn safe_cell(value: &str) -> std::borrow::Cow<'_, str> {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{value}"))
    } else {
        std::borrow::Cow::Borrowed(value)
    }
}

/// CSV text with a header row, written by the `csv` crate (quoting as RFC 4180 asks, lines
/// ended by CRLF), each cell safe to open in a spreadsheet.
pub fn csv(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let written = writer
        .write_record(header)
        .and_then(|()| {
            rows.iter().try_for_each(|row| {
                writer.write_record(row.iter().map(|cell| safe_cell(cell).into_owned()))
            })
        })
        .and_then(|()| writer.flush().map_err(csv::Error::from));
    written.expect("writing CSV into memory cannot fail");
    let bytes = writer.into_inner().expect("flushed already, into memory");
    String::from_utf8(bytes).expect("UTF-8 cells make UTF-8 CSV")
}

fn optional(value: Option<i64>) -> String {
    value.map_or(String::new(), |v| v.to_string())
}

impl Report {
    /// One row a line, as [`SUMMARY_COLUMNS`] names them.
    pub fn summary_rows(&self) -> Vec<Vec<String>> {
        self.lines
            .iter()
            .map(|l| {
                vec![
                    l.line.clone(),
                    l.name.clone(),
                    self.from.to_string(),
                    self.to.to_string(),
                    l.calls.to_string(),
                    l.answered.to_string(),
                    l.abandoned.to_string(),
                    l.ended_by_line.to_string(),
                    l.closed_calls.to_string(),
                    l.callbacks.to_string(),
                    optional(l.wait_for_person.median_s),
                    optional(l.wait_for_person.p90_s),
                    optional(l.call_back_wait.median_s),
                    optional(l.call_back_wait.p90_s),
                ]
            })
            .collect()
    }

    pub fn to_csv(&self) -> String {
        csv(&SUMMARY_COLUMNS, &self.summary_rows())
    }

    /// One object a line.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.lines).expect("plain data") + "\n"
    }

    /// For people, in the Reports page's words: each line, then all lines together. `flows`
    /// names the steps and the menu choices.
    pub fn to_text(&self, flows: &crate::flow::Flows) -> String {
        let mut out = format!(
            "Calls from {} to {} (UK dates), each counted once, on the line whose number was rung\n",
            speech::full_date(self.from),
            speech::full_date(self.to)
        );
        let several = self.lines.len() > 1;
        for line in self.lines.iter().chain(several.then_some(&self.all)) {
            out.push('\n');
            line_text(&mut out, flows, line);
        }
        out.push_str("\nWhat the figures mean:\n");
        for figure in words::FIGURES {
            let _ = writeln!(out, "  {}: {}", figure.name, figure.means);
        }
        out
    }
}

/// A wait as people say it: "45 s", "3 min 20 s", "2 h 5 min".
pub fn duration_words(seconds: i64) -> String {
    match seconds {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min {} s", s / 60, s % 60),
        s => format!("{} h {} min", s / 3600, s % 3600 / 60),
    }
}

/// The days of the week, Monday first, as the tables of hours name them.
pub const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// A wait in words: "40 s (9 in 10 within 1 min 5 s)", or "none".
pub fn waits_words(w: &Waits) -> String {
    match (w.median_s, w.p90_s) {
        (Some(median), Some(p90)) => format!(
            "{} (9 in 10 within {})",
            duration_words(median),
            duration_words(p90)
        ),
        _ => "none".to_owned(),
    }
}

fn waits_text(waits: &Waits) -> String {
    match (waits.median_s, waits.p90_s) {
        (Some(median), Some(p90)) => format!(
            "median {}, 90th percentile {} (of {})",
            duration_words(median),
            duration_words(p90),
            waits.count
        ),
        _ => "none".to_owned(),
    }
}

/// "1 call", "2 calls".
fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A count with its share of the calls: "3 (60%)".
fn share(n: u64, calls: u64) -> String {
    match words::percent(n, calls).as_str() {
        "" => n.to_string(),
        percent => format!("{n} ({percent})"),
    }
}

fn line_text(out: &mut String, flows: &crate::flow::Flows, l: &LineReport) {
    let on = l.line.as_str();
    let step = |step: &str| words::step_words(flows, on, step);
    let _ = writeln!(out, "{} ({})", l.name, l.line);
    let _ = writeln!(out, "  {}: {}", words::CALLS.name, l.calls);
    for (how, figure) in words::OUTCOMES {
        let _ = writeln!(
            out,
            "  {}: {}",
            figure.name,
            share(l.ended_as(how), l.calls)
        );
    }
    let reasons: Vec<String> = l
        .closed_by_reason()
        .iter()
        .map(|(reason, n)| format!("{} {n}", words::reason_words(reason)))
        .collect();
    let _ = writeln!(
        out,
        "  {}: {}{}",
        words::WHILE_CLOSED.name,
        share(l.closed_calls, l.calls),
        if reasons.is_empty() {
            String::new()
        } else {
            format!(" ({})", reasons.join(", "))
        }
    );
    if l.reached_from_other_lines > 0 {
        let _ = writeln!(
            out,
            "  {}: {}",
            words::FROM_OTHER_LINES.name,
            l.reached_from_other_lines
        );
    }
    let _ = writeln!(
        out,
        "  {}: {}",
        words::TIME_TO_PERSON.name,
        waits_text(&l.wait_for_person)
    );
    let _ = writeln!(
        out,
        "  {}: {}",
        words::TIME_TO_CALL_BACK.name,
        waits_text(&l.call_back_wait)
    );
    out.push_str("  by day:\n");
    for d in &l.by_day {
        let day = d.day.parse().map_or(d.day.clone(), speech::full_date);
        let _ = writeln!(
            out,
            "    {day}: {}, {} reached a person, {} hung up before reaching a person, {} rang while closed, {} asked for a call back",
            plural(d.calls, "call", "calls"),
            d.answered,
            d.abandoned,
            d.closed_calls,
            d.callbacks
        );
    }
    if !l.choices.is_empty() {
        out.push_str("  choices at menus:\n");
        for c in &l.choices {
            let choice = words::choice_words(flows, &c.step, &c.choice);
            let calls = plural(c.calls, "call", "calls");
            let _ = writeln!(out, "    {}, {choice}: {calls}", step(&c.step));
        }
    }
    if !l.statuses.is_empty() {
        out.push_str("  how Twilio says the calls ended:\n");
        for s in &l.statuses {
            let _ = writeln!(
                out,
                "    {}: {}, {} in all",
                words::status_words(&s.status),
                plural(s.calls, "call", "calls"),
                duration_words(s.seconds as i64)
            );
        }
    }
    if !l.reached.is_empty() {
        out.push_str("  steps reached:\n");
        for r in &l.reached {
            let _ = writeln!(
                out,
                "    {}: {}",
                step(&r.step),
                plural(r.calls, "call", "calls")
            );
        }
    }
    if !l.connections.is_empty() {
        out.push_str("  tries to put callers through:\n");
        for c in &l.connections {
            let result = words::result_words(&c.result);
            let tries = plural(c.attempts, "try", "tries");
            let _ = writeln!(out, "    {}, {result}: {tries}", step(&c.step));
        }
    }
    let hung_up: Vec<&Ending> = l.ended.iter().filter(|e| e.how == "hung up").collect();
    if !hung_up.is_empty() {
        out.push_str("  where callers hung up before reaching a person:\n");
        for e in hung_up {
            let _ = writeln!(
                out,
                "    {}: {}",
                step(&e.step),
                plural(e.calls, "call", "calls")
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::csv;

    #[test]
    fn csv_quotes_what_it_must_and_no_cell_runs_as_a_formula() {
        let rows = vec![
            vec![
                "wellbeing".to_owned(),
                "Wellbeing, support".to_owned(),
                "3".to_owned(),
            ],
            vec![
                "=HYPERLINK(\"x\")".to_owned(),
                "@SUM(A1)".to_owned(),
                "-1+2".to_owned(),
            ],
            vec!["+44".to_owned(), "said \"hello\"".to_owned(), "".to_owned()],
        ];
        let text = csv(&["line", "name", "calls"], &rows);
        assert_eq!(
            text,
            "line,name,calls\r\n\
             wellbeing,\"Wellbeing, support\",3\r\n\
             \"'=HYPERLINK(\"\"x\"\")\",'@SUM(A1),'-1+2\r\n\
             '+44,\"said \"\"hello\"\"\",\r\n"
        );
    }
}
