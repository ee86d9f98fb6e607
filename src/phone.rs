//! Phone numbers: E.164 values that are valid once they exist, and masking for logs.

use std::fmt;

/// A phone number in E.164 form: `+`, a country code, at most 15 digits in all.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct E164(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BadNumber {
    #[error("{0:?} is not an E.164 number (expected + and 8 to 15 digits, e.g. +442079460101)")]
    NotE164(String),
    #[error(
        "{0:?} is not a number that can be called: no such number exists in its country's numbering plan (a digit missing or extra?)"
    )]
    NotInUse(String),
}

impl E164 {
    /// A number in E.164 form that its country's numbering plan allows, as Google's
    /// libphonenumber data (the `phonenumber` crate) knows it: a digit short is refused.
    pub fn parse(text: &str) -> Result<Self, BadNumber> {
        let digits = text.strip_prefix('+').unwrap_or("");
        let e164 = (8..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if !e164 {
            return Err(BadNumber::NotE164(text.to_owned()));
        }
        let valid = phonenumber::parse(None, text).is_ok_and(|n| phonenumber::is_valid(&n));
        if !valid {
            return Err(BadNumber::NotInUse(text.to_owned()));
        }
        Ok(E164(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl E164 {
    /// A number as people write it, UK numbers nationally (`020 7383 6707`, `0330 123 1245`)
    /// or internationally (`+44 20 7383 6707`), in E.164 form.
    pub fn from_written(text: &str) -> Result<Self, BadNumber> {
        let parsed = phonenumber::parse(Some(phonenumber::country::Id::GB), text)
            .map_err(|_| BadNumber::NotE164(text.to_owned()))?;
        E164::parse(&parsed.format().mode(phonenumber::Mode::E164).to_string())
    }
}

/// A number's last three digits, the most of it shown to whoever may not see it: "456".
pub fn ending(number: &str) -> String {
    let digits: Vec<char> = number.chars().filter(char::is_ascii_digit).collect();
    digits[digits.len().saturating_sub(3)..].iter().collect()
}

/// A number as people write it: a UK number as dialled in the UK (`07400 123456`,
/// `020 7946 0101`), any other in international form (`+33 1 23 45 67 89`); a number the
/// numbering plan does not know, as given.
pub fn written(number: &str) -> String {
    let Ok(parsed) = phonenumber::parse(None, number) else {
        return number.to_owned();
    };
    // By the country code: +44 also covers the Channel Islands and the Isle of Man, dialled
    // from the UK as UK numbers are.
    let uk = parsed.code().value() == 44;
    let mode = if uk {
        phonenumber::Mode::National
    } else {
        phonenumber::Mode::International
    };
    parsed.format().mode(mode).to_string()
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A caller's number as it may appear in a log: everything but the last three digits hidden
/// (`+*********123`). Works on any text, valid number or not, so nothing a caller sends can
/// reach a log in clear by being malformed: the end is shown only if it is digits, so a SIP
/// or client name, or a control character, is hidden whole.
pub struct Masked<'a>(pub &'a str);

impl fmt::Display for Masked<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0;
        let count = text.chars().count();
        let (head, tail) = match text.char_indices().nth(count.saturating_sub(3)) {
            Some((at, _)) if count >= 10 => text.split_at(at),
            _ => (text, ""),
        };
        if head.starts_with('+') && tail.bytes().all(|b| b.is_ascii_digit()) {
            f.write_str("+")?;
            write_stars(f, head.chars().count() - 1)?;
        } else {
            write_stars(f, head.chars().count())?;
        }
        if tail.bytes().all(|b| b.is_ascii_digit()) {
            f.write_str(tail)
        } else {
            write_stars(f, tail.chars().count())
        }
    }
}

fn write_stars(f: &mut fmt::Formatter<'_>, mut count: usize) -> fmt::Result {
    const STARS: &str = "****************";
    while count > 0 {
        let run = count.min(STARS.len());
        f.write_str(&STARS[..run])?;
        count -= run;
    }
    Ok(())
}

/// Digits in a row that may be a phone number, written as dialled (`+…`, `0…`): at least this
/// many.
const DIGITS_IN_A_ROW: usize = 7;
/// Digits in a row that may be a phone number however it starts (`447700900123`): at least
/// this many.
const DIGITS_WITH_A_COUNTRY: usize = 10;
/// Digits, with spaces, dashes, dots or URL-encoded spaces between them, that may be a phone
/// number written as people write it ("07700 900123", "0%207700%20900123"): at least this
/// many. (A date, "2026-12-01", has 8.)
const DIGITS_SPACED: usize = 9;

/// `text` with every run of digits that could be a phone number hidden but its last three
/// digits, in whatever form it was written: `+447700900123`, `07700 900123`, `447700900123`,
/// `%2B447700900123`, `07700-900-123`. The last line of defence for logs: every line goes
/// through it (see [`crate::logs`]), whatever field a number hides in.
pub fn mask_numbers(text: &str) -> std::borrow::Cow<'_, str> {
    let bytes = text.as_bytes();
    // Each run found to be a number: where it starts and ends.
    let mut numbers: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        // A run: digits, and single separators between them.
        let (mut digits, mut unbroken, mut longest_unbroken) = (0, 0, 0);
        // The digits before the first separator, how many separators, and whether each was a
        // dot (counted, not kept: every log line passes through here).
        let (mut leading, mut separators, mut only_dots) = (None, 0u32, true);
        let mut j = i;
        loop {
            if j < bytes.len() && bytes[j].is_ascii_digit() {
                digits += 1;
                unbroken += 1;
                longest_unbroken = longest_unbroken.max(unbroken);
                j += 1;
                continue;
            }
            let separator = match &bytes[j..] {
                [b' ' | b'-' | b'.' | b'+', d, ..] if d.is_ascii_digit() => 1,
                [b'%', b'2', b'0', d, ..] if d.is_ascii_digit() => 3,
                _ => 0,
            };
            if separator == 0 {
                break;
            }
            leading.get_or_insert(unbroken);
            separators += 1;
            only_dots &= bytes[j] == b'.';
            unbroken = 0;
            j += separator;
        }
        // A figure with a decimal point (`elapsed_secs=0.012345678`, `1234.56789`): one dot,
        // and before it a 0 alone or up to six digits that do not start as a number is dialled.
        let decimal = separators == 1
            && only_dots
            && leading.is_some_and(|n| n == 1 || (n <= 6 && bytes[i] != b'0'))
            && !text[..i].ends_with('+');
        // A JSON number (`"field":1234567`) is our own count, never a caller's text.
        let json_number = text[..i].ends_with("\":");
        // Unbroken, a number is long enough to have its country code (447700900123), or
        // starts as one is dialled (+…, 0…); "60000000 bytes" is neither.
        let dialled = bytes[i] == b'0' || text[..i].ends_with('+') || text[..i].ends_with("%2B");
        let unbroken_number = longest_unbroken >= DIGITS_WITH_A_COUNTRY
            || (longest_unbroken >= DIGITS_IN_A_ROW && dialled);
        let spaced_number = digits >= DIGITS_SPACED && longest_unbroken < digits;
        if (unbroken_number || spaced_number) && !json_number && !decimal {
            numbers.push((i, j));
        }
        i = j;
    }
    if numbers.is_empty() {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut masked = bytes.to_vec();
    for (start, end) in numbers {
        // All its digits but the last three.
        let mut keep = 3;
        for at in (start..end).rev() {
            // The 2 and 0 of a URL-encoded space are not the number's.
            let encoded_space = (at >= 1 && bytes[at - 1..].starts_with(b"%20"))
                || (at >= 2 && bytes[at - 2..].starts_with(b"%20"));
            if bytes[at].is_ascii_digit() && !encoded_space {
                if keep > 0 {
                    keep -= 1;
                } else {
                    masked[at] = b'*';
                }
            }
        }
    }
    // Only ASCII digits were replaced, by an ASCII character.
    std::borrow::Cow::Owned(String::from_utf8(masked).expect("still UTF-8"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_ending_is_the_last_three_digits_whatever_the_spacing() {
        assert_eq!(super::ending("+447400123456"), "456");
        assert_eq!(super::ending("07400 123 4 5 6"), "456");
        assert_eq!(super::ending("12"), "12");
        assert_eq!(super::ending(""), "");
    }

    #[test]
    fn numbers_are_written_as_people_write_them() {
        assert_eq!(super::written("+447400123456"), "07400 123456");
        assert_eq!(super::written("+447911123456"), "07911 123456");
        assert_eq!(super::written("+442079460101"), "020 7946 0101");
        assert_eq!(super::written("+443301231245"), "0330 123 1245");
        assert_eq!(super::written("+33123456789"), "+33 1 23 45 67 89");
        assert_eq!(super::written("not a number"), "not a number");
    }

    use super::*;

    #[test]
    fn accepts_uk_numbers_and_refuses_national_or_garbage() {
        assert!(E164::parse("+443301231245").is_ok());
        for bad in [
            "03301231245",
            "+44 330 123 1245",
            "+0123456789",
            "+44",
            "",
            "+4412345678901234",
        ] {
            assert!(E164::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn numbers_are_read_as_people_write_them() {
        for written in [
            "020 7383 6707",
            "02073836707",
            "+44 20 7383 6707",
            "(020) 7383-6707",
        ] {
            assert_eq!(
                E164::from_written(written).map(|n| n.to_string()),
                Ok("+442073836707".to_owned()),
                "{written}"
            );
        }
        assert!(E164::from_written("020 7383 670").is_err());
        assert!(E164::from_written("counselling").is_err());
    }

    #[test]
    fn a_number_its_country_does_not_have_is_refused() {
        for good in ["+442079460101", "+442073836707", "+443301231245"] {
            assert!(E164::parse(good).is_ok(), "{good}");
        }
        // One digit short, one too many: the right shape, but no such UK number.
        for bad in ["+44207946010", "+4420794601011"] {
            assert_eq!(
                E164::parse(bad),
                Err(BadNumber::NotInUse(bad.to_owned())),
                "{bad}"
            );
        }
    }

    #[test]
    fn masking_shows_at_most_the_last_three_digits() {
        assert_eq!(Masked("+447700900123").to_string(), "+*********123");
        assert_eq!(Masked("07700900123").to_string(), "********123");
        assert_eq!(Masked("12345").to_string(), "*****");
        assert_eq!(Masked("").to_string(), "");
        // Only digits are ever shown: no part of a name, no control characters.
        assert_eq!(Masked("client:alice").to_string(), "************");
        assert_eq!(Masked("+4477009001\n3").to_string(), "*************");
        assert_eq!(
            Masked(&"9".repeat(40)).to_string(),
            format!("{}999", "*".repeat(37))
        );
        assert_eq!(Masked("+4477009ü0123").to_string(), "+*********123");
    }

    #[test]
    fn numbers_in_any_text_are_masked_in_every_form_people_and_urls_write_them() {
        for (text, masked) in [
            ("From=+447700900123 x", "From=+*********123 x"),
            (
                "ErrorUrl=https://x/voice?From=%2B447700900123&To=1",
                "ErrorUrl=https://x/voice?From=%2B*********123&To=1",
            ),
            ("called 07700 900123.", "called ***** ***123."),
            ("0%207700%20900123", "*%20****%20***123"),
            ("447700900123", "*********123"),
            ("07700-900-123", "*****-***-123"),
            ("Digits=07911123457#", "Digits=********457#"),
            ("7911123456", "*******456"),
            (
                "\"caller\":\"+447700900123\"",
                "\"caller\":\"+*********123\"",
            ),
        ] {
            assert_eq!(mask_numbers(text), masked, "{text}");
        }
        // What is not a phone number stays: dates and times, short numbers, our own counts.
        for kept in [
            "2026-12-01T10:23:47.330211Z",
            "attempt=3 step=main-menu version=26a93afcf8a6",
            "press 1, 999, 2026",
            "\"dropped_lines\":12345678",
        ] {
            assert_eq!(mask_numbers(kept), kept);
        }
    }

    #[test]
    fn a_count_in_a_log_line_is_not_taken_for_a_phone_number() {
        for kept in [
            "60000000 bytes",
            "took 12345678 instructions",
            "id 987654321",
            // Figures with a decimal point, as tracing writes durations and rates.
            "elapsed_secs=0.012345678901",
            "elapsed_secs=12.3456789012",
            "took 1.234567891s",
            "\"rate\":1234.56789012",
        ] {
            assert_eq!(mask_numbers(kept), kept);
        }
        // A number written with dots, or a dot in a dialled number, still is a number.
        assert_eq!(mask_numbers("ring 07700.900123"), "ring *****.***123");
        assert_eq!(mask_numbers("ring +44.7700900123"), "ring +**.*******123");
        // A number as dialled, or with its country code, still is.
        assert_eq!(mask_numbers("ring 07911123457"), "ring ********457");
        assert_eq!(mask_numbers("ring 447911123457"), "ring *********457");
    }
}
