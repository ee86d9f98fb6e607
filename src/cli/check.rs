//! `switchboard check`: the linter, as ops and CI run it.

use std::path::Path;

use chrono::Utc;
use switchboard::flow;

use super::{Done, FlowsDir};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    flows: FlowsDir,
    /// Where a store is (as every command finds it), also say whether these files are held
    /// back since a roll-back, and what putting them in force would change.
    #[command(flatten)]
    state: super::StateDir,
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
        let done = check(&self.flows.dir, self.format)?;
        if matches!(done, Done::Ok) {
            self.say_if_held()?;
        }
        Ok(done)
    }

    /// Where a store already is: whether these files are held back since a roll-back (they
    /// differ from the version in force, which they would partly undo), said as a warning.
    fn say_if_held(&self) -> anyhow::Result<()> {
        let runtime = super::runtime()?;
        let Some(store) = self.state.open_existing(&runtime)? else {
            return Ok(());
        };
        let files = flow::read_named(&self.flows.dir).map_err(|d| anyhow::anyhow!("{d}"))?;
        let version = switchboard::check::check_named(&files, Utc::now().date_naive()).version;
        let said = runtime.block_on(async {
            if store.flow_files_held().await?.is_none() {
                return Ok::<_, switchboard::store::StoreError>(None);
            }
            let Some(in_force) = store.snapshot().await?.in_force else {
                return Ok(None);
            };
            if in_force.version == version {
                return Ok(None);
            }
            let now = store
                .flow_files(&in_force.version)
                .await?
                .unwrap_or_default();
            let changes = flow::changes::described(&now, &files);
            Ok(Some((in_force.number, changes)))
        })?;
        if let Some((number, changes)) = said {
            eprintln!(
                "warning: these files are held back since a roll-back: they differ from version {number}, in force, and go into force only when someone puts them there from the console's Versions page. Putting them in force would change:"
            );
            for change in changes {
                eprintln!("  - {change}");
            }
        }
        Ok(())
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
