//! Every call's story for reports, kept off the webhook's path: a webhook puts what it heard on
//! a bounded queue and goes on; one thread per server, at the lowest priority, writes the
//! queue to the store in batches.
//! When the queue is full, or the store cannot take a batch, those records are dropped and
//! counted (`switchboard_call_records_total{result="dropped-…"}`): no webhook ever waits.
//!
//! The CallSid is hashed with the store's shared key before anything is written, so a call is
//! one record whichever servers answered it, and the SID itself is never kept.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::NaiveDate;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use tokio::sync::mpsc;

use super::App;
use super::metrics::Counter;
use crate::engine::{Answer, Context, Outcome};
use crate::flow::{Flows, HoursBranch, StepKind, StepRef};
use crate::store::calls::{CallRecord, StepRecord};
use crate::store::{DatabaseUrl, Store};

/// Records waiting to be written, at most: about a minute of a very busy line's webhooks.
pub const QUEUE: usize = 10_000;
/// Records written in one transaction, at most.
const BATCH: usize = 500;
/// A try at writing a batch that the store has not finished by then has failed.
const WRITE_DEADLINE: Duration = Duration::from_secs(5);
/// Tries at a batch before it is dropped, and the pause between them.
const WRITE_TRIES: u32 = 2;
const RETRY_AFTER: Duration = Duration::from_millis(500);
/// How often finished days are summed up, and old records rolled up into daily totals.
const ROLL_UP_EVERY: Duration = Duration::from_secs(3600);

/// What a webhook heard, before its CallSid is hashed; in memory only.
struct Noted {
    call_sid: String,
    heard: Heard,
}

enum Heard {
    Answer(Answered),
    Record(Box<CallRecord>),
}

impl Heard {
    fn record(self) -> CallRecord {
        match self {
            Heard::Answer(answered) => answered.record(),
            Heard::Record(record) => *record,
        }
    }
}

/// The sending end of the queue, and its receiving end until the writer takes it.
pub struct CallRecords {
    sender: Option<mpsc::Sender<Noted>>,
    receiver: Mutex<Option<mpsc::Receiver<Noted>>>,
}

impl CallRecords {
    /// A queue (`on`), or nothing at all (`serve --call-records false`, and tools).
    pub fn new(on: bool) -> CallRecords {
        let (sender, receiver) = if on {
            let (sender, receiver) = mpsc::channel(QUEUE);
            (Some(sender), Some(receiver))
        } else {
            (None, None)
        };
        CallRecords {
            sender,
            receiver: Mutex::new(receiver),
        }
    }

    /// Writes the queue to the store at `database` for as long as the server runs, and rolls
    /// records older than `keep_days` up into daily totals every hour. On a thread of its own
    /// at the lowest priority (and so its store's threads): when the machine is saturated,
    /// answering calls comes first, and records that cannot be written in time are dropped
    /// and counted.
    pub fn start_writing(
        app: &Arc<App>,
        database: DatabaseUrl,
        keep_days: u32,
    ) -> std::io::Result<Option<Writer>> {
        let taken = app.call_records.receiver.lock().map(|mut r| r.take());
        let Ok(Some(receiver)) = taken else {
            return Ok(None);
        };
        let stopping = Arc::new(tokio::sync::Notify::new());
        let (finished, writer) = (tokio::sync::oneshot::channel(), stopping.clone());
        let (done, finished) = finished;
        let app = app.clone();
        std::thread::Builder::new()
            .name("switchboard-records".into())
            .spawn(move || {
                lower_priority();
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime for the call records");
                runtime.block_on(async move {
                    let store = loop {
                        match Store::connect(&database).await {
                            Ok(store) => break store,
                            Err(error) => {
                                tracing::error!(%error, "call records cannot reach the store; trying again in 5 s");
                                tokio::time::sleep(Duration::from_secs(5)).await;
                            }
                        }
                    };
                    tokio::spawn(roll_up(app.clone(), store.clone(), keep_days));
                    write(app, store, receiver, stopping).await;
                    let _ = done.send(());
                });
            })
            .map(|_| {
                Some(Writer {
                    stopping: writer,
                    finished,
                })
            })
    }

    /// Records on the queue, not yet taken by the writer.
    fn queued(&self) -> u64 {
        self.sender
            .as_ref()
            .map_or(0, |s| (s.max_capacity() - s.capacity()) as u64)
    }

    /// Whether a webhook for `call_sid` is recorded: when records are on, for a call Twilio
    /// named (`-` is what a missing or malformed CallSid reads as).
    fn wanted(&self, call_sid: &str) -> bool {
        self.sender.is_some() && !call_sid.is_empty() && call_sid != "-"
    }

    /// Puts a record on the queue, or counts it dropped when the queue is full.
    fn note(&self, app: &App, call_sid: &str, heard: Heard) {
        let Some(sender) = &self.sender else {
            return;
        };
        let noted = Noted {
            call_sid: call_sid.to_owned(),
            heard,
        };
        if sender.try_send(noted).is_err() {
            app.metrics
                .add(Counter::CallRecords, &[("result", "dropped-queue-full")]);
        }
    }
}

/// The thread writing a server's call records, to be finished when the server stops.
pub struct Writer {
    stopping: Arc<tokio::sync::Notify>,
    finished: tokio::sync::oneshot::Receiver<()>,
}

impl Writer {
    /// At a stop, once no webhook is left to answer: writes every record queued, waiting at
    /// most `within`. Records still queued then are counted dropped (`dropped-stop`) and said.
    pub async fn finish(self, app: &App, within: Duration) {
        self.stopping.notify_one();
        if tokio::time::timeout(within, self.finished).await.is_ok() {
            return;
        }
        let left = app.call_records.queued();
        tracing::warn!(
            left,
            "call records not written before the server stopped: the store did not take them in time"
        );
        app.metrics
            .add_by(Counter::CallRecords, &[("result", "dropped-stop")], left);
    }
}

/// What a voice webhook's answer says of the call: kept as the flows' own step references
/// (no names are copied on the webhook's path); the writer words it as a record.
struct Answered {
    flows: Arc<Flows>,
    /// The line whose number the caller rang: the call counts on it, wherever it goes after.
    dialled: usize,
    at_ms: i64,
    /// For the call's first webhook: the line's state then.
    started: Option<&'static str>,
    outcome: Outcome,
    path: Vec<StepRef>,
    dial_duration: Option<u32>,
}

/// What a webhook says of its call, beside the engine's answer.
pub struct HeardOfCall<'a> {
    pub call_sid: &'a str,
    /// The number the caller rang (`To`), which every webhook of the call carries.
    pub dialled: Option<&'a str>,
    /// How long the connection just ended lasted, if one did.
    pub dial_duration: Option<u32>,
}

/// What a voice webhook's answer says of the call.
pub fn note_answer(app: &App, ctx: &Context<'_>, answer: &Answer, heard: &HeardOfCall<'_>) {
    if !app.call_records.wanted(heard.call_sid) {
        return;
    }
    // The line rung, not the line whose step answered: a Doctor support call that goes on to
    // the counselling line is still a Doctor support call, in the state that line was in.
    let dialled = ctx.flows.line_for_number(heard.dialled);
    let answered = Heard::Answer(Answered {
        flows: app.flows.load_full(),
        dialled,
        at_ms: ctx.now.timestamp_millis(),
        started: (answer.outcome == Outcome::Started).then(|| line_state(ctx, dialled)),
        outcome: answer.outcome,
        path: answer.path.clone(),
        dial_duration: heard.dial_duration,
    });
    app.call_records.note(app, heard.call_sid, answered);
}

impl Answered {
    fn record(&self) -> CallRecord {
        let flows = &self.flows;
        let name = |step: &StepRef| flows.step(*step).qualified_id.clone();
        let about = self.path.first().map(name);
        let (choice, result) = match self.outcome {
            Outcome::Chose(key) => (Some(key.to_string()), None),
            Outcome::AnyKey | Outcome::NoInput | Outcome::Invalid => {
                (Some(self.outcome.as_str().to_owned()), None)
            }
            Outcome::Dialled(status) => (None, Some(status.as_str().to_owned())),
            _ => (None, None),
        };
        // A person answered: the connection lasted DialCallDuration seconds up to this webhook.
        let answered = match self.outcome {
            Outcome::Dialled(status) if status.connected() => {
                let talked = i64::from(self.dial_duration.unwrap_or(0));
                about.clone().map(|team| (self.at_ms - talked * 1000, team))
            }
            _ => None,
        };
        let call_back = match self.outcome {
            Outcome::CallBack(result) => Some(result.as_str()),
            _ => None,
        };
        // The steps newly reached: a later webhook's answer starts at the step it was about,
        // which the call reached before.
        let new_steps = if self.started.is_some() { 0 } else { 1 };
        CallRecord {
            call: String::new(),
            id: String::new(),
            line: flows.line(self.dialled).id.to_string(),
            reached: self.path.iter().skip(new_steps).map(name).collect(),
            at_ms: self.at_ms,
            started: self.started,
            step: about
                .filter(|_| choice.is_some() || result.is_some())
                .map(|step| StepRecord {
                    step,
                    choice,
                    result,
                }),
            answered,
            call_back,
            // `None` when the line ends the call here (a goodbye).
            waiting_at: self
                .path
                .last()
                .filter(|s| !matches!(flows.step(**s).kind, StepKind::Hangup { .. }))
                .map(name),
            status: None,
        }
    }
}

/// What a status callback says of the call: how it ended, and how long it lasted.
pub fn note_status(app: &App, call_sid: &str, status: &str, duration: Option<u32>) {
    if !app.call_records.wanted(call_sid) {
        return;
    }
    let record = CallRecord {
        at_ms: app.clock.now().timestamp_millis(),
        status: Some((status.to_owned(), duration.map(i64::from))),
        ..CallRecord::default()
    };
    app.call_records
        .note(app, call_sid, Heard::Record(Box::new(record)));
}

/// The line's state as the call starts: by its own hours (a line with none is open).
fn line_state(ctx: &Context<'_>, line: usize) -> &'static str {
    let Some(schedule) = ctx.flows.own_schedule(line) else {
        return "open";
    };
    let status = ctx.flows.schedules[schedule].status(ctx.holidays, ctx.emergencies, ctx.now);
    match HoursBranch::of(&status) {
        HoursBranch::Open => "open",
        HoursBranch::Closed | HoursBranch::SpecialHours => "closed",
        HoursBranch::Holiday => "holiday",
        HoursBranch::Closure => "closure",
        HoursBranch::Emergency => "emergency",
    }
}

/// Makes the calling thread (and the threads it starts) give way to the rest of the server.
fn lower_priority() {
    #[cfg(unix)]
    if let Err(error) = rustix::process::setpriority_process(None, 19) {
        tracing::debug!(%error, "call records run at the server's own priority");
    }
}

/// The hex of the first 16 bytes of HMAC-SHA256(key, CallSid).
fn hashed(key: &str, call_sid: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes any key");
    mac.update(call_sid.as_bytes());
    mac.finalize().into_bytes()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Writes the queue in batches until the server stops; then writes what is queued and
/// finishes.
async fn write(
    app: Arc<App>,
    store: Store,
    mut receiver: mpsc::Receiver<Noted>,
    stopping: Arc<tokio::sync::Notify>,
) {
    let mut key: Option<String> = None;
    let mut batch = Vec::with_capacity(BATCH);
    let mut stopped = false;
    loop {
        let received = tokio::select! {
            received = receiver.recv_many(&mut batch, BATCH) => received,
            () = stopping.notified(), if !stopped => {
                // No record is added from now; those queued are still received, then 0.
                stopped = true;
                receiver.close();
                continue;
            }
        };
        if received == 0 {
            break;
        }
        if key.is_none() {
            key = tokio::time::timeout(WRITE_DEADLINE, store.call_record_key())
                .await
                .ok()
                .and_then(Result::ok)
                .filter(|k| !k.is_empty());
        }
        let count = batch.len() as u64;
        let written = match &key {
            Some(key) => {
                let records: Vec<CallRecord> = batch
                    .drain(..)
                    .map(|noted| CallRecord {
                        call: hashed(key, &noted.call_sid),
                        id: crate::signature::random_hex(8),
                        ..noted.heard.record()
                    })
                    .collect();
                write_batch(&store, &records).await
            }
            None => {
                batch.clear();
                Err("the key for call records could not be read".to_owned())
            }
        };
        match written {
            Ok(()) => app
                .metrics
                .add_by(Counter::CallRecords, &[("result", "written")], count),
            Err(error) => {
                tracing::warn!(count, %error, "call records dropped: the store could not take them");
                app.metrics
                    .add_by(Counter::CallRecords, &[("result", "dropped-store")], count);
            }
        }
    }
}

/// Writes a batch, and once more if that fails: each record has its own id, so a batch that
/// was written although its first try seemed to fail (a commit whose answer was lost) is not
/// counted twice.
async fn write_batch(store: &Store, records: &[CallRecord]) -> Result<(), String> {
    let mut tries = 0;
    loop {
        tries += 1;
        let error = match tokio::time::timeout(WRITE_DEADLINE, store.record_calls(records)).await {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(error)) => error.to_string(),
            Err(_) => "the store did not answer in time".to_owned(),
        };
        if tries == WRITE_TRIES {
            return Err(error);
        }
        tokio::time::sleep(RETRY_AFTER).await;
    }
}

/// Every hour: the days over by two days are summed up for reports (no record of them is
/// still to come: a call lasts hours at most), and records older than `keep_days` become
/// daily totals.
async fn roll_up(app: Arc<App>, store: Store, keep_days: u32) {
    let mut every = tokio::time::interval(ROLL_UP_EVERY);
    loop {
        every.tick().await;
        let today: NaiveDate = app
            .clock
            .now()
            .with_timezone(&chrono_tz::Europe::London)
            .date_naive();
        if let Err(error) = store.sum_up_calls(today - chrono::Duration::days(2)).await {
            tracing::warn!(%error, "call records could not be summed up; trying again in an hour");
        }
        let before = today - chrono::Duration::days(i64::from(keep_days));
        match store.roll_up_calls(before).await {
            Ok(0) => {}
            Ok(rolled) => {
                tracing::info!(deleted = rolled, %before, "old call records rolled up into daily totals and deleted")
            }
            Err(error) => {
                tracing::warn!(%error, "call records could not be rolled up; trying again in an hour")
            }
        }
    }
}
