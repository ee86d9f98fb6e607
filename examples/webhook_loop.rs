//! Answers N signed first webhooks to the wellbeing line in process, through the whole router,
//! for counting instructions and allocations per webhook under valgrind (repeatable on a busy
//! machine, unlike timings). Run twice, with N and with 0, and divide the difference by N:
//!
//!     valgrind --tool=callgrind target/release/examples/webhook_loop 2000
//!     valgrind --tool=dhat target/release/examples/webhook_loop 2000

use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use switchboard::flow;
use switchboard::server::{self, App, Auth, Clock, signature};
use tower::ServiceExt;

fn main() {
    let count: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    let flows = flow::load_dir(Path::new("call-flows")).expect("the shipped flows load");
    let app = Arc::new(App::new(
        flows,
        Clock::Fixed("2026-11-23T10:00:00Z".parse().unwrap()),
        Auth::token("bench-token"),
        Some("https://switchboard.example.org".parse().unwrap()),
    ));
    let router = server::router(app);
    let params: Vec<(String, String)> = [
        ("CallSid", "CA0123456789abcdef0123456789abcdef"),
        ("From", "+447700900123"),
        ("To", "+443301231245"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let signed = signature::sign(
        "bench-token",
        "https://switchboard.example.org/voice",
        &params,
    );
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&params)
        .finish();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        for _ in 0..count {
            let request = Request::post("/voice")
                .header("content-type", "application/x-www-form-urlencoded")
                .header(signature::HEADER, &signed)
                .body(Body::from(body.clone()))
                .unwrap();
            let response = router.clone().oneshot(request).await.unwrap();
            assert!(response.status().is_success());
            axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap();
        }
    });
}
