//! `switchboard sign`: the signature Twilio would send, for trying the server with curl.

use anyhow::{Context as _, bail};
use switchboard::signature::{self, Algorithm, Key};

use super::Done;
use super::secrets::{self, AUTH_TOKEN, SHARED_KEYS};

#[derive(clap::Args)]
pub struct Args {
    /// The full URL as Twilio calls it, query included.
    #[arg(long)]
    url: String,
    /// Sign with this shared key from TWILIO_SHARED_KEYS, as a Webhooks Rule does, instead of
    /// with TWILIO_AUTH_TOKEN.
    #[arg(long)]
    key_id: Option<String>,
    /// The HMAC: sha1, or sha256 (a shared key's only).
    #[arg(long, value_parser = ["sha1", "sha256"], default_value = "sha1")]
    algorithm: String,
    /// A JSON body in this file: the URL gets its bodySHA256 and the signature covers the
    /// URL alone, as Twilio signs JSON bodies.
    #[arg(long, conflicts_with = "params")]
    json_body: Option<std::path::PathBuf>,
    /// Print the headers to send, for `curl -H`, rather than the bare signature.
    #[arg(long)]
    headers: bool,
    /// POST parameters as NAME=VALUE, unencoded.
    params: Vec<String>,
}

impl Args {
    pub fn execute(self) -> anyhow::Result<Done> {
        sign(self)?;
        Ok(Done::Ok)
    }
}

fn sign(args: Args) -> anyhow::Result<()> {
    let algorithm = match args.algorithm.as_str() {
        "sha256" => Algorithm::Sha256,
        _ => Algorithm::Sha1,
    };
    let secret = match &args.key_id {
        None if algorithm == Algorithm::Sha256 => {
            bail!("Twilio signs with HMAC-SHA256 only with a shared key: give --key-id")
        }
        None => secrets::secret(AUTH_TOKEN)?.context(
            "set TWILIO_AUTH_TOKEN (or TWILIO_AUTH_TOKEN_FILE) to the token to sign with",
        )?,
        Some(id) => {
            let keys = secrets::secret(SHARED_KEYS)?.with_context(|| {
                format!("set {SHARED_KEYS} (or {SHARED_KEYS}_FILE) to sign with the key {id}")
            })?;
            secrets::parse_shared_keys(&keys)?
                .into_iter()
                .find(|(known, _)| known == id)
                .map(|(_, secret)| secret)
                .with_context(|| format!("{SHARED_KEYS} has no key {id}"))?
        }
    };
    let mut pairs = Vec::new();
    for param in &args.params {
        let (name, value) = param
            .split_once('=')
            .with_context(|| format!("{param:?} is not NAME=VALUE"))?;
        pairs.push((name.to_owned(), value.to_owned()));
    }
    let url = match &args.json_body {
        None => args.url.clone(),
        Some(path) => {
            let body = std::fs::read(path)
                .with_context(|| format!("reading the JSON body {}", path.display()))?;
            let separator = if args.url.contains('?') { '&' } else { '?' };
            let hash = signature::body_hash(&body);
            format!(
                "{}{separator}{}={hash}",
                args.url,
                signature::BODY_HASH_PARAM
            )
        }
    };
    let signed = Key::new(&secret).sign_with(algorithm, &url, &pairs);
    if args.headers {
        out!("{}: {signed}", signature::HEADER);
        if let Some(id) = &args.key_id {
            out!(
                "{}: key={id},algorithm={}",
                signature::SETTINGS_HEADER,
                algorithm.name()
            );
        }
    } else {
        out!("{signed}");
    }
    if args.json_body.is_some() {
        eprintln!("signed for the URL with the body's hash: {url}");
    }
    Ok(())
}
