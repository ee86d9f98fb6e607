//! The wellbeing support line (0330 123 1245), driven through the HTTP router as Twilio would.

use crate::support::*;

// A Sunday night: the wellbeing line is the same at any hour.
const NIGHT: &str = "2026-11-22T03:00:00Z";

#[tokio::test]
async fn greeting_is_short_says_it_is_not_an_emergency_service_and_is_inside_the_menu() {
    let app = app(NIGHT);
    let call = Call::start(&app, WELLBEING).await;
    let gather = call.gather().expect("the first answer is a menu");
    let greeting = gather.text();
    for needed in [
        "free, confidential, 24 hours, for all UK doctors and medical students",
        "We're not an emergency service: for urgent help, contact your GP or A and E; in an emergency, dial 999.",
        "press 2 or say peer support",
        "press 3 or say doctor support",
        "press star or say repeat",
    ] {
        assert!(
            greeting.contains(needed),
            "greeting lacks {needed:?}: {greeting}"
        );
    }
    // Inside the Gather, the caller can press a key during the greeting.
    assert_eq!(call.twiml.elements().next().unwrap().name, "Gather");
    assert_eq!(gather.attribute("input"), Some("dtmf speech"));
    assert_eq!(gather.attribute("language"), Some("en-GB"));
    assert_eq!(gather.attribute("numDigits"), Some("1"));
    assert!(
        gather
            .attribute("action")
            .unwrap()
            .starts_with("/voice/wellbeing/main-menu?attempt=1")
    );
    let words = greeting.split_whitespace().count();
    assert!(
        words < 150,
        "a greeting of {words} words is too long for a caller in distress"
    );
}

#[tokio::test]
async fn one_or_counselling_connects_to_the_counselling_team() {
    let app = app(NIGHT);
    let mut call = Call::start(&app, WELLBEING).await;
    call.press("1").await;
    assert_eq!(call.dialling().as_deref(), Some(COUNSELLING));
    assert!(
        call.dial()
            .unwrap()
            .attribute("action")
            .unwrap()
            .starts_with("/voice/wellbeing/counselling")
    );

    for words in ["Counselling.", "I'd like a counsellor please", "one"] {
        let mut call = Call::start(&app, WELLBEING).await;
        call.say(words).await;
        assert_eq!(
            call.dialling().as_deref(),
            Some(COUNSELLING),
            "after saying {words:?}"
        );
    }
}

#[tokio::test]
async fn two_or_peer_support_explains_it_gives_the_privacy_line_then_connects_to_intake() {
    let app = app(NIGHT);
    for choose in ["press", "say"] {
        let mut call = Call::start(&app, WELLBEING).await;
        if choose == "press" {
            call.press("2").await
        } else {
            call.say("peer support").await
        }
        let heard = call.heard();
        for needed in [
            "another doctor",
            "emotional",
            "reflective space",
            "do not give advice, diagnosis or treatment",
            "sociable hours",
            "privacy notice",
            "press any key",
        ] {
            assert!(
                heard.contains(needed),
                "peer support lacks {needed:?}: {heard}"
            );
        }
        // Silence: straight through to intake.
        call.silence().await;
        assert_eq!(call.dialling().as_deref(), Some(PEER_SUPPORT));
    }
}

#[tokio::test]
async fn any_key_during_the_peer_support_notice_reads_the_privacy_notice_in_full() {
    let app = app(NIGHT);
    let mut call = Call::start(&app, WELLBEING).await;
    call.press("2").await;
    call.press("7").await;
    let heard = call.heard();
    for needed in [
        "To skip it, press any key or say skip.",
        "name, telephone number",
        "up to 20 years",
        "unless the law requires",
        "GMC",
    ] {
        assert!(
            heard.contains(needed),
            "privacy notice lacks {needed:?}: {heard}"
        );
    }
    // Heard to its end, the notice leads on to peer support; so does skipping it.
    call.silence().await;
    assert_eq!(call.dialling().as_deref(), Some(PEER_SUPPORT));
    for by_speech in [false, true] {
        let mut call = Call::start(&app, WELLBEING).await;
        call.press("2").await;
        call.press("1").await;
        if by_speech {
            call.say("skip").await;
        } else {
            call.press("9").await;
        }
        assert_eq!(
            call.dialling().as_deref(),
            Some(PEER_SUPPORT),
            "{by_speech}"
        );
    }
}

#[tokio::test]
async fn three_describes_doctor_support_and_offers_it_when_open() {
    // Monday 23 November 2026, 10:00 GMT: open.
    let app = app("2026-11-23T10:00:00Z");
    let mut call = Call::start(&app, WELLBEING).await;
    call.press("3").await;
    let heard = call.heard();
    for needed in [
        "a provisional enquiry or an investigation",
        "licence to practise is at risk",
        "independent of the GMC",
        "Its line, 020 7383 6707, is open Monday to Friday, 9am to 5pm, except bank holidays.",
        "email the service",
        "open now",
        "press 1 or say yes",
    ] {
        assert!(
            heard.contains(needed),
            "doctor support info lacks {needed:?}: {heard}"
        );
    }
    call.press("1").await;
    assert_eq!(call.dialling().as_deref(), Some(DOCTOR_SUPPORT_TEAM));
    // The call keeps the wellbeing line's promise on the other line's steps.
    assert_eq!(
        call.waiting_at(),
        "doctor-support/team?attempt=1&origin=wellbeing"
    );
}

#[tokio::test]
async fn three_says_when_doctor_support_reopens_when_closed_offers_a_call_back_and_star_returns_to_the_menu()
 {
    // Christmas Day 2026: closed until Tuesday 29 December (Monday 28 is the Boxing Day substitute).
    let app = app("2026-12-25T12:00:00Z");
    let mut call = Call::start(&app, WELLBEING).await;
    call.press("3").await;
    let heard = call.heard();
    assert!(heard.contains("closed now"), "{heard}");
    assert!(heard.contains("Tuesday 29 December at 9am"), "{heard}");
    assert!(!heard.contains("open now"), "{heard}");
    assert!(heard.contains("call you back, press 2"), "{heard}");
    assert_eq!(
        call.waiting_at(),
        "wellbeing/doctor-support-call-back-offer?attempt=1"
    );
    call.press("*").await;
    assert_eq!(call.waiting_at(), "wellbeing/main-menu?attempt=1");
    call.press("1").await;
    assert_eq!(call.dialling().as_deref(), Some(COUNSELLING));
}

#[tokio::test]
async fn star_repeats_the_menu_without_using_up_a_try() {
    let app = app(NIGHT);
    let mut call = Call::start(&app, WELLBEING).await;
    call.press("*").await;
    assert!(call.heard().contains("press 1"));
    assert!(
        !call.heard().contains("not an emergency service"),
        "the greeting is not repeated"
    );
    assert_eq!(call.waiting_at(), "wellbeing/main-menu?attempt=1");
}

#[tokio::test]
async fn silence_repeats_the_menu_three_times_in_all_then_a_counsellor() {
    let app = app(NIGHT);
    let mut call = Call::start(&app, WELLBEING).await;
    call.silence().await;
    assert!(
        call.heard().starts_with("Sorry, we didn't hear a choice."),
        "{}",
        call.heard()
    );
    assert_eq!(call.waiting_at(), "wellbeing/main-menu?attempt=2");
    call.silence().await;
    assert_eq!(call.waiting_at(), "wellbeing/main-menu?attempt=3");
    call.silence().await;
    assert_eq!(call.dialling().as_deref(), Some(COUNSELLING));
    assert!(
        call.heard().contains("put you through to a counsellor"),
        "{}",
        call.heard()
    );
}

#[tokio::test]
async fn invalid_keys_and_unrecognised_words_count_as_tries_too() {
    let app = app(NIGHT);
    let mut call = Call::start(&app, WELLBEING).await;
    call.press("9").await;
    assert!(
        call.heard()
            .starts_with("Sorry, that isn't one of the choices."),
        "{}",
        call.heard()
    );
    call.say("what is this").await;
    assert_eq!(call.waiting_at(), "wellbeing/main-menu?attempt=3");
    call.press("#").await;
    assert_eq!(call.dialling().as_deref(), Some(COUNSELLING));
}

#[tokio::test]
async fn words_for_two_choices_at_once_are_asked_again() {
    let app = app(NIGHT);
    let mut call = Call::start(&app, WELLBEING).await;
    call.say("counselling or peer support").await;
    assert_eq!(call.waiting_at(), "wellbeing/main-menu?attempt=2");
}

#[tokio::test]
async fn a_failed_counselling_connection_apologises_and_tries_again() {
    let app = app(NIGHT);
    let mut call = Call::start(&app, WELLBEING).await;
    call.press("1").await;
    // Each failure is worded by what happened.
    for (status, said, next_try) in [
        (
            "busy",
            "Sorry, every counsellor's line was busy just then.",
            2,
        ),
        ("no-answer", "Sorry, no counsellor answered just then.", 3),
    ] {
        call.dial_ends(status).await;
        assert!(
            call.heard().contains(&format!(
                "{said} We're trying again; please stay on the line."
            )),
            "{}",
            call.heard()
        );
        assert_eq!(
            call.waiting_at(),
            format!("wellbeing/counselling?attempt={next_try}")
        );
        assert_eq!(call.dialling().as_deref(), Some(COUNSELLING));
    }
}

#[tokio::test]
async fn after_the_retries_fail_the_caller_is_offered_a_human_not_hung_up_on() {
    let app = app(NIGHT);
    let mut call = Call::start(&app, WELLBEING).await;
    call.press("1").await;
    for status in ["busy", "failed", "no-answer"] {
        call.dial_ends(status).await;
    }
    assert!(!call.hung_up());
    let heard = call.heard();
    assert!(
        heard.contains("Sorry, no counsellor answered just then. We're sorry: we still couldn't reach a counsellor.")
            && heard.contains("live chat or email")
            && heard.contains("We're not an emergency service: for urgent help, contact your GP or A and E; in an emergency, dial 999."),
        "{heard}"
    );
    call.press("2").await;
    assert_eq!(call.dialling().as_deref(), Some(PEER_SUPPORT));

    // A caller who says nothing, and whose connections keep failing, is put through to the
    // other 24-hour team before the first is tried again, and back.
    let mut call = Call::start(&app, WELLBEING).await;
    call.press("1").await;
    for status in ["busy", "failed", "canceled"] {
        call.dial_ends(status).await;
    }
    call.silence().await;
    call.silence().await;
    assert_eq!(call.dialling().as_deref(), Some(PEER_SUPPORT));
    call.dial_ends("no-answer").await;
    call.dial_ends("no-answer").await;
    call.silence().await;
    call.silence().await;
    assert_eq!(call.dialling().as_deref(), Some(COUNSELLING));
}

#[tokio::test]
async fn peer_support_that_cannot_answer_offers_a_counsellor() {
    let app = app(NIGHT);
    let mut call = Call::start(&app, WELLBEING).await;
    call.press("2").await;
    call.silence().await;
    call.dial_ends("no-answer").await;
    call.dial_ends("busy").await;
    assert!(
        call.heard()
            .contains("we still couldn't reach anyone in peer support"),
        "{}",
        call.heard()
    );
    call.press("1").await;
    assert_eq!(call.dialling().as_deref(), Some(COUNSELLING));
}

#[tokio::test]
async fn a_completed_connection_ends_the_call_cleanly_and_a_cancelled_one_is_tried_again() {
    let app = app(NIGHT);
    for status in ["completed", "answered"] {
        let mut call = Call::start(&app, WELLBEING).await;
        call.press("1").await;
        call.dial_ends(status).await;
        assert!(call.hung_up(), "{status}");
    }
    // Twilio says `canceled` when the outgoing leg was cancelled: the caller may still be
    // there, so it is a failed connection, never a hang-up.
    let mut call = Call::start(&app, WELLBEING).await;
    call.press("1").await;
    call.dial_ends("canceled").await;
    assert!(!call.hung_up());
    assert!(
        call.heard()
            .contains("Sorry, we couldn't connect the call just then.")
    );
    assert_eq!(call.waiting_at(), "wellbeing/counselling?attempt=2");
}

#[tokio::test]
async fn unknown_or_missing_to_number_gets_the_wellbeing_line() {
    let app = app(NIGHT);
    let call = Call::start(&app, "+15005550006").await;
    assert!(call.heard().contains("wellbeing support line"));
    let reply = post(&app, "/voice", &[("CallSid", "CA1")], None).await;
    assert!(reply.twiml().text().contains("wellbeing support line"));
}
