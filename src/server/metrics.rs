//! Counters and the answer-latency histogram, written in Prometheus' text format.
//!
//! Label values come only from the flows (line and step ids) and from fixed lists, never from
//! a request as sent, so the number of series stays bounded whatever callers or attackers send.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Every counter, with its help text: the one place a metric is named.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Counter {
    /// Webhooks answered, by line, step and what the engine made of them.
    Webhooks,
    /// New calls, by line.
    Calls,
    /// Menu choices, by line, step and key (or no-input, invalid, any-key).
    MenuChoices,
    /// How connections ended, by line, step and Twilio's DialCallStatus.
    DialResults,
    /// Answers that sent the caller to the safe fallback, by reason.
    Fallbacks,
    /// Requests refused because X-Twilio-Signature did not match, by endpoint.
    SignatureFailures,
    /// Requests refused before they reached a handler, by reason.
    Refused,
    /// Twilio's call status callbacks, by line and final status.
    CallStatus,
    /// Attempts to load a changed set of flows, by result.
    FlowReloads,
}

impl Counter {
    const ALL: [Counter; 9] = [
        Counter::Webhooks,
        Counter::Calls,
        Counter::MenuChoices,
        Counter::DialResults,
        Counter::Fallbacks,
        Counter::SignatureFailures,
        Counter::Refused,
        Counter::CallStatus,
        Counter::FlowReloads,
    ];

    fn name(self) -> &'static str {
        match self {
            Counter::Webhooks => "switchboard_webhooks_total",
            Counter::Calls => "switchboard_calls_total",
            Counter::MenuChoices => "switchboard_menu_choices_total",
            Counter::DialResults => "switchboard_dial_results_total",
            Counter::Fallbacks => "switchboard_fallback_answers_total",
            Counter::SignatureFailures => "switchboard_signature_failures_total",
            Counter::Refused => "switchboard_refused_requests_total",
            Counter::CallStatus => "switchboard_call_status_total",
            Counter::FlowReloads => "switchboard_flow_reloads_total",
        }
    }

    fn help(self) -> &'static str {
        match self {
            Counter::Webhooks => "Webhooks answered, by line, step and outcome.",
            Counter::Calls => "New calls, by line.",
            Counter::MenuChoices => "Menu choices, by line, step and choice.",
            Counter::DialResults => "Connections ended, by line, step and DialCallStatus.",
            Counter::Fallbacks => "Answers that sent the caller to the safe fallback, by reason.",
            Counter::SignatureFailures => "Requests refused for a bad X-Twilio-Signature.",
            Counter::Refused => "Requests refused before answering, by reason.",
            Counter::CallStatus => "Call status callbacks, by line and status.",
            Counter::FlowReloads => "Attempts to load changed call flows, by result.",
        }
    }
}

/// Label pairs as a caller of [`Metrics::add`] gives them.
pub type Labels<'a> = [(&'static str, &'a str)];

/// One series' value: found once with [`Metrics::series`], then counted without a lookup.
#[derive(Clone, Debug, Default)]
pub struct Series(Arc<AtomicU64>);

impl Series {
    pub fn add(&self, by: u64) {
        self.0.fetch_add(by, Ordering::Relaxed);
    }

    fn value(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Upper bounds of the latency buckets, in seconds: answers take microseconds, and Twilio
/// gives up at 15 s.
const BUCKETS: [f64; 12] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.05, 0.25, 1.0, 5.0,
];

#[derive(Debug, Default)]
pub struct Metrics {
    /// Each counter's series, keyed by their label set as written out: `{line="wellbeing"}`.
    counters: Mutex<BTreeMap<Counter, BTreeMap<String, Series>>>,
    latency_buckets: [AtomicU64; BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_nanos: AtomicU64,
}

thread_local! {
    /// Where a label set is written to look its series up, so that counting allocates only
    /// the first time a series is seen.
    static LABELS: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

impl Metrics {
    pub fn add(&self, counter: Counter, labels: &Labels<'_>) {
        self.update(counter, labels, 1);
    }

    /// Makes a series appear at 0 before it is first counted, so dashboards see it.
    pub fn declare(&self, counter: Counter, labels: &Labels<'_>) {
        self.update(counter, labels, 0);
    }

    fn update(&self, counter: Counter, labels: &Labels<'_>, by: u64) {
        self.with_series(counter, labels, |series| series.add(by));
    }

    /// The series for these labels, made at 0 if it is new, to count many times over.
    pub fn series(&self, counter: Counter, labels: &Labels<'_>) -> Series {
        self.with_series(counter, labels, Series::clone)
    }

    fn with_series<T>(
        &self,
        counter: Counter,
        labels: &Labels<'_>,
        then: impl FnOnce(&Series) -> T,
    ) -> T {
        LABELS.with_borrow_mut(|key| {
            key.clear();
            write_label_set(key, labels);
            let mut counters = self.counters.lock().unwrap_or_else(|e| e.into_inner());
            let series = counters.entry(counter).or_default();
            match series.get(key.as_str()) {
                Some(found) => then(found),
                None => then(series.entry(key.clone()).or_default()),
            }
        })
    }

    /// The value of one series, for tests.
    pub fn get(&self, counter: Counter, labels: &Labels<'_>) -> u64 {
        let mut key = String::new();
        write_label_set(&mut key, labels);
        let counters = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        counters
            .get(&counter)
            .and_then(|series| series.get(&key))
            .map_or(0, Series::value)
    }

    pub fn observe_answer(&self, took: Duration) {
        // Each answer is counted in its own bucket only; `render` adds them up as Prometheus
        // wants (every bucket counts all answers at or below its bound).
        let seconds = took.as_secs_f64();
        if let Some(bucket) = BUCKETS.iter().position(|bound| seconds <= *bound) {
            self.latency_buckets[bucket].fetch_add(1, Ordering::Relaxed);
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.latency_sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// Everything counted, in Prometheus' text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let counters = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        for counter in Counter::ALL {
            let _ = writeln!(out, "# HELP {} {}", counter.name(), counter.help());
            let _ = writeln!(out, "# TYPE {} counter", counter.name());
            for (labels, series) in counters.get(&counter).into_iter().flatten() {
                let _ = writeln!(out, "{}{labels} {}", counter.name(), series.value());
            }
        }
        drop(counters);
        let name = "switchboard_answer_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} Time to answer a webhook, from its body read to its TwiML written."
        );
        let _ = writeln!(out, "# TYPE {name} histogram");
        let mut at_or_below = 0;
        for (bound, count) in BUCKETS.iter().zip(&self.latency_buckets) {
            at_or_below += count.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {at_or_below}");
        }
        let total = self.latency_count.load(Ordering::Relaxed);
        let sum = self.latency_sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {total}");
        let _ = writeln!(out, "{name}_sum {sum}");
        let _ = writeln!(out, "{name}_count {total}");
        out
    }
}

/// `{line="wellbeing",step="main-menu"}`, values escaped as Prometheus requires.
pub fn label_set(labels: &Labels<'_>) -> String {
    let mut out = String::new();
    write_label_set(&mut out, labels);
    out
}

fn write_label_set(out: &mut String, labels: &Labels<'_>) {
    if labels.is_empty() {
        return;
    }
    out.push('{');
    for (i, (name, value)) in labels.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(name);
        out.push_str("=\"");
        for c in value.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '"' => out.push_str("\\\""),
                '\n' => out.push_str("\\n"),
                c => out.push(c),
            }
        }
        out.push('"');
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_the_histogram_render_in_prometheus_text_format() {
        let metrics = Metrics::default();
        metrics.add(Counter::Calls, &[("line", "wellbeing")]);
        metrics.add(Counter::Calls, &[("line", "wellbeing")]);
        metrics.declare(Counter::FlowReloads, &[("result", "refused")]);
        metrics.add(Counter::Fallbacks, &[("reason", "a \"quoted\" one")]);
        metrics.observe_answer(Duration::from_micros(70));
        metrics.observe_answer(Duration::from_millis(3));
        let text = metrics.render();
        assert!(
            text.contains("switchboard_calls_total{line=\"wellbeing\"} 2\n"),
            "{text}"
        );
        assert!(text.contains("switchboard_flow_reloads_total{result=\"refused\"} 0\n"));
        assert!(
            text.contains(
                "switchboard_fallback_answers_total{reason=\"a \\\"quoted\\\" one\"} 1\n"
            )
        );
        assert!(text.contains("switchboard_answer_seconds_bucket{le=\"0.00005\"} 0\n"));
        assert!(text.contains("switchboard_answer_seconds_bucket{le=\"0.0001\"} 1\n"));
        assert!(text.contains("switchboard_answer_seconds_bucket{le=\"0.005\"} 2\n"));
        assert!(text.contains("switchboard_answer_seconds_bucket{le=\"+Inf\"} 2\n"));
        assert!(text.contains("switchboard_answer_seconds_count 2\n"));
        assert_eq!(metrics.get(Counter::Calls, &[("line", "wellbeing")]), 2);
        let calls = metrics.series(Counter::Calls, &[("line", "wellbeing")]);
        calls.add(3);
        assert_eq!(metrics.get(Counter::Calls, &[("line", "wellbeing")]), 5);
        let new = metrics.series(Counter::Calls, &[("line", "new")]);
        assert!(
            metrics
                .render()
                .contains("switchboard_calls_total{line=\"new\"} 0\n")
        );
        new.add(1);
        assert_eq!(metrics.get(Counter::Calls, &[("line", "new")]), 1);
        let text = metrics.render();
        // Each series appears once, under its own name only.
        assert_eq!(text.matches("switchboard_calls_total{").count(), 2);
        assert_eq!(
            text.matches("switchboard_calls_total{line=\"wellbeing\"}")
                .count(),
            1
        );
    }
}
