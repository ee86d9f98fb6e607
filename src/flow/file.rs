//! The call-flow file format as ops write it: TOML, one file a line, every key checked.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

pub type Text = Spanned<String>;

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowFile {
    pub line: LineSection,
    #[serde(default)]
    pub schedules: BTreeMap<Text, ScheduleSection>,
    pub steps: BTreeMap<Text, StepSection>,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineSection {
    pub name: Text,
    pub numbers: Vec<Text>,
    /// Calls to a number no line claims are answered by the default line.
    #[serde(default)]
    pub default: bool,
    pub voice: Text,
    pub language: Text,
    pub start: Text,
    /// Where a caller goes when anything goes wrong: a dial step, answered by people 24/7.
    pub on_error: Text,
    /// The line is answered around the clock; `check` proves no caller can reach a hang-up
    /// without having been offered a person.
    #[serde(default)]
    pub open_24_7: bool,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleSection {
    pub timezone: Text,
    pub holidays: Text,
    pub monday: Option<Text>,
    pub tuesday: Option<Text>,
    pub wednesday: Option<Text>,
    pub thursday: Option<Text>,
    pub friday: Option<Text>,
    pub saturday: Option<Text>,
    pub sunday: Option<Text>,
    #[serde(default)]
    pub closures: Vec<Spanned<ClosureSection>>,
    #[serde(default)]
    pub special_hours: Vec<Spanned<SpecialHoursSection>>,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClosureSection {
    pub date: Text,
    pub reason: Text,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecialHoursSection {
    pub date: Text,
    pub hours: Text,
    /// The reason callers hear while the day's special hours have the line closed.
    pub reason: Option<Text>,
}

/// Every step type shares one table shape; which keys a type takes is checked on load, so the
/// message can say "a say step has no `number`" rather than a generic serde error.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepSection {
    #[serde(rename = "type")]
    pub kind: Option<Text>,
    pub say: Option<Text>,
    pub schedule: Option<Text>,
    // say
    pub next: Option<Text>,
    // menu
    pub options: Option<Vec<Spanned<OptionSection>>>,
    pub any_key: Option<Text>,
    pub no_input_say: Option<Text>,
    pub invalid_say: Option<Text>,
    pub timeout: Option<Spanned<i64>>,
    // menu and dial
    pub attempts: Option<Spanned<i64>>,
    pub after_attempts: Option<Text>,
    // dial
    pub number: Option<Text>,
    pub ring_seconds: Option<Spanned<i64>>,
    pub retry_say: Option<Text>,
    pub busy_say: Option<Text>,
    pub no_answer_say: Option<Text>,
    pub failed_say: Option<Text>,
    // hours
    pub open: Option<Text>,
    pub closed: Option<Text>,
    pub holiday: Option<Text>,
    pub closure: Option<Text>,
    pub special_hours: Option<Text>,
    pub emergency: Option<Text>,
    // origin
    pub from_24_7: Option<Text>,
    pub otherwise: Option<Text>,
    // callback
    pub not_taken: Option<Text>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionSection {
    pub key: Text,
    #[serde(default)]
    pub speech: Vec<Text>,
    pub next: Text,
}
