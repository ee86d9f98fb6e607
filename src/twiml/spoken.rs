//! How a person says what a text writes, for the speech engine: a phone number and 999 digit
//! by digit, a date's day as an ordinal ("Thursday 3 December" as "Thursday third December").
//! Ops write numbers as people write them (`0330 123 1245`); the TwiML marks them up with
//! SSML `<say-as>`, which Twilio's `<Say>` takes inside its text.

/// A run of text, and how to say it when not as plain words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part<'t> {
    Plain(&'t str),
    /// `<say-as interpret-as="...">`: `telephone`, `digits` or `ordinal`.
    SayAs(&'static str, &'t str),
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Numbers said digit by digit wherever they stand alone: the emergency and NHS lines.
const SERVICE_NUMBERS: [&str; 2] = ["999", "111"];

/// A word of the text: where it is, and its core without the punctuation around it.
#[derive(Clone, Copy)]
struct Word<'t> {
    core: &'t str,
    /// Byte offsets of the core in the text.
    start: usize,
    end: usize,
    /// Punctuation follows the core: the number it belongs to ends here.
    punctuated: bool,
}

fn words(text: &str) -> Vec<Word<'_>> {
    let mut words = Vec::new();
    let mut offset = 0;
    for token in text.split_inclusive(char::is_whitespace) {
        let trimmed = token.trim_end();
        let lead = trimmed.len() - trimmed.trim_start_matches(['(', '"', '\'']).len();
        let core = trimmed[lead..].trim_end_matches(|c: char| c.is_ascii_punctuation());
        let start = offset + lead;
        words.push(Word {
            core,
            start,
            end: start + core.len(),
            punctuated: lead + core.len() < trimmed.len(),
        });
        offset += token.len();
    }
    words
}

fn is_digits(word: &str) -> bool {
    !word.is_empty() && word.bytes().all(|b| b.is_ascii_digit())
}

/// The text cut into plain runs and runs said another way.
pub fn parts(text: &str) -> Vec<Part<'_>> {
    let words = words(text);
    let mut parts = Vec::new();
    let mut plain_from = 0;
    let mut i = 0;
    while i < words.len() {
        let word = words[i];
        let mut span = None;
        if is_digits(word.core) && word.core.starts_with('0') {
            // A UK number: groups of digits, "0330 123 1245", ten or eleven digits in all.
            let mut last = i;
            let mut digits = word.core.len();
            while !words[last].punctuated
                && last + 1 < words.len()
                && is_digits(words[last + 1].core)
            {
                last += 1;
                digits += words[last].core.len();
            }
            if (10..=11).contains(&digits) {
                span = Some(("telephone", last));
            }
        } else if SERVICE_NUMBERS.contains(&word.core) {
            span = Some(("digits", i));
        } else if is_digits(word.core)
            && word.core.len() <= 2
            && !word.punctuated
            && words.get(i + 1).is_some_and(|w| MONTHS.contains(&w.core))
        {
            span = Some(("ordinal", i));
        }
        match span {
            Some((how, last)) => {
                let (start, end) = (word.start, words[last].end);
                if plain_from < start {
                    parts.push(Part::Plain(&text[plain_from..start]));
                }
                parts.push(Part::SayAs(how, &text[start..end]));
                plain_from = end;
                i = last + 1;
            }
            None => i += 1,
        }
    }
    if plain_from < text.len() {
        parts.push(Part::Plain(&text[plain_from..]));
    }
    parts
}

/// The words a caller hears: a number said digit by digit is a word a digit.
pub fn word_count(text: &str) -> usize {
    parts(text)
        .iter()
        .map(|part| match part {
            Part::Plain(text) => text
                .split_whitespace()
                .filter(|w| w.chars().any(char::is_alphanumeric))
                .count(),
            Part::SayAs("ordinal", _) => 1,
            Part::SayAs(_, digits) => digits.bytes().filter(u8::is_ascii_digit).count(),
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Part::*;

    #[test]
    fn phone_numbers_and_999_are_said_digit_by_digit() {
        assert_eq!(
            parts("Call 0330 123 1245, day or night; in an emergency, dial 999."),
            vec![
                Plain("Call "),
                SayAs("telephone", "0330 123 1245"),
                Plain(", day or night; in an emergency, dial "),
                SayAs("digits", "999"),
                Plain("."),
            ]
        );
        assert_eq!(
            parts("Its line, 020 7383 6707, is open."),
            vec![
                Plain("Its line, "),
                SayAs("telephone", "020 7383 6707"),
                Plain(", is open."),
            ]
        );
    }

    #[test]
    fn a_date_s_day_is_an_ordinal_and_other_numbers_are_plain() {
        assert_eq!(
            parts("from Thursday 3 December at 9am"),
            vec![
                Plain("from Thursday "),
                SayAs("ordinal", "3"),
                Plain(" December at 9am"),
            ]
        );
        for plain in [
            "up to 20 years",
            "24 hours",
            "press 1",
            "9999 and 0123",
            "3, December",
        ] {
            assert_eq!(parts(plain), vec![Plain(plain)], "{plain}");
        }
    }

    #[test]
    fn words_count_digits_said_one_by_one() {
        assert_eq!(word_count("dial 999"), 4);
        assert_eq!(word_count("on 0330 123 1245."), 12);
        assert_eq!(word_count("Thursday 3 December"), 3);
    }
}
