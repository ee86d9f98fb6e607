//! What must hold of every answer and every call, whatever the caller does: valid TwiML that
//! waits for the caller, connects them or ends deliberately; on the wellbeing line, no call
//! ends without a person having been reached.

use crate::support::*;
use proptest::prelude::*;
use switchboard::calendar::{BankHolidays, Emergencies};
use switchboard::engine::Context;
use switchboard::explore;
use switchboard::flow::Flows;
use switchboard::simulate::{self, CallerAction};
use switchboard::twiml::tree;

#[test]
fn every_answer_is_well_formed_twiml_that_never_leaves_the_caller_hanging() {
    let flows = shipped_flows();
    let cases = explore::every_answer(
        &flows,
        &BankHolidays::builtin(),
        &explore::sample_instants(),
    );
    assert!(
        cases.len() > 500,
        "the exploration covers {} answers",
        cases.len()
    );
    for case in cases {
        let xml = case.answer.response.to_xml("");
        assert!(
            xml.len() < switchboard::twiml::MAX_DOCUMENT_BYTES,
            "{}: {} bytes",
            case.label,
            xml.len()
        );
        let doc = tree::parse(&xml).unwrap_or_else(|e| panic!("{}: {e}", case.label));
        assert_eq!(doc.name, "Response");
        let verbs: Vec<&str> = doc.elements().map(|e| e.name.as_str()).collect();
        let ends_well = match verbs.as_slice() {
            [.., "Gather", "Redirect"] => {
                let gather = doc.elements().find(|e| e.name == "Gather").unwrap();
                let redirect = doc.elements().last().unwrap();
                gather.attribute("action") == Some(redirect.text().trim())
            }
            [.., "Dial"] => doc.elements().last().unwrap().attribute("action").is_some(),
            [.., "Hangup"] => true,
            _ => false,
        };
        assert!(
            ends_well,
            "{}: the answer {verbs:?} does not end by waiting, dialling with an action, or hanging up",
            case.label
        );
        for element in doc.descendants() {
            if element.name == "Say" {
                assert!(
                    !element.text().trim().is_empty(),
                    "{}: an empty Say",
                    case.label
                );
                assert!(
                    !element.text().contains('{'),
                    "{}: an unfilled placeholder: {}",
                    case.label,
                    element.text()
                );
            }
        }
    }
}

/// The longest run of digits in `text`.
fn longest_digit_run(text: &str) -> usize {
    text.split(|c: char| !c.is_ascii_digit())
        .map(str::len)
        .max()
        .unwrap_or(0)
}

#[test]
fn no_action_url_of_any_answer_holds_a_run_of_nine_digits() {
    let flows = shipped_flows();
    let cases = explore::every_answer(
        &flows,
        &BankHolidays::builtin(),
        &explore::sample_instants(),
    );
    let mut confirming = 0;
    for case in cases {
        let xml = case.answer.response.to_xml("");
        let doc = tree::parse(&xml).unwrap();
        for element in doc.descendants() {
            // Every URL Twilio is sent on to: an action, a Redirect's text.
            let urls = ["action", "statusCallback", "url"]
                .into_iter()
                .filter_map(|name| element.attribute(name).map(str::to_owned))
                .chain((element.name == "Redirect").then(|| element.text().trim().to_owned()));
            for url in urls {
                confirming += usize::from(url.contains("stage=confirming"));
                assert!(
                    longest_digit_run(&url) < 9,
                    "{}: a number in an action URL: {url}",
                    case.label
                );
            }
        }
    }
    // The answers that read a keyed number back were among them.
    assert!(confirming > 0);
}

#[test]
fn on_a_call_started_on_the_wellbeing_line_a_hang_up_only_follows_a_connection() {
    let flows = shipped_flows();
    let cases = explore::every_answer(
        &flows,
        &BankHolidays::builtin(),
        &explore::sample_instants(),
    );
    // Every answer to a call that started on the 24/7 line, on whichever line's step it is.
    for case in cases.iter().filter(|c| c.from_24_7) {
        let hangs_up = case
            .answer
            .response
            .verbs
            .iter()
            .any(|v| matches!(v, switchboard::twiml::Verb::Hangup));
        if hangs_up {
            assert!(
                case.label.contains("DialCallStatus=completed")
                    || case.label.contains("DialCallStatus=answered"),
                "{}: hangs up without the caller having reached anyone",
                case.label
            );
        }
    }
}

fn caller_action() -> impl Strategy<Value = CallerAction> {
    prop_oneof![
        "[0-9*#]{1,2}".prop_map(CallerAction::Press),
        prop_oneof![
            Just("counselling".to_owned()),
            Just("peer support".to_owned()),
            Just("I don't know".to_owned()),
            "[a-z ]{0,20}".prop_map(|s| s),
        ]
        .prop_map(CallerAction::Say),
        prop_oneof![
            Just("busy"),
            Just("no-answer"),
            Just("failed"),
            Just("completed"),
            Just("answered"),
            Just("canceled"),
            Just("bogus")
        ]
        .prop_map(|s| CallerAction::Dial(s.to_owned())),
    ]
}

fn instant() -> impl Strategy<Value = chrono::DateTime<chrono::Utc>> {
    // 2020 to 2030, to the second.
    (1_577_836_800i64..1_893_456_000i64)
        .prop_map(|s| chrono::DateTime::from_timestamp(s, 0).unwrap())
}

fn play(
    flows: &Flows,
    to: &str,
    now: chrono::DateTime<chrono::Utc>,
    actions: &[CallerAction],
) -> simulate::Transcript {
    let holidays = BankHolidays::builtin();
    let ctx = Context {
        flows,
        holidays: &holidays,
        emergencies: &Emergencies::default(),
        now,
    };
    simulate::call(&ctx, to, actions)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Whatever a caller does, a wellbeing call ends only once someone answered it (when the
    /// caller runs out of actions they stay silent, and connections are answered).
    #[test]
    fn no_wellbeing_call_ends_without_a_person(now in instant(), actions in prop::collection::vec(caller_action(), 0..12)) {
        let flows = shipped_flows();
        let transcript = play(&flows, WELLBEING, now, &actions);
        let text = transcript.text();
        prop_assert!(transcript.ended, "the call did not end:\n{text}");
        prop_assert!(!text.contains("error:"), "{text}");
        let last_dial = text.lines().rfind(|l| l.contains("dials:"));
        prop_assert!(
            last_dial.is_some_and(|l| l.ends_with("completed") || l.ends_with("answered")),
            "ended without a connection:\n{text}"
        );
    }

    /// A Doctor support call ends either after a connection or after being given the
    /// 24-hour counselling number.
    #[test]
    fn doctor_support_calls_end_with_a_person_or_the_counselling_number(now in instant(), actions in prop::collection::vec(caller_action(), 0..12)) {
        let flows = shipped_flows();
        let transcript = play(&flows, DOCTOR_SUPPORT, now, &actions);
        let text = transcript.text();
        prop_assert!(transcript.ended, "the call did not end:\n{text}");
        prop_assert!(!text.contains("error:"), "{text}");
        let connected = text.lines().rfind(|l| l.contains("dials:")).is_some_and(|l| l.ends_with("completed") || l.ends_with("answered"));
        prop_assert!(connected || transcript.heard().contains("0330 123 1245"), "{text}");
    }
}

/// Plays a call black-box through the HTTP router, as Twilio would: signed webhooks, each
/// following the URL the last answer gave. Returns why the call broke the promise, if it did.
async fn play_through_the_router(
    router: &axum::Router,
    to: &str,
    actions: &[CallerAction],
) -> Result<(), String> {
    let mut call = Call::start(router, to).await;
    let mut actions = actions.iter().peekable();
    let mut last_dial: Option<String> = None;
    let mut way = Vec::new();
    for _ in 0..60 {
        if call.hung_up() {
            return match last_dial.as_deref() {
                Some("completed" | "answered") => Ok(()),
                other => Err(format!(
                    "hung up after {other:?}, before a person answered: {}",
                    way.join(" → ")
                )),
            };
        }
        if let Some(gather) = call.gather() {
            let listens = gather.attribute("input") == Some("dtmf speech");
            way.push(call.waiting_at());
            match actions.next_if(|a| !matches!(a, CallerAction::Dial(_))) {
                Some(CallerAction::Press(keys)) => call.press(keys).await,
                Some(CallerAction::Say(words)) if listens => call.say(words).await,
                _ => call.silence().await,
            }
        } else if call.dial().is_some() {
            way.push(call.waiting_at());
            let status = match actions.next_if(|a| matches!(a, CallerAction::Dial(_))) {
                Some(CallerAction::Dial(status)) => status.clone(),
                _ => "completed".to_owned(),
            };
            call.dial_ends(&status).await;
            last_dial = Some(status);
        } else {
            return Err(format!(
                "an answer that neither waits, dials nor hangs up: {:?}",
                call.twiml
            ));
        }
    }
    Err(format!("no end after 60 webhooks: {}", way.join(" → ")))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(150))]

    /// The same promise, black-box through the router, with the emergency switch either way:
    /// a call to the wellbeing line is hung up on only after a person answered, wherever it
    /// goes, the Doctor support line's steps included.
    #[test]
    fn through_the_router_no_wellbeing_call_is_hung_up_on_before_a_person_answered(
        now in instant(),
        emergency in any::<bool>(),
        actions in prop::collection::vec(caller_action(), 0..16),
    ) {
        let mut app = app_state(shipped_flows(), "2026-01-01T00:00:00Z");
        app.clock = switchboard::server::Clock::Fixed(now);
        if emergency {
            let mut closed = Emergencies::default();
            closed.close("doctor-support", Default::default());
            app.emergencies.store(std::sync::Arc::new(closed));
        }
        let router = switchboard::server::router(std::sync::Arc::new(app));
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let outcome = runtime.block_on(play_through_the_router(&router, WELLBEING, &actions));
        prop_assert!(outcome.is_ok(), "{}", outcome.unwrap_err());
    }
}
