//! The call-back queue's page and its actions: the open requests, oldest first, and the Done
//! list, newest first. Marking a request called back, no answer or closed asks first; closing
//! one offers to reopen it.

use super::*;

pub(super) mod view;

use chrono::Duration;
use ops::CallBackAction;
use store::call_backs::Closing;

/// The time the team aims to call back within, from the line's opening, by default.
pub const DEFAULT_AIM: Duration = Duration::hours(2);

/// How many closed requests the Done list shows (all are kept until they are deleted).
const DONE_SHOWN: i64 = 200;

/// Whether `role` may see a caller's number in full: editors, who make the calls.
pub fn sees_numbers(role: Role) -> bool {
    role == Role::Editor
}

pub(super) async fn call_backs_page(
    State(console): State<Arc<Console>>,
    session: Session,
) -> Result<Response, Denied> {
    let notice = notice(&console, &session).await?;
    let requests = console.store.call_backs(true).await?;
    let mut done = console.store.call_backs_done(DONE_SHOWN + 1).await?;
    let older_not_shown = done.len() > DONE_SHOWN as usize;
    done.truncate(DONE_SHOWN as usize);
    let flows = console.app.flows.load();
    let holidays = console.app.holidays.load();
    let now = console.app.clock.now();
    let aim = console.call_back_aim;
    let rows: Vec<view::Row> = requests
        .iter()
        .map(|r| view::Row::of(r, &session, &flows, &holidays, aim, now))
        .collect();
    let done: Vec<view::DoneRow> = done
        .iter()
        .map(|r| view::DoneRow::of(r, &session, &flows))
        .collect();
    let listed = view::Listed {
        waiting: &rows,
        done: &done,
        older_not_shown,
    };
    Ok(html(view::queue(&session, &listed, aim, notice.as_ref())))
}

/// What a request's buttons send.
#[derive(serde::Deserialize)]
pub(super) struct CallBackForm {
    #[serde(default, deserialize_with = "trimmed")]
    action: String,
    #[serde(default, deserialize_with = "trimmed")]
    note: String,
    #[serde(default)]
    confirmed: String,
}

/// The action a button names.
fn action_named(name: &str) -> Option<CallBackAction> {
    Some(match name {
        "claim" => CallBackAction::Claim,
        "no-answer" => CallBackAction::NoAnswer,
        "called-back" => CallBackAction::Close(Closing::CalledBack),
        "closed" => CallBackAction::Close(Closing::Closed),
        "reopen" => CallBackAction::Reopen,
        _ => return None,
    })
}

pub(super) async fn call_back_action(
    State(console): State<Arc<Console>>,
    UrlPath(id): UrlPath<i64>,
    Change(posted): Change<CallBackForm>,
) -> Response {
    let session = &posted.session;
    let CallBackForm {
        action: name,
        note,
        confirmed,
    } = &posted.form;
    let Some(action) = action_named(name) else {
        return refused(StatusCode::BAD_REQUEST, Some(session), "No such action.");
    };
    // What a tap on a phone could do by mistake is asked first: it takes the request out of
    // the queue, or counts a try. Asked again, with the problem beside the note, if the note
    // a closing needs is missing.
    let asks_first = matches!(action, CallBackAction::NoAnswer | CallBackAction::Close(_));
    let problem = (action.needs_note() && note.is_empty()).then_some(ops::NOTE_NEEDED);
    if asks_first && (!is_yes(confirmed) || problem.is_some()) {
        let shown_problem = problem.filter(|_| is_yes(confirmed));
        let request = match console.store.call_back(id).await {
            Ok(Some(request)) => request,
            Ok(None) => {
                let missing = format!("There is no request for a call back numbered {id}.");
                return refused(StatusCode::NOT_FOUND, Some(session), &missing);
            }
            Err(error) => return not_made(session, &error.into()),
        };
        let asked = view::Asked {
            id,
            action: name,
            named: ops::call_back_named(&request),
            note,
            problem: shown_problem,
        };
        let status = shown_problem.map_or(StatusCode::OK, |_| StatusCode::UNPROCESSABLE_ENTITY);
        return (status, html(view::confirm(session, &asked))).into_response();
    }
    let made = ops::act_on_call_back(&console.store, &session.user, id, action, note).await;
    after_change(&console, session, made, "/call-backs", |done| {
        let said = Notice::said(&done.said);
        match action {
            CallBackAction::Close(_) => said.with_undo(
                "Reopen it",
                &format!("/call-backs/{id}"),
                &[("action", "reopen")],
            ),
            _ => said,
        }
    })
    .await
}
