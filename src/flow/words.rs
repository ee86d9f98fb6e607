//! Words in call-flow files: what a caller hears (its longest run of speech, the text cut
//! into pieces around placeholders), phrases as the engine compares them, and hours as ops
//! write them.

use super::Piece;
use chrono::NaiveTime;

use crate::calendar::Opening;

/// The most characters `pieces` can say, with each placeholder at its longest.
pub(super) fn longest_spoken(pieces: &[Piece]) -> usize {
    // "Wednesday 30 September at 12:30pm"; the longest holiday name GOV.UK has used is shorter
    // than this allowance.
    const NEXT_OPENING: usize = 40;
    const HOLIDAY: usize = 100;
    pieces
        .iter()
        .map(|piece| match piece {
            Piece::Text(text) => text.chars().count(),
            Piece::NextOpening => NEXT_OPENING,
            Piece::Holiday => HOLIDAY,
            Piece::ClosureReason | Piece::SpecialHoursReason => {
                crate::calendar::days::REASON_MAX_CHARS
            }
        })
        .sum()
}

pub(super) fn push_text(pieces: &mut Vec<Piece>, text: &str) {
    if !text.is_empty() {
        match pieces.last_mut() {
            Some(Piece::Text(previous)) => previous.push_str(text),
            _ => pieces.push(Piece::Text(text.to_owned())),
        }
    }
}

/// Lower case, letters and digits only, single spaces: how speech is compared.
pub fn normalise_speech(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                ' '
            }
        })
        .collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// "closed", or ranges like "09:00-17:00" or "09:00-12:30, 13:30-17:00", in order, not overlapping.
pub fn parse_openings(text: &str) -> Result<Vec<Opening>, String> {
    if text.trim() == "closed" {
        return Ok(Vec::new());
    }
    let mut openings: Vec<Opening> = Vec::new();
    for range in text.split(',') {
        let bad = || {
            format!(
                "{:?} is not a time range like 09:00-17:00 (or \"closed\")",
                range.trim()
            )
        };
        let (opens, closes) = range.trim().split_once('-').ok_or_else(bad)?;
        let time = |t: &str| NaiveTime::parse_from_str(t.trim(), "%H:%M").map_err(|_| bad());
        let opening = Opening {
            opens: time(opens)?,
            closes: time(closes)?,
        };
        if opening.opens >= opening.closes {
            return Err(format!(
                "{:?} closes before it opens (a range cannot pass midnight)",
                range.trim()
            ));
        }
        if let Some(previous) = openings.last()
            && opening.opens < previous.closes
        {
            return Err(format!(
                "{:?} overlaps or comes before the range before it",
                range.trim()
            ));
        }
        openings.push(opening);
    }
    Ok(openings)
}

/// Hours as the flow files write them ("09:00-13:00", "closed"), said as people say them
/// ("9am to 1pm", "closed"); as given if they do not read as hours.
pub fn hours_said(kept: &str) -> String {
    match parse_openings(kept) {
        Ok(openings) if openings.is_empty() => "closed".to_owned(),
        Ok(openings) => crate::calendar::speech::hours_in_words(&openings),
        Err(_) => kept.to_owned(),
    }
}

/// A day's hours in words, and the reason callers hear, if any: "9am to 1pm (callers hear:
/// the office closes early for Christmas Eve)".
pub fn with_reason(hours: String, reason: Option<&str>) -> String {
    match reason {
        Some(reason) => format!("{hours} (callers hear: {reason})"),
        None => hours,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openings_parse_and_refuse_nonsense() {
        assert_eq!(parse_openings("closed"), Ok(vec![]));
        assert_eq!(parse_openings("09:00-12:30, 13:30-17:00").unwrap().len(), 2);
        assert!(
            parse_openings("17:00-09:00")
                .unwrap_err()
                .contains("closes before it opens")
        );
        assert!(
            parse_openings("09:00-13:00, 12:00-17:00")
                .unwrap_err()
                .contains("overlaps")
        );
        assert!(
            parse_openings("9am-5pm")
                .unwrap_err()
                .contains("not a time range")
        );
    }

    #[test]
    fn a_reason_follows_the_hours_it_explains() {
        assert_eq!(with_reason("9am to 1pm".into(), None), "9am to 1pm");
        assert_eq!(
            with_reason("9am to 1pm".into(), Some("closing early")),
            "9am to 1pm (callers hear: closing early)"
        );
    }

    #[test]
    fn speech_is_compared_without_case_or_punctuation() {
        assert_eq!(
            normalise_speech("  Peer-Support, please. "),
            "peer support please"
        );
    }
}
