//! The GOV.UK bank-holiday feed, served by a local stand-in (never the internet): a new day in
//! the feed closes the line; a broken, empty, slow or unreachable feed changes nothing and
//! never delays the server; the last good feed survives a restart. Also the emergency switch
//! as ops flip it on a running server.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::process::Server;
use crate::support::*;
use arc_swap::ArcSwap;
use axum::Router;
use axum::routing::get;
use chrono::Datelike;
use switchboard::calendar::feed::{Feed, FeedSource, FileCache, Refresher};
use switchboard::calendar::{BankHolidays, Division};

/// A one-off day no rule knows: a Wednesday.
const NEW_DAY: &str = "2027-03-10";
const NEW_DAY_NAME: &str = "Bank holiday for a test occasion";

/// A feed in GOV.UK's format: a few real 2027 days for every division, plus `NEW_DAY` in
/// England and Wales when `with_new_day`.
fn feed_document(with_new_day: bool) -> String {
    let events = |extra: bool| {
        let mut events = vec![
            r#"{"title": "New Year’s Day", "date": "2027-01-01", "notes": "", "bunting": true}"#
                .to_owned(),
            r#"{"title": "Good Friday", "date": "2027-03-26", "notes": "", "bunting": false}"#
                .to_owned(),
        ];
        if extra {
            events.push(format!(
                r#"{{"title": "{NEW_DAY_NAME}", "date": "{NEW_DAY}", "notes": "", "bunting": true}}"#
            ));
        }
        events.join(", ")
    };
    let division = |name: &str, extra: bool| {
        format!(
            r#""{name}": {{"division": "{name}", "events": [{}]}}"#,
            events(extra)
        )
    };
    format!(
        "{{{}, {}, {}}}",
        division("england-and-wales", with_new_day),
        division("scotland", false),
        division("northern-ireland", false)
    )
}

/// A stand-in for www.gov.uk: a good feed, and the ways a feed goes wrong.
async fn fake_gov_uk() -> SocketAddr {
    let app = Router::new()
        .route("/good.json", get(|| async { feed_document(true) }))
        .route(
            "/broken.json",
            get(|| async { "<html>Service unavailable</html>" }),
        )
        .route("/empty.json", get(|| async { "{}" }))
        .route("/moved.json", get(|| async { axum::response::Redirect::temporary("/good.json") }))
        .route(
            "/elsewhere.json",
            get(|headers: axum::http::HeaderMap| async move {
                // The same server under another name: another host, as far as a URL says.
                let host = headers[axum::http::header::HOST].to_str().unwrap().to_owned();
                let port = host.rsplit(':').next().unwrap_or("80").to_owned();
                axum::response::Redirect::temporary(&format!("http://localhost:{port}/good.json"))
            }),
        )
        .route(
            "/every-weekday.json",
            get(|| async {
                // Every weekday of 2027 as a holiday: a line closed all year.
                let mut day = chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
                let mut events = Vec::new();
                while day.year() == 2027 {
                    if day.weekday().number_from_monday() <= 5 {
                        events.push(format!(
                            r#"{{"title": "Day off", "date": "{day}", "notes": "", "bunting": false}}"#
                        ));
                    }
                    day = day.succ_opt().unwrap();
                }
                let division = |name: &str| {
                    format!(r#""{name}": {{"division": "{name}", "events": [{}]}}"#, events.join(", "))
                };
                format!(
                    "{{{}, {}, {}}}",
                    division("england-and-wales"),
                    division("scotland"),
                    division("northern-ireland")
                )
            }),
        )
        .route(
            "/no-events.json",
            get(|| async {
                r#"{"england-and-wales": {"division": "england-and-wales", "events": []},
                    "scotland": {"division": "scotland", "events": []},
                    "northern-ireland": {"division": "northern-ireland", "events": []}}"#
            }),
        )
        .route(
            "/error.json",
            get(|| async { (axum::http::StatusCode::BAD_GATEWAY, "bad gateway") }),
        )
        .route(
            "/slow.json",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(60)).await;
                feed_document(true)
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    address
}

/// An address nothing listens on.
fn unreachable_address() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

fn refresher(url: String, state: &Path) -> (Refresher, Arc<ArcSwap<BankHolidays>>) {
    let holidays = Arc::new(ArcSwap::new(BankHolidays::builtin()));
    let source = FeedSource {
        url,
        cache: Arc::new(FileCache(switchboard::state::feed_cache_file(state))),
        every: Duration::from_secs(3600),
        timeout: Duration::from_secs(1),
    };
    let refresher = Refresher::new(source, holidays.clone(), None).unwrap();
    (refresher, holidays)
}

fn has_new_day(holidays: &BankHolidays) -> bool {
    holidays
        .on(Division::EnglandAndWales, NEW_DAY.parse().unwrap())
        .is_some()
}

#[tokio::test]
async fn a_good_feed_adds_its_new_day_and_caches_it() {
    let gov_uk = fake_gov_uk().await;
    let state = tempfile::tempdir().unwrap();
    let (mut refresher, holidays) = refresher(format!("http://{gov_uk}/good.json"), state.path());
    assert!(!has_new_day(&holidays.load()));
    let refreshed = refresher.refresh().await.expect("the good feed is taken");
    assert_eq!(refreshed.added.len(), 1, "{:?}", refreshed.added);
    assert!(refreshed.cache_error.is_none());
    assert!(has_new_day(&holidays.load()));
    let cached = Feed::read_cache(&switchboard::state::feed_cache_file(state.path()))
        .unwrap()
        .expect("a cache was written");
    assert!(has_new_day(
        &BankHolidays::builtin().merge(&cached).holidays
    ));
}

#[tokio::test]
async fn a_broken_empty_failing_slow_or_unreachable_feed_changes_nothing() {
    let gov_uk = fake_gov_uk().await;
    let bad = [
        (format!("http://{gov_uk}/broken.json"), "not the JSON"),
        (
            format!("http://{gov_uk}/empty.json"),
            "no england-and-wales division",
        ),
        (
            format!("http://{gov_uk}/no-events.json"),
            "lists no holidays",
        ),
        (format!("http://{gov_uk}/error.json"), "HTTP 502"),
        (format!("http://{gov_uk}/slow.json"), "timed out"),
        (
            format!("http://{}/feed.json", unreachable_address()),
            "could not fetch",
        ),
        (
            format!("http://{gov_uk}/every-weekday.json"),
            "at most 3 are believed",
        ),
        (
            format!("http://{gov_uk}/elsewhere.json"),
            "redirected to another host, http://localhost:",
        ),
    ];
    for (url, expected) in bad {
        let state = tempfile::tempdir().unwrap();
        let (mut refresher, holidays) = refresher(url.clone(), state.path());
        let before = holidays.load_full();
        let started = Instant::now();
        let error = refresher.refresh().await.expect_err(&url).to_string();
        assert!(error.contains(expected), "{url}: {error}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{url} took too long"
        );
        assert!(
            Arc::ptr_eq(&before, &holidays.load_full()),
            "{url} changed the holidays"
        );
        let cache = switchboard::state::feed_cache_file(state.path());
        assert!(!cache.exists(), "{url} wrote a cache");
    }
}

#[tokio::test]
async fn a_redirect_on_the_feed_s_own_host_is_followed_and_the_final_url_said() {
    let gov_uk = fake_gov_uk().await;
    let state = tempfile::tempdir().unwrap();
    let (mut refresher, holidays) = refresher(format!("http://{gov_uk}/moved.json"), state.path());
    let refreshed = refresher
        .refresh()
        .await
        .expect("followed on the same host");
    assert_eq!(refreshed.final_url, format!("http://{gov_uk}/good.json"));
    assert!(has_new_day(&holidays.load()));
}

#[tokio::test]
async fn a_bad_feed_after_a_good_one_keeps_the_good_ones_days_and_cache() {
    let gov_uk = fake_gov_uk().await;
    let state = tempfile::tempdir().unwrap();
    let (mut good, holidays) = refresher(format!("http://{gov_uk}/good.json"), state.path());
    good.refresh().await.unwrap();
    let cache = switchboard::state::feed_cache_file(state.path());
    let cached = std::fs::read(&cache).unwrap();
    // The same shared holidays, now fed from a broken feed.
    let source = FeedSource {
        url: format!("http://{gov_uk}/broken.json"),
        cache: Arc::new(FileCache(cache.clone())),
        every: Duration::from_secs(3600),
        timeout: Duration::from_secs(1),
    };
    let mut broken = Refresher::new(source, holidays.clone(), None).unwrap();
    assert!(broken.refresh().await.is_err());
    assert!(has_new_day(&holidays.load()));
    assert_eq!(std::fs::read(&cache).unwrap(), cached);
}

/// 10:00 on the new day, a Wednesday: open by the rules.
const ON_NEW_DAY: &str = "2027-03-10T10:00:00Z";

#[tokio::test]
async fn serve_answers_at_once_while_the_feed_hangs() {
    let gov_uk = fake_gov_uk().await;
    let state = tempfile::tempdir().unwrap();
    let url = format!("http://{gov_uk}/slow.json");
    let server = Server::start(
        state.path(),
        ON_NEW_DAY,
        &[
            "--bank-holidays-url",
            &url,
            "--bank-holidays-timeout",
            "60s",
        ],
    );
    let started = Instant::now();
    let twiml = server.call(DOCTOR_SUPPORT).await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert!(
        twiml.contains(DOCTOR_SUPPORT_TEAM),
        "open by the rules: {twiml}"
    );
}

#[tokio::test]
async fn a_new_day_in_the_feed_closes_the_line_and_survives_a_restart_without_the_feed() {
    let gov_uk = fake_gov_uk().await;
    let state = tempfile::tempdir().unwrap();
    let holiday_heard = format!("Today is a bank holiday, {NEW_DAY_NAME}");
    {
        let url = format!("http://{gov_uk}/good.json");
        let server = Server::start(state.path(), ON_NEW_DAY, &["--bank-holidays-url", &url]);
        let twiml = server
            .call_until(DOCTOR_SUPPORT, &holiday_heard, Duration::from_secs(10))
            .await;
        assert!(twiml.contains(&holiday_heard), "{twiml}");
        assert!(!twiml.contains(DOCTOR_SUPPORT_TEAM), "{twiml}");
    }
    // Restarted with the feed unreachable: the cached day is known from the first call.
    let unreachable = format!("http://{}/feed.json", unreachable_address());
    let server = Server::start(
        state.path(),
        ON_NEW_DAY,
        &["--bank-holidays-url", &unreachable],
    );
    let twiml = server.call(DOCTOR_SUPPORT).await;
    assert!(twiml.contains(&holiday_heard), "{twiml}");
    drop(server);
    // And with no feed configured at all.
    let server = Server::start(state.path(), ON_NEW_DAY, &[]);
    assert!(server.call(DOCTOR_SUPPORT).await.contains(&holiday_heard));
}

#[tokio::test]
async fn ops_flip_the_emergency_switch_on_a_running_server() {
    let state = tempfile::tempdir().unwrap();
    let server = Server::start(state.path(), "2026-11-23T10:00:00Z", &[]);
    assert!(
        server
            .call(DOCTOR_SUPPORT)
            .await
            .contains(DOCTOR_SUPPORT_TEAM)
    );
    let emergency = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_switchboard"))
            .arg("emergency")
            .args(args)
            .args(["--flows", shipped_flows_dir().to_str().unwrap()])
            .args(["--state-dir", state.path().to_str().unwrap()])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    emergency(&["close", "doctor-support", "--note", "fire alarm"]);
    let closed = "cannot yet say when it will reopen";
    let twiml = server
        .call_until(DOCTOR_SUPPORT, closed, Duration::from_secs(5))
        .await;
    assert!(twiml.contains(closed), "{twiml}");
    assert!(!twiml.contains(DOCTOR_SUPPORT_TEAM));
    emergency(&["open", "doctor-support"]);
    let twiml = server
        .call_until(DOCTOR_SUPPORT, DOCTOR_SUPPORT_TEAM, Duration::from_secs(5))
        .await;
    assert!(twiml.contains(DOCTOR_SUPPORT_TEAM), "{twiml}");
}
