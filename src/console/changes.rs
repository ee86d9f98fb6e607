//! The Changes page: the audit log, newest first.

use super::*;

mod view;

/// How many of the latest changes the Changes page shows (older ones stay in the store).
pub(super) const CHANGES_SHOWN: usize = 500;

pub(super) async fn audit_page(
    State(console): State<Arc<Console>>,
    session: Session,
) -> Result<Response, Denied> {
    let mut entries = console.store.audit(CHANGES_SHOWN as i64 + 1).await?;
    let older_not_shown = entries.len() > CHANGES_SHOWN;
    entries.truncate(CHANGES_SHOWN);
    Ok(html(view::audit(&session, &entries, older_not_shown)))
}
