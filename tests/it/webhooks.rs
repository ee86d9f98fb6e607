//! The webhook interface: signatures, methods, content type, and the safe answer to anything odd.

use crate::support::*;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use switchboard::signature;

const NOW: &str = "2026-11-23T10:00:00Z";

fn call_params() -> Vec<(&'static str, &'static str)> {
    vec![("CallSid", "CA1"), ("From", CALLER), ("To", WELLBEING)]
}

#[tokio::test]
async fn a_missing_or_wrong_signature_is_refused_with_403() {
    let app = app(NOW);
    let reply = post(&app, "/voice", &call_params(), Some("")).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let reply = post(
        &app,
        "/voice",
        &call_params(),
        Some("RSOYDt4T1cUTdK1PDd93/VVr8B8="),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    // Signed for other parameters than were sent.
    let forged = signature::sign(
        TOKEN,
        &format!("{PUBLIC_URL}/voice"),
        &[("To".into(), DOCTOR_SUPPORT.into())],
    );
    let reply = post(&app, "/voice", &call_params(), Some(&forged)).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    // Signed with another account's token.
    let owned = owned(&call_params());
    let other = signature::sign("another-token", &format!("{PUBLIC_URL}/voice"), &owned);
    let reply = post(&app, "/voice", &call_params(), Some(&other)).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_signature_made_with_the_explicit_default_port_is_accepted() {
    let app = app(NOW);
    let owned = owned(&call_params());
    let with_port = signature::sign(TOKEN, "https://switchboard.example.org:443/voice", &owned);
    let reply = post(&app, "/voice", &call_params(), Some(&with_port)).await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn get_webhooks_are_signed_over_the_url_alone() {
    let app = app(NOW);
    let path = format!("/voice?{}", form(&call_params()));
    let sig = signature::sign(TOKEN, &format!("{PUBLIC_URL}{path}"), &[]);
    let request = Request::get(&path)
        .header(signature::HEADER, sig)
        .body(Body::empty())
        .unwrap();
    let reply = send(&app, request).await;
    assert!(reply.twiml().text().contains("wellbeing support line"));
}

#[tokio::test]
async fn answers_are_text_xml() {
    let reply = post(&app(NOW), "/voice", &call_params(), None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.content_type, "text/xml; charset=utf-8");
    assert!(
        reply
            .body
            .starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>")
    );
    assert!(reply.body.len() < switchboard::twiml::MAX_DOCUMENT_BYTES);
}

#[tokio::test]
async fn other_methods_are_refused() {
    let request = Request::put("/voice")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        send(&app(NOW), request).await.status,
        StatusCode::METHOD_NOT_ALLOWED
    );
}

#[tokio::test]
async fn a_step_that_no_longer_exists_sends_the_caller_to_counselling() {
    let app = app(NOW);
    let reply = post(
        &app,
        "/voice/wellbeing/no-such-step?attempt=1",
        &call_params(),
        None,
    )
    .await;
    let twiml = reply.twiml();
    assert!(
        twiml.text().contains("Sorry, something went wrong"),
        "{}",
        reply.body
    );
    let dial = twiml
        .descendants()
        .into_iter()
        .find(|e| e.name == "Dial")
        .expect("a dial");
    assert_eq!(dial.text().trim(), COUNSELLING);
    assert!(dial.attribute("action").is_some());
    // An unknown line too: the default line's on_error step.
    let reply = post(
        &app,
        "/voice/nowhere/main-menu?attempt=1",
        &call_params(),
        None,
    )
    .await;
    assert!(reply.body.contains(COUNSELLING));
}

#[tokio::test]
async fn a_mangled_attempt_count_moves_the_caller_on_rather_than_trapping_them() {
    let app = app(NOW);
    for query in [
        "attempt=-1",
        "attempt=99999999999999",
        "attempt=banana",
        "attempt=",
    ] {
        let reply = post(
            &app,
            &format!("/voice/wellbeing/main-menu?{query}"),
            &call_params(),
            None,
        )
        .await;
        assert!(
            reply.twiml().descendants().iter().any(|e| e.name == "Dial"),
            "{query}: {}",
            reply.body
        );
    }
}

#[tokio::test]
async fn the_public_url_prefix_is_signed_and_written_into_action_urls() {
    use std::sync::Arc;
    use switchboard::server::{App, Auth, Clock};
    let app = switchboard::server::router(Arc::new(App::new(
        shipped_flows(),
        Clock::Fixed(instant(NOW)),
        Auth::token(TOKEN),
        Some("https://example.org/ivr".parse().unwrap()),
    )));
    let owned = owned(&call_params());
    let sig = signature::sign(TOKEN, "https://example.org/ivr/voice", &owned);
    let reply = post(&app, "/voice", &call_params(), Some(&sig)).await;
    let twiml = reply.twiml();
    let gather = twiml
        .descendants()
        .into_iter()
        .find(|e| e.name == "Gather")
        .unwrap();
    assert_eq!(
        gather.attribute("action"),
        Some("/ivr/voice/wellbeing/main-menu?attempt=1")
    );
}

#[tokio::test]
async fn health_check_answers() {
    let reply = send(
        &app(NOW),
        Request::get("/healthz").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (StatusCode::OK, "ok\n")
    );
}

#[tokio::test]
async fn routes_answer_404_to_unknown_paths_and_405_with_allow_to_wrong_methods() {
    use tower::ServiceExt;
    let app = app(NOW);
    let request = |method: &str, path: &str| {
        Request::builder()
            .method(method)
            .uri(path)
            .body(Body::empty())
            .unwrap()
    };
    for path in ["/", "/voicemail", "/status/extra", "/metrics/"] {
        let reply = send(&app, request("POST", path)).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
    }
    for path in ["/healthz", "/readyz", "/metrics"] {
        let response = app.clone().oneshot(request("POST", path)).await.unwrap();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "{path}");
        let allow = response.headers()[header::ALLOW].to_str().unwrap();
        let mut allowed: Vec<&str> = allow.split(',').map(str::trim).collect();
        allowed.sort();
        assert_eq!(allowed, ["GET", "HEAD"], "{path}");
        let reply = send(&app, request("HEAD", path)).await;
        assert_eq!(reply.status, StatusCode::OK, "HEAD {path}");
    }
}

#[tokio::test]
async fn a_voice_url_with_no_step_named_still_gets_the_safe_answer() {
    let reply = post(&app(NOW), "/voice/", &call_params(), None).await;
    assert!(reply.body.contains(COUNSELLING), "{}", reply.body);
}
