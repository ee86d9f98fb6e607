//! The text log line, written cheaply: every webhook logs one, so its cost is a real share of
//! an answer's. Same content as tracing's default format, without colour:
//!
//! `2026-11-23T10:00:00.123456Z  INFO switchboard::server: answered call_sid=CA.. line=wellbeing`

use std::cell::RefCell;
use std::fmt::{self, Write as _};

use chrono::{DateTime, Utc};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// Formats events as plain text lines: timestamp, level, target, message, then `name=value`
/// fields (values as tracing shows them: Display for `%`, Debug, so strings quoted, otherwise).
pub struct PlainLines;

impl<S, N> FormatEvent<S, N> for PlainLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        write_timestamp(&mut writer, Utc::now())?;
        let meta = event.metadata();
        writer.write_str(match *meta.level() {
            Level::ERROR => " ERROR ",
            Level::WARN => "  WARN ",
            Level::INFO => "  INFO ",
            Level::DEBUG => " DEBUG ",
            Level::TRACE => " TRACE ",
        })?;
        writer.write_str(meta.target())?;
        writer.write_str(":")?;
        let mut fields = Fields {
            writer: &mut writer,
            result: Ok(()),
        };
        event.record(&mut fields);
        fields.result?;
        writer.write_char('\n')
    }
}

struct Fields<'w, 'a> {
    writer: &'w mut Writer<'a>,
    result: fmt::Result,
}

impl Visit for Fields<'_, '_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if self.result.is_err() {
            return;
        }
        self.result = if field.name() == "message" {
            write!(self.writer, " {value:?}")
        } else {
            write!(self.writer, " {}={value:?}", field.name())
        };
    }
}

thread_local! {
    /// The last second written, and its text: a busy server logs many lines a second.
    static SECOND: RefCell<(i64, String)> = const { RefCell::new((i64::MIN, String::new())) };
}

/// `2026-11-23T10:00:00.123456Z`, in UTC, as tracing writes it.
fn write_timestamp(writer: &mut impl fmt::Write, now: DateTime<Utc>) -> fmt::Result {
    SECOND.with_borrow_mut(|(second, text)| {
        if *second != now.timestamp() {
            *second = now.timestamp();
            text.clear();
            let _ = write!(text, "{}", now.format("%Y-%m-%dT%H:%M:%S"));
        }
        writer.write_str(text)?;
        write!(writer, ".{:06}Z", now.timestamp_subsec_micros())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_with_microseconds_even_within_a_cached_second() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let mut out = String::new();
        write_timestamp(&mut out, at("2026-11-23T10:00:00.000042Z")).unwrap();
        out.push('|');
        write_timestamp(&mut out, at("2026-11-23T10:00:00.5Z")).unwrap();
        out.push('|');
        write_timestamp(&mut out, at("2026-11-23T10:00:01Z")).unwrap();
        assert_eq!(
            out,
            "2026-11-23T10:00:00.000042Z|2026-11-23T10:00:00.500000Z|2026-11-23T10:00:01.000000Z"
        );
    }

    #[test]
    fn lines_carry_level_target_message_and_fields() {
        use std::sync::{Arc, Mutex};
        #[derive(Clone, Default)]
        struct Sink(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Sink {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let sink = Sink::default();
        let writer = sink.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .event_format(PlainLines)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let step = "main-menu";
            tracing::warn!(line = %"wellbeing", step, attempt = 2, quoted = ?"a\"b", "answered");
        });
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        let (timestamp, rest) = text.split_once("  WARN ").unwrap();
        assert!(DateTime::parse_from_rfc3339(timestamp).is_ok(), "{text}");
        assert_eq!(
            rest,
            "switchboard::logs::tests: answered line=wellbeing step=\"main-menu\" attempt=2 quoted=\"a\\\"b\"\n"
        );
    }
}
