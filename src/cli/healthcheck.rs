//! `switchboard healthcheck`: asks a running server whether it is alive, for a container's
//! HEALTHCHECK or a probe that has no shell or curl to do it.

use std::time::Duration;

use super::Done;

#[derive(clap::Args)]
pub struct Args {
    /// The server's liveness URL.
    #[arg(default_value = "http://127.0.0.1:8080/healthz")]
    url: String,
    /// How long to wait for the answer.
    #[arg(long, default_value = "3s", value_parser = super::duration)]
    timeout: Duration,
}

impl Args {
    pub fn execute(self) -> anyhow::Result<Done> {
        let client = switchboard::outbound::blocking_client()
            .timeout(self.timeout)
            .no_proxy()
            .build()?;
        match client.get(&self.url).send() {
            Ok(response) if response.status().is_success() => {
                out!("{}: {}", self.url, response.status());
                Ok(Done::Ok)
            }
            Ok(response) => {
                eprintln!("{}: {}", self.url, response.status());
                Ok(Done::Found)
            }
            Err(error) => {
                eprintln!(
                    "{}: {}",
                    self.url,
                    switchboard::outbound::why_unanswered(&error, self.timeout)
                );
                Ok(Done::Found)
            }
        }
    }
}
