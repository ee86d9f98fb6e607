//! Counters, gauges and the answer-latency histogram, kept and written by `prometheus-client`.
//!
//! Label values come only from the flows (line and step ids) and from fixed lists, never from
//! a request as sent, so the number of series stays bounded whatever callers or attackers send.

use std::time::Duration;

use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Every counter, with its help text: the one place a metric is named.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(usize)]
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
    /// Log lines dropped because the log output was not taking them.
    LogLinesDropped,
    /// Reads of the store that failed or timed out, by problem (unavailable, slow).
    StoreProblems,
    /// Requests for a call back, by line and result (taken, already-asked, not-taken).
    CallBacks,
    /// Tries to deliver a notification to the team, by result (delivered, failed).
    Notifications,
    /// Records of calls for reports, by result (written; dropped: queue-full, store).
    CallRecords,
    /// Connections not served, by listener (webhooks, console) and reason (full, made-room,
    /// accept-failed).
    RefusedConnections,
}

impl Counter {
    const ALL: [Counter; 15] = [
        Counter::Webhooks,
        Counter::Calls,
        Counter::MenuChoices,
        Counter::DialResults,
        Counter::Fallbacks,
        Counter::SignatureFailures,
        Counter::Refused,
        Counter::CallStatus,
        Counter::FlowReloads,
        Counter::LogLinesDropped,
        Counter::StoreProblems,
        Counter::CallBacks,
        Counter::Notifications,
        Counter::CallRecords,
        Counter::RefusedConnections,
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
            Counter::LogLinesDropped => "switchboard_log_lines_dropped_total",
            Counter::StoreProblems => "switchboard_store_problems_total",
            Counter::CallBacks => "switchboard_call_back_requests_total",
            Counter::Notifications => "switchboard_notifications_total",
            Counter::CallRecords => "switchboard_call_records_total",
            Counter::RefusedConnections => "switchboard_refused_connections_total",
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
            Counter::LogLinesDropped => "Log lines dropped: the log output was not taking them.",
            Counter::StoreProblems => {
                "Reads of the store that failed or took too long: calls were answered from the last snapshot."
            }
            Counter::CallBacks => {
                "Requests for a call back, by line and result: not-taken means the store could not keep it in time."
            }
            Counter::Notifications => {
                "Tries to deliver a notification to the team, by result: failed ones are tried again, with backoff."
            }
            Counter::CallRecords => {
                "Records of how calls went, for reports, by result: written, or dropped (queue-full, store) so that no webhook waits."
            }
            Counter::RefusedConnections => {
                "Connections not served, by listener and reason: full (the console's cap), made-room (closed having sent no whole request, for a new one), accept-failed (out of file descriptors)."
            }
        }
    }
}

/// Label pairs as a caller of [`Metrics::add`] gives them: the names are fixed in the code,
/// the values ids from the flows or names from fixed lists.
pub type Labels<'a> = [(&'static str, &'a str)];

/// A label set as the registry keeps it.
type LabelSet = Vec<(&'static str, String)>;

fn owned(labels: &Labels<'_>) -> LabelSet {
    labels.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
}

/// Upper bounds of the latency buckets, in seconds: answers take microseconds, and Twilio
/// gives up at 15 s.
const BUCKETS: [f64; 12] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.05, 0.25, 1.0, 5.0,
];

/// Every metric, registered with `prometheus-client`, which writes the exposition.
pub struct Metrics {
    registry: Registry,
    counters: Vec<Family<LabelSet, prometheus_client::metrics::counter::Counter>>,
    answer_seconds: Histogram,
    flows_info: Family<LabelSet, Gauge>,
    emergency_closed: Family<LabelSet, Gauge>,
    emergency_unknown: Gauge,
    store_available: Gauge,
}

/// The names of the metrics that are not counters, as they are registered.
const ANSWER_SECONDS: &str = "switchboard_answer_seconds";
const FLOWS_INFO: &str = "switchboard_flows_info";
const EMERGENCY_CLOSED: &str = "switchboard_emergency_closed";
const EMERGENCY_UNKNOWN: &str = "switchboard_emergency_unknown_schedules";
const STORE_AVAILABLE: &str = "switchboard_store_available";

/// Every name a server's `/metrics` serves samples under (once a family has any): each
/// counter's `…_total`, the histogram's `_bucket`, `_sum` and `_count`, and each gauge. For
/// what names them elsewhere (alert rules, dashboards) to be checked against.
pub fn sample_names() -> Vec<String> {
    let counters = Counter::ALL.iter().map(|c| c.name().to_owned());
    let histogram = ["_bucket", "_sum", "_count"].map(|s| format!("{ANSWER_SECONDS}{s}"));
    let gauges = [
        FLOWS_INFO,
        EMERGENCY_CLOSED,
        EMERGENCY_UNKNOWN,
        STORE_AVAILABLE,
    ];
    counters
        .chain(histogram)
        .chain(gauges.map(str::to_owned))
        .collect()
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let counters = Counter::ALL
            .iter()
            .map(|counter| {
                let family = Family::default();
                // The registry adds `_total` to a counter's name.
                let name = counter.name().trim_end_matches("_total");
                registry.register(name, counter.help(), family.clone());
                family
            })
            .collect();
        let answer_seconds = Histogram::new(BUCKETS);
        registry.register(
            ANSWER_SECONDS,
            "Time to answer a webhook, from its body read to its TwiML written.",
            answer_seconds.clone(),
        );
        let flows_info = Family::default();
        registry.register(FLOWS_INFO, "The call flows in force.", flows_info.clone());
        let emergency_closed = Family::default();
        registry.register(
            EMERGENCY_CLOSED,
            "1 while the emergency switch closes the schedule.",
            emergency_closed.clone(),
        );
        let emergency_unknown = Gauge::default();
        registry.register(
            EMERGENCY_UNKNOWN,
            "Tables in the emergency switch that name no schedule, so close nothing.",
            emergency_unknown.clone(),
        );
        let store_available = Gauge::default();
        registry.register(
            STORE_AVAILABLE,
            "1 while the store answers reads and this server's writes; 0 while calls are answered from the last snapshot.",
            store_available.clone(),
        );
        Metrics {
            registry,
            counters,
            answer_seconds,
            flows_info,
            emergency_closed,
            emergency_unknown,
            store_available,
        }
    }
}

impl Metrics {
    fn family(
        &self,
        counter: Counter,
    ) -> &Family<LabelSet, prometheus_client::metrics::counter::Counter> {
        &self.counters[counter as usize]
    }

    pub fn add(&self, counter: Counter, labels: &Labels<'_>) {
        self.add_by(counter, labels, 1);
    }

    pub fn add_by(&self, counter: Counter, labels: &Labels<'_>, by: u64) {
        self.family(counter)
            .get_or_create(&owned(labels))
            .inc_by(by);
    }

    /// Makes a series appear at 0 before it is first counted, so dashboards see it.
    pub fn declare(&self, counter: Counter, labels: &Labels<'_>) {
        let _ = self.family(counter).get_or_create(&owned(labels));
    }

    /// The value of one series, for tests.
    pub fn get(&self, counter: Counter, labels: &Labels<'_>) -> u64 {
        self.family(counter)
            .get(&owned(labels))
            .map_or(0, |series| series.get())
    }

    /// A connection `listener` did not serve.
    pub fn refused_connection(&self, listener: &'static str, refusal: super::listen::Refusal) {
        self.add(
            Counter::RefusedConnections,
            &[("listener", listener), ("reason", refusal.as_str())],
        );
    }

    pub fn observe_answer(&self, took: Duration) {
        self.answer_seconds.observe(took.as_secs_f64());
    }

    /// The state the gauges show, set as it is now: the flows' version, which schedules the
    /// emergency switch closes, and how many of its tables name no schedule.
    pub fn show_state(
        &self,
        version: &str,
        closed: impl IntoIterator<Item = (String, bool)>,
        unknown: usize,
    ) {
        self.emergency_unknown.set(unknown as i64);
        self.flows_info.clear();
        self.flows_info
            .get_or_create(&vec![("version", version.to_owned())])
            .set(1);
        self.emergency_closed.clear();
        for (schedule, is_closed) in closed {
            self.emergency_closed
                .get_or_create(&vec![("schedule", schedule)])
                .set(i64::from(is_closed));
        }
    }

    pub fn show_store(&self, available: bool) {
        self.store_available.set(i64::from(available));
    }

    /// Everything, in the OpenMetrics text format (which Prometheus reads).
    pub fn render(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing into a String cannot fail");
        out
    }
}

/// The content type of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_gauges_and_the_histogram_render_in_the_text_format() {
        let metrics = Metrics::default();
        metrics.add(Counter::Calls, &[("line", "wellbeing")]);
        metrics.add(Counter::Calls, &[("line", "wellbeing")]);
        metrics.declare(Counter::FlowReloads, &[("result", "refused")]);
        metrics.add(Counter::Fallbacks, &[("reason", "a \"quoted\" one")]);
        metrics.observe_answer(Duration::from_micros(70));
        metrics.observe_answer(Duration::from_millis(3));
        metrics.show_state("abc123", [("doctor-support".to_owned(), true)], 1);
        let text = metrics.render();
        for expected in [
            "switchboard_calls_total{line=\"wellbeing\"} 2\n",
            "switchboard_flow_reloads_total{result=\"refused\"} 0\n",
            "switchboard_answer_seconds_bucket{le=\"0.0001\"} 1\n",
            "switchboard_answer_seconds_bucket{le=\"0.005\"} 2\n",
            "switchboard_answer_seconds_bucket{le=\"+Inf\"} 2\n",
            "switchboard_answer_seconds_count 2\n",
            "switchboard_flows_info{version=\"abc123\"} 1\n",
            "switchboard_emergency_closed{schedule=\"doctor-support\"} 1\n",
            "switchboard_emergency_unknown_schedules 1\n",
        ] {
            assert!(text.contains(expected), "{expected} in\n{text}");
        }
        assert!(text.ends_with("# EOF\n"), "{text}");
        assert_eq!(metrics.get(Counter::Calls, &[("line", "wellbeing")]), 2);
        // A new version replaces the old in the info gauge.
        metrics.show_state("def456", [], 0);
        let text = metrics.render();
        assert!(
            !text.contains("abc123") && text.contains("version=\"def456\""),
            "{text}"
        );
        assert!(!text.contains("switchboard_emergency_closed{"), "{text}");
    }
}
