//! A call back when the Doctor support line is closed: the caller's own number confirmed by its
//! last three digits, or one keyed in, read back and confirmed; kept in the store before the
//! caller hears it was taken, with when to expect the call; one request per number; and
//! nobody dropped when a number is keyed wrongly or the store is down.

use std::sync::Arc;
use std::time::Duration;

use crate::support::*;
use switchboard::server::{self, App};
use switchboard::store::{Store, Switch};

/// Saturday 5 December 2026, 14:00 GMT: the Doctor support line is closed until Monday.
const SATURDAY: &str = "2026-12-05T14:00:00Z";
/// Numbers that the numbering plan has (Ofcom's drama range, CALLER's, is not one a call back
/// could go to): a caller's own, and one keyed in.
const OWN: &str = "+447911123456";
const KEYED: &str = "07911123457";

struct Line {
    app: Arc<App>,
    webhooks: axum::Router,
    store: Store,
    state: tempfile::TempDir,
}

async fn doctor_support_at(now: &str) -> Line {
    let app = Arc::new(app_state(shipped_flows(), now));
    let (store, state) = following_a_store(&app, &shipped_flows_dir()).await;
    Line {
        webhooks: server::router(app.clone()),
        app,
        store,
        state,
    }
}

/// `switchboard ARGS` on the line's store: its output, having succeeded.
fn switchboard(line: &Line, args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(args)
        .args(["--state-dir", line.state.path().to_str().unwrap()])
        .env_remove("SWITCHBOARD_DATABASE_URL")
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
    text(&out.stdout)
}

/// A call to the Doctor support line from `from` that asks for a call back at the closed
/// line's menu.
async fn asking_for_a_call_back(line: &Line, from: &str) -> Call {
    asking_for_a_call_back_on(&line.webhooks, from).await
}

/// As [`asking_for_a_call_back`], on the server `webhooks` routes to.
async fn asking_for_a_call_back_on(webhooks: &axum::Router, from: &str) -> Call {
    let mut call = Call::start_from(webhooks, from, DOCTOR_SUPPORT).await;
    assert!(call.heard().contains("press 2"), "{}", call.heard());
    call.press("2").await;
    call
}

async fn requests(line: &Line) -> Vec<(String, String)> {
    let open = line.store.call_backs(true).await.unwrap();
    open.into_iter().map(|r| (r.number, r.line)).collect()
}

/// The caller is offered counselling next: a menu whose 1 puts them through to a counsellor.
async fn offered_counselling(call: &mut Call) {
    assert!(
        call.heard().contains("press 1 or say counselling"),
        "{}",
        call.heard()
    );
    call.press("1").await;
    assert_eq!(call.dialling().as_deref(), Some(COUNSELLING));
}

#[tokio::test]
async fn a_saturday_caller_confirms_their_own_number_and_hears_mondays_opening() {
    let line = doctor_support_at(SATURDAY).await;
    let mut call = asking_for_a_call_back(&line, OWN).await;
    let offer = call.heard();
    assert!(offer.contains("ending 4, 5, 6"), "{offer}");
    assert!(offer.contains("only to call you back"), "{offer}");
    assert!(
        !offer.contains("7911"),
        "only the last three digits: {offer}"
    );
    call.press("1").await;
    let heard = call.heard();
    assert!(heard.contains("we have your request"), "{heard}");
    assert!(heard.contains("from 9am on Monday 7 December"), "{heard}");
    assert!(heard.contains("dial 999"), "{heard}");
    assert_eq!(
        requests(&line).await,
        [(OWN.to_owned(), "doctor-support".to_owned())]
    );
    offered_counselling(&mut call).await;
}

#[tokio::test]
async fn a_caller_whose_number_is_withheld_keys_one_in_hears_it_read_back_and_confirms() {
    let line = doctor_support_at(SATURDAY).await;
    let mut call = asking_for_a_call_back(&line, "anonymous").await;
    assert!(call.heard().contains("Please key in"), "{}", call.heard());
    let gather = call.gather().unwrap();
    assert_eq!(
        gather.attribute("numDigits"),
        None,
        "a number is ended by #"
    );
    call.press(&format!("{KEYED}#")).await;
    assert!(
        call.heard().contains("You keyed 07911123457."),
        "{}",
        call.heard()
    );
    // Said as a phone number, digit by digit.
    let answer = &call.webhooks.last().unwrap().answer;
    assert!(
        answer.contains("<say-as interpret-as=\"telephone\">07911123457</say-as>"),
        "{answer}"
    );
    assert!(
        requests(&line).await.is_empty(),
        "not kept before it is confirmed"
    );
    call.say("yes").await;
    assert!(
        call.heard().contains("we have your request"),
        "{}",
        call.heard()
    );
    assert_eq!(
        requests(&line).await,
        [("+447911123457".to_owned(), "doctor-support".to_owned())]
    );
}

#[tokio::test]
async fn a_number_keyed_wrongly_twice_goes_on_to_counselling_never_a_hang_up() {
    let line = doctor_support_at(SATURDAY).await;
    let mut call = asking_for_a_call_back(&line, "anonymous").await;
    call.press("12345#").await;
    assert!(
        call.heard().contains("not a UK phone number"),
        "{}",
        call.heard()
    );
    call.press("999#").await;
    let heard = call.heard();
    assert!(heard.contains("We have not taken a request"), "{heard}");
    assert!(!call.hung_up());
    assert!(requests(&line).await.is_empty());
    offered_counselling(&mut call).await;
}

#[tokio::test]
async fn a_silent_caller_is_asked_again_then_goes_on_to_counselling() {
    let line = doctor_support_at(SATURDAY).await;
    let mut call = asking_for_a_call_back(&line, OWN).await;
    call.silence().await;
    assert!(call.heard().contains("ending 4, 5, 6"), "{}", call.heard());
    call.silence().await;
    assert!(
        call.heard().contains("We have not taken a request"),
        "{}",
        call.heard()
    );
    offered_counselling(&mut call).await;
}

#[tokio::test]
async fn a_caller_asking_twice_is_told_it_is_already_held_and_nothing_is_added() {
    let line = doctor_support_at(SATURDAY).await;
    for _ in 0..2 {
        let mut call = asking_for_a_call_back(&line, OWN).await;
        call.press("1").await;
    }
    let mut call = asking_for_a_call_back(&line, OWN).await;
    call.press("1").await;
    assert!(
        call.heard().contains("We already have a request"),
        "{}",
        call.heard()
    );
    assert_eq!(requests(&line).await.len(), 1);
}

#[tokio::test]
async fn during_an_emergency_closure_no_time_is_promised() {
    let line = doctor_support_at("2026-12-07T10:00:00Z").await;
    let mut change = line.store.change("amira").await.unwrap();
    change
        .switch("doctor-support", Switch::Close { note: "flood" })
        .await
        .unwrap();
    change
        .audit("emergency close doctor-support", "flood", "", "")
        .await
        .unwrap();
    let revision = change.commit().await.unwrap();
    assert!(
        line.app
            .store
            .serve_at_least(revision, std::time::Duration::from_secs(3))
            .await
    );
    let mut call = asking_for_a_call_back(&line, OWN).await;
    call.press("1").await;
    let heard = call.heard();
    assert!(heard.contains("we have your request"), "{heard}");
    assert!(heard.contains("cannot yet say when"), "{heard}");
    assert!(!heard.contains("9am"), "{heard}");
}

#[tokio::test]
async fn with_the_store_down_the_caller_is_told_plainly_and_offered_counselling() {
    let line = doctor_support_at(SATURDAY).await;
    let mut call = asking_for_a_call_back(&line, OWN).await;
    line.store.close().await;
    call.press("1").await;
    let heard = call.heard();
    assert!(
        heard.contains("could not take your request for a call back"),
        "{heard}"
    );
    assert!(!heard.contains("we have your request"), "{heard}");
    assert_eq!(
        line.app.metrics.get(
            switchboard::server::metrics::Counter::CallBacks,
            &[("line", "doctor-support"), ("result", "not-taken")],
        ),
        1
    );
    offered_counselling(&mut call).await;
}

#[tokio::test]
async fn the_wellbeing_lines_doctor_support_branch_offers_a_call_back_while_that_line_is_closed() {
    let line = doctor_support_at(SATURDAY).await;
    let mut call = Call::start_from(&line.webhooks, OWN, WELLBEING).await;
    call.press("3").await;
    assert!(
        call.heard().contains("press 2 or say call back"),
        "{}",
        call.heard()
    );
    call.say("call back").await;
    call.press("1").await;
    assert!(
        call.heard().contains("we have your request"),
        "{}",
        call.heard()
    );
    assert_eq!(
        requests(&line).await,
        [(OWN.to_owned(), "doctor-support".to_owned())]
    );
    // Silent from here: a call that started on the 24/7 line still reaches a counsellor.
    call.silence().await;
    call.silence().await;
    assert!(!call.hung_up());
    assert_eq!(call.dialling().as_deref(), Some(COUNSELLING));
}

#[tokio::test]
async fn the_team_lists_requests_masked_unless_asked_and_marks_one_called_back_audited() {
    let line = doctor_support_at(SATURDAY).await;
    let mut call = asking_for_a_call_back(&line, OWN).await;
    call.press("1").await;

    let listed = switchboard(&line, &["callbacks", "list"]);
    assert!(
        listed.contains("+*********456\tdoctor-support\tasked 2026-12-05T14:00:00Z\topen"),
        "{listed}"
    );
    assert!(!listed.contains("7911"), "{listed}");
    let json = switchboard(&line, &["callbacks", "list", "--format", "json"]);
    let rows: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(rows[0]["number"], "+*********456", "{json}");
    assert_eq!(rows[0]["line"], "doctor-support", "{json}");
    let full = switchboard(&line, &["callbacks", "list", "--show-numbers"]);
    assert!(full.contains(OWN), "{full}");

    let id = rows[0]["id"].to_string();
    let done = switchboard(
        &line,
        &["callbacks", "done", &id, "--note", "spoke to them"],
    );
    assert!(done.contains("called back"), "{done}");
    assert!(switchboard(&line, &["callbacks", "list"]).contains("no requests"));
    let all = switchboard(&line, &["callbacks", "list", "--all"]);
    assert!(all.contains("called back"), "{all}");
    let audit = line.store.audit(10).await.unwrap();
    let entry = audit
        .iter()
        .find(|e| e.what == format!("call back {id} called back"))
        .unwrap_or_else(|| panic!("{audit:#?}"));
    assert_eq!(entry.note, "spoke to them");
    assert!(!format!("{entry:?}").contains("7911"), "{entry:?}");
    // Closed, the same number may ask again.
    let mut again = asking_for_a_call_back(&line, OWN).await;
    again.press("1").await;
    assert!(
        again.heard().contains("we have your request"),
        "{}",
        again.heard()
    );
}

#[tokio::test]
async fn a_closed_request_is_deleted_once_kept_long_enough_and_an_open_one_never() {
    let line = doctor_support_at(SATURDAY).await;
    for from in [OWN, "+447911123460"] {
        let mut call = asking_for_a_call_back(&line, from).await;
        call.press("1").await;
    }
    let first = line.store.call_backs(true).await.unwrap()[0].id;
    let closing = switchboard::ops::CallBackAction::Close(
        switchboard::store::call_backs::Closing::CalledBack,
    );
    switchboard::ops::act_on_call_back(&line.store, "amira", first, closing, "done")
        .await
        .unwrap();
    let now = chrono::Utc::now();
    let day = chrono::Duration::days(1);
    // Closed just now: not yet kept 30 days (as if now were 30 days ago's cut-off).
    assert_eq!(
        line.store
            .forget_closed_call_backs(now - day)
            .await
            .unwrap(),
        0
    );
    // Thirty days on, the closed one goes; the open one stays.
    assert_eq!(
        line.store
            .forget_closed_call_backs(now + day)
            .await
            .unwrap(),
        1
    );
    let left = line.store.call_backs(false).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].number, "+447911123460");
}

#[tokio::test]
async fn serve_deletes_requests_closed_longer_ago_than_it_keeps_them() {
    use switchboard::store::call_backs::Closing;
    let state = tempfile::tempdir().unwrap();
    let store = Store::open(&switchboard::store::DatabaseUrl::sqlite_in(state.path()))
        .await
        .unwrap();
    let now = chrono::Utc::now();
    for (number, closed_days_ago) in [("+447911123456", 40), ("+447911123460", 2)] {
        let number = switchboard::phone::E164::parse(number).unwrap();
        store
            .request_call_back(&number, "doctor-support", now)
            .await
            .unwrap();
        let id = store.call_backs(true).await.unwrap()[0].id;
        let mut change = store.change("amira").await.unwrap();
        let closed = now - chrono::Duration::days(closed_days_ago);
        change
            .close_call_back(id, Closing::CalledBack, "amira", "spoke to them", closed)
            .await
            .unwrap();
        change.audit("call back closed", "", "", "").await.unwrap();
        change.commit().await.unwrap();
    }
    // Kept 30 days by default: the one closed 40 days ago goes, the other stays.
    let _server = crate::support::process::Server::start(state.path(), SATURDAY, &[]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let left = store.call_backs(false).await.unwrap();
        if left.len() == 1 {
            assert_eq!(left[0].number, "+447911123460");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never deleted: {left:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The line's store held locked by a writer of its own (a long change, another process) for
/// `held`, while the caller confirms their number: what they hear.
async fn confirming_while_the_store_is_locked_for(
    line: &Line,
    held: std::time::Duration,
) -> String {
    let mut call = asking_for_a_call_back(line, OWN).await;
    let url = switchboard::store::DatabaseUrl::sqlite_in(line.state.path());
    let holder = Store::open(&url).await.unwrap();
    let lock = holder.change("a writer that takes its time").await.unwrap();
    let released = tokio::spawn(async move {
        tokio::time::sleep(held).await;
        drop(lock);
    });
    call.press("1").await;
    released.await.unwrap();
    call.heard()
}

#[tokio::test]
async fn a_call_back_while_the_store_is_locked_past_the_deadline_is_not_kept_as_the_caller_hears() {
    let line = doctor_support_at(SATURDAY).await;
    // Locked past the point where the caller must be answered, and released before SQLite's
    // own wait gives up: the write would go through after the caller heard it had not.
    let heard = confirming_while_the_store_is_locked_for(&line, Duration::from_millis(4500)).await;
    assert!(
        heard.contains("could not take your request for a call back"),
        "{heard}"
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        requests(&line).await,
        [],
        "told it was not kept, yet the store holds it"
    );
}

#[tokio::test]
async fn a_call_back_while_the_store_is_locked_briefly_is_kept_as_the_caller_hears() {
    let line = doctor_support_at(SATURDAY).await;
    let heard = confirming_while_the_store_is_locked_for(&line, Duration::from_millis(800)).await;
    assert!(heard.contains("we have your request"), "{heard}");
    assert_eq!(
        requests(&line).await,
        [(OWN.to_owned(), "doctor-support".to_owned())]
    );
}

/// A server on `pg`'s store, and a Saturday call from `OWN` to the closed Doctor support line
/// that has asked for a call back and is offered its own number to confirm.
async fn offered_a_call_back_on_postgresql(
    pg: &crate::support::postgres::Postgres,
) -> (Store, Call) {
    let url = switchboard::store::DatabaseUrl::parse(&pg.url()).unwrap();
    let app = Arc::new(app_state(shipped_flows(), SATURDAY));
    let store = Store::open(&url).await.unwrap();
    follow(&app, &store, &shipped_flows_dir()).await;
    let call = asking_for_a_call_back_on(&server::router(app), OWN).await;
    (store, call)
}

#[tokio::test]
async fn a_call_back_while_postgresql_is_frozen_then_resumed_is_not_kept_as_the_caller_hears() {
    let pg = crate::support::postgres::Postgres::start();
    let (store, mut call) = offered_a_call_back_on_postgresql(&pg).await;
    // Frozen while the caller confirms, for longer than they can wait, then resumed: every
    // statement sent meanwhile goes through once it is.
    pg.freeze();
    let thaw = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(6)).await;
        pg.thaw();
        pg
    });
    call.press("1").await;
    let heard = call.heard();
    assert!(
        heard.contains("could not take your request for a call back"),
        "{heard}"
    );
    let _pg = thaw.await.unwrap();
    // Whatever was sent is done within a few seconds of the thaw; the store holds what the
    // caller heard: no request.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let held = store.call_backs(false).await.unwrap();
    assert!(
        held.is_empty(),
        "told it was not kept, yet the store holds {held:?}"
    );
}

#[tokio::test]
async fn a_call_back_while_postgresql_holds_the_table_locked_past_the_deadline_is_not_kept() {
    use sqlx::Connection as _;
    let pg = crate::support::postgres::Postgres::start();
    let (store, mut call) = offered_a_call_back_on_postgresql(&pg).await;
    // Another session holds the table past the caller's deadline (a long report, a
    // migration), then lets go: the insert waiting on it then goes through.
    let mut other = sqlx::postgres::PgConnection::connect(&pg.url())
        .await
        .unwrap();
    sqlx::query("BEGIN").execute(&mut other).await.unwrap();
    sqlx::query("LOCK TABLE call_backs IN ACCESS EXCLUSIVE MODE")
        .execute(&mut other)
        .await
        .unwrap();
    let release = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(4500)).await;
        sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    });
    call.press("1").await;
    let heard = call.heard();
    assert!(
        heard.contains("could not take your request for a call back"),
        "{heard}"
    );
    release.await.unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let held = store.call_backs(false).await.unwrap();
    assert!(
        held.is_empty(),
        "told it was not kept, yet the store holds {held:?}"
    );
}
