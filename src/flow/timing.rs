//! How long a caller waits, in seconds of speech and silence: before they hear the first key
//! they can press, before the first menu has told every choice and has ended, and, staying
//! silent, before a phone rings for them. Estimated from words at a calm speaking rate, with
//! numbers said digit by digit as the TwiML marks them; where `hours` branches differ, the
//! longest way counts.

use super::{Flows, Message, Piece, StepKind, StepRef};
use crate::twiml::spoken;

/// Words a caller hears per second at a calm speaking rate (150 a minute).
pub const WORDS_PER_SECOND: f64 = 2.5;
/// The most speech a caller should sit through before the first menu's choices are all told.
pub const MAX_SECONDS_BEFORE_CHOICE: f64 = 30.0;
/// Words a placeholder is taken to say: "Tuesday 29 December at 9am".
const PLACEHOLDER_WORDS: usize = 5;
/// Steps followed at most: say and hours chains are loop-free once loaded; this is a backstop.
const MAX_HOPS: usize = 64;

/// What a caller on a line waits for, in seconds, on the longest way there.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Waits {
    /// The first menu, whose wait these are.
    pub menu: StepRef,
    /// Until the first "press" and its key have been said.
    pub first_key: f64,
    /// Until the sentence with the last "press" has been said: every choice told.
    pub choices_told: f64,
    /// Until the first menu's prompt has ended.
    pub menu_ends: f64,
    /// A caller who says and presses nothing: until the first phone rings for them, the
    /// menus' silences included. `None` if the silent caller is never put through.
    pub silent_until_ringing: Option<f64>,
}

fn seconds(words: usize) -> f64 {
    words as f64 / WORDS_PER_SECOND
}

/// The words of a message: its text as said, placeholders as a typical filling.
fn words(flows: &Flows, at: StepRef, message: &Message) -> Vec<String> {
    // The longest reason the step's schedule gives, in words.
    let schedule = flows.step(at).schedule.map(|s| &flows.schedules[s]);
    let words_in = |reason: &str| reason.split_whitespace().count();
    let closure_words = schedule
        .and_then(|s| s.closures.values().map(|r| words_in(r)).max())
        .unwrap_or(0);
    let special_hours_words = schedule
        .and_then(|s| s.special_hours.values().map(|d| words_in(&d.said())).max())
        .unwrap_or(0);
    let mut said = Vec::new();
    for piece in &message.pieces {
        let count = match piece {
            Piece::Text(text) => {
                // Digits said one by one are words of their own.
                for part in spoken::parts(text) {
                    match part {
                        spoken::Part::Plain(text) => said.extend(
                            text.split_whitespace()
                                .filter(|w| w.chars().any(char::is_alphanumeric))
                                .map(str::to_owned),
                        ),
                        spoken::Part::SayAs(_, text) => {
                            let n = spoken::word_count(text).max(1);
                            said.extend(std::iter::repeat_n(text.to_owned(), n));
                        }
                    }
                }
                continue;
            }
            Piece::NextOpening | Piece::Holiday => PLACEHOLDER_WORDS,
            Piece::ClosureReason => closure_words,
            Piece::SpecialHoursReason => special_hours_words,
        };
        said.extend(std::iter::repeat_n("…".to_owned(), count));
    }
    said
}

/// Words said before each step that waits, on every way from `at` through say, hours and
/// origin steps: (the step, the words said before it).
fn ways_to_a_wait(flows: &Flows, from_24_7: bool, at: StepRef) -> Vec<(StepRef, usize)> {
    let mut found = Vec::new();
    let mut queue = vec![(at, 0usize, 0usize)];
    while let Some((at, heard, hops)) = queue.pop() {
        if hops > MAX_HOPS {
            continue;
        }
        match &flows.step(at).kind {
            StepKind::Say { message, next } => {
                queue.push((*next, heard + words(flows, at, message).len(), hops + 1))
            }
            StepKind::Hours(_) => queue.extend(
                flows
                    .step(at)
                    .kind
                    .exits()
                    .into_iter()
                    .map(|e| (e.to, heard, hops + 1)),
            ),
            StepKind::Origin {
                from_24_7: yes,
                otherwise,
            } => queue.push((if from_24_7 { *yes } else { *otherwise }, heard, hops + 1)),
            StepKind::Menu(_)
            | StepKind::Dial(_)
            | StepKind::Hangup { .. }
            | StepKind::CallBack { .. } => found.push((at, heard)),
        }
    }
    found
}

/// The line's waits, or `None` when its calls reach no menu before a dial or a hang-up.
pub fn waits(flows: &Flows, line: usize) -> Option<Waits> {
    let this = flows.line(line);
    let mut waits: Option<Waits> = None;
    for (at, heard) in ways_to_a_wait(flows, this.open_24_7, this.start) {
        let StepKind::Menu(menu) = &flows.step(at).kind else {
            continue;
        };
        let prompt = words(flows, at, &menu.prompt);
        let is_press = |w: &String| w.eq_ignore_ascii_case("press");
        let first_key = prompt
            .iter()
            .position(is_press)
            .map_or(prompt.len(), |i| i + 2);
        let last_press = prompt.iter().rposition(is_press).unwrap_or(0);
        let told = prompt[last_press..]
            .iter()
            .position(|w| w.ends_with('.'))
            .map_or(prompt.len(), |i| last_press + i + 1);
        let these = Waits {
            menu: at,
            first_key: seconds(heard + first_key.min(prompt.len())),
            choices_told: seconds(heard + told),
            menu_ends: seconds(heard + prompt.len()),
            silent_until_ringing: silent_until_ringing(flows, this.open_24_7, this.start),
        };
        if waits.is_none_or(|w| these.choices_told > w.choices_told) {
            waits = Some(these);
        }
    }
    waits
}

/// A silent caller's wait for a phone to ring: every menu asks its tries in full, each
/// followed by its silence, and the longest `hours` branch counts.
fn silent_until_ringing(flows: &Flows, from_24_7: bool, start: StepRef) -> Option<f64> {
    let mut longest: Option<f64> = None;
    let mut queue = vec![(start, 0.0f64, 0usize)];
    while let Some((at, waited, hops)) = queue.pop() {
        if hops > MAX_HOPS {
            continue;
        }
        for (wait, before) in ways_to_a_wait(flows, from_24_7, at) {
            let waited = waited + seconds(before);
            match &flows.step(wait).kind {
                StepKind::Menu(menu) => {
                    let prompt = words(flows, wait, &menu.prompt).len();
                    let sorry = menu
                        .no_input
                        .as_ref()
                        .map_or(0, |m| words(flows, wait, m).len());
                    let tries = menu.attempts as usize;
                    let asking = seconds(tries * prompt + (tries - 1) * sorry)
                        + f64::from(menu.timeout_seconds) * tries as f64;
                    queue.push((menu.after_attempts, waited + asking, hops + 1));
                }
                StepKind::Dial(dial) => {
                    let said = dial
                        .message
                        .as_ref()
                        .map_or(0, |m| words(flows, wait, m).len());
                    let ringing = waited + seconds(said);
                    if longest.is_none_or(|l| ringing > l) {
                        longest = Some(ringing);
                    }
                }
                _ => {}
            }
        }
    }
    longest
}
