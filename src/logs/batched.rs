//! Log lines handed to a thread of their own, in batches, so a slow disk never holds up an
//! answer and a busy server pays for one write and one wake-up per batch, not per line.
//!
//! A request's thread appends its line to a shared buffer under a short lock. The writing
//! thread wakes as soon as a line arrives after a quiet spell, writes what is there, then
//! gathers for `GATHER` before writing again. If the output is stuck and `MAX_PENDING`
//! bytes are waiting, further lines are counted, not kept, and the count is reported once the
//! output moves again.

use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// How long the writing thread lets lines gather after a write: short enough that a line
/// reaches the log well within a second, long enough that a busy server writes in large batches.
const GATHER: Duration = Duration::from_millis(10);

/// How long stopping waits for the last lines to be written.
const LAST_WRITE: Duration = Duration::from_secs(2);

/// Bytes held for a stuck output before lines are dropped (about 20,000 lines).
const MAX_PENDING: usize = 4 * 1024 * 1024;

/// Where request threads put their lines; `tracing_subscriber::fmt().with_writer(...)` takes it.
#[derive(Clone)]
pub struct BatchedLines {
    shared: Arc<Shared>,
}

/// Writes out every line still waiting, and stops the writing thread, when dropped (waiting
/// at most `LAST_WRITE` for an output that does not take them).
pub struct FlushOnDrop {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

struct Shared {
    pending: Mutex<Pending>,
    line_arrived: Condvar,
}

#[derive(Default)]
struct Pending {
    bytes: Vec<u8>,
    dropped_lines: u64,
    /// The writing thread is waiting for a line (so the next line must wake it).
    writer_idle: bool,
    closing: bool,
}

/// Starts the writing thread for `out`. `report_dropped` is told how many lines were dropped
/// once the output takes lines again; `serve` logs it, so the report is in the log's own
/// format.
pub fn batched(
    out: impl Write + Send + 'static,
    report_dropped: impl Fn(u64) + Send + 'static,
) -> (BatchedLines, FlushOnDrop) {
    let shared = Arc::new(Shared {
        pending: Mutex::default(),
        line_arrived: Condvar::new(),
    });
    let thread = std::thread::Builder::new()
        .name("log-writer".into())
        .spawn({
            let shared = Arc::clone(&shared);
            move || write_batches(&shared, out, report_dropped)
        })
        .expect("the log-writing thread starts");
    (
        BatchedLines {
            shared: Arc::clone(&shared),
        },
        FlushOnDrop {
            shared,
            thread: Some(thread),
        },
    )
}

impl Shared {
    /// A panic elsewhere while holding the lock leaves the buffer usable: logging carries on.
    fn lock(&self) -> MutexGuard<'_, Pending> {
        self.pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn write_batches(shared: &Shared, mut out: impl Write, report_dropped: impl Fn(u64)) {
    let mut batch = Vec::new();
    loop {
        let dropped_lines = {
            let mut pending = shared.lock();
            while pending.bytes.is_empty() && pending.dropped_lines == 0 && !pending.closing {
                pending.writer_idle = true;
                pending = shared
                    .line_arrived
                    .wait(pending)
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
            }
            if pending.bytes.is_empty() && pending.dropped_lines == 0 {
                return; // closing, and nothing left to write
            }
            std::mem::swap(&mut pending.bytes, &mut batch);
            std::mem::take(&mut pending.dropped_lines)
        };
        // A failing output (a closed pipe) cannot be reported anywhere else; the lines are lost.
        let _ = out.write_all(&batch).and_then(|()| out.flush());
        batch.clear();
        if dropped_lines > 0 {
            report_dropped(dropped_lines);
        }
        std::thread::sleep(GATHER);
    }
}

impl Drop for FlushOnDrop {
    fn drop(&mut self) {
        {
            let mut pending = self.shared.lock();
            pending.closing = true;
            self.shared.line_arrived.notify_one();
        }
        // A stuck output must not keep the process from stopping: wait a while, then leave
        // what it could not take.
        let Some(thread) = self.thread.take() else {
            return;
        };
        let deadline = std::time::Instant::now() + LAST_WRITE;
        while !thread.is_finished() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        if thread.is_finished() {
            let _ = thread.join();
        }
    }
}

/// One event's line, handed over in one `write` by tracing-subscriber.
pub struct LineWriter<'a> {
    shared: &'a Shared,
}

impl Write for LineWriter<'_> {
    fn write(&mut self, line: &[u8]) -> io::Result<usize> {
        let mut pending = self.shared.lock();
        if pending.bytes.len() + line.len() > MAX_PENDING {
            pending.dropped_lines += 1;
        } else {
            pending.bytes.extend_from_slice(line);
        }
        if pending.writer_idle {
            // Only the first line after a quiet spell pays for a wake-up.
            pending.writer_idle = false;
            self.shared.line_arrived.notify_one();
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for BatchedLines {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter {
            shared: &self.shared,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// An output the test can read, and hold shut to play a stuck disk.
    #[derive(Clone, Default)]
    struct Output(Arc<Mutex<Vec<u8>>>);
    impl Write for Output {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    impl Output {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    fn log(lines: &BatchedLines, text: &str) {
        lines.make_writer().write_all(text.as_bytes()).unwrap();
    }

    #[test]
    fn a_lone_line_is_written_without_waiting_for_more_or_for_shutdown() {
        let output = Output::default();
        let (lines, _flush) = batched(output.clone(), |_| {});
        std::thread::sleep(GATHER * 3);
        log(&lines, "first\n");
        let deadline = Instant::now() + Duration::from_secs(2);
        while output.text().is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(output.text(), "first\n");
    }

    #[test]
    fn every_line_is_written_in_order_by_the_time_the_guard_is_dropped() {
        let output = Output::default();
        let (lines, flush) = batched(output.clone(), |_| {});
        let threads: Vec<_> = (0..4)
            .map(|thread| {
                let lines = lines.clone();
                std::thread::spawn(move || {
                    for n in 0..1000 {
                        log(&lines, &format!("{thread} {n}\n"));
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        drop(flush);
        let text = output.text();
        assert_eq!(text.lines().count(), 4000);
        for thread in 0..4 {
            let numbers: Vec<u32> = text
                .lines()
                .filter_map(|line| line.strip_prefix(&format!("{thread} ")))
                .map(|n| n.parse().unwrap())
                .collect();
            assert_eq!(numbers, (0..1000).collect::<Vec<_>>(), "thread {thread}");
        }
    }

    #[test]
    fn a_stuck_output_does_not_keep_the_process_from_stopping() {
        let output = Output::default();
        let _stuck = output.0.lock().unwrap();
        let (lines, flush) = batched(output.clone(), |_| {});
        log(&lines, "never written\n");
        let started = Instant::now();
        drop(flush);
        let waited = started.elapsed();
        assert!(waited >= LAST_WRITE, "{waited:?}");
        assert!(waited < LAST_WRITE + Duration::from_secs(1), "{waited:?}");
    }

    #[test]
    fn a_stuck_output_drops_lines_beyond_the_limit_and_says_how_many() {
        let output = Output::default();
        let stuck = output.0.lock().unwrap();
        // Each report: the lines dropped, and the lines of the output by then.
        let reports = Arc::new(Mutex::new(Vec::new()));
        let report_dropped = {
            let (reports, output) = (reports.clone(), output.clone());
            move |dropped| {
                reports
                    .lock()
                    .unwrap()
                    .push((dropped, output.text().lines().count()))
            }
        };
        let (lines, flush) = batched(output.clone(), report_dropped);
        log(&lines, "taken\n");
        // Once the writing thread has taken that line, it is blocked on the stuck output.
        while !lines.shared.lock().bytes.is_empty() {
            std::thread::sleep(Duration::from_millis(1));
        }
        let line = "x".repeat(1023) + "\n";
        let fits = MAX_PENDING / line.len();
        for _ in 0..fits + 50 {
            log(&lines, &line);
        }
        drop(stuck);
        drop(flush);
        let text = output.text();
        assert!(text.starts_with("taken\n"));
        assert_eq!(text.lines().filter(|l| l.starts_with('x')).count(), fits);
        // Reported once, after the lines that were kept had reached the output.
        assert_eq!(*reports.lock().unwrap(), [(50, 1 + fits)]);
    }
}
