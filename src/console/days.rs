//! One-off days of a schedule, edited from the console in the flow file that defines it:
//! closure days (with the reason callers hear) and special hours ("09:00-13:00"). The file
//! keeps its comments and layout (`toml_edit`), and the edited set must pass the same check as
//! `switchboard check` before it is written.

use std::path::{Path, PathBuf};

use chrono::{NaiveDate, Utc};
use toml_edit::{Array, DocumentMut, InlineTable, Value};

use crate::flow;

/// Which list of one-off days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum List {
    Closures,
    SpecialHours,
}

impl List {
    pub fn named(name: &str) -> Option<List> {
        match name {
            "closures" => Some(List::Closures),
            "special_hours" => Some(List::SpecialHours),
            _ => None,
        }
    }

    /// The key of the list in the schedule's table, as the flow file writes it.
    fn key(self) -> &'static str {
        match self {
            List::Closures => "closures",
            List::SpecialHours => "special_hours",
        }
    }

    /// The key of each day's value.
    fn value_key(self) -> &'static str {
        match self {
            List::Closures => "reason",
            List::SpecialHours => "hours",
        }
    }

    pub fn one(self) -> &'static str {
        match self {
            List::Closures => "closure day",
            List::SpecialHours => "special hours",
        }
    }

    pub fn asks_for(self) -> &'static str {
        match self {
            List::Closures => "Give the reason callers will hear.",
            List::SpecialHours => "Give the day's hours, as 09:00-13:00.",
        }
    }
}

/// What an edit did: the file's name, and the list before and after, as the audit shows it.
pub struct Edited {
    pub file: String,
    pub before: String,
    pub after: String,
}

fn problem(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// The flow file in `flows_dir` that defines `schedule`, parsed.
fn defining(flows_dir: &Path, schedule: &str) -> Result<(PathBuf, DocumentMut), String> {
    for path in flow::flow_files(flows_dir).map_err(problem)? {
        let text = std::fs::read_to_string(&path).map_err(problem)?;
        if let Ok(doc) = text.parse::<DocumentMut>()
            && doc.get("schedules").and_then(|s| s.get(schedule)).is_some()
        {
            return Ok((path, doc));
        }
    }
    Err(format!("No flow file defines the schedule {schedule}."))
}

fn as_text(list: List, days: &Array) -> String {
    let field = |t: &InlineTable, key| t.get(key).and_then(Value::as_str).unwrap_or("").to_owned();
    let days: Vec<String> = days
        .iter()
        .filter_map(Value::as_inline_table)
        .map(|t| format!("{}: {}", field(t, "date"), field(t, list.value_key())))
        .collect();
    match days.is_empty() {
        true => format!("no {}", list.key().replace('_', " ")),
        false => days.join("\n"),
    }
}

/// Adds `date` with `value` (a reason, or hours) to the list, or removes it when `value` is
/// `None`; writes the file only if the edited flows pass the check.
pub fn edit(
    flows_dir: &Path,
    schedule: &str,
    list: List,
    date: NaiveDate,
    value: Option<&str>,
) -> Result<Edited, String> {
    let (path, mut doc) = defining(flows_dir, schedule)?;
    let table = &mut doc["schedules"][schedule];
    if table.get(list.key()).is_none() {
        table[list.key()] = toml_edit::value(Array::new());
    }
    let days = table[list.key()]
        .as_array_mut()
        .ok_or_else(|| format!("`{}` is not a list in {}", list.key(), path.display()))?;
    let before = as_text(list, days);
    let day = date.to_string();
    let is_day = |v: &Value| {
        v.as_inline_table()
            .and_then(|t| t.get("date"))
            .and_then(Value::as_str)
            == Some(day.as_str())
    };
    match value {
        Some(value) => {
            if days.iter().any(is_day) {
                return Err(format!("{day} has {} already.", list.one()));
            }
            let mut entry = InlineTable::new();
            entry.insert("date", day.as_str().into());
            entry.insert(list.value_key(), value.into());
            days.push(entry);
        }
        None => {
            let count = days.len();
            days.retain(|v| !is_day(v));
            if days.len() == count {
                return Err(format!("{day} has no {}.", list.one()));
            }
        }
    }
    let after = as_text(list, days);
    let text = doc.to_string();
    check_with(flows_dir, &path, &text)?;
    crate::state::write_atomically(&path, text.as_bytes()).map_err(|e| {
        format!(
            "The flows could not be written ({}): {e}. If they come from git or a ConfigMap, change them there.",
            path.display()
        )
    })?;
    Ok(Edited {
        file: path
            .file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into_owned()),
        before,
        after,
    })
}

/// Runs the check on the flow directory as it would be with `path` holding `text`: the
/// findings, in the words `switchboard check` prints, if it does not pass.
fn check_with(flows_dir: &Path, path: &Path, text: &str) -> Result<(), String> {
    let mut sources = flow::read_sources(flows_dir).map_err(|d| d.to_string())?;
    for (source, old) in &mut sources {
        if source == path {
            *old = text.to_owned();
        }
    }
    let checked = flow::check_sources(&sources, Utc::now().date_naive());
    match checked.flows {
        Some(_) => Ok(()),
        None => Err(format!(
            "Not changed: the edit would not pass the check.\n{}",
            checked.diagnostics
        )),
    }
}
