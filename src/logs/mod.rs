//! The text log line, written cheaply: every webhook logs one, so its cost is a real share of
//! an answer's. Laid out as tracing's default format, without colour, and with plain ids
//! unquoted:
//!
//! `2026-11-23T10:00:00.123456Z  INFO switchboard::server: answered call_sid=CA.. line=wellbeing`

pub mod batched;

use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// Formats events as plain text lines: timestamp, level, target, message, then `name=value`
/// fields. A string made only of ASCII letters, digits and `+-_.:/*@` is written as it is;
/// any other string is quoted and escaped (Debug); other values are written as tracing shows
/// them (Display for `%`, Debug otherwise).
pub struct PlainLines;

impl<S, N> FormatEvent<S, N> for PlainLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        // The line is put together in a buffer of our own, then handed over in one piece:
        // the writer is behind `dyn`, and a line is two dozen small pieces. (Should a line
        // ever be written while another is, it gets a buffer of its own.)
        LINE.with(|buffer| match buffer.try_borrow_mut() {
            Ok(mut line) => write_line(&mut line, event, writer),
            Err(_) => write_line(&mut String::new(), event, writer),
        })
    }
}

fn write_line(line: &mut String, event: &Event<'_>, mut writer: Writer<'_>) -> fmt::Result {
    line.clear();
    write_timestamp(line, SystemTime::now());
    let meta = event.metadata();
    line.push_str(match *meta.level() {
        Level::ERROR => " ERROR ",
        Level::WARN => "  WARN ",
        Level::INFO => "  INFO ",
        Level::DEBUG => " DEBUG ",
        Level::TRACE => " TRACE ",
    });
    line.push_str(meta.target());
    line.push(':');
    event.record(&mut Fields { line });
    line.push('\n');
    writer.write_str(line)
}

thread_local! {
    /// The line being written: reused, so a line costs no allocation.
    static LINE: RefCell<String> = const { RefCell::new(String::new()) };
}

struct Fields<'a> {
    line: &'a mut String,
}

impl Fields<'_> {
    fn write_name(&mut self, field: &Field) {
        self.line.push(' ');
        self.line.push_str(field.name());
        self.line.push('=');
    }
}

impl Visit for Fields<'_> {
    /// Ids, names and masked numbers (nearly every value here) are written bare; anything
    /// else is quoted and escaped, so no value can break a line or forge a field.
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            // As a message written with format arguments is (see `record_debug`): messages
            // are the code's own words, never a caller's.
            self.line.push(' ');
            return self.line.push_str(value);
        }
        if !is_bare(value) {
            return self.record_debug(field, &value);
        }
        self.write_name(field);
        self.line.push_str(value);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        // Writing to a String cannot fail.
        if field.name() == "message" {
            let _ = write!(self.line, " {value:?}");
            return;
        }
        self.write_name(field);
        let _ = write!(self.line, "{value:?}");
    }
}

/// Whether a value may be written without quotes: ASCII letters, digits and `+-_.:/*@` only.
fn is_bare(value: &str) -> bool {
    // Every byte is looked at, without stopping early: a loop with no exit in it is the
    // cheaper one for the short values logged here.
    !value.is_empty()
        && value
            .bytes()
            .fold(true, |bare, byte| bare & BARE[usize::from(byte)])
}

/// [`is_bare`]'s bytes, as a table: every byte of every value is looked up.
const BARE: [bool; 256] = {
    let mut bare = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        bare[byte] = matches!(
            byte as u8,
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'+' | b'-' | b'_' | b'.' | b':' | b'/' | b'*' | b'@'
        );
        byte += 1;
    }
    bare
};

thread_local! {
    /// The last second written, and its text: a busy server logs many lines a second.
    static SECOND: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
}

/// `2026-11-23T10:00:00.123456Z`, in UTC, as tracing writes it. The date and time are worked
/// out only when the second changes; within it, only the microseconds are written.
fn write_timestamp(line: &mut String, now: SystemTime) {
    let since_epoch = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = since_epoch.as_secs();
    SECOND.with_borrow_mut(|(second, text)| {
        if *second != seconds {
            *second = seconds;
            text.clear();
            let at = DateTime::<Utc>::from(UNIX_EPOCH + Duration::from_secs(seconds));
            let _ = write!(text, "{}", at.format("%Y-%m-%dT%H:%M:%S"));
        }
        line.push_str(text);
        // `.123456Z`, written by hand: this runs for every line.
        let mut fraction = *b".000000Z";
        let mut micros = since_epoch.subsec_micros();
        for digit in fraction[1..7].iter_mut().rev() {
            *digit = b'0' + (micros % 10) as u8;
            micros /= 10;
        }
        line.push_str(std::str::from_utf8(&fraction).expect("ASCII digits"));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_with_microseconds_even_within_a_cached_second() {
        let at = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .unwrap()
                .with_timezone(&Utc)
                .into()
        };
        let mut out = String::new();
        write_timestamp(&mut out, at("2026-11-23T10:00:00.000042Z"));
        out.push('|');
        write_timestamp(&mut out, at("2026-11-23T10:00:00.5Z"));
        out.push('|');
        write_timestamp(&mut out, at("2026-11-23T10:00:01Z"));
        assert_eq!(
            out,
            "2026-11-23T10:00:00.000042Z|2026-11-23T10:00:00.500000Z|2026-11-23T10:00:01.000000Z"
        );
    }

    #[test]
    fn bare_values_are_letters_digits_and_a_few_marks_only() {
        for byte in 0..=255u8 {
            let expected = byte.is_ascii_alphanumeric() || b"+-_.:/*@".contains(&byte);
            let text = [b'a', byte, b'z'];
            let bare = std::str::from_utf8(&text).is_ok_and(is_bare);
            assert_eq!(bare, expected, "byte {byte:#04x}");
        }
        assert!(!is_bare(""));
        assert!(is_bare("wellbeing/main-menu"));
        assert!(!is_bare("two words"));
        assert!(!is_bare("caf\u{e9}"));
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
            let (spaced, empty) = ("two words", "");
            tracing::warn!(line = %"wellbeing", step, attempt = 2, quoted = ?"a\"b", spaced, empty, "answered");
            // A message given as a field is written as one given as format arguments is.
            tracing::warn!(message = "answered", line = "wellbeing");
        });
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<_> = text
            .lines()
            .map(|line| {
                let (timestamp, rest) = line.split_once("  WARN ").unwrap();
                assert!(DateTime::parse_from_rfc3339(timestamp).is_ok(), "{text}");
                rest
            })
            .collect();
        assert_eq!(
            lines,
            [
                "switchboard::logs::tests: answered line=wellbeing step=main-menu attempt=2 quoted=\"a\\\"b\" spaced=\"two words\" empty=\"\"",
                "switchboard::logs::tests: answered line=wellbeing",
            ]
        );
    }
}
