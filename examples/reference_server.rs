//! The benchmark's yardstick: the least an axum server can do for Twilio's first webhook. It
//! reads the request body and answers a fixed TwiML document, the very bytes Switchboard gives
//! as the wellbeing line's first answer, with no signature check, no flows and no logs.
//! `bench/load.sh` drives it and `switchboard serve` alike and reports their ratio.
//!
//!     cargo run --release --example reference_server -- 127.0.0.1:18090

use axum::Router;
use axum::body::Bytes;
use axum::http::header;
use axum::routing::post;
use chrono::Utc;
use switchboard::calendar::{BankHolidays, Emergencies};
use switchboard::engine::{self, CallInput, Context, Position};
use switchboard::twiml;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listen = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:18090".into());
    let flows = switchboard::check::load_dir("call-flows".as_ref()).map_err(|d| d.to_string())?;
    // Computed once, here: the same bytes Switchboard's engine writes for this call.
    let input = CallInput {
        to: Some("+443301231245".into()),
        ..CallInput::default()
    };
    let ctx = Context {
        flows: &flows,
        holidays: &BankHolidays::builtin(),
        emergencies: &Emergencies::default(),
        now: Utc::now(),
    };
    let document = Bytes::from(
        engine::answer(&ctx, &Position::Start, &input)
            .response
            .to_xml(""),
    );
    let app = Router::new().route(
        "/voice",
        post(move |_body: Bytes| {
            let document = document.clone();
            async move { ([(header::CONTENT_TYPE, twiml::CONTENT_TYPE)], document) }
        }),
    );
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    eprintln!("reference server on {listen}");
    axum::serve(listener, app).await?;
    Ok(())
}
