//! `switchboard sign`: the signature Twilio would send, for trying the server with curl.

use anyhow::Context as _;
use switchboard::server;

use super::Done;

#[derive(clap::Args)]
pub struct Args {
    /// The full URL as Twilio calls it, query included.
    #[arg(long)]
    url: String,
    /// POST parameters as NAME=VALUE, unencoded.
    params: Vec<String>,
}

impl Args {
    pub fn execute(self) -> anyhow::Result<Done> {
        sign(&self.url, &self.params)?;
        Ok(Done::Ok)
    }
}

fn sign(url: &str, params: &[String]) -> anyhow::Result<()> {
    let token = std::env::var("TWILIO_AUTH_TOKEN")
        .context("set TWILIO_AUTH_TOKEN to the token to sign with")?;
    let mut pairs = Vec::new();
    for param in params {
        let (name, value) = param
            .split_once('=')
            .with_context(|| format!("{param:?} is not NAME=VALUE"))?;
        pairs.push((name.to_owned(), value.to_owned()));
    }
    println!("{}", server::signature::sign(&token, url, &pairs));
    Ok(())
}
