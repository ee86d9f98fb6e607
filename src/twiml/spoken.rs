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

/// Where `text` has runs said another way, and how, in order. Only numbers are, so the text
/// is looked at closely only where a word starts with a digit: most of a message is one scan.
pub fn marks(text: &str) -> Vec<Mark> {
    let mut marks = Vec::new();
    let mut search = 0;
    // Digits are ASCII, so a byte position found is a character boundary.
    while let Some(offset) = text.as_bytes()[search..]
        .iter()
        .position(u8::is_ascii_digit)
    {
        let start = search + offset;
        let starts_a_word = text[..start]
            .chars()
            .next_back()
            .is_none_or(|c| c.is_whitespace() || matches!(c, '(' | '"' | '\''));
        match starts_a_word.then(|| number_at(text, start)).flatten() {
            Some((how, end)) => {
                marks.push((start..end, how));
                search = end;
            }
            None => search = digits_from(text, start),
        }
    }
    marks
}

/// A run said another way: where it is in the text, and how (`<say-as interpret-as>`).
pub type Mark = (std::ops::Range<usize>, &'static str);

/// `text` cut at its `marks` into plain runs and runs said another way.
pub fn cut<'t>(text: &'t str, marks: &[Mark]) -> Vec<Part<'t>> {
    let mut parts = Vec::with_capacity(2 * marks.len() + 1);
    let mut plain_from = 0;
    for (range, how) in marks {
        if plain_from < range.start {
            parts.push(Part::Plain(&text[plain_from..range.start]));
        }
        parts.push(Part::SayAs(how, &text[range.clone()]));
        plain_from = range.end;
    }
    if plain_from < text.len() {
        parts.push(Part::Plain(&text[plain_from..]));
    }
    parts
}

/// The text cut into plain runs and runs said another way.
pub fn parts(text: &str) -> Vec<Part<'_>> {
    cut(text, &marks(text))
}

/// Where the run of ASCII digits from `start` ends.
fn digits_from(text: &str, start: usize) -> usize {
    text.as_bytes()[start..]
        .iter()
        .position(|b| !b.is_ascii_digit())
        .map_or(text.len(), |n| start + n)
}

/// A run of digits from `start` that is a word of its own: not followed by a letter or digit.
fn whole_number(text: &str, start: usize) -> Option<usize> {
    let end = digits_from(text, start);
    let alone = text[end..]
        .chars()
        .next()
        .is_none_or(|c| !c.is_alphanumeric());
    (end > start && alone).then_some(end)
}

/// The number a word starting at `start` is, said another way, and where it ends.
fn number_at(text: &str, start: usize) -> Option<(&'static str, usize)> {
    let end = whole_number(text, start)?;
    let word = &text[start..end];
    if word.starts_with('0') {
        // A UK number: groups of digits one space apart, "0330 123 1245", 10 or 11 digits.
        let (mut last, mut digits) = (end, word.len());
        while text[last..].starts_with(' ') {
            match whole_number(text, last + 1) {
                Some(next) => {
                    digits += next - last - 1;
                    last = next;
                }
                None => break,
            }
        }
        return (10..=11).contains(&digits).then_some(("telephone", last));
    }
    if SERVICE_NUMBERS.contains(&word) {
        return Some(("digits", end));
    }
    let month = text[end..].strip_prefix(' ').and_then(|rest| {
        MONTHS
            .iter()
            .find(|m| rest.starts_with(*m) && whole_word_ends(rest, m.len()))
    });
    (word.len() <= 2 && month.is_some()).then_some(("ordinal", end))
}

fn whole_word_ends(text: &str, at: usize) -> bool {
    text[at..]
        .chars()
        .next()
        .is_none_or(|c| !c.is_alphanumeric())
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

    proptest::proptest! {
        /// The parts are the text, cut: nothing is lost, added or moved.
        #[test]
        fn the_parts_put_together_are_the_text(text in "[0-9a-zA-Z ,.()'\"-]{0,60}") {
            let joined: String = parts(&text)
                .iter()
                .map(|part| match part {
                    Plain(t) | SayAs(_, t) => *t,
                })
                .collect();
            proptest::prop_assert_eq!(joined, text);
        }
    }
}
