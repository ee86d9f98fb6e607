//! The keys each part of a call-flow file takes, and what is said of one that is not: the
//! nearest key meant, why a missing one is needed, with the right article.

use std::ops::Range;

use super::did_you_mean;
use super::file::{StepSection, Text};

pub(super) fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u', 'h']) {
        "an"
    } else {
        "a"
    }
}

/// A hint for a key whose purpose is not obvious from its name.
pub(super) fn why_needed(key: &str) -> &'static str {
    match key {
        "emergency" => {
            ": the step callers go to while `switchboard emergency close` has closed the schedule"
        }
        "from_24_7" => {
            ": the step for a call that started on a line open 24/7, which must never be hung up on"
        }
        "next" => ": the step after the call back was taken (or was already asked for)",
        "not_taken" => {
            ": the step for a caller whose call back could not be taken (no number, or the store down)"
        }
        _ => "",
    }
}

/// serde's "unknown field `atempts`, expected one of ..." (every key of every step type), said
/// for the step the key is in: "a menu step does not take `atempts`; did you mean
/// \"attempts\"?". `None` for any other error, or a key outside a step.
pub(super) fn unknown_key_message(text: &str, at: usize, message: &str) -> Option<String> {
    let key = message.strip_prefix("unknown field `")?.split_once('`')?.0;
    // The step the key is in: the last `[steps.NAME]` header before it, then its `type`.
    let before = &text[..at.min(text.len())];
    let header = before.rfind("\n[steps.")? + 1;
    let table = &text[header..];
    let table = &table[..table[1..].find("\n[").map_or(table.len(), |end| end + 1)];
    let kind = table.lines().find_map(|line| {
        let value = line.trim().strip_prefix("type")?.trim().strip_prefix('=')?;
        Some(value.trim().trim_matches('"').to_owned())
    });
    Some(
        match kind
            .as_deref()
            .and_then(|k| allowed_keys(k).map(|keys| (k, keys)))
        {
            Some((kind, keys)) => format!(
                "{} {kind} step does not take `{key}`{}",
                article(kind),
                did_you_mean(key, keys.iter().copied())
            ),
            None => format!(
                "a step does not take `{key}`{}",
                did_you_mean(key, every_step_key())
            ),
        },
    )
}

/// Every step type a call-flow file may name.
pub(super) const STEP_TYPES: [&str; 7] = [
    "say", "menu", "dial", "hours", "origin", "hangup", "callback",
];

/// Every key any step type takes.
fn every_step_key() -> impl Iterator<Item = &'static str> {
    STEP_TYPES
        .iter()
        .flat_map(|kind| allowed_keys(kind).unwrap_or_default().iter().copied())
}

pub(super) fn allowed_keys(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "say" => &["type", "say", "schedule", "next"],
        "menu" => &[
            "type",
            "say",
            "schedule",
            "options",
            "any_key",
            "no_input_say",
            "invalid_say",
            "timeout",
            "attempts",
            "after_attempts",
        ],
        "dial" => &[
            "type",
            "say",
            "schedule",
            "number",
            "ring_seconds",
            "attempts",
            "retry_say",
            "busy_say",
            "no_answer_say",
            "failed_say",
            "after_attempts",
        ],
        "hours" => &[
            "type",
            "schedule",
            "open",
            "closed",
            "holiday",
            "closure",
            "emergency",
            "special_hours",
        ],
        "origin" => &["type", "from_24_7", "otherwise"],
        "hangup" => &["type", "say", "schedule"],
        "callback" => &["type", "schedule", "next", "not_taken"],
        _ => return None,
    })
}

pub(super) fn present_keys(s: &StepSection) -> Vec<(&'static str, Range<usize>)> {
    let text = |key, v: &Option<Text>| v.as_ref().map(|v| (key, v.span()));
    let number = |key, v: &Option<toml::Spanned<i64>>| v.as_ref().map(|v| (key, v.span()));
    [
        text("say", &s.say),
        text("schedule", &s.schedule),
        text("next", &s.next),
        s.options
            .as_ref()
            .map(|o| ("options", o.first().map_or(0..0, |o| o.span()))),
        text("any_key", &s.any_key),
        text("no_input_say", &s.no_input_say),
        text("invalid_say", &s.invalid_say),
        number("timeout", &s.timeout),
        number("attempts", &s.attempts),
        text("after_attempts", &s.after_attempts),
        text("number", &s.number),
        number("ring_seconds", &s.ring_seconds),
        text("retry_say", &s.retry_say),
        text("busy_say", &s.busy_say),
        text("no_answer_say", &s.no_answer_say),
        text("failed_say", &s.failed_say),
        text("open", &s.open),
        text("closed", &s.closed),
        text("holiday", &s.holiday),
        text("closure", &s.closure),
        text("emergency", &s.emergency),
        text("special_hours", &s.special_hours),
        text("from_24_7", &s.from_24_7),
        text("otherwise", &s.otherwise),
        text("not_taken", &s.not_taken),
    ]
    .into_iter()
    .flatten()
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_type_has_its_keys() {
        for kind in STEP_TYPES {
            assert!(allowed_keys(kind).is_some(), "{kind}");
        }
    }

    #[test]
    fn a_key_in_a_step_of_no_known_type_is_matched_against_every_step_key() {
        let text = "[lines.doctor]\nstart = \"ask\"\n\n[steps.ask]\nnot_takn = \"sorry\"\n";
        let at = text.find("not_takn").unwrap();
        let message = "unknown field `not_takn`, expected one of `type`, `say`";
        assert_eq!(
            unknown_key_message(text, at, message).as_deref(),
            Some("a step does not take `not_takn`; did you mean \"not_taken\"?")
        );
    }
}
