//! One-off days that ops add at run time, kept in the store rather than in a flow file:
//! closure days (with the reason callers hear) and special hours ("10:00-13:00"). Those written
//! in flow files stay valid; [`crate::flow::Flows::with_days`] merges the two.

use chrono::NaiveDate;

/// Which list of one-off days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DayKind {
    Closure,
    SpecialHours,
}

impl DayKind {
    /// How the store and the console's forms name it.
    pub fn as_str(self) -> &'static str {
        match self {
            DayKind::Closure => "closure",
            DayKind::SpecialHours => "special_hours",
        }
    }

    /// The kind [`DayKind::as_str`] names.
    pub fn named(name: &str) -> Option<DayKind> {
        [DayKind::Closure, DayKind::SpecialHours]
            .into_iter()
            .find(|kind| kind.as_str() == name)
    }

    /// In a sentence: "closure day", "special hours".
    pub fn said(self) -> &'static str {
        match self {
            DayKind::Closure => "closure day",
            DayKind::SpecialHours => "special hours",
        }
    }

    /// In a sentence, as one of them: "a closure day", "special hours".
    pub fn one_said(self) -> &'static str {
        match self {
            DayKind::Closure => "a closure day",
            DayKind::SpecialHours => "special hours",
        }
    }
}

/// One day of a schedule, as ops added it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OneOffDay {
    pub schedule: String,
    pub day: NaiveDate,
    pub kind: DayKind,
    /// A closure's reason callers hear, or the day's special hours.
    pub value: String,
    /// Special hours' reason callers hear, if ops gave one (a closure's is its value).
    pub reason: Option<String>,
    pub added_by: String,
    /// RFC 3339.
    pub added_at: String,
}

/// The longest closure reason: it is spoken before the caller's choices, so it is a sentence,
/// not a notice (and a `<Say>` cannot pass 4,096 characters).
pub const REASON_MAX_CHARS: usize = 200;

/// A closure reason as callers will hear it, or why it cannot be one: plain words on one line.
pub fn plain_reason(text: &str) -> Result<String, String> {
    let reason = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if reason.is_empty() {
        return Err("Give the reason callers will hear.".into());
    }
    if reason.chars().count() > REASON_MAX_CHARS {
        return Err(format!(
            "The reason is spoken to every caller before their choices: keep it to {REASON_MAX_CHARS} characters (it has {}).",
            reason.chars().count()
        ));
    }
    if let Some(bad) = reason.chars().find(|c| "<>{}".contains(*c)) {
        return Err(format!(
            "The reason is spoken as plain words: {bad:?} cannot be said."
        ));
    }
    if let Some(bad) = reason.chars().find(|c| crate::twiml::is_unsayable(*c)) {
        return Err(format!(
            "The reason holds an invisible character (U+{:04X}) that cannot be said and may hide what it says: type it again without it.",
            bad as u32
        ));
    }
    Ok(reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_is_plain_words_of_a_sentences_length() {
        assert_eq!(
            plain_reason("  the office\n is closed  ").unwrap(),
            "the office is closed"
        );
        assert!(plain_reason("").is_err());
        assert!(
            plain_reason(&"word ".repeat(100))
                .unwrap_err()
                .contains("200")
        );
        assert!(plain_reason("<Hangup/>").is_err());
        assert!(plain_reason("{next_opening}").is_err());
        // A right-to-left override would make the console show one thing and callers hear
        // another.
        let reverse = plain_reason("closed for \u{202E}gniniart").unwrap_err();
        assert!(reverse.contains("U+202E"), "{reverse}");
        assert!(plain_reason("staff\u{200B}training").is_err());
    }
}
