//! A line's page: its hours, its steps in words in the order a caller meets them, its diagram,
//! and a call to try.

use super::*;

mod view;

#[derive(serde::Deserialize)]
pub(super) struct TryCall {
    /// When the call is made: UK time as a browser's date-and-time field gives it
    /// (`2026-12-24T10:00`), or an RFC 3339 instant; blank for now.
    pub(super) at: Option<String>,
    /// What the caller does, in order, comma-separated: keys ("3") or words ("peer support").
    pub(super) does: Option<String>,
    /// Set when the form was sent: the call is then played.
    pub(super) play: Option<String>,
}

/// When a call tried on the console is made: `text` as UK time (`2026-12-24T10:00`) or an
/// RFC 3339 instant, `now` when blank.
pub(super) fn try_call_at(
    text: &str,
    now: chrono::DateTime<Utc>,
) -> Result<chrono::DateTime<Utc>, String> {
    use chrono::TimeZone as _;
    let text = text.trim();
    if text.is_empty() {
        return Ok(now);
    }
    if let Ok(instant) = crate::calendar::parse_instant(text) {
        return Ok(instant);
    }
    let local = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M").map_err(|_| {
        format!("{text:?} is not a date and time: give them as 24 December 2026, 10:00")
    })?;
    chrono_tz::Europe::London
        .from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| format!("{text} does not exist in UK time: the clocks went forward then"))
}

/// What the caller does, from "3, peer support, 1": keys, or words.
pub(super) fn caller_actions(text: &str) -> Vec<CallerAction> {
    text.split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|a| {
            if a.chars()
                .all(|c| c.is_ascii_digit() || c == '*' || c == '#')
            {
                CallerAction::Press(a.to_owned())
            } else {
                CallerAction::Say(a.to_owned())
            }
        })
        .collect()
}

pub(super) async fn line_page(
    State(console): State<Arc<Console>>,
    session: Session,
    UrlPath(line_id): UrlPath<String>,
    Query(query): Query<TryCall>,
) -> Result<Response, Denied> {
    line_page_with(&console, &session, &line_id, query, None).await
}

/// A line's page; with `problem`, the day form it names shows it beside its field and keeps
/// what was typed.
pub(super) async fn line_page_with(
    console: &Console,
    session: &Session,
    line_id: &str,
    query: TryCall,
    problem: Option<days::view::DayProblem>,
) -> Result<Response, Denied> {
    let app = &console.app;
    let flows = app.flows.load();
    let Some(index) = flows.lines.iter().position(|l| l.id.as_str() == line_id) else {
        return Ok(refused(
            StatusCode::NOT_FOUND,
            Some(session),
            "There is no such line.",
        ));
    };
    let line = &flows.lines[index];
    let (holidays, emergencies, now) =
        (app.holidays.load(), app.emergencies.load(), app.clock.now());
    // Its own hours, closure days and special hours; another line's it only tells callers of.
    let schedules = flows.own_schedules(index);
    let depends_on: Vec<(String, String)> = {
        let mut lines: Vec<usize> = flows
            .schedules_of(index)
            .into_iter()
            .filter(|s| !schedules.contains(s))
            .map(|s| flows.schedule_line(s))
            .collect();
        lines.dedup();
        lines
            .into_iter()
            .map(|l| (flows.line(l).name.clone(), flows.line(l).id.to_string()))
            .collect()
    };
    let added = console.store.days().await?;
    let run_time = |schedule: &str, day: NaiveDate| {
        added.iter().any(|d| d.schedule == schedule && d.day == day)
    };
    let hours = match schedules.as_slice() {
        [] if line.open_24_7 => view::Hours::Always("It answers around the clock."),
        [] => view::Hours::Always("It answers at all times."),
        _ => view::Hours::Schedules(
            schedules
                .iter()
                .map(|s| {
                    let schedule = &flows.schedules[*s];
                    let state =
                        schedule_now(schedule, line.name.clone(), &holidays, &emergencies, now);
                    let days = hours::days_in_words(schedule, &holidays, now, 14);
                    (state, days)
                })
                .collect(),
        ),
    };
    let special_hours = schedules
        .iter()
        .map(|s| {
            let schedule = &flows.schedules[*s];
            let days = schedule
                .special_hours
                .iter()
                .map(|(d, special)| {
                    let hours = crate::calendar::speech::hours_in_words(&special.openings);
                    view::DayShown {
                        date: d.to_string(),
                        in_words: flow::with_reason(hours.clone(), special.reason.as_deref()),
                        value: hours,
                        reason: special.reason.clone(),
                        run_time: run_time(&schedule.name, *d),
                    }
                })
                .collect();
            (schedule.name.clone(), days)
        })
        .collect();
    let closures = schedules
        .iter()
        .map(|s| {
            let schedule = &flows.schedules[*s];
            let days = schedule
                .closures
                .iter()
                .map(|(d, reason)| view::DayShown {
                    date: d.to_string(),
                    in_words: reason.clone(),
                    value: reason.clone(),
                    reason: None,
                    run_time: run_time(&schedule.name, *d),
                })
                .collect();
            (schedule.name.clone(), days)
        })
        .collect();
    let played = query.play.is_some() || query.at.is_some();
    let tried = played.then(|| {
        let (at_text, does) = (query.at.clone().unwrap_or_default(), query.does.clone());
        let does = does.unwrap_or_default();
        let heard = match try_call_at(&at_text, now) {
            Err(problem) => Err(problem),
            Ok(instant) => {
                let ctx = Context {
                    flows: &flows,
                    holidays: &holidays,
                    emergencies: &emergencies,
                    now: instant,
                };
                let to = line.numbers.first().map_or("", |n| n.as_str());
                let played = simulate::call(&ctx, to, &caller_actions(&does));
                // Numbers as people write them.
                let mut call = played.text();
                for number in &played.dialled {
                    call = call.replace(number.as_str(), &crate::phone::written(number));
                }
                Ok((layout::uk_time(instant), call))
            }
        };
        view::TriedCall {
            at: at_text,
            does,
            heard,
        }
    });
    let dot = flow::graph::render(
        &flows,
        line_id,
        flow::graph::Format::Dot,
        flow::graph::Readers::Ops,
    )
    .unwrap_or_default();
    let diagram = console.diagrams.of(dot, render_svg).await;
    Ok(html(view::line(
        session,
        &view::LinePage {
            name: &line.name,
            id: line_id,
            diagram,
            hours,
            depends_on,
            closures,
            special_hours,
            tried,
            notice: notice(console, session).await?,
            problem,
            walk_through: walk_through(&flows, index),
        },
    )))
}

/// The line's steps in the order a caller meets them: from the first step, each step's ways
/// on in turn (breadth first); steps no call reaches from there last, in file order.
pub(super) fn in_call_order(flows: &flow::Flows, line: usize) -> Vec<usize> {
    let this = flows.line(line);
    let mut order = Vec::with_capacity(this.steps.len());
    let mut queue = std::collections::VecDeque::from([this.start]);
    while let Some(at) = queue.pop_front() {
        if at.line != line || order.contains(&at.step) {
            continue;
        }
        order.push(at.step);
        queue.extend(flows.step(at).kind.exits().into_iter().map(|exit| exit.to));
    }
    order.extend(
        (0..this.steps.len())
            .filter(|step| !order.contains(step))
            .collect::<Vec<_>>(),
    );
    order
}

/// The line's steps in words, for the text beside the diagram: each step's title, what it
/// does, and where a caller goes from it.
pub(super) fn walk_through(flows: &flow::Flows, line: usize) -> Vec<view::WalkStep> {
    let title = |at: flow::StepRef| {
        let step = flow::step_title(&flows.step(at).id);
        if at.line == line {
            step
        } else {
            format!("{} (the {})", step, flows.line(at.line).name)
        }
    };
    in_call_order(flows, line)
        .into_iter()
        .map(|index| {
            let at = flow::StepRef { line, step: index };
            let step = flows.step(at);
            let does = match &step.kind {
                flow::StepKind::Say { message, .. } => {
                    format!("Says: “{}”", message.in_words())
                }
                flow::StepKind::Menu(menu) => format!("Asks: “{}”", menu.prompt.in_words()),
                flow::StepKind::Dial(dial) => {
                    format!(
                        "Puts the caller through to {}, ringing for {} seconds.",
                        crate::phone::written(dial.number.as_str()),
                        dial.ring_seconds
                    )
                }
                flow::StepKind::Hours(_) => {
                    // The line whose hours they are, as people know it.
                    let hours = step.schedule.map_or("its line", |s| {
                        flows.schedule_line_name(&flows.schedules[s].name)
                    });
                    format!("Checks whether the {hours} is open now, by its hours.")
                }
                flow::StepKind::Origin { .. } => {
                    "Checks whether the call started on a line open around the clock.".to_owned()
                }
                flow::StepKind::Hangup {
                    message: Some(message),
                } => format!("Says: “{}”, and ends the call.", message.in_words()),
                flow::StepKind::Hangup { message: None } => "Ends the call.".to_owned(),
                flow::StepKind::CallBack { .. } => {
                    "Takes a number for the team to call back, and says from when.".to_owned()
                }
            };
            let mut ways: Vec<(String, String)> = step
                .kind
                .exits()
                .into_iter()
                .map(|exit| (exit.label, title(exit.to)))
                .collect();
            if let flow::StepKind::Dial(_) = step.kind {
                ways.insert(
                    0,
                    (
                        "answered".to_owned(),
                        "the caller talks to that person".to_owned(),
                    ),
                );
            }
            view::WalkStep {
                id: step.id.to_string(),
                title: title(at),
                does,
                ways,
            }
        })
        .collect()
}
