//! Hostile input, overload and faults: the server keeps answering, and says what it does.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::*;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use proptest::prelude::*;
use switchboard::server::metrics::Counter;
use switchboard::server::{self, App, Limits};
use switchboard::signature;
use switchboard::twiml::tree::Element;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const NOW: &str = "2026-11-23T10:00:00Z";
const CALL_SID: &str = "CA0123456789abcdef0123456789abcdef";

fn shared_app() -> Arc<App> {
    Arc::new(app_state(shipped_flows(), NOW))
}

/// The numbers the answer dials.
fn dialled(twiml: &Element) -> Vec<String> {
    twiml
        .descendants()
        .into_iter()
        .filter(|e| e.name == "Number")
        .map(|e| e.text())
        .collect()
}

/// A request whose body is `body` as sent, signed over the parameters Twilio would have
/// signed: the form as the server decodes it.
fn signed_raw(path: &str, body: Vec<u8>) -> Request<Body> {
    let params: Vec<(String, String)> = form_urlencoded::parse(&body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let signature = signature::sign(TOKEN, &format!("{PUBLIC_URL}{path}"), &params);
    Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(signature::HEADER, signature)
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test]
async fn missing_unknown_oversized_and_hostile_parameters_still_get_a_proper_answer() {
    let app = app(NOW);
    let long_speech = "counselling ".repeat(4_000);
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![],
        vec![("To", DOCTOR_SUPPORT)],
        vec![
            ("CallSid", CALL_SID),
            ("To", WELLBEING),
            ("NewTwilioParam", "x"),
        ],
        vec![("To", WELLBEING), ("SpeechResult", &long_speech)],
        vec![
            ("To", WELLBEING),
            ("From", "</Say><Hangup/><!--"),
            ("CallSid", "<script>\n\r"),
        ],
        vec![
            ("To", "+44 not a number \u{0} \u{7}"),
            ("Digits", "\u{202e}1"),
        ],
    ];
    for params in cases {
        let reply = post(&app, "/voice", &params, None).await;
        let twiml = reply.twiml();
        assert_eq!(twiml.name, "Response", "{params:?}");
        assert!(
            !reply.body.contains("<Hangup"),
            "{params:?}: {}",
            reply.body
        );
    }
    // At a menu: digits and words nobody expects are invalid, and the caller is asked again.
    for params in [
        vec![("Digits", "1".repeat(10_000).as_str())],
        vec![("Digits", "</Gather>")],
        vec![("SpeechResult", long_speech.as_str())],
        vec![("Digits", "1"), ("Digits", "2")],
    ] {
        let reply = post(&app, "/voice/wellbeing/main-menu?attempt=1", &params, None).await;
        let twiml = reply.twiml();
        assert!(
            twiml.descendants().iter().any(|e| e.name == "Gather") || !dialled(&twiml).is_empty(),
            "{}",
            reply.body
        );
    }
}

#[tokio::test]
async fn a_body_that_is_not_a_form_or_not_utf8_is_answered_or_refused_never_a_5xx() {
    let app = app(NOW);
    let bodies: Vec<Vec<u8>> = vec![
        br#"{"To": "+443301231245"}"#.to_vec(),
        vec![0xff, 0xfe, 0x00, b'=', 0x80],
        b"To=%2B443301231245&Digits=%FF%FE&SpeechResult=%E2%82".to_vec(),
        b"&&&===&%%%".to_vec(),
    ];
    for body in bodies {
        let reply = send(&app, signed_raw("/voice", body.clone())).await;
        assert_eq!(reply.twiml().name, "Response", "{body:?}");
        // Unsigned, it is refused.
        let unsigned = Request::post("/voice").body(Body::from(body)).unwrap();
        assert_eq!(send(&app, unsigned).await.status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn mangled_action_urls_put_the_caller_through_to_a_counsellor() {
    let app = app(NOW);
    let long_step = format!("/voice/wellbeing/{}?attempt=1", "x".repeat(2_000));
    let paths = [
        "/voice/wellbeing/main-menu?attempt=-1",
        "/voice/wellbeing/main-menu?attempt=99999999999999999999999",
        "/voice/wellbeing/main-menu?attempt=abc",
        "/voice/wellbeing/main-menu?attempt=",
        "/voice/nowhere/main-menu?attempt=1",
        "/voice/wellbeing/no-such-step?attempt=1",
        "/voice/wellbeing/%00%ff?attempt=1",
        "/voice/..%2f..%2fetc/passwd?attempt=1",
        "/voice/wellbeing/main-menu/extra?attempt=1",
        "/voice/wellbeing?attempt=1",
        "/voice//?attempt=1",
        long_step.as_str(),
    ];
    for path in paths {
        let reply = post(&app, path, &[("CallSid", CALL_SID)], None).await;
        let twiml = reply.twiml();
        assert_eq!(dialled(&twiml), [COUNSELLING], "{path}: {}", reply.body);
    }
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused_with_413_before_being_read_whole() {
    let app = shared_app();
    let router = server::router(app.clone());
    let big = vec![b'a'; 70 * 1024];
    // With a Content-Length, refused at once.
    let reply = send(&router, signed_raw("/voice", big.clone())).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    // Streamed with no length: refused once the limit is passed.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        big.chunks(1024).map(|c| Ok(c.to_vec())).collect();
    let streamed = Request::post("/voice")
        .body(Body::from_stream(stream_of(chunks)))
        .unwrap();
    assert_eq!(
        send(&router, streamed).await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(
        app.metrics
            .get(Counter::Refused, &[("reason", "body-too-large")]),
        2
    );
}

#[tokio::test]
async fn a_body_in_many_pieces_is_joined_and_a_broken_one_refused() {
    let router = server::router(shared_app());
    let form = format!("CallSid={CALL_SID}&From=%2B447700900123&To=%2B443301231245");
    // Signed as a whole, sent three bytes at a time.
    let (parts, _) = signed_raw("/voice", form.clone().into_bytes()).into_parts();
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        form.as_bytes().chunks(3).map(|c| Ok(c.to_vec())).collect();
    let pieces = Request::from_parts(parts, Body::from_stream(stream_of(chunks)));
    let reply = send(&router, pieces).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.body.contains("<Gather"), "{}", reply.body);
    // A body cut off by an error is refused, not half read.
    let (parts, _) = signed_raw("/voice", form.clone().into_bytes()).into_parts();
    let broken: Vec<Result<Vec<u8>, std::io::Error>> = vec![
        Ok(form.as_bytes()[..10].to_vec()),
        Err(std::io::Error::other("connection reset")),
    ];
    let broken = Request::from_parts(parts, Body::from_stream(stream_of(broken)));
    assert_eq!(send(&router, broken).await.status, StatusCode::BAD_REQUEST);
}

/// A stream over a vector, without another dependency.
fn stream_of<T: Send + Unpin + 'static>(
    items: Vec<T>,
) -> impl futures_core::Stream<Item = T> + Send + 'static {
    struct Items<T>(std::vec::IntoIter<T>);
    impl<T: Unpin> futures_core::Stream for Items<T> {
        type Item = T;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<T>> {
            std::task::Poll::Ready(self.0.next())
        }
    }
    Items(items.into_iter())
}

#[tokio::test]
async fn a_panic_in_a_handler_answers_the_counselling_fallback() {
    let app = shared_app();
    async fn buggy() -> &'static str {
        panic!("a bug")
    }
    let panicking = axum::Router::new().route("/voice", axum::routing::post(buggy));
    let router = server::harden(panicking, app.clone());
    let reply = post(&router, "/voice", &[("To", DOCTOR_SUPPORT)], None).await;
    let twiml = reply.twiml();
    assert_eq!(dialled(&twiml), [COUNSELLING], "{}", reply.body);
    assert!(reply.body.contains("Sorry, something went wrong"));
    assert_eq!(
        app.metrics.get(Counter::Fallbacks, &[("reason", "panic")]),
        1
    );
}

#[tokio::test]
async fn twilios_fallback_url_apologises_and_connects_a_counsellor() {
    let app = shared_app();
    let router = server::router(app.clone());
    let params = [
        ("CallSid", CALL_SID),
        ("From", CALLER),
        ("To", DOCTOR_SUPPORT),
        ("ErrorCode", "11200"),
        ("ErrorUrl", "https://switchboard.example.org/voice"),
    ];
    let reply = post(&router, "/fallback", &params, None).await;
    assert_eq!(dialled(&reply.twiml()), [COUNSELLING]);
    // Even unsigned: a caller must never meet a second failure. The bad signature is counted.
    let reply = post(&router, "/fallback", &params, Some("forged")).await;
    assert_eq!(dialled(&reply.twiml()), [COUNSELLING]);
    assert_eq!(
        app.metrics.get(
            Counter::SignatureFailures,
            &[("endpoint", "fallback"), ("reason", "mismatch")]
        ),
        1
    );
    assert_eq!(
        app.metrics
            .get(Counter::Fallbacks, &[("reason", "fallback-url")]),
        2
    );
}

#[tokio::test]
async fn status_callbacks_are_signed_answered_empty_and_counted_per_line() {
    let app = shared_app();
    let router = server::router(app.clone());
    for (to, status) in [
        (DOCTOR_SUPPORT, "completed"),
        (DOCTOR_SUPPORT, "completed"),
        (WELLBEING, "no-answer"),
        (WELLBEING, "busy"),
        (WELLBEING, "failed"),
        (WELLBEING, "canceled"),
        (WELLBEING, "made-up"),
    ] {
        let params = [
            ("CallSid", CALL_SID),
            ("CallStatus", status),
            ("To", to),
            ("From", CALLER),
            ("CallDuration", "42"),
        ];
        let reply = post(&router, "/status", &params, None).await;
        let twiml = reply.twiml();
        assert_eq!((twiml.name.as_str(), twiml.children.len()), ("Response", 0));
    }
    let count = |line, status| {
        app.metrics
            .get(Counter::CallStatus, &[("line", line), ("status", status)])
    };
    assert_eq!(count("doctor-support", "completed"), 2);
    assert_eq!(count("wellbeing", "no-answer"), 1);
    assert_eq!(count("wellbeing", "canceled"), 1);
    assert_eq!(count("wellbeing", "other"), 1);
    let forged = post(
        &router,
        "/status",
        &[("CallStatus", "completed")],
        Some("forged"),
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(count("wellbeing", "completed"), 0);
}

#[tokio::test]
async fn metrics_count_calls_choices_dials_and_refusals_with_bounded_labels() {
    let app = shared_app();
    let router = server::router(app.clone());
    let start = [("CallSid", CALL_SID), ("From", CALLER), ("To", WELLBEING)];
    post(&router, "/voice", &start, None).await.twiml();
    let press = [("CallSid", CALL_SID), ("From", CALLER), ("Digits", "1")];
    post(
        &router,
        "/voice/wellbeing/main-menu?attempt=1",
        &press,
        None,
    )
    .await;
    let dial = [("CallSid", CALL_SID), ("DialCallStatus", "busy")];
    post(
        &router,
        "/voice/wellbeing/counselling?attempt=1",
        &dial,
        None,
    )
    .await;
    post(&router, "/voice/made-up/step?attempt=1", &start, None).await;
    post(&router, "/voice", &start, Some("forged")).await;

    let reply = send(
        &router,
        Request::get("/metrics").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    // OpenMetrics, which Prometheus reads (prometheus-client writes it).
    assert!(
        reply
            .content_type
            .starts_with("application/openmetrics-text; version=1.0.0"),
        "{}",
        reply.content_type
    );
    let text = reply.body;
    for expected in [
        "switchboard_calls_total{line=\"wellbeing\"} 1",
        "switchboard_menu_choices_total{line=\"wellbeing\",step=\"wellbeing/main-menu\",choice=\"1\"} 1",
        "switchboard_dial_results_total{line=\"wellbeing\",step=\"wellbeing/counselling\",result=\"busy\"} 1",
        "switchboard_webhooks_total{line=\"wellbeing\",step=\"wellbeing/welcome\",outcome=\"started\"} 1",
        "switchboard_fallback_answers_total{reason=\"engine-error\"} 1",
        "switchboard_signature_failures_total{endpoint=\"voice\",reason=\"mismatch\"} 1",
        "switchboard_flow_reloads_total{result=\"refused\"} 0",
        "switchboard_answer_seconds_count 4",
        "switchboard_emergency_closed{schedule=\"doctor-support\"} 0",
    ] {
        assert!(
            text.contains(&format!("{expected}\n")),
            "{expected}\n{text}"
        );
    }
    // No label holds anything a request chose: no caller digits, no unknown line.
    assert!(!text.contains("7700900"), "{text}");
    assert!(!text.contains("made-up"), "{text}");
}

#[tokio::test]
async fn health_and_readiness_report_the_flows_in_force() {
    let router = server::router(shared_app());
    let healthz = send(
        &router,
        Request::get("/healthz").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(
        (healthz.status, healthz.body.as_str()),
        (StatusCode::OK, "ok\n")
    );
    let readyz = send(
        &router,
        Request::get("/readyz").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(readyz.status, StatusCode::OK);
    let ready: serde_json::Value = serde_json::from_str(&readyz.body).unwrap();
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["lines"], 2);
    let version = ready["flows"].as_str().unwrap();
    assert_eq!(version.len(), 12);
    assert!(version.bytes().all(|b| b.is_ascii_hexdigit()));
}

/// The server on a real socket, with short limits so the test is quick.
async fn listening(
    limits: Limits,
) -> (
    std::net::SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let mut app = app_state(shipped_flows(), NOW);
    app.limits = limits;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(server::run(listener, Arc::new(app), async move {
        let _ = stopped.await;
    }));
    (address, stop, server)
}

/// A signed first webhook as raw HTTP/1.1, to the server at `address`.
fn raw_call(address: std::net::SocketAddr) -> (String, String) {
    let params = [("CallSid", CALL_SID), ("From", CALLER), ("To", WELLBEING)];
    let body = form(&params);
    let signature = signature::sign(TOKEN, &format!("{PUBLIC_URL}/voice"), &owned(&params));
    let head = format!(
        "POST /voice HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         X-Twilio-Signature: {signature}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    (head, body)
}

/// Everything the server sends until it closes the connection; `None` if it is still open
/// after 5 s.
async fn read_all(stream: &mut tokio::net::TcpStream) -> Option<String> {
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
    // A reset counts as closed too.
    read.ok()
        .map(|_| String::from_utf8_lossy(&answer).into_owned())
}

#[tokio::test]
async fn hundreds_of_slow_or_half_open_connections_do_not_hold_up_a_real_call() {
    let limits = Limits {
        header_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(2),
        ..Limits::default()
    };
    let (address, _stop, _server) = listening(limits).await;
    let mut idle = Vec::new();
    for i in 0..300 {
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        match i % 3 {
            0 => {} // connected, sends nothing
            1 => stream
                .write_all(b"POST /voice HTTP/1.1\r\nHost: x\r\n")
                .await
                .unwrap(),
            _ => {
                // Whole headers, then a body that never comes.
                let head = "POST /voice HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\nTo=";
                stream.write_all(head.as_bytes()).await.unwrap();
            }
        }
        idle.push(stream);
    }
    let (answer, took) = timed_call(address).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("<Gather"), "{answer}");
    assert!(took < Duration::from_secs(1), "answered in {took:?}");

    // The slow ones are let go: no headers in time → closed; a body that never comes → 408.
    let mut closed = 0;
    let mut timed_out = 0;
    for mut stream in idle {
        if let Some(answer) = read_all(&mut stream).await {
            closed += 1;
            timed_out += usize::from(answer.starts_with("HTTP/1.1 408"));
        }
    }
    assert_eq!(closed, 300, "every slow connection is let go");
    assert_eq!(timed_out, 100, "each stalled body gets 408");
}

#[tokio::test]
async fn shutdown_finishes_the_request_in_flight_then_stops() {
    let (address, stop, server) = listening(Limits::default()).await;
    let (head, body) = raw_call(address);
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body.as_bytes()[..10]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // New connections are no longer taken...
    assert!(
        tokio::time::timeout(
            Duration::from_millis(500),
            tokio::net::TcpStream::connect(address)
        )
        .await
        .map_or(true, |c| c.is_err()),
        "the listener is closed"
    );
    // ...but the call in flight is answered in full.
    stream.write_all(&body.as_bytes()[10..]).await.unwrap();
    let answer = read_all(&mut stream).await.expect("answered and closed");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("</Response>"), "{answer}");
    let stopped = tokio::time::timeout(Duration::from_secs(5), server).await;
    assert!(matches!(stopped, Ok(Ok(Ok(())))), "{stopped:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Any body, any step path, signed or not: valid TwiML or a 4xx, never a 5xx or a panic.
    #[test]
    fn any_form_body_gives_valid_twiml_or_a_4xx(
        body in proptest::collection::vec(any::<u8>(), 0..600),
        path in prop::sample::select(vec![
            "/voice", "/voice/wellbeing/main-menu?attempt=2", "/voice/doctor-support/team?attempt=1",
            "/voice/x/y?attempt=z", "/status", "/fallback", "/voice/wellbeing/privacy-notice",
        ]),
        signed in any::<bool>(),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let reply = runtime.block_on(async {
            let router = app(NOW);
            let request = if signed {
                signed_raw(path, body.clone())
            } else {
                Request::post(path).body(Body::from(body.clone())).unwrap()
            };
            send(&router, request).await
        });
        if reply.status == StatusCode::OK {
            let twiml = reply.twiml();
            prop_assert_eq!(twiml.name.as_str(), "Response");
        } else {
            prop_assert!(reply.status.is_client_error(), "{} {}", reply.status, reply.body);
            prop_assert!(path != "/fallback", "the fallback URL always answers");
        }
    }
}

/// Sends a signed first webhook to `address` on a new connection: the answer and how long it
/// took.
async fn timed_call(address: std::net::SocketAddr) -> (String, Duration) {
    let started = Instant::now();
    let (head, body) = raw_call(address);
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body.as_bytes()).await.unwrap();
    let answer = read_all(&mut stream).await.expect("answered and closed");
    (answer, started.elapsed())
}

#[tokio::test]
async fn past_the_connection_cap_slow_clients_are_closed_to_make_room_for_a_call() {
    let limits = Limits {
        header_timeout: Duration::from_secs(5),
        max_connections: 8,
        ..Limits::default()
    };
    let mut app = app_state(shipped_flows(), NOW);
    app.limits = limits;
    let app = Arc::new(app);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let _server = tokio::spawn(server::run(listener, app.clone(), std::future::pending()));
    // Three times the cap of clients that start a request and never finish it.
    let mut slow = Vec::new();
    for _ in 0..24 {
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        stream
            .write_all(b"POST /voice HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .await
            .unwrap();
        slow.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    for _ in 0..5 {
        let (answer, took) = timed_call(address).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        // Not after a slow client's header timeout (5 s): at once.
        assert!(took < Duration::from_secs(1), "answered in {took:?}");
    }
    let made_room = app.metrics.get(
        switchboard::server::metrics::Counter::RefusedConnections,
        &[("listener", "webhooks"), ("reason", "made-room")],
    );
    assert!(made_room >= 5, "{made_room}");
}

#[tokio::test]
async fn past_the_connection_cap_an_idle_kept_alive_connection_makes_room_and_one_in_a_request_is_kept()
 {
    let limits = Limits {
        header_timeout: Duration::from_millis(600),
        request_timeout: Duration::from_millis(600),
        max_connections: 1,
        ..Limits::default()
    };
    let (address, _stop, _server) = listening(limits).await;
    // The one slot is held by a client kept alive after a whole request (as a pooled client's
    // connection is) and now idle: it is closed to make room, and the call answered at once.
    let mut kept = tokio::net::TcpStream::connect(address).await.unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut first = [0u8; 64];
    let _ = kept.read(&mut first).await.unwrap();
    let (answer, took) = timed_call(address).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(took < Duration::from_millis(300), "answered in {took:?}");
    assert!(
        read_all(&mut kept).await.is_some(),
        "the idle one was let go"
    );
    // A connection in the middle of a request (its body still coming) is never closed to make
    // room: the call waits for its answer (408 when its body does not come in time).
    let mut busy = tokio::net::TcpStream::connect(address).await.unwrap();
    busy.write_all(b"POST /voice HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\nTo=")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (answer, took) = timed_call(address).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(took >= Duration::from_millis(300), "answered in {took:?}");
    let busy_answer = read_all(&mut busy).await.expect("answered and closed");
    assert!(busy_answer.starts_with("HTTP/1.1 408"), "{busy_answer}");
}

#[tokio::test]
async fn past_the_connection_cap_the_connection_waiting_longest_makes_room_not_one_just_opened() {
    let limits = Limits {
        header_timeout: Duration::from_secs(5),
        max_connections: 2,
        ..Limits::default()
    };
    let (address, _stop, _server) = listening(limits).await;
    // A client kept alive after a request, idle since.
    let mut idle = tokio::net::TcpStream::connect(address).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut first = [0u8; 64];
    let _ = idle.read(&mut first).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // A connection just opened, its webhook not yet sent (as a webhook's is for a moment).
    let (head, body) = raw_call(address);
    let mut opening = tokio::net::TcpStream::connect(address).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // The listener is full: a third connection closes the idle one, not the one just opened.
    let (answer, took) = timed_call(address).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(took < Duration::from_millis(500), "answered in {took:?}");
    assert!(
        read_all(&mut idle).await.is_some(),
        "the idle one was let go"
    );
    opening.write_all(head.as_bytes()).await.unwrap();
    opening.write_all(body.as_bytes()).await.unwrap();
    let answer = read_all(&mut opening).await.expect("answered and closed");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test]
async fn past_the_connection_cap_a_call_waiting_for_a_request_to_end_is_served_when_it_does() {
    let limits = Limits {
        max_connections: 1,
        ..Limits::default()
    };
    let (address, _stop, _server) = listening(limits).await;
    // The one slot is in a request: its body is still coming, and it will be kept alive after.
    let (head, body) = raw_call(address);
    let kept_alive = head.replace("Connection: close\r\n", "");
    let mut busy = tokio::net::TcpStream::connect(address).await.unwrap();
    busy.write_all(kept_alive.as_bytes()).await.unwrap();
    busy.write_all(&body.as_bytes()[..10]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let call = tokio::spawn(timed_call(address));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !call.is_finished(),
        "it waits while the only connection is in a request"
    );
    // The request ends; its connection, kept alive and idle, makes room at once: the call does
    // not wait for its keep-alive (75 s).
    busy.write_all(&body.as_bytes()[10..]).await.unwrap();
    let (answer, took) = tokio::time::timeout(Duration::from_secs(5), call)
        .await
        .expect("answered once the request ended")
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(took < Duration::from_secs(2), "answered in {took:?}");
}

#[tokio::test]
async fn a_kept_alive_connection_is_served_after_idling_past_the_header_timeout_until_keep_alive() {
    let limits = Limits {
        header_timeout: Duration::from_millis(300),
        keep_alive: Duration::from_millis(1500),
        ..Limits::default()
    };
    let (address, _stop, _server) = listening(limits).await;
    let (head, body) = raw_call(address);
    let kept_alive = head.replace("Connection: close\r\n", "");
    assert!(!kept_alive.contains("Connection: close"));
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    // One whole answer, read by its Content-Length, leaving the connection open.
    let ask = async |stream: &mut tokio::net::TcpStream| {
        stream.write_all(kept_alive.as_bytes()).await.unwrap();
        stream.write_all(body.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        loop {
            let text = String::from_utf8_lossy(&answer).into_owned();
            if let Some((head, rest)) = text.split_once("\r\n\r\n") {
                let length = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length: ")
                            .map(str::to_owned)
                    })
                    .and_then(|n| n.trim().parse::<usize>().ok())
                    .expect("a Content-Length");
                if rest.len() >= length {
                    return text;
                }
            }
            let mut chunk = [0u8; 4096];
            let read = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut chunk)).await;
            let n = read.expect("answered").unwrap();
            assert!(n > 0, "closed before the whole answer: {text}");
            answer.extend_from_slice(&chunk[..n]);
        }
    };
    let answer = ask(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // Idle for three header timeouts, as a pooled client's connection is between calls: the
    // next webhook on it is answered, not reset.
    tokio::time::sleep(Duration::from_millis(900)).await;
    let answer = ask(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // Idle past the keep-alive: let go.
    let started = Instant::now();
    assert!(read_all(&mut stream).await.is_some(), "closed");
    assert!(
        started.elapsed() >= Duration::from_millis(1200),
        "{:?}",
        started.elapsed()
    );
}
