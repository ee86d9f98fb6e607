//! What must hold of every answer and every call, whatever the caller does: valid TwiML that
//! waits for the caller, connects them or ends deliberately; on the wellbeing line, no call
//! ends without a person having been reached.

mod common;

use common::*;
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

#[test]
fn on_the_wellbeing_line_a_hang_up_only_follows_a_connection() {
    let flows = shipped_flows();
    let cases = explore::every_answer(
        &flows,
        &BankHolidays::builtin(),
        &explore::sample_instants(),
    );
    let wellbeing = flows.line_index("wellbeing").unwrap();
    for case in cases.iter().filter(|c| c.answer.line == wellbeing) {
        let hangs_up = case
            .answer
            .response
            .verbs
            .iter()
            .any(|v| matches!(v, switchboard::twiml::Verb::Hangup));
        if hangs_up {
            assert!(
                case.label.contains("DialCallStatus=completed")
                    || case.label.contains("DialCallStatus=answered")
                    || case.label.contains("DialCallStatus=canceled"),
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
            last_dial.is_some_and(|l| l.ends_with("completed") || l.ends_with("canceled")),
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
        let connected = text.lines().rfind(|l| l.contains("dials:")).is_some_and(|l| l.ends_with("completed") || l.ends_with("canceled"));
        prop_assert!(connected || transcript.heard().contains("1 2 4 5"), "{text}");
    }
}
