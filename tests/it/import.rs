//! `switchboard import`: a call played through the router, written up as Twilio's Call Events
//! and Event Streams would list it, becomes a fixture that replays green and catches a change.

use std::path::Path;
use std::process::{Command, Output};

use crate::support::*;
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

/// Wednesday 2 December 2026, in office hours.
const NOW: &str = "2026-12-02T11:00:00Z";
/// The caller's own number, as Twilio's record of the call has it.
const REAL_CALLER: &str = "+447700900571";
const OTHER_HOST: &str = "https://studio.example.net/voice";
const REST_API: &str = "https://api.twilio.com/2010-04-01/Accounts/AC00000000000000000000000000000000/Calls/CA11111111111111111111111111111111.json";

/// A wellbeing call: the caller asks for peer support in words, stays silent at the privacy
/// notice's offer, and is put through.
async fn peer_support_call() -> Call {
    let mut call = Call::start(&app(NOW), WELLBEING).await;
    call.say("I'd like peer support please").await;
    call.silence().await;
    call.dial_ends("completed").await;
    assert!(call.hung_up(), "{:?}", call.twiml);
    call
}

fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

fn camel_case(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_ascii_lowercase())
        .into_iter()
        .chain(chars)
        .collect()
}

/// Twilio's date form, `Wed, 02 Dec 2026 11:00:03 +0000`.
fn twilio_date(at: DateTime<Utc>) -> String {
    at.to_rfc2822()
}

/// Writes one webhook as an events document lists it: URL, parameters, answer, instant.
type WriteEvent = fn(&str, &[(String, String)], &str, DateTime<Utc>) -> Value;

/// An event as the Call Events resource lists it.
fn call_event(url: &str, params: &[(String, String)], body: &str, at: DateTime<Utc>) -> Value {
    let parameters: serde_json::Map<String, Value> = params
        .iter()
        .map(|(k, v)| (snake_case(k), Value::String(v.clone())))
        .collect();
    json!({
        "request": { "method": "POST", "url": url, "parameters": parameters },
        "response": {
            "response_code": 200, "request_duration": 12,
            "content_type": "text/xml; charset=utf-8",
            "response_body": body, "date_created": twilio_date(at),
        },
    })
}

/// The same, as Event Streams deliver it: camelCase, the answer in base64.
fn stream_event(url: &str, params: &[(String, String)], body: &str, at: DateTime<Utc>) -> Value {
    let parameters: serde_json::Map<String, Value> = params
        .iter()
        .map(|(k, v)| (camel_case(k), Value::String(v.clone())))
        .collect();
    json!({
        "specversion": "1.0",
        "type": "com.twilio.voice.twiml.gather.finished",
        "dataschema": "https://events-schemas.twilio.com/Voice.WebhookEvent/2",
        "data": {
            "sid": "CA11111111111111111111111111111111",
            "requestDateCreated": twilio_date(at),
            "request": { "method": "POST", "url": url, "parameters": parameters },
            "response": {
                "responseCode": 200, "requestDuration": 12,
                "contentType": "text/xml; charset=utf-8",
                "responseBody": base64::engine::general_purpose::STANDARD.encode(body),
                "dateCreated": twilio_date(at),
            },
        },
    })
}

/// The call's webhooks three seconds apart, each as `event` writes it at the public URL
/// `public` (its path prefix, if any, in the URLs and in the answers' action URLs as the server
/// behind a proxy writes them), with a REST API request, a status callback and another
/// application's webhook among them.
fn events(call: &Call, public: &str, event: WriteEvent) -> Vec<Value> {
    let start = instant(NOW);
    let prefix = public
        .split_once("://")
        .unwrap()
        .1
        .split_once('/')
        .map_or("", |(_, p)| p);
    let prefix = if prefix.is_empty() {
        String::new()
    } else {
        format!("/{prefix}")
    };
    let as_sent = |params: &[(String, String)]| -> Vec<(String, String)> {
        params
            .iter()
            .map(|(k, v)| match k.as_str() {
                "From" | "Caller" => (k.clone(), REAL_CALLER.to_owned()),
                _ => (k.clone(), v.clone()),
            })
            .collect()
    };
    let mut events = Vec::new();
    for (i, webhook) in call.webhooks.iter().enumerate() {
        let at = start + Duration::seconds(3 * i as i64);
        let answer = webhook
            .answer
            .replace("\"/voice", &format!("\"{prefix}/voice"))
            .replace(">/voice", &format!(">{prefix}/voice"));
        let url = format!("{public}{}", webhook.path_and_query);
        events.push(event(&url, &as_sent(&webhook.params), &answer, at));
    }
    let later = start + Duration::seconds(60);
    let first = &as_sent(&call.webhooks[0].params);
    events.push(event(
        REST_API,
        &owned(&[("Status", "completed")]),
        "{}",
        later,
    ));
    events.push(event(
        &format!("{public}/status"),
        first,
        "<Response/>",
        later,
    ));
    // Another application answered the call first (a Studio flow, say), then handed it over.
    let before = start - Duration::seconds(5);
    events.push(event(OTHER_HOST, first, "<Response/>", before));
    events
}

fn import(out: &Path, files: &[&Path], flows: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("import")
        .arg("--out")
        .arg(out)
        .arg("--flows")
        .arg(flows)
        .args(files)
        .env_remove("SWITCHBOARD_PUBLIC_URL")
        .output()
        .unwrap()
}

fn replay(fixtures: &Path, flows: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("replay")
        .arg(fixtures)
        .arg("--flows")
        .arg(flows)
        .output()
        .unwrap()
}

fn only_file(dir: &Path) -> String {
    let files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    std::fs::read_to_string(&files[0]).unwrap()
}

#[tokio::test]
async fn a_call_imported_from_call_events_replays_green_and_catches_a_changed_message() {
    let call = peer_support_call().await;
    let dir = tempfile::tempdir().unwrap();
    // Two pages of one call, the second listing its events newest first.
    let mut all = events(&call, PUBLIC_URL, call_event);
    let second: Vec<Value> = all.split_off(2).into_iter().rev().collect();
    let pages = [all, second].map(|events| {
        json!({ "events": events, "uri": "/2010-04-01/Accounts/AC0/Calls/CA11111111111111111111111111111111/Events.json", "next_page_uri": null })
    });
    let files: Vec<_> = pages
        .iter()
        .enumerate()
        .map(|(i, page)| {
            let path = dir.path().join(format!("events-{i}.json"));
            std::fs::write(&path, page.to_string()).unwrap();
            path
        })
        .collect();
    let out = dir.path().join("fixtures");
    let shipped = shipped_flows_dir();
    let imported = import(&out, &[&files[0], &files[1]], &shipped);
    let said = text(&imported.stdout);
    assert!(
        imported.status.success(),
        "{said}{}",
        text(&imported.stderr)
    );
    assert!(
        said.contains("a wellbeing call at 2026-12-02T11:00:00Z, 4 exchanges"),
        "{said}"
    );
    assert!(
        said.contains("left out: 1 REST API requests, 1 webhooks to other hosts, 1 status or fallback callbacks"),
        "{said}"
    );
    // Scrubbed as the recorder scrubs.
    let fixture = only_file(&out);
    assert!(!fixture.contains("7700900571"), "{fixture}");
    assert!(!fixture.contains("CA1111"), "{fixture}");
    assert!(!fixture.contains("please"), "{fixture}");
    assert!(
        fixture.contains("SpeechResult = \"peer support\""),
        "{fixture}"
    );
    assert!(
        fixture.contains("at = \"2026-12-02T11:00:06Z\""),
        "{fixture}"
    );
    // Green on the flows that answered it.
    let replayed = replay(&out, &shipped);
    assert!(
        replayed.status.success(),
        "{}{}",
        text(&replayed.stdout),
        text(&replayed.stderr)
    );
    // And a change to what that caller heard shows.
    let edited = edited_flows("wellbeing.toml", |text| {
        text.replace(
            "Peer support lets you talk in confidence",
            "Peer support lets you speak in confidence",
        )
    });
    let replayed = replay(&out, edited.path());
    assert_eq!(
        replayed.status.code(),
        Some(1),
        "{}",
        text(&replayed.stdout)
    );
    assert!(
        text(&replayed.stdout).contains("Peer support lets you speak in confidence"),
        "{}",
        text(&replayed.stdout)
    );
}

#[tokio::test]
async fn event_streams_behind_a_path_prefix_import_to_the_same_fixture() {
    let call = peer_support_call().await;
    let dir = tempfile::tempdir().unwrap();
    let page = json!({ "events": events(&call, PUBLIC_URL, call_event) });
    let streamed = Value::Array(events(&call, "https://example.org/ivr", stream_event));
    let (page_file, stream_file) = (dir.path().join("page.json"), dir.path().join("stream.json"));
    std::fs::write(&page_file, page.to_string()).unwrap();
    std::fs::write(&stream_file, streamed.to_string()).unwrap();
    let shipped = shipped_flows_dir();
    let (from_page, from_stream) = (dir.path().join("a"), dir.path().join("b"));
    for (out, file) in [(&from_page, &page_file), (&from_stream, &stream_file)] {
        let imported = import(out, &[file], &shipped);
        assert!(imported.status.success(), "{}", text(&imported.stderr));
    }
    assert_eq!(only_file(&from_page), only_file(&from_stream));
    assert!(replay(&from_stream, &shipped).status.success());
}

#[test]
fn a_file_that_is_not_events_is_refused_with_what_is_wrong_and_nothing_written() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("calls.json");
    std::fs::write(&file, r#"{"calls": []}"#).unwrap();
    let out = dir.path().join("fixtures");
    let imported = import(&out, &[&file], &shipped_flows_dir());
    assert_eq!(imported.status.code(), Some(2));
    let said = text(&imported.stderr);
    assert!(
        said.contains(&format!("{}: neither a Call Events page", file.display())),
        "{said}"
    );
    assert!(!out.exists());
}

#[tokio::test]
async fn a_call_that_asked_for_a_call_back_is_not_imported_and_no_answer_keeps_a_callers_number() {
    // A caller who asked for a call back while the Doctor support line was closed: their
    // answers read back the number they keyed, so the call is left out.
    let flows = shipped_flows_dir();
    let line = app("2026-12-05T14:00:00Z");
    let mut asked = Call::start_from(&line, "anonymous", DOCTOR_SUPPORT).await;
    asked.press("2").await;
    asked.press("07911123457#").await;
    assert!(asked.heard().contains("You keyed"), "{}", asked.heard());
    // A call whose recorded answer says the caller's own number (as an answer of another
    // version might have): imported, with the number masked.
    let mut said = peer_support_call().await;
    said.webhooks[1].answer = said.webhooks[1].answer.replacen(
        "<Say",
        &format!("<Say>Calling from {REAL_CALLER}.</Say><Say"),
        1,
    );
    // Another call: its own CallSid.
    for webhook in &mut said.webhooks {
        for (name, value) in &mut webhook.params {
            if name == "CallSid" {
                *value = "CA22222222222222222222222222222222".to_owned();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let mut documents = Vec::new();
    for (name, call) in [("asked.json", &asked), ("said.json", &said)] {
        let path = dir.path().join(name);
        let events = events(call, PUBLIC_URL, call_event);
        std::fs::write(&path, json!({ "events": events }).to_string()).unwrap();
        documents.push(path);
    }
    let out_dir = tempfile::tempdir().unwrap();
    let files: Vec<&Path> = documents.iter().map(|p| p.as_path()).collect();
    let out = import(out_dir.path(), &files, &flows);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said_out = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(
        said_out.contains("1 calls that asked for a call back"),
        "{said_out}"
    );
    let written: Vec<_> = std::fs::read_dir(out_dir.path()).unwrap().collect();
    assert_eq!(written.len(), 1, "{said_out}");
    let fixture = std::fs::read_to_string(written[0].as_ref().unwrap().path()).unwrap();
    assert!(fixture.contains("Calling from +*********571."), "{fixture}");
    for clear in ["7700900571", "7911123457"] {
        assert!(!fixture.contains(clear), "{clear} in:\n{fixture}");
    }
}
