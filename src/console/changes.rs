//! The Changes page: the audit log, newest first, a page at a time, all of it or the changes
//! that name one line.

use super::*;

mod view;

/// Changes on a page.
pub(super) const PAGE: usize = 50;

/// What the page was asked for: which page (1 is the newest), and a line's id, if only the
/// changes that name that line.
#[derive(serde::Deserialize)]
pub(super) struct ChangesQuery {
    page: Option<usize>,
    line: Option<String>,
}

pub(super) async fn audit_page(
    State(console): State<Arc<Console>>,
    session: Session,
    Query(query): Query<ChangesQuery>,
) -> Result<Response, Denied> {
    let page = query.page.unwrap_or(1).max(1);
    let flows = console.app.flows.load();
    let lines = crate::reports::lines_of(&flows);
    let line = query.line.unwrap_or_default();
    // The changes that name a line say its name ("closed the Doctor support line ...").
    let naming = lines
        .iter()
        .find(|(id, _)| *id == line)
        .map_or("", |(_, name)| name.as_str());
    let offset = ((page - 1) * PAGE) as i64;
    let mut entries = console
        .store
        .audit_page(offset, PAGE as i64 + 1, naming)
        .await?;
    let older = entries.len() > PAGE;
    entries.truncate(PAGE);
    let shown = view::Shown {
        entries: &entries,
        page,
        older,
        line: &line,
        lines: &lines,
    };
    Ok(html(view::audit(&session, &shown)))
}
