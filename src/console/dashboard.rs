//! The lines now: each open or closed and why, today's calls, the servers; the emergency switch.

use super::*;

pub(super) mod view;

pub(super) async fn dashboard(
    State(console): State<Arc<Console>>,
    session: Session,
) -> Result<Response, Denied> {
    let notice = notice(&console, &session).await?;
    let app = &console.app;
    let flows = app.flows.load();
    let holidays = app.holidays.load();
    let emergencies = app.emergencies.load();
    let now = app.clock.now();
    // Today's calls from every server's records, the same on each and kept across restarts.
    let today = uk_today(&console);
    let counted = console
        .store
        .report(today, today, &crate::reports::lines_of(&flows))
        .await?;
    let schedules: Vec<view::ScheduleNow> = flows
        .schedules
        .iter()
        .enumerate()
        .map(|(index, s)| {
            let line = flows.line(flows.schedule_line(index)).name.clone();
            schedule_now(s, line, &holidays, &emergencies, now)
        })
        .collect();
    let lines: Vec<view::LineNow> = flows
        .lines
        .iter()
        .enumerate()
        .map(|(index, line)| view::LineNow {
            id: line.id.to_string(),
            name: line.name.clone(),
            numbers: line
                .numbers
                .iter()
                .map(|n| crate::phone::written(n.as_str()))
                .collect(),
            open_24_7: line.open_24_7,
            schedules: flows
                .schedules_of(index)
                .into_iter()
                .map(|s| schedules[s].clone())
                .collect(),
            today: counted.lines[index].clone(),
        })
        .collect();
    let revision = app.store.revision();
    let readers: Vec<view::ReaderNow> = console
        .store
        .servers()
        .await?
        .into_iter()
        .map(|r| view::ReaderNow {
            applied: r.revision >= revision,
            read: format!("{} s ago", r.age(Utc::now()).num_seconds()),
        })
        .collect();
    let now_said = speech::weekday_date_time(&now.with_timezone(&chrono_tz::Europe::London));
    Ok(html(view::dashboard(
        &session,
        &now_said,
        &lines,
        &schedules,
        &readers,
        notice.as_ref(),
    )))
}

pub(super) fn schedule_now(
    schedule: &crate::calendar::Schedule,
    line: String,
    holidays: &crate::calendar::BankHolidays,
    emergencies: &Emergencies,
    now: chrono::DateTime<Utc>,
) -> view::ScheduleNow {
    let next_opening = schedule
        .next_opening(holidays, now)
        .map(|at| speech::weekday_date_time(&at));
    let (open, why, next_change) = match schedule.status(holidays, emergencies, now) {
        Status::Open { closes_at } => (
            true,
            format!("within its hours ({})", speech::weekly_hours(schedule)),
            format!("It closes {}", speech::weekday_date_time(&closes_at)),
        ),
        Status::Closed(why) => {
            let reason = match &why {
                ClosedBecause::Emergency => "the emergency switch closes it".to_owned(),
                ClosedBecause::Closure(reason) => format!("a closure day: {reason}"),
                ClosedBecause::Holiday(holiday) => format!("a bank holiday: {}", holiday.name),
                ClosedBecause::OutsideHours => {
                    format!("outside its hours ({})", speech::weekly_hours(schedule))
                }
                ClosedBecause::OutsideSpecialHours => format!(
                    "outside today's special hours ({})",
                    speech::openings(
                        schedule.openings_on(now.with_timezone(&schedule.timezone).date_naive())
                    )
                ),
            };
            let next = match (&why, &next_opening) {
                (ClosedBecause::Emergency, _) => {
                    "It stays closed until someone reopens it".to_owned()
                }
                (_, Some(opening)) => format!("It opens {opening}"),
                (_, None) => "No opening is set in the next year".to_owned(),
            };
            (false, reason, next)
        }
    };
    let emergency_note = emergencies
        .get(&schedule.name)
        .map(|c| match c.note.as_str() {
            "" => format!("since {}", layout::uk_words(&c.since)),
            note => format!("{note} (since {})", layout::uk_words(&c.since)),
        });
    view::ScheduleNow {
        name: schedule.name.clone(),
        line,
        open,
        why,
        next_change,
        // Worth saying only while it is closed, and not known while the switch holds it.
        next_opening: next_opening.filter(|_| !open && emergency_note.is_none()),
        emergency_note,
    }
}

/// What a new call to each line that follows `schedule` hears first, were the switch thrown
/// (`close`) or lifted now: (line name, the words).
pub(super) fn heard_if_switched(
    console: &Console,
    schedule: &str,
    close: bool,
) -> Option<(String, String)> {
    let app = &console.app;
    let flows = app.flows.load();
    let holidays = app.holidays.load();
    let mut emergencies = Emergencies::clone(&app.emergencies.load());
    if close {
        let closure = crate::calendar::EmergencyClosure {
            since: String::new(),
            note: String::new(),
        };
        emergencies.close(schedule, closure);
    } else {
        emergencies.open(schedule);
    }
    let ctx = Context {
        flows: &flows,
        holidays: &holidays,
        emergencies: &emergencies,
        now: app.clock.now(),
    };
    let index = flows.schedules.iter().position(|s| s.name == schedule)?;
    Some(heard_on_line_of(&ctx, index))
}

/// What the emergency switch's forms send.
#[derive(serde::Deserialize)]
pub(super) struct SwitchForm {
    #[serde(default, deserialize_with = "trimmed")]
    schedule: String,
    /// `close`, or anything else (`open`) to lift it.
    #[serde(default, deserialize_with = "trimmed")]
    action: String,
    #[serde(default, deserialize_with = "trimmed")]
    note: String,
    #[serde(default)]
    confirmed: String,
}

pub(super) async fn emergency_switch(
    State(console): State<Arc<Console>>,
    Change(posted): Change<SwitchForm>,
) -> Response {
    let session = &posted.session;
    let SwitchForm {
        schedule,
        action,
        note,
        confirmed,
    } = posted.form;
    let close = action == "close";
    let flows = console.app.flows.load();
    // Before the change, and again with the problem if it is refused: what callers will hear
    // from now, and the reason asked for.
    let ask = |problem: Option<&str>| {
        let heard = heard_if_switched(&console, &schedule, close);
        let page = view::confirm_switch(session, &schedule, close, &note, heard.as_ref(), problem);
        let status = problem.map_or(StatusCode::OK, |_| StatusCode::UNPROCESSABLE_ENTITY);
        (status, html(page)).into_response()
    };
    if !is_yes(&confirmed) {
        return ask(None);
    }
    let made = ops::throw_switch(
        &console.store,
        &session.user,
        &flows,
        &schedule,
        close,
        &note,
    )
    .await;
    if let Err(error) = &made
        && !error.is_unavailable()
    {
        return ask(Some(&error.to_string()));
    }
    let line = flows.schedule_line_name(&schedule).to_owned();
    // The wall clock, as the store stamps the switch (a server's pinned `--now` is for calls).
    let at = layout::uk_time(chrono::Utc::now());
    after_change(&console, session, made, "/", |_| {
        let fields = [("schedule", schedule.as_str())];
        if close {
            Notice::said(format!(
                "The {line} is closed from {at} until it is reopened."
            ))
            .with_undo("Reopen it", "/emergency", &[fields[0], ("action", "open")])
        } else {
            Notice::said(format!(
                "The {line} was reopened at {at}: its hours decide again."
            ))
            .with_undo(
                "Close it again",
                "/emergency",
                &[fields[0], ("action", "close")],
            )
        }
    })
    .await
}
