//! `switchboard check`: the linter, as ops and CI run it.

use std::path::Path;

use chrono::Utc;
use switchboard::flow;

use super::{Done, FlowsDir};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    flows: FlowsDir,
}

impl Args {
    pub fn execute(self) -> anyhow::Result<Done> {
        Ok(check(&self.flows.dir))
    }
}

fn check(dir: &Path) -> Done {
    let checked = flow::check_dir(dir, Utc::now().date_naive());
    eprint!("{}", checked.diagnostics);
    let warnings = checked.diagnostics.0.len();
    match checked.flows {
        Some(flows) => {
            let steps: usize = flows.lines.iter().map(|l| l.steps.len()).sum();
            let warnings = match warnings {
                0 => "no problems".to_owned(),
                n => flow::plural(n as u32, "warning", "warnings"),
            };
            println!(
                "{}: {} lines, {steps} steps, {warnings} (version {})",
                super::in_full(dir).display(),
                flows.lines.len(),
                flows.version
            );
            Done::Ok
        }
        None => Done::Found,
    }
}
