//! The service as a process: it stops cleanly on SIGTERM, and its logs, at every level and in
//! both formats, never hold a caller's number in clear.

use std::time::Duration;

use crate::support::process::Server;
use crate::support::*;

const NOW: &str = "2026-11-23T10:00:00Z";
const CALL_SID: &str = "CA0123456789abcdef0123456789abcdef";

#[tokio::test]
async fn sigterm_stops_the_server_cleanly_within_seconds() {
    let state = tempfile::tempdir().unwrap();
    let mut server = Server::start(state.path(), NOW, &[]);
    assert!(server.call(WELLBEING).await.contains("<Gather"));
    let status = server
        .terminate(Duration::from_secs(5))
        .expect("the server exits within 5 s of SIGTERM");
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn a_callers_number_never_appears_in_the_logs_at_any_level_or_in_either_format() {
    for format in ["text", "json"] {
        let state = tempfile::tempdir().unwrap();
        let mut server = Server::start_with_env(
            state.path(),
            NOW,
            &["--log-format", format],
            &[("RUST_LOG", "trace")],
        );
        // The caller's number in every field Twilio may put it in, in every form.
        let caller = [
            ("CallSid", CALL_SID),
            ("From", CALLER),
            ("Caller", CALLER),
            ("ForwardedFrom", "07700 900123"),
            ("CallerName", "447700900123"),
        ];
        let with = |extra: &[(&'static str, &'static str)]| {
            let mut params = caller.to_vec();
            params.extend_from_slice(extra);
            params
        };
        let exchanges = [
            ("/voice", with(&[("To", WELLBEING)]), 200),
            (
                "/voice/wellbeing/main-menu?attempt=1",
                with(&[("Digits", "1")]),
                200,
            ),
            (
                "/voice/wellbeing/counselling?attempt=1",
                with(&[("DialCallStatus", "busy")]),
                200,
            ),
            ("/voice/nowhere/at-all?attempt=1", with(&[]), 200),
            // A request for a call back: the caller's own number, and one keyed in, read back
            // and kept.
            (
                "/voice/doctor-support/call-back?attempt=1",
                with(&[("Digits", "1")]),
                200,
            ),
            (
                "/voice/doctor-support/call-back?attempt=1&stage=keying",
                with(&[("Digits", "07911123457#")]),
                200,
            ),
            (
                "/voice/doctor-support/call-back?attempt=1&stage=confirming&number=07911123457",
                with(&[("Digits", "1")]),
                200,
            ),
            (
                "/status",
                with(&[("CallStatus", "completed"), ("To", WELLBEING)]),
                200,
            ),
            (
                "/fallback",
                with(&[
                    ("ErrorCode", "11200"),
                    (
                        "ErrorUrl",
                        "https://ivr.example.org/voice?From=%2B447700900123&Caller=07700%20900123",
                    ),
                ]),
                200,
            ),
            // Not a SID: a number where the CallSid goes, from an unsigned request.
            (
                "/fallback",
                vec![("CallSid", "447700900123"), ("To", WELLBEING)],
                200,
            ),
        ];
        for (path, params, status) in &exchanges {
            let (got, body) = server.post(path, params).await;
            assert_eq!(got, *status, "{path}: {body}");
        }
        // A forged request carrying the number is refused, and its number not logged either.
        let forged = switchboard::outbound::client()
            .build()
            .unwrap()
            .post(format!("http://{}/voice", server.address))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&with(&[("To", WELLBEING)])))
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), 403);
        server.terminate(Duration::from_secs(5));

        let logs = server.logs();
        assert!(
            logs.contains("answered"),
            "{format}: no webhook lines:\n{logs}"
        );
        assert!(logs.contains("call status"), "{format}:\n{logs}");
        assert!(
            logs.contains("+*********123"),
            "{format}: the masked number:\n{logs}"
        );
        assert!(
            logs.contains("call-back-taken"),
            "{format}: the request was not kept:\n{logs}"
        );
        for clear in [
            "7911123457",
            "911123457",
            "7700900123",
            "07700 900123",
            "7700 900123",
            "447700900",
            "%2B4477",
            "07700%20",
            "7700%20900",
        ] {
            assert!(
                !logs.contains(clear),
                "{format}: {clear:?} in the logs:\n{logs}"
            );
        }
        if format == "json" {
            for line in logs.lines() {
                let parsed: Result<serde_json::Value, _> = serde_json::from_str(line);
                assert!(parsed.is_ok(), "not JSON: {line}");
            }
        }
    }
}

#[tokio::test]
async fn serve_reads_the_same_configuration_file() {
    let state = tempfile::tempdir().unwrap();
    let config = state.path().join("switchboard.toml");
    std::fs::write(&config, "log-format = \"json\"\n").unwrap();
    let mut server = Server::start_with_env(
        state.path(),
        NOW,
        &["--config", config.to_str().unwrap()],
        &[("RUST_LOG", "info")],
    );
    assert!(server.call(WELLBEING).await.contains("<Gather"));
    server.terminate(Duration::from_secs(5));
    let logs = server.logs();
    assert!(logs.contains("answered"), "{logs}");
    for line in logs.lines() {
        assert!(
            serde_json::from_str::<serde_json::Value>(line).is_ok(),
            "not JSON: {line}"
        );
    }
}

/// Every way a number for a call back travels, at `trace`: taken from the number called from
/// and from one keyed in, asked for again, listed, claimed and closed in the console, notified
/// to the team. None of it reaches a log in clear.
#[tokio::test]
async fn a_number_left_for_a_call_back_never_appears_in_the_logs_on_any_path() {
    use crate::support::process::{ConsoleSite, free_address};
    let state = tempfile::tempdir().unwrap();
    let url = switchboard::store::DatabaseUrl::sqlite_in(state.path());
    let store = switchboard::store::Store::open(&url).await.unwrap();
    let editor = switchboard::store::Role::Editor;
    add_user(&store, "amira", editor, "correct horse battery").await;
    let console_at = free_address();
    // Monday noon: open, so a request is due at once and notified.
    let mut server = Server::start_with_env(
        state.path(),
        "2026-12-07T12:00:00Z",
        &[
            "--admin-listen",
            &console_at.to_string(),
            "--notify-url",
            "http://127.0.0.1:9/nobody-listens",
            "--notify-every",
            "100ms",
            "--call-back-within",
            "1m",
        ],
        &[("RUST_LOG", "trace"), ("SWITCHBOARD_NOTIFY_KEY", "key")],
    );
    let own = [
        ("CallSid", CALL_SID),
        ("From", "+447911123456"),
        ("To", DOCTOR_SUPPORT),
        ("Digits", "1"),
    ];
    let call_back = "/voice/doctor-support/call-back?attempt=1";
    for _ in 0..2 {
        let (status, _) = server.post(call_back, &own).await;
        assert_eq!(status, 200);
    }
    let keyed = [
        ("CallSid", CALL_SID),
        ("From", "anonymous"),
        ("To", DOCTOR_SUPPORT),
        ("Digits", "07911123457#"),
    ];
    let (status, body) = server
        .post(
            "/voice/doctor-support/call-back?attempt=1&stage=keying",
            &keyed,
        )
        .await;
    assert_eq!(status, 200);
    assert!(body.contains("You keyed"), "{body}");
    let confirm = [
        ("CallSid", CALL_SID),
        ("From", "anonymous"),
        ("To", DOCTOR_SUPPORT),
        ("Digits", "1"),
    ];
    let (status, _) = server
        .post(
            "/voice/doctor-support/call-back?attempt=1&stage=confirming&number=07911123457",
            &confirm,
        )
        .await;
    assert_eq!(status, 200);

    let console = ConsoleSite::at(console_at);
    let login = console.try_log_in("amira", "correct horse battery").await;
    let csrf = console.csrf(&login.cookie).await;
    let queue = console.get("/call-backs", &login.cookie).await;
    assert!(queue.body.contains("07911 123456"), "{}", queue.body);
    let ids: Vec<String> = store
        .call_backs(true)
        .await
        .unwrap()
        .iter()
        .map(|r| r.id.to_string())
        .collect();
    let (first, second) = (&ids[0], &ids[1]);
    for (id, action) in [
        (first, "claim"),
        (first, "called-back"),
        (second, "no-answer"),
    ] {
        let fields = [
            ("csrf", csrf.as_str()),
            ("action", action),
            ("note", "rang"),
            ("confirmed", "yes"),
        ];
        let done = console
            .post(&format!("/call-backs/{id}"), &login.cookie, &fields)
            .await;
        assert_eq!(done.status, 303, "{}", done.body);
    }
    // Notifications tried (nobody listens there).
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.terminate(Duration::from_secs(5));

    let logs = server.logs();
    assert!(logs.contains("call-back-taken"), "{logs}");
    assert!(logs.contains("call-back-already-asked"), "{logs}");
    assert!(logs.contains("notification not delivered"), "{logs}");
    assert!(logs.contains("changed from the console"), "{logs}");
    for clear in [
        "7911123456",
        "7911123457",
        "911123457",
        "911123456",
        "7911 123",
    ] {
        assert!(!logs.contains(clear), "{clear:?} in the logs:\n{logs}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_service_runs_in_process_on_loopback_listeners_and_stops_when_told() {
    use switchboard::server::{Auth, Clock, Limits};
    use switchboard::service::{self, Config, Listeners};
    let state = tempfile::tempdir().unwrap();
    let flows_dir = shipped_flows_dir();
    let files = switchboard::server::reload::read_checked(&flows_dir).unwrap();
    let config = Config {
        flows_dir,
        files,
        state_dir: state.path().to_owned(),
        database: switchboard::store::DatabaseUrl::sqlite_in(state.path()),
        init: false,
        clock: Clock::Fixed(instant("2026-12-07T10:00:00Z")),
        auth: Auth::token(TOKEN),
        public_url: None,
        limits: Limits::default(),
        admin_max_connections: 16,
        recorder: None,
        call_records: true,
        keep_call_records_days: 400,
        keep_call_backs_days: 30,
        call_back_within: chrono::Duration::hours(2),
        accept_pinned_instants: false,
        watch_flows: false,
        bank_holidays: None,
        notify: None,
        logs: None,
    };
    let webhooks = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let console = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let (webhook_address, console_address) = (
        webhooks.local_addr().unwrap(),
        console.local_addr().unwrap(),
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(service::run(
        config,
        Listeners {
            webhooks: Some(service::Listen::Bound(webhooks)),
            console: Some(service::Listen::Bound(console)),
        },
        async move {
            let _ = stopped.await;
        },
    ));
    // A signed first webhook, as Twilio sends it.
    let url = format!("http://{webhook_address}/voice");
    let params = [
        ("CallSid", "CA0123456789abcdef0123456789abcdef"),
        ("From", CALLER),
        ("To", WELLBEING),
    ];
    let signature = switchboard::signature::sign(TOKEN, &url, &owned(&params));
    let client = switchboard::outbound::client().build().unwrap();
    let answer = client
        .post(&url)
        .header(switchboard::signature::HEADER, signature)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&params))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert!(answer.text().await.unwrap().contains("<Gather"));
    let health = client
        .get(format!("http://{console_address}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    stop.send(()).unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(15), running)
        .await
        .expect("the service stops when told")
        .unwrap()
        .unwrap();
}
