//! What the changes page looks like.

use maud::{Markup, html};

use crate::console::auth::Session;
use crate::console::layout::{page, uk_words};
use crate::store::AuditEntry as Entry;

pub fn audit(session: &Session, entries: &[Entry], older_not_shown: bool) -> Markup {
    page(
        "Changes",
        Some(session),
        html! {
            @if entries.is_empty() { p { "No change has been made from the console yet." } }
            @else {
                table {
                    thead { tr { th { "When" } th { "Who" } th { "What" } th { "Note" } th { "Before" } th { "After" } } }
                    tbody {
                        @for e in entries {
                            tr { td { (uk_words(&e.at)) } td { (e.who) } td { (e.what) } td { (e.note) } td { pre { (e.before) } } td { pre { (e.after) } } }
                        }
                    }
                }
                @if older_not_shown {
                    p { "These are the latest " (entries.len()) " changes; older ones are kept in the store." }
                }
            }
        },
    )
}
