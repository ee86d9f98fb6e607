//! The changes ops make, one place each, for the console and the CLI alike: what may change
//! (each is checked against the flows in force), in what words the audit says it, made with its
//! audit entry in one transaction through the store, and said back in a sentence. The store
//! below keeps data only.

use chrono::NaiveDate;

use crate::calendar::{BankHolidays, DayKind, plain_reason, speech};
use crate::calendar::{Emergencies, OneOffDay};
use crate::flow::{Flows, parse_openings};
use crate::store::call_backs::Closing;
use crate::store::{Conflict, InForce, Store, StoreError, Switch};

/// What a change did: the revision it made, and a sentence for the person who made it.
#[derive(Debug)]
pub struct Done {
    pub revision: i64,
    pub said: String,
}

/// Why a change was not made: it cannot be made as asked (said for the person asking, who
/// can put it right), or the store failed (nothing changed; try again later).
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Unavailable(StoreError),
}

pub type Result<T> = std::result::Result<T, OpsError>;

impl OpsError {
    pub fn is_unavailable(&self) -> bool {
        matches!(self, OpsError::Unavailable(_))
    }
}

/// The store's conflicts are refusals, said in people's words; any other failure is the
/// store being unavailable.
impl From<StoreError> for OpsError {
    fn from(error: StoreError) -> OpsError {
        match error {
            StoreError::Conflict(conflict) => OpsError::Refused(conflict_words(&conflict)),
            error => OpsError::Unavailable(error),
        }
    }
}

fn conflict_words(conflict: &Conflict) -> String {
    match conflict {
        Conflict::DayTaken { day, kind, .. } => format!(
            "{} already has {}: remove it first to change it.",
            speech::full_date(*day),
            kind.one_said()
        ),
        Conflict::NoSuchDay { day, kind, .. } => format!(
            "{} has no {} to remove: someone may have removed it already.",
            speech::full_date(*day),
            kind.said(),
        ),
        Conflict::NoSuchCallBack(id) => {
            format!("There is no request for a call back numbered {id}.")
        }
        Conflict::CallBackClosed { id, outcome } => {
            format!("Request {id} was closed already ({outcome}).")
        }
        Conflict::CallBackOpen(id) => format!("Request {id} is open already."),
        Conflict::NumberHasOpenRequest { id, other } => format!(
            "Request {id} cannot be reopened: the same number has request {other} open. Work on that one."
        ),
        Conflict::NotAudited => "A change that cannot be audited is not made.".to_owned(),
    }
}

fn refused(text: impl Into<String>) -> OpsError {
    OpsError::Refused(text.into())
}

fn schedule_exists(flows: &Flows, schedule: &str) -> Result<()> {
    if flows.schedules.iter().any(|s| s.name == schedule) {
        return Ok(());
    }
    let known: Vec<&str> = flows.schedules.iter().map(|s| s.name.as_str()).collect();
    Err(refused(format!(
        "There is no schedule {schedule:?}; the schedules are {}.",
        known.join(", ")
    )))
}

/// Closes `schedule` (a note is required: the team must know why) or reopens it.
pub async fn throw_switch(
    store: &Store,
    by: &str,
    flows: &Flows,
    schedule: &str,
    close: bool,
    note: &str,
) -> Result<Done> {
    // Opening needs no schedule in the flows: a closure of one that is gone (renamed, or taken
    // over from a previous release) must still be clearable.
    if close {
        schedule_exists(flows, schedule)?;
    }
    if close && note.trim().is_empty() {
        return Err(refused("Say why it must close: the note is for the team."));
    }
    let mut change = store.change(by).await?;
    let before = change.emergencies().await?;
    let switch = if close {
        Switch::Close { note: note.trim() }
    } else {
        Switch::Open
    };
    // Closing always changes the switch (a new note, from now); opening only a closed one.
    if !change.switch(schedule, switch).await? {
        return Err(refused(format!(
            "The {} is not closed by the emergency switch.",
            flows.schedule_line_name(schedule)
        )));
    }
    let after = change.emergencies().await?;
    let line = flows.schedule_line_name(schedule);
    let action = if close { "closed" } else { "reopened" };
    change
        .audit(
            &format!("{action} the {line} with the emergency switch"),
            note.trim(),
            &switch_text(&before, flows),
            &switch_text(&after, flows),
        )
        .await?;
    let revision = change.commit().await?;
    let said = if close {
        format!("The {line} is closed: callers hear its emergency message.")
    } else {
        format!("The {line} is reopened: its hours decide again.")
    };
    Ok(Done { revision, said })
}

/// What is done to a schedule's one-off day: added with what it holds, what it holds changed
/// in place, or removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DayEdit<'a> {
    Add(DayValue<'a>),
    Change(DayValue<'a>),
    Remove,
}

/// What a one-off day holds: a closure day's reason callers hear as its `value`; or special
/// hours ("10:00-13:00") as its `value`, and the reason callers hear, if ops gave one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DayValue<'a> {
    pub value: &'a str,
    pub reason: Option<&'a str>,
}

impl<'a> DayValue<'a> {
    /// A closure day's reason, or special hours with no reason.
    pub fn of(value: &'a str) -> Self {
        DayValue {
            value,
            reason: None,
        }
    }

    /// What a one-off day holds, as kept.
    pub fn of_day(day: &'a OneOffDay) -> Self {
        DayValue {
            value: &day.value,
            reason: day.reason.as_deref(),
        }
    }

    /// As ops read it: "the office is closed for training", "9am to 1pm", or "9am to 1pm
    /// (callers hear: the office closes early for Christmas Eve)".
    pub fn in_words(&self, kind: DayKind) -> String {
        let value = match kind {
            DayKind::Closure => self.value.to_owned(),
            DayKind::SpecialHours => crate::flow::hours_said(self.value),
        };
        crate::flow::with_reason(value, self.reason)
    }
}

/// A one-off day's value and reason, as checked and kept.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckedDay {
    pub value: String,
    pub reason: Option<String>,
}

impl CheckedDay {
    pub fn as_value(&self) -> DayValue<'_> {
        DayValue {
            value: &self.value,
            reason: self.reason.as_deref(),
        }
    }
}

/// Does `edit` to `schedule`'s one-off day of `kind` on `day`, in one audited change. Special
/// hours on a bank holiday are refused: the holiday would win.
#[allow(clippy::too_many_arguments)]
pub async fn edit_day(
    store: &Store,
    by: &str,
    flows: &Flows,
    holidays: &BankHolidays,
    schedule: &str,
    day: NaiveDate,
    kind: DayKind,
    edit: DayEdit<'_>,
) -> Result<Done> {
    let checked = match edit {
        DayEdit::Add(value) | DayEdit::Change(value) => {
            day_value(flows, holidays, schedule, day, kind, value)?
        }
        DayEdit::Remove => {
            schedule_exists(flows, schedule)?;
            CheckedDay::default()
        }
    };
    let value = checked.as_value();
    let mut change = store.change(by).await?;
    let days = change.days().await?;
    let before = days_text(&days, schedule);
    match edit {
        DayEdit::Add(_) => {
            change
                .add_day(schedule, day, kind, value.value, value.reason)
                .await?
        }
        DayEdit::Change(_) => {
            let listed = days
                .iter()
                .find(|d| d.schedule == schedule && d.day == day && d.kind == kind);
            if listed.is_some_and(|d| DayValue::of_day(d) == value) {
                return Err(refused("That is what it says already: nothing to change."));
            }
            change.remove_day(schedule, day, kind).await?;
            change
                .add_day(schedule, day, kind, value.value, value.reason)
                .await?;
        }
        DayEdit::Remove => change.remove_day(schedule, day, kind).await?,
    }
    let after = days_text(&change.days().await?, schedule);
    let words = value.in_words(kind);
    let kind_of_day = kind;
    let (line, date, kind) = (
        flows.schedule_line_name(schedule),
        speech::full_date(day),
        kind.said(),
    );
    let (what, said) = match edit {
        DayEdit::Add(_) => (
            format!("{kind} added to the {line} for {date}"),
            format!("Added to the {line}: {kind} on {date}."),
        ),
        DayEdit::Change(_) => (
            format!("{kind} changed on the {line} for {date}"),
            format!("Changed on the {line}: the {kind} on {date} now says “{words}”."),
        ),
        DayEdit::Remove => (
            format!("{kind} removed from the {line} for {date}"),
            format!("Removed from the {line}: {kind} on {date}."),
        ),
    };
    change.audit(&what, &words, &before, &after).await?;
    let revision = change.commit().await?;
    let has_reason = match kind_of_day {
        DayKind::Closure => edit != DayEdit::Remove,
        DayKind::SpecialHours => value.reason.is_some(),
    };
    let said = if has_reason && !reason_said(flows, schedule, kind_of_day) {
        format!(
            "{said} Callers will not hear its reason: the {line}'s call flow says none for {}.",
            kind_of_day.one_said()
        )
    } else {
        said
    };
    Ok(Done { revision, said })
}

/// Whether the call flows say the reason of a `kind` of day on `schedule`: a closure day's,
/// or special hours' (else it is never heard).
pub fn reason_said(flows: &Flows, schedule: &str, kind: DayKind) -> bool {
    let placeholder = match kind {
        DayKind::Closure => crate::flow::Piece::ClosureReason,
        DayKind::SpecialHours => crate::flow::Piece::SpecialHoursReason,
    };
    flows
        .schedules
        .iter()
        .position(|s| s.name == schedule)
        .is_some_and(|index| flows.says(index, &placeholder))
}

/// Why `day` cannot be asked about at all for `schedule`, said at once beside its field: it
/// is in the past (`today` is the UK date), or the schedule has a one-off day on it already
/// (`days` are those added at run time; the flow files' own are in `flows`).
pub fn day_refused_at_once(
    flows: &Flows,
    days: &[OneOffDay],
    schedule: &str,
    day: NaiveDate,
    today: NaiveDate,
) -> Option<String> {
    let date = speech::full_date(day);
    if day < today {
        return Some(format!(
            "{date} is in the past: choose today or a later day."
        ));
    }
    if let Some(listed) = days.iter().find(|d| d.schedule == schedule && d.day == day) {
        let what = match listed.kind {
            DayKind::Closure => "its reason",
            DayKind::SpecialHours => "its hours or reason",
        };
        return Some(format!(
            "{date} already has {}: change {what} in the list above, or remove it first.",
            listed.kind.one_said()
        ));
    }
    let in_files = flows.schedules.iter().find(|s| s.name == schedule)?;
    let kind = if in_files.closures.contains_key(&day) {
        DayKind::Closure
    } else if in_files.special_hours.contains_key(&day) {
        DayKind::SpecialHours
    } else {
        return None;
    };
    Some(format!(
        "{date} already has {} in the flow files: change it there.",
        kind.one_said()
    ))
}

/// What to know before adding a one-off day on `day`: that the line is closed that day
/// anyway (a weekend, a bank holiday), which changes what the day means.
pub fn day_warning(
    flows: &Flows,
    holidays: &BankHolidays,
    schedule: &str,
    day: NaiveDate,
    kind: DayKind,
) -> Option<String> {
    use chrono::Datelike;
    let s = flows.schedules.iter().find(|s| s.name == schedule)?;
    let date = speech::full_date(day);
    let weekday = speech::weekday(day.weekday());
    let closed_anyway = match holidays.on(s.holidays, day) {
        Some(holiday) => Some(format!("a bank holiday ({})", holiday.name)),
        None if s.weekly[day.weekday().num_days_from_monday() as usize].is_empty() => {
            Some(format!("a {weekday}, when the line is usually closed"))
        }
        None => None,
    }?;
    Some(match kind {
        DayKind::Closure => format!(
            "{date} is {closed_anyway}: the line is closed that day anyway, and callers will hear this reason instead of the usual closed message."
        ),
        DayKind::SpecialHours => {
            format!("{date} is {closed_anyway}: these hours open the line that day.")
        }
    })
}

/// A closure day's reason or a day's special hours (and their reason, if any), as they would
/// be kept (and a reason spoken), or why they cannot be added to `schedule` on `day`.
pub fn day_value(
    flows: &Flows,
    holidays: &BankHolidays,
    schedule: &str,
    day: NaiveDate,
    kind: DayKind,
    given: DayValue<'_>,
) -> Result<CheckedDay> {
    schedule_exists(flows, schedule)?;
    match kind {
        DayKind::Closure => Ok(CheckedDay {
            value: plain_reason(given.value).map_err(refused)?,
            reason: None,
        }),
        DayKind::SpecialHours => {
            // As people write them ("10am to 1pm"), kept as the flow files write them.
            let hours = speech::hours_as_written(given.value).map_err(refused)?;
            let openings = parse_openings(&hours).map_err(|e| refused(format!("{e}.")))?;
            if openings.is_empty() {
                return Err(refused(
                    "For a day closed all day, add a closure day with the reason callers hear.",
                ));
            }
            let index = flows.schedules.iter().position(|s| s.name == schedule);
            if let Some(index) = index
                && let Some(holiday) = holidays.on(flows.schedules[index].holidays, day)
            {
                return Err(refused(format!(
                    "{} is a bank holiday ({}), when the {} is closed whatever its hours: special hours would never apply.",
                    crate::calendar::speech::full_date(day),
                    holiday.name,
                    flows.line(flows.schedule_line(index)).name
                )));
            }
            // The reason is optional: without one, callers hear the day's hours.
            let reason = match given.reason.map(str::trim).filter(|r| !r.is_empty()) {
                Some(reason) => Some(plain_reason(reason).map_err(refused)?),
                None => None,
            };
            Ok(CheckedDay {
                value: hours,
                reason,
            })
        }
    }
}

/// Puts a version published before in force again, on every server, once it still passes the
/// check.
pub async fn roll_back(store: &Store, by: &str, version: &str, why: &str) -> Result<Done> {
    let why = why.trim();
    if why.is_empty() {
        return Err(refused("Say why: the reason is for the team and the log."));
    }
    let files = store
        .flow_files(version)
        .await?
        .ok_or_else(|| refused("That version is not kept in the store."))?;
    let checked = crate::check::check_named(&files, chrono::Utc::now().date_naive());
    if checked.flows.is_none() {
        return Err(refused(format!(
            "That version no longer passes the check:\n{}",
            checked.diagnostics
        )));
    }
    let mut change = store.change(by).await?;
    let before = change.in_force().await?;
    if before.as_ref().is_some_and(|v| v.version == version) {
        return Err(refused("That version is the one in force."));
    }
    change.put_version_in_force(version, why).await?;
    // The files on the servers may hold what was rolled back: they wait for someone to put
    // them in force, in words, rather than bring it back with their next edit.
    if let Some(before) = &before {
        change.hold_flow_files(&before.version).await?;
    }
    let number = change.version_number(version).await?.unwrap_or_default();
    let after = version_name(number);
    change
        .audit(
            &format!("call flows rolled back to {after}"),
            why,
            &in_force_name(before.as_ref()),
            &after,
        )
        .await?;
    let revision = change.commit().await?;
    Ok(Done {
        revision,
        said: format!("Version {number} of the call flows is in force on every server."),
    })
}

/// What the team does with a request for a call back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallBackAction {
    /// Take it on: the others see who.
    Claim,
    /// Called, nobody answered: a try counted, back in the queue.
    NoAnswer,
    /// Called back, or closed without a call.
    Close(crate::store::call_backs::Closing),
    /// Back in the queue: the undo of closing it.
    Reopen,
}

impl CallBackAction {
    fn as_str(self) -> &'static str {
        match self {
            CallBackAction::Claim => "claimed",
            CallBackAction::NoAnswer => "no answer",
            CallBackAction::Close(how) => how.as_str(),
            CallBackAction::Reopen => "reopened",
        }
    }

    /// Whether it needs a note: closing does (it is what the next person reads).
    pub fn needs_note(self) -> bool {
        matches!(self, CallBackAction::Close(_))
    }
}

/// What a call-back request is called where its number may not be shown: "the request from
/// the number ending 456".
pub fn call_back_named(request: &crate::store::call_backs::CallBack) -> String {
    let end = crate::phone::ending(&request.number);
    format!("the request from the number ending {end}")
}

/// What closing a request without a note is told.
pub const NOTE_NEEDED: &str = "Say what happened: the note is for the next person to read.";

/// Does `action` to request `id` for a call back, audited with the number masked. Closing
/// needs a note (it is what the next person reads).
pub async fn act_on_call_back(
    store: &Store,
    by: &str,
    id: i64,
    action: CallBackAction,
    note: &str,
) -> Result<Done> {
    let note = note.trim();
    if action.needs_note() && note.is_empty() {
        return Err(refused(NOTE_NEEDED));
    }
    let mut change = store.change(by).await?;
    let request = match action {
        CallBackAction::Claim => change.claim_call_back(id, by).await?,
        CallBackAction::NoAnswer => change.call_back_unanswered(id, note).await?,
        CallBackAction::Close(how) => {
            change
                .close_call_back(id, how, by, note, chrono::Utc::now())
                .await?
        }
        CallBackAction::Reopen => change.reopen_call_back(id).await?,
    };
    let state = match (&request.outcome, &request.claimed_by) {
        (Some(outcome), _) => outcome.clone(),
        (None, Some(who)) => format!("open, claimed by {who}"),
        (None, None) => "open".to_owned(),
    };
    let before = format!("{state}: {} for {}", request.masked(), request.line);
    change
        .audit(
            &format!("call back {id} {}", action.as_str()),
            note,
            &before,
            action.as_str(),
        )
        .await?;
    let revision = change.commit().await?;
    let named = call_back_named(&request);
    let said = match action {
        CallBackAction::Claim => format!("You have taken on {named}."),
        CallBackAction::NoAnswer => format!(
            "No answer on {named}: try {} counted, and it is back in the queue.",
            request.tries + 1
        ),
        CallBackAction::Close(Closing::CalledBack) => {
            format!("Marked as called back: {named}. It is in the Done list.")
        }
        CallBackAction::Close(Closing::Closed) => {
            format!("Closed without a call: {named}. It is in the Done list.")
        }
        CallBackAction::Reopen => format!("Reopened: {named} is back in the queue."),
    };
    Ok(Done { revision, said })
}

/// A published version as people know it, by its number: "version 3".
pub fn version_name(number: i64) -> String {
    format!("version {number}")
}

/// What a change's audit says was in force before it: "version 3", or no version at all.
pub fn in_force_name(in_force: Option<&InForce>) -> String {
    in_force.map_or_else(|| "no version".to_owned(), |v| version_name(v.number))
}

/// The switch as the audit log words it.
pub fn switch_text(switch: &Emergencies, flows: &crate::flow::Flows) -> String {
    let closed: Vec<String> = switch
        .iter()
        .map(|(name, c)| {
            let line = flows.schedule_line_name(name);
            match c.note.as_str() {
                "" => format!("the {line}: closed"),
                note => format!("the {line}: closed ({note})"),
            }
        })
        .collect();
    if closed.is_empty() {
        "nothing closed".into()
    } else {
        closed.join("\n")
    }
}

/// The one-off days of `schedule` as the audit log words them.
pub fn days_text(days: &[OneOffDay], schedule: &str) -> String {
    let days: Vec<String> = days
        .iter()
        .filter(|d| d.schedule == schedule)
        .map(|d| {
            let day = crate::calendar::speech::full_date(d.day);
            let value = DayValue::of_day(d).in_words(d.kind);
            format!("{day}, {}: {value}", d.kind.said())
        })
        .collect();
    if days.is_empty() {
        "no days added at run time".into()
    } else {
        days.join("\n")
    }
}
