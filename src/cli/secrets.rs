//! Twilio's secrets, from the environment or from files as container platforms mount them:
//! each of `TWILIO_AUTH_TOKEN`, `TWILIO_AUTH_TOKEN_SECONDARY` and `TWILIO_SHARED_KEYS` may
//! instead be given as `..._FILE`, naming a file that holds it (a trailing newline ignored).

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use switchboard::signature::Secrets;

pub const AUTH_TOKEN: &str = "TWILIO_AUTH_TOKEN";
pub const AUTH_TOKEN_SECONDARY: &str = "TWILIO_AUTH_TOKEN_SECONDARY";
pub const SHARED_KEYS: &str = "TWILIO_SHARED_KEYS";

/// The secret `name`, from the variable or from the file `name_FILE` names; neither is
/// `None`, both is an error (which one would be meant?), and so is an empty one.
pub fn secret(name: &str) -> anyhow::Result<Option<String>> {
    let file_var = format!("{name}_FILE");
    let given = std::env::var(name).ok();
    let direct = given.clone().filter(|v| !v.is_empty());
    let file = std::env::var_os(&file_var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    let value = match (direct, file) {
        // Set, but to nothing: said as such, not as unset (a template left unfilled, say).
        (None, None) if given.is_some() => {
            bail!("{name} is set but empty: give its value, or unset it")
        }
        (None, None) => return Ok(None),
        (Some(_), Some(_)) => bail!("set {name} or {file_var}, not both"),
        (Some(value), None) => value,
        (None, Some(path)) => {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {file_var} ({})", path.display()))?;
            let value = text.strip_suffix('\n').unwrap_or(&text);
            let value = value.strip_suffix('\r').unwrap_or(value).to_owned();
            if value.is_empty() {
                bail!("{file_var} ({}) is empty", path.display());
            }
            value
        }
    };
    Ok(Some(value))
}

/// `KEYID=secret,KEYID2=secret2` (or one a line, as a file may hold them): the shared keys
/// that Webhooks Rules sign with. No secret is ever repeated in an error.
pub fn parse_shared_keys(text: &str) -> anyhow::Result<Vec<(String, String)>> {
    let mut keys: Vec<(String, String)> = Vec::new();
    let entries = text
        .split([',', '\n'])
        .map(str::trim)
        .filter(|e| !e.is_empty());
    for (number, entry) in entries.enumerate() {
        let Some((id, secret)) = entry.split_once('=') else {
            bail!("{SHARED_KEYS}: entry {} is not KEYID=secret", number + 1);
        };
        let (id, secret) = (id.trim(), secret.trim());
        if id.is_empty() || secret.is_empty() {
            bail!(
                "{SHARED_KEYS}: entry {} has an empty key id or secret",
                number + 1
            );
        }
        if keys.iter().any(|(known, _)| known == id) {
            bail!("{SHARED_KEYS}: the key id {id} is given twice");
        }
        keys.push((id.to_owned(), secret.to_owned()));
    }
    Ok(keys)
}

/// Every secret the environment gives, or `None` when it gives none at all.
pub fn from_env() -> anyhow::Result<Option<Secrets>> {
    let primary = secret(AUTH_TOKEN)?;
    let secondary = secret(AUTH_TOKEN_SECONDARY)?;
    if secondary.is_some() && primary.is_none() {
        bail!("{AUTH_TOKEN_SECONDARY} is set without {AUTH_TOKEN}");
    }
    let shared = match secret(SHARED_KEYS)? {
        Some(text) => parse_shared_keys(&text)?,
        None => Vec::new(),
    };
    let tokens: Vec<&str> = [&primary, &secondary]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    let secrets = Secrets::new(&tokens, &shared);
    Ok((!secrets.is_empty()).then_some(secrets))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_keys_are_read_by_comma_or_line_and_bad_entries_refused() {
        let keys = parse_shared_keys("KS1=abc, KS2=d=e\nKS3=f\n").unwrap();
        assert_eq!(
            keys,
            [
                ("KS1".to_owned(), "abc".to_owned()),
                ("KS2".to_owned(), "d=e".to_owned()),
                ("KS3".to_owned(), "f".to_owned())
            ]
        );
        for (bad, says) in [
            ("KS1=abc,nosecret", "entry 2 is not KEYID=secret"),
            ("KS1=", "entry 1 has an empty"),
            ("KS1=a,KS1=b", "given twice"),
        ] {
            let error = parse_shared_keys(bad).unwrap_err().to_string();
            assert!(error.contains(says), "{bad}: {error}");
            assert!(!error.contains("abc"), "{error}");
        }
    }
}
