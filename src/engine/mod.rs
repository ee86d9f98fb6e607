//! The decision: (flows, line, step, caller input, instant) → TwiML. Pure: no I/O, no clock.
//!
//! Every answer ends by asking the caller something (`Gather` then `Redirect`, so silence comes
//! back too), connecting them (`Dial` with an action, so a failure comes back), or a hang-up
//! the flow chose. Anything that goes wrong answers the line's `on_error` dial instead.

use chrono::{DateTime, Utc};

use crate::calendar::{BankHolidays, Emergencies, Schedule, Status, speech};
use crate::flow::{
    Dial, Flows, HoursBranch, Menu, MenuOption, Message, Piece, StepKind, StepRef, normalise_speech,
};
pub use crate::next_step::Position;
use crate::next_step::{NextStep, Stage};
use crate::phone::E164;
use crate::twiml::{self, Gather, Input, Prompt, Response, Say, Verb};

mod call_back;
pub use call_back::uk_number;

/// The most steps one answer may pass through; loops are refused at load, this is a backstop.
const MAX_HOPS: usize = 32;

/// What the engine needs besides the call itself.
pub struct Context<'a> {
    pub flows: &'a Flows,
    pub holidays: &'a BankHolidays,
    pub emergencies: &'a Emergencies,
    pub now: DateTime<Utc>,
}

/// What the caller (or Twilio) sent with the webhook.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallInput {
    /// The number dialled, which picks the line at the start.
    pub to: Option<String>,
    pub digits: Option<String>,
    pub speech: Option<String>,
    pub dial_status: Option<String>,
    /// Twilio's `From`: the number a caller may be called back on (never logged in clear).
    pub from: Option<String>,
    /// What became of the request for a call back this answer asked to keep, once the server
    /// has tried ([`Answer::call_back`]); `None` before.
    pub call_back: Option<CallBackResult>,
}

/// What became of a request for a call back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CallBackResult {
    /// Kept: the team will call.
    Taken,
    /// This number already has a request that is not closed: nothing was added.
    AlreadyAsked,
    /// It could not be kept in time (the store down or slow).
    NotTaken,
}

impl CallBackResult {
    pub const ALL: [CallBackResult; 3] = [
        CallBackResult::Taken,
        CallBackResult::AlreadyAsked,
        CallBackResult::NotTaken,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CallBackResult::Taken => "taken",
            CallBackResult::AlreadyAsked => "already-asked",
            CallBackResult::NotTaken => "not-taken",
        }
    }
}

/// A request for a call back that an answer needs kept before it can be given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallBackRequest {
    pub number: E164,
    /// The id of the line whose team calls back: the `callback` step's.
    pub line: String,
}

impl CallInput {
    /// The input from a webhook's parameters, looked up by Twilio's names.
    pub fn from_params<'a>(param: impl Fn(&str) -> Option<&'a str>) -> CallInput {
        CallInput {
            to: param("To").map(str::to_owned),
            digits: param("Digits").map(str::to_owned),
            speech: param("SpeechResult").map(str::to_owned),
            dial_status: param("DialCallStatus").map(str::to_owned),
            from: param("From").map(str::to_owned),
            call_back: None,
        }
    }
}

pub use crate::twiml::DialStatus;

/// What the engine made of the caller's input, for logs and metrics (a small, fixed set).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Started,
    Chose(char),
    AnyKey,
    NoInput,
    Invalid,
    Dialled(DialStatus),
    /// A number keyed in for a call back, to be read back.
    Keyed,
    /// A request for a call back, and what became of it.
    CallBack(CallBackResult),
    /// Something went wrong: the caller was sent to the line's `on_error` step.
    Failed,
}

impl Outcome {
    /// A fixed name for logs and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Started => "started",
            Outcome::Chose(_) => "chose",
            Outcome::AnyKey => "any-key",
            Outcome::NoInput => "no-input",
            Outcome::Invalid => "invalid",
            Outcome::Dialled(_) => "dialled",
            Outcome::Keyed => "keyed",
            Outcome::CallBack(CallBackResult::Taken) => "call-back-taken",
            Outcome::CallBack(CallBackResult::AlreadyAsked) => "call-back-already-asked",
            Outcome::CallBack(CallBackResult::NotTaken) => "call-back-not-taken",
            Outcome::Failed => "failed",
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EngineError {
    #[error("no step {step:?} on line {line:?} (the flows may have changed during the call)")]
    UnknownStep { line: String, step: String },
    #[error(
        "step {step:?} on line {line:?} does not wait for the caller (the flows may have changed during the call)"
    )]
    NotWaiting { line: String, step: String },
    #[error("steps passed the caller on {MAX_HOPS} times without asking anything")]
    TooManyHops,
    #[error("step {0:?} says {{holiday}} but today is not a bank holiday")]
    NoHolidayToday(String),
    #[error("step {0:?} says {{next_opening}} but its schedule does not open in the coming year")]
    NoNextOpening(String),
    #[error(
        "step {0:?} says {{next_opening}} while its schedule is closed by the emergency switch"
    )]
    ReopeningUnknown(String),
    #[error("step {0:?} says {{closure_reason}} but today is not a closure day")]
    NoClosureToday(String),
    #[error("step {0:?} says {{special_hours_reason}} but today has no special hours")]
    NoSpecialHoursToday(String),
}

#[derive(Debug)]
pub struct Answer {
    pub response: Response,
    /// The line the call is on.
    pub line: usize,
    /// The steps this answer passed through, in order; the last is where the call now waits.
    pub path: Vec<StepRef>,
    pub outcome: Outcome,
    pub error: Option<EngineError>,
    /// A request for a call back to keep before this answer is given: the server keeps it and
    /// asks again with [`CallInput::call_back`] set. Until then the answer is the one for a
    /// request that could not be kept, so a caller is never told it was taken when it was not.
    pub call_back: Option<CallBackRequest>,
}

/// The answer to one webhook. Never fails: an error answers the line's `on_error` step.
pub fn answer(ctx: &Context<'_>, position: &Position, input: &CallInput) -> Answer {
    let origin = origin_of(ctx.flows, position, input);
    let mut walk = Walk::new(ctx, origin);
    walk.from = input.from.as_deref();
    match walk.respond(position, input) {
        Ok((response, outcome)) => {
            let line = walk
                .path
                .first()
                .map_or(ctx.flows.default_line(), |s| s.line);
            Answer {
                response,
                line,
                path: walk.path,
                outcome,
                error: None,
                call_back: walk.wants,
            }
        }
        Err(error) => {
            let line = match position {
                Position::After(cb) => ctx.flows.line_index(&cb.line),
                Position::Start => None,
            };
            let line = line.unwrap_or_else(|| ctx.flows.line_for_number(input.to.as_deref()));
            fallback(ctx, line, origin, error)
        }
    }
}

const APOLOGY: &str = "Sorry, something went wrong on our side.";

/// A line's `on_error` dial step: the line that owns it (whose voice says what comes before
/// it), its place, and the dial.
fn on_error_dial(flows: &Flows, line: usize) -> (&crate::flow::Line, StepRef, &Dial) {
    let target = flows.line(line).on_error;
    let StepKind::Dial(dial) = &flows.step(target).kind else {
        unreachable!("on_error is checked to be a dial step at load")
    };
    (flows.line(target.line), target, dial)
}

/// `words` said in `line`'s voice; nothing if they cannot be said.
fn said_by(line: &crate::flow::Line, words: &str) -> Option<Verb> {
    let text = twiml::Text::new(words).ok()?;
    Some(Verb::Say(Say {
        text,
        voice: line.voice.clone(),
        language: line.language.clone(),
    }))
}

/// The answer when nothing else can be trusted (a panic, Twilio's fallback URL): an apology,
/// then the line's `on_error` dial. It reads only the flows: no clock, no calendar, no input.
pub fn safe_response(flows: &Flows, line: usize) -> Response {
    let (owner, target, dial) = on_error_dial(flows, line);
    let mut verbs: Vec<Verb> = said_by(owner, APOLOGY).into_iter().collect();
    verbs.push(Verb::Dial(twiml::Dial {
        action: Some(NextStep::new(&owner.id, &owner.steps[target.step].id, 1)),
        number: dial.number.clone(),
        timeout_seconds: dial.ring_seconds,
    }));
    Response::new(verbs)
}

/// What a caller hears when no server of ours can answer: a document for the number's
/// fallback URL, hosted apart from the servers (a TwiML Bin, a static file) so that it does
/// not share their fate. From the flows alone, with no URL back to any server: an apology, the
/// line's `on_error` dial (a person who is always there), then, for a caller it did not put
/// through, that number said to call themselves, and goodbye.
pub fn static_fallback(flows: &Flows, line: usize) -> Response {
    let (owner, _, dial) = on_error_dial(flows, line);
    let number = crate::phone::written(dial.number.as_str());
    let when = if owner.open_24_7 { ", at any hour" } else { "" };
    let apology = format!(
        "Sorry, we cannot take your call in the usual way just now. We are putting you through to someone who can help, on the {}.",
        owner.name
    );
    let after = format!(
        "If you were not put through, you can ring them yourself on {number}{when}. In an emergency, dial 999. Goodbye."
    );
    let mut verbs: Vec<Verb> = said_by(owner, &apology).into_iter().collect();
    verbs.push(Verb::Dial(twiml::Dial {
        action: None,
        number: dial.number.clone(),
        timeout_seconds: dial.ring_seconds,
    }));
    verbs.extend(said_by(owner, &after));
    verbs.push(Verb::Hangup);
    Response::new(verbs)
}

/// The line a call started on: the number it called, or what its action URL says. A URL
/// naming a line that no longer exists counts as a call to the default line.
fn origin_of(flows: &Flows, position: &Position, input: &CallInput) -> usize {
    match position {
        Position::Start => flows.line_for_number(input.to.as_deref()),
        Position::After(callback) => flows
            .line_index(callback.origin())
            .unwrap_or(flows.default_line()),
    }
}

/// The safe answer after an error: an apology, then the line's `on_error` dial.
fn fallback(ctx: &Context<'_>, line: usize, origin: usize, error: EngineError) -> Answer {
    let (_, target, dial) = on_error_dial(ctx.flows, line);
    let mut walk = Walk::new(ctx, origin);
    walk.say_text(target, APOLOGY);
    walk.path.push(target);
    // The dial's own message is said if it can be; the dial happens whatever.
    if let Some(message) = &dial.message {
        let _ = walk.say(target, message);
    }
    let response = walk.finish_dial(target, dial, 1);
    Answer {
        response,
        line,
        path: walk.path,
        outcome: Outcome::Failed,
        error: Some(error),
        call_back: None,
    }
}

/// One answer being put together: the steps passed and what the caller will hear first.
struct Walk<'c, 'a> {
    ctx: &'c Context<'a>,
    /// The line the call started on; it travels in every action URL.
    origin: usize,
    path: Vec<StepRef>,
    says: Vec<Say>,
    /// A request for a call back this answer needs kept.
    wants: Option<CallBackRequest>,
    /// Twilio's `From`, looked at only at a `callback` step (checking it against the numbering
    /// plan on every webhook would cost every call).
    from: Option<&'c str>,
}

/// What a menu does with what the caller sent: go on, or ask again (or, after the last try,
/// go to `after_attempts`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Choice {
    Go(StepRef, Outcome),
    Again(Outcome),
}

impl<'c, 'a> Walk<'c, 'a> {
    fn new(ctx: &'c Context<'a>, origin: usize) -> Self {
        Walk {
            ctx,
            origin,
            path: Vec::new(),
            says: Vec::new(),
            wants: None,
            from: None,
        }
    }

    fn respond(
        &mut self,
        position: &Position,
        input: &CallInput,
    ) -> Result<(Response, Outcome), EngineError> {
        let flows = self.ctx.flows;
        let callback = match position {
            Position::Start => {
                let line = flows.line_for_number(input.to.as_deref());
                return Ok((self.enter(flows.line(line).start, 1)?, Outcome::Started));
            }
            Position::After(callback) => callback,
        };
        let at = flows
            .find_step(&callback.line, &callback.step)
            .ok_or_else(|| EngineError::UnknownStep {
                line: callback.line.clone(),
                step: callback.step.clone(),
            })?;
        let attempt = callback.attempt;
        match &flows.step(at).kind {
            StepKind::Menu(menu) => match decide(menu, input) {
                Choice::Go(next, outcome) => {
                    self.path.push(at);
                    Ok((self.enter(next, 1)?, outcome))
                }
                Choice::Again(outcome) if attempt < menu.attempts => {
                    let sorry = if outcome == Outcome::NoInput {
                        &menu.no_input
                    } else {
                        &menu.invalid
                    };
                    if let Some(sorry) = sorry {
                        self.say(at, sorry)?;
                    }
                    Ok((self.enter(at, attempt + 1)?, outcome))
                }
                Choice::Again(outcome) => {
                    self.path.push(at);
                    Ok((self.enter(menu.after_attempts, 1)?, outcome))
                }
            },
            StepKind::Dial(dial) => {
                let status = DialStatus::parse(input.dial_status.as_deref());
                let outcome = Outcome::Dialled(status);
                if status.connected() {
                    // The caller spoke to someone: the call is done.
                    self.path.push(at);
                    return Ok((Response::new(vec![Verb::Hangup]), outcome));
                }
                if let Some(why) = dial.failure_words(status) {
                    self.say(at, why)?;
                }
                if attempt < dial.attempts {
                    Ok((self.enter(at, attempt + 1)?, outcome))
                } else {
                    self.path.push(at);
                    Ok((self.enter(dial.after_attempts, 1)?, outcome))
                }
            }
            StepKind::CallBack { next, not_taken } => {
                let ends = (*next, *not_taken);
                self.call_back_answered(at, ends, callback, input)
            }
            // Only menus, dials and call backs wait for a webhook: a URL naming another step is
            // stale (the flows changed) and gets the safe answer, never a hang-up.
            _ => Err(EngineError::NotWaiting {
                line: callback.line.clone(),
                step: callback.step.clone(),
            }),
        }
    }

    /// Plays steps from `at` until one waits for the caller, connects them, or hangs up.
    fn enter(&mut self, mut at: StepRef, attempt: u32) -> Result<Response, EngineError> {
        let flows = self.ctx.flows;
        for _ in 0..MAX_HOPS {
            self.path.push(at);
            let step = flows.step(at);
            match &step.kind {
                StepKind::Say { message, next } => {
                    self.say(at, message)?;
                    at = *next;
                }
                StepKind::Hours(exits) => {
                    let schedule = self.schedule(at).expect("hours steps have a schedule");
                    let status =
                        schedule.status(self.ctx.holidays, self.ctx.emergencies, self.ctx.now);
                    at = exits.to(HoursBranch::of(&status));
                }
                StepKind::Origin {
                    from_24_7,
                    otherwise,
                } => {
                    at = if flows.line(self.origin).open_24_7 {
                        *from_24_7
                    } else {
                        *otherwise
                    };
                }
                StepKind::Menu(menu) => return self.finish_menu(at, menu, attempt),
                StepKind::Dial(dial) => {
                    let message = if attempt == 1 {
                        &dial.message
                    } else {
                        &dial.retry
                    };
                    if let Some(message) = message {
                        self.say(at, message)?;
                    }
                    return Ok(self.finish_dial(at, dial, attempt));
                }
                StepKind::Hangup { message } => {
                    if let Some(message) = message {
                        self.say(at, message)?;
                    }
                    let mut verbs: Vec<Verb> = self.says.drain(..).map(Verb::Say).collect();
                    verbs.push(Verb::Hangup);
                    return Ok(Response::new(verbs));
                }
                StepKind::CallBack { .. } => {
                    let here = self.callback(at, attempt);
                    return Ok(self.call_back_start(at, here));
                }
            }
        }
        Err(EngineError::TooManyHops)
    }

    /// Everything said so far goes inside the Gather, so the caller can choose at any moment.
    fn finish_menu(
        &mut self,
        at: StepRef,
        menu: &Menu,
        attempt: u32,
    ) -> Result<Response, EngineError> {
        self.say(at, &menu.prompt)?;
        let line = self.ctx.flows.line(at.line);
        let callback = self.callback(at, attempt);
        let gather = Gather {
            action: callback.clone(),
            input: if menu.hints.is_some() {
                Input::KeysOrSpeech
            } else {
                Input::Keys
            },
            num_digits: Some(1),
            timeout_seconds: menu.timeout_seconds,
            language: line.language.clone(),
            hints: menu.hints.clone(),
            prompts: self.says.drain(..).map(Prompt::Say).collect(),
        };
        Ok(Response::new(vec![
            Verb::Gather(gather),
            Verb::Redirect(callback),
        ]))
    }

    fn finish_dial(&mut self, at: StepRef, dial: &Dial, attempt: u32) -> Response {
        let mut verbs: Vec<Verb> = self.says.drain(..).map(Verb::Say).collect();
        verbs.push(Verb::Dial(twiml::Dial {
            action: Some(self.callback(at, attempt)),
            number: dial.number.clone(),
            timeout_seconds: dial.ring_seconds,
        }));
        Response::new(verbs)
    }

    fn callback(&self, at: StepRef, attempt: u32) -> NextStep {
        let line = self.ctx.flows.line(at.line);
        NextStep::new(&line.id, &line.steps[at.step].id, attempt)
            .from_origin(&self.ctx.flows.line(self.origin).id)
    }

    fn schedule(&self, at: StepRef) -> Option<&Schedule> {
        self.ctx
            .flows
            .step(at)
            .schedule
            .map(|i| &self.ctx.flows.schedules[i])
    }

    /// The message's text with its placeholders filled in for now.
    fn render(&self, at: StepRef, message: &Message) -> Result<String, EngineError> {
        let mut text = String::new();
        let step_id = || self.ctx.flows.step(at).id.to_string();
        let schedule = || {
            self.schedule(at)
                .expect("placeholders are checked to have a schedule")
        };
        for piece in &message.pieces {
            match piece {
                Piece::Text(t) => text.push_str(t),
                Piece::NextOpening => {
                    if self.ctx.emergencies.is_closed(&schedule().name) {
                        return Err(EngineError::ReopeningUnknown(step_id()));
                    }
                    let opens = schedule()
                        .next_opening(self.ctx.holidays, self.ctx.now)
                        .ok_or_else(|| EngineError::NoNextOpening(step_id()))?;
                    text.push_str(&speech::weekday_date_time(&opens));
                }
                Piece::Holiday => {
                    let holiday = schedule()
                        .holiday_today(self.ctx.holidays, self.ctx.now)
                        .ok_or_else(|| EngineError::NoHolidayToday(step_id()))?;
                    text.push_str(&holiday.spoken());
                }
                Piece::ClosureReason => {
                    let reason = schedule()
                        .closure_today(self.ctx.now)
                        .ok_or_else(|| EngineError::NoClosureToday(step_id()))?;
                    text.push_str(reason);
                }
                Piece::SpecialHoursReason => {
                    let day = schedule()
                        .special_hours_today(self.ctx.now)
                        .ok_or_else(|| EngineError::NoSpecialHoursToday(step_id()))?;
                    text.push_str(&day.said());
                }
            }
        }
        Ok(text)
    }

    /// Queue a message, its placeholders filled in, in the voice of the step's line.
    fn say(&mut self, at: StepRef, message: &Message) -> Result<(), EngineError> {
        match &message.fixed {
            Some(text) => self.say_checked(at, text.clone()),
            None => {
                let text = self.render(at, message)?;
                self.say_text(at, &text);
            }
        }
        Ok(())
    }

    /// Queue text to be said in the voice of the line that owns the step.
    fn say_text(&mut self, at: StepRef, text: &str) {
        // Flow texts are checked at load and placeholders expand to plain words, so this holds.
        if let Ok(text) = twiml::Text::new(text) {
            self.say_checked(at, text);
        }
    }

    fn say_checked(&mut self, at: StepRef, text: twiml::Text) {
        let line = self.ctx.flows.line(at.line);
        self.says.push(Say {
            text,
            voice: line.voice.clone(),
            language: line.language.clone(),
        });
    }
}

/// What a caller's keys or words choose on a menu. Words count only on a menu that listens
/// for speech, as Twilio sends them only there.
pub(crate) fn decide(menu: &Menu, input: &CallInput) -> Choice {
    let digits = input.digits.as_deref().map(str::trim).unwrap_or("");
    let speech = input
        .speech
        .as_deref()
        .filter(|_| menu.hints.is_some())
        .map(normalise_speech)
        .unwrap_or_default();
    if !digits.is_empty() {
        let mut keys = digits.chars();
        if let (Some(key), None) = (keys.next(), keys.next())
            && let Some(option) = menu.options.iter().find(|o| o.key == key)
        {
            return Choice::Go(option.next, Outcome::Chose(key));
        }
        return match menu.any_key {
            Some(next) => Choice::Go(next, Outcome::AnyKey),
            None => Choice::Again(Outcome::Invalid),
        };
    }
    if speech.is_empty() {
        return Choice::Again(Outcome::NoInput);
    }
    match options_for_words(menu, &speech).as_slice() {
        [one] => Choice::Go(one.next, Outcome::Chose(one.key)),
        // Nothing recognised, or words for more than one choice: ask again.
        _ => Choice::Again(Outcome::Invalid),
    }
}

/// Every choice of `menu` that `speech` (normalised) names: by its key said as a number, or
/// by one of its phrases said among other words.
pub(crate) fn options_for_words<'m>(menu: &'m Menu, speech: &str) -> Vec<&'m MenuOption> {
    let spoken_key = spoken_digit(speech);
    let padded = format!(" {speech} ");
    menu.options
        .iter()
        .filter(|o| {
            Some(o.key) == spoken_key || o.speech.iter().any(|p| padded.contains(&format!(" {p} ")))
        })
        .collect()
}

/// Words that make `menu` decide as the caller's words did (`outcome`), so a recording keeps
/// the choice and not what the caller said. `None` when no stand-in decides the same.
pub fn stand_in_speech(menu: &Menu, outcome: Outcome) -> Option<String> {
    let mut candidates: Vec<String> = Vec::new();
    if let Outcome::Chose(key) = outcome {
        let option = menu.options.iter().find(|o| o.key == key)?;
        candidates.extend(option.speech.first().cloned());
        candidates.push(key.to_string());
    }
    candidates.push("something else".to_owned());
    candidates.into_iter().find(|words| {
        let input = CallInput {
            speech: Some(words.clone()),
            ..CallInput::default()
        };
        let decided = match decide(menu, &input) {
            Choice::Go(_, decided) | Choice::Again(decided) => decided,
        };
        decided == outcome
    })
}

/// "two", "2", "press two", "option 2" → '2'. Only a whole answer counts, so "no one" is not 1.
fn spoken_digit(speech: &str) -> Option<char> {
    const WORDS: [&str; 10] = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    ];
    let word = ["press ", "option ", "number "]
        .iter()
        .find_map(|p| speech.strip_prefix(p))
        .unwrap_or(speech);
    if word.len() == 1 && word.as_bytes()[0].is_ascii_digit() {
        return word.chars().next();
    }
    WORDS
        .iter()
        .position(|w| *w == word)
        .and_then(|d| char::from_digit(d as u32, 10))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spoken_digits_are_whole_answers_only() {
        assert_eq!(spoken_digit("two"), Some('2'));
        assert_eq!(spoken_digit("press 3"), Some('3'));
        assert_eq!(spoken_digit("option one"), Some('1'));
        assert_eq!(spoken_digit("no one"), None);
        assert_eq!(spoken_digit("12"), None);
    }

    #[test]
    fn dial_statuses_parse_and_unknown_is_a_failure() {
        assert_eq!(DialStatus::parse(Some("no-answer")), DialStatus::NoAnswer);
        assert_eq!(DialStatus::parse(None), DialStatus::Unknown);
        assert_eq!(DialStatus::parse(Some("ringing")), DialStatus::Unknown);
    }
}
