//! Checks on a whole loaded set of flows, for what a caller would live through rather than
//! what the file format allows: steps nobody reaches, loops with no way out, hang-ups before a
//! person on a line open around the clock, long speeches before the first choice, menus that
//! do not explain themselves, words that cannot choose what they are listed for, schedules
//! never open, a calendar running out, unknown voices.

use std::collections::{HashSet, VecDeque};
use std::ops::Range;

use chrono::{Datelike, NaiveDate};

use super::model;
use crate::calendar::holidays::LAST_YEAR;
use crate::flow::file::FlowFile;
use crate::flow::timing::{self, MAX_SECONDS_BEFORE_CHOICE};
use crate::flow::{Diagnostic, Flows, Piece, Severity, Source, StepKind, StepRef, did_you_mean};

/// Amazon Polly's voices as Twilio offers them (`Polly.Amy`, `Polly.Amy-Neural`).
const POLLY_VOICES: &[&str] = &[
    "Aditi",
    "Adriano",
    "Amy",
    "Andres",
    "Aria",
    "Arlet",
    "Arthur",
    "Astrid",
    "Ayanda",
    "Bianca",
    "Brian",
    "Burcu",
    "Camila",
    "Carla",
    "Carmen",
    "Celine",
    "Chantal",
    "Conchita",
    "Cristiano",
    "Daniel",
    "Danielle",
    "Dora",
    "Elin",
    "Emma",
    "Enrique",
    "Ewa",
    "Filiz",
    "Gabrielle",
    "Geraint",
    "Giorgio",
    "Gregory",
    "Gwyneth",
    "Hala",
    "Hannah",
    "Hans",
    "Hiujin",
    "Ida",
    "Ines",
    "Isabelle",
    "Ivy",
    "Jacek",
    "Jan",
    "Jasmine",
    "Jihye",
    "Jitka",
    "Joanna",
    "Joey",
    "Justin",
    "Kajal",
    "Karl",
    "Kazuha",
    "Kendra",
    "Kevin",
    "Kimberly",
    "Laura",
    "Lea",
    "Liam",
    "Lisa",
    "Liv",
    "Lotte",
    "Lucia",
    "Lupe",
    "Mads",
    "Maja",
    "Marlene",
    "Mathieu",
    "Matthew",
    "Maxim",
    "Mia",
    "Miguel",
    "Mizuki",
    "Naja",
    "Niamh",
    "Nicole",
    "Ola",
    "Olivia",
    "Patrick",
    "Pedro",
    "Penelope",
    "Raveena",
    "Remi",
    "Ricardo",
    "Ruben",
    "Russell",
    "Ruth",
    "Sabrina",
    "Salli",
    "Seoyeon",
    "Sergio",
    "Sofie",
    "Stephen",
    "Suvi",
    "Takumi",
    "Tatyana",
    "Thiago",
    "Tomoko",
    "Vicki",
    "Vitoria",
    "Zayd",
    "Zeina",
    "Zhiyu",
];

/// The files a set was loaded from, in line order, to point at what a finding is about.
pub struct Files<'s, 'a> {
    pub sources: &'s [(Source<'a>, String, FlowFile)],
}

impl Files<'_, '_> {
    fn source(&self, line: usize) -> &Source<'_> {
        &self.sources[line].0
    }

    fn file(&self, line: usize) -> &FlowFile {
        &self.sources[line].2
    }

    /// Where the step's table is named, e.g. `[steps.main-menu]`.
    fn step_span(&self, at: StepRef) -> Range<usize> {
        self.file(at.line)
            .steps
            .keys()
            .nth(at.step)
            .map_or(0..0, |name| name.span())
    }

    fn at(&self, at: StepRef, severity: Severity, message: String) -> Diagnostic {
        self.source(at.line)
            .diagnostic(self.step_span(at), severity, message)
    }
}

/// Every finding about a set that loaded without errors.
pub fn lint(flows: &Flows, files: &Files<'_, '_>, today: NaiveDate) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let reached = reachable(flows);
    unreachable_steps(flows, files, &reached, &mut found);
    no_way_out(flows, files, &reached, &mut found);
    caller_safety(flows, files, &mut found);
    fallbacks_reach_a_24_7_line(flows, files, &mut found);
    speech_before_the_first_choice(flows, files, &mut found);
    menus_that_do_not_explain(flows, files, &mut found);
    phrases_that_do_not_choose(flows, files, &mut found);
    schedules(flows, files, today, &mut found);
    voices(flows, files, &mut found);
    found
}

/// Every step a caller can reach: from each line's start, and from its `on_error` (where any
/// failure sends a caller).
fn reachable(flows: &Flows) -> HashSet<StepRef> {
    let roots = flows.lines.iter().flat_map(|l| [l.start, l.on_error]);
    let mut seen: HashSet<StepRef> = roots.clone().collect();
    let mut queue: VecDeque<StepRef> = roots.collect();
    while let Some(at) = queue.pop_front() {
        for exit in flows.step(at).kind.exits() {
            if seen.insert(exit.to) {
                queue.push_back(exit.to);
            }
        }
    }
    seen
}

fn every_step(flows: &Flows) -> impl Iterator<Item = StepRef> + '_ {
    flows
        .lines
        .iter()
        .enumerate()
        .flat_map(|(line, l)| (0..l.steps.len()).map(move |step| StepRef { line, step }))
}

fn unreachable_steps(
    flows: &Flows,
    files: &Files<'_, '_>,
    reached: &HashSet<StepRef>,
    found: &mut Vec<Diagnostic>,
) {
    for at in every_step(flows).filter(|at| !reached.contains(at)) {
        let message = format!(
            "step {:?} is never reached: no step leads to it, and it is not the line's `start` or `on_error`",
            flows.step(at).id
        );
        found.push(files.at(at, Severity::Warning, message));
    }
}

/// A step from which no path leads to a person (a dial) or to the end of the call (a hang-up)
/// keeps the caller going round for ever.
fn no_way_out(
    flows: &Flows,
    files: &Files<'_, '_>,
    reached: &HashSet<StepRef>,
    found: &mut Vec<Diagnostic>,
) {
    let ends = |at: &StepRef| {
        matches!(
            flows.step(*at).kind,
            StepKind::Dial(_) | StepKind::Hangup { .. }
        )
    };
    // Walk the arrows backwards from every way out.
    let mut leads_out: HashSet<StepRef> = every_step(flows).filter(ends).collect();
    loop {
        let more: Vec<StepRef> = every_step(flows)
            .filter(|at| !leads_out.contains(at))
            .filter(|at| {
                flows
                    .step(*at)
                    .kind
                    .exits()
                    .iter()
                    .any(|e| leads_out.contains(&e.to))
            })
            .collect();
        if more.is_empty() {
            break;
        }
        leads_out.extend(more);
    }
    for at in every_step(flows).filter(|at| reached.contains(at) && !leads_out.contains(at)) {
        let message = format!(
            "a caller at step {:?} can never reach a person or the end of the call: every way on loops back; give one choice or `after_attempts` a dial or hang-up step",
            flows.step(at).id
        );
        found.push(files.at(at, Severity::Error, message));
    }
}

/// A line's fallback document (`switchboard fallback`) puts callers through to whoever its
/// `on_error` step dials: when no server answers, that should be someone who is always there,
/// where the flows have a line open around the clock.
fn fallbacks_reach_a_24_7_line(flows: &Flows, files: &Files<'_, '_>, found: &mut Vec<Diagnostic>) {
    if !flows.lines.iter().any(|l| l.open_24_7) {
        return;
    }
    for line in &flows.lines {
        let owner = flows.line(line.on_error.line);
        if !owner.open_24_7 {
            let message = format!(
                "line {:?}'s fallback document, for when no server answers, puts callers through to line {:?}, which is not open around the clock: point its `on_error` at a dial step of a line open 24/7",
                line.id, owner.id
            );
            found.push(files.at(line.on_error, Severity::Warning, message));
        }
    }
}

/// The model check's findings ([`super::model`]): hang-ups before a person on calls that
/// started on a 24/7 line, silent callers going round for ever, placeholders that can fail.
fn caller_safety(flows: &Flows, files: &Files<'_, '_>, found: &mut Vec<Diagnostic>) {
    for finding in model::check(flows) {
        found.push(files.at(finding.at, Severity::Error, finding.message));
    }
}

/// Speech heard from a line's start until its first menu has told every choice, on the
/// longest way there (hours branches differ).
fn speech_before_the_first_choice(
    flows: &Flows,
    files: &Files<'_, '_>,
    found: &mut Vec<Diagnostic>,
) {
    for (index, line) in flows.lines.iter().enumerate() {
        let Some(waits) = timing::waits(flows, index) else {
            continue;
        };
        if waits.choices_told > MAX_SECONDS_BEFORE_CHOICE {
            let message = format!(
                "callers on line {:?} hear about {:.0} s of speech before menu {:?} has told them every choice; keep it under {MAX_SECONDS_BEFORE_CHOICE:.0} s",
                line.id,
                waits.choices_told,
                flows.step(waits.menu).id
            );
            found.push(files.at(waits.menu, Severity::Warning, message));
        }
    }
}

/// A menu asked again should say why: "Sorry, we didn't hear a choice."
fn menus_that_do_not_explain(flows: &Flows, files: &Files<'_, '_>, found: &mut Vec<Diagnostic>) {
    for at in every_step(flows) {
        let StepKind::Menu(menu) = &flows.step(at).kind else {
            continue;
        };
        let section = files.file(at.line).steps.values().nth(at.step);
        let id = &flows.step(at).id;
        if section.is_some_and(|s| s.attempts.is_none()) {
            let message = format!(
                "menu {id:?} does not say how many times to ask (`attempts`); it asks {} times, then goes to `after_attempts`",
                menu.attempts
            );
            found.push(files.at(at, Severity::Warning, message));
        }
        if menu.attempts > 1 && menu.no_input.is_none() {
            let message = format!(
                "menu {id:?} asks again in silence when a caller says nothing: add `no_input_say`, e.g. \"Sorry, we didn't hear a choice.\""
            );
            found.push(files.at(at, Severity::Warning, message));
        }
        if menu.attempts > 1 && menu.any_key.is_none() && menu.invalid.is_none() {
            let message = format!(
                "menu {id:?} asks again in silence after a wrong key: add `invalid_say`, e.g. \"Sorry, that isn't one of the choices.\""
            );
            found.push(files.at(at, Severity::Warning, message));
        }
    }
}

/// A phrase listed for a choice must choose it when a caller says just that: one that also
/// names another choice (its key said as a number, or another choice's phrase within it,
/// as "back" is within "call back") is asked again every time, so the caller cannot choose
/// it by the words the menu taught them.
fn phrases_that_do_not_choose(flows: &Flows, files: &Files<'_, '_>, found: &mut Vec<Diagnostic>) {
    for at in every_step(flows) {
        let StepKind::Menu(menu) = &flows.step(at).kind else {
            continue;
        };
        let section = files.file(at.line).steps.values().nth(at.step);
        let given = section.and_then(|s| s.options.as_ref());
        for option in given.into_iter().flatten() {
            for phrase in &option.get_ref().speech {
                let words = crate::flow::normalise_speech(phrase.get_ref());
                let key = option.get_ref().key.get_ref();
                let others: Vec<String> = crate::engine::options_for_words(menu, &words)
                    .iter()
                    .filter(|o| o.key.to_string() != *key)
                    .map(|o| format!("key {}", o.key))
                    .collect();
                if others.is_empty() {
                    continue;
                }
                let message = format!(
                    "in menu {:?}, a caller who says {words:?} (for key {key}) is asked again: those words also choose {}. Give each choice words no other choice's words are in",
                    flows.step(at).id,
                    others.join(" and ")
                );
                found.push(files.source(at.line).error(phrase.span(), message));
            }
        }
    }
}

fn schedules(flows: &Flows, files: &Files<'_, '_>, today: NaiveDate, found: &mut Vec<Diagnostic>) {
    for (source, _, file) in files.sources {
        for (name, section) in &file.schedules {
            let Some(index) = flows
                .schedules
                .iter()
                .position(|s| s.name == *name.get_ref())
            else {
                continue;
            };
            let schedule = &flows.schedules[index];
            // Reasons written for days that no step says.
            let closures = section.closures.iter().map(|c| &c.get_ref().reason);
            let special = section.special_hours.iter();
            let special = special.filter_map(|d| d.get_ref().reason.as_ref());
            for (reasons, placeholder, said, branch) in [
                (
                    closures.collect::<Vec<_>>(),
                    Piece::ClosureReason,
                    "closure_reason",
                    "closure",
                ),
                (
                    special.collect(),
                    Piece::SpecialHoursReason,
                    "special_hours_reason",
                    "special_hours",
                ),
            ] {
                if flows.says(index, &placeholder) {
                    continue;
                }
                for reason in reasons {
                    let message = format!(
                        "callers never hear this reason: no step on schedule {:?} says {{{said}}} (give its `hours` step a `{branch}` branch that does)",
                        name.get_ref(),
                    );
                    found.push(source.diagnostic(reason.span(), Severity::Warning, message));
                }
            }
            let never_open = schedule.weekly.iter().all(Vec::is_empty)
                && schedule
                    .special_hours
                    .values()
                    .all(|d| d.openings.is_empty());
            if never_open {
                let message = format!(
                    "schedule {:?} is never open: give at least one day hours like \"09:00-17:00\"",
                    name.get_ref()
                );
                found.push(source.error(name.span(), message));
            }
            if LAST_YEAR < today.year() + 1 {
                let message = format!(
                    "the {} bank holidays Switchboard knows end in {LAST_YEAR}, within a year: update Switchboard",
                    schedule.holidays
                );
                found.push(source.error(section.holidays.span(), message));
            }
        }
    }
}

fn voices(flows: &Flows, files: &Files<'_, '_>, found: &mut Vec<Diagnostic>) {
    for (index, line) in flows.lines.iter().enumerate() {
        let voice = line.voice.as_str();
        let Some(name) = voice.strip_prefix("Polly.") else {
            continue;
        };
        let base = name
            .strip_suffix("-Neural")
            .or_else(|| name.strip_suffix("-Generative"))
            .unwrap_or(name);
        if !POLLY_VOICES.contains(&base) {
            let message = format!(
                "Twilio does not know the voice {voice:?}{}",
                did_you_mean(base, POLLY_VOICES.iter().copied())
                    .replace("did you mean \"", "did you mean \"Polly.")
            );
            let span = files.file(index).line.voice.span();
            found.push(
                files
                    .source(index)
                    .diagnostic(span, Severity::Warning, message),
            );
        }
    }
}
