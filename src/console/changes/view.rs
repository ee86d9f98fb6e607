//! What the changes page looks like: a page of changes, newest first, each a card on a phone.

use maud::{Markup, html};

use crate::console::auth::Session;
use crate::console::layout::{page, uk_words};
use crate::store::AuditEntry as Entry;

/// A page of changes.
pub struct Shown<'a> {
    pub entries: &'a [Entry],
    /// 1 is the newest.
    pub page: usize,
    /// Whether there are older changes than these.
    pub older: bool,
    /// The line whose changes are shown ("" for all), and every line (id, name).
    pub line: &'a str,
    pub lines: &'a [(String, String)],
}

pub fn audit(session: &Session, shown: &Shown<'_>) -> Markup {
    let Shown {
        entries,
        page: number,
        older,
        line,
        lines,
    } = shown;
    let to_page = |n: usize| format!("/audit?page={n}&line={line}");
    page(
        "Changes",
        Some(session),
        html! {
            form method="get" action="/audit" {
                label for="line" { "Changes to" }
                select id="line" name="line" {
                    option value="" selected[line.is_empty()] { "All lines" }
                    @for (id, name) in *lines { option value=(id) selected[*line == id] { (name) } }
                }
                " " button type="submit" { "Show" }
            }
            @if entries.is_empty() {
                p { @if *number > 1 { "No older changes." } @else { "No change has been made yet." } }
            } @else {
                p { "Newest first: changes " ((number - 1) * super::PAGE + 1) " to " ((number - 1) * super::PAGE + entries.len()) "." }
                table.cards {
                    thead { tr { th { "When" } th { "Who" } th { "What" } th { "Note" } th { "Before" } th { "After" } } }
                    tbody {
                        @for e in *entries {
                            tr {
                                th scope="row" { (uk_words(&e.at)) }
                                td data-label="Who" { (e.who) }
                                td data-label="What" { (e.what) }
                                td data-label="Note" { (e.note) }
                                td data-label="Before" { pre { (e.before) } }
                                td data-label="After" { pre { (e.after) } }
                            }
                        }
                    }
                }
            }
            nav aria-label="Pages of changes" {
                @if *number > 1 { a href=(to_page(number - 1)) { "Newer changes" } }
                @if *number > 1 && *older { " · " }
                @if *older { a href=(to_page(number + 1)) { "Older changes" } }
            }
        },
    )
}
