//! Today's calls, from the server's own counters, which count from when it started: the counts
//! at the start of the UK day are kept, and today's are the counts now less those.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, NaiveDate, Utc};

use crate::calendar::speech;
use crate::flow::Flows;
use crate::server::metrics::{Counter, Metrics};

/// How a call can end, as Twilio's status callbacks say it.
pub const OUTCOMES: [&str; 5] = ["completed", "busy", "no-answer", "failed", "canceled"];

fn uk_day(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&chrono_tz::Europe::London).date_naive()
}

/// A counted thing: a line's calls, or its calls that ended one way.
fn key(line: &str, what: &str) -> String {
    format!("{line}/{what}")
}

fn counts_now(metrics: &Metrics, flows: &Flows) -> HashMap<String, u64> {
    let mut counts = HashMap::new();
    for line in &flows.lines {
        let line = line.id.as_str();
        counts.insert(
            key(line, "calls"),
            metrics.get(Counter::Calls, &[("line", line)]),
        );
        for outcome in OUTCOMES {
            let labels = [("line", line), ("status", outcome)];
            counts.insert(
                key(line, outcome),
                metrics.get(Counter::CallStatus, &labels),
            );
        }
    }
    counts
}

struct DayStart {
    day: NaiveDate,
    /// The counts when the day began (none: zero, for the day the server started).
    counts: HashMap<String, u64>,
    /// When the server started, if it started today.
    started: Option<String>,
}

pub struct Today(Mutex<DayStart>);

/// Today's counts, as [`Today::counts`] took them.
pub struct Counts(HashMap<String, u64>);

impl Counts {
    /// Today's count of `what` (`calls`, or an outcome) on `line`.
    pub fn get(&self, line: &str, what: &str) -> u64 {
        self.0.get(&key(line, what)).copied().unwrap_or(0)
    }
}

impl Today {
    /// Counting from the server's start, at `now`.
    pub fn new(now: DateTime<Utc>) -> Today {
        let said = speech::time(now.with_timezone(&chrono_tz::Europe::London).time());
        Today(Mutex::new(DayStart {
            day: uk_day(now),
            counts: HashMap::new(),
            started: Some(said),
        }))
    }

    /// Takes the counts as the new day's start once the UK date has changed; called every few
    /// seconds, so a day starts within them of midnight.
    pub fn roll_over(&self, metrics: &Metrics, flows: &Flows, now: DateTime<Utc>) {
        let mut start = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if uk_day(now) != start.day {
            *start = DayStart {
                day: uk_day(now),
                counts: counts_now(metrics, flows),
                started: None,
            };
        }
    }

    /// Today's counts, each the count now less the count when the day began.
    pub fn counts(&self, metrics: &Metrics, flows: &Flows) -> Counts {
        let mut counts = counts_now(metrics, flows);
        let start = self.0.lock().unwrap_or_else(|p| p.into_inner());
        for (key, count) in &mut counts {
            *count = count.saturating_sub(start.counts.get(key).copied().unwrap_or(0));
        }
        Counts(counts)
    }

    /// "today", or "today, since the server started at 2:04pm".
    pub fn said(&self) -> String {
        let start = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match &start.started {
            Some(at) => format!("today (since the server started at {at})"),
            None => "today".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_count_starts_again_at_uk_midnight() {
        let flows = crate::flow::load_dir(std::path::Path::new("call-flows")).unwrap();
        let metrics = Metrics::default();
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let today = Today::new(at("2026-06-01T20:00:00Z"));
        let call = || metrics.add(Counter::Calls, &[("line", "wellbeing")]);
        call();
        call();
        assert_eq!(today.counts(&metrics, &flows).get("wellbeing", "calls"), 2);
        assert!(
            today
                .said()
                .starts_with("today (since the server started at 9pm")
        );
        // 23:30 UTC is already the next day in BST.
        today.roll_over(&metrics, &flows, at("2026-06-01T23:30:00Z"));
        assert_eq!(today.counts(&metrics, &flows).get("wellbeing", "calls"), 0);
        call();
        assert_eq!(today.counts(&metrics, &flows).get("wellbeing", "calls"), 1);
        assert_eq!(today.said(), "today");
        // Within the same day, nothing moves.
        today.roll_over(&metrics, &flows, at("2026-06-02T10:00:00Z"));
        assert_eq!(today.counts(&metrics, &flows).get("wellbeing", "calls"), 1);
    }
}
