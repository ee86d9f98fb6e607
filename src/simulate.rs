//! Plays a whole call through the engine, as a caller would live it, without a telephone.

use std::fmt::Write;

use crate::engine::{self, CallInput, Context, Position};
use crate::twiml::{Input, Prompt, Verb};

/// The most webhooks one simulated call may take, so a flow that never ends is reported.
const MAX_EXCHANGES: usize = 50;

/// What the caller does when the call next waits for them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallerAction {
    Press(String),
    Say(String),
    /// How the next connection attempt ends, as Twilio's `DialCallStatus` (default: completed).
    Dial(String),
}

/// The call, as lines a person reads: what was heard, what the caller did, where it went.
#[derive(Debug, Default)]
pub struct Transcript {
    pub lines: Vec<String>,
    /// Numbers dialled, in order.
    pub dialled: Vec<String>,
    /// Whether the call ended with the engine's hang-up (rather than being cut short).
    pub ended: bool,
    /// What the caller was to do that the call never asked for.
    pub unused: Vec<CallerAction>,
}

impl Transcript {
    pub fn text(&self) -> String {
        self.lines.iter().fold(String::new(), |mut out, line| {
            let _ = writeln!(out, "{line}");
            out
        })
    }

    /// Everything the caller heard, joined.
    pub fn heard(&self) -> String {
        self.lines
            .iter()
            .filter_map(|l| l.strip_prefix("  hears: "))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Plays a call to `to`, answering each wait with the next of `actions` (silence when none is
/// left, or when the next one does not fit: a key or words at a menu, a dial result at a dial).
pub fn call(ctx: &Context<'_>, to: &str, actions: &[CallerAction]) -> Transcript {
    let mut transcript = Transcript::default();
    let mut actions = actions.iter().peekable();
    let mut position = Position::Start;
    let mut input = CallInput {
        to: Some(to.to_owned()),
        ..CallInput::default()
    };
    for _ in 0..MAX_EXCHANGES {
        let mut answer = engine::answer(ctx, &position, &input);
        if answer.call_back.is_some() {
            // A simulated store always keeps the request.
            input.call_back = Some(engine::CallBackResult::Taken);
            answer = engine::answer(ctx, &position, &input);
            transcript
                .lines
                .push("  (the request for a call back is kept)".to_owned());
        }
        let line = &ctx.flows.line(answer.line).name;
        transcript.lines.push(format!("[{line}]"));
        if let Some(error) = &answer.error {
            transcript.lines.push(format!("  error: {error}"));
        }
        input = CallInput {
            to: Some(to.to_owned()),
            ..CallInput::default()
        };
        let mut next = None;
        for verb in &answer.response.verbs {
            match verb {
                Verb::Say(say) => transcript
                    .lines
                    .push(format!("  hears: {}", say.text.as_str())),
                Verb::Pause { seconds } => transcript.lines.push(format!("  pause: {seconds}s")),
                Verb::Gather(gather) => {
                    for prompt in &gather.prompts {
                        match prompt {
                            Prompt::Say(say) => transcript
                                .lines
                                .push(format!("  hears: {}", say.text.as_str())),
                            Prompt::Pause { seconds } => {
                                transcript.lines.push(format!("  pause: {seconds}s"))
                            }
                        }
                    }
                    let what =
                        format!("step {}, try {}", gather.action.step, gather.action.attempt);
                    match actions
                        .next_if(|a| matches!(a, CallerAction::Press(_) | CallerAction::Say(_)))
                    {
                        Some(CallerAction::Press(keys)) => {
                            transcript.lines.push(format!("> presses {keys} ({what})"));
                            input.digits = Some(keys.clone());
                            next = Some(gather.action.clone());
                        }
                        // Twilio sends words only from a Gather that listens for speech.
                        Some(CallerAction::Say(words)) if gather.input == Input::Keys => {
                            transcript.lines.push(format!(
                                "> says {words:?}, unheard: this menu takes keys only ({what})"
                            ));
                        }
                        Some(CallerAction::Say(words)) => {
                            transcript.lines.push(format!("> says {words:?} ({what})"));
                            input.speech = Some(words.clone());
                            next = Some(gather.action.clone());
                        }
                        _ => transcript.lines.push(format!("> stays silent ({what})")),
                    }
                }
                Verb::Redirect(to) => {
                    next.get_or_insert_with(|| to.clone());
                    break;
                }
                Verb::Dial(dial) => {
                    transcript.dialled.push(dial.number.to_string());
                    let status = match actions.next_if(|a| matches!(a, CallerAction::Dial(_))) {
                        Some(CallerAction::Dial(status)) => status.clone(),
                        _ => "completed".to_owned(),
                    };
                    let what = match &dial.action {
                        Some(action) => format!("step {}, try {}", action.step, action.attempt),
                        None => "no step after it".to_owned(),
                    };
                    transcript
                        .lines
                        .push(format!("  dials: {} ({what}) -> {status}", dial.number));
                    input.dial_status = Some(status);
                    // With no action, the call goes on to the verbs after the Dial.
                    if let Some(action) = &dial.action {
                        next = Some(action.clone());
                    }
                }
                Verb::Hangup => {
                    transcript.lines.push("  call ends".to_owned());
                    transcript.ended = true;
                    transcript.unused = actions.cloned().collect();
                    return transcript;
                }
            }
        }
        match next {
            Some(callback) => position = Position::After(callback),
            None => {
                transcript.lines.push(
                    "  the answer ends without hanging up or waiting: the call would drop"
                        .to_owned(),
                );
                transcript.unused = actions.cloned().collect();
                return transcript;
            }
        }
    }
    transcript
        .lines
        .push(format!("  stopped after {MAX_EXCHANGES} webhooks"));
    transcript.unused = actions.cloned().collect();
    transcript
}
