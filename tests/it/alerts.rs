//! The alert rules and the Grafana dashboard shipped in `deploy/` name only metrics a server
//! serves: a metric renamed in the code and not in them would leave an alert that never fires.
//! (`promtool check rules` and `promtool test rules` run in `.ci/run`.)

use axum::body::Body;
use axum::http::{Request, StatusCode};

use crate::support::*;

/// Every `switchboard_…` name in `text`.
fn metric_names(text: &str) -> std::collections::BTreeSet<String> {
    let mut names = std::collections::BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("switchboard_") {
        let name: String = rest[at..]
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
            .collect();
        rest = &rest[at + name.len()..];
        names.insert(name);
    }
    names
}

/// The names a server's /metrics serves samples under, from its `# TYPE` lines (a family of
/// labelled counters appears once it has a sample).
fn served(metrics: &str) -> std::collections::BTreeSet<String> {
    let mut names = std::collections::BTreeSet::new();
    for line in metrics.lines() {
        let Some(declared) = line.strip_prefix("# TYPE ") else {
            continue;
        };
        let mut words = declared.split_whitespace();
        let (Some(name), Some(kind)) = (words.next(), words.next()) else {
            continue;
        };
        let suffixes: &[&str] = match kind {
            "counter" => &["_total"],
            "histogram" => &["_bucket", "_sum", "_count"],
            _ => &[""],
        };
        for suffix in suffixes {
            names.insert(format!("{name}{suffix}"));
        }
    }
    names
}

#[tokio::test]
async fn every_metric_the_alerts_and_the_dashboard_name_is_one_a_server_serves() {
    let reply = send(
        &app("2026-12-02T11:00:00Z"),
        Request::get("/metrics").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    // Every family the registry declares, with or without a sample yet; those /metrics has
    // declared already are among them (the list is the registry's own).
    let families: std::collections::BTreeSet<String> = switchboard::server::metrics::sample_names()
        .into_iter()
        .collect();
    let declared = served(&reply.body);
    assert!(declared.is_subset(&families), "{declared:?} / {families:?}");
    assert!(
        declared.contains("switchboard_store_available"),
        "{declared:?}"
    );
    let served = families;
    for file in [
        "deploy/prometheus/alerts.yml",
        "deploy/grafana/switchboard.json",
    ] {
        let named = metric_names(&std::fs::read_to_string(file).unwrap());
        assert!(named.len() >= 5, "{file}: {named:?}");
        let unknown: Vec<&String> = named.difference(&served).collect();
        assert!(
            unknown.is_empty(),
            "{file} names metrics no server serves: {unknown:?}"
        );
    }
}
