//! `switchboard check`: the linter, as ops and CI run it.

use std::path::Path;

use chrono::Utc;
use switchboard::flow;

use super::{Done, FlowsDir};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    flows: FlowsDir,
    /// How findings are printed: `path:line:col: message` lines (on stderr), or GitHub Actions
    /// annotations (on stdout), which show on a pull request's lines.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Github,
}

impl Args {
    pub fn execute(self) -> anyhow::Result<Done> {
        check(&self.flows.dir, self.format)
    }
}

fn check(dir: &Path, format: Format) -> anyhow::Result<Done> {
    let checked = switchboard::check::check_dir(dir, Utc::now().date_naive());
    match format {
        Format::Text => eprint!("{}", checked.diagnostics),
        Format::Github => {
            for finding in &checked.diagnostics.0 {
                out!("{}", finding.github_annotation());
            }
        }
    }
    let warnings = checked.diagnostics.0.len();
    match checked.flows {
        Some(flows) => {
            let steps: usize = flows.lines.iter().map(|l| l.steps.len()).sum();
            let warnings = match warnings {
                0 => "no problems".to_owned(),
                n => flow::plural(n as u32, "warning", "warnings"),
            };
            out!(
                "{}: {} lines, {steps} steps, {warnings} (version {})",
                super::in_full(dir).display(),
                flows.lines.len(),
                flows.version
            );
            Ok(Done::Ok)
        }
        None => Ok(Done::Found),
    }
}
