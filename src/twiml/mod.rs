//! TwiML voice documents: a typed model that can only express what Twilio accepts, and its writer.
//!
//! Nesting is fixed by the types (a `Gather` holds only prompts, a `Dial` only a number), every
//! action is a [`NextStep`] so failures always come back to us, and text that XML cannot hold is
//! refused when a [`Text`] is made, not when the document is written.

use std::fmt;
use std::sync::Arc;

pub mod spoken;
pub mod tree;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use crate::next_step::NextStep;
use crate::phone::E164;

/// The content type of every TwiML answer.
pub const CONTENT_TYPE: &str = "text/xml; charset=utf-8";

/// Twilio refuses documents over 64 kB.
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024;

/// Text that XML 1.0 can carry: no control characters except tab, newline and carriage return.
/// Where its numbers are to be said another way ([`spoken`]) is worked out once, when it is
/// made: most texts are the flows', made at load.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text(Arc<Spoken>);

/// Twilio's `DialCallStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DialStatus {
    Completed,
    Answered,
    Busy,
    NoAnswer,
    Failed,
    Canceled,
    /// Missing or a value Twilio did not document: treated as a failure.
    Unknown,
}

impl DialStatus {
    pub fn parse(value: Option<&str>) -> Self {
        match value.map(str::trim) {
            Some("completed") => DialStatus::Completed,
            Some("answered") => DialStatus::Answered,
            Some("busy") => DialStatus::Busy,
            Some("no-answer") => DialStatus::NoAnswer,
            Some("failed") => DialStatus::Failed,
            Some("canceled") => DialStatus::Canceled,
            _ => DialStatus::Unknown,
        }
    }

    /// Whether the caller was put through to someone. Anything else, `canceled` included (the
    /// outgoing leg was cancelled, the caller may still be there), is a failed connection.
    pub fn connected(self) -> bool {
        matches!(self, DialStatus::Completed | DialStatus::Answered)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DialStatus::Completed => "completed",
            DialStatus::Answered => "answered",
            DialStatus::Busy => "busy",
            DialStatus::NoAnswer => "no-answer",
            DialStatus::Failed => "failed",
            DialStatus::Canceled => "canceled",
            DialStatus::Unknown => "unknown",
        }
    }
}

/// The most characters Twilio says in one `<Say>`: a longer one fails the call.
pub const SAY_MAX_CHARS: usize = 4096;

#[derive(Debug, PartialEq, Eq)]
struct Spoken {
    text: Box<str>,
    /// The runs said another way.
    marks: Vec<spoken::Mark>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TwimlError {
    #[error("character U+{0:04X} cannot be written in XML")]
    BadCharacter(u32),
    #[error(
        "character U+{0:04X} is an invisible control or direction mark: it cannot be said, and may hide what the text says"
    )]
    Unsayable(u32),
    #[error(
        "{0:?} is not a voice Twilio knows (e.g. Polly.Amy-Neural, Google.en-GB-Neural2-A, alice)"
    )]
    UnknownVoice(String),
    #[error("{0:?} is not a language tag like en-GB")]
    BadLanguage(String),
}

impl Text {
    pub fn new(text: &str) -> Result<Self, TwimlError> {
        if let Some(c) = text.chars().find(|c| !is_xml_char(*c)) {
            return Err(TwimlError::BadCharacter(c as u32));
        }
        match text.chars().find(|c| is_unsayable(*c)) {
            Some(c) => Err(TwimlError::Unsayable(c as u32)),
            None => Ok(Text(Arc::new(Spoken {
                text: text.into(),
                marks: spoken::marks(text),
            }))),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0.text
    }

    /// The text cut into plain runs and runs said another way, in order.
    pub fn parts(&self) -> Vec<spoken::Part<'_>> {
        spoken::cut(self.as_str(), &self.0.marks)
    }
}

/// A character no text callers hear may hold: a control character other than white space, or
/// an invisible mark that changes how text is shown (a right-to-left override can make a
/// reason read one way in the console and say another).
pub fn is_unsayable(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        || matches!(c,
            '\u{061C}' // Arabic letter mark
            | '\u{180E}' // Mongolian vowel separator
            | '\u{200B}'..='\u{200F}' // zero-width spaces and joiners, LTR and RTL marks
            | '\u{202A}'..='\u{202E}' // bidi embeddings and overrides
            | '\u{2060}'..='\u{206F}' // word joiner, invisible operators, bidi isolates
            | '\u{FEFF}' // zero-width no-break space
            | '\u{FFF9}'..='\u{FFFB}' // interlinear annotations
        )
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// A text-to-speech voice in a form Twilio's schema accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Voice(Arc<str>);

impl Voice {
    pub fn parse(name: &str) -> Result<Self, TwimlError> {
        let letters = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphabetic());
        let known = match name.split_once('.') {
            Some(("Polly", rest)) => {
                let base = rest
                    .strip_suffix("-Neural")
                    .or_else(|| rest.strip_suffix("-Generative"));
                letters(base.unwrap_or(rest))
            }
            // Google.en-GB-Neural2-A: a language tag, a model, one capital letter.
            Some(("Google", rest)) => match rest.rsplitn(3, '-').collect::<Vec<_>>().as_slice() {
                [letter, model, tag] => {
                    is_language_tag(tag)
                        && !model.is_empty()
                        && model.bytes().all(|b| b.is_ascii_alphanumeric())
                        && letter.len() == 1
                        && letter.bytes().all(|b| b.is_ascii_uppercase())
                }
                _ => false,
            },
            Some(_) => false,
            None => matches!(
                name,
                "man" | "woman" | "male" | "female" | "alice" | "eve" | "brian"
            ),
        };
        if known {
            Ok(Voice(name.into()))
        } else {
            Err(TwimlError::UnknownVoice(name.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A BCP 47 language tag of the form Twilio uses, `en-GB`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Language(Arc<str>);

impl Language {
    pub fn parse(tag: &str) -> Result<Self, TwimlError> {
        let ok = is_language_tag(tag);
        if ok {
            Ok(Language(tag.into()))
        } else {
            Err(TwimlError::BadLanguage(tag.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `en-GB`: two or three lower-case letters, a dash, two capitals.
fn is_language_tag(tag: &str) -> bool {
    match tag.split_once('-') {
        Some((language, region)) => {
            (2..=3).contains(&language.len())
                && language.bytes().all(|b| b.is_ascii_lowercase())
                && region.len() == 2
                && region.bytes().all(|b| b.is_ascii_uppercase())
        }
        None => false,
    }
}

/// A whole TwiML answer: the verbs Twilio runs in order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Response {
    pub verbs: Vec<Verb>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Verb {
    Say(Say),
    Pause {
        seconds: u8,
    },
    Gather(Gather),
    Dial(Dial),
    /// Continue at this step; used after a `Gather` so that silence comes back to us too.
    Redirect(NextStep),
    Hangup,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Say {
    pub text: Text,
    pub voice: Voice,
    pub language: Language,
}

/// What a caller can answer a `Gather` with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    Keys,
    /// Keys, or words: speech ends at the first pause.
    KeysOrSpeech,
    /// Keys, or digits said: people pause between groups of digits, so speech ends only after
    /// a few seconds of silence.
    KeysOrDigitsSaid,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Gather {
    pub action: NextStep,
    pub input: Input,
    /// How many keys end the answer at once; `None` for a number keyed in, which `#` (Twilio's
    /// default `finishOnKey`) or a pause ends.
    pub num_digits: Option<u8>,
    pub timeout_seconds: u8,
    pub language: Language,
    /// Words the speech recogniser should expect, comma-separated.
    pub hints: Option<Text>,
    /// Said (or paused) while listening, so the caller can answer at any moment.
    pub prompts: Vec<Prompt>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Prompt {
    Say(Say),
    Pause { seconds: u8 },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Dial {
    /// Twilio reports the outcome here (`DialCallStatus`), so a failed connection comes back.
    /// `None` only in a document that needs no server (the static fallback): with no action,
    /// Twilio goes on to the verbs after the `<Dial>` once the dialled call ends.
    pub action: Option<NextStep>,
    pub number: E164,
    pub timeout_seconds: u8,
}

impl Response {
    /// Everything this answer says, in order, inside a Gather or not, joined.
    pub fn spoken(&self) -> String {
        let mut said: Vec<&str> = Vec::new();
        for verb in &self.verbs {
            match verb {
                Verb::Say(say) => said.push(say.text.as_str()),
                Verb::Gather(gather) => {
                    said.extend(gather.prompts.iter().filter_map(|p| match p {
                        Prompt::Say(say) => Some(say.text.as_str()),
                        Prompt::Pause { .. } => None,
                    }))
                }
                _ => {}
            }
        }
        said.join(" ")
    }

    pub fn new(verbs: Vec<Verb>) -> Self {
        Response { verbs }
    }

    /// The document, with action URLs under `prefix` (the public URL's path, often empty).
    pub fn to_xml(&self, prefix: &str) -> String {
        let mut writer = Writer::new(Vec::with_capacity(2048));
        // Writing into a Vec cannot fail, and every value was checked when it was made.
        write_response(&mut writer, self, prefix).expect("writing TwiML into memory");
        String::from_utf8(writer.into_inner()).expect("quick-xml writes UTF-8")
    }
}

type XmlResult = std::io::Result<()>;
type XmlWriter = Writer<Vec<u8>>;

/// An element's start tag, with room for its attributes made at once (quick-xml's own
/// `create_element` grows the tag attribute by attribute: a dozen reallocations an answer).
fn tag<'a>(
    name: &str,
    attributes: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> BytesStart<'static> {
    let mut buffer = String::with_capacity(256);
    buffer.push_str(name);
    let mut tag = BytesStart::from_content(buffer, name.len());
    tag.extend_attributes(attributes);
    tag
}

/// `<name attributes>`, what `inner` writes, `</name>`.
fn element<'a>(
    w: &mut XmlWriter,
    name: &str,
    attributes: impl IntoIterator<Item = (&'a str, &'a str)>,
    inner: impl FnOnce(&mut XmlWriter) -> XmlResult,
) -> XmlResult {
    w.write_event(Event::Start(tag(name, attributes)))?;
    inner(w)?;
    w.write_event(Event::End(BytesEnd::new(name)))
}

/// Text, escaped.
fn text(w: &mut XmlWriter, text: &str) -> XmlResult {
    w.write_event(Event::Text(BytesText::new(text)))
}

fn write_response(w: &mut XmlWriter, response: &Response, prefix: &str) -> XmlResult {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    element(w, "Response", [], |w| {
        for verb in &response.verbs {
            write_verb(w, verb, prefix)?;
        }
        Ok(())
    })
}

fn write_verb(w: &mut XmlWriter, verb: &Verb, prefix: &str) -> XmlResult {
    match verb {
        Verb::Say(say) => write_say(w, say),
        Verb::Pause { seconds } => write_pause(w, *seconds),
        Verb::Gather(gather) => write_gather(w, gather, prefix),
        Verb::Dial(dial) => {
            let action = dial.action.as_ref().map(|a| a.url(prefix));
            let timeout = dial.timeout_seconds.to_string();
            let number =
                |w: &mut XmlWriter| element(w, "Number", [], |w| text(w, dial.number.as_str()));
            match &action {
                Some(action) => {
                    let attributes = [
                        ("action", action.as_str()),
                        ("method", "POST"),
                        ("timeout", timeout.as_str()),
                    ];
                    element(w, "Dial", attributes, number)
                }
                None => element(w, "Dial", [("timeout", timeout.as_str())], number),
            }
        }
        Verb::Redirect(to) => {
            let url = to.url(prefix);
            element(w, "Redirect", [("method", "POST")], |w| text(w, &url))
        }
        Verb::Hangup => w.write_event(Event::Empty(tag("Hangup", []))),
    }
}

/// `<Say>` with its text, numbers and dates marked up to be said as a person says them.
fn write_say(w: &mut XmlWriter, say: &Say) -> XmlResult {
    let attributes = [
        ("voice", say.voice.as_str()),
        ("language", say.language.as_str()),
    ];
    element(w, "Say", attributes, |w| {
        for part in say.text.parts() {
            match part {
                spoken::Part::Plain(plain) => text(w, plain)?,
                spoken::Part::SayAs(how, marked) => {
                    element(w, "say-as", [("interpret-as", how)], |w| text(w, marked))?
                }
            }
        }
        Ok(())
    })
}

fn write_pause(w: &mut XmlWriter, seconds: u8) -> XmlResult {
    let length = seconds.to_string();
    w.write_event(Event::Empty(tag("Pause", [("length", length.as_str())])))
}

fn write_gather(w: &mut XmlWriter, gather: &Gather, prefix: &str) -> XmlResult {
    let action = gather.action.url(prefix);
    let num_digits = gather.num_digits.map(|n| n.to_string());
    let timeout = gather.timeout_seconds.to_string();
    let mut attributes = vec![("action", action.as_str()), ("method", "POST")];
    if let Some(num_digits) = &num_digits {
        attributes.push(("numDigits", num_digits.as_str()));
    }
    attributes.extend([
        ("timeout", timeout.as_str()),
        ("language", gather.language.as_str()),
    ]);
    match gather.input {
        Input::Keys => attributes.push(("input", "dtmf")),
        Input::KeysOrSpeech => {
            attributes.extend([("input", "dtmf speech"), ("speechTimeout", "auto")])
        }
        Input::KeysOrDigitsSaid => {
            attributes.extend([("input", "dtmf speech"), ("speechTimeout", "3")])
        }
    }
    if let Some(hints) = &gather.hints {
        attributes.push(("hints", hints.as_str()));
    }
    element(w, "Gather", attributes, |w| {
        for prompt in &gather.prompts {
            match prompt {
                Prompt::Say(say) => write_say(w, say)?,
                Prompt::Pause { seconds } => write_pause(w, *seconds)?,
            }
        }
        Ok(())
    })
}

impl fmt::Display for Response {
    /// The document with unprefixed URLs, for tests and the CLI.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_xml(""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn say(text: &str) -> Say {
        Say {
            text: Text::new(text).unwrap(),
            voice: Voice::parse("Polly.Amy-Neural").unwrap(),
            language: Language::parse("en-GB").unwrap(),
        }
    }

    #[test]
    fn text_refuses_invisible_direction_and_control_marks() {
        for bad in [
            "closed \u{202E}nepo",
            "a\u{200B}b",
            "x\u{2066}y",
            "next\u{85}line",
            "\u{FEFF}x",
        ] {
            assert!(
                matches!(Text::new(bad), Err(TwimlError::Unsayable(_))),
                "{bad:?}"
            );
        }
        assert!(Text::new("Line one.\nLine two,\tthen é, ü and ’ quotes.").is_ok());
    }

    #[test]
    fn text_refuses_characters_xml_cannot_hold() {
        assert_eq!(Text::new("bell \u{7}"), Err(TwimlError::BadCharacter(7)));
        assert_eq!(Text::new("\u{FFFE}"), Err(TwimlError::BadCharacter(0xFFFE)));
        assert!(Text::new("tab\tnew line\n and emoji 🙂 and A&E <ok>").is_ok());
    }

    #[test]
    fn voices_follow_twilio_naming() {
        for ok in [
            "Polly.Amy",
            "Polly.Amy-Neural",
            "Polly.Amy-Generative",
            "Google.en-GB-Neural2-A",
            "alice",
            "woman",
        ] {
            assert!(Voice::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "Polly.",
            "Polly.Amy-Fast",
            "Amy",
            "Google.en-GB-Neural2",
            "google.en-GB-Neural2-A",
            "Polly.Amy Neural",
        ] {
            assert!(Voice::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn languages_are_language_dash_region() {
        assert!(Language::parse("en-GB").is_ok());
        for bad in ["en", "EN-gb", "en_GB", "en-GBR", ""] {
            assert!(Language::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn escapes_text_and_writes_every_action_with_post() {
        let response = Response::new(vec![
            Verb::Gather(Gather {
                action: NextStep::new("wellbeing", "main-menu", 1),
                input: Input::KeysOrSpeech,
                num_digits: Some(1),
                timeout_seconds: 5,
                language: Language::parse("en-GB").unwrap(),
                hints: Some(Text::new("counselling, peer support").unwrap()),
                prompts: vec![
                    Prompt::Say(say("Go to A&E if <urgent>.")),
                    Prompt::Pause { seconds: 1 },
                ],
            }),
            Verb::Redirect(NextStep::new("wellbeing", "main-menu", 1)),
        ]);
        let xml = response.to_xml("/ivr");
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>\
             <Gather action=\"/ivr/voice/wellbeing/main-menu?attempt=1\" method=\"POST\" numDigits=\"1\" \
             timeout=\"5\" language=\"en-GB\" input=\"dtmf speech\" speechTimeout=\"auto\" \
             hints=\"counselling, peer support\">\
             <Say voice=\"Polly.Amy-Neural\" language=\"en-GB\">Go to A&amp;E if &lt;urgent&gt;.</Say>\
             <Pause length=\"1\"/></Gather>\
             <Redirect method=\"POST\">/ivr/voice/wellbeing/main-menu?attempt=1</Redirect></Response>"
        );
    }

    #[test]
    fn dial_carries_its_action_and_number() {
        let response = Response::new(vec![Verb::Dial(Dial {
            action: Some(NextStep::new("wellbeing", "counselling", 2)),
            number: E164::parse("+442079460101").unwrap(),
            timeout_seconds: 30,
        })]);
        assert!(response.to_string().contains(
            "<Dial action=\"/voice/wellbeing/counselling?attempt=2\" method=\"POST\" timeout=\"30\">\
             <Number>+442079460101</Number></Dial>"
        ));
    }

    #[test]
    fn empty_response_is_a_valid_document() {
        assert_eq!(
            Response::default().to_string(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>"
        );
    }
}
