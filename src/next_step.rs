//! Where a call goes next: the step, the attempt count and the line the call started on, as
//! they travel in TwiML action URLs.
//!
//! Calls are stateless on the server: everything a later webhook needs is in its URL (which
//! Twilio's signature covers), so any copy of the server can answer any step of any call. This
//! module is the one place that knows the URL format
//! `/voice/{line}/{step}?attempt={n}[&origin={line the call started on}][&stage={stage}[&number={sealed}]]`:
//! `stage` and `number` only at a `callback` step, where the caller keys in a number and
//! hears it read back before it is taken; the number sealed (`seal`), never in clear.

use std::fmt::Write;

/// Twilio's webhook path for the first request of every call.
pub const ENTRY_PATH: &str = "/voice";

/// The attempt count is capped so a hostile URL cannot make numbers that overflow anywhere.
pub const MAX_ATTEMPT: u32 = 99;

/// Where a webhook puts the call: just arrived, or coming back from a step's action URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Position {
    Start,
    After(NextStep),
}

impl Position {
    /// Where a webhook's URL path puts the call: `/voice` is a new call, `/voice/{line}/{step}`
    /// a step's action URL. `None` for a path that is not a voice webhook's.
    pub fn from_url(path: &str, query: Option<&str>) -> Option<Position> {
        let rest = path.strip_prefix(ENTRY_PATH)?;
        if rest.is_empty() {
            return Some(Position::Start);
        }
        // The segments as sent, not percent-decoded: step ids never need escaping, so anything
        // escaped (or not UTF-8 once decoded) is simply a step that does not exist.
        let (line, step) = rest.strip_prefix('/')?.split_once('/').unwrap_or_default();
        Some(Position::After(
            NextStep::from_request(line, step, query)
                // A mangled attempt count still gets the caller somewhere safe: the last try.
                .unwrap_or_else(|_| NextStep::new(line, step, MAX_ATTEMPT)),
        ))
    }
}

/// A voice webhook's URL path as the public URL has it, split into the prefix a proxy strips
/// (`/ivr` of `/ivr/voice/wellbeing/main-menu`, often "") and the path the server sees.
/// `None` for a path that is no voice webhook's.
pub fn split_public_path(path: &str) -> Option<(&str, &str)> {
    path.match_indices(ENTRY_PATH).find_map(|(at, _)| {
        let (prefix, route) = path.split_at(at);
        let rest = &route[ENTRY_PATH.len()..];
        let is_route = rest.is_empty()
            || rest
                .strip_prefix('/')
                .is_some_and(|r| r.split('/').count() == 2 && !r.contains("//"));
        is_route.then_some((prefix, route))
    })
}

/// The query parameters that are ours: everything else in a query is Twilio's (a webhook sent
/// by GET carries its parameters there). `number` is ours too, but a caller's: never kept.
pub const OWN_QUERY_PARAMS: [&str; 3] = ["attempt", "origin", "stage"];

/// Where a caller is in a `callback` step, after it first asked them about the number they
/// call from (no stage).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Keying in a number.
    Keying,
    /// Asked to confirm the number they keyed in: its national digits, `07700900123`.
    Confirming(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NextStep {
    pub line: String,
    pub step: String,
    /// 1 for the first time the step was played, 2 for the first retry, and so on.
    pub attempt: u32,
    /// The line the call started on, when it is not `line`: a call put through to another
    /// line's steps keeps the rules of the line it started on (a 24/7 line's above all).
    pub origin: Option<String>,
    /// Only at a `callback` step.
    pub stage: Option<Stage>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NextStepError {
    #[error("attempt {0:?} is not a whole number from 1 to {MAX_ATTEMPT}")]
    BadAttempt(String),
}

impl NextStep {
    pub fn new(line: &str, step: &str, attempt: u32) -> Self {
        NextStep {
            line: line.to_owned(),
            step: step.to_owned(),
            attempt,
            origin: None,
            stage: None,
        }
    }

    /// The same step, at `stage` of a `callback` step.
    pub fn at_stage(mut self, stage: Stage) -> Self {
        self.stage = Some(stage);
        self
    }

    /// The same step, on a call that started on `origin` (not written when it is the step's line).
    pub fn from_origin(mut self, origin: &str) -> Self {
        self.origin = (origin != self.line).then(|| origin.to_owned());
        self
    }

    /// The line the call started on.
    pub fn origin(&self) -> &str {
        self.origin.as_deref().unwrap_or(&self.line)
    }

    /// The URL path and query under the server's public prefix (which may be empty).
    pub fn url(&self, prefix: &str) -> String {
        let mut url = String::with_capacity(prefix.len() + self.line.len() + self.step.len() + 40);
        url.push_str(prefix);
        url.push_str(ENTRY_PATH);
        for segment in [&self.line, &self.step] {
            url.push('/');
            // Line and step names are validated to [a-z0-9-] at load, so no escaping is needed.
            url.push_str(segment);
        }
        let _ = write!(url, "?attempt={}", self.attempt);
        if let Some(origin) = &self.origin {
            let _ = write!(url, "&origin={origin}");
        }
        match &self.stage {
            None => {}
            Some(Stage::Keying) => url.push_str("&stage=keying"),
            // Sealed, never in clear (see `seal`); base64url needs no escaping.
            Some(Stage::Confirming(digits)) => {
                let sealed = crate::seal::keys().seal(digits);
                let _ = write!(url, "&stage=confirming&number={sealed}");
            }
        }
        url
    }

    /// The callback a `/voice/{line}/{step}` request names; `query` is the raw query string.
    pub fn from_request(
        line: &str,
        step: &str,
        query: Option<&str>,
    ) -> Result<Self, NextStepError> {
        let mut attempt = None;
        let mut origin = None;
        let mut stage = None;
        let mut number = None;
        for (name, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            match name.as_ref() {
                "attempt" => attempt = Some(value.into_owned()),
                "origin" => origin = Some(value.into_owned()),
                "stage" => stage = Some(value.into_owned()),
                "number" => number = Some(value.into_owned()),
                _ => {}
            }
        }
        // A stage that makes no sense (or a number that does not open, or is not digits) is
        // the step's start: the caller is asked again, never stuck. A number in clear is a
        // call's that an earlier release answered, still read.
        let is_number = |digits: &String| {
            (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
        };
        let stage = match (stage.as_deref(), number) {
            (Some("keying"), _) => Some(Stage::Keying),
            (Some("confirming"), Some(number)) => {
                let digits = match is_number(&number) {
                    true => Some(number),
                    false => crate::seal::keys().open(&number),
                };
                digits.filter(is_number).map(Stage::Confirming)
            }
            _ => None,
        };
        let attempt = match attempt {
            None => 1,
            Some(text) => match text.parse::<u32>() {
                Ok(n) if (1..=MAX_ATTEMPT).contains(&n) => n,
                _ => return Err(NextStepError::BadAttempt(text)),
            },
        };
        let mut callback = NextStep::new(line, step, attempt);
        callback.stage = stage;
        Ok(match origin {
            Some(origin) => callback.from_origin(&origin),
            None => callback,
        })
    }
}

/// The path with only our own parameters kept from the query, as a recorded fixture stores it:
/// Twilio's parameters in a GET webhook's query are scrubbed with the others instead.
pub fn replayable_path(path: &str, query: Option<&str>) -> String {
    let own: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .filter(|(name, _)| OWN_QUERY_PARAMS.contains(&name.as_ref()))
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    if own.is_empty() {
        return path.to_owned();
    }
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(own)
        .finish();
    format!("{path}?{query}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_public_path_splits_into_its_prefix_and_the_route() {
        assert_eq!(split_public_path("/voice"), Some(("", "/voice")));
        assert_eq!(
            split_public_path("/ivr/voice/wellbeing/main-menu"),
            Some(("/ivr", "/voice/wellbeing/main-menu"))
        );
        assert_eq!(
            split_public_path("/voice/voice/wellbeing/x"),
            Some(("/voice", "/voice/wellbeing/x"))
        );
        for not_voice in [
            "/status",
            "/fallback",
            "/voice/wellbeing",
            "/voiceover",
            "/",
        ] {
            assert_eq!(split_public_path(not_voice), None, "{not_voice}");
        }
    }

    #[test]
    fn url_round_trips_through_the_request_parser() {
        let cb = NextStep::new("wellbeing", "main-menu", 2);
        assert_eq!(cb.url(""), "/voice/wellbeing/main-menu?attempt=2");
        assert_eq!(cb.url("/ivr"), "/ivr/voice/wellbeing/main-menu?attempt=2");
        assert_eq!(
            NextStep::from_request("wellbeing", "main-menu", Some("attempt=2")),
            Ok(cb)
        );
    }

    #[test]
    fn the_line_a_call_started_on_travels_only_when_it_is_another() {
        let crossed = NextStep::new("doctor-support", "team", 1).from_origin("wellbeing");
        assert_eq!(
            crossed.url(""),
            "/voice/doctor-support/team?attempt=1&origin=wellbeing"
        );
        assert_eq!(crossed.origin(), "wellbeing");
        assert_eq!(
            NextStep::from_request("doctor-support", "team", Some("attempt=1&origin=wellbeing")),
            Ok(crossed)
        );
        let home = NextStep::new("wellbeing", "counselling", 1).from_origin("wellbeing");
        assert_eq!(home.url(""), "/voice/wellbeing/counselling?attempt=1");
        assert_eq!(home.origin(), "wellbeing");
    }

    #[test]
    fn a_call_back_stage_round_trips_and_a_mangled_one_starts_the_step_again() {
        let confirming = NextStep::new("doctor-support", "call-back", 2)
            .at_stage(Stage::Confirming("07700900123".into()));
        let url = confirming.url("");
        let sealed = crate::seal::keys().seal("07700900123");
        assert_eq!(
            url,
            format!("/voice/doctor-support/call-back?attempt=2&stage=confirming&number={sealed}")
        );
        assert!(!url.contains("900123"), "{url}");
        let query = url.split_once('?').unwrap().1;
        assert_eq!(
            NextStep::from_request("doctor-support", "call-back", Some(query)),
            Ok(confirming.clone())
        );
        // A number in clear, from a call an earlier release answered, is still read.
        let clear = "attempt=2&stage=confirming&number=07700900123";
        assert_eq!(
            NextStep::from_request("doctor-support", "call-back", Some(clear)),
            Ok(confirming)
        );
        for mangled in [
            "stage=confirming",
            "stage=confirming&number=0770090012x",
            "stage=confirming&number=AAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "stage=confirming&number=12",
            "stage=elsewhere",
        ] {
            let callback = NextStep::from_request("l", "s", Some(mangled)).unwrap();
            assert_eq!(callback.stage, None, "{mangled}");
        }
        // The number is never kept in a recording's path.
        assert_eq!(
            replayable_path(
                "/voice/l/s",
                Some("attempt=1&stage=confirming&number=07700900123")
            ),
            "/voice/l/s?attempt=1&stage=confirming"
        );
    }

    #[test]
    fn attempt_defaults_to_one_and_refuses_garbage() {
        assert_eq!(NextStep::from_request("l", "s", None).unwrap().attempt, 1);
        for bad in ["0", "-1", "100", "99999999999", "x", ""] {
            let query = format!("attempt={bad}");
            assert!(
                NextStep::from_request("l", "s", Some(&query)).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn only_our_own_parameters_are_kept_from_the_query() {
        let path = "/voice/wellbeing/main-menu";
        assert_eq!(
            replayable_path(path, Some("From=%2B447911123456&attempt=2&To=x")),
            "/voice/wellbeing/main-menu?attempt=2"
        );
        assert_eq!(
            replayable_path(path, Some("attempt=1&origin=wellbeing&Digits=3")),
            "/voice/wellbeing/main-menu?attempt=1&origin=wellbeing"
        );
        assert_eq!(replayable_path(path, None), path);
        assert_eq!(
            replayable_path("/voice", Some("From=%2B447911123456")),
            "/voice"
        );
        assert_eq!(
            replayable_path(path, Some("attempt=a%26b")),
            "/voice/wellbeing/main-menu?attempt=a%26b"
        );
    }
}
