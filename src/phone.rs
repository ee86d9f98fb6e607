//! Phone numbers: E.164 values that are valid once they exist, and masking for logs.

use std::fmt::{self, Write as _};

/// A phone number in E.164 form: `+`, a country code, at most 15 digits in all.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct E164(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0:?} is not an E.164 number (expected + and 8 to 15 digits, e.g. +442079460101)")]
pub struct NotE164(pub String);

impl E164 {
    pub fn parse(text: &str) -> Result<Self, NotE164> {
        let digits = text.strip_prefix('+').unwrap_or("");
        let valid = (8..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if valid {
            Ok(E164(text.to_owned()))
        } else {
            Err(NotE164(text.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A caller's number as it may appear in a log: all but the country code's first digits and
/// the last three digits hidden (`+44******123`). Works on any text, valid number or not,
/// so nothing a caller sends can reach a log in clear by being malformed.
pub struct Masked<'a>(pub &'a str);

impl fmt::Display for Masked<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.0.chars().count();
        let (head, tail) = if count >= 10 { (3, 3) } else { (0, 0) };
        // Byte offsets of the shown head and tail, so each is written in one piece.
        let head_end = self.0.char_indices().nth(head).map_or(0, |(i, _)| i);
        let tail_start = self
            .0
            .char_indices()
            .nth(count - tail)
            .map_or(self.0.len(), |(i, _)| i);
        f.write_str(&self.0[..head_end])?;
        for _ in head..count - tail {
            f.write_char('*')?;
        }
        f.write_str(&self.0[tail_start..])
    }
}

#[cfg(test)]
mod tests {
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
    fn masking_hides_the_middle_and_short_values_entirely() {
        assert_eq!(Masked("+447700900123").to_string(), "+44*******123");
        assert_eq!(Masked("12345").to_string(), "*****");
        assert_eq!(Masked("").to_string(), "");
    }
}
