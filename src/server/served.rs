//! A set of flows as the server serves it: the flows, and the answers that can be written once
//! for them. Swapped whole on a reload, so a request never mixes two sets.

use std::ops::Deref;

use axum::body::Bytes;
use chrono::DateTime;

use super::metrics::{Metrics, Series};
use super::{Decision, answer_counts};
use crate::calendar::{BankHolidays, Emergencies};
use crate::engine::{self, CallInput, Context, Position};
use crate::flow::Flows;

pub struct Served {
    flows: Flows,
    /// Per line, a new call's first answer when it is the same at every moment.
    first_answers: Vec<Option<FirstAnswer>>,
}

/// A first answer written once: its TwiML, what the logs say of it, and the series it counts
/// in, found once.
pub struct FirstAnswer {
    pub twiml: Bytes,
    pub(super) decision: Decision<'static>,
    counts: Vec<Series>,
}

impl FirstAnswer {
    pub fn count(&self) {
        self.counts.iter().for_each(|series| series.add(1));
    }
}

impl Served {
    /// `prefix` is the public URL's path prefix, written into the action URLs.
    pub fn new(flows: Flows, prefix: &str, metrics: &Metrics) -> Self {
        let first_answers = (0..flows.lines.len())
            .map(|line| write_first_answer(&flows, line, prefix, metrics))
            .collect();
        Served {
            flows,
            first_answers,
        }
    }

    pub fn first_answer(&self, line: usize) -> Option<&FirstAnswer> {
        self.first_answers[line].as_ref()
    }
}

fn write_first_answer(
    flows: &Flows,
    line: usize,
    prefix: &str,
    metrics: &Metrics,
) -> Option<FirstAnswer> {
    if !engine::first_answer_is_timeless(flows, line) {
        return None;
    }
    // Timeless: the calendar and the moment are never read, so any will do.
    let ctx = Context {
        flows,
        holidays: &BankHolidays::default(),
        emergencies: &Emergencies::default(),
        now: DateTime::UNIX_EPOCH,
    };
    let input = CallInput {
        to: flows.lines[line].numbers.first().map(|n| n.to_string()),
        ..CallInput::default()
    };
    let answer = engine::answer(&ctx, &Position::Start, &input);
    if answer.error.is_some() || answer.line != line {
        return None;
    }
    let decision = Decision {
        line,
        about: answer.path.first().copied(),
        waiting_at: answer.path.last().copied(),
        outcome: answer.outcome,
        error: None,
    };
    let mut counts = Vec::new();
    answer_counts(flows, &decision, &mut |counter, labels| {
        counts.push(metrics.series(counter, labels))
    });
    Some(FirstAnswer {
        twiml: Bytes::from(answer.response.to_xml(prefix)),
        decision,
        counts,
    })
}

impl Deref for Served {
    type Target = Flows;
    fn deref(&self) -> &Flows {
        &self.flows
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explore::sample_instants;

    fn shipped() -> Flows {
        crate::flow::load_dir(std::path::Path::new("call-flows")).unwrap()
    }

    #[test]
    fn a_first_answer_written_once_is_the_engines_at_every_moment() {
        let served = Served::new(shipped(), "/prefix", &Metrics::default());
        let wellbeing = served.line_index("wellbeing").unwrap();
        let first = served
            .first_answer(wellbeing)
            .expect("the welcome needs no clock");
        let mut closed = Emergencies::default();
        closed.close("doctor-support", Default::default());
        for emergencies in [Emergencies::default(), closed] {
            for now in sample_instants() {
                let ctx = Context {
                    flows: &served,
                    holidays: &BankHolidays::builtin(),
                    emergencies: &emergencies,
                    now,
                };
                let input = CallInput {
                    to: Some("+443301231245".into()),
                    ..CallInput::default()
                };
                let answer = engine::answer(&ctx, &Position::Start, &input);
                assert_eq!(first.twiml, answer.response.to_xml("/prefix").as_bytes());
                assert_eq!(first.decision.waiting_at.as_ref(), answer.path.last());
                assert_eq!(first.decision.about.as_ref(), answer.path.first());
                assert_eq!(first.decision.outcome, answer.outcome);
            }
        }
    }

    #[test]
    fn first_answers_count_where_the_engines_would_across_a_reload() {
        use super::super::metrics::Counter;
        let metrics = Metrics::default();
        let before = Served::new(shipped(), "", &metrics);
        let reloaded = Served::new(shipped(), "", &metrics);
        let wellbeing = before.line_index("wellbeing").unwrap();
        before.first_answer(wellbeing).unwrap().count();
        reloaded.first_answer(wellbeing).unwrap().count();
        assert_eq!(metrics.get(Counter::Calls, &[("line", "wellbeing")]), 2);
        let started = [
            ("line", "wellbeing"),
            ("step", "wellbeing/welcome"),
            ("outcome", "started"),
        ];
        assert_eq!(metrics.get(Counter::Webhooks, &started), 2);
    }

    #[test]
    fn a_first_answer_that_depends_on_the_hours_is_not_written_once() {
        let served = Served::new(shipped(), "", &Metrics::default());
        let doctor_support = served.line_index("doctor-support").unwrap();
        assert!(served.first_answer(doctor_support).is_none());
    }
}
