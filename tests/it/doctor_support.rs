//! The Doctor support line (020 7383 6707): office hours, bank holidays and closures, pinned
//! at the instants where a wrong answer would be easiest to make.

use crate::support::*;

async fn first_answer(now: &str) -> Call {
    Call::start(&app(now), DOCTOR_SUPPORT).await
}

/// Whether the line treats `now` as open: open calls go straight to the team.
async fn is_open(now: &str) -> bool {
    let call = first_answer(now).await;
    match call.dialling() {
        Some(number) => {
            assert_eq!(number, DOCTOR_SUPPORT_TEAM);
            true
        }
        None => {
            assert!(
                call.heard().contains("We are closed now"),
                "{now}: {}",
                call.heard()
            );
            false
        }
    }
}

#[tokio::test]
async fn nine_oclock_is_open_and_five_oclock_is_closed_in_uk_time() {
    let cases = [
        // Winter (GMT = UTC), Monday 23 November 2026.
        ("2026-11-23T08:59:59Z", false),
        ("2026-11-23T09:00:00Z", true),
        ("2026-11-23T16:59:59Z", true),
        ("2026-11-23T17:00:00Z", false),
        // Summer (BST = UTC+1), Wednesday 15 July 2026.
        ("2026-07-15T07:59:59Z", false),
        ("2026-07-15T08:00:00Z", true),
        ("2026-07-15T15:59:59Z", true),
        ("2026-07-15T16:00:00Z", false),
        // Given with an offset rather than in UTC: the same instants.
        ("2026-07-15T09:00:00+01:00", true),
        ("2026-07-15T17:00:00+01:00", false),
        // Weekends.
        ("2026-11-21T12:00:00Z", false),
        ("2026-11-22T12:00:00Z", false),
    ];
    for (now, open) in cases {
        assert_eq!(is_open(now).await, open, "at {now}");
    }
}

#[tokio::test]
async fn clock_change_weeks_use_the_offset_in_force() {
    let cases = [
        // Clocks go forward on Sunday 29 March 2026: Monday 30 March opens at 08:00 UTC.
        ("2026-03-27T16:59:59Z", true), // Friday before, still GMT
        ("2026-03-27T17:00:00Z", false),
        ("2026-03-30T07:59:59Z", false),
        ("2026-03-30T08:00:00Z", true),
        ("2026-03-30T15:59:59Z", true),
        ("2026-03-30T16:00:00Z", false),
        // Clocks go back on Sunday 25 October 2026: Friday 23 is BST, Monday 26 is GMT.
        ("2026-10-23T15:59:59Z", true),
        ("2026-10-23T16:00:00Z", false),
        ("2026-10-26T08:59:59Z", false),
        ("2026-10-26T09:00:00Z", true),
        ("2026-10-26T16:59:59Z", true),
        ("2026-10-26T17:00:00Z", false),
    ];
    for (now, open) in cases {
        assert_eq!(is_open(now).await, open, "at {now}");
    }
    // Over the spring weekend the next opening is spoken in BST.
    let call = first_answer("2026-03-28T12:00:00Z").await;
    assert!(
        call.heard()
            .contains("open again on Monday 30 March at 9am"),
        "{}",
        call.heard()
    );
}

#[tokio::test]
async fn bank_holidays_are_named_and_the_next_opening_skips_them() {
    let cases = [
        (
            "2026-04-03T10:00:00Z",
            "Good Friday",
            "Tuesday 7 April at 9am",
        ),
        (
            "2026-04-06T10:00:00+01:00",
            "Easter Monday",
            "Tuesday 7 April at 9am",
        ),
        (
            "2026-12-25T10:00:00Z",
            "Christmas Day",
            "Tuesday 29 December at 9am",
        ),
        (
            "2026-12-28T10:00:00Z",
            "the substitute day for Boxing Day",
            "Tuesday 29 December at 9am",
        ),
        (
            "2027-12-27T10:00:00Z",
            "the substitute day for Christmas Day",
            "Wednesday 29 December at 9am",
        ),
        (
            "2027-12-28T10:00:00Z",
            "the substitute day for Boxing Day",
            "Wednesday 29 December at 9am",
        ),
        (
            "2028-01-03T10:00:00Z",
            "the substitute day for New Year’s Day",
            "Tuesday 4 January at 9am",
        ),
        (
            "2022-09-19T10:00:00+01:00",
            "Bank Holiday for the State Funeral of Queen Elizabeth II",
            "Tuesday 20 September at 9am",
        ),
        (
            "2023-05-08T10:00:00+01:00",
            "Bank holiday for the coronation of King Charles III",
            "Tuesday 9 May at 9am",
        ),
        (
            "2022-06-02T10:00:00+01:00",
            "Spring bank holiday",
            "Monday 6 June at 9am",
        ),
        (
            "2022-06-03T10:00:00+01:00",
            "Platinum Jubilee bank holiday",
            "Monday 6 June at 9am",
        ),
    ];
    for (now, holiday, reopens) in cases {
        let call = first_answer(now).await;
        let heard = call.heard();
        assert!(
            heard.contains(&format!(
                "Today is a bank holiday, {holiday}, so we are closed"
            )),
            "{now}: {heard}"
        );
        assert!(
            heard.contains(&format!("open again on {reopens}")),
            "{now}: {heard}"
        );
    }
}

#[tokio::test]
async fn a_holiday_evening_is_still_named_but_an_ordinary_evening_names_none() {
    let call = first_answer("2026-12-28T19:00:00Z").await;
    assert!(call.heard().contains("Boxing Day"), "{}", call.heard());
    let call = first_answer("2026-12-29T19:00:00Z").await;
    assert!(!call.heard().contains("bank holiday,"), "{}", call.heard());
    assert!(
        call.heard()
            .contains("open again on Wednesday 30 December at 9am"),
        "{}",
        call.heard()
    );
}

#[tokio::test]
async fn closed_message_gives_hours_reopening_email_and_counselling_offer() {
    let call = first_answer("2026-11-23T18:30:00Z").await;
    let heard = call.heard();
    for needed in [
        "Monday to Friday, 9am to 5pm",
        "open again on Tuesday 24 November at 9am",
        "email",
        "BMA website",
        "24-hour",
        "press 1",
    ] {
        assert!(
            heard.contains(needed),
            "closed message lacks {needed:?}: {heard}"
        );
    }
    // Everything is inside the menu: the caller can press 1 at any moment.
    assert_eq!(call.twiml.elements().next().unwrap().name, "Gather");
}

#[tokio::test]
async fn closed_callers_pressing_one_reach_the_counselling_line() {
    let app = app("2026-11-21T12:00:00Z");
    let mut call = Call::start(&app, DOCTOR_SUPPORT).await;
    call.press("1").await;
    assert_eq!(call.dialling().as_deref(), Some(COUNSELLING));
    // The counselling dial belongs to the wellbeing line, with its retries.
    // The call started on the Doctor support line, and its URLs say so.
    assert_eq!(
        call.waiting_at(),
        "wellbeing/counselling?attempt=1&origin=doctor-support"
    );
    call.dial_ends("busy").await;
    assert_eq!(
        call.waiting_at(),
        "wellbeing/counselling?attempt=2&origin=doctor-support"
    );
}

#[tokio::test]
async fn closed_callers_who_do_not_choose_hear_the_24_hour_number_before_goodbye() {
    let app = app("2026-11-21T12:00:00Z");
    let mut call = Call::start(&app, DOCTOR_SUPPORT).await;
    call.silence().await;
    assert!(!call.hung_up());
    call.silence().await;
    assert!(call.hung_up());
    assert!(
        call.heard().contains("on 0330 123 1245."),
        "{}",
        call.heard()
    );
}

#[tokio::test]
async fn open_greeting_then_the_team_and_if_nobody_answers_when_to_call_back_and_counselling() {
    let app = app("2026-11-24T11:00:00Z");
    let mut call = Call::start(&app, DOCTOR_SUPPORT).await;
    let heard = call.heard();
    for needed in [
        "confidential",
        "independent of the GMC",
        "enquiry or an investigation",
        "licence to practise is at risk",
        "We're not an emergency service: for urgent help, contact your GP or A and E; in an emergency, dial 999.",
    ] {
        assert!(
            heard.contains(needed),
            "open greeting lacks {needed:?}: {heard}"
        );
    }
    assert_eq!(call.dialling().as_deref(), Some(DOCTOR_SUPPORT_TEAM));
    call.dial_ends("no-answer").await;
    assert_eq!(
        call.dialling().as_deref(),
        Some(DOCTOR_SUPPORT_TEAM),
        "one more try"
    );
    call.dial_ends("no-answer").await;
    let heard = call.heard();
    assert!(
        heard.contains("Please call us again later, or from Wednesday 25 November at 9am."),
        "{heard}"
    );
    assert!(
        heard.contains("counsellor") && heard.contains("press 1"),
        "{heard}"
    );
    call.press("1").await;
    assert_eq!(call.dialling().as_deref(), Some(COUNSELLING));
}

/// The shipped flows with the Doctor support file edited as ops would.
fn with_doctor_support_edit(edit: impl Fn(&str) -> String) -> switchboard::flow::Flows {
    let sources = shipped_sources("doctor-support.toml", edit);
    switchboard::check::load_sources(&sources).expect("the edited flows load")
}

fn with_christmas_eve_closed() -> switchboard::flow::Flows {
    with_doctor_support_edit(|text| {
        text.replace(
            "closures = []",
            r#"closures = [{ date = "2026-12-24", reason = "the team is taking the day off for Christmas Eve" }]"#,
        )
    })
}

#[tokio::test]
async fn a_closure_day_added_by_ops_closes_the_line_and_moves_the_next_opening() {
    let app = app_with(with_christmas_eve_closed(), "2026-12-23T17:30:00Z");
    let call = Call::start(&app, DOCTOR_SUPPORT).await;
    assert!(
        call.heard()
            .contains("open again on Tuesday 29 December at 9am"),
        "{}",
        call.heard()
    );
    let app = app_with(with_christmas_eve_closed(), "2026-12-24T10:00:00Z");
    let mut call = Call::start(&app, DOCTOR_SUPPORT).await;
    assert!(call.dialling().is_none(), "closed on the closure day");
    assert!(
        call.heard().contains(
            "closed today: the team is taking the day off for Christmas Eve. \
             We open again on Tuesday 29 December at 9am."
        ),
        "{}",
        call.heard()
    );
    call.press("1").await;
    assert_eq!(call.dialling().as_deref(), Some(COUNSELLING));
}

#[tokio::test]
async fn special_hours_open_late_and_close_early_on_their_day_only() {
    let flows = || {
        with_doctor_support_edit(|text| {
            text.replace(
                "special_hours = []",
                r#"special_hours = [{ date = "2026-12-23", hours = "10:00-13:00" }]"#,
            )
        })
    };
    for (now, open) in [
        ("2026-12-23T09:30:00Z", false),
        ("2026-12-23T10:00:00Z", true),
        ("2026-12-23T12:59:59Z", true),
        ("2026-12-23T13:00:00Z", false),
        ("2026-12-22T16:30:00Z", true),
    ] {
        let call = Call::start(&app_with(flows(), now), DOCTOR_SUPPORT).await;
        assert_eq!(
            call.dialling().as_deref() == Some(DOCTOR_SUPPORT_TEAM),
            open,
            "{now}: {}",
            call.heard()
        );
    }
    let call = Call::start(&app_with(flows(), "2026-12-23T08:00:00Z"), DOCTOR_SUPPORT).await;
    assert!(
        call.heard()
            .contains("open again on Wednesday 23 December at 10am"),
        "{}",
        call.heard()
    );
}

#[tokio::test]
async fn the_emergency_switch_closes_the_line_at_once_and_reopens_it() {
    use std::sync::Arc;
    use switchboard::calendar::Emergencies;

    // A Monday morning, and a closure day: the switch comes first in both.
    for now in ["2026-11-23T10:00:00Z", "2026-12-24T10:00:00Z"] {
        let state = app_state(with_christmas_eve_closed(), now);
        let switch = state.emergencies.clone();
        let app = switchboard::server::router(Arc::new(state));
        let mut closed = Emergencies::default();
        closed.close("doctor-support", Default::default());
        switch.store(Arc::new(closed));

        let mut call = Call::start(&app, DOCTOR_SUPPORT).await;
        assert!(call.dialling().is_none(), "{now}");
        let heard = call.heard();
        assert!(
            heard.contains("cannot yet say when it will reopen"),
            "{heard}"
        );
        assert!(!heard.contains("open again on"), "{heard}");
        call.press("1").await;
        assert_eq!(call.dialling().as_deref(), Some(COUNSELLING));

        // From the wellbeing line's Doctor support information too.
        let mut call = Call::start(&app, WELLBEING).await;
        call.press("3").await;
        assert!(
            call.heard().contains("cannot yet say when it will reopen"),
            "{}",
            call.heard()
        );

        switch.store(Arc::new(Emergencies::default()));
        let call = Call::start(&app, DOCTOR_SUPPORT).await;
        let reopened = if now.starts_with("2026-11-23") {
            call.dialling().as_deref() == Some(DOCTOR_SUPPORT_TEAM)
        } else {
            call.heard().contains("closed today")
        };
        assert!(reopened, "{now}: {}", call.heard());
    }
}
