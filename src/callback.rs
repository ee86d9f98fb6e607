//! Where a call goes next: the step and attempt count that travel in TwiML action URLs.
//!
//! Calls are stateless on the server: everything a later webhook needs is in its URL, so any
//! copy of the server can answer any step of any call. This module is the one place that knows
//! the URL format `/voice/{line}/{step}?attempt={n}`.

use std::fmt::Write;

/// Twilio's webhook path for the first request of every call.
pub const ENTRY_PATH: &str = "/voice";

/// The attempt count is capped so a hostile URL cannot make numbers that overflow anywhere.
pub const MAX_ATTEMPT: u32 = 99;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Callback {
    pub line: String,
    pub step: String,
    /// 1 for the first time the step was played, 2 for the first retry, and so on.
    pub attempt: u32,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CallbackError {
    #[error("attempt {0:?} is not a whole number from 1 to {MAX_ATTEMPT}")]
    BadAttempt(String),
}

impl Callback {
    pub fn new(line: &str, step: &str, attempt: u32) -> Self {
        Callback {
            line: line.to_owned(),
            step: step.to_owned(),
            attempt,
        }
    }

    /// The URL path and query under the server's public prefix (which may be empty).
    pub fn url(&self, prefix: &str) -> String {
        let mut url = String::with_capacity(prefix.len() + self.line.len() + self.step.len() + 24);
        url.push_str(prefix);
        url.push_str(ENTRY_PATH);
        for segment in [&self.line, &self.step] {
            url.push('/');
            // Line and step names are validated to [a-z0-9-] at load, so no escaping is needed.
            url.push_str(segment);
        }
        let _ = write!(url, "?attempt={}", self.attempt);
        url
    }

    /// The callback a `/voice/{line}/{step}` request names; `query` is the raw query string.
    pub fn from_request(
        line: &str,
        step: &str,
        query: Option<&str>,
    ) -> Result<Self, CallbackError> {
        let attempt = form_urlencoded::parse(query.unwrap_or("").as_bytes())
            .find(|(k, _)| k == "attempt")
            .map(|(_, v)| v.into_owned());
        let attempt = match attempt {
            None => 1,
            Some(text) => match text.parse::<u32>() {
                Ok(n) if (1..=MAX_ATTEMPT).contains(&n) => n,
                _ => return Err(CallbackError::BadAttempt(text)),
            },
        };
        Ok(Callback::new(line, step, attempt))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_round_trips_through_the_request_parser() {
        let cb = Callback::new("wellbeing", "main-menu", 2);
        assert_eq!(cb.url(""), "/voice/wellbeing/main-menu?attempt=2");
        assert_eq!(cb.url("/ivr"), "/ivr/voice/wellbeing/main-menu?attempt=2");
        assert_eq!(
            Callback::from_request("wellbeing", "main-menu", Some("attempt=2")),
            Ok(cb)
        );
    }

    #[test]
    fn attempt_defaults_to_one_and_refuses_garbage() {
        assert_eq!(Callback::from_request("l", "s", None).unwrap().attempt, 1);
        for bad in ["0", "-1", "100", "99999999999", "x", ""] {
            let query = format!("attempt={bad}");
            assert!(
                Callback::from_request("l", "s", Some(&query)).is_err(),
                "{bad}"
            );
        }
    }
}
