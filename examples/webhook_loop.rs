//! Answers N signed first webhooks to the wellbeing line in process, through the whole router,
//! for counting instructions and allocations per webhook under valgrind (repeatable on a busy
//! machine, unlike timings). Run twice, with N and with 0, and divide the difference by N:
//!
//!     valgrind --tool=callgrind target/release/examples/webhook_loop 2000
//!     valgrind --tool=dhat target/release/examples/webhook_loop 2000

#[path = "../benches/support/first_webhook.rs"]
mod first_webhook;

fn main() {
    let count: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    let webhook = first_webhook::FirstWebhook::new();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        for _ in 0..count {
            webhook.answer().await;
        }
    });
}
