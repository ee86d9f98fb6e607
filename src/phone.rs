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

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A caller's number as it may appear in a log: all but the country code's first digits and
/// the last three digits hidden (`+44*******123`). Works on any text, valid number or not,
/// so nothing a caller sends can reach a log in clear by being malformed: the ends are shown
/// only if they are digits (or `+`), so a SIP or client name, or a control character, is
/// hidden whole.
pub struct Masked<'a>(pub &'a str);

impl fmt::Display for Masked<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0;
        // A number is ASCII: its characters are its bytes.
        let ascii = text.is_ascii();
        let count = if ascii {
            text.len()
        } else {
            text.chars().count()
        };
        let shown = if count >= 10 { 3 } else { 0 };
        let byte_at = |char_index: usize| match ascii {
            true => char_index,
            false => text
                .char_indices()
                .nth(char_index)
                .map_or(text.len(), |(i, _)| i),
        };
        let (head_end, tail_start) = (byte_at(shown), byte_at(count - shown));
        write_shown(f, &text[..head_end])?;
        write_stars(f, count - 2 * shown)?;
        write_shown(f, &text[tail_start..])
    }
}

fn write_shown(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    if text.bytes().all(|b| b.is_ascii_digit() || b == b'+') {
        f.write_str(text)
    } else {
        write_stars(f, text.chars().count())
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
    fn masking_hides_the_middle_and_short_values_entirely() {
        assert_eq!(Masked("+447700900123").to_string(), "+44*******123");
        assert_eq!(Masked("12345").to_string(), "*****");
        assert_eq!(Masked("").to_string(), "");
        // Only digits are ever shown: no part of a name, no control characters.
        assert_eq!(Masked("client:alice").to_string(), "************");
        assert_eq!(Masked("+4477009001\n3").to_string(), "+44**********");
        assert_eq!(
            Masked(&"9".repeat(40)).to_string(),
            format!("999{}999", "*".repeat(34))
        );
        assert_eq!(Masked("+4477009ü0123").to_string(), "+44*******123");
    }
}
