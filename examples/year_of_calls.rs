//! A generated year of calls in a store, to time reports on it:
//!
//!     cargo run --release --example year_of_calls -- DATABASE_URL [CALLS]
//!
//! writes CALLS calls (1,000,000 by default) over 2026, as servers' records would make them:
//! the two shipped lines, every hour of the week, most reaching a person after a wait, some
//! hanging up at the menu, some while the Doctor support line is closed, a few call backs. The
//! figures are made up; only their number and spread matter. It then sums the year up, as
//! every server does two days after each day. Time a report with
//! `switchboard report --from 2026-01-01 --to 2026-12-31 --database DATABASE_URL`.

use std::time::Instant;

use chrono::{Datelike, Duration, TimeZone, Timelike, Utc};
use switchboard::store::calls::{CallRecord, StepRecord};
use switchboard::store::{DatabaseUrl, Store};

/// A small, repeatable stream of numbers (no dependency needed for made-up figures).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .expect("give the store's URL: sqlite://PATH?mode=rwc or postgres://…");
    let calls: u64 = args
        .next()
        .map_or(1_000_000, |n| n.parse().expect("a number of calls"));
    let store = Store::open(&DatabaseUrl::parse(&url).expect("a store URL"))
        .await
        .expect("the store opens");
    let mut random = Lcg(2026);
    let year = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let started = Instant::now();
    let mut batch = Vec::with_capacity(20_000);
    for n in 0..calls {
        let at = year + Duration::seconds(random.below(365 * 86_400) as i64);
        let at_ms = at.timestamp_millis();
        let call = format!("{n:032x}");
        let doctor_support = random.below(3) == 0;
        let uk = at.with_timezone(&chrono_tz::Europe::London);
        let open = uk.weekday().num_days_from_monday() < 5 && (9..17).contains(&uk.hour());
        let (line, menu, team) = if doctor_support {
            (
                "doctor-support",
                "doctor-support/offer-counselling",
                "doctor-support/team",
            )
        } else {
            ("wellbeing", "wellbeing/main-menu", "wellbeing/counselling")
        };
        let state = if doctor_support && !open {
            "closed"
        } else {
            "open"
        };
        batch.push(CallRecord {
            call: call.clone(),
            line: line.to_owned(),
            at_ms,
            started: Some(state),
            waiting_at: Some(menu.to_owned()),
            ..CallRecord::default()
        });
        match random.below(10) {
            // Hung up at the menu.
            0 | 1 => {}
            // Asked for a call back.
            2 if state == "closed" => batch.push(CallRecord {
                call,
                line: line.to_owned(),
                at_ms: at_ms + 20_000,
                step: Some(StepRecord {
                    step: menu.to_owned(),
                    choice: Some("2".to_owned()),
                    result: None,
                }),
                call_back: Some("taken"),
                waiting_at: Some(menu.to_owned()),
                ..CallRecord::default()
            }),
            // Chose, and a person answered after a wait.
            _ => {
                let wait = 10 + random.below(300) as i64;
                batch.push(CallRecord {
                    call: call.clone(),
                    line: line.to_owned(),
                    at_ms: at_ms + 8_000,
                    step: Some(StepRecord {
                        step: menu.to_owned(),
                        choice: Some("1".to_owned()),
                        result: None,
                    }),
                    waiting_at: Some(team.to_owned()),
                    ..CallRecord::default()
                });
                batch.push(CallRecord {
                    call,
                    line: line.to_owned(),
                    at_ms: at_ms + wait * 1000 + 600_000,
                    step: Some(StepRecord {
                        step: team.to_owned(),
                        choice: None,
                        result: Some("completed".to_owned()),
                    }),
                    answered: Some((at_ms + wait * 1000, team.to_owned())),
                    ..CallRecord::default()
                });
            }
        }
        if batch.len() >= 20_000 {
            store.record_calls(&batch).await.expect("written");
            batch.clear();
        }
    }
    store.record_calls(&batch).await.expect("written");
    eprintln!(
        "{calls} calls written in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // As every server does two days after each day.
    let started = Instant::now();
    store
        .sum_up_calls(chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap())
        .await
        .expect("summed up");
    eprintln!(
        "the year summed up in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
