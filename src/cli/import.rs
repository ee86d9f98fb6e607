//! `switchboard import`: real calls from Twilio's Call Events (or Event Streams) as fixtures.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use switchboard::calendar::format_instant;
use switchboard::fixture::{self, import};
use switchboard::server::PublicUrl;

use super::{Done, FlowsDir, in_full, load};

#[derive(clap::Args)]
pub struct Args {
    /// Call Events pages (Events.json, every page of a call) or Event Streams events, as JSON.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// The directory to write the fixtures in.
    #[arg(long, default_value = fixture::DEFAULT_DIR)]
    out: PathBuf,
    /// Switchboard's public URL, whose host tells its webhooks from other applications'; by
    /// default, the host that got most of each call's voice webhooks.
    #[arg(long, env = "SWITCHBOARD_PUBLIC_URL")]
    public_url: Option<PublicUrl>,
    #[command(flatten)]
    flows: FlowsDir,
}

impl Args {
    pub fn execute(self) -> anyhow::Result<Done> {
        let flows = load(&self.flows.dir)?;
        // Every file is read before anything is written: a call's pages go together.
        let mut events = Vec::new();
        for path in &self.files {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            events.extend(import::read_events(path, &text)?);
        }
        let host = self.public_url.as_ref().map(|url| {
            url.origin
                .split_once("://")
                .map_or(&*url.origin, |(_, h)| h)
        });
        let imported = import::import(events, host, &flows);
        if imported.fixtures.is_empty() {
            bail!("these events hold no voice webhook of Switchboard's: nothing to import");
        }
        std::fs::create_dir_all(&self.out)
            .with_context(|| format!("creating {}", self.out.display()))?;
        for fixture in imported.fixtures {
            let (line, at) = (fixture.line.clone(), fixture.at);
            let comment = format!(
                "Imported by `switchboard import` from Twilio's record of a call at {}.\n\
                 The caller's number is replaced by {}, and what they said by words that choose the same.\n\
                 If the emergency switch was closed during the call, say so with emergency = [\"schedule\"].",
                format_instant(at),
                fixture::record::FAKE_CALLER,
            );
            let (path, exchanges) = fixture::write_new(&self.out, fixture, &comment)
                .map_err(|(path, e)| anyhow::anyhow!("writing {}: {e}", path.display()))?;
            out!(
                "{}: a {line} call at {}, {}",
                in_full(&path).display(),
                format_instant(at),
                switchboard::flow::plural(exchanges as u32, "exchange", "exchanges")
            );
        }
        let dropped = imported.dropped;
        let left_out = [
            (dropped.rest_api, "REST API requests"),
            (dropped.other_hosts, "webhooks to other hosts"),
            (dropped.not_voice, "status or fallback callbacks"),
            (dropped.unanswered, "webhooks answered with an error"),
            (dropped.repeated, "events listed twice"),
            (
                dropped.asked_for_a_call_back,
                "calls that asked for a call back (they hold the number to call)",
            ),
        ]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect::<Vec<_>>();
        if !left_out.is_empty() {
            out!("left out: {}", left_out.join(", "));
        }
        Ok(Done::Ok)
    }
}
