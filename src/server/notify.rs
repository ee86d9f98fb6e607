//! Telling the team: when a line opens with requests for a call back waiting, and when one
//! goes past the time the team aims to call within. Each is written to the store's outbox
//! first (one event id, however many servers notice it), then delivered as a JSON POST to the
//! configured URL, signed with an HMAC-SHA256 of the body (`X-Switchboard-Signature:
//! sha256=HEX`, and `X-Switchboard-Event` the id to deduplicate by), tried again with backoff
//! until the receiver takes it. No caller's number is ever in one.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::App;
use super::metrics::Counter;
use crate::calendar::schedule::Status;
use crate::store::Store;
use crate::store::call_backs::due;

/// The header holding the body's HMAC, and the one holding the event's id.
pub const SIGNATURE_HEADER: &str = "X-Switchboard-Signature";
pub const EVENT_HEADER: &str = "X-Switchboard-Event";

/// How long a server holds a notification it is trying: the request's own timeout, and more.
const LEASE: Duration = Duration::from_secs(15);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest wait between two tries.
const LONGEST_WAIT: Duration = Duration::from_secs(3600);

pub struct Notifier {
    pub app: Arc<App>,
    pub store: Store,
    pub url: String,
    pub key: Vec<u8>,
    /// How often to look for something to tell, and the first wait after a failed try.
    pub every: Duration,
    /// The time the team aims to call back within, from the line's opening.
    pub aim: chrono::Duration,
}

/// `sha256=` and the hex HMAC-SHA256 of `body` keyed by `key`.
pub fn sign(key: &[u8], body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(body.as_bytes());
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

impl Notifier {
    pub async fn run(self) {
        let client = match crate::outbound::client().timeout(REQUEST_TIMEOUT).build() {
            Ok(client) => client,
            Err(error) => {
                tracing::error!(%error, "notifications cannot be sent: no HTTP client");
                return;
            }
        };
        // Events this server has already put in the outbox (or found there): not written again
        // at every look.
        let mut noticed = HashSet::new();
        loop {
            if let Err(error) = self.notice(&mut noticed).await {
                tracing::warn!(%error, "could not look for notifications to send; trying again");
            }
            if let Err(error) = self.deliver(&client).await {
                tracing::warn!(%error, "could not deliver notifications; trying again");
            }
            tokio::time::sleep(self.every).await;
        }
    }

    /// Adds to the outbox what there is to tell now, unless `noticed` already holds it.
    async fn notice(&self, noticed: &mut HashSet<String>) -> crate::store::Result<()> {
        let waiting = self.store.call_backs(true).await?;
        if waiting.is_empty() {
            return Ok(());
        }
        let flows = self.app.flows.load();
        let holidays = self.app.holidays.load();
        let emergencies = self.app.emergencies.load();
        let now = self.app.clock.now();
        let written = Utc::now();
        for (index, line) in flows.lines.iter().enumerate() {
            let for_line: Vec<_> = waiting
                .iter()
                .filter(|r| r.line == line.id.as_str())
                .collect();
            let Some(oldest) = for_line.first() else {
                continue;
            };
            let open = flows.own_schedule(index).is_some_and(|s| {
                matches!(
                    flows.schedules[s].status(&holidays, &emergencies, now),
                    Status::Open { .. }
                )
            });
            if open {
                // Once a UK day a line is open with requests waiting.
                let day = now.with_timezone(&chrono_tz::Europe::London).date_naive();
                let event = format!("call-backs-waiting:{}:{day}", line.id);
                if noticed.contains(&event) {
                    continue;
                }
                let body = serde_json::json!({
                    "id": event,
                    "kind": "call-backs-waiting",
                    "line": line.id.as_str(),
                    "line_name": line.name,
                    "waiting": for_line.len(),
                    "oldest_asked_at": crate::store::instant(oldest.asked_ms),
                });
                self.store
                    .notify(&event, &body.to_string(), written)
                    .await?;
                noticed.insert(event);
            }
        }
        for request in &waiting {
            let Some(due_at) = due(request, &flows, &holidays, self.aim) else {
                continue;
            };
            if due_at > now {
                continue;
            }
            let event = format!("call-back-overdue:{}", request.id);
            if noticed.contains(&event) {
                continue;
            }
            let name = flows
                .line_index(&request.line)
                .map_or(request.line.clone(), |i| flows.line(i).name.clone());
            let body = serde_json::json!({
                "id": event,
                "kind": "call-back-overdue",
                "request": request.id,
                "line": request.line,
                "line_name": name,
                "asked_at": crate::store::instant(request.asked_ms),
                "due_at": due_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            });
            self.store
                .notify(&event, &body.to_string(), written)
                .await?;
            noticed.insert(event);
        }
        Ok(())
    }

    /// Delivers what is due in the outbox, one at a time, until nothing is.
    async fn deliver(&self, client: &reqwest::Client) -> crate::store::Result<()> {
        let lease = chrono::Duration::from_std(LEASE).expect("a short lease");
        while let Some(notification) = self.store.take_notification(Utc::now(), lease).await? {
            let sent = client
                .post(&self.url)
                .header("content-type", "application/json")
                .header(SIGNATURE_HEADER, sign(&self.key, &notification.body))
                .header(EVENT_HEADER, &notification.event)
                .body(notification.body.clone())
                .send()
                .await;
            let failure = match sent {
                Ok(response) if response.status().is_success() => None,
                Ok(response) => Some(format!("the receiver answered {}", response.status())),
                Err(error) => Some(format!(
                    "the receiver could not be reached: {}",
                    error.without_url()
                )),
            };
            match failure {
                None => {
                    self.store.delivered(notification.row, Utc::now()).await?;
                    self.app
                        .metrics
                        .add(Counter::Notifications, &[("result", "delivered")]);
                    tracing::info!(event = %notification.event, "notification delivered");
                }
                Some(why) => {
                    let wait = self
                        .every
                        .saturating_mul(1 << notification.tries.clamp(0, 20));
                    let wait = wait.min(LONGEST_WAIT);
                    let next = Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
                    self.store
                        .not_delivered(notification.row, next, &why)
                        .await?;
                    self.app
                        .metrics
                        .add(Counter::Notifications, &[("result", "failed")]);
                    tracing::warn!(event = %notification.event, tries = notification.tries + 1, %why, "notification not delivered; it will be tried again");
                }
            }
        }
        Ok(())
    }
}
