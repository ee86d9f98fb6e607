//! The caller-safety model check: every way a call can go through a whole set of flows, across
//! lines, and what must hold on each.
//!
//! A call is in a [`State`]: the step it is at, whether it started on a line open 24/7 (the
//! promise that travels with the call), and what this answer already knows of a schedule (the
//! branch its last `hours` step took, until the call next waits for the caller). From each
//! state the call moves by every input class a caller or Twilio can send: each key and each
//! phrase a menu takes, an invalid key, unrecognised speech and silence, on each try; every
//! connection outcome; every schedule branch. Menus decide with the engine's own
//! [`decide`](crate::engine), so the model cannot drift from what calls do.
//!
//! On every state reached:
//! - a call that started on a 24/7 line never reaches a hang-up before a person answered;
//! - a caller who stays silent (and whose connections fail) is never kept going round steps
//!   that never put them through to anyone;
//! - a placeholder is said only where it cannot fail: `{next_opening}` after an `hours` step
//!   decided its schedule is not closed by the emergency switch, `{holiday}` after it decided a
//!   bank holiday, `{closure_reason}` after it decided a closure day, `{special_hours_reason}`
//!   after it decided the line is closed by the day's special hours, in the same answer.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet, VecDeque};

use crate::engine::{CallInput, Choice, DialStatus, decide};
use crate::flow::{Flows, HoursBranch, Message, Piece, StepKind, StepRef};

/// Where a call can be, as far as what it may meet next depends on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct State {
    pub at: StepRef,
    /// The call started on a line open 24/7: it must never be hung up on before a person.
    pub from_24_7: bool,
    /// The schedule an `hours` step decided in this answer, and how; `None` once the call
    /// has waited for the caller (time passes, the emergency switch may be thrown).
    pub known: Option<(usize, HoursBranch)>,
}

/// How a call leaves a state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    To(State),
    /// A person answered: the call is done.
    Connected,
    /// The flow hangs up.
    HangsUp,
}

/// One way on from a state, and what made the call take it.
#[derive(Clone, Debug)]
pub struct Move {
    /// "presses 1", "says \"counselling\"", "silence, 3 tries", "busy, 2 tries", "open".
    pub event: String,
    /// Whether a caller who says and presses nothing (and whose connections fail) goes this way.
    pub silent: bool,
    pub next: Next,
}

/// Unrecognised speech: no phrase a flow can hold is this (phrases are letters and digits).
const UNRECOGNISED: &str = "qqqq qqqq";

/// Every way on from `state`.
pub fn moves(flows: &Flows, state: State) -> Vec<Move> {
    let to = |at: StepRef, known| {
        Next::To(State {
            at,
            from_24_7: state.from_24_7,
            known,
        })
    };
    let step = flows.step(state.at);
    let mut moves = Vec::new();
    let mut push = |event: String, silent: bool, next: Next| {
        moves.push(Move {
            event,
            silent,
            next,
        })
    };
    match &step.kind {
        StepKind::Say { next, .. } => push("then".into(), true, to(*next, state.known)),
        StepKind::Hours(exits) => {
            let schedule = step.schedule.expect("hours steps have a schedule");
            for branch in HoursBranch::ALL {
                let known = Some((schedule, branch));
                push(branch.said().into(), true, to(exits.to(branch), known));
            }
        }
        StepKind::Origin {
            from_24_7,
            otherwise,
        } => {
            let (event, target) = if state.from_24_7 {
                ("call started on a 24/7 line", from_24_7)
            } else {
                ("call started on another line", otherwise)
            };
            push(event.into(), true, to(*target, state.known));
        }
        StepKind::Menu(menu) => {
            for (event, input) in input_classes(menu) {
                let silent = input == CallInput::default();
                match decide(menu, &input) {
                    Choice::Go(next, _) => push(event, silent, to(next, None)),
                    Choice::Again(_) => {
                        if menu.attempts > 1 {
                            push(format!("{event}, asked again"), false, to(state.at, None));
                        }
                        let tries = crate::flow::plural(menu.attempts, "try", "tries");
                        push(
                            format!("{event}, {tries}"),
                            silent,
                            to(menu.after_attempts, None),
                        );
                    }
                }
            }
        }
        StepKind::Dial(dial) => {
            for status in DIAL_STATUSES {
                let event = status.as_str().to_owned();
                if status.connected() {
                    push(event, true, Next::Connected);
                    continue;
                }
                if dial.attempts > 1 {
                    push(format!("{event}, tried again"), false, to(state.at, None));
                }
                let tries = crate::flow::plural(dial.attempts, "try", "tries");
                push(
                    format!("{event}, {tries}"),
                    true,
                    to(dial.after_attempts, None),
                );
            }
        }
        StepKind::Hangup { .. } => push("hangs up".into(), true, Next::HangsUp),
        // The store keeps the request, or it cannot (down, slow, or no number after two
        // tries, which is where a silent caller goes): both branches are followed.
        StepKind::CallBack { next, not_taken } => {
            push("call back taken".into(), false, to(*next, None));
            push("call back not taken".into(), true, to(*not_taken, None));
        }
    }
    moves
}

const DIAL_STATUSES: [DialStatus; 7] = [
    DialStatus::Completed,
    DialStatus::Answered,
    DialStatus::NoAnswer,
    DialStatus::Busy,
    DialStatus::Failed,
    DialStatus::Canceled,
    DialStatus::Unknown,
];

/// What a caller can send a menu, one of each kind: each key it takes, each phrase, a key it
/// does not take, words it does not know, silence.
fn input_classes(menu: &crate::flow::Menu) -> Vec<(String, CallInput)> {
    let keys = |k: String| CallInput {
        digits: Some(k),
        ..CallInput::default()
    };
    let words = |w: &str| CallInput {
        speech: Some(w.to_owned()),
        ..CallInput::default()
    };
    // Silence first: the way a path shows is the first found, and silence is the likeliest.
    let mut classes = vec![("silence".to_owned(), CallInput::default())];
    for option in &menu.options {
        classes.push((format!("presses {}", option.key), keys(option.key.into())));
        for phrase in &option.speech {
            classes.push((format!("says {phrase:?}"), words(phrase)));
        }
    }
    let untaken = "0123456789*#"
        .chars()
        .find(|k| menu.options.iter().all(|o| o.key != *k));
    if let Some(key) = untaken {
        classes.push((format!("presses {key}"), keys(key.into())));
    }
    if menu.hints.is_some() {
        classes.push(("unrecognised speech".into(), words(UNRECOGNISED)));
    }
    classes
}

/// Every state a call can reach from the lines' starts (and from each line's `on_error`,
/// where anything that goes wrong sends a caller), with the way each was first reached.
pub struct Reached {
    /// Each state and the state and move it was first reached by (`None` for a start).
    pub came_from: HashMap<State, Option<(State, String)>>,
    /// In the order first reached.
    pub order: Vec<State>,
}

impl Reached {
    /// The way a caller takes to `state`: "wellbeing/main-menu (presses 3) → ...".
    pub fn path(&self, flows: &Flows, state: State) -> String {
        let mut steps = Vec::new();
        let mut event: Option<String> = None;
        let mut at = Some(state);
        while let Some(here) = at {
            let name = flows.step(here.at).qualified_id.clone();
            steps.push(match event.take() {
                Some(e) if e != "then" => format!("{name} ({e})"),
                _ => name,
            });
            match &self.came_from[&here] {
                Some((previous, how)) => {
                    event = Some(how.clone());
                    at = Some(*previous);
                }
                None => at = None,
            }
        }
        steps.reverse();
        steps.join(" → ")
    }
}

/// Breadth first from the lines' starts, so each way found is a shortest one a caller can
/// take; then from each line's `on_error`, where anything going wrong would send a caller,
/// for the states only that way reaches.
pub fn explore(flows: &Flows) -> Reached {
    let mut reached = Reached {
        came_from: HashMap::new(),
        order: Vec::new(),
    };
    let mut queue = VecDeque::new();
    let visit = |reached: &mut Reached,
                 queue: &mut VecDeque<State>,
                 state: State,
                 from: Option<(State, String)>| {
        if let Entry::Vacant(entry) = reached.came_from.entry(state) {
            entry.insert(from);
            reached.order.push(state);
            queue.push_back(state);
        }
    };
    for line in &flows.lines {
        let start = State {
            at: line.start,
            from_24_7: line.open_24_7,
            known: None,
        };
        visit(&mut reached, &mut queue, start, None);
    }
    let mut errors_from = 0;
    loop {
        while let Some(state) = queue.pop_front() {
            for m in moves(flows, state) {
                if let Next::To(next) = m.next {
                    visit(&mut reached, &mut queue, next, Some((state, m.event)));
                }
            }
        }
        let before = reached.order.len();
        let states: Vec<State> = reached.order[errors_from..].to_vec();
        errors_from = before;
        for state in states {
            let on_error = State {
                at: flows.line(state.at.line).on_error,
                from_24_7: state.from_24_7,
                known: None,
            };
            visit(
                &mut reached,
                &mut queue,
                on_error,
                Some((state, "something goes wrong".into())),
            );
        }
        if reached.order.len() == before {
            return reached;
        }
    }
}

/// A finding of the model check, about one step.
#[derive(Debug, PartialEq, Eq)]
pub struct Finding {
    pub at: StepRef,
    pub message: String,
}

/// Everything that can go wrong for a caller in `flows`, one finding per step and kind.
pub fn check(flows: &Flows) -> Vec<Finding> {
    let reached = explore(flows);
    let mut findings = Vec::new();
    let mut reported = HashSet::new();
    let mut report = |at: StepRef, kind: &'static str, message: String| {
        if reported.insert((at, kind)) {
            findings.push(Finding { at, message });
        }
    };
    for &state in &reached.order {
        for m in moves(flows, state) {
            if m.next == Next::HangsUp && state.from_24_7 {
                let way = reached.path(flows, state);
                let first = first_line(flows, &reached, state);
                report(
                    state.at,
                    "hang-up",
                    format!(
                        "a call that started on line {first:?}, open 24/7, is hung up on here before a person answered: {way}"
                    ),
                );
            }
        }
        for (piece, problem) in unsafe_placeholders(flows, state) {
            let way = reached.path(flows, state);
            report(
                state.at,
                piece,
                format!("{piece} can fail here: {problem}; a caller comes this way: {way}"),
            );
        }
    }
    for (at, message) in fallback_problems(flows) {
        report(at, "fallback", message);
    }
    for (state, way) in silent_loops(flows, &reached) {
        report(
            state.at,
            "silent loop",
            format!(
                "a caller who stays silent goes round for ever here without being put through to anyone: {way}; give `after_attempts` a way to a person"
            ),
        );
    }
    findings
}

/// What keeps a line's static fallback document (`switchboard fallback`, for when no server
/// answers) from putting a caller through to a person: it must dial, with nothing that needs
/// a server. Found at the line's `on_error` step. (That the person is on a line open around
/// the clock is the linter's warning: see `lint::fallbacks_reach_a_24_7_line`.)
fn fallback_problems(flows: &Flows) -> Vec<(StepRef, String)> {
    use crate::twiml::Verb;
    let mut problems = Vec::new();
    for (index, line) in flows.lines.iter().enumerate() {
        let target = line.on_error;
        let document = crate::engine::static_fallback(flows, index);
        let dials: Vec<_> = document
            .verbs
            .iter()
            .filter_map(|verb| match verb {
                Verb::Dial(dial) => Some(dial),
                _ => None,
            })
            .collect();
        let needs_a_server = document
            .verbs
            .iter()
            .any(|verb| matches!(verb, Verb::Redirect(_) | Verb::Gather(_)))
            || dials.iter().any(|dial| dial.action.is_some());
        let problem = if dials.is_empty() {
            "dials nobody"
        } else if needs_a_server {
            "needs a server to go on after it"
        } else {
            continue;
        };
        problems.push((
            target,
            format!(
                "line {:?}'s fallback document, for when no server answers, {problem}: make its `on_error` a dial step",
                line.id
            ),
        ));
    }
    problems
}

/// The line whose start (or `on_error`) the shortest way to `state` begins at.
fn first_line(flows: &Flows, reached: &Reached, mut state: State) -> String {
    while let Some(Some((previous, _))) = reached.came_from.get(&state) {
        state = *previous;
    }
    flows.line(state.at.line).id.to_string()
}

/// Each placeholder at `state` that can fail when said, with why.
fn unsafe_placeholders(flows: &Flows, state: State) -> Vec<(&'static str, String)> {
    let step = flows.step(state.at);
    // Messages said in the answer that arrives here, and those said in a later webhook back
    // to this step (a menu asked again, a dial tried again), when nothing is known.
    let (now, later): (Vec<&Message>, Vec<&Message>) = match &step.kind {
        StepKind::Say { message, .. } => (vec![message], vec![]),
        StepKind::Menu(menu) => (
            vec![&menu.prompt],
            [&menu.no_input, &menu.invalid]
                .into_iter()
                .flatten()
                .chain((menu.attempts > 1).then_some(&menu.prompt))
                .collect(),
        ),
        StepKind::Dial(dial) => (
            dial.message.iter().collect(),
            [&dial.retry, &dial.busy, &dial.no_answer, &dial.failed]
                .into_iter()
                .flatten()
                .collect(),
        ),
        StepKind::Hangup { message } => (message.iter().collect(), vec![]),
        StepKind::Hours(_) | StepKind::Origin { .. } | StepKind::CallBack { .. } => {
            (vec![], vec![])
        }
    };
    let schedule = step.schedule;
    let schedule_name = || schedule.map_or("?", |s| flows.schedules[s].name.as_str());
    let mut problems = Vec::new();
    let said = now
        .into_iter()
        .map(|m| (m, state.known))
        .chain(later.into_iter().map(|m| (m, None)));
    for (message, known) in said {
        let decided = known.filter(|(s, _)| Some(*s) == schedule).map(|(_, b)| b);
        for piece in &message.pieces {
            let problem = match piece {
                Piece::Text(_) => continue,
                Piece::NextOpening => match decided {
                    Some(HoursBranch::Emergency) => (
                        "{next_opening}",
                        format!(
                            "it is said while the emergency switch has closed schedule {:?}, and nobody knows when that ends",
                            schedule_name()
                        ),
                    ),
                    Some(_) => continue,
                    None => (
                        "{next_opening}",
                        format!(
                            "the emergency switch may have closed schedule {:?}, and no `hours` step on it decides otherwise first in the same answer",
                            schedule_name()
                        ),
                    ),
                },
                Piece::Holiday if decided == Some(HoursBranch::Holiday) => continue,
                Piece::Holiday => (
                    "{holiday}",
                    format!(
                        "only the bank holiday branch of an `hours` step on schedule {:?}, in the same answer, makes sure today is a bank holiday",
                        schedule_name()
                    ),
                ),
                Piece::ClosureReason if decided == Some(HoursBranch::Closure) => continue,
                Piece::ClosureReason => (
                    "{closure_reason}",
                    format!(
                        "only the closure branch of an `hours` step on schedule {:?}, in the same answer, makes sure today is a closure day",
                        schedule_name()
                    ),
                ),
                Piece::SpecialHoursReason if decided == Some(HoursBranch::SpecialHours) => continue,
                Piece::SpecialHoursReason => (
                    "{special_hours_reason}",
                    format!(
                        "only the special hours branch of an `hours` step on schedule {:?}, in the same answer, makes sure today has special hours",
                        schedule_name()
                    ),
                ),
            };
            problems.push(problem);
        }
    }
    problems
}

/// States where a silent caller whose connections all fail goes round a cycle of steps with
/// no dial in it: each such cycle once, with the way into it. Say, hours and origin steps
/// cannot loop among themselves (refused at load), so every such cycle passes a menu.
fn silent_loops(flows: &Flows, reached: &Reached) -> Vec<(State, String)> {
    let is_dial = |state: &State| matches!(flows.step(state.at).kind, StepKind::Dial(_));
    let is_menu = |state: &State| matches!(flows.step(state.at).kind, StepKind::Menu(_));
    let silent_next = |state: State| -> Vec<(State, String)> {
        moves(flows, state)
            .into_iter()
            .filter(|m| m.silent)
            .filter_map(|m| match m.next {
                Next::To(next) if !is_dial(&next) => Some((next, m.event)),
                _ => None,
            })
            .collect()
    };
    let mut found = Vec::new();
    let mut on_a_cycle: HashSet<State> = HashSet::new();
    for &start in reached.order.iter().filter(|s| is_menu(s)) {
        if on_a_cycle.contains(&start) {
            continue;
        }
        let mut seen: HashMap<State, (State, String)> = HashMap::new();
        let mut queue = VecDeque::from([start]);
        let mut closing = None;
        'walk: while let Some(state) = queue.pop_front() {
            for (next, event) in silent_next(state) {
                if next == start {
                    closing = Some((state, event));
                    break 'walk;
                }
                if let Entry::Vacant(entry) = seen.entry(next) {
                    entry.insert((state, event));
                    queue.push_back(next);
                }
            }
        }
        let Some((last, event)) = closing else {
            continue;
        };
        // The cycle from `start` round to `last`, each with the move that leaves it.
        let mut cycle = vec![(last, event)];
        while cycle.last().expect("not empty").0 != start {
            let (previous, event) = seen[&cycle.last().expect("not empty").0].clone();
            cycle.push((previous, event));
        }
        cycle.reverse();
        let round: Vec<String> = cycle
            .iter()
            .map(|(s, e)| format!("{} ({e})", flows.step(s.at).qualified_id))
            .collect();
        on_a_cycle.extend(cycle.iter().map(|(s, _)| *s));
        found.push((
            start,
            format!(
                "{}, then round {} → {}",
                reached.path(flows, start),
                round.join(" → "),
                flows.step(start.at).qualified_id
            ),
        ));
    }
    found
}
