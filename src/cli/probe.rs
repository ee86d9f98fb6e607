//! `switchboard probe`: a call to each line from outside, as Twilio makes one, through the
//! servers' public URL: exit 0 only if every line puts the caller through to a person.

use std::time::Duration;

use anyhow::Context as _;
use switchboard::probe::Prober;
use switchboard::signature;

use super::{Done, FlowsDir, load};

#[derive(clap::Args)]
pub struct Args {
    /// The servers' public URL, as Twilio calls it (`serve --public-url`): webhooks are
    /// signed over it.
    #[arg(long, env = "SWITCHBOARD_PUBLIC_URL")]
    public_url: String,
    /// How long each line may take to put the caller through.
    #[arg(long, default_value = "10s", value_parser = super::duration)]
    within: Duration,
    #[command(flatten)]
    flows: FlowsDir,
}

impl Args {
    pub fn execute(self) -> anyhow::Result<Done> {
        let flows = load(&self.flows.dir)?;
        let token = super::secrets::secret(super::secrets::AUTH_TOKEN)?.context(
            "set TWILIO_AUTH_TOKEN (or TWILIO_AUTH_TOKEN_FILE) to the token the servers check signatures with",
        )?;
        let prober = Prober {
            public_url: self.public_url.trim_end_matches('/'),
            key: signature::Key::new(&token),
            flows: &flows,
            within: self.within,
        };
        let mut failed = 0;
        for line in 0..flows.lines.len() {
            match prober.call(line) {
                Ok(reached) => out!(
                    "ok      {}: put through to {} at {} ({} webhooks, {} ms)",
                    reached.line,
                    reached.number,
                    reached.step,
                    reached.webhooks,
                    reached.took.as_millis()
                ),
                Err(problem) => {
                    failed += 1;
                    eprintln!(
                        "FAILED  {}: at {}: {}",
                        problem.line, problem.step, problem.what
                    );
                }
            }
        }
        Ok(if failed == 0 { Done::Ok } else { Done::Found })
    }
}
