//! The flow diagram as SVG, drawn on the server.

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
