//! Micro-benchmarks of what a webhook costs, piece by piece: the engine's answer for each
//! step type, a whole call, the signature check, reading a webhook's form, the calendar
//! lookups, loading the flows, and one webhook through the whole router (signature, engine,
//! TwiML, metrics; no log output).
//!
//!     cargo bench --bench switchboard

use std::hint::black_box;
use std::path::Path;

use axum::http::Method;
use chrono::{DateTime, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use switchboard::calendar::{BankHolidays, Division, Emergencies};
use switchboard::engine::{self, CallInput, Context, Position};
use switchboard::flow::Flows;
use switchboard::next_step::NextStep;
use switchboard::server;
use switchboard::signature;
use switchboard::simulate::{self, CallerAction};

#[path = "support/first_webhook.rs"]
mod first_webhook;

use first_webhook::FirstWebhook;

const TOKEN: &str = "bench-token";
const WELLBEING: &str = "+443301231245";
const DOCTOR_SUPPORT: &str = "+442073836707";

fn flows() -> Flows {
    switchboard::check::load_dir(Path::new("call-flows")).expect("the shipped flows load")
}

fn at(instant: &str) -> DateTime<Utc> {
    instant.parse().unwrap()
}

fn engine_answers(c: &mut Criterion) {
    let flows = flows();
    let holidays = BankHolidays::builtin();
    let emergencies = Emergencies::default();
    let ctx = Context {
        flows: &flows,
        holidays: &holidays,
        emergencies: &emergencies,
        now: at("2026-11-23T18:30:00Z"),
    };
    let input = |to: Option<&str>, digits: Option<&str>, dial: Option<&str>| CallInput {
        to: to.map(str::to_owned),
        digits: digits.map(str::to_owned),
        dial_status: dial.map(str::to_owned),
        ..CallInput::default()
    };
    let after = |line: &str, step: &str| Position::After(NextStep::new(line, step, 1));
    let cases = [
        (
            "say+menu: wellbeing first answer",
            Position::Start,
            input(Some(WELLBEING), None, None),
        ),
        (
            "hours+say+menu: doctor support closed",
            Position::Start,
            input(Some(DOCTOR_SUPPORT), None, None),
        ),
        (
            "menu choice to dial",
            after("wellbeing", "main-menu"),
            input(None, Some("1"), None),
        ),
        (
            "menu by speech",
            after("wellbeing", "main-menu"),
            CallInput {
                speech: Some("counselling please".into()),
                ..CallInput::default()
            },
        ),
        (
            "dial busy: retry",
            after("wellbeing", "counselling"),
            input(None, None, Some("busy")),
        ),
        (
            "dial completed: hang up",
            after("wellbeing", "counselling"),
            input(None, None, Some("completed")),
        ),
        (
            "unknown step: fallback",
            after("wellbeing", "gone"),
            input(None, None, None),
        ),
    ];
    let mut group = c.benchmark_group("engine");
    for (name, position, input) in &cases {
        group.bench_function(*name, |b| {
            b.iter(|| engine::answer(black_box(&ctx), black_box(position), black_box(input)))
        });
    }
    let answer = engine::answer(&ctx, &Position::Start, &input(Some(WELLBEING), None, None));
    group.bench_function("TwiML writing: wellbeing first answer", |b| {
        b.iter(|| black_box(&answer.response).to_xml(""))
    });
    group.bench_function("a whole call: choose, busy, retry, connect", |b| {
        let actions = [
            CallerAction::Press("1".into()),
            CallerAction::Dial("busy".into()),
            CallerAction::Dial("completed".into()),
        ];
        b.iter(|| simulate::call(black_box(&ctx), WELLBEING, &actions))
    });
    group.finish();
}

fn signature_check(c: &mut Criterion) {
    let url = "https://switchboard.example.org/voice";
    let params: Vec<(String, String)> = [
        ("AccountSid", "AC0123456789abcdef0123456789abcdef"),
        ("CallSid", "CA0123456789abcdef0123456789abcdef"),
        ("CallStatus", "ringing"),
        ("Direction", "inbound"),
        ("From", "+447700900123"),
        ("To", WELLBEING),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let key = signature::Key::new(TOKEN);
    let good = key.sign(url, &params);
    c.bench_function("signature: check a Twilio webhook", |b| {
        b.iter(|| key.is_valid(black_box(url), black_box(&params), black_box(&good)))
    });
}

/// A webhook's form, as Twilio sends a new call's: 25 fields, the numbers percent-encoded.
const TWILIO_FORM: &str = "AccountSid=AC0123456789abcdef0123456789abcdef&ApiVersion=2010-04-01\
    &CallSid=CA0123456789abcdef0123456789abcdef&CallStatus=ringing&Called=%2B443301231245\
    &CalledCity=&CalledCountry=GB&CalledState=&CalledZip=&Caller=%2B447700900123&CallerCity=\
    &CallerCountry=GB&CallerState=&CallerZip=&Direction=inbound&From=%2B447700900123\
    &FromCity=&FromCountry=GB&FromState=&FromZip=&To=%2B443301231245&ToCity=&ToCountry=GB\
    &ToState=&ToZip=";

fn form_parsing(c: &mut Criterion) {
    let mut group = c.benchmark_group("form");
    group.bench_function("a new call's webhook (25 fields)", |b| {
        b.iter(|| server::Params::of(&Method::POST, None, black_box(TWILIO_FORM.as_bytes())))
    });
    let first = FirstWebhook::new();
    group.bench_function("bench/load.sh's webhook (3 fields)", |b| {
        b.iter(|| server::Params::of(&Method::POST, None, black_box(first.form())))
    });
    group.finish();
}

fn calendar(c: &mut Criterion) {
    let flows = flows();
    let holidays = BankHolidays::builtin();
    let schedule = &flows.schedules[0];
    let day = "2026-12-28".parse().unwrap();
    let mut group = c.benchmark_group("calendar");
    group.bench_function("bank holiday lookup", |b| {
        b.iter(|| holidays.on(black_box(Division::EnglandAndWales), black_box(day)))
    });
    // Christmas Eve evening: the search skips Christmas, a weekend and Boxing Day's substitute.
    let evening = at("2026-12-24T17:30:00Z");
    group.bench_function("next opening across Christmas", |b| {
        b.iter(|| schedule.next_opening(&holidays, black_box(evening)))
    });
    group.finish();
}

fn loading(c: &mut Criterion) {
    c.bench_function("load and check the shipped flows", |b| b.iter(flows));
}

/// The shipped flows with the Doctor support line copied `copies` times: each copy its own
/// number, schedule and file, all handing callers to the wellbeing line's counsellors.
pub fn many_lines(copies: usize) -> Vec<(std::path::PathBuf, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("call-flows");
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    let doctor_support = read("doctor-support.toml");
    let mut sources = vec![
        (dir.join("wellbeing.toml"), read("wellbeing.toml")),
        (dir.join("doctor-support.toml"), doctor_support.clone()),
    ];
    for i in 0..copies {
        let text = doctor_support
            .replace("+442073836707", &format!("+44207946{:04}", 300 + i))
            .replace("\"doctor-support\"", &format!("\"doctor-support-{i}\""))
            .replace(
                "[schedules.doctor-support]",
                &format!("[schedules.doctor-support-{i}]"),
            );
        sources.push((dir.join(format!("doctor-support-{i}.toml")), text));
    }
    sources
}

fn model_check(c: &mut Criterion) {
    let mut group = c.benchmark_group("model check");
    let shipped = flows();
    group.bench_function("shipped flows", |b| {
        b.iter(|| switchboard::check::model::check(black_box(&shipped)))
    });
    let copies = switchboard::check::load_sources(&many_lines(300)).expect("the 302 lines load");
    let steps: usize = copies.lines.iter().map(|l| l.steps.len()).sum();
    assert_eq!(copies.lines.len(), 302);
    group.sample_size(10);
    group.bench_function(format!("302 lines, {steps} steps"), |b| {
        b.iter(|| switchboard::check::model::check(black_box(&copies)))
    });
    group.finish();
}

fn whole_webhook(c: &mut Criterion) {
    let webhook = FirstWebhook::new();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    c.bench_function("router: signed first webhook, wellbeing", |b| {
        b.iter(|| runtime.block_on(webhook.answer()))
    });
}

criterion_group!(
    benches,
    engine_answers,
    signature_check,
    form_parsing,
    calendar,
    loading,
    model_check,
    whole_webhook
);
criterion_main!(benches);
