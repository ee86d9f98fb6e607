//! The service's log: `tracing-subscriber`'s lines (text, or one JSON object a line), written
//! by `tracing-appender`'s own thread so a slow log output never holds up an answer. When the
//! output does not keep up, lines are dropped rather than waited for, and counted.
//!
//! A caller's number reaches a log only through [`crate::phone::Masked`].

use std::io::IsTerminal as _;

use tracing_appender::non_blocking::{ErrorCounter, NonBlockingBuilder, WorkerGuard};

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
        .with_writer(writer)
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
