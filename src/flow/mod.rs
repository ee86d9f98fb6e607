//! Call flows: the validated lines, steps and schedules loaded from ops' TOML files.
//!
//! Once a [`Flows`] exists every reference in it resolves, every number is E.164, every text
//! can be written as TwiML, and no chain of steps loops without asking the caller something.

pub mod changes;
mod diagnostic;
pub(crate) mod file;
pub mod graph;
mod keys;
mod load;
pub mod timing;
mod words;

use std::collections::HashMap;
use std::path::PathBuf;

use crate::calendar::{ClosedBecause, Schedule, SpecialHours, Status};
use crate::calendar::{DayKind, OneOffDay};
use crate::phone::E164;
use crate::twiml::DialStatus;
use crate::twiml::{self, Language, Voice};

pub(crate) use diagnostic::Source;
pub use diagnostic::{Diagnostic, Diagnostics, Severity, did_you_mean};
pub use load::{NamedFiles, flow_files, read_named, read_sources};
pub(crate) use load::{build, version};
pub use timing::MAX_SECONDS_BEFORE_CHOICE;
pub use words::{hours_said, normalise_speech, parse_openings, with_reason};

/// A line's or a step's name: lower-case letters, digits and dashes, as it appears in action
/// URLs, logs and metric labels, so it never needs escaping anywhere.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0:?} must be lower-case letters, digits and dashes")]
pub struct BadId(pub String);

impl Id {
    pub fn parse(name: &str) -> Result<Id, BadId> {
        let valid = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if valid {
            Ok(Id(name.to_owned()))
        } else {
            Err(BadId(name.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Id {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

/// Quoted, as a name is in findings: `step "main-menu" is never reached`.
impl std::fmt::Debug for Id {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::fmt::Display for Id {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for Id {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Id {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// A validated set of lines, swapped in whole or not at all.
#[derive(Clone, Debug)]
pub struct Flows {
    pub lines: Vec<Line>,
    pub schedules: Vec<Schedule>,
    /// The line whose file defines each schedule (by index, as `schedules`).
    schedule_lines: Vec<usize>,
    /// A short hash of the files' names and contents: which edit is in force.
    pub version: String,
    default_line: usize,
    line_by_number: HashMap<String, usize>,
    line_by_id: HashMap<String, usize>,
}

#[derive(Clone, Debug)]
pub struct Line {
    /// The file's name without `.toml`; appears in action URLs.
    pub id: Id,
    pub name: String,
    pub path: PathBuf,
    pub numbers: Vec<E164>,
    pub voice: Voice,
    pub language: Language,
    pub start: StepRef,
    pub on_error: StepRef,
    /// Answered around the clock: no caller may reach a hang-up without being offered a person.
    pub open_24_7: bool,
    pub steps: Vec<Step>,
    step_by_id: HashMap<String, usize>,
}

/// A step anywhere in the set: steps may hand callers to another line's steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StepRef {
    pub line: usize,
    pub step: usize,
}

#[derive(Clone, Debug)]
pub struct Step {
    pub id: Id,
    /// `line/step`, as logs, metrics and diagrams name it: steps may serve other lines.
    pub qualified_id: String,
    /// Index into [`Flows::schedules`] for the step's placeholders and hours branch.
    pub schedule: Option<usize>,
    pub kind: StepKind,
}

#[derive(Clone, Debug)]
pub enum StepKind {
    /// Say something, then go on.
    Say {
        message: Message,
        next: StepRef,
    },
    Menu(Menu),
    Dial(Dial),
    /// Branch on the step's schedule: where each [`HoursBranch`] goes.
    Hours(HoursExits),
    /// Branch on the line the call started on: a call that started on a line open 24/7 keeps
    /// that line's promise (never a hang-up before a person) wherever it is put through.
    Origin {
        from_24_7: StepRef,
        otherwise: StepRef,
    },
    /// Say something, then end the call.
    Hangup {
        message: Option<Message>,
    },
    /// Take a request for a call back: the number called from (confirmed by its last three
    /// digits) or one keyed in (read back, confirmed), kept in the store before the caller is
    /// told it was taken and from when to expect the call (the schedule's next opening).
    /// `not_taken` when it could not be: no number after two tries, or the store down.
    CallBack {
        next: StepRef,
        not_taken: StepRef,
    },
}

#[derive(Clone, Debug)]
pub struct Menu {
    pub prompt: Message,
    pub options: Vec<MenuOption>,
    /// Any key at all goes here (options, if any, are matched first).
    pub any_key: Option<StepRef>,
    /// Tries in all, the first included.
    pub attempts: u32,
    pub after_attempts: StepRef,
    pub no_input: Option<Message>,
    pub invalid: Option<Message>,
    pub timeout_seconds: u8,
    /// Every option's words, for the speech recogniser; `None` when the menu takes keys only.
    pub hints: Option<twiml::Text>,
}

#[derive(Clone, Debug)]
pub struct MenuOption {
    /// A keypad key: 0-9, `*` or `#`.
    pub key: char,
    /// Words that choose this option, lower case.
    pub speech: Vec<String>,
    pub next: StepRef,
}

#[derive(Clone, Debug)]
pub struct Dial {
    pub message: Option<Message>,
    pub number: E164,
    pub ring_seconds: u8,
    /// Tries in all, the first included.
    pub attempts: u32,
    pub retry: Option<Message>,
    /// Said when a try fails, worded by what happened.
    pub busy: Option<Message>,
    pub no_answer: Option<Message>,
    /// Could not connect: failed, cancelled, or a status Twilio did not document.
    pub failed: Option<Message>,
    pub after_attempts: StepRef,
}

impl Dial {
    /// What the caller hears when a try ends with `status` (never a connected one).
    pub fn failure_words(&self, status: DialStatus) -> Option<&Message> {
        match status {
            DialStatus::Busy => self.busy.as_ref(),
            DialStatus::NoAnswer => self.no_answer.as_ref(),
            _ => self.failed.as_ref(),
        }
    }
}

/// Text to speak, with placeholders filled in when the call reaches it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub pieces: Vec<Piece>,
    /// The whole text, checked once, when it has no placeholders: most messages.
    pub fixed: Option<twiml::Text>,
}

impl Message {
    pub fn new(pieces: Vec<Piece>) -> Self {
        let fixed = match pieces.as_slice() {
            [Piece::Text(text)] => twiml::Text::new(text).ok(),
            _ => None,
        };
        Message { pieces, fixed }
    }

    /// The message as its words, placeholders named in words, for ops to read.
    pub fn in_words(&self) -> String {
        self.pieces
            .iter()
            .map(|piece| match piece {
                Piece::Text(text) => text.as_str(),
                Piece::NextOpening => "(when it next opens)",
                Piece::Holiday => "(today's bank holiday)",
                Piece::ClosureReason => "(the closure's reason)",
                Piece::SpecialHoursReason => "(why today's hours are different)",
            })
            .collect::<String>()
            .trim()
            .to_owned()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    /// `{next_opening}`: "Tuesday 29 December at 9am".
    NextOpening,
    /// `{holiday}`: today's bank holiday, "Christmas Day".
    Holiday,
    /// `{closure_reason}`: the reason ops gave for closing today.
    ClosureReason,
    /// `{special_hours_reason}`: the reason ops gave for today's special hours, or else the
    /// hours ("today we are open 10am to 1pm only").
    SpecialHoursReason,
}

/// One way on from a step: where the caller may go next, and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exit {
    /// "1 or \"counselling\"", "no choice after 3 tries", "bank holiday", ...
    pub label: String,
    pub to: StepRef,
}

/// Which way an `hours` step sends a call, by its schedule's state, checked in this order:
/// closed by the emergency switch, a closure day, a bank holiday, closed by the day's hours
/// (on a day with special hours, or any other), or open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HoursBranch {
    Open,
    Closed,
    Holiday,
    Closure,
    Emergency,
    /// Closed by the day's special hours.
    SpecialHours,
}

impl HoursBranch {
    pub const ALL: [HoursBranch; 6] = [
        HoursBranch::Open,
        HoursBranch::Closed,
        HoursBranch::Holiday,
        HoursBranch::Closure,
        HoursBranch::Emergency,
        HoursBranch::SpecialHours,
    ];

    /// The branch a schedule in this state takes.
    pub fn of(status: &Status) -> HoursBranch {
        match status {
            Status::Open { .. } => HoursBranch::Open,
            Status::Closed(ClosedBecause::Emergency) => HoursBranch::Emergency,
            Status::Closed(ClosedBecause::Closure(_)) => HoursBranch::Closure,
            Status::Closed(ClosedBecause::Holiday(_)) => HoursBranch::Holiday,
            Status::Closed(ClosedBecause::OutsideHours) => HoursBranch::Closed,
            Status::Closed(ClosedBecause::OutsideSpecialHours) => HoursBranch::SpecialHours,
        }
    }

    /// As diagrams, the console and `check` name it: "bank holiday".
    pub fn said(self) -> &'static str {
        match self {
            HoursBranch::Open => "open",
            HoursBranch::Closed => "closed",
            HoursBranch::Holiday => "bank holiday",
            HoursBranch::Closure => "closure day",
            HoursBranch::Emergency => "emergency",
            HoursBranch::SpecialHours => "outside special hours",
        }
    }
}

/// Where an `hours` step sends a call on each branch (`holiday`, `closure` and
/// `special_hours` are `closed` unless the file says otherwise).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HoursExits {
    pub open: StepRef,
    pub closed: StepRef,
    pub holiday: StepRef,
    pub closure: StepRef,
    pub emergency: StepRef,
    pub special_hours: StepRef,
}

impl HoursExits {
    pub fn to(&self, branch: HoursBranch) -> StepRef {
        match branch {
            HoursBranch::Open => self.open,
            HoursBranch::Closed => self.closed,
            HoursBranch::Holiday => self.holiday,
            HoursBranch::Closure => self.closure,
            HoursBranch::Emergency => self.emergency,
            HoursBranch::SpecialHours => self.special_hours,
        }
    }
}

impl StepKind {
    /// Every message the step may say.
    pub fn messages(&self) -> Vec<&Message> {
        match self {
            StepKind::Say { message, .. } => vec![message],
            StepKind::Menu(menu) => [
                Some(&menu.prompt),
                menu.no_input.as_ref(),
                menu.invalid.as_ref(),
            ]
            .into_iter()
            .flatten()
            .collect(),
            StepKind::Dial(dial) => [
                &dial.message,
                &dial.retry,
                &dial.busy,
                &dial.no_answer,
                &dial.failed,
            ]
            .into_iter()
            .flatten()
            .collect(),
            StepKind::Hangup { message } => message.iter().collect(),
            StepKind::Hours(_) | StepKind::Origin { .. } | StepKind::CallBack { .. } => Vec::new(),
        }
    }

    /// Every step a caller can go to from this one, in the order the file gives them. A dial
    /// that connects ends the call, and a hang-up goes nowhere.
    pub fn exits(&self) -> Vec<Exit> {
        let exit = |label: String, to: StepRef| Exit { label, to };
        match self {
            StepKind::Say { next, .. } => vec![exit("then".into(), *next)],
            StepKind::Menu(menu) => {
                let mut exits: Vec<Exit> = menu
                    .options
                    .iter()
                    .map(|o| {
                        let words = o.speech.iter().map(|w| format!(" or \"{w}\""));
                        exit(format!("{}{}", o.key, words.collect::<String>()), o.next)
                    })
                    .collect();
                exits.extend(menu.any_key.map(|to| exit("any key".into(), to)));
                let tries = plural(menu.attempts, "try", "tries");
                exits.push(exit(
                    format!("no choice after {tries}"),
                    menu.after_attempts,
                ));
                exits
            }
            StepKind::Dial(dial) => {
                let tries = plural(dial.attempts, "try", "tries");
                vec![exit(
                    format!("no answer after {tries}"),
                    dial.after_attempts,
                )]
            }
            StepKind::Hours(exits) => HoursBranch::ALL
                .into_iter()
                .map(|branch| exit(branch.said().into(), exits.to(branch)))
                .collect(),
            StepKind::Origin {
                from_24_7,
                otherwise,
            } => vec![
                exit("call started on a 24/7 line".into(), *from_24_7),
                exit("otherwise".into(), *otherwise),
            ],
            StepKind::Hangup { .. } => Vec::new(),
            StepKind::CallBack { next, not_taken } => vec![
                exit("call back taken".into(), *next),
                exit("not taken".into(), *not_taken),
            ],
        }
    }

    /// What happens when a menu hears no valid choice, or a dial is not answered, and the
    /// step is played again: `None` for a step with one try, or no tries at all.
    pub fn retry(&self) -> Option<String> {
        match self {
            StepKind::Menu(menu) if menu.attempts > 1 => Some(format!(
                "silence or a wrong key: asks again ({} in all)",
                plural(menu.attempts, "try", "tries")
            )),
            StepKind::Dial(dial) if dial.attempts > 1 => Some(format!(
                "no connection: tries again ({} in all)",
                plural(dial.attempts, "try", "tries")
            )),
            _ => None,
        }
    }
}

/// "1 try", "3 tries".
pub fn plural(count: u32, one: &str, many: &str) -> String {
    if count == 1 {
        format!("1 {one}")
    } else {
        format!("{count} {many}")
    }
}

impl Flows {
    /// The schedules the line's hours steps follow, each once.
    pub fn schedules_of(&self, line: usize) -> Vec<usize> {
        let mut schedules: Vec<usize> = self.lines[line]
            .steps
            .iter()
            .filter(|step| matches!(step.kind, StepKind::Hours(_)))
            .filter_map(|step| step.schedule)
            .collect();
        schedules.sort_unstable();
        schedules.dedup();
        schedules
    }

    /// The first schedule the line's own file defines (its hours), if any: without
    /// collecting them all, for a webhook's path.
    pub fn own_schedule(&self, line: usize) -> Option<usize> {
        (0..self.schedules.len()).find(|s| self.schedule_lines.get(*s) == Some(&line))
    }

    /// The schedules the line's own file defines: its hours.
    pub fn own_schedules(&self, line: usize) -> Vec<usize> {
        (0..self.schedules.len())
            .filter(|s| self.schedule_lines.get(*s) == Some(&line))
            .collect()
    }

    /// The line whose file defines `schedule`.
    pub fn schedule_line(&self, schedule: usize) -> usize {
        self.schedule_lines[schedule]
    }

    /// The name of the line whose file defines the schedule named `schedule`, as ops know it
    /// ("Doctor support line"); the schedule's own name if there is no such schedule.
    pub fn schedule_line_name<'a>(&'a self, schedule: &'a str) -> &'a str {
        self.schedules
            .iter()
            .position(|s| s.name == schedule)
            .map_or(schedule, |s| &self.line(self.schedule_line(s)).name)
    }

    pub fn line(&self, index: usize) -> &Line {
        &self.lines[index]
    }

    pub fn step(&self, at: StepRef) -> &Step {
        &self.lines[at.line].steps[at.step]
    }

    /// The line that answers calls to `to`, or the default line for an unknown number.
    pub fn line_for_number(&self, to: Option<&str>) -> usize {
        to.and_then(|to| self.line_by_number.get(to.trim()))
            .copied()
            .unwrap_or(self.default_line)
    }

    /// The line whose `numbers` include `number`, if one does.
    pub fn line_claiming(&self, number: &str) -> Option<usize> {
        self.line_by_number.get(number).copied()
    }

    pub fn line_index(&self, id: &str) -> Option<usize> {
        self.line_by_id.get(id).copied()
    }

    pub fn default_line(&self) -> usize {
        self.default_line
    }

    /// Whether some step on the schedule numbered `schedule` says `piece` (a reason's
    /// placeholder): if none does, a reason given for its days is never heard.
    pub fn says(&self, schedule: usize, piece: &Piece) -> bool {
        self.lines.iter().flat_map(|line| &line.steps).any(|step| {
            step.schedule == Some(schedule)
                && step
                    .kind
                    .messages()
                    .iter()
                    .any(|m| m.pieces.contains(piece))
        })
    }

    /// The step a callback names, if it exists in this set.
    pub fn find_step(&self, line: &str, step: &str) -> Option<StepRef> {
        let line = self.line_index(line)?;
        let step = *self.lines[line].step_by_id.get(step)?;
        Some(StepRef { line, step })
    }

    /// These flows with the one-off days ops added at run time merged into their schedules,
    /// and each clash: a day the flow files already give something for (the day added at run
    /// time wins, as the later decision) or a schedule no flow has (it changes nothing).
    pub fn with_days(&self, days: &[OneOffDay]) -> (Flows, Vec<String>) {
        let mut merged = self.clone();
        let mut clashes = Vec::new();
        for day in days {
            let Some(schedule) = merged.schedules.iter_mut().find(|s| s.name == day.schedule)
            else {
                clashes.push(format!(
                    "{} {} of schedule {:?}: no flow has that schedule, so it changes nothing",
                    day.kind.said(),
                    day.day,
                    day.schedule
                ));
                continue;
            };
            let in_file = if schedule.closures.contains_key(&day.day) {
                Some("a closure day")
            } else if schedule.special_hours.contains_key(&day.day) {
                Some("special hours")
            } else {
                None
            };
            if let Some(in_file) = in_file {
                clashes.push(format!(
                    "{} {} of {}: the flow files give {in_file} for that day too; the {} added at run time is in force",
                    day.kind.said(),
                    day.day,
                    day.schedule,
                    day.kind.said()
                ));
                schedule.closures.remove(&day.day);
                schedule.special_hours.remove(&day.day);
            }
            match day.kind {
                DayKind::Closure => {
                    schedule.closures.insert(day.day, day.value.clone());
                }
                DayKind::SpecialHours => match parse_openings(&day.value) {
                    Ok(openings) => {
                        let reason = day.reason.clone();
                        let special = SpecialHours { openings, reason };
                        schedule.special_hours.insert(day.day, special);
                    }
                    Err(problem) => clashes.push(format!(
                        "special hours {} of {}: {problem}; the day keeps its usual hours",
                        day.day, day.schedule
                    )),
                },
            }
        }
        (merged, clashes)
    }
}

/// A step's name in words: "main-menu" is "Main menu".
pub fn step_title(id: &str) -> String {
    capitalised(&id.replace('-', " "))
}

/// `text` with its first letter a capital, to begin a sentence or a title.
pub fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
