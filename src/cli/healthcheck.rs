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
                eprintln!("{}: {}", self.url, why_unanswered(&error, self.timeout));
                Ok(Done::Found)
            }
        }
    }
}

/// Why a request got no answer, in the words of its deepest cause: "Connection refused (os
/// error 111)", not only "error sending request".
fn why_unanswered(error: &reqwest::Error, timeout: Duration) -> String {
    if error.is_timeout() {
        return format!("no answer within {}", humantime::format_duration(timeout));
    }
    let mut deepest: &dyn std::error::Error = error;
    while let Some(cause) = deepest.source() {
        deepest = cause;
    }
    format!("no answer: {deepest}")
}
