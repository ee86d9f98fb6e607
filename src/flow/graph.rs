//! A line's call flow as a diagram: its steps, menu choices, schedule branches, dial outcomes
//! and retries, written for Graphviz (`dot -Tsvg`) or Mermaid.

use std::fmt::Write as _;

use super::{Flows, Message, Piece, StepKind, StepRef};

/// Longest text shown from a message before it is cut short with "…".
const SHOWN_CHARS: usize = 90;
/// Text in a box is wrapped at about this many characters a line.
const WRAP_CHARS: usize = 36;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Dot,
    Mermaid,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0:?} is not a diagram format: use dot or mermaid")]
pub struct UnknownFormat(String);

impl std::str::FromStr for Format {
    type Err = UnknownFormat;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "dot" => Ok(Format::Dot),
            "mermaid" => Ok(Format::Mermaid),
            _ => Err(UnknownFormat(s.to_owned())),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    /// Where a call arrives.
    Arrival,
    Say,
    Menu,
    Hours,
    Dial,
    Hangup,
    /// A person answered: the call is theirs.
    Connected,
    /// A step of another line, drawn but not followed.
    Elsewhere,
}

struct Node {
    id: String,
    lines: Vec<String>,
    shape: Shape,
}

struct Edge {
    from: String,
    to: String,
    label: String,
    /// Retries and failures are drawn dashed.
    dashed: bool,
}

struct Diagram {
    title: String,
    nodes: Vec<Node>,
    edges: Vec<Edge>,
}

const ARRIVAL: &str = "call arrives";
const CONNECTED: &str = "talking to a person";
/// A dial's way out when a person picks up.
pub const ANSWERED: &str = "answered";

/// Who reads the diagram: engineers see step ids and placeholders as the files write them
/// (to find them there); ops see steps titled in words and menu choices by their first phrase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Readers {
    Engineers,
    Ops,
}

/// The line's diagram, or `None` if the flows have no such line.
pub fn render(flows: &Flows, line_id: &str, format: Format, readers: Readers) -> Option<String> {
    let diagram = diagram(flows, flows.line_index(line_id)?, readers);
    Some(match format {
        Format::Dot => to_dot(&diagram),
        Format::Mermaid => to_mermaid(&diagram),
    })
}

fn id(flows: &Flows, at: StepRef) -> String {
    flows.step(at).qualified_id.clone()
}

/// A step's name for its box.
fn title(flows: &Flows, at: StepRef, readers: Readers) -> String {
    match readers {
        Readers::Engineers => flows.step(at).id.to_string(),
        Readers::Ops => super::step_title(&flows.step(at).id),
    }
}

/// The ways out of a step, labelled for `readers`: ops see a menu choice as its key and
/// first phrase ("1 or “counselling”"), which keeps a menu's arrows short.
fn exits(kind: &StepKind, readers: Readers) -> Vec<super::Exit> {
    let mut exits = kind.exits();
    if let (StepKind::Menu(menu), Readers::Ops) = (kind, readers) {
        for (exit, option) in exits.iter_mut().zip(&menu.options) {
            exit.label = match option.speech.first() {
                Some(words) => format!("{} or “{words}”", option.key),
                None => option.key.to_string(),
            };
        }
    }
    exits
}

fn diagram(flows: &Flows, line: usize, readers: Readers) -> Diagram {
    let this = flows.line(line);
    let mut nodes = vec![Node {
        id: ARRIVAL.into(),
        lines: vec![format!("call to {}", this.name)],
        shape: Shape::Arrival,
    }];
    let mut edges = vec![Edge {
        from: ARRIVAL.into(),
        to: id(flows, this.start),
        label: String::new(),
        dashed: false,
    }];
    let mut elsewhere: Vec<StepRef> = Vec::new();
    let mut connects = false;
    for step in 0..this.steps.len() {
        let at = StepRef { line, step };
        let kind = &flows.step(at).kind;
        let shown = |message| shown(message, readers);
        let (shape, detail) = match kind {
            StepKind::Say { message, .. } => (Shape::Say, format!("says: {}", shown(message))),
            StepKind::Menu(menu) => (Shape::Menu, format!("asks: {}", shown(&menu.prompt))),
            StepKind::Hours(_) => {
                let schedule = flows.step(at).schedule;
                let question = match (schedule, readers) {
                    (Some(s), Readers::Ops) => {
                        format!("is the {} open?", flows.line(flows.schedule_line(s)).name)
                    }
                    (Some(s), Readers::Engineers) => {
                        format!("is schedule {} open?", flows.schedules[s].name)
                    }
                    (None, _) => "is schedule ? open?".to_owned(),
                };
                (Shape::Hours, question)
            }
            StepKind::Origin { .. } => (
                Shape::Hours,
                "did the call start on a line open 24/7?".to_owned(),
            ),
            StepKind::Dial(dial) => {
                // Ops read a number as people write it; engineers as the flow file has it.
                let number = match readers {
                    Readers::Ops => crate::phone::written(dial.number.as_str()),
                    Readers::Engineers => dial.number.to_string(),
                };
                let detail = format!("dials {number}, rings {} s", dial.ring_seconds);
                (Shape::Dial, detail)
            }
            StepKind::Hangup {
                message: Some(message),
            } => (
                Shape::Hangup,
                format!("says: {} and hangs up", shown(message)),
            ),
            StepKind::Hangup { message: None } => (Shape::Hangup, "hangs up".to_owned()),
            StepKind::CallBack { .. } => (
                Shape::Menu,
                "takes a number to call back, from the next opening".to_owned(),
            ),
        };
        let mut lines = vec![title(flows, at, readers)];
        lines.extend(wrap(&detail));
        nodes.push(Node {
            id: id(flows, at),
            lines,
            shape,
        });
        for exit in exits(kind, readers) {
            if exit.to.line != line && !elsewhere.contains(&exit.to) {
                elsewhere.push(exit.to);
            }
            let (from, to) = (id(flows, at), id(flows, exit.to));
            let dashed = exit.label.starts_with("no ");
            // Branches that go the same way are one arrow: "closed, bank holiday".
            match edges
                .iter_mut()
                .find(|e| e.from == from && e.to == to && e.dashed == dashed)
            {
                Some(same) => {
                    same.label.push_str(", ");
                    same.label.push_str(&exit.label);
                }
                None => edges.push(Edge {
                    from,
                    to,
                    label: exit.label,
                    dashed,
                }),
            }
        }
        if let StepKind::Dial(_) = kind {
            connects = true;
            edges.push(Edge {
                from: id(flows, at),
                to: CONNECTED.into(),
                label: ANSWERED.into(),
                dashed: false,
            });
        }
        if let Some(label) = kind.retry() {
            edges.push(Edge {
                from: id(flows, at),
                to: id(flows, at),
                label,
                dashed: true,
            });
        }
    }
    for at in elsewhere {
        nodes.push(Node {
            id: id(flows, at),
            lines: vec![
                match readers {
                    Readers::Engineers => id(flows, at),
                    Readers::Ops => title(flows, at, readers),
                },
                format!("on the {}", flows.line(at.line).name),
            ],
            shape: Shape::Elsewhere,
        });
    }
    if connects {
        nodes.push(Node {
            id: CONNECTED.into(),
            lines: vec![CONNECTED.into()],
            shape: Shape::Connected,
        });
    }
    Diagram {
        title: this.name.clone(),
        nodes,
        edges,
    }
}

/// Words into lines of about [`WRAP_CHARS`].
fn wrap(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= WRAP_CHARS => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_owned()),
        }
    }
    lines
}

/// The start of a message as text, placeholders as the files write them (for engineers) or
/// in words (for ops).
fn shown(message: &Message, readers: Readers) -> String {
    let text: String = match readers {
        Readers::Engineers => message
            .pieces
            .iter()
            .map(|piece| match piece {
                Piece::Text(text) => text.as_str(),
                Piece::NextOpening => "{next_opening}",
                Piece::Holiday => "{holiday}",
                Piece::ClosureReason => "{closure_reason}",
                Piece::SpecialHoursReason => "{special_hours_reason}",
            })
            .collect(),
        Readers::Ops => message.in_words(),
    };
    let text = text.trim();
    if text.chars().count() <= SHOWN_CHARS {
        return text.to_owned();
    }
    let cut: String = text.chars().take(SHOWN_CHARS).collect();
    format!("{}…", cut.trim_end())
}

fn dot_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

fn to_dot(diagram: &Diagram) -> String {
    let mut out = format!("digraph {} {{\n", dot_string(&diagram.title));
    out.push_str("  rankdir=TB;\n  node [fontname=\"Helvetica\", fontsize=11];\n");
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=10];\n");
    for node in &diagram.nodes {
        let attributes = match node.shape {
            Shape::Arrival => "shape=oval, style=filled, fillcolor=\"#dbe9f6\"",
            Shape::Say => "shape=box",
            Shape::Menu => "shape=box, style=rounded, penwidth=2",
            Shape::Hours => "shape=diamond",
            Shape::Dial => "shape=box, style=filled, fillcolor=\"#d9f2d9\"",
            Shape::Hangup => "shape=octagon",
            Shape::Connected => {
                "shape=box, style=\"rounded,filled\", peripheries=2, fillcolor=\"#d9f2d9\""
            }
            Shape::Elsewhere => "shape=box, style=dashed",
        };
        let label = node
            .lines
            .iter()
            .map(|l| l.replace('\\', "\\\\").replace('"', "\\\""))
            .collect::<Vec<_>>()
            .join("\\n");
        let _ = writeln!(
            out,
            "  {} [{attributes}, label=\"{label}\"];",
            dot_string(&node.id)
        );
    }
    for edge in &diagram.edges {
        let style = if edge.dashed { ", style=dashed" } else { "" };
        let _ = writeln!(
            out,
            "  {} -> {} [label={}{style}];",
            dot_string(&edge.from),
            dot_string(&edge.to),
            dot_string(&edge.label)
        );
    }
    out.push_str("}\n");
    out
}

/// Mermaid text inside `"..."`: quotes and markup characters as entities.
fn mermaid_text(text: &str) -> String {
    text.replace('&', "#amp;")
        .replace('"', "#quot;")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
}

fn to_mermaid(diagram: &Diagram) -> String {
    let key = |id: &str| {
        diagram
            .nodes
            .iter()
            .position(|n| n.id == id)
            .map_or_else(|| "unknown".to_owned(), |i| format!("n{i}"))
    };
    let mut out = format!(
        "---\ntitle: {}\n---\nflowchart TD\n",
        mermaid_text(&diagram.title)
    );
    for (i, node) in diagram.nodes.iter().enumerate() {
        let label = node
            .lines
            .iter()
            .map(|l| mermaid_text(l))
            .collect::<Vec<_>>()
            .join("<br/>");
        let (open, close) = match node.shape {
            Shape::Arrival => ("([", "])"),
            Shape::Say | Shape::Dial => ("[", "]"),
            Shape::Menu => ("(", ")"),
            Shape::Hours => ("{", "}"),
            Shape::Hangup => ("{{", "}}"),
            Shape::Connected => ("((", "))"),
            Shape::Elsewhere => ("[/", "/]"),
        };
        let _ = writeln!(out, "  n{i}{open}\"{label}\"{close}");
    }
    for edge in &diagram.edges {
        let arrow = if edge.dashed { "-.->" } else { "-->" };
        let label = if edge.label.is_empty() {
            String::new()
        } else {
            format!("|\"{}\"|", mermaid_text(&edge.label))
        };
        let _ = writeln!(
            out,
            "  {} {arrow}{label} {}",
            key(&edge.from),
            key(&edge.to)
        );
    }
    out
}
