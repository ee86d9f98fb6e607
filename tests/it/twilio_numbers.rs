//! `switchboard twilio check` and `configure` against a local stand-in of Twilio's
//! IncomingPhoneNumbers resource: a well-set number passes; a missing status callback, a
//! fallback on the servers' host, a fallback document that dials an old number and an app that
//! takes the calls each fail with their problem named; `configure` then `check` passes.

use std::collections::HashMap;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::support::*;

const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
const PUBLIC: &str = "https://ivr.example.org";

/// What the stand-in holds: the account's numbers (as the API words them) and the documents
/// it hosts as a TwiML Bin would.
#[derive(Default)]
struct Held {
    numbers: Vec<Value>,
    documents: HashMap<String, String>,
}

type Shared = Arc<Mutex<Held>>;

fn authorised(headers: &HeaderMap) -> bool {
    use base64::Engine as _;
    let expected = base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT}:{TOKEN}"));
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Basic {expected}"))
}

async fn list(
    State(held): State<Shared>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if !authorised(&headers) {
        return (StatusCode::UNAUTHORIZED, "{\"message\":\"Authenticate\"}").into_response();
    }
    let held = held.lock().unwrap();
    let wanted = query.get("PhoneNumber");
    let found: Vec<&Value> = held
        .numbers
        .iter()
        .filter(|n| wanted.is_none_or(|w| n["phone_number"] == w.as_str()))
        .collect();
    axum::Json(json!({ "incoming_phone_numbers": found })).into_response()
}

async fn update(
    State(held): State<Shared>,
    headers: HeaderMap,
    Path((_, sid)): Path<(String, String)>,
    body: String,
) -> Response {
    if !authorised(&headers) {
        return (StatusCode::UNAUTHORIZED, "{}").into_response();
    }
    let sid = sid.trim_end_matches(".json").to_owned();
    let mut held = held.lock().unwrap();
    let Some(number) = held.numbers.iter_mut().find(|n| n["sid"] == sid.as_str()) else {
        return (StatusCode::NOT_FOUND, "{\"message\":\"no such number\"}").into_response();
    };
    for (field, value) in form_urlencoded::parse(body.as_bytes()) {
        let name = match field.as_ref() {
            "VoiceUrl" => "voice_url",
            "VoiceMethod" => "voice_method",
            "StatusCallback" => "status_callback",
            "StatusCallbackMethod" => "status_callback_method",
            "VoiceFallbackUrl" => "voice_fallback_url",
            "VoiceFallbackMethod" => "voice_fallback_method",
            "VoiceApplicationSid" => "voice_application_sid",
            other => panic!("a field the stand-in does not know: {other}"),
        };
        number[name] = if value.is_empty() {
            Value::Null
        } else {
            json!(value)
        };
    }
    axum::Json(number.clone()).into_response()
}

async fn document(State(held): State<Shared>, Path(name): Path<String>) -> Response {
    match held.lock().unwrap().documents.get(&name) {
        Some(text) => ([("content-type", "text/xml")], text.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The stand-in, on a thread of its own: its address and what it holds.
fn stand_in() -> (String, Shared) {
    let held = Shared::default();
    let router = axum::Router::new()
        .route(
            "/2010-04-01/Accounts/{account}/IncomingPhoneNumbers.json",
            get(list),
        )
        .route(
            "/2010-04-01/Accounts/{account}/IncomingPhoneNumbers/{sid}",
            post(update),
        )
        .route("/bins/{name}", get(document).post(document))
        .with_state(held.clone());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, router).await.unwrap();
        });
    });
    (format!("http://{address}"), held)
}

/// The shipped lines' numbers, set as the servers need, the fallback documents hosted on the
/// stand-in (made by `switchboard fallback`).
fn well_set(api: &str, held: &Shared) {
    let mut held = held.lock().unwrap();
    for (sid, number, line) in [
        ("PN01", WELLBEING, "wellbeing"),
        ("PN02", DOCTOR_SUPPORT, "doctor-support"),
    ] {
        let document = switchboard(&["fallback", "--to", number]);
        held.documents
            .insert(format!("{line}.xml"), text(&document.stdout));
        held.numbers.push(json!({
            "sid": sid,
            "phone_number": number,
            "voice_url": format!("{PUBLIC}/voice#ct=1500&rt=3000&tt=5000&rc=1"),
            "voice_method": "POST",
            "status_callback": format!("{PUBLIC}/status"),
            "status_callback_method": "POST",
            "voice_fallback_url": format!("{api}/bins/{line}.xml"),
            "voice_fallback_method": "GET",
            "voice_application_sid": null,
            "trunk_sid": null,
        }));
    }
}

fn switchboard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(args)
        .args(["--flows", "call-flows"])
        .env("TWILIO_ACCOUNT_SID", ACCOUNT)
        .env("TWILIO_AUTH_TOKEN", TOKEN)
        .env_remove("SWITCHBOARD_FLOWS")
        .env_remove("SWITCHBOARD_PUBLIC_URL")
        .output()
        .expect("the binary runs")
}

fn check(api: &str) -> Output {
    switchboard(&["twilio", "check", "--public-url", PUBLIC, "--api-url", api])
}

/// `twilio configure` with the fallback at `fallback`, fetched by `method` (Twilio's default
/// when `None`).
fn configure(api: &str, fallback: &str, method: Option<&str>) -> Output {
    let mut args = vec![
        "twilio",
        "configure",
        "--public-url",
        PUBLIC,
        "--api-url",
        api,
    ];
    args.extend(["--fallback-url", fallback]);
    args.extend(method.iter().flat_map(|m| ["--fallback-method", *m]));
    switchboard(&args)
}

/// Runs `check` on numbers well set but for `spoil`, and returns what it said, having failed.
fn problems_when(spoil: impl FnOnce(&mut Held, &str)) -> String {
    let (api, held) = stand_in();
    well_set(&api, &held);
    spoil(&mut held.lock().unwrap(), &api);
    let out = check(&api);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    text(&out.stderr)
}

#[test]
fn well_set_numbers_pass() {
    let (api, held) = stand_in();
    well_set(&api, &held);
    let out = check(&api);
    let said = text(&out.stdout);
    assert!(out.status.success(), "{said}{}", text(&out.stderr));
    assert!(
        said.contains(&format!(
            "ok      {WELLBEING} (wellbeing): set as the servers need"
        )),
        "{said}"
    );
    assert!(
        said.contains(&format!("ok      {DOCTOR_SUPPORT} (doctor-support)")),
        "{said}"
    );
}

#[test]
fn a_missing_status_callback_is_named() {
    let said = problems_when(|held, _| held.numbers[1]["status_callback"] = Value::Null);
    assert!(
        said.contains(&format!("PROBLEM {DOCTOR_SUPPORT} (doctor-support): its status callback is not set, not {PUBLIC}/status")),
        "{said}"
    );
    assert!(!said.contains(WELLBEING), "{said}");
}

#[test]
fn a_fallback_on_the_servers_host_is_named() {
    let said = problems_when(|held, _| {
        held.numbers[0]["voice_fallback_url"] = json!(format!("{PUBLIC}/fallback"));
    });
    assert!(
        said.contains(&format!("PROBLEM {WELLBEING} (wellbeing): its fallback URL {PUBLIC}/fallback is on the servers' own host")),
        "{said}"
    );
}

#[test]
fn a_fallback_document_that_dials_an_old_number_is_named() {
    let said = problems_when(|held, _| {
        let old = held.documents["doctor-support.xml"].replace(COUNSELLING, "+442079460999");
        held.documents.insert("doctor-support.xml".into(), old);
    });
    assert!(
        said.contains("dials +442079460999, but the flows dial +442079460101 now"),
        "{said}"
    );
}

#[test]
fn an_app_that_takes_the_calls_is_named() {
    let said = problems_when(|held, _| {
        held.numbers[0]["voice_application_sid"] = json!("AP0123456789abcdef0123456789abcdef");
    });
    assert!(
        said.contains(
            "a TwiML app (AP0123456789abcdef0123456789abcdef) takes its calls, not the voice URL"
        ),
        "{said}"
    );
}

#[test]
fn a_number_missing_from_the_account_is_named() {
    let said = problems_when(|held, _| {
        held.numbers.retain(|n| n["phone_number"] != WELLBEING);
    });
    assert!(
        said.contains(&format!(
            "PROBLEM {WELLBEING} (wellbeing): the account has no such number"
        )),
        "{said}"
    );
}

#[test]
fn configure_sets_what_check_wants_and_says_what_it_changed() {
    let (api, held) = stand_in();
    well_set(&api, &held);
    {
        // Numbers set by hand, wrongly: an old URL by GET, no status callback, no fallback, an app.
        let mut held = held.lock().unwrap();
        for number in &mut held.numbers {
            number["voice_url"] = json!("https://old.example.org/twiml");
            number["voice_method"] = json!("GET");
            number["status_callback"] = Value::Null;
            number["voice_fallback_url"] = Value::Null;
            number["voice_application_sid"] = json!("AP0123456789abcdef0123456789abcdef");
        }
    }
    assert_eq!(check(&api).status.code(), Some(1));
    // A fallback on the servers' own host is refused, and nothing is changed.
    let refused = configure(&api, &format!("{PUBLIC}/fallback"), None);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stdout));
    assert!(text(&refused.stderr).contains("is on the servers' own host"));
    assert_eq!(held.lock().unwrap().numbers[0]["voice_method"], "GET");

    let fallback = format!("{api}/bins/wellbeing.xml");
    let out = configure(&api, &fallback, Some("GET"));
    let said = text(&out.stdout);
    assert!(out.status.success(), "{said}{}", text(&out.stderr));
    assert!(
        said.contains(&format!("{WELLBEING}: voice URL https://old.example.org/twiml -> {PUBLIC}/voice#ct=1500&rt=3000&tt=5000&rc=1")),
        "{said}"
    );
    assert!(
        said.contains(&format!(
            "{WELLBEING}: status callback not set -> {PUBLIC}/status"
        )),
        "{said}"
    );
    assert!(
        said.contains(&format!(
            "{DOCTOR_SUPPORT}: TwiML app AP0123456789abcdef0123456789abcdef -> none"
        )),
        "{said}"
    );
    // Both lines' fallbacks dial the same 24/7 number, so one document serves both.
    let out = check(&api);
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    // Again: nothing to change.
    let again = configure(&api, &fallback, Some("GET"));
    assert!(
        text(&again.stdout).contains("nothing changed"),
        "{}",
        text(&again.stdout)
    );
}

/// A webhook to the voice URL `configure` sets, its connection overrides in the URL Twilio
/// signed, is accepted: the fragment never reaches the server, so it is checked either way.
#[tokio::test]
async fn a_webhook_signed_over_the_url_with_its_connection_overrides_is_accepted() {
    let router = app("2026-12-02T11:00:00Z");
    let params = [
        ("CallSid", "CA0123456789abcdef0123456789abcdef"),
        ("To", WELLBEING),
        ("From", "+447700900123"),
    ];
    let overrides = switchboard::signature::CONNECTION_OVERRIDES;
    let signed_over = format!("{PUBLIC_URL}/voice#{overrides}");
    let signature = switchboard::signature::sign(TOKEN, &signed_over, &owned(&params));
    let reply = crate::support::post(&router, "/voice", &params, Some(&signature)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(reply.body.contains("<Gather"), "{}", reply.body);
    // Signed over another fragment: refused.
    let other =
        switchboard::signature::sign(TOKEN, &format!("{PUBLIC_URL}/voice#rc=9"), &owned(&params));
    let refused = crate::support::post(&router, "/voice", &params, Some(&other)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}
