//! The ops console, driven in process as a browser would: logins, sessions, CSRF, roles, the
//! emergency switch as callers then hear it, closure days written into the flow file, the
//! audit log, and the flow versions with their roll-back.

use std::net::SocketAddr;
use std::sync::Arc;

use crate::support::*;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use switchboard::console::{self, Console};
use switchboard::server::{self, App};
use switchboard::store::calls::CallRecord;
use switchboard::store::{Role, Store};

/// Wednesday 2 December 2026, 11:00: the Doctor support line is open.
const NOW: &str = "2026-12-02T11:00:00Z";
const EDITOR_PASSWORD: &str = "correct horse battery";
const VIEWER_PASSWORD: &str = "another long password";

struct Setup {
    app: Arc<App>,
    console: axum::Router,
    webhooks: axum::Router,
    store: Store,
    /// How many audit entries the setup itself made.
    setup_changes: usize,
    _state: tempfile::TempDir,
    flows: tempfile::TempDir,
}

/// The audit log, oldest first, of the changes made since the setup (its own, publishing the
/// flows and adding the users, left out).
async fn audit_log(s: &Setup) -> Vec<switchboard::store::AuditEntry> {
    let mut entries = s.store.audit(1000).await.unwrap();
    entries.reverse();
    entries.drain(..s.setup_changes);
    entries
}

async fn setup(secure: bool) -> Setup {
    setup_edited(secure, |_, text| text.to_owned()).await
}

/// [`setup`], with each shipped flow file (its name, its text) edited first.
async fn setup_edited(secure: bool, edit: impl Fn(&str, &str) -> String) -> Setup {
    let flows = tempfile::tempdir().unwrap();
    for name in ["wellbeing.toml", "doctor-support.toml"] {
        let text = std::fs::read_to_string(shipped_flows_dir().join(name)).unwrap();
        std::fs::write(flows.path().join(name), edit(name, &text)).unwrap();
    }
    let loaded = switchboard::check::load_dir(flows.path()).unwrap();
    let app = Arc::new(app_state(loaded, NOW));
    let (store, state) = following_a_store(&app, flows.path()).await;
    add_user(&store, "amira", Role::Editor, EDITOR_PASSWORD).await;
    add_user(&store, "ben", Role::Viewer, VIEWER_PASSWORD).await;
    let console = console::router(Arc::new(Console::new(app.clone(), store.clone(), secure)));
    Setup {
        webhooks: server::router(app.clone()),
        app,
        console,
        setup_changes: store.audit(1000).await.unwrap().len(),
        store,
        _state: state,
        flows,
    }
}

struct Answer {
    status: StatusCode,
    location: String,
    cookie: String,
    body: String,
}

/// Sends a request from `from`, as the console's listener gives it the peer's address.
async fn send(router: &axum::Router, mut request: Request<Body>, from: &str) -> Answer {
    let peer: SocketAddr = format!("{from}:50000").parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(peer));
    let reply = crate::support::send_raw(router, request).await;
    let header = |name| {
        reply
            .headers()
            .get(name)
            .map_or(String::new(), |v| v.to_str().unwrap().to_owned())
    };
    let location = header(header::LOCATION);
    let cookies = reply.headers().get_all(header::SET_COOKIE).iter();
    let cookie = crate::support::set_cookie(cookies.map(|v| v.to_str().unwrap()));
    let status = reply.status();
    let body = crate::support::body_text(reply).await;
    Answer {
        status,
        location,
        cookie,
        body,
    }
}

async fn get(router: &axum::Router, path: &str, cookie: &str) -> Answer {
    let request = Request::get(path)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap();
    send(router, request, "192.0.2.1").await
}

async fn post_form(
    router: &axum::Router,
    path: &str,
    cookie: &str,
    fields: &[(&str, &str)],
) -> Answer {
    let request = Request::post(path)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form(fields)))
        .unwrap();
    send(router, request, "192.0.2.1").await
}

/// Logs in as a browser does: the form first (its cookie and token), then the post.
async fn log_in_from(router: &axum::Router, user: &str, password: &str, from: &str) -> Answer {
    let page = get(router, "/login", "").await;
    let (cookie, token) = crate::support::login_form_token(&page.cookie, &page.body);
    let request = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookie)
        .body(Body::from(form(&[
            ("login", &token),
            ("username", user),
            ("password", password),
        ])))
        .unwrap();
    send(router, request, from).await
}

/// Logs in: the Cookie header to send, and the session's CSRF token from a page's forms.
async fn log_in(router: &axum::Router, user: &str, password: &str) -> (String, String) {
    let answer = log_in_from(router, user, password, "192.0.2.1").await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let cookie = answer.cookie.split(';').next().unwrap().to_owned();
    let page = get(router, "/", &cookie).await;
    let csrf = page
        .body
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("every page has the log-out form's token")
        .to_owned();
    (cookie, csrf)
}

/// Closes or opens the Doctor support schedule from the console, confirmed, with `csrf` (""
/// for none).
async fn throw_switch(
    router: &axum::Router,
    cookie: &str,
    csrf: &str,
    action: &str,
    note: &str,
) -> Answer {
    let mut fields = vec![
        ("schedule", "doctor-support"),
        ("action", action),
        ("note", note),
        ("confirmed", "yes"),
    ];
    if !csrf.is_empty() {
        fields.push(("csrf", csrf));
    }
    post_form(router, "/emergency", cookie, &fields).await
}

/// Adds or removes (confirmed) a one-off day of the Doctor support schedule from its line's
/// page, in the session (cookie, CSRF token) given.
async fn edit_day(
    router: &axum::Router,
    session: (&str, &str),
    list: &str,
    action: &str,
    date: &str,
    value: &str,
) -> Answer {
    post_day(router, session, [list, action, date, value], "yes").await
}

/// Asks for a change to the Doctor support line's days: the question, not yet confirmed.
async fn ask_day(
    router: &axum::Router,
    session: (&str, &str),
    list: &str,
    action: &str,
    date: &str,
    value: &str,
) -> Answer {
    post_day(router, session, [list, action, date, value], "").await
}

/// Posts the Doctor support line's days form: the list, action, date and value, confirmed
/// ("yes") or not ("").
async fn post_day(
    router: &axum::Router,
    session: (&str, &str),
    [list, action, date, value]: [&str; 4],
    confirmed: &str,
) -> Answer {
    post_day_with_reason(router, session, [list, action, date, value, ""], confirmed).await
}

/// [`post_day`], with special hours' reason.
async fn post_day_with_reason(
    router: &axum::Router,
    (cookie, csrf): (&str, &str),
    [list, action, date, value, reason]: [&str; 5],
    confirmed: &str,
) -> Answer {
    let fields = [
        ("csrf", csrf),
        ("line", "doctor-support"),
        ("schedule", "doctor-support"),
        ("list", list),
        ("action", action),
        ("date", date),
        ("value", value),
        ("reason", reason),
        ("confirmed", confirmed),
    ];
    post_form(router, "/days", cookie, &fields).await
}

async fn doctor_support_answer(webhooks: &axum::Router) -> String {
    Call::start(webhooks, DOCTOR_SUPPORT).await.heard()
}

#[tokio::test]
async fn an_editor_closes_the_line_callers_hear_it_and_it_is_audited() {
    let s = setup(false).await;
    let (cookie, csrf) = log_in(&s.console, "amira", EDITOR_PASSWORD).await;
    let dashboard = get(&s.console, "/", &cookie).await;
    assert!(
        dashboard.body.contains("Doctor support line"),
        "{}",
        dashboard.body
    );
    assert!(dashboard.body.contains("OPEN"), "{}", dashboard.body);
    assert!(
        !doctor_support_answer(&s.webhooks)
            .await
            .contains("had to close")
    );

    let closed = throw_switch(
        &s.console,
        &cookie,
        &csrf,
        "close",
        "fire alarm at the office",
    )
    .await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER, "{}", closed.body);
    assert!(s.app.emergencies.load().is_closed("doctor-support"));
    assert!(
        doctor_support_answer(&s.webhooks)
            .await
            .contains("had to close")
    );
    // The store the other servers read says so too.
    let switch = s.store.emergencies().await.unwrap();
    assert_eq!(
        switch.get("doctor-support").unwrap().note,
        "fire alarm at the office"
    );
    let dashboard = get(&s.console, "/", &cookie).await;
    assert!(
        dashboard.body.contains("the emergency switch closes it"),
        "{}",
        dashboard.body
    );

    let reopened = throw_switch(&s.console, &cookie, &csrf, "open", "").await;
    assert_eq!(reopened.status, StatusCode::SEE_OTHER);
    assert!(
        !doctor_support_answer(&s.webhooks)
            .await
            .contains("had to close")
    );

    let entries = audit_log(&s).await;
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert_eq!(entries[0].who, "amira");
    assert_eq!(
        entries[0].what,
        "closed the Doctor support line with the emergency switch"
    );
    assert_eq!(entries[0].note, "fire alarm at the office");
    assert_eq!(entries[0].before, "nothing closed");
    assert!(
        entries[0]
            .after
            .contains("the Doctor support line: closed (fire alarm at the office)")
    );
    assert_eq!(
        entries[1].what,
        "reopened the Doctor support line with the emergency switch"
    );
    let page = get(&s.console, "/audit", &cookie).await;
    assert!(
        page.body.contains("fire alarm at the office"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn todays_calls_on_the_dashboard_come_from_every_servers_records_in_the_store() {
    let s = setup(false).await;
    // Two calls today (NOW is Wednesday 2 December 2026), one answered; one yesterday.
    let mut records = a_call(1, "wellbeing", "2026-12-02T09:15:00Z", Some(40));
    records.extend(a_call(2, "wellbeing", "2026-12-02T10:05:00Z", None));
    records.extend(a_call(3, "wellbeing", "2026-12-01T10:05:00Z", None));
    s.store.record_calls(&records).await.unwrap();
    let (cookie, _) = log_in(&s.console, "ben", VIEWER_PASSWORD).await;
    let dashboard = get(&s.console, "/", &cookie).await;
    assert!(
        dashboard.body.contains(
            "Today: 2 calls: 1 reached a person, 0 asked for a call back, 0 ended by the line, 1 hung up before reaching a person. 0 rang while it was closed."
        ),
        "{}",
        dashboard.body
    );
    assert!(
        dashboard.body.contains("Today: 0 calls. "),
        "{}",
        dashboard.body
    );
}

#[tokio::test]
async fn every_page_and_change_is_refused_without_a_good_session() {
    let s = setup(false).await;
    // No session, or a forged one: every page leads to the login.
    for cookie in [
        "",
        "switchboard_console=forged",
        &format!("switchboard_console={}", "0".repeat(64)),
    ] {
        for path in ["/", "/audit", "/history", "/lines/doctor-support"] {
            let answer = get(&s.console, path, cookie).await;
            assert_eq!(
                answer.status,
                StatusCode::SEE_OTHER,
                "{path} with {cookie:?}"
            );
            assert_eq!(answer.location, "/login");
        }
        let answer = throw_switch(&s.console, cookie, "", "close", "x").await;
        assert_eq!(answer.location, "/login");
    }
    // A wrong password starts no session.
    let wrong = log_in_from(&s.console, "amira", "not the password", "192.0.2.7").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(
        !wrong.cookie.starts_with(console::auth::COOKIE),
        "{}",
        wrong.cookie
    );
    assert!(wrong.body.contains("Wrong user name or password"));

    let (cookie, csrf) = log_in(&s.console, "amira", EDITOR_PASSWORD).await;
    // A change without the CSRF token, or with another one.
    for token in ["", "0123"] {
        let answer = throw_switch(&s.console, &cookie, token, "close", "x").await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
    }
    // A viewer may look but not change.
    let (viewer, viewer_csrf) = log_in(&s.console, "ben", VIEWER_PASSWORD).await;
    assert_eq!(get(&s.console, "/", &viewer).await.status, StatusCode::OK);
    let answer = throw_switch(&s.console, &viewer, &viewer_csrf, "close", "x").await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(
        !get(&s.console, "/", &viewer)
            .await
            .body
            .contains("Close doctor-support now")
    );
    assert!(!s.app.emergencies.load().is_closed("doctor-support"));
    // After logout the session is over.
    let out = post_form(&s.console, "/logout", &cookie, &[("csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(out.cookie.contains("Max-Age=0"), "{}", out.cookie);
    assert_eq!(get(&s.console, "/", &cookie).await.location, "/login");
    let answer = throw_switch(&s.console, &cookie, &csrf, "close", "x").await;
    assert_eq!(answer.location, "/login");
    assert!(!s.app.emergencies.load().is_closed("doctor-support"));
    // And the webhook listener never serves the console.
    let answer = get(&s.webhooks, "/login", "").await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_session_cookie_is_http_only_strict_and_secure_over_https() {
    for secure in [false, true] {
        let s = setup(secure).await;
        let answer = log_in_from(&s.console, "amira", EDITOR_PASSWORD, "192.0.2.1").await;
        assert!(answer.cookie.contains("HttpOnly"), "{}", answer.cookie);
        assert!(
            answer.cookie.contains("SameSite=Strict"),
            "{}",
            answer.cookie
        );
        assert_eq!(
            answer.cookie.contains("Secure"),
            secure,
            "{}",
            answer.cookie
        );
    }
}

#[tokio::test]
async fn wrong_passwords_lock_that_user_from_that_address_and_no_other() {
    let s = setup(false).await;
    let mut statuses = Vec::new();
    for _ in 0..7 {
        statuses.push(
            log_in_from(&s.console, "amira", "guess", "198.51.100.9")
                .await
                .status,
        );
    }
    assert_eq!(
        statuses.last(),
        Some(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    // Even the right password is refused from there while the lock holds...
    let right = log_in_from(&s.console, "amira", EDITOR_PASSWORD, "198.51.100.9").await;
    assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        !right.cookie.starts_with(console::auth::COOKIE),
        "{}",
        right.cookie
    );
    // ...but not from another address.
    let elsewhere = log_in_from(&s.console, "amira", EDITOR_PASSWORD, "192.0.2.1").await;
    assert_eq!(elsewhere.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn sixty_wrong_passwords_at_once_are_checked_at_most_six_times() {
    let s = setup(false).await;
    // All sixty in flight at once, interleaved at every wait on the store.
    let local = tokio::task::LocalSet::new();
    let statuses = local
        .run_until(async {
            let tries: Vec<_> = (0..60)
                .map(|_| {
                    let console = s.console.clone();
                    tokio::task::spawn_local(async move {
                        log_in_from(&console, "amira", "a wrong guess", "198.51.100.20")
                            .await
                            .status
                    })
                })
                .collect();
            let mut statuses = Vec::new();
            for attempt in tries {
                statuses.push(attempt.await.unwrap());
            }
            statuses
        })
        .await;
    let mut checked = 0;
    for status in statuses {
        match status {
            StatusCode::UNAUTHORIZED => checked += 1,
            StatusCode::TOO_MANY_REQUESTS => {}
            other => panic!("{other}"),
        }
    }
    assert!((1..=6).contains(&checked), "{checked} passwords checked");
    // And the right one is locked out from there too.
    let right = log_in_from(&s.console, "amira", EDITOR_PASSWORD, "198.51.100.20").await;
    assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_login_form_posted_from_elsewhere_is_refused() {
    let s = setup(false).await;
    // No form token at all, as a page on another site would post it.
    let request = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form(&[
            ("username", "amira"),
            ("password", EDITOR_PASSWORD),
        ])))
        .unwrap();
    let answer = send(&s.console, request, "192.0.2.1").await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
    assert!(
        answer.body.contains("did not come from this console"),
        "{}",
        answer.body
    );
    // A token in the form that is not the cookie's.
    let page = get(&s.console, "/login", "").await;
    let (cookie, _) = login_form_token(&page.cookie, &page.body);
    let request = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookie)
        .body(Body::from(form(&[
            ("login", "0123456789abcdef"),
            ("username", "amira"),
            ("password", EDITOR_PASSWORD),
        ])))
        .unwrap();
    let answer = send(&s.console, request, "192.0.2.1").await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
    assert!(!answer.cookie.starts_with(console::auth::COOKIE));
}

#[tokio::test]
async fn a_closure_day_is_kept_in_the_store_not_the_flow_file_in_force_at_once_and_audited() {
    let s = setup(false).await;
    let (cookie, csrf) = log_in(&s.console, "amira", EDITOR_PASSWORD).await;
    let file = s.flows.path().join("doctor-support.toml");
    let original = std::fs::read_to_string(&file).unwrap();
    let added = edit_day(
        &s.console,
        (&cookie, &csrf),
        "closure",
        "add",
        "2026-12-02",
        "the office is closed for staff training",
    )
    .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    // Ops' run-time changes never write flow files.
    assert_eq!(std::fs::read_to_string(&file).unwrap(), original);
    // In force at once: callers today hear the reason.
    assert!(
        doctor_support_answer(&s.webhooks)
            .await
            .contains("staff training")
    );
    let line = get(&s.console, "/lines/doctor-support", &cookie).await;
    assert!(
        line.body
            .contains("Wednesday 2 December 2026: the office is closed for staff training"),
        "{}",
        line.body
    );
    // A day already closed is refused, and changes nothing.
    let again = edit_day(
        &s.console,
        (&cookie, &csrf),
        "closure",
        "add",
        "2026-12-02",
        "twice",
    )
    .await;
    // Said on the line's page, beside the form (see the form error test).
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    let audit = audit_log(&s).await;
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(
        audit[0].what,
        "closure day added to the Doctor support line for Wednesday 2 December 2026"
    );
    assert_eq!(audit[0].before, "no days added at run time");
    assert_eq!(
        audit[0].after,
        "Wednesday 2 December 2026, closure day: the office is closed for staff training"
    );
    // Special hours on a bank holiday would never apply: refused, saying why.
    let refused = edit_day(
        &s.console,
        (&cookie, &csrf),
        "special_hours",
        "add",
        "2026-12-28",
        "10:00-12:00",
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .body
            .contains("Monday 28 December 2026 is a bank holiday"),
        "{}",
        refused.body
    );
    // On an ordinary day they are taken, and can be removed again.
    let taken = edit_day(
        &s.console,
        (&cookie, &csrf),
        "special_hours",
        "add",
        "2026-12-31",
        "09:00-13:00",
    )
    .await;
    assert_eq!(taken.status, StatusCode::SEE_OTHER, "{}", taken.body);
    let line = get(&s.console, "/lines/doctor-support", &cookie).await;
    assert!(
        line.body.contains("Thursday 31 December 2026: 9am to 1pm"),
        "{}",
        line.body
    );
    let removed = edit_day(
        &s.console,
        (&cookie, &csrf),
        "special_hours",
        "remove",
        "2026-12-31",
        "",
    )
    .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{}", removed.body);
    assert_eq!(audit_log(&s).await.len(), 3);
}

#[tokio::test]
async fn a_roll_back_from_the_console_puts_an_earlier_version_in_force_and_is_audited() {
    let s = setup(false).await;
    let (cookie, csrf) = log_in(&s.console, "amira", EDITOR_PASSWORD).await;
    let first_version = s.app.flows.load().version.clone();
    // A second version published, as a changed flow file on any server would be.
    let edited = edited_flows("wellbeing.toml", |t| {
        t.replace(COUNSELLING, "+442079460199")
    });
    let set = switchboard::server::reload::read_checked(edited.path()).unwrap();
    let second_version = set.flows.version.clone();
    let revision = switchboard::server::reload::publish(&s.store, &set, "test", "an edit")
        .await
        .unwrap();
    assert!(
        s.app
            .store
            .serve_at_least(revision, std::time::Duration::from_secs(3))
            .await
    );
    assert_eq!(s.app.flows.load().version, second_version);
    // Versions are numbered in the order they were published: people's names, not hashes.
    let number = |version: &String| {
        let store = s.store.clone();
        let version = version.clone();
        async move { store.version_number(&version).await.unwrap().unwrap() }
    };
    let (first, second) = (number(&first_version).await, number(&second_version).await);
    assert_eq!(second, first + 1);
    let history = get(&s.console, "/history", &cookie).await;
    assert!(
        history.body.contains(&format!("Version {first}, from "))
            && history
                .body
                .contains(&format!("Version {second} (in force)")),
        "{}",
        history.body
    );
    let diff = get(
        &s.console,
        &format!("/history?from={first_version}&to={second_version}"),
        &cookie,
    )
    .await;
    assert!(diff.body.contains("+442079460199"), "{}", diff.body);
    // Asked first: what callers hear now and after, line by line; nothing changes yet.
    let asked = post_form(
        &s.console,
        "/history/rollback",
        &cookie,
        &[("csrf", &csrf), ("version", &first_version)],
    )
    .await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert!(
        asked
            .body
            .contains(&format!("Put version {first} back in force?")),
        "{}",
        asked.body
    );
    // What changes, in people's terms, numbers as people write them; the files one click away.
    assert!(
        asked.body.contains(
            "<li>Wellbeing support line: the number “Counselling” puts callers through to changes from 020 7946 0199 to 020 7946 0101</li>"
        ),
        "{}",
        asked.body
    );
    assert!(
        asked.body.contains(&format!(
            "href=\"/history?from={second_version}&amp;to={first_version}\">The files' difference, for engineers</a>"
        )),
        "{}",
        asked.body
    );
    assert!(
        asked.body.contains("Wellbeing support line"),
        "{}",
        asked.body
    );
    assert!(
        asked
            .body
            .contains("The same as now (what changes is further into the call"),
        "{}",
        asked.body
    );
    assert_eq!(s.app.flows.load().version, second_version);
    let confirmed = |note: &'static str| {
        let (console, cookie, csrf, version) = (&s.console, &cookie, &csrf, &first_version);
        async move {
            let fields = [
                ("csrf", csrf.as_str()),
                ("version", version.as_str()),
                ("note", note),
                ("confirmed", "yes"),
            ];
            post_form(console, "/history/rollback", cookie, &fields).await
        }
    };
    // Without a reason: asked again on the same page, beside the field; nothing changes.
    let unsaid = confirmed("  ").await;
    assert_eq!(unsaid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unsaid.body.contains("id=\"note-problem\""),
        "{}",
        unsaid.body
    );
    assert!(unsaid.body.contains("Say why"), "{}", unsaid.body);
    assert_eq!(s.app.flows.load().version, second_version);
    let back = confirmed("the new number is not staffed yet").await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.body);
    assert_eq!(s.app.flows.load().version, first_version);
    let history = get(&s.console, "/history", &cookie).await;
    assert_eq!(
        history.body.matches("(in force)").count(),
        1,
        "{}",
        history.body
    );
    // Each version is listed once; the one in force again says when it was in force before,
    // and does not offer to put itself back.
    let rows = &history.body[history.body.find("<tbody>").unwrap()..];
    assert_eq!(rows.matches("<tr>").count(), 2, "{rows}");
    assert_eq!(
        rows.matches(&format!("<td>Version {first} (in force)</td>"))
            .count(),
        1,
        "{rows}"
    );
    assert!(rows.contains("(and before: "), "{rows}");
    assert!(
        !history
            .body
            .contains(&format!("Roll back to version {first}<")),
        "{}",
        history.body
    );
    assert!(
        history
            .body
            .contains(&format!("Roll back to version {second}<")),
        "{}",
        history.body
    );
    let audit = audit_log(&s).await;
    assert!(
        audit.iter().any(
            |e| e.what == format!("call flows rolled back to version {first}")
                && e.who == "amira"
                && e.before == format!("version {second}")
                && e.after == format!("version {first}")
        ),
        "{audit:?}"
    );
}

#[tokio::test]
async fn a_line_page_shows_its_hours_and_plays_a_call() {
    let s = setup(false).await;
    let (cookie, _) = log_in(&s.console, "ben", VIEWER_PASSWORD).await;
    let page = get(
        &s.console,
        "/lines/doctor-support?at=2026-12-25T10:00:00Z&keys=",
        &cookie,
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Christmas Day"), "{}", page.body);
    assert!(page.body.contains("Opening hours, the next 14 days"));
    // Its diagram, drawn on the server (by Graphviz, or by layout-rs where it is not installed).
    assert!(
        page.body
            .contains("aria-label=\"The call flow of the Doctor support line\"><svg"),
        "{}",
        page.body
    );
    // A viewer sees no form that changes anything.
    assert!(!page.body.contains("Add the closure day"));
    assert_eq!(
        get(&s.console, "/lines/no-such-line", &cookie).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_login_never_logs_a_password_even_one_typed_as_the_name() {
    let state = tempfile::tempdir().unwrap();
    {
        let url = switchboard::store::DatabaseUrl::sqlite_in(state.path());
        let store = Store::open(&url).await.unwrap();
        add_user(&store, "amira", Role::Editor, EDITOR_PASSWORD).await;
    }
    let admin = crate::support::process::free_address();
    let server = crate::support::process::Server::start_in(
        &shipped_flows_dir(),
        state.path(),
        NOW,
        &["--admin-listen", &admin.to_string()],
        &[("RUST_LOG", "info")],
    );
    let site = crate::support::process::ConsoleSite::at(admin);
    for (name, password) in [
        (EDITOR_PASSWORD, EDITOR_PASSWORD),
        ("amira", "a wrong password here"),
        ("amira", EDITOR_PASSWORD),
    ] {
        let status = site.try_log_in(name, password).await.status;
        assert!(status == 303 || status == 401, "{status}");
    }
    let logs = server.logs();
    assert!(logs.contains("console login refused"), "{logs}");
    assert!(logs.contains("console login"), "{logs}");
    assert!(!logs.contains(EDITOR_PASSWORD), "{logs}");
    assert!(!logs.contains("a wrong password here"), "{logs}");
}

#[tokio::test]
async fn the_call_back_queue_is_claimed_tried_and_closed_editors_see_numbers_viewers_do_not() {
    let s = setup(false).await;
    let number = switchboard::phone::E164::parse("+447911123456").unwrap();
    // Asked for on Saturday 28 November: due at 11am on Monday 30 November (9am, plus two hours).
    s.store
        .request_call_back(&number, "doctor-support", instant("2026-11-28T14:00:00Z"))
        .await
        .unwrap();
    let (cookie, csrf) = log_in(&s.console, "amira", EDITOR_PASSWORD).await;
    let queue = get(&s.console, "/call-backs", &cookie).await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.body);
    // The number as people write it, a link that dials on a phone.
    assert!(
        queue
            .body
            .contains(r#"<a href="tel:+447911123456">07911 123456</a>"#),
        "{}",
        queue.body
    );
    assert!(queue.body.contains("Doctor support line"), "{}", queue.body);
    assert!(
        queue
            .body
            .contains("Asked for Saturday 28 November 2026, 2:00pm"),
        "{}",
        queue.body
    );
    assert!(
        queue
            .body
            .contains("Monday 30 November 2026, 11:00am: 48 hours overdue"),
        "{}",
        queue.body
    );
    let id = s.store.call_backs(true).await.unwrap()[0].id.to_string();
    // `confirmed` is "yes" once the question asked first is answered.
    let act_as = |action: &'static str, note: &'static str, confirmed: &'static str| {
        let path = format!("/call-backs/{id}");
        let (console, cookie, csrf) = (s.console.clone(), cookie.clone(), csrf.clone());
        let fields = [
            ("csrf", csrf),
            ("action", action.to_owned()),
            ("note", note.to_owned()),
            ("confirmed", confirmed.to_owned()),
        ];
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post_form(&console, &path, &cookie, &fields).await
        }
    };
    let act = |action: &'static str, note: &'static str| act_as(action, note, "yes");
    assert_eq!(act("claim", "").await.status, StatusCode::SEE_OTHER);
    // Ben, a viewer, sees who has it, and only the number's last three digits.
    let (ben, _) = log_in(&s.console, "ben", VIEWER_PASSWORD).await;
    let seen = get(&s.console, "/call-backs", &ben).await;
    assert!(seen.body.contains("Being called by"), "{}", seen.body);
    assert!(seen.body.contains("amira"), "{}", seen.body);
    assert!(seen.body.contains("number ending 456"), "{}", seen.body);
    assert!(!seen.body.contains("7911123"), "{}", seen.body);
    assert!(!seen.body.contains("07911"), "{}", seen.body);
    assert!(!seen.body.contains("tel:"), "{}", seen.body);
    assert!(
        seen.body.contains("You can look but not change anything"),
        "{}",
        seen.body
    );

    let unanswered = act("no-answer", "rang out").await;
    assert_eq!(
        unanswered.status,
        StatusCode::SEE_OTHER,
        "{}",
        unanswered.body
    );
    let queue = get(&s.console, "/call-backs", &cookie).await;
    assert!(
        queue.body.contains("Calls that found nobody: 1"),
        "{}",
        queue.body
    );
    assert!(
        queue.body.contains("Nobody has taken it on yet"),
        "{}",
        queue.body
    );
    // Marking it called back asks first, in words, and changes nothing until confirmed.
    let asked = act_as("called-back", "", "").await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert!(
        asked
            .body
            .contains("Mark the request from the number ending 456 as called back?"),
        "{}",
        asked.body
    );
    assert_eq!(s.store.call_backs(true).await.unwrap().len(), 1);
    // Confirmed without the note it needs: asked again, the problem beside the note field.
    let no_note = act("called-back", "").await;
    assert_eq!(no_note.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        no_note.body.contains(r#"id="note-problem""#),
        "{}",
        no_note.body
    );
    assert!(no_note.body.contains("the note is for the next person"));
    assert_eq!(s.store.call_backs(true).await.unwrap().len(), 1);
    let marked = act("called-back", "spoke to them").await;
    assert_eq!(marked.status, StatusCode::SEE_OTHER);
    let queue = get(&s.console, "/call-backs", &cookie).await;
    assert!(queue.body.contains("Nobody is waiting"), "{}", queue.body);
    // The notice offers the opposite, and the Done list keeps who did what and when.
    assert!(
        queue
            .body
            .contains("Marked as called back: the request from the number ending 456."),
        "{}",
        queue.body
    );
    assert!(queue.body.contains("Reopen it"), "{}", queue.body);
    let done = queue.body.split(r#"id="done""#).nth(1).unwrap();
    assert!(done.contains("Called back</strong> by amira"), "{done}");
    assert!(done.contains("Note: spoke to them"), "{done}");
    // Undone: back in the queue; then called back again.
    assert_eq!(act_as("reopen", "", "").await.status, StatusCode::SEE_OTHER);
    assert_eq!(s.store.call_backs(true).await.unwrap().len(), 1);
    assert_eq!(
        act("called-back", "spoke at last").await.status,
        StatusCode::SEE_OTHER
    );
    let done = s.store.call_backs_done(10).await.unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!(
        (done[0].closed_by.as_deref(), done[0].note.as_deref()),
        (Some("amira"), Some("spoke at last"))
    );

    let whats: Vec<String> = audit_log(&s).await.into_iter().map(|e| e.what).collect();
    assert_eq!(
        whats,
        [
            format!("call back {id} claimed"),
            format!("call back {id} no answer"),
            format!("call back {id} called back"),
            format!("call back {id} reopened"),
            format!("call back {id} called back"),
        ]
    );
    let audit = format!("{:?}", audit_log(&s).await);
    assert!(!audit.contains("7911123"), "{audit}");
}

#[tokio::test]
async fn every_console_answer_forbids_script_framing_sniffing_and_caching() {
    let s = setup(false).await;
    let (cookie, _) = log_in(&s.console, "amira", EDITOR_PASSWORD).await;
    let requests = [
        Request::get("/login").body(Body::empty()).unwrap(),
        Request::get("/")
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .unwrap(),
        Request::get("/call-backs")
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .unwrap(),
        // A redirect to the login page, and a refusal.
        Request::get("/audit").body(Body::empty()).unwrap(),
        Request::post("/emergency")
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .unwrap(),
    ];
    for request in requests {
        let path = request.uri().to_string();
        let mut request = request;
        request.extensions_mut().insert(ConnectInfo(
            "192.0.2.1:50000".parse::<SocketAddr>().unwrap(),
        ));
        let reply = crate::support::send_raw(&s.console, request).await;
        let header = |name: &str| {
            reply
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default()
        };
        let policy = header("content-security-policy");
        assert!(policy.contains("default-src 'none'"), "{path}: {policy}");
        assert!(
            policy.contains("frame-ancestors 'none'"),
            "{path}: {policy}"
        );
        assert!(!policy.contains("script-src"), "{path}: {policy}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header("cache-control"), "no-store", "{path}");
        assert_eq!(header("x-frame-options"), "DENY", "{path}");
    }
}

#[tokio::test]
async fn a_notice_comes_only_from_the_server_once_and_never_from_a_link() {
    let s = setup(false).await;
    let (cookie, csrf) = log_in(&s.console, "amira", EDITOR_PASSWORD).await;
    // A crafted link cannot make the console say anything.
    for path in [
        "/?done=The%20line%20is%20safe%3A%20Done",
        "/lines/doctor-support?done=The%20line%20is%20safe%3A%20Done",
        "/call-backs?done=The%20line%20is%20safe%3A%20Done",
    ] {
        let page = get(&s.console, path, &cookie).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(
            !page.body.contains("The line is safe"),
            "{path}: {}",
            page.body
        );
    }
    // A change made: its page says so, once.
    let closed = throw_switch(&s.console, &cookie, &csrf, "close", "fire alarm").await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER, "{}", closed.body);
    assert_eq!(closed.location, "/");
    let page = get(&s.console, "/", &cookie).await;
    assert!(
        page.body
            .contains("role=\"status\"><p>The Doctor support line is closed from "),
        "{}",
        page.body
    );
    // With its undo, which asks first like any change.
    assert!(page.body.contains(">Reopen it</button>"), "{}", page.body);
    let again = get(&s.console, "/", &cookie).await;
    assert!(!again.body.contains("role=\"status\""), "{}", again.body);
}

#[tokio::test]
async fn a_viewer_is_told_on_every_page_they_can_look_but_not_change_and_finds_no_dead_controls() {
    let s = setup(false).await;
    let (cookie, _) = log_in(&s.console, "ben", VIEWER_PASSWORD).await;
    for path in [
        "/",
        "/lines/doctor-support",
        "/lines/wellbeing",
        "/audit",
        "/history",
        "/call-backs",
    ] {
        let page = get(&s.console, path, &cookie).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(
            page.body.contains(switchboard::console::layout::READ_ONLY),
            "{path}: {}",
            page.body
        );
        // The only form that posts is the way out.
        let posting = page.body.matches("method=\"post\"").count();
        assert_eq!(posting, 1, "{path}: {}", page.body);
    }
    // An editor is not told so.
    let (editor, _) = log_in(&s.console, "amira", EDITOR_PASSWORD).await;
    let page = get(&s.console, "/", &editor).await;
    assert!(!page.body.contains(switchboard::console::layout::READ_ONLY));
}

#[tokio::test]
async fn each_line_page_is_about_that_line_and_says_in_words_which_other_line_it_tells_of() {
    let s = setup(false).await;
    let (cookie, _) = log_in(&s.console, "amira", EDITOR_PASSWORD).await;
    let wellbeing = get(&s.console, "/lines/wellbeing", &cookie).await;
    assert!(
        wellbeing.body.contains("It answers around the clock."),
        "{}",
        wellbeing.body
    );
    assert!(
        wellbeing.body.contains(
            "This line tells its callers whether the <a href=\"/lines/doctor-support\">Doctor support line</a> is open"
        ),
        "{}",
        wellbeing.body
    );
    // No form here changes the Doctor support line's days, and no Doctor support hours.
    assert!(
        !wellbeing.body.contains("action=\"/days\""),
        "{}",
        wellbeing.body
    );
    assert!(
        !wellbeing.body.contains("<td>9am to 5pm</td>"),
        "{}",
        wellbeing.body
    );
    let doctor_support = get(&s.console, "/lines/doctor-support", &cookie).await;
    assert!(doctor_support.body.contains("action=\"/days\""));
    // Its hours in words, day by day: no ISO dates, 24-hour clocks or schedule ids.
    let body = &doctor_support.body;
    assert!(
        body.contains("<tr><td>Wednesday 2 December 2026</td><td>9am to 5pm</td></tr>"),
        "{body}"
    );
    assert!(
        body.contains("<tr><td>Saturday 5 December 2026</td><td>closed: weekend</td></tr>"),
        "{body}"
    );
    assert!(
        body.contains("OPEN</span> — within its hours (Monday to Friday, 9am to 5pm)"),
        "{body}"
    );
    for engineers_words in ["2026-12-02", "09:00-17:00", "schedule doctor-support"] {
        assert!(!body.contains(engineers_words), "{engineers_words}: {body}");
    }
}

#[tokio::test]
async fn try_a_call_defaults_to_now_takes_uk_time_keys_and_words_and_answers_at_the_top() {
    let s = setup(false).await;
    let (cookie, _) = log_in(&s.console, "ben", VIEWER_PASSWORD).await;
    // Blank: now (Wednesday 2 December 2026, 11:00, open), the team dialled.
    let now = get(
        &s.console,
        "/lines/doctor-support?at=&does=&play=1",
        &cookie,
    )
    .await;
    assert!(
        now.body
            .contains("A call Wednesday 2 December 2026, 11:00am"),
        "{}",
        now.body
    );
    assert!(now.body.contains("dials: 020 7946 0103"), "{}", now.body);
    let heard_at = now.body.find("What the caller hears").unwrap();
    assert!(heard_at < now.body.find("Opening hours, the next 14 days").unwrap());
    // A UK date and time, from the browser's field, in BST; keys and words.
    let summer = get(
        &s.console,
        "/lines/wellbeing?at=2026-07-01T21%3A30&does=3%2C+call+back%2C+07911123457%2C+1&play=1",
        &cookie,
    )
    .await;
    assert!(
        summer.body.contains("A call Wednesday 1 July 2026, 9:30pm"),
        "{}",
        summer.body
    );
    assert!(summer.body.contains("&gt; presses 3"), "{}", summer.body);
    assert!(
        summer.body.contains("&gt; says &quot;call back&quot;"),
        "{}",
        summer.body
    );
    assert!(
        summer.body.contains("the request for a call back is kept"),
        "{}",
        summer.body
    );
    // A time that never was: said so, plainly.
    let gap = get(
        &s.console,
        "/lines/wellbeing?at=2026-03-29T01%3A30&does=&play=1",
        &cookie,
    )
    .await;
    assert!(
        gap.body.contains("does not exist in UK time"),
        "{}",
        gap.body
    );
}

#[tokio::test]
async fn changes_and_versions_say_when_in_uk_words_not_utc_timestamps() {
    let s = setup(false).await;
    let (cookie, csrf) = log_in(&s.console, "amira", EDITOR_PASSWORD).await;
    let closed = throw_switch(&s.console, &cookie, &csrf, "close", "fire alarm").await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER);
    let today = switchboard::console::layout::uk_time(chrono::Utc::now());
    let day = today.split(',').next().unwrap();
    for path in ["/audit", "/history"] {
        let page = get(&s.console, path, &cookie).await;
        assert!(
            page.body.contains(day),
            "{path}: no {day:?} in {}",
            page.body
        );
        assert!(!page.body.contains("Z</td>"), "{path}: {}", page.body);
    }
}

#[tokio::test]
async fn a_form_error_is_shown_beside_its_field_on_the_same_page_with_what_was_typed_kept() {
    let s = setup(false).await;
    let (cookie, csrf) = log_in(&s.console, "amira", EDITOR_PASSWORD).await;
    let typed = "the office is closed because ".repeat(10);
    let answer = edit_day(
        &s.console,
        (&cookie, &csrf),
        "closure",
        "add",
        "2026-12-24",
        &typed,
    )
    .await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.body
    );
    let body = &answer.body;
    // The line's own page, the problem beside the reason's field, what was typed kept.
    assert!(body.contains("<h1>Doctor support line</h1>"), "{body}");
    let problem = body
        .find("id=\"problem-closure-doctor-support\"")
        .expect("the problem is said beside the field");
    let field = body.find("id=\"value-closure-doctor-support\"").unwrap();
    assert!(problem < field, "{body}");
    assert!(
        body[problem..].contains("keep it to 200 characters"),
        "{body}"
    );
    assert!(
        body.contains(&format!("value=\"{}\"", typed.trim())),
        "{body}"
    );
    assert!(body.contains("value=\"2026-12-24\""), "{body}");
    assert!(body.contains("aria-invalid=\"true\""), "{body}");
    // No server path in it.
    let flows = s.flows.path().to_str().unwrap().to_owned();
    assert!(!body.contains(&flows), "{body}");
    assert!(!body.contains(".toml"), "{body}");
}

#[tokio::test]
async fn the_switch_asks_first_showing_what_callers_will_hear_and_changes_nothing_until_confirmed()
{
    let s = setup(false).await;
    let (cookie, csrf) = log_in(&s.console, "amira", EDITOR_PASSWORD).await;
    let fields = [
        ("csrf", csrf.as_str()),
        ("schedule", "doctor-support"),
        ("action", "close"),
        ("note", "fire alarm"),
    ];
    let asked = post_form(&s.console, "/emergency", &cookie, &fields).await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert!(
        asked.body.contains("Close the Doctor support line now?"),
        "{}",
        asked.body
    );
    // In callers' words: the emergency message they would hear from now.
    assert!(asked.body.contains("had to close"), "{}", asked.body);
    assert!(asked.body.contains("Doctor support line"), "{}", asked.body);
    assert!(
        asked.body.contains("value=\"fire alarm\""),
        "{}",
        asked.body
    );
    assert!(
        asked.body.contains("Cancel: change nothing"),
        "{}",
        asked.body
    );
    // Nothing changed yet.
    assert!(!s.app.emergencies.load().is_closed("doctor-support"));
    assert!(audit_log(&s).await.is_empty());
    // Confirmed: done, and the reopening asks too, saying what callers will hear then.
    let closed = throw_switch(&s.console, &cookie, &csrf, "close", "fire alarm").await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER);
    assert!(s.app.emergencies.load().is_closed("doctor-support"));
    let fields = [
        ("csrf", csrf.as_str()),
        ("schedule", "doctor-support"),
        ("action", "open"),
    ];
    let reopen = post_form(&s.console, "/emergency", &cookie, &fields).await;
    assert!(
        reopen.body.contains("Reopen the Doctor support line now?"),
        "{}",
        reopen.body
    );
    assert!(!reopen.body.contains("had to close"), "{}", reopen.body);
    assert!(s.app.emergencies.load().is_closed("doctor-support"));
}

#[tokio::test]
async fn a_roll_back_asks_first_showing_what_a_new_call_hears_now_and_after() {
    let s = setup(false).await;
    let (cookie, csrf) = log_in(&s.console, "amira", EDITOR_PASSWORD).await;
    let first_version = s.app.flows.load().version.clone();
    let edited = edited_flows("wellbeing.toml", |t| {
        t.replace(
            "Welcome to the wellbeing support line:",
            "Hello, this is the wellbeing support line:",
        )
    });
    let set = switchboard::server::reload::read_checked(edited.path()).unwrap();
    let revision = switchboard::server::reload::publish(&s.store, &set, "test", "an edit")
        .await
        .unwrap();
    assert!(
        s.app
            .store
            .serve_at_least(revision, std::time::Duration::from_secs(3))
            .await
    );
    let asked = post_form(
        &s.console,
        "/history/rollback",
        &cookie,
        &[("csrf", &csrf), ("version", &first_version)],
    )
    .await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    let body = &asked.body;
    let now = body.find("Now:").expect("what callers hear now");
    let after = body.find("After:").expect("and after");
    assert!(
        body[now..after].contains("Hello, this is the wellbeing support line"),
        "{body}"
    );
    assert!(
        body[after..].contains("Welcome to the wellbeing support line"),
        "{body}"
    );
    assert_eq!(
        s.app.flows.load().version,
        set.flows.version,
        "nothing changed yet"
    );
}

#[tokio::test]
async fn removing_a_day_asks_first_showing_what_a_caller_will_hear_that_day_instead() {
    let s = setup(false).await;
    let (cookie, csrf) = log_in(&s.console, "amira", EDITOR_PASSWORD).await;
    let reason = "the office is closed for staff training";
    let added = edit_day(
        &s.console,
        (&cookie, &csrf),
        "closure",
        "add",
        "2026-12-09",
        reason,
    )
    .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let session = (cookie.as_str(), csrf.as_str());
    let asked = ask_day(&s.console, session, "closure", "remove", "2026-12-09", "").await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert!(
        asked
            .body
            .contains("Remove the closure day of Wednesday 9 December 2026?"),
        "{}",
        asked.body
    );
    // Open that Wednesday at noon, once the day is gone: the greeting, not the reason.
    assert!(
        asked
            .body
            .contains("Thank you for calling the Doctor support service"),
        "{}",
        asked.body
    );
    assert!(!asked.body.contains("staff training"), "{}", asked.body);
    assert_eq!(audit_log(&s).await.len(), 1, "nothing removed yet");
}

#[tokio::test]
async fn any_two_versions_compare_with_what_callers_hear_in_each_and_the_files() {
    let s = setup(false).await;
    let (cookie, _) = log_in(&s.console, "ben", VIEWER_PASSWORD).await;
    let first = s.app.flows.load().version.clone();
    let edited = edited_flows("wellbeing.toml", |t| {
        t.replace(
            "Welcome to the wellbeing support line:",
            "Hello, this is the wellbeing support line:",
        )
    });
    let set = switchboard::server::reload::read_checked(edited.path()).unwrap();
    switchboard::server::reload::publish(&s.store, &set, "test", "an edit")
        .await
        .unwrap();
    let second = set.flows.version.clone();
    let page = get(&s.console, "/history", &cookie).await;
    // Each version says in words what changed since the one before.
    assert!(
        page.body
            .contains("<li>Wellbeing support line: what callers hear at “Welcome” changes to: “"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("The first version kept."),
        "{}",
        page.body
    );
    // Any two can be chosen.
    assert!(
        page.body.contains("<select id=\"from\" name=\"from\">"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(&format!("<option value=\"{first}\"")),
        "{}",
        page.body
    );
    let compared = get(
        &s.console,
        &format!("/history?from={second}&to={first}"),
        &cookie,
    )
    .await;
    let body = &compared.body;
    let number = |version: String| {
        let store = s.store.clone();
        async move { store.version_number(&version).await.unwrap().unwrap() }
    };
    let (first, second) = (number(first).await, number(second).await);
    assert!(
        body.contains(&format!(
            "<h2>From version {second} to version {first}</h2>"
        )),
        "{body}"
    );
    let in_second = body
        .find(&format!("In version {second}:"))
        .expect("what callers hear in the newer");
    let in_first = body
        .find(&format!("In version {first}:"))
        .expect("and in the older");
    assert!(
        body[in_second..in_first].contains("Hello, this is the wellbeing support line"),
        "{body}"
    );
    assert!(
        body[in_first..].contains("Welcome to the wellbeing support line"),
        "{body}"
    );
    assert!(body.contains("The same in both"), "{body}");
    assert!(body.contains("<h3>The files</h3>"), "{body}");
    assert!(
        body.contains(&format!(
            "--- wellbeing.toml in version {second}\n+++ wellbeing.toml in version {first}\n"
        )),
        "{body}"
    );
}

#[tokio::test]
async fn a_line_page_walks_through_the_call_in_words_beside_the_diagram() {
    let s = setup(false).await;
    let (cookie, _) = log_in(&s.console, "ben", VIEWER_PASSWORD).await;
    let page = get(&s.console, "/lines/wellbeing", &cookie).await;
    let body = &page.body;
    let walk = body.find("The call, step by step").expect("a walk-through");
    assert!(walk < body.find("<h2>Diagram</h2>").unwrap(), "{body}");
    assert!(
        body.contains("<strong>Main menu</strong>. Asks: “For counselling, press 1"),
        "{body}"
    );
    assert!(body.contains("1 or &quot;counselling&quot;"), "{body}");
    // In the order a caller meets the steps, from the first.
    let at = |step: &str| {
        body.find(&format!("<strong>{step}</strong>"))
            .unwrap_or_else(|| panic!("{step}: {body}"))
    };
    assert!(at("Welcome") < at("Main menu"), "{body}");
    assert!(at("Main menu") < at("Counselling"), "{body}");
    assert!(at("Counselling") < at("Counselling unavailable"), "{body}");
    // Another line's step is named with its line, in words.
    assert!(
        body.contains("Call back (the Doctor support line)"),
        "{body}"
    );
    assert!(
        body.contains("no choice after 3 tries: No choice."),
        "{body}"
    );
    // The diagram names steps in words too, and zooms and pans without a script.
    // Drawn by Graphviz where it is installed, else by layout-rs (its words in a tspan):
    // this holds of either.
    let diagram = &body[body.find("<h2>Diagram</h2>").unwrap()..];
    assert!(diagram.contains("<svg"), "{diagram}");
    assert!(diagram.contains(">Main menu</"), "{diagram}");
    assert!(!diagram.contains(">main-menu</"), "{diagram}");
    assert!(!body.contains("<script"), "{body}");
    for size in ["zoom-fit", "zoom-read", "zoom-large"] {
        assert!(
            diagram.contains(&format!(
                "<input type=\"radio\" name=\"zoom\" id=\"{size}\""
            )),
            "{diagram}"
        );
    }
    assert!(
        diagram.contains("class=\"diagram\" role=\"region\" tabindex=\"0\""),
        "{diagram}"
    );
}

/// The form a page's notice offers as its undo: where it posts, and its fields.
fn undo_form(page: &str) -> (String, Vec<(String, String)>) {
    let notice = page
        .split("class=\"notice\" role=\"status\"")
        .nth(1)
        .expect("the page has a notice");
    let form = notice.split("</form>").next().unwrap();
    let action = form
        .split("action=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the notice offers an undo")
        .to_owned();
    let fields = form
        .split("<input type=\"hidden\" name=\"")
        .skip(1)
        .map(|input| {
            let (name, rest) = input.split_once('"').unwrap();
            let value = rest.split("value=\"").nth(1).unwrap().split('"').next();
            (name.to_owned(), value.unwrap().to_owned())
        })
        .collect();
    (action, fields)
}

#[tokio::test]
async fn adding_a_day_asks_first_with_the_reason_as_spoken_and_can_be_undone() {
    let s = setup(false).await;
    let (cookie, csrf) = log_in(&s.console, "amira", EDITOR_PASSWORD).await;
    let typed = "the office is closed\n   for staff   training";
    let session = (cookie.as_str(), csrf.as_str());
    let asked = ask_day(&s.console, session, "closure", "add", "2026-12-02", typed).await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert!(
        asked
            .body
            .contains("Add a closure day on Wednesday 2 December 2026?"),
        "{}",
        asked.body
    );
    // The reason as callers will hear it (one plain sentence), and the day at noon.
    assert!(
        asked
            .body
            .contains("<blockquote>the office is closed for staff training</blockquote>"),
        "{}",
        asked.body
    );
    assert!(
        // At the line's usual opening, when the closure changes what callers hear.
        asked.body.contains("at 9am hears first:"),
        "{}",
        asked.body
    );
    assert!(
        asked.body.contains("staff training. "),
        "what a caller hears that day includes the reason: {}",
        asked.body
    );
    // Nothing changed yet.
    assert!(s.store.days().await.unwrap().is_empty());
    assert!(audit_log(&s).await.is_empty());

    let added = edit_day(
        &s.console,
        (&cookie, &csrf),
        "closure",
        "add",
        "2026-12-02",
        typed,
    )
    .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let page = get(&s.console, "/lines/doctor-support", &cookie).await;
    assert!(
        page.body.contains(
            "Added to the Doctor support line: closure day on Wednesday 2 December 2026."
        ),
        "{}",
        page.body
    );
    // Its undo asks to remove that day, and asks first.
    let (action, undo) = undo_form(&page.body);
    assert_eq!(action, "/days");
    let mut fields: Vec<(&str, &str)> =
        undo.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert!(fields.contains(&("action", "remove")), "{fields:?}");
    assert!(fields.contains(&("date", "2026-12-02")), "{fields:?}");
    let asked = post_form(&s.console, "/days", &cookie, &fields).await;
    assert!(
        asked
            .body
            .contains("Remove the closure day of Wednesday 2 December 2026?"),
        "{}",
        asked.body
    );
    fields.push(("confirmed", "yes"));
    let removed = post_form(&s.console, "/days", &cookie, &fields).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{}", removed.body);
    assert!(s.store.days().await.unwrap().is_empty());
    // And that removal's undo adds the day back with its reason.
    let page = get(&s.console, "/lines/doctor-support", &cookie).await;
    let (_, undo) = undo_form(&page.body);
    assert!(
        undo.contains(&(
            "value".to_owned(),
            "the office is closed for staff training".to_owned()
        )),
        "{undo:?}"
    );
    assert!(undo.contains(&("action".to_owned(), "add".to_owned())));
}

#[tokio::test]
async fn a_switch_without_its_reason_is_asked_again_beside_the_field() {
    let s = setup(false).await;
    let (cookie, csrf) = log_in(&s.console, "amira", EDITOR_PASSWORD).await;
    let unsaid = throw_switch(&s.console, &cookie, &csrf, "close", "   ").await;
    assert_eq!(unsaid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unsaid.body.contains("Close the Doctor support line now?"),
        "{}",
        unsaid.body
    );
    assert!(
        unsaid.body.contains(
            "<p class=\"problem\" id=\"note-problem\" role=\"alert\">Say why it must close"
        ),
        "{}",
        unsaid.body
    );
    assert!(
        unsaid.body.contains("aria-describedby=\"note-problem\""),
        "{}",
        unsaid.body
    );
    assert!(!s.app.emergencies.load().is_closed("doctor-support"));
}

/// A call's records as servers write them: its start on `line` at `at`, and how it ended.
fn a_call(sid: u32, line: &str, at: &str, answered_after_s: Option<i64>) -> Vec<CallRecord> {
    let at_ms = chrono::DateTime::parse_from_rfc3339(at)
        .unwrap()
        .timestamp_millis();
    let call = format!("{sid:032x}");
    let mut records = vec![CallRecord {
        call: call.clone(),
        line: line.to_owned(),
        at_ms,
        started: Some("open"),
        reached: vec![format!("{line}/welcome"), format!("{line}/main-menu")],
        waiting_at: Some(format!("{line}/main-menu")),
        ..CallRecord::default()
    }];
    if let Some(after) = answered_after_s {
        records.push(CallRecord {
            call,
            line: line.to_owned(),
            at_ms: at_ms + after * 1000 + 60_000,
            answered: Some((at_ms + after * 1000, format!("{line}/counselling"))),
            waiting_at: Some(format!("{line}/counselling")),
            ..CallRecord::default()
        });
    }
    records
}

#[tokio::test]
async fn the_reports_page_draws_each_chart_with_its_figures_beside_it_and_offers_csv() {
    let s = setup(false).await;
    let mut records = a_call(1, "wellbeing", "2026-12-01T09:15:00Z", Some(40));
    records.extend(a_call(2, "wellbeing", "2026-12-02T10:05:00Z", None));
    s.store.record_calls(&records).await.unwrap();
    let (cookie, _) = log_in(&s.console, "ben", VIEWER_PASSWORD).await;
    // The last 7 days by default: NOW is Wednesday 2 December 2026.
    let page = get(&s.console, "/reports", &cookie).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let body = &page.body;
    assert!(body.contains("value=\"2026-11-26\""), "{body}");
    // The summary: each figure named, with its share of the calls, and defined beside it.
    assert!(
        body.contains(
            "<th scope=\"row\">Wellbeing support line</th><td data-label=\"Calls\">2</td><td data-label=\"Reached a person\">1</td><td data-label=\"Reached a person (% of calls)\">50%</td>"
        ),
        "{body}"
    );
    assert!(
        body.contains("<dt>Hung up before reaching a person</dt><dd>The caller hung up before"),
        "{body}"
    );
    // One click to this month, last month, the last 7 days.
    assert!(
        body.contains(
            "href=\"/reports?from=2026-11-01&amp;to=2026-11-30&amp;line=\">Last month</a>"
        ),
        "{body}"
    );
    assert!(body.contains("40 s (9 in 10 within 40 s)"), "{body}");
    // Each chart is drawn here, with a table of its figures.
    assert_eq!(body.matches("<svg class=\"chart\"").count(), 3, "{body}");
    assert!(
        body.contains(
            "<th scope=\"row\">Tuesday 1 December 2026</th><td data-label=\"Calls\">1</td><td data-label=\"Reached a person\">1</td>"
        ),
        "{body}"
    );
    assert!(!body.contains("<script"), "{body}");
    // The steps reached, titled in words; no choice was recorded.
    assert!(
        body.contains(
            "<tr><th scope=\"row\">Main menu</th><td data-label=\"Times reached\">2</td></tr>"
        ),
        "{body}"
    );
    assert!(
        body.contains("<h3 id=\"choices\">Choices at each menu</h3><p>None.</p>"),
        "{body}"
    );
    // The CSV of a table.
    let csv = get(
        &s.console,
        "/reports.csv?from=2026-12-01&to=2026-12-02&line=wellbeing&table=by-day",
        &cookie,
    )
    .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(
        csv.body,
        "Day,Calls,Reached a person,Hung up before reaching a person,Rang while closed,Asked for a call back\r\n2026-12-01,1,1,0,0,0\r\n2026-12-02,1,0,1,0,0\r\n"
    );
    // A range that cannot be shown is said on the page, with what was asked kept.
    let wrong = get(
        &s.console,
        "/reports?from=2026-12-09&to=2026-12-02",
        &cookie,
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains("The last day is before the first."));
    assert!(wrong.body.contains("value=\"2026-12-09\""));
}

/// The console's pool connects when first used, so a store that cannot be reached as a server
/// starts leaves that server's console saying so, not missing until a restart; once the store
/// is back, the same console logs in and shows the lines.
#[tokio::test]
async fn a_console_whose_store_is_down_as_it_starts_says_so_then_works_when_it_is_back() {
    let pg = crate::support::postgres::Postgres::start();
    let url = switchboard::store::DatabaseUrl::parse(&pg.url()).unwrap();
    let store = Store::open(&url).await.unwrap();
    add_user(&store, "amira", Role::Editor, EDITOR_PASSWORD).await;
    store.close().await;
    pg.stop();

    let app = Arc::new(app_state(shipped_flows(), NOW));
    let store = Store::connect_lazily(&url).expect("nothing is connected yet");
    let console = console::router(Arc::new(Console::new(app, store, false)));
    let refused = log_in_from(&console, "amira", EDITOR_PASSWORD, "192.0.2.1").await;
    assert_eq!(
        refused.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("cannot be reached"),
        "{}",
        refused.body
    );

    pg.start_again();
    let (cookie, _) = log_in(&console, "amira", EDITOR_PASSWORD).await;
    let page = get(&console, "/", &cookie).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Doctor support line"), "{}", page.body);
}

/// The Versions page shows the latest 100 versions and says older ones are kept; the oldest it
/// shows still says what changed since the one before it, not that it was the first.
#[tokio::test]
async fn the_versions_page_goes_fifty_at_a_time_newest_first_and_by_line() {
    let s = setup(false).await;
    let (cookie, _) = log_in(&s.console, "amira", EDITOR_PASSWORD).await;
    // The shipped flows, then 60 more: the counsellors' number changed each time (within the
    // drama range), and every third time the Doctor support team's number too.
    let mut revision = 0;
    for n in 0..60 {
        let number = format!("+44207946{n:04}");
        let flows = edited_flows("wellbeing.toml", |t| t.replace(COUNSELLING, &number));
        if n % 3 == 0 {
            let path = flows.path().join("doctor-support.toml");
            let text = std::fs::read_to_string(&path).unwrap();
            let team = format!("+44207946{:04}", 5000 + n);
            std::fs::write(&path, text.replace("+442079460103", &team)).unwrap();
        }
        let set = switchboard::server::reload::read_checked(flows.path()).unwrap();
        revision = switchboard::server::reload::publish(&s.store, &set, "test", "an edit")
            .await
            .unwrap();
    }
    let in_force = std::time::Duration::from_secs(3);
    assert!(s.app.store.serve_at_least(revision, in_force).await);
    let rows = |body: &str| body.matches("<tr><td>Version ").count();
    let first = get(&s.console, "/history", &cookie).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(rows(&first.body), 50, "{}", first.body);
    assert!(
        first.body.contains("<td>Version 61 (in force)"),
        "{}",
        first.body
    );
    assert!(first.body.contains("<td>Version 12</td>"), "{}", first.body);
    assert!(
        !first.body.contains("<td>Version 11</td>"),
        "{}",
        first.body
    );
    assert!(first.body.contains("Older versions"), "{}", first.body);
    let second = get(&s.console, "/history?page=2", &cookie).await;
    assert_eq!(rows(&second.body), 11, "{}", second.body);
    assert!(
        second.body.contains("The first version kept."),
        "{}",
        second.body
    );
    assert!(second.body.contains("Newer versions"), "{}", second.body);
    // The versions that changed the Doctor support line: every third, and the one after
    // each (its team number put back), so 40 of the 60 edits.
    let line = get(&s.console, "/history?line=doctor-support", &cookie).await;
    assert_eq!(rows(&line.body), 40, "{}", line.body);
    assert!(!line.body.contains("Older versions"), "{}", line.body);
}

/// The Changes page shows the latest 500 changes and says older ones are kept.
#[tokio::test]
async fn the_changes_page_goes_fifty_at_a_time_newest_first_and_by_line() {
    let s = setup(false).await;
    let (cookie, _) = log_in(&s.console, "amira", EDITOR_PASSWORD).await;
    let mut change = s.store.change("test").await.unwrap();
    for n in 1..=120 {
        // Every third names the Doctor support line.
        let what = match n % 3 {
            0 => format!("change number {n}, to the Doctor support line"),
            _ => format!("change number {n}"),
        };
        change.audit(&what, "", "", "").await.unwrap();
    }
    change.commit().await.unwrap();
    let rows = |body: &str| {
        body[body.find("<tbody>").unwrap_or(0)..]
            .matches("<tr>")
            .count()
    };
    let first = get(&s.console, "/audit", &cookie).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(rows(&first.body), 50, "{}", first.body);
    assert!(first.body.contains("change number 120"), "{}", first.body);
    assert!(!first.body.contains("change number 70<"), "{}", first.body);
    assert!(first.body.contains("Older changes"), "{}", first.body);
    assert!(!first.body.contains("Newer changes"), "{}", first.body);
    // The third page: the oldest 20 made here and the setup's own 3.
    let third = get(&s.console, "/audit?page=3&line=", &cookie).await;
    assert_eq!(rows(&third.body), 23, "{}", third.body);
    assert!(third.body.contains("change number 1<"), "{}", third.body);
    assert!(third.body.contains("Newer changes") && !third.body.contains("Older changes"));
    // One line's changes: those that name it, 40 of them.
    let line = get(&s.console, "/audit?line=doctor-support", &cookie).await;
    assert_eq!(rows(&line.body), 40, "{}", line.body);
    assert!(!line.body.contains("change number 119<"), "{}", line.body);
    assert!(!line.body.contains("Older changes"), "{}", line.body);
}

/// Asks to add a closure day on `date` (not yet confirmed): the answer.
async fn ask_to_add_a_closure(s: &Setup, session: (&str, &str), date: &str) -> Answer {
    let reason = "the office is closed for staff training";
    ask_day(&s.console, session, "closure", "add", date, reason).await
}

#[tokio::test]
async fn a_day_that_cannot_be_added_is_said_at_once_beside_its_field_before_any_question() {
    let s = setup(false).await;
    let (cookie, csrf) = log_in(&s.console, "amira", EDITOR_PASSWORD).await;
    // NOW is Wednesday 2 December 2026: the day before is past.
    let past = ask_to_add_a_closure(&s, (&cookie, &csrf), "2026-12-01").await;
    assert_eq!(
        past.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        past.body
    );
    assert!(
        past.body
            .contains("Tuesday 1 December 2026 is in the past: choose today or a later day."),
        "{}",
        past.body
    );
    assert!(!past.body.contains("Yes, add it"), "{}", past.body);
    // A day listed already: said at once, pointing at its reason to change.
    let added = edit_day(
        &s.console,
        (&cookie, &csrf),
        "closure",
        "add",
        "2026-12-16",
        "a team day",
    )
    .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let listed = ask_to_add_a_closure(&s, (&cookie, &csrf), "2026-12-16").await;
    assert_eq!(listed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        listed.body.contains(
            "Wednesday 16 December 2026 already has a closure day: change its reason in the list above, or remove it first."
        ),
        "{}",
        listed.body
    );
    assert!(!listed.body.contains("Yes, add it"), "{}", listed.body);
    // A Saturday: asked, with the warning that the line is closed that day anyway.
    let saturday = ask_to_add_a_closure(&s, (&cookie, &csrf), "2026-12-19").await;
    assert_eq!(saturday.status, StatusCode::OK, "{}", saturday.body);
    assert!(
        saturday.body.contains(
            "Saturday 19 December 2026 is a Saturday, when the line is usually closed: the line is closed that day anyway"
        ),
        "{}",
        saturday.body
    );
    assert!(saturday.body.contains("Yes, add it"), "{}", saturday.body);
    // Nothing but the one day was added.
    assert_eq!(s.store.days().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_listed_days_reason_is_changed_in_place_asked_first_audited_and_undone() {
    let s = setup(false).await;
    let (cookie, csrf) = log_in(&s.console, "amira", EDITOR_PASSWORD).await;
    let added = edit_day(
        &s.console,
        (&cookie, &csrf),
        "closure",
        "add",
        "2026-12-16",
        "a team day",
    )
    .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let page = get(&s.console, "/lines/doctor-support", &cookie).await;
    assert!(
        page.body.contains("Change Wednesday 16 December 2026 to"),
        "the listed day has its own change form: {}",
        page.body
    );
    let change = |confirmed: &'static str, value: &'static str| {
        let (console, cookie, csrf) = (s.console.clone(), cookie.clone(), csrf.clone());
        async move {
            let asked = ["closure", "change", "2026-12-16", value];
            post_day(&console, (&cookie, &csrf), asked, confirmed).await
        }
    };
    let asked = change("", "the team is away for training").await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert!(
        asked
            .body
            .contains("Change the closure day of Wednesday 16 December 2026?"),
        "{}",
        asked.body
    );
    assert!(
        asked.body.contains("<blockquote>a team day</blockquote>"),
        "{}",
        asked.body
    );
    assert!(
        asked
            .body
            .contains("<blockquote>the team is away for training</blockquote>"),
        "{}",
        asked.body
    );
    assert_eq!(s.store.days().await.unwrap()[0].value, "a team day");

    let made = change("yes", "the team is away for training").await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    assert_eq!(
        s.store.days().await.unwrap()[0].value,
        "the team is away for training"
    );
    let audit = audit_log(&s).await;
    let changed = audit.last().unwrap();
    assert_eq!(
        changed.what,
        "closure day changed on the Doctor support line for Wednesday 16 December 2026"
    );
    assert!(changed.before.contains("a team day"), "{changed:?}");
    assert!(
        changed.after.contains("the team is away for training"),
        "{changed:?}"
    );
    // The notice offers to change it back, which asks first too.
    let page = get(&s.console, "/lines/doctor-support", &cookie).await;
    let (action, undo) = undo_form(&page.body);
    assert_eq!(action, "/days");
    let fields: Vec<(&str, &str)> = undo.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert!(fields.contains(&("action", "change")), "{fields:?}");
    assert!(fields.contains(&("value", "a team day")), "{fields:?}");
    let mut confirmed = fields.clone();
    confirmed.push(("confirmed", "yes"));
    let undone = post_form(&s.console, "/days", &cookie, &confirmed).await;
    assert_eq!(undone.status, StatusCode::SEE_OTHER, "{}", undone.body);
    assert_eq!(s.store.days().await.unwrap()[0].value, "a team day");
}

#[tokio::test]
async fn special_hours_are_read_as_people_write_them_and_previewed_when_callers_hear_a_change() {
    let s = setup(false).await;
    let (cookie, csrf) = log_in(&s.console, "amira", EDITOR_PASSWORD).await;
    let ask = |hours: &'static str| {
        let (console, cookie, csrf) = (s.console.clone(), cookie.clone(), csrf.clone());
        async move {
            let session = (cookie.as_str(), csrf.as_str());
            ask_day(
                &console,
                session,
                "special_hours",
                "add",
                "2026-12-24",
                hours,
            )
            .await
        }
    };
    // Christmas Eve, a Thursday (usually 9am to 5pm), from 10am to 1pm.
    let asked = ask("10am to 1pm").await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert!(
        asked
            .body
            .contains("The line's hours that day: <strong>10am to 1pm</strong>"),
        "{}",
        asked.body
    );
    // What a caller hears at each moment that changes: before the later opening, at it, and
    // after the earlier closing.
    let heard_at = |time: &str| -> String {
        let at = format!(" at {time} hears first:</p><blockquote>");
        let after = asked
            .body
            .split(at.as_str())
            .nth(1)
            .unwrap_or_else(|| panic!("no {time}: {}", asked.body));
        after.split("</blockquote>").next().unwrap().to_owned()
    };
    assert!(
        heard_at("9:30am").contains("We are closed now"),
        "{}",
        heard_at("9:30am")
    );
    assert!(!heard_at("10am").contains("closed"), "{}", heard_at("10am"));
    assert!(
        heard_at("1:30pm").contains("We are closed now"),
        "{}",
        heard_at("1:30pm")
    );
    // Hours as the console writes them, or the files do; an unclear one is asked about.
    for written in ["10am-1pm", "10:00-13:00"] {
        let asked = ask(written).await;
        assert!(
            asked.body.contains("<strong>10am to 1pm</strong>"),
            "{written}: {}",
            asked.body
        );
    }
    let unclear = ask("10-1pm").await;
    assert_eq!(unclear.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unclear
            .body
            .contains("say am or pm for each time: did you mean “10am to 1pm”?"),
        "{}",
        unclear.body
    );
}

#[tokio::test]
async fn special_hours_take_a_reason_callers_hear_which_is_changed_in_place_and_undone() {
    let s = setup(false).await;
    let (cookie, csrf) = log_in(&s.console, "amira", EDITOR_PASSWORD).await;
    let post = |reason: &'static str, action: &'static str, confirmed: &'static str| {
        let (console, cookie, csrf) = (s.console.clone(), cookie.clone(), csrf.clone());
        async move {
            let day = ["special_hours", action, "2026-12-24", "10am to 1pm", reason];
            post_day_with_reason(&console, (&cookie, &csrf), day, confirmed).await
        }
    };
    const REASON: &str = "the office closes at 1pm on Christmas Eve";
    // Asked first: the reason as callers will hear it, and the 1:30pm caller told it.
    let asked = post(REASON, "add", "").await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert!(
        asked
            .body
            .contains(&format!("<blockquote>{REASON}</blockquote>")),
        "{}",
        asked.body
    );
    let at_half_past_one = asked
        .body
        .split(" at 1:30pm hears first:</p><blockquote>")
        .nth(1)
        .and_then(|after| after.split("</blockquote>").next())
        .unwrap_or_else(|| panic!("no 1:30pm caller: {}", asked.body));
    assert!(
        at_half_past_one.contains(&format!("We are closed now: {REASON}.")),
        "{at_half_past_one}"
    );
    assert!(s.store.days().await.unwrap().is_empty());
    // Made: kept with its reason, listed with it, and audited in people's words.
    let made = post(REASON, "add", "yes").await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let days = s.store.days().await.unwrap();
    assert_eq!(
        (days[0].value.as_str(), days[0].reason.as_deref()),
        ("10:00-13:00", Some(REASON))
    );
    let line = get(&s.console, "/lines/doctor-support", &cookie).await;
    assert!(
        line.body.contains(&format!(
            "Thursday 24 December 2026: 10am to 1pm (callers hear: {REASON})"
        )),
        "{}",
        line.body
    );
    assert_eq!(
        audit_log(&s).await.last().unwrap().after,
        format!("Thursday 24 December 2026, special hours: 10am to 1pm (callers hear: {REASON})")
    );
    // The reason is changed in place (asked first), and changing it back is one click away.
    let asked = post("the team has its Christmas lunch", "change", "").await;
    assert!(
        asked.body.contains(&format!(
            "<blockquote>10am to 1pm (callers hear: {REASON})</blockquote>"
        )),
        "{}",
        asked.body
    );
    let changed = post("the team has its Christmas lunch", "change", "yes").await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.body);
    let reason_now = || async { s.store.days().await.unwrap()[0].reason.clone() };
    assert_eq!(
        reason_now().await.as_deref(),
        Some("the team has its Christmas lunch")
    );
    let page = get(&s.console, "/lines/doctor-support", &cookie).await;
    let (_, undo) = undo_form(&page.body);
    let mut fields: Vec<(&str, &str)> =
        undo.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert!(fields.contains(&("reason", REASON)), "{fields:?}");
    fields.push(("confirmed", "yes"));
    let undone = post_form(&s.console, "/days", &cookie, &fields).await;
    assert_eq!(undone.status, StatusCode::SEE_OTHER, "{}", undone.body);
    assert_eq!(reason_now().await.as_deref(), Some(REASON));
    // Without a reason, callers hear the day's hours instead.
    let asked = post("", "change", "").await;
    assert!(
        asked.body.contains("callers are told its hours"),
        "{}",
        asked.body
    );
    assert!(
        asked
            .body
            .contains("We are closed now: today we are open 10am to 1pm only."),
        "{}",
        asked.body
    );
}

#[tokio::test]
async fn a_reason_the_call_flow_never_says_is_said_unheard_before_it_is_added() {
    let s = setup_edited(false, |_, text| {
        text.replace(
            "We are closed now: {special_hours_reason}.",
            "We are closed now.",
        )
        .replace(
            "We are closed today: {closure_reason}.",
            "We are closed today.",
        )
    })
    .await;
    let (cookie, csrf) = log_in(&s.console, "amira", EDITOR_PASSWORD).await;
    let day = [
        "special_hours",
        "add",
        "2026-12-24",
        "10am to 1pm",
        "the office closes at 1pm on Christmas Eve",
    ];
    let asked = post_day_with_reason(&s.console, (&cookie, &csrf), day, "").await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert!(
        asked.body.contains(
            "callers will not hear this one: “the office closes at 1pm on Christmas Eve”"
        ),
        "{}",
        asked.body
    );
    assert!(
        !asked.body.contains("callers are told why"),
        "{}",
        asked.body
    );
    // What they do hear is shown, without the reason.
    assert!(asked.body.contains("We are closed now."), "{}", asked.body);
    assert!(
        !asked.body.contains("We are closed now: the office"),
        "{}",
        asked.body
    );
    // Added all the same, the notice after says so too.
    let made = post_day_with_reason(&s.console, (&cookie, &csrf), day, "yes").await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let page = get(&s.console, "/lines/doctor-support", &cookie).await;
    assert!(
        page.body.contains("Callers will not hear its reason"),
        "{}",
        page.body
    );
    // A closure day's reason the same way.
    let asked = ask_day(
        &s.console,
        (&cookie, &csrf),
        "closure",
        "add",
        "2026-12-23",
        "the team is away",
    )
    .await;
    assert!(
        asked
            .body
            .contains("callers will not hear this one: “the team is away”"),
        "{}",
        asked.body
    );
    assert!(
        !asked.body.contains("Callers are told why"),
        "{}",
        asked.body
    );
}

/// A page's words as a person reads them: its text, without its tags and their attributes
/// (a `tel:` link's target is for the phone, not the reader).
fn words_on(page: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in page.split("</style>").last().unwrap_or(page).chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}

#[tokio::test]
async fn no_console_page_says_a_file_path_a_store_url_or_a_number_in_e164_form() {
    let s = setup(false).await;
    let (cookie, csrf) = log_in(&s.console, "amira", EDITOR_PASSWORD).await;
    // Something on every page: a call-back request, a closure day, the switch thrown.
    let own = switchboard::phone::E164::parse("+447911123456").unwrap();
    s.store
        .request_call_back(&own, "doctor-support", instant(NOW))
        .await
        .unwrap();
    let added = edit_day(
        &s.console,
        (&cookie, &csrf),
        "closure",
        "add",
        "2026-12-16",
        "a team day",
    )
    .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let closed = throw_switch(&s.console, &cookie, &csrf, "close", "fire alarm").await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER, "{}", closed.body);
    let flows_dir = s.flows.path().to_str().unwrap().to_owned();
    for path in [
        "/",
        "/lines/wellbeing",
        "/lines/wellbeing?does=1&play=1",
        "/lines/doctor-support",
        "/history",
        "/audit",
        "/call-backs",
        "/reports",
    ] {
        let page = get(&s.console, path, &cookie).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
        let words = words_on(&page.body);
        for engineers in [
            flows_dir.as_str(),
            "/tmp/",
            "sqlite://",
            "postgres://",
            ".db",
            ".toml",
        ] {
            assert!(
                !words.contains(engineers),
                "{path} says {engineers:?}:\n{words}"
            );
        }
        let e164 = words
            .split(|c: char| !(c == '+' || c.is_ascii_digit()))
            .find(|w| w.starts_with('+') && w.len() > 8);
        assert_eq!(e164, None, "{path} says a number in E.164 form:\n{words}");
    }
}

/// Hundreds of versions: the Versions page lists the newest 50, numbered in the order they were
/// published, each saying what it changed; seen again (from what was kept) it says the same.
/// `--nocapture` prints how long each view took (BENCHMARKS.md, "The Versions page").
#[tokio::test]
async fn the_versions_page_numbers_and_describes_hundreds_of_versions_the_same_at_each_view() {
    let s = setup(false).await;
    let (cookie, _) = log_in(&s.console, "amira", EDITOR_PASSWORD).await;
    const PUBLISHED: usize = 300;
    let mut revision = 0;
    for i in 0..PUBLISHED {
        let edited = edited_flows("wellbeing.toml", |t| {
            t.replace(COUNSELLING, &format!("+44207946{:04}", 2000 + i))
        });
        let set = switchboard::server::reload::read_checked(edited.path()).unwrap();
        revision = switchboard::server::reload::publish(&s.store, &set, "test", "an edit")
            .await
            .unwrap();
    }
    assert!(
        s.app
            .store
            .serve_at_least(revision, std::time::Duration::from_secs(10))
            .await
    );
    let mut views = Vec::new();
    for _ in 0..3 {
        let started = std::time::Instant::now();
        let page = get(&s.console, "/history", &cookie).await;
        eprintln!(
            "the Versions page of {} versions in {:?}",
            PUBLISHED + 1,
            started.elapsed()
        );
        assert_eq!(page.status, StatusCode::OK);
        views.push(page.body);
    }
    let rows = &views[0][views[0].find("<tbody>").unwrap()..];
    assert_eq!(rows.matches("<tr>").count(), 50, "{rows}");
    let newest = PUBLISHED + 1;
    let (first_row, last_row) = (
        rows.find(&format!("<td>Version {newest} (in force)</td>")),
        rows.find(&format!("<td>Version {}</td>", newest - 49)),
    );
    assert!(
        matches!((first_row, last_row), (Some(a), Some(b)) if a < b),
        "{rows}"
    );
    // The newest changed the counselling number from the one before's, as people write it.
    assert!(
        rows.contains("020 7946 2298") && rows.contains("020 7946 2299"),
        "{rows}"
    );
    assert!(views.iter().all(|view| *view == views[0]));
}
