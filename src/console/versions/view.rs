//! What the versions page looks like.

use maud::{Markup, html};

use crate::console::auth::Session;
use crate::console::layout::{Notice, csrf, field_problem, notice, page, uk_words};
use crate::store::Role;

/// What a new call to a line hears first, now and after a change (`None`: the line is gone).
pub struct HeardBeforeAfter {
    pub line: String,
    pub now: String,
    pub after: Option<String>,
}

/// Before a roll-back: what callers hear now and after, line by line, the reason, and the
/// one button that does it.
/// A roll-back, asked first.
pub struct RollBackAsked<'a> {
    pub version: &'a str,
    /// As people know it: "version 3".
    pub name: &'a str,
    /// The version in force now, to compare the files with.
    pub in_force: &'a str,
    /// What it changes for callers and the team, in words.
    pub changes: &'a [String],
    pub heard: &'a [HeardBeforeAfter],
}

pub fn confirm_roll_back(
    session: &Session,
    asked: &RollBackAsked<'_>,
    why: &str,
    problem: Option<&str>,
) -> Markup {
    let RollBackAsked {
        version,
        name,
        in_force,
        changes,
        heard,
    } = asked;
    page(
        &format!("Put {name} back in force?"),
        Some(session),
        html! {
            p { "Every server would serve it within a second, until another version is put in force." }
            h2 { "What changes for callers and the team" }
            @if changes.is_empty() {
                p { "Nothing ops can name: the files differ only in ways that change nothing callers or the team meet." }
            } @else {
                ul { @for change in *changes { li { (change) } } }
            }
            p { a href=(format!("/history?from={in_force}&to={version}")) { "The files' difference, for engineers" } }
            h2 { "What a new call hears first, now and after" }
            @for h in *heard {
                section.line {
                    h2 { (h.line) }
                    @match &h.after {
                        Some(after) if *after == h.now => {
                            p { "The same as now (what changes is further into the call: see above):" }
                            blockquote { (h.now) }
                        }
                        Some(after) => {
                            p { "Now:" } blockquote { (h.now) }
                            p { "After:" } blockquote { (after) }
                        }
                        None => p.problem { "This line is not in that version: its number would reach the line that answers numbers no line claims." },
                    }
                }
            }
            form method="post" action="/history/rollback" {
                (csrf(session))
                input type="hidden" name="version" value=(version);
                input type="hidden" name="confirmed" value="yes";
                label for="note" { "Why (for the team and the log)" }
                (field_problem("note", problem))
                input type="text" id="note" name="note" required value=(why)
                    aria-describedby=[problem.map(|_| "note-problem")];
                button.danger type="submit" { "Yes, put " (name) " in force" }
                " " a href="/history" { "Cancel: change nothing" }
            }
        },
    )
}

/// The flow versions that went into force.
pub struct VersionRow {
    pub version: String,
    /// The number people know it by.
    pub number: i64,
    /// When it last went into force (RFC 3339), and by whom.
    pub at: String,
    pub by: String,
    /// The earlier times it went into force, newest first.
    pub earlier: Vec<String>,
    /// The version before it, to compare with.
    pub before: Option<String>,
    pub in_force: bool,
    /// Another version than the one in force (a version put in force again appears twice).
    pub can_roll_back: bool,
    /// What changed from the version before, in words.
    pub changes: Vec<String>,
}

/// Two versions compared: what a new call hears first in each, line by line, and the files'
/// difference.
pub struct Compared {
    pub from: String,
    pub to: String,
    /// The two as people know them ("version 3").
    pub from_name: String,
    pub to_name: String,
    pub heard: Vec<HeardBeforeAfter>,
    pub diff: String,
}

/// Putting held-back flow files in force, asked first: what they would change.
pub fn confirm_files(
    session: &Session,
    changes: &[String],
    why: &str,
    problem: Option<&str>,
) -> Markup {
    page(
        "Put the flow files in force?",
        Some(session),
        html! {
            p { "Every server would serve them within a second. What they would change, from the version in force:" }
            (changes_list(changes))
            form method="post" action="/history/files" {
                (csrf(session))
                input type="hidden" name="confirmed" value="yes";
                label for="note" { "Why (for the team and the log)" }
                (field_problem("note", problem))
                input type="text" id="note" name="note" required value=(why)
                    aria-describedby=[problem.map(|_| "note-problem")];
                button.danger type="submit" { "Yes, put the flow files in force" }
                " " a href="/history" { "Cancel: change nothing" }
            }
        },
    )
}

fn changes_list(changes: &[String]) -> Markup {
    html! {
        @if changes.is_empty() {
            p { "Nothing ops can name: the files differ only in ways callers and the team do not meet." }
        } @else {
            ul { @for change in changes { li { (change) } } }
        }
    }
}

/// Which versions the page lists: a page of them, all lines' or one line's.
pub struct Listed<'a> {
    /// 1 is the newest.
    pub page: usize,
    /// Whether there are older versions than these.
    pub older: bool,
    /// The line whose versions are shown ("" for all), and every line (id, name).
    pub line: &'a str,
    pub lines: &'a [(String, String)],
    /// Whether versions older than the page reads are kept in the store.
    pub older_not_read: bool,
}

pub fn history(
    session: &Session,
    rows: &[VersionRow],
    listed: &Listed<'_>,
    compared: Option<&Compared>,
    held: Option<&[String]>,
    notice_shown: Option<&Notice>,
) -> Markup {
    let editor = session.role == Role::Editor;
    // Each version once, named by its number and when it (last) came into force.
    let mut versions: Vec<(&str, String)> = Vec::new();
    for row in rows {
        if !versions.iter().any(|(v, _)| *v == row.version) {
            versions.push((
                &row.version,
                format!("Version {}, from {}", row.number, uk_words(&row.at)),
            ));
        }
    }
    page(
        "Flow versions",
        Some(session),
        html! {
            (notice(notice_shown, session))
            @if let Some(changes) = held {
                section.line aria-labelledby="held" {
                    h2 id="held" { "The flow files are held back" }
                    p { "Since a roll-back, the flow files on the servers differ from the version in force, "
                        "and an edit of them does not go into force by itself: it could bring back what was rolled back. "
                        "Putting them in force would change:" }
                    (changes_list(changes))
                    @if editor {
                        form method="post" action="/history/files" {
                            (csrf(session))
                            button type="submit" { "Put the flow files in force" }
                        }
                    }
                }
            }
            form method="get" action="/history" {
                label for="from" { "Compare version" }
                select id="from" name="from" {
                    @for (v, named) in &versions { option value=(v) selected[compared.is_some_and(|c| c.from == *v)] { (named) } }
                }
                label for="to" { "with version" }
                select id="to" name="to" {
                    @for (v, named) in &versions { option value=(v) selected[compared.is_some_and(|c| c.to == *v)] { (named) } }
                }
                button type="submit" { "Compare" }
            }
            @if let Some(c) = compared {
                h2 { "From " (c.from_name) " to " (c.to_name) }
                @for h in &c.heard {
                    section.line {
                        h3 { (h.line) ": what a new call hears first, now" }
                        @match &h.after {
                            Some(after) if *after == h.now => {
                                p { "The same in both (what changed is further into the call; see the files):" }
                                blockquote { (h.now) }
                            }
                            Some(after) => {
                                p { "In " (c.from_name) ":" } blockquote { (h.now) }
                                p { "In " (c.to_name) ":" } blockquote { (after) }
                            }
                            None => p { "This line is not in " (c.to_name) "." },
                        }
                    }
                }
                h3 { "The files" }
                pre { (c.diff) }
            }
            form method="get" action="/history" {
                label for="line" { "Versions that changed" }
                select id="line" name="line" {
                    option value="" selected[listed.line.is_empty()] { "Any line" }
                    @for (id, name) in listed.lines { option value=(id) selected[listed.line == id] { (name) } }
                }
                " " button type="submit" { "Show" }
            }
            table.cards {
                thead { tr { th { "Version" } th { "Into force" } th { "By" } th { "What changed" } th { "" } } }
                tbody {
                    @for row in rows {
                        tr {
                            td { "Version " (row.number) @if row.in_force { " (in force)" } }
                            td data-label="Into force" {
                                (uk_words(&row.at))
                                @if !row.earlier.is_empty() {
                                    " (and before: "
                                    @for (i, at) in row.earlier.iter().enumerate() {
                                        @if i > 0 { "; " }
                                        (uk_words(at))
                                    }
                                    ")"
                                }
                            }
                            td data-label="By" { (row.by) }
                            td data-label="What changed" {
                                @if row.changes.is_empty() { "The same files as the version before." }
                                @else { ul { @for change in &row.changes { li { (change) } } } }
                            }
                            td {
                                @if let Some(before) = &row.before {
                                    a href=(format!("/history?from={before}&to={}", row.version)) { "Compare with the version before" }
                                }
                                @if editor && row.can_roll_back {
                                    form method="post" action="/history/rollback" {
                                        (csrf(session))
                                        input type="hidden" name="version" value=(row.version);
                                        button type="submit" { "Roll back to version " (row.number) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            nav aria-label="Pages of versions" {
                @let to_page = |n: usize| format!("/history?page={n}&line={}", listed.line);
                @if listed.page > 1 { a href=(to_page(listed.page - 1)) { "Newer versions" } }
                @if listed.page > 1 && listed.older { " · " }
                @if listed.older { a href=(to_page(listed.page + 1)) { "Older versions" } }
            }
            @if listed.older_not_read && !listed.older {
                p { "Older versions are kept in the store." }
            }
        },
    )
}
