//! `switchboard graph`: a line's call flow as a diagram.

use std::path::Path;

use anyhow::bail;
use switchboard::flow;

use super::{Done, FlowsDir, load};

#[derive(clap::Args)]
pub struct Args {
    /// The line's id: its flow file's name, e.g. wellbeing.
    #[arg(long)]
    line: String,
    /// dot (for Graphviz) or mermaid.
    #[arg(long, default_value = "dot")]
    format: flow::graph::Format,
    #[command(flatten)]
    flows: FlowsDir,
}

impl Args {
    pub fn execute(self) -> anyhow::Result<Done> {
        graph(&self.flows.dir, &self.line, self.format)?;
        Ok(Done::Ok)
    }
}

fn graph(dir: &Path, line: &str, format: flow::graph::Format) -> anyhow::Result<()> {
    let flows = load(dir)?;
    let Some(diagram) = flow::graph::render(&flows, line, format, flow::graph::Readers::Engineers)
    else {
        let known: Vec<&str> = flows.lines.iter().map(|l| l.id.as_str()).collect();
        bail!(
            "there is no line {line:?}; the lines are {}",
            known.join(", ")
        );
    };
    super::print(&diagram)
}
