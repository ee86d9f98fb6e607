//! Every answer a set of flows can give: each step, with every kind of input, at every try,
//! on a call started on each line, at instants that cover open, closed, weekend and bank
//! holiday, with the emergency switch off and on. Checks that must hold of
//! all answers (valid TwiML, never a dead end) run over this.

use chrono::{DateTime, Utc};

use crate::calendar::{BankHolidays, Emergencies};
use crate::engine::{self, Answer, CallBackResult, CallInput, Context, Position};
use crate::flow::{Flows, StepKind};
use crate::next_step::{NextStep, Stage};

/// Instants that put a UK office-hours schedule in each of its states.
pub const SAMPLE_INSTANTS: [&str; 5] = [
    "2026-11-23T10:00:00Z", // Monday morning: open
    "2026-11-23T18:00:00Z", // Monday evening: closed
    "2026-11-21T12:00:00Z", // Saturday
    "2026-12-25T10:00:00Z", // Christmas Day
    "2026-07-15T08:30:00Z", // summer time, 09:30 in London: open
];

pub fn sample_instants() -> Vec<DateTime<Utc>> {
    SAMPLE_INSTANTS
        .iter()
        .map(|t| t.parse().expect("sample instants are RFC 3339"))
        .collect()
}

/// One answer and how it was reached.
pub struct Case {
    /// E.g. `wellbeing/main-menu?attempt=2 Digits=9 at 2026-11-23T10:00:00Z`.
    pub label: String,
    /// The call started on a line open 24/7.
    pub from_24_7: bool,
    pub answer: Answer,
}

pub fn every_answer(
    flows: &Flows,
    holidays: &BankHolidays,
    instants: &[DateTime<Utc>],
) -> Vec<Case> {
    let mut every_schedule_closed = Emergencies::default();
    for schedule in &flows.schedules {
        every_schedule_closed.close(&schedule.name, Default::default());
    }
    let switch_states = [
        (Emergencies::default(), ""),
        (every_schedule_closed, " in an emergency"),
    ];
    let mut cases = Vec::new();
    for (emergencies, switch) in &switch_states {
        for &now in instants {
            let ctx = Context {
                flows,
                holidays,
                emergencies,
                now,
            };
            cases.extend(
                answers_at(&ctx)
                    .into_iter()
                    .map(|(what, from_24_7, answer)| Case {
                        label: format!("{what} at {}{switch}", now.to_rfc3339()),
                        from_24_7,
                        answer,
                    }),
            );
        }
    }
    cases
}

/// Every answer at one instant, on a call started on each line, each with what was sent and
/// whether the call started on a line open 24/7.
fn answers_at(ctx: &Context<'_>) -> Vec<(String, bool, Answer)> {
    let flows = ctx.flows;
    let mut answers = Vec::new();
    {
        let mut run = |position: Position, input: CallInput, what: String, from_24_7: bool| {
            answers.push((what, from_24_7, engine::answer(ctx, &position, &input)));
        };
        let mut numbers: Vec<String> = flows
            .lines
            .iter()
            .flat_map(|l| l.numbers.iter().map(|n| n.to_string()))
            .collect();
        numbers.push("+15005550006".to_owned());
        for to in numbers {
            let line = flows.line(flows.line_for_number(Some(&to)));
            run(
                Position::Start,
                CallInput {
                    to: Some(to.clone()),
                    ..CallInput::default()
                },
                format!("start To={to}"),
                line.open_24_7,
            );
        }
        for origin in &flows.lines {
            for line in &flows.lines {
                let callback = NextStep::new(&line.id, "no-such-step", 1).from_origin(&origin.id);
                let label = callback.url("");
                run(
                    Position::After(callback),
                    CallInput::default(),
                    label,
                    origin.open_24_7,
                );
                for step in &line.steps {
                    for stage in stages_for(&step.kind) {
                        for (input, what) in inputs_for(&step.kind) {
                            for attempt in attempts_for(&step.kind) {
                                let mut callback = NextStep::new(&line.id, &step.id, attempt)
                                    .from_origin(&origin.id);
                                callback.stage = stage.clone();
                                let label = format!("{} {what}", callback.url(""));
                                run(
                                    Position::After(callback),
                                    input.clone(),
                                    label,
                                    origin.open_24_7,
                                );
                            }
                        }
                    }
                }
            }
        }
    }
    answers
}

/// The stages a step can be at: a `callback` step's each, and none for the others.
fn stages_for(kind: &StepKind) -> Vec<Option<Stage>> {
    match kind {
        StepKind::CallBack { .. } => vec![
            None,
            Some(Stage::Keying),
            Some(Stage::Confirming(KEYED.to_owned())),
        ],
        _ => vec![None],
    }
}

/// A number a caller keys in, and one they call from: numbers the numbering plan has.
const KEYED: &str = "07911123457";
const CALLING_FROM: &str = "+447911123456";

fn attempts_for(kind: &StepKind) -> Vec<u32> {
    let last = match kind {
        StepKind::Menu(menu) => menu.attempts,
        StepKind::Dial(dial) => dial.attempts,
        StepKind::CallBack { .. } => 2,
        _ => 1,
    };
    (1..=last + 1).collect()
}

fn inputs_for(kind: &StepKind) -> Vec<(CallInput, String)> {
    let digits = |d: &str| {
        (
            CallInput {
                digits: Some(d.to_owned()),
                ..CallInput::default()
            },
            format!("Digits={d}"),
        )
    };
    let speech = |s: &str| {
        (
            CallInput {
                speech: Some(s.to_owned()),
                ..CallInput::default()
            },
            format!("SpeechResult={s:?}"),
        )
    };
    match kind {
        StepKind::Menu(menu) => {
            let mut inputs = vec![(CallInput::default(), "silence".to_owned())];
            for option in &menu.options {
                inputs.push(digits(&option.key.to_string()));
                inputs.extend(option.speech.iter().map(|p| speech(p)));
            }
            let unused = "0123456789*#"
                .chars()
                .find(|k| menu.options.iter().all(|o| o.key != *k));
            inputs.extend(unused.map(|k| digits(&k.to_string())));
            inputs.push(speech("something else entirely"));
            inputs
        }
        StepKind::Dial(_) => [
            "completed",
            "answered",
            "busy",
            "no-answer",
            "failed",
            "canceled",
            "garbage",
        ]
        .into_iter()
        .map(|s| {
            (
                CallInput {
                    dial_status: Some(s.to_owned()),
                    ..CallInput::default()
                },
                format!("DialCallStatus={s}"),
            )
        })
        .chain([(CallInput::default(), "no DialCallStatus".to_owned())])
        .collect(),
        // Each answer a caller can give, from their own number or a withheld one, before the
        // store was asked and after each thing it can say.
        StepKind::CallBack { .. } => {
            let answers = [
                digits("1"),
                digits("2"),
                digits("9"),
                digits(KEYED),
                digits("12345"),
                speech("yes"),
                speech("no"),
                // A number said rather than keyed, and one misheard.
                speech("oh seven nine one one, one two three four five seven"),
                speech("seven nine one one"),
                (CallInput::default(), "silence".to_owned()),
            ];
            let results = std::iter::once(None).chain(CallBackResult::ALL.map(Some));
            let mut inputs = Vec::new();
            for (input, what) in answers {
                for from in [Some(CALLING_FROM), None] {
                    for result in results.clone() {
                        let input = CallInput {
                            from: from.map(str::to_owned),
                            call_back: result,
                            ..input.clone()
                        };
                        let whom = if from.is_some() {
                            "own number"
                        } else {
                            "withheld"
                        };
                        let kept = result.map_or("not yet kept", |r| r.as_str());
                        inputs.push((input, format!("{what}, {whom}, {kept}")));
                    }
                }
            }
            inputs
        }
        _ => vec![(CallInput::default(), "replayed".to_owned())],
    }
}
