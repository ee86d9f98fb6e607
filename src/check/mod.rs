//! `check`: a set of call-flow files loaded (`flow`) and then checked for what a caller would
//! live through: the linter (`lint`) and the model check (`model`), which plays every way a
//! call can go through the engine itself. Above the engine, as it runs it; below everything
//! that reads flows from files or the store.

pub mod lint;
pub mod model;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::flow::{Diagnostics, Flows, Severity, read_sources};

/// Everything `check` finds in a set of files, and the flows if none of it is an error.
#[derive(Debug)]
pub struct Checked {
    pub flows: Option<Flows>,
    /// The files' hash (see [`Flows::version`]), whether or not they have errors.
    pub version: String,
    /// Errors and warnings, in file and line order.
    pub diagnostics: Diagnostics,
}

impl Checked {
    /// The flows, or every finding if any is an error. Warnings alone do not refuse a set.
    pub fn into_result(self) -> Result<Flows, Diagnostics> {
        self.flows.ok_or(self.diagnostics)
    }
}

/// Loads every `*.toml` file in `dir` as one set of flows.
pub fn load_dir(dir: &Path) -> Result<Flows, Diagnostics> {
    check_dir(dir, today()).into_result()
}

/// Loads flows from (path, text) pairs; the path's file stem is the line's id.
pub fn load_sources(sources: &[(PathBuf, String)]) -> Result<Flows, Diagnostics> {
    check_sources(sources, today()).into_result()
}

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// Every `*.toml` file in `dir`, checked as one set; `today` is for the calendar's horizon.
pub fn check_dir(dir: &Path, today: NaiveDate) -> Checked {
    match read_sources(dir) {
        Ok(sources) => check_sources(&sources, today),
        Err(diagnostics) => Checked {
            flows: None,
            version: String::new(),
            diagnostics,
        },
    }
}

/// Checks files kept by name (see [`crate::flow::NamedFiles`]) as one set, as
/// [`check_sources`] does.
pub fn check_named(files: &[(String, String)], today: NaiveDate) -> Checked {
    let sources: Vec<(PathBuf, String)> = files
        .iter()
        .map(|(name, text)| (PathBuf::from(name), text.clone()))
        .collect();
    check_sources(&sources, today)
}

/// Checks (path, text) pairs as one set; the path's file stem is the line's id. The deeper
/// checks ([`lint`]) run once the files are otherwise free of errors.
pub fn check_sources(sources: &[(PathBuf, String)], today: NaiveDate) -> Checked {
    let mut found = Vec::new();
    let (flows, files) = crate::flow::build(sources, &mut found);
    if let Some(flows) = &flows
        && !found.iter().any(|d| d.severity == Severity::Error)
    {
        found.extend(lint::lint(flows, &lint::Files { sources: &files }, today));
    }
    let mut diagnostics = Diagnostics(found);
    diagnostics.sort();
    let version = crate::flow::version(sources);
    let flows = flows
        .filter(|_| !diagnostics.has_errors())
        .map(|mut flows| {
            flows.version = version.clone();
            flows
        });
    Checked {
        flows,
        version,
        diagnostics,
    }
}
