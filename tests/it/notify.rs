//! Notifications to the team, from the store's outbox: a receiver that fails three times and
//! then takes them gets every one, with the same event id on every try and a body it can
//! check the HMAC of; a server stopped mid-retry loses none, another delivers them.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::process::{Server, free_address};
use crate::support::*;
use switchboard::store::{DatabaseUrl, Store};

/// Monday 7 December 2026, noon: the Doctor support line is open, and a request made on
/// Saturday was due at 11am.
const MONDAY_NOON: &str = "2026-12-07T12:00:00Z";
const KEY: &str = "a key the relay knows";

/// One request the receiver got: the event header, the signature header, the body.
type Got = (String, String, String);

/// A receiver that answers 500 to its first `failures` requests, then 200, keeping each.
async fn receiver(failures: usize) -> (String, Arc<Mutex<Vec<(Got, u16)>>>) {
    use axum::http::{HeaderMap, StatusCode};
    let got: Arc<Mutex<Vec<(Got, u16)>>> = Arc::default();
    let kept = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let kept = kept.clone();
            async move {
                let header = |name: &str| {
                    headers
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_owned()
                };
                let mut kept = kept.lock().unwrap();
                let status = if kept.len() < failures { 500 } else { 200 };
                let request = (
                    header("x-switchboard-event"),
                    header("x-switchboard-signature"),
                    body,
                );
                kept.push((request, status));
                StatusCode::from_u16(status).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, got)
}

fn notifying_server(state: &std::path::Path, url: &str) -> Server {
    Server::start_with_env(
        state,
        MONDAY_NOON,
        &["--notify-url", url, "--notify-every", "200ms"],
        &[("SWITCHBOARD_NOTIFY_KEY", KEY), ("RUST_LOG", "warn")],
    )
}

async fn until(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_failing_receiver_gets_every_notification_with_one_id_and_a_restart_loses_none() {
    let state = tempfile::tempdir().unwrap();
    let store = Store::open(&DatabaseUrl::sqlite_in(state.path()))
        .await
        .unwrap();
    let number = switchboard::phone::E164::parse("+447911123456").unwrap();
    store
        .request_call_back(&number, "doctor-support", instant("2026-12-05T14:00:00Z"))
        .await
        .unwrap();
    let (url, got) = receiver(3).await;

    // The first server notices both events and tries them; it is stopped mid-retry.
    let first = notifying_server(state.path(), &url);
    until("two failed tries", Duration::from_secs(10), || {
        got.lock().unwrap().len() >= 2
    })
    .await;
    drop(first);
    assert!(
        store.undelivered().await.unwrap() > 0,
        "all delivered before the stop"
    );

    // Another server (a restart) delivers them.
    let second = notifying_server(state.path(), &url);
    until("both delivered", Duration::from_secs(40), || {
        let got = got.lock().unwrap();
        let delivered: std::collections::HashSet<&String> = got
            .iter()
            .filter(|(_, status)| *status == 200)
            .map(|((event, _, _), _)| event)
            .collect();
        delivered.len() == 2
    })
    .await;
    // The server marks each delivered once the receiver has answered: wait for that too.
    let deadline = Instant::now() + Duration::from_secs(10);
    while store.undelivered().await.unwrap() > 0 {
        assert!(Instant::now() < deadline, "delivered but never marked so");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(second);
    assert_eq!(store.undelivered().await.unwrap(), 0);

    let got = got.lock().unwrap();
    assert!(
        got.iter().filter(|(_, s)| *s == 500).count() == 3,
        "{got:?}"
    );
    let events: std::collections::BTreeSet<&str> =
        got.iter().map(|((e, _, _), _)| e.as_str()).collect();
    assert_eq!(
        events.into_iter().collect::<Vec<_>>(),
        [
            "call-back-overdue:1",
            "call-backs-waiting:doctor-support:2026-12-07"
        ]
    );
    for ((event, signature, body), _) in got.iter() {
        // The same id in the header and the body, on every try; a signature the relay can
        // check; no caller's number.
        let parsed: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(parsed["id"], event.as_str(), "{body}");
        assert_eq!(
            *signature,
            switchboard::server::notify::sign(KEY.as_bytes(), body)
        );
        assert!(!body.contains("7911"), "{body}");
    }
    let overdue = got
        .iter()
        .find(|((e, _, _), _)| e == "call-back-overdue:1")
        .map(|((_, _, body), _)| body.clone())
        .unwrap();
    assert!(
        overdue.contains("\"due_at\":\"2026-12-07T11:00:00Z\""),
        "{overdue}"
    );
}

#[test]
fn a_notify_url_without_its_key_stops_serve_with_the_reason() {
    let state = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["serve", "--listen", &free_address().to_string()])
        .args(["--flows", shipped_flows_dir().to_str().unwrap()])
        .args(["--state-dir", state.path().to_str().unwrap()])
        .args(["--notify-url", "http://127.0.0.1:9/hook"])
        .env("TWILIO_AUTH_TOKEN", TOKEN)
        .env_remove("SWITCHBOARD_NOTIFY_KEY")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("SWITCHBOARD_NOTIFY_KEY"),
        "{}",
        text(&out.stderr)
    );
}
