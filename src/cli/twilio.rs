//! `switchboard twilio check` and `configure`: the lines' numbers as Twilio holds them, checked
//! against what the servers need, and set, through Twilio's REST API.

use anyhow::{Context as _, bail};
use clap::Subcommand;
use switchboard::numbers::{self, Account, Fallback, Wanted};

use super::{Done, FlowsDir, Format, load};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
    /// The servers' public URL, as `serve --public-url` has it.
    #[arg(long, env = "SWITCHBOARD_PUBLIC_URL", global = true)]
    public_url: Option<String>,
    /// Twilio's REST API (a stand-in for tests).
    #[arg(long, default_value = numbers::TWILIO_API, global = true)]
    api_url: String,
    #[command(flatten)]
    flows: FlowsDir,
}

#[derive(Subcommand)]
enum Action {
    /// Check every line's number: the voice URL and the status callback are the servers',
    /// by POST; the fallback is elsewhere and its document dials the number the flows dial
    /// now; no app or trunk takes the calls instead. Exit 1 naming each problem.
    Check {
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Set every line's number as `check` wants it, with connection overrides on the voice URL
    /// that fail over to the fallback in about 5 s; say what changed.
    Configure {
        /// Where `switchboard fallback`'s document for the numbers is hosted (a TwiML Bin's URL,
        /// or a static file's), not on the servers' host.
        #[arg(long)]
        fallback_url: String,
        /// How Twilio fetches the fallback: GET for a static file.
        #[arg(long, default_value = "POST", value_parser = ["GET", "POST"])]
        fallback_method: String,
    },
}

/// The account and its credentials, from the environment: TWILIO_ACCOUNT_SID with
/// TWILIO_AUTH_TOKEN, or TWILIO_API_KEY and TWILIO_API_SECRET.
fn account(api_url: &str) -> anyhow::Result<Account> {
    use super::secrets::{AUTH_TOKEN, secret};
    let sid = secret("TWILIO_ACCOUNT_SID")?
        .context("set TWILIO_ACCOUNT_SID to the account that holds the numbers")?;
    let (user, password) = match (secret("TWILIO_API_KEY")?, secret("TWILIO_API_SECRET")?) {
        (Some(key), Some(secret)) => (key, secret),
        (Some(_), None) | (None, Some(_)) => {
            bail!("set TWILIO_API_KEY and TWILIO_API_SECRET together")
        }
        (None, None) => (
            sid.clone(),
            secret(AUTH_TOKEN)?.context(
                "set TWILIO_AUTH_TOKEN (or an API key: TWILIO_API_KEY and TWILIO_API_SECRET)",
            )?,
        ),
    };
    Ok(Account::new(api_url, sid, user, password))
}

impl Args {
    pub fn execute(self) -> anyhow::Result<Done> {
        let flows = load(&self.flows.dir)?;
        let public_url = self
            .public_url
            .context("give --public-url: the URL the servers serve (serve --public-url)")?;
        let wanted = Wanted {
            public_url: public_url.trim_end_matches('/'),
            flows: &flows,
        };
        let account = account(&self.api_url)?;
        match self.action {
            Action::Check { format } => {
                let checked = numbers::check(&account, &wanted).map_err(anyhow::Error::msg)?;
                match format {
                    Format::Json => out!("{}", serde_json::to_string_pretty(&checked)?),
                    Format::Text => {
                        for number in &checked {
                            match number.problems.as_slice() {
                                [] => out!(
                                    "ok      {} ({}): set as the servers need",
                                    number.number,
                                    number.line
                                ),
                                problems => {
                                    for problem in problems {
                                        eprintln!(
                                            "PROBLEM {} ({}): {problem}",
                                            number.number, number.line
                                        );
                                    }
                                }
                            }
                        }
                    }
                }
                let any = checked.iter().any(|n| !n.problems.is_empty());
                Ok(if any { Done::Found } else { Done::Ok })
            }
            Action::Configure {
                fallback_url,
                fallback_method,
            } => {
                let fallback = Fallback {
                    url: &fallback_url,
                    method: &fallback_method,
                };
                let changed =
                    numbers::configure(&account, &wanted, &fallback).map_err(anyhow::Error::msg)?;
                if changed.is_empty() {
                    out!("every number was set already: nothing changed");
                }
                for c in &changed {
                    out!("{}: {} {} -> {}", c.number, c.field, c.before, c.after);
                }
                Ok(Done::Ok)
            }
        }
    }
}
