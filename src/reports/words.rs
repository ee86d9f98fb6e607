//! The words coordinators read a report in, the same on the Reports page, in the text report,
//! on the dashboard and in the README: each figure's name and what it means, each menu choice
//! by the name of what it chooses, each result and reason in plain words.

use crate::flow::{Flows, StepKind, step_title};

/// A figure of a line's summary: its name, and one line on what it counts.
pub struct Figure {
    pub name: &'static str,
    pub means: &'static str,
}

pub const CALLS: Figure = Figure {
    name: "Calls",
    means: "Calls to the line's number that started on the days chosen, each counted once, however many servers answered it and wherever it was put through.",
};
pub const REACHED: Figure = Figure {
    name: "Reached a person",
    means: "A counsellor, a peer supporter or the team answered, on this line or on a line it put the caller through to.",
};
pub const CALL_BACK_TAKEN: Figure = Figure {
    name: "Asked for a call back",
    means: "The caller left a request for the team to call them back, and reached no person.",
};
pub const ENDED_BY_LINE: Figure = Figure {
    name: "Ended by the line",
    means: "The line said goodbye and ended the call, as after its closed message when no choice is made.",
};
pub const HUNG_UP: Figure = Figure {
    name: "Hung up before reaching a person",
    means: "The caller hung up before any of the above: before a person answered, before a call back was taken, and before the line ended the call.",
};
pub const WHILE_CLOSED: Figure = Figure {
    name: "Rang while closed",
    means: "Calls that arrived while the line was closed: outside its hours, on a bank holiday, on a closure day or under the emergency switch.",
};
pub const FROM_OTHER_LINES: Figure = Figure {
    name: "Put through from other lines",
    means: "Calls to another line's number that reached a person here: counted as that line's calls, not again as this line's.",
};
pub const TIME_TO_PERSON: Figure = Figure {
    name: "Time to a person",
    means: "From the start of the call to a person answering: the middle wait, and the wait 9 in 10 callers were answered within.",
};
pub const TIME_TO_CALL_BACK: Figure = Figure {
    name: "Time to the call back",
    means: "From a request for a call back to the team marking it called back.",
};

/// Every figure, in the order the page defines them.
pub const FIGURES: [&Figure; 9] = [
    &CALLS,
    &REACHED,
    &CALL_BACK_TAKEN,
    &ENDED_BY_LINE,
    &HUNG_UP,
    &WHILE_CLOSED,
    &FROM_OTHER_LINES,
    &TIME_TO_PERSON,
    &TIME_TO_CALL_BACK,
];

/// The four ways a call ends, each call one of them: they add up to the calls.
pub const OUTCOMES: [(&str, &Figure); 4] = [
    ("answered", &REACHED),
    ("call back", &CALL_BACK_TAKEN),
    ("ended by the line", &ENDED_BY_LINE),
    ("hung up", &HUNG_UP),
];

/// How a call ended (as the store names it), in words.
pub fn outcome_words(how: &str) -> &str {
    OUTCOMES
        .iter()
        .find(|(named, _)| *named == how)
        .map_or(how, |(_, figure)| figure.name)
}

/// `part` of `whole` as a rounded percentage, "" when there is no whole.
pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return String::new();
    }
    format!("{}%", (part * 100 + whole / 2) / whole)
}

/// A step (`line/step`) as people know it: its title ("Main menu"), and the line's name when
/// it is another line's than `on_line`'s ("Counselling, on the Wellbeing support line").
pub fn step_words(flows: &Flows, on_line: &str, step: &str) -> String {
    let Some((line, id)) = step.split_once('/') else {
        return if step.is_empty() {
            "—".to_owned()
        } else {
            step_title(step)
        };
    };
    let title = step_title(id);
    if line == on_line || on_line == "all" {
        return title;
    }
    match flows.line_index(line) {
        Some(i) => format!("{title}, on the {}", flows.line(i).name),
        None => title,
    }
}

/// A choice made at menu `step` (`line/step`) by the name of what it chooses:
/// "Counselling (1)", "No choice heard".
pub fn choice_words(flows: &Flows, step: &str, choice: &str) -> String {
    match choice {
        "no-input" => return "No choice heard".to_owned(),
        "invalid" => return "A key or words not offered".to_owned(),
        "any-key" => return "Any key".to_owned(),
        _ => {}
    }
    let chosen = step
        .split_once('/')
        .and_then(|(line, id)| flows.find_step(line, id))
        .and_then(|at| match &flows.step(at).kind {
            StepKind::Menu(menu) => menu
                .options
                .iter()
                .find(|o| choice.chars().eq([o.key]))
                .map(|o| step_title(&flows.step(o.next).id)),
            _ => None,
        });
    match chosen {
        Some(name) => format!("{name} ({choice})"),
        None => format!("Key {choice}"),
    }
}

/// A try to put a caller through, by Twilio's result, in words.
pub fn result_words(result: &str) -> &str {
    match result {
        "completed" | "answered" => "answered",
        "no-answer" => "not answered",
        "busy" => "busy",
        "failed" => "could not be made",
        "canceled" => "stopped: the caller hung up first",
        other => other,
    }
}

/// Why a line was closed when a call arrived, in words.
pub fn reason_words(reason: &str) -> &str {
    match reason {
        "closed" => "outside its hours",
        "holiday" => "a bank holiday",
        "closure" => "a closure day",
        "emergency" => "the emergency switch",
        other => other,
    }
}

/// Twilio's final status of a call, in words.
pub fn status_words(status: &str) -> &str {
    match status {
        "completed" => "completed",
        "no-answer" => "not answered",
        "busy" => "busy",
        "failed" => "failed",
        "canceled" => "cancelled",
        "unknown" => "not yet reported by Twilio",
        other => other,
    }
}
