//! The flow diagram as SVG, drawn on the server, once for each version of a line's flows.

use std::collections::HashMap;
use std::sync::Mutex;

/// Diagrams drawn, by the DOT they were drawn from (which a version of the flows and the line
/// decide): each is drawn once, however often its page is viewed (Graphviz takes tens of
/// milliseconds a drawing).
#[derive(Default)]
pub(super) struct Drawn(Mutex<HashMap<String, Result<String, String>>>);

/// Drawings kept at most: a few versions of a few lines. Past it, the oldest are let go all
/// at once (a roll-back's or a publication's new drawings are made again when next viewed).
const KEPT: usize = 32;

impl Drawn {
    /// The drawing of `dot`, made by `draw` (off the async workers) if it was not kept.
    pub(super) async fn of(
        &self,
        dot: String,
        draw: fn(&str) -> Result<String, String>,
    ) -> Result<String, String> {
        if let Some(kept) = self.kept().get(&dot) {
            return kept.clone();
        }
        let key = dot.clone();
        let drawn = tokio::task::spawn_blocking(move || draw(&dot))
            .await
            .unwrap_or_else(|_| Err(String::new()));
        let mut kept = self.kept();
        if kept.len() >= KEPT {
            kept.clear();
        }
        kept.insert(key, drawn.clone());
        drawn
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, HashMap<String, Result<String, String>>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The DOT diagram as SVG: by Graphviz's `dot` where it is installed (it lays graphs out best),
/// else by the pure-Rust `layout-rs`, so a server with no Graphviz (a container) still draws
/// it; the DOT itself only if neither can.
pub(super) fn render_svg(dot: &str) -> Result<String, String> {
    graphviz_svg(dot)
        .or_else(|| layout_svg(dot))
        .ok_or_else(|| dot.to_owned())
}

pub(super) fn graphviz_svg(dot: &str) -> Option<String> {
    use std::io::Write as _;
    let mut child = std::process::Command::new("dot")
        .arg("-Tsvg")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(dot.as_bytes());
    }
    let out = child
        .wait_with_output()
        .ok()
        .filter(|o| o.status.success())?;
    let svg = String::from_utf8_lossy(&out.stdout);
    // The SVG element alone, without the XML prologue and doctype.
    svg.find("<svg").map(|at| svg[at..].to_owned())
}

pub(super) fn layout_svg(dot: &str) -> Option<String> {
    let graph = layout::gv::DotParser::new(dot).process().ok()?;
    let mut builder = layout::gv::GraphBuilder::new();
    builder.visit_graph(&graph);
    let mut writer = layout::backends::svg::SVGWriter::new();
    builder.get().do_it(false, false, false, &mut writer);
    let svg = writer.finalize();
    svg.find("<svg").map(|at| svg[at..].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    static DRAWINGS: AtomicUsize = AtomicUsize::new(0);

    fn counted(dot: &str) -> Result<String, String> {
        DRAWINGS.fetch_add(1, Ordering::SeqCst);
        Ok(format!("<svg>{dot}</svg>"))
    }

    #[tokio::test]
    async fn a_diagram_is_drawn_once_for_each_version_however_often_it_is_viewed() {
        let drawn = Drawn::default();
        for _ in 0..5 {
            let svg = drawn.of("digraph one {}".to_owned(), counted).await;
            assert_eq!(svg.as_deref(), Ok("<svg>digraph one {}</svg>"));
        }
        assert_eq!(DRAWINGS.load(Ordering::SeqCst), 1);
        // Other flows (another version) are drawn anew.
        let _ = drawn.of("digraph two {}".to_owned(), counted).await;
        assert_eq!(DRAWINGS.load(Ordering::SeqCst), 2);
    }
}
