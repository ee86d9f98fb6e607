//! The service's log: `tracing-subscriber`'s lines (text, or one JSON object a line), written
//! by `tracing-appender`'s own thread so a slow log output never holds up an answer. When the
//! output does not keep up, lines are dropped rather than waited for, and counted.
//!
//! A caller's number is logged only through [`crate::phone::Masked`]; and every line, whatever
//! its fields, passes through [`crate::phone::mask_numbers`] on its way out, so a number hidden
//! in a URL or a field nobody thought of is masked too.

use std::io::{IsTerminal as _, Write};

use tracing_appender::non_blocking::{ErrorCounter, NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::fmt::MakeWriter;

use crate::phone::mask_numbers;

/// How the lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Keeps the log writing; dropped, it writes out what is left (waiting at most a second).
pub struct Logs {
    _flush_at_exit: WorkerGuard,
    dropped: ErrorCounter,
}

impl Logs {
    /// Every few seconds, calls `more` with the lines dropped since it last looked (if any),
    /// and logs a warning of it; runs until dropped.
    pub fn watch_drops(
        &self,
        mut more: impl FnMut(u64) + Send + 'static,
    ) -> impl Future<Output = ()> + Send + 'static {
        let dropped = self.dropped.clone();
        async move {
            let mut seen = 0;
            loop {
                tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                let now = dropped.dropped_lines();
                if now > seen {
                    let count = (now - seen) as u64;
                    more(count);
                    tracing::warn!(
                        dropped_lines = count,
                        "log lines dropped: the log output was not taking them"
                    );
                    seen = now;
                }
            }
        }
    }
}

/// Sends the process's log to stderr, filtered by `RUST_LOG` (default `info`).
pub fn init(format: LogFormat) -> Logs {
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(true)
        .thread_name("switchboard-logs")
        .finish(std::io::stderr());
    let dropped = writer.error_counter();
    let logs = tracing_subscriber::fmt()
        .with_writer(MaskNumbers(writer))
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        );
    match format {
        LogFormat::Json => logs.json().init(),
        LogFormat::Text => logs.init(),
    }
    Logs {
        _flush_at_exit: guard,
        dropped,
    }
}

/// Makes writers that mask numbers in every line before it is written.
#[derive(Clone)]
pub struct MaskNumbers<M>(pub M);

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for MaskNumbers<M> {
    type Writer = MaskingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        MaskingWriter(self.0.make_writer())
    }
}

/// Writes what it is given with [`mask_numbers`] applied. `tracing-subscriber` hands it one
/// whole line per event, so no number is split between two writes.
pub struct MaskingWriter<W>(W);

impl<W: Write> Write for MaskingWriter<W> {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(line);
        self.0.write_all(mask_numbers(&text).as_bytes())?;
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_is_masked_whatever_field_the_number_is_in() {
        use std::sync::{Arc, Mutex};
        #[derive(Clone, Default)]
        struct Lines(Arc<Mutex<Vec<u8>>>);
        impl Write for Lines {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let lines = Lines::default();
        let sink = lines.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(MaskNumbers(move || sink.clone()))
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(
                error_url = "https://x/voice?From=%2B447700900123",
                caller_name = "07700 900123",
                "a webhook from 447700900123"
            );
        });
        let written = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        assert!(written.contains("From=%2B*********123"), "{written}");
        for clear in ["7700900", "07700 9", "447700"] {
            assert!(!written.contains(clear), "{clear} in {written}");
        }
    }
}
