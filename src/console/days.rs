//! Closure days and special hours added from the console: asked first, audited, undoable.

use super::*;

pub(super) mod view;

/// What a new call hears first at noon (UK time) on `change.date`, on the line whose
/// schedule it is, once the change is made (the day added with its value, or removed).
pub(super) fn heard_on_day(
    console: &Console,
    change: &view::DayChange<'_>,
) -> Option<(String, String)> {
    use chrono::TimeZone as _;
    let app = &console.app;
    let mut flows = flow::Flows::clone(&app.flows.load());
    let index = flows
        .schedules
        .iter()
        .position(|s| s.name == change.schedule)?;
    let schedule = &mut flows.schedules[index];
    schedule.closures.remove(&change.date);
    schedule.special_hours.remove(&change.date);
    if let Some(value) = change.value {
        let day = crate::calendar::OneOffDay {
            schedule: change.schedule.to_owned(),
            day: change.date,
            kind: change.kind,
            value: value.to_owned(),
            added_by: String::new(),
            added_at: String::new(),
        };
        flows = flows.with_days(&[day]).0;
    }
    let noon = change.date.and_hms_opt(12, 0, 0).expect("noon exists");
    let at = chrono_tz::Europe::London
        .from_local_datetime(&noon)
        .earliest()?;
    let (holidays, emergencies) = (app.holidays.load(), app.emergencies.load());
    let ctx = Context {
        flows: &flows,
        holidays: &holidays,
        emergencies: &emergencies,
        now: at.with_timezone(&Utc),
    };
    Some(heard_on_line_of(&ctx, index))
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
    /// `add`, or anything else (`remove`).
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
        action,
        confirmed,
    } = posted.form;
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
    let add = action == "add";
    // A day that cannot be added is said beside its field, with what was typed kept, on the
    // line's own page: when first asked, or if the store then refuses it.
    let beside_field = |message: String| async {
        let problem = view::DayProblem {
            list: kind,
            schedule: schedule.clone(),
            date: date.to_string(),
            value: value.clone(),
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
    let checked = match add {
        true => match ops::day_value(&flows, &holidays, &schedule, date, kind, &value) {
            Ok(value) => Some(value),
            Err(error) => return beside_field(error.to_string()).await,
        },
        false => None,
    };
    let change = view::DayChange {
        line: &line,
        schedule: &schedule,
        kind,
        date,
        value: checked.as_deref(),
    };
    if !is_yes(&confirmed) {
        // Before the change: the reason as it will be spoken, and what a caller hears that day.
        let heard = heard_on_day(&console, &change);
        return html(view::confirm_day(session, &change, heard.as_ref()));
    }
    // What the day held before, so that a removal can be undone (a store that does not
    // answer refuses the change itself just after).
    let removed = match add {
        true => None,
        false => console.store.days().await.ok().and_then(|days| {
            days.into_iter()
                .find(|d| d.schedule == schedule && d.day == date && d.kind == kind)
                .map(|d| d.value)
        }),
    };
    let made = ops::edit_day(
        &console.store,
        &session.user,
        &flows,
        &holidays,
        &schedule,
        date,
        kind,
        change.value,
    )
    .await;
    if let Err(error) = &made
        && add
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
        match (add, &removed) {
            (true, _) => said.with_undo(
                "Remove it",
                "/days",
                &[&fields[..], &[("action", "remove")]].concat(),
            ),
            (false, Some(value)) => said.with_undo(
                "Add it back",
                "/days",
                &[&fields[..], &[("action", "add"), ("value", value.as_str())]].concat(),
            ),
            (false, None) => said,
        }
    })
    .await
}
