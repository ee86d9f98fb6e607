//! The console's pages, rendered on the server with `maud` (which escapes every value): no
//! script, no asset from anywhere else, readable on a phone.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::auth::Session;
use crate::store::Role;

/// Plain, large, high-contrast; the focus is always visible for keyboard use.
const STYLE: &str = "
*{box-sizing:border-box}
body{font:1.05rem/1.5 system-ui,sans-serif;margin:0;color:#111;background:#fff}
header{background:#0b3d61;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;align-items:center}
header a{color:#fff}header form{margin-left:auto}
main{padding:1rem;max-width:60rem}
h1{font-size:1.5rem;margin:.2rem 0 1rem}h2{font-size:1.2rem;margin:1.4rem 0 .4rem}
section.line{border:2px solid #444;border-radius:.4rem;padding:.6rem 1rem;margin:1rem 0}
.open{color:#05602b;font-weight:700}.closed{color:#a50e0e;font-weight:700}
label{display:block;margin:.5rem 0 .2rem;font-weight:600}
input,select,button{font:inherit;padding:.45rem .6rem;border:2px solid #444;border-radius:.3rem}
select{max-width:100%}
input[type=text],input[type=password],input[type=date],input[type=datetime-local]{width:100%;max-width:24rem;box-sizing:border-box}
button{background:#0b3d61;color:#fff;border-color:#0b3d61;cursor:pointer;margin:.4rem .4rem .4rem 0}
button.danger{background:#a50e0e;border-color:#a50e0e}
:focus-visible{outline:3px solid #f5a300;outline-offset:2px}
table{border-collapse:collapse;width:100%}
main{overflow-wrap:break-word}td,th{overflow-wrap:anywhere;border-bottom:1px solid #bbb;padding:.3rem;text-align:left;vertical-align:top}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f3f3f3;padding:.6rem}
.notice{border-left:6px solid #0b3d61;padding:.4rem .8rem;background:#eef4f8}
.problem{border-left:6px solid #a50e0e;padding:.4rem .8rem;background:#fbeeee}
.zoom{border:0;padding:0;margin:0 0 .4rem}.zoom span{display:inline-block;margin-right:1rem}.zoom label{display:inline;font-weight:400}
.diagram{overflow:auto;max-height:85vh;border:1px solid #bbb}
.diagram svg{display:block;width:100%;height:auto;max-width:none}
main:has(#zoom-read:checked) .diagram svg{width:auto}
main:has(#zoom-large:checked) .diagram svg{width:auto;zoom:1.5}
.chart{display:block;max-width:100%;height:auto;margin:.4rem 0}
.wide{overflow-x:auto}.wide td,.wide th{overflow-wrap:normal;min-width:3rem}
details{margin:.4rem 0}summary{cursor:pointer}
.now{display:flex;flex-direction:column}
@media (max-width:40rem){.now>.switches{order:-1}
table.cards thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
table.cards tr{display:block;border-bottom:2px solid #444;padding:.4rem 0}
table.cards td,table.cards th[scope=row]{display:block;border:0;padding:.15rem 0}
table.cards td[data-label]::before{content:attr(data-label) \": \";font-weight:600}}
";

/// "Saturday 5 December 2026, 2:00pm", in UK time.
pub fn uk_time(at: chrono::DateTime<chrono::Utc>) -> String {
    use crate::calendar::speech;
    use chrono::{Datelike, Timelike};
    let uk = at.with_timezone(&chrono_tz::Europe::London);
    let (pm, hour) = uk.hour12();
    format!(
        "{} {} {} {}, {hour}:{:02}{}",
        speech::weekday(uk.weekday()),
        uk.day(),
        speech::month(uk.month0()),
        uk.year(),
        uk.minute(),
        if pm { "pm" } else { "am" }
    )
}

/// An RFC 3339 instant (as the store keeps them) in UK words; as given if it is not one.
pub fn uk_words(rfc3339: &str) -> String {
    crate::calendar::parse_instant(rfc3339).map_or_else(|_| rfc3339.to_owned(), uk_time)
}

pub use crate::calendar::speech::full_date as uk_day;

/// What a change did, said on the session's next page, with the way to undo it where one
/// makes sense. Kept with the session (as JSON) between the change and that page.
#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Notice {
    pub said: String,
    pub undo: Option<Undo>,
}

/// A button that asks for the opposite change: it leads to that change's own confirmation.
#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Undo {
    pub label: String,
    pub action: String,
    pub fields: Vec<(String, String)>,
}

impl Notice {
    pub fn said(said: impl Into<String>) -> Self {
        Notice {
            said: said.into(),
            undo: None,
        }
    }

    pub fn with_undo(mut self, label: &str, action: &str, fields: &[(&str, &str)]) -> Self {
        self.undo = Some(Undo {
            label: label.to_owned(),
            action: action.to_owned(),
            fields: fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        });
        self
    }

    /// As kept with the session.
    pub fn kept(&self) -> String {
        serde_json::to_string(self).expect("a notice is plain strings")
    }

    /// A kept notice read back; a plain sentence (kept by an older release) is said as it is.
    pub fn read(kept: &str) -> Self {
        serde_json::from_str(kept).unwrap_or_else(|_| Notice::said(kept))
    }
}

/// A notice at the top of a page: what was done and, for an editor, its undo.
pub fn notice(notice: Option<&Notice>, session: &Session) -> Markup {
    html! {
        @if let Some(notice) = notice {
            div.notice role="status" {
                p { (notice.said) }
                @if let (Some(undo), Role::Editor) = (&notice.undo, session.role) {
                    form method="post" action=(undo.action) {
                        (csrf(session))
                        @for (name, value) in &undo.fields {
                            input type="hidden" name=(name) value=(value);
                        }
                        button type="submit" { (undo.label) }
                    }
                }
            }
        }
    }
}

/// What a viewer reads at the top of every page, instead of finding controls gone.
pub const READ_ONLY: &str = "You can look but not change anything: ask an editor to make a change.";

/// A whole page: the header (with the user and a way out), then `body`.
pub fn page(title: &str, session: Option<&Session>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en-GB" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — Switchboard" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    strong { "Switchboard" }
                    @if let Some(session) = session {
                        nav { a href="/" { "Lines now" } " · " a href="/audit" { "Changes" } " · " a href="/history" { "Versions" } " · " a href="/call-backs" { "Call backs" } " · " a href="/reports" { "Reports" } }
                        form method="post" action="/logout" {
                            (csrf(session))
                            span { (session.user) " (" (session.role.as_str()) ") " }
                            button type="submit" { "Log out" }
                        }
                    }
                }
                main {
                    h1 { (title) }
                    @if session.is_some_and(|s| s.role == Role::Viewer) {
                        p.notice role="note" { (READ_ONLY) }
                    }
                    (body)
                }
            }
        }
    }
}

/// The hidden field every form that changes something carries.
pub fn csrf(session: &Session) -> Markup {
    html! { input type="hidden" name="csrf" value=(session.csrf); }
}

/// A message page: something refused, or done.
pub fn message(title: &str, session: Option<&Session>, text: &str, back: &str) -> Markup {
    page(
        title,
        session,
        html! {
            p.problem role="alert" { (text) }
            p { a href=(back) { "Back" } }
        },
    )
}

/// A problem with what was typed, said just above its field (which points to it).
pub fn field_problem(field: &str, problem: Option<&str>) -> Markup {
    html! {
        @if let Some(problem) = problem {
            p.problem id=(format!("{field}-problem")) role="alert" { (problem) }
        }
    }
}
