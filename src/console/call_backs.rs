//! The call-back queue's page and its actions.

use super::*;

pub(super) mod view;

use chrono::Duration;

/// The time the team aims to call back within, from the line's opening, by default.
pub const DEFAULT_AIM: Duration = Duration::hours(2);

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
    let flows = console.app.flows.load();
    let holidays = console.app.holidays.load();
    let now = console.app.clock.now();
    let aim = console.call_back_aim;
    let rows: Vec<view::Row> = requests
        .iter()
        .map(|r| view::Row::of(r, &session, &flows, &holidays, aim, now))
        .collect();
    Ok(html(view::queue(&session, &rows, aim, notice.as_ref())))
}

/// What a request's buttons send.
#[derive(serde::Deserialize)]
pub(super) struct CallBackForm {
    #[serde(default, deserialize_with = "trimmed")]
    action: String,
    #[serde(default, deserialize_with = "trimmed")]
    note: String,
}

pub(super) async fn call_back_action(
    State(console): State<Arc<Console>>,
    UrlPath(id): UrlPath<i64>,
    Change(posted): Change<CallBackForm>,
) -> Response {
    use store::call_backs::Closing;
    let session = &posted.session;
    let CallBackForm { action, note } = &posted.form;
    let action = match action.as_str() {
        "claim" => ops::CallBackAction::Claim,
        "no-answer" => ops::CallBackAction::NoAnswer,
        "called-back" => ops::CallBackAction::Close(Closing::CalledBack),
        "closed" => ops::CallBackAction::Close(Closing::Closed),
        _ => return refused(StatusCode::BAD_REQUEST, Some(session), "No such action."),
    };
    let made = ops::act_on_call_back(&console.store, &session.user, id, action, note).await;
    after_change(&console, session, made, "/call-backs", |done| {
        Notice::said(&done.said)
    })
    .await
}
