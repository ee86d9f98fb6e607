//! `switchboard graph`: each line as a diagram for Graphviz and Mermaid.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::support::*;
use switchboard::flow::graph::{Format, Readers, render};

fn diagram(line: &str, format: Format) -> String {
    render(&shipped_flows(), line, format, Readers::Engineers).expect("the line exists")
}

#[test]
fn for_ops_steps_are_titled_in_words_and_a_choice_by_its_first_phrase() {
    let dot = render(&shipped_flows(), "wellbeing", Format::Dot, Readers::Ops).unwrap();
    for expected in [
        "label=\"Main menu\\nasks: For counselling, press 1 or",
        "\"wellbeing/main-menu\" -> \"wellbeing/counselling\" [label=\"1 or “counselling”\"];",
        "label=\"Doctor support now\\nis the Doctor support line open?\"",
        "label=\"Call back\\non the Doctor support line\"",
        "opens again on (when it next opens).",
    ] {
        assert!(dot.contains(expected), "{expected}\n{dot}");
    }
    for engineers_words in ["label=\"main-menu", "{next_opening}", "is schedule"] {
        assert!(!dot.contains(engineers_words), "{engineers_words}\n{dot}");
    }
}

#[test]
fn dot_shows_steps_choices_schedule_branches_dial_outcomes_and_retries() {
    let dot = diagram("wellbeing", Format::Dot);
    assert!(
        dot.starts_with("digraph \"Wellbeing support line\" {\n"),
        "{dot}"
    );
    for expected in [
        // The arrival and the first step.
        "\"call arrives\" -> \"wellbeing/welcome\" [label=\"\"];",
        // Menu choices, by key and by word.
        "\"wellbeing/main-menu\" -> \"wellbeing/counselling\" [label=\"1 or \\\"counselling\\\" or \\\"counseling\\\" or \\\"counsellor\\\" or \\\"counselor\\\"\"];",
        "\"wellbeing/main-menu\" -> \"wellbeing/no-choice\" [label=\"no choice after 3 tries\", style=dashed];",
        "\"wellbeing/main-menu\" -> \"wellbeing/main-menu\" [label=\"silence or a wrong key: asks again (3 tries in all)\", style=dashed];",
        // Schedule branches, the ones going the same way drawn as one arrow.
        "\"wellbeing/doctor-support-now\" -> \"wellbeing/doctor-support-offer\" [label=\"open\"];",
        "\"wellbeing/doctor-support-now\" -> \"wellbeing/doctor-support-closed\" [label=\"closed, bank holiday, closure day, outside special hours\"];",
        "\"wellbeing/doctor-support-now\" -> \"wellbeing/doctor-support-emergency\" [label=\"emergency\"];",
        // Dial outcomes and retries.
        "\"wellbeing/counselling\" -> \"talking to a person\" [label=\"answered\"];",
        "\"wellbeing/counselling\" -> \"wellbeing/counselling-unavailable\" [label=\"no answer after 3 tries\", style=dashed];",
        "\"wellbeing/counselling\" -> \"wellbeing/counselling\" [label=\"no connection: tries again (3 tries in all)\", style=dashed];",
        // A step of another line is drawn, not followed.
        "\"doctor-support/team\" [shape=box, style=dashed, label=\"doctor-support/team\\non the Doctor support line\"];",
    ] {
        assert!(dot.contains(expected), "missing {expected}\n{dot}");
    }
    // Every step of the line is a node.
    for step in [
        "welcome",
        "main-menu",
        "privacy-notice",
        "doctor-support-emergency",
    ] {
        assert!(dot.contains(&format!("  \"wellbeing/{step}\" [")), "{step}");
    }
}

#[test]
fn mermaid_draws_the_same_flow() {
    let mermaid = diagram("doctor-support", Format::Mermaid);
    assert!(
        mermaid.starts_with("---\ntitle: Doctor support line\n---\nflowchart TD\n"),
        "{mermaid}"
    );
    let node = |text: &str| {
        mermaid
            .lines()
            .find(|l| l.contains(text))
            .and_then(|l| l.trim().split(['(', '[', '{']).next())
            .unwrap_or_else(|| panic!("no node {text}\n{mermaid}"))
            .to_owned()
    };
    let hours = node("\"office-hours<br/>");
    let holiday = node("\"closed-holiday<br/>");
    let offer = node("\"offer-counselling<br/>");
    let goodbye = node("{{\"goodbye<br/>");
    let origin = node("\"no-choice<br/>");
    for expected in [
        format!("  {hours} -->|\"bank holiday\"| {holiday}"),
        format!("  {offer} -.->|\"no choice after 2 tries\"| {origin}"),
        // Callers put through from the 24/7 line are never hung up on.
        format!("  {origin} -->|\"otherwise\"| {goodbye}"),
        format!("  {offer} -.->|\"silence or a wrong key: asks again (2 tries in all)\"| {offer}"),
    ] {
        assert!(mermaid.contains(&expected), "missing {expected}\n{mermaid}");
    }
    // Quotes inside labels are entities, so no label ends early.
    assert!(
        mermaid.contains("1 or #quot;counselling#quot;"),
        "{mermaid}"
    );
    assert!(!mermaid.contains("|\"1 or \"counselling"));
}

#[test]
fn the_cli_draws_a_line_and_names_the_lines_when_it_does_not_know_one() {
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_switchboard"))
            .args(args)
            .args(["--flows", shipped_flows_dir().to_str().unwrap()])
            .output()
            .unwrap()
    };
    let out = run(&["graph", "--line", "doctor-support", "--format", "mermaid"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        diagram("doctor-support", Format::Mermaid)
    );
    let out = run(&["graph", "--line", "doctor"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("the lines are doctor-support, wellbeing"),
        "{stderr}"
    );
}

/// Graphviz renders every line. It needs `dot`, so it runs with the tests that need tools
/// (`cargo test -- --ignored`, as .ci/run does after installing them), and fails without it.
#[test]
#[ignore = "needs Graphviz's dot: run with --ignored where it is installed (.ci/run does)"]
fn graphviz_renders_every_line_to_svg() {
    assert!(
        Command::new("dot").arg("-V").output().is_ok(),
        "dot (Graphviz) is not installed"
    );
    for line in ["wellbeing", "doctor-support"] {
        let mut dot = Command::new("dot")
            .arg("-Tsvg")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        dot.stdin
            .take()
            .unwrap()
            .write_all(diagram(line, Format::Dot).as_bytes())
            .unwrap();
        let out = dot.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{line}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let svg = String::from_utf8(out.stdout).unwrap();
        assert!(svg.contains("<svg"), "{line}");
        assert!(svg.contains("talking to a person"), "{line}");
    }
}

/// The diagrams under docs/ are drawn from the flows as shipped (scripts/render-diagrams.sh).
#[test]
fn the_diagrams_in_docs_match_the_shipped_flows() {
    let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    for line in ["wellbeing", "doctor-support"] {
        for (extension, format) in [("dot", Format::Dot), ("mmd", Format::Mermaid)] {
            let committed = std::fs::read_to_string(docs.join(format!("{line}.{extension}")))
                .unwrap_or_default();
            assert!(
                committed == diagram(line, format),
                "docs/{line}.{extension} is out of date: run scripts/render-diagrams.sh"
            );
        }
    }
}
