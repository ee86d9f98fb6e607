//! `switchboard report`: how the lines were used over a range of UK dates, per line and for all
//! lines, from the call records every server writes to the store.

use chrono::NaiveDate;

use super::{Done, FlowsDir, StateDir};

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    /// For people.
    Text,
    /// One row a line, with a header row.
    Csv,
    /// One object a line, with every figure.
    Json,
}

#[derive(clap::Args)]
pub struct Args {
    /// One line (its id, as `switchboard graph --line` takes it); every line by default.
    #[arg(long)]
    line: Option<String>,
    /// The first day, a UK date: 2026-12-01.
    #[arg(long)]
    from: NaiveDate,
    /// The last day, included.
    #[arg(long)]
    to: NaiveDate,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    #[command(flatten)]
    flows: FlowsDir,
    #[command(flatten)]
    state: StateDir,
}

/// The longest range a report covers: ten years.
const MOST_DAYS: i64 = 3660;

impl Args {
    pub fn execute(self) -> anyhow::Result<Done> {
        if self.to < self.from {
            anyhow::bail!("--to {} is before --from {}", self.to, self.from);
        }
        if (self.to - self.from).num_days() >= MOST_DAYS {
            anyhow::bail!("a report covers at most {MOST_DAYS} days");
        }
        let runtime = super::runtime()?;
        let store = self.state.open(&runtime)?;
        runtime.block_on(async {
            let flows = super::in_force(&store, &self.flows.dir).await?;
            let mut lines = switchboard::reports::lines_of(&flows);
            if let Some(line) = &self.line {
                lines.retain(|(id, _)| id == line);
                if lines.is_empty() {
                    let known: Vec<String> = flows.lines.iter().map(|l| l.id.to_string()).collect();
                    anyhow::bail!(
                        "there is no line {line:?}; the lines are {}",
                        known.join(", ")
                    );
                }
            }
            let report = store.report(self.from, self.to, &lines).await?;
            let text = match self.format {
                Format::Text => report.to_text(&flows),
                Format::Csv => report.to_csv(),
                Format::Json => report.to_json(),
            };
            super::print(&text)?;
            Ok(Done::Ok)
        })
    }
}
