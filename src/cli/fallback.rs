//! `switchboard fallback`: the document for a number's fallback URL, made from the flows, to
//! host where no server of ours is needed.

use anyhow::bail;
use switchboard::engine;

use super::{Done, FlowsDir, load};

#[derive(clap::Args)]
pub struct Args {
    /// The number callers ring (E.164, as the flows list it): the document is for its line.
    #[arg(long)]
    to: String,
    #[command(flatten)]
    flows: FlowsDir,
}

impl Args {
    pub fn execute(self) -> anyhow::Result<Done> {
        let flows = load(&self.flows.dir)?;
        let Some(line) = flows.line_claiming(self.to.trim()) else {
            bail!(
                "no line answers {:?}; the flows' numbers are {}",
                self.to,
                super::numbers_of_lines(&flows)
            );
        };
        // No server to come back to: the document holds no URL at all.
        let document = engine::static_fallback(&flows, line).to_xml("");
        super::print(&format!("{document}\n"))?;
        Ok(Done::Ok)
    }
}
