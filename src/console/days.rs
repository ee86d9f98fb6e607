//! Closure days and special hours added from the console: asked first, audited, undoable.

use super::*;

pub(super) mod view;

/// The times of `change.date` at which what a caller hears is worth seeing first: for special
/// hours, the new opening, half an hour before it if it opens later than usual, and half an
/// hour after the new closing if it closes earlier; for a closure day, the usual opening;
/// otherwise noon.
fn moments(console: &Console, change: &view::DayChange<'_>) -> Vec<chrono::NaiveTime> {
    use chrono::Datelike;
    let at = |h, m| chrono::NaiveTime::from_hms_opt(h, m, 0).expect("a time of day");
    let noon = at(12, 0);
    let flows = console.app.flows.load();
    let Some(schedule) = flows.schedules.iter().find(|s| s.name == change.schedule) else {
        return vec![noon];
    };
    let usual = &schedule.weekly[change.date.weekday().num_days_from_monday() as usize];
    let half_hour = chrono::Duration::minutes(30);
    match (change.kind, change.value) {
        (DayKind::SpecialHours, Some(hours)) => {
            let Ok(new) = flow::parse_openings(hours.value) else {
                return vec![noon];
            };
            let (Some(first), Some(last)) = (new.first(), new.last()) else {
                return vec![noon];
            };
            let mut times = vec![first.opens];
            if usual.first().is_none_or(|u| first.opens > u.opens) {
                times.insert(0, first.opens - half_hour);
            }
            if usual.last().is_none_or(|u| last.closes < u.closes) {
                times.push(last.closes + half_hour);
            }
            times
        }
        (DayKind::Closure, Some(_)) => vec![usual.first().map_or(noon, |u| u.opens)],
        _ => vec![noon],
    }
}

/// What a new call hears first at each of [`moments`] of `change.date` (UK time), on the line
/// whose schedule it is, once the change is made (the day added with its value, or removed):
/// (the time in words, the line's name, what is heard).
pub(super) fn heard_that_day(
    console: &Console,
    change: &view::DayChange<'_>,
) -> Vec<(String, String, String)> {
    use chrono::TimeZone as _;
    let app = &console.app;
    // The flows as they will be once the change is made, made once for every moment.
    let mut flows = flow::Flows::clone(&app.flows.load());
    let Some(index) = flows
        .schedules
        .iter()
        .position(|s| s.name == change.schedule)
    else {
        return Vec::new();
    };
    let schedule = &mut flows.schedules[index];
    schedule.closures.remove(&change.date);
    schedule.special_hours.remove(&change.date);
    if let Some(value) = change.value {
        let day = crate::calendar::OneOffDay {
            schedule: change.schedule.to_owned(),
            day: change.date,
            kind: change.kind,
            value: value.value.to_owned(),
            reason: value.reason.map(str::to_owned),
            added_by: String::new(),
            added_at: String::new(),
        };
        flows = flows.with_days(&[day]).0;
    }
    let (holidays, emergencies) = (app.holidays.load(), app.emergencies.load());
    moments(console, change)
        .into_iter()
        .filter_map(|time| {
            let at = chrono_tz::Europe::London
                .from_local_datetime(&change.date.and_time(time))
                .earliest()?;
            let ctx = Context {
                flows: &flows,
                holidays: &holidays,
                emergencies: &emergencies,
                now: at.with_timezone(&Utc),
            };
            let (line, words) = heard_on_line_of(&ctx, index);
            Some((crate::calendar::speech::time(time), line, words))
        })
        .collect()
}

/// What the forms that add and remove a closure day or special hours send.
#[derive(serde::Deserialize)]
pub(super) struct DayForm {
    #[serde(default, deserialize_with = "trimmed")]
    line: String,
    #[serde(default, deserialize_with = "trimmed")]
    schedule: String,
    /// Which list: closure days or special hours.
    #[serde(default, deserialize_with = "trimmed")]
    list: String,
    #[serde(default, deserialize_with = "trimmed")]
    date: String,
    /// The reason callers hear, or the day's hours.
    #[serde(default, deserialize_with = "trimmed")]
    value: String,
    /// Special hours' reason callers hear, if any.
    #[serde(default, deserialize_with = "trimmed")]
    reason: String,
    /// `add`, `change` (a listed day's reason or hours), or anything else (`remove`).
    #[serde(default, deserialize_with = "trimmed")]
    action: String,
    #[serde(default)]
    confirmed: String,
}

pub(super) async fn one_off_days(
    State(console): State<Arc<Console>>,
    Change(posted): Change<DayForm>,
) -> Response {
    let session = &posted.session;
    let DayForm {
        line,
        schedule,
        list,
        date,
        value,
        reason,
        action,
        confirmed,
    } = posted.form;
    let given = ops::DayValue {
        value: &value,
        reason: Some(reason.as_str()).filter(|r| !r.is_empty()),
    };
    let Some(kind) = DayKind::named(&list) else {
        return refused(
            StatusCode::BAD_REQUEST,
            Some(session),
            "Closure days or special hours?",
        );
    };
    let Ok(date) = date.parse::<NaiveDate>() else {
        return refused(
            StatusCode::BAD_REQUEST,
            Some(session),
            "Give the day as a date.",
        );
    };
    let (flows, holidays) = (console.app.flows.load(), console.app.holidays.load());
    let action = match action.as_str() {
        "add" => DayAction::Add,
        "change" => DayAction::Change,
        _ => DayAction::Remove,
    };
    // A day that cannot be added or changed is said beside its field, with what was typed
    // kept, on the line's own page: at once, or if the store then refuses it.
    let beside_field = |message: String| async {
        let problem = view::DayProblem {
            list: kind,
            schedule: schedule.clone(),
            date: date.to_string(),
            value: value.clone(),
            reason: reason.clone(),
            message,
        };
        let query = TryCall {
            at: None,
            does: None,
            play: None,
        };
        match line_page_with(&console, session, &line, query, Some(problem)).await {
            Ok(page) => (StatusCode::UNPROCESSABLE_ENTITY, page).into_response(),
            Err(denied) => denied.into_response(),
        }
    };
    // What the day holds now (its value, if it is listed): the undo of a removal or a change.
    let days = match console.store.days().await {
        Ok(days) => days,
        Err(error) => return not_made(session, &error.into()),
    };
    let listed = days
        .iter()
        .find(|d| d.schedule == schedule && d.day == date && d.kind == kind);
    if action == DayAction::Add {
        let today = uk_today(&console);
        if let Some(problem) = ops::day_refused_at_once(&flows, &days, &schedule, date, today) {
            return beside_field(problem).await;
        }
    }
    let checked = match action {
        DayAction::Add | DayAction::Change => {
            match ops::day_value(&flows, &holidays, &schedule, date, kind, given) {
                Ok(value) => Some(value),
                Err(error) => return beside_field(error.to_string()).await,
            }
        }
        DayAction::Remove => None,
    };
    let change = view::DayChange {
        line: &line,
        schedule: &schedule,
        kind,
        date,
        value: checked.as_ref().map(ops::CheckedDay::as_value),
        before: listed
            .map(ops::DayValue::of_day)
            .filter(|_| action == DayAction::Change),
        reason_said: ops::reason_said(&flows, &schedule, kind),
    };
    if !is_yes(&confirmed) {
        // Before the change: the reason as it will be spoken, what a caller hears that day,
        // and what to know of the day (closed anyway).
        let heard = heard_that_day(&console, &change);
        let warning = match action {
            DayAction::Add => ops::day_warning(&flows, &holidays, &schedule, date, kind),
            _ => None,
        };
        return html(view::confirm_day(
            session,
            &change,
            &heard,
            warning.as_deref(),
        ));
    }
    let edit = match (action, change.value) {
        (DayAction::Add, Some(value)) => ops::DayEdit::Add(value),
        (DayAction::Change, Some(value)) => ops::DayEdit::Change(value),
        _ => ops::DayEdit::Remove,
    };
    let made = ops::edit_day(
        &console.store,
        &session.user,
        &flows,
        &holidays,
        &schedule,
        date,
        kind,
        edit,
    )
    .await;
    if let Err(error) = &made
        && action != DayAction::Remove
        && !error.is_unavailable()
    {
        return beside_field(error.to_string()).await;
    }
    let date = date.to_string();
    let fields = [
        ("line", line.as_str()),
        ("schedule", schedule.as_str()),
        ("list", kind.as_str()),
        ("date", date.as_str()),
    ];
    after_change(&console, session, made, &format!("/lines/{line}"), |done| {
        let said = Notice::said(&done.said);
        let undo = |label: &str, action: &str, day: &crate::calendar::OneOffDay| {
            let reason = day.reason.as_deref().unwrap_or_default();
            let more = [
                ("action", action),
                ("value", &day.value),
                ("reason", reason),
            ];
            Notice::said(&done.said).with_undo(label, "/days", &[&fields[..], &more].concat())
        };
        match (action, listed) {
            (DayAction::Add, _) => said.with_undo(
                "Remove it",
                "/days",
                &[&fields[..], &[("action", "remove")]].concat(),
            ),
            (DayAction::Remove, Some(value)) => undo("Add it back", "add", value),
            (DayAction::Change, Some(value)) => undo("Change it back", "change", value),
            (_, None) => said,
        }
    })
    .await
}

/// What a days form asks for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum DayAction {
    Add,
    /// A listed day's reason or hours, changed in place.
    Change,
    Remove,
}
