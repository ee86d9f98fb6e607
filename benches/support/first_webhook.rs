//! The request measured by `benches/switchboard.rs` and `examples/webhook_loop.rs`: a new
//! call's first webhook to the wellbeing line, signed as Twilio signs it, answered through the
//! whole in-process router of a server on the shipped flows.

use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::Request;
use switchboard::server::{self, App, Auth, Clock};
use switchboard::signature;
use tower::ServiceExt;

const TOKEN: &str = "bench-token";
const PUBLIC_URL: &str = "https://switchboard.example.org";

pub struct FirstWebhook {
    router: Router,
    body: String,
    signature: String,
}

impl FirstWebhook {
    pub fn new() -> Self {
        let flows =
            switchboard::check::load_dir(Path::new("call-flows")).expect("the shipped flows load");
        // With CALL_RECORDS set, each webhook also queues its call record (nothing writes the
        // queue here: up to its 10,000 records this is the webhook's whole cost of recording).
        let app = Arc::new(App::with(
            flows,
            server::Settings {
                clock: Clock::Fixed("2026-11-23T10:00:00Z".parse().unwrap()),
                auth: Auth::token(TOKEN),
                public_url: Some(PUBLIC_URL.parse().unwrap()),
                limits: server::Limits::default(),
                holidays: switchboard::calendar::BankHolidays::builtin(),
                emergencies: Default::default(),
                recorder: None,
                call_records: std::env::var_os("CALL_RECORDS").is_some(),
                accept_pinned_instants: false,
            },
        ));
        let params: Vec<(String, String)> = [
            ("CallSid", "CA0123456789abcdef0123456789abcdef"),
            ("From", "+447700900123"),
            ("To", "+443301231245"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        FirstWebhook {
            router: server::router(app),
            body: form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&params)
                .finish(),
            signature: signature::sign(TOKEN, &format!("{PUBLIC_URL}/voice"), &params),
        }
    }

    /// The request's form (also what `bench/load.sh` sends).
    #[allow(dead_code)] // read by the benches, not by examples/webhook_loop.rs
    pub fn form(&self) -> &[u8] {
        self.body.as_bytes()
    }

    /// The TwiML answered, read whole.
    pub async fn answer(&self) -> Bytes {
        let request = Request::post("/voice")
            .header("content-type", "application/x-www-form-urlencoded")
            .header(signature::HEADER, &self.signature)
            .body(Body::from(self.body.clone()))
            .unwrap();
        let response = self.router.clone().oneshot(request).await.unwrap();
        assert!(response.status().is_success());
        axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap()
    }
}
