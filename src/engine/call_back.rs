//! The `callback` step: the caller's own number offered, or one keyed or said, read back and
//! confirmed, and the request kept before the caller is told it was.

use super::*;

impl Walk<'_, '_> {
    /// The UK number the caller is calling from, if any (not withheld, not from abroad).
    pub(super) fn own_number(&self) -> Option<E164> {
        self.from.and_then(uk_number)
    }

    /// A `callback` step begins (or begins again, at `here`): the caller's own number
    /// offered, or one asked for.
    pub(super) fn call_back_start(&mut self, at: StepRef, here: NextStep) -> Response {
        // `From` arrives with every webhook, so the number is looked at afresh each time.
        match self.own_number() {
            Some(own) => {
                let last_three = spoken_digits(&own.as_str()[own.as_str().len() - 3..]);
                self.say_text(
                    at,
                    &format!(
                        "We can call you back on the number you are calling from, the one ending {last_three}. \
                         We keep it only to call you back. \
                         To use that number, press 1 or say yes. To give us another number, press 2 or say no."
                    ),
                );
                self.ask(at, here, Listen::YesOrNo)
            }
            None => self.ask_for_number(at, here.at_stage(Stage::Keying)),
        }
    }

    fn ask_for_number(&mut self, at: StepRef, here: NextStep) -> Response {
        self.say_text(
            at,
            "Please key in the UK phone number we should call you back on, starting with 0, \
             then press the hash key, or say it one digit at a time. We keep it only to call you back.",
        );
        self.ask(at, here, Listen::Number)
    }

    /// Asks the caller, by key or by voice, coming back to `here`.
    fn ask(&mut self, at: StepRef, here: NextStep, listen: Listen) -> Response {
        let line = self.ctx.flows.line(at.line);
        let (input, num_digits, hints) = match listen {
            Listen::YesOrNo => (Input::KeysOrSpeech, Some(1), "yes, no"),
            // Keyed, the number ends with # (Twilio's finishOnKey) or a pause; said, with a
            // longer pause. The hint is the recogniser's class for a sequence of digits.
            Listen::Number => (Input::KeysOrDigitsSaid, None, "$OOV_CLASS_DIGIT_SEQUENCE"),
        };
        let gather = Gather {
            action: here.clone(),
            input,
            num_digits,
            timeout_seconds: CALL_BACK_TIMEOUT_SECONDS,
            language: line.language.clone(),
            hints: twiml::Text::new(hints).ok(),
            prompts: self.says.drain(..).map(Prompt::Say).collect(),
        };
        Response::new(vec![Verb::Gather(gather), Verb::Redirect(here)])
    }

    /// A webhook back at a `callback` step: the caller's answer at the stage it was at.
    pub(super) fn call_back_answered(
        &mut self,
        at: StepRef,
        (next, not_taken): (StepRef, StepRef),
        callback: &NextStep,
        input: &CallInput,
    ) -> Result<(Response, Outcome), EngineError> {
        let attempt = callback.attempt;
        let base = self.callback(at, attempt);
        let here = |stage: Option<Stage>, attempt: u32| NextStep {
            attempt,
            stage,
            ..base.clone()
        };
        let give_up = |this: &mut Self, outcome: Outcome| {
            this.say_text(at, "We have not taken a request for a call back.");
            Ok((this.enter(not_taken, 1)?, outcome))
        };
        self.path.push(at);
        match &callback.stage {
            None | Some(Stage::Confirming(_)) => {
                let yes_or_no = yes_or_no(input);
                let number = match &callback.stage {
                    Some(Stage::Confirming(digits)) => uk_number(digits),
                    _ => self.own_number(),
                };
                match (yes_or_no, number) {
                    (Some(true), Some(number)) => {
                        self.keep(at, number, (next, not_taken), input.call_back)
                    }
                    // A number that went (the caller's own, now withheld): ask for one.
                    (Some(true), None) | (Some(false), _) if attempt < CALL_BACK_TRIES => {
                        let keying = here(Some(Stage::Keying), attempt + 1);
                        let outcome =
                            Outcome::Chose(if yes_or_no == Some(true) { '1' } else { '2' });
                        Ok((self.ask_for_number(at, keying), outcome))
                    }
                    (Some(_), _) => give_up(self, Outcome::Chose('2')),
                    (None, _) => {
                        let outcome = if input.digits.is_some() || input.speech.is_some() {
                            Outcome::Invalid
                        } else {
                            Outcome::NoInput
                        };
                        if attempt >= CALL_BACK_TRIES {
                            return give_up(self, outcome);
                        }
                        self.say_text(at, "Sorry, I didn't catch that.");
                        let again = here(callback.stage.clone(), attempt + 1);
                        Ok(match &callback.stage {
                            Some(Stage::Confirming(digits)) => {
                                (self.read_back(at, "We have", digits, again), outcome)
                            }
                            _ => (self.call_back_start(at, again), outcome),
                        })
                    }
                }
            }
            Some(Stage::Keying) => {
                // Keys if there are any, else the digits said.
                let keys: String = input
                    .digits
                    .as_deref()
                    .unwrap_or("")
                    .chars()
                    .filter(char::is_ascii_digit)
                    .collect();
                let said = keys.is_empty();
                let keyed = match said {
                    true => digits_said(input.speech.as_deref().unwrap_or("")),
                    false => keys,
                };
                match uk_number(&keyed) {
                    Some(number) => {
                        // As dialled in the UK, so it is read back as a phone number.
                        let national = format!("0{}", &number.as_str()["+44".len()..]);
                        let confirming = here(Some(Stage::Confirming(national.clone())), 1);
                        let heard = if said { "You said" } else { "You keyed" };
                        let read_back = self.read_back(at, heard, &national, confirming);
                        Ok((read_back, Outcome::Keyed))
                    }
                    None => {
                        let outcome = if keyed.is_empty() {
                            Outcome::NoInput
                        } else {
                            Outcome::Invalid
                        };
                        if attempt >= CALL_BACK_TRIES {
                            return give_up(self, outcome);
                        }
                        let sorry = if keyed.is_empty() {
                            "Sorry, we didn't hear a number."
                        } else {
                            "Sorry, that is not a UK phone number we can call."
                        };
                        self.say_text(at, sorry);
                        Ok((
                            self.ask_for_number(at, here(Some(Stage::Keying), attempt + 1)),
                            outcome,
                        ))
                    }
                }
            }
        }
    }

    /// Reads back a number keyed or said (written nationally, which the TwiML marks to be said
    /// as a phone number, digit by digit), after `heard` ("You keyed", "You said"), and asks
    /// whether it is right.
    fn read_back(&mut self, at: StepRef, heard: &str, national: &str, here: NextStep) -> Response {
        self.say_text(
            at,
            &format!(
                "{heard} {national}. If that is right, press 1 or say yes. To give it again, press 2 or say no."
            ),
        );
        self.ask(at, here, Listen::YesOrNo)
    }

    /// The request is to be kept: what the caller hears depends on whether it was. Until the
    /// server has tried, this answer is the not-kept one, with the request for it to keep.
    fn keep(
        &mut self,
        at: StepRef,
        number: E164,
        (next, not_taken): (StepRef, StepRef),
        result: Option<CallBackResult>,
    ) -> Result<(Response, Outcome), EngineError> {
        let result = match result {
            Some(result) => result,
            None => {
                self.wants = Some(CallBackRequest {
                    number,
                    line: self.ctx.flows.line(at.line).id.to_string(),
                });
                CallBackResult::NotTaken
            }
        };
        let outcome = Outcome::CallBack(result);
        if result == CallBackResult::NotTaken {
            self.say_text(
                at,
                "Sorry, we could not take your request for a call back just now.",
            );
            return Ok((self.enter(not_taken, 1)?, outcome));
        }
        let when = self.call_back_due(at);
        let taken = match result {
            CallBackResult::AlreadyAsked => {
                "We already have a request for a call back from this number, so there is nothing more to do."
            }
            _ => "Thank you: we have your request for a call back.",
        };
        self.say_text(at, &format!("{taken} {when}"));
        Ok((self.enter(next, 1)?, outcome))
    }

    /// When the team will call back: from the schedule's next opening, or, while the emergency
    /// switch has closed it, no time at all.
    fn call_back_due(&self, at: StepRef) -> String {
        let schedule = self.schedule(at).expect("callback steps have a schedule");
        if self.ctx.emergencies.is_closed(&schedule.name) {
            return "The line has had to close for now, so we cannot yet say when; the team will call you back once it reopens.".to_owned();
        }
        if let Status::Open { .. } =
            schedule.status(self.ctx.holidays, self.ctx.emergencies, self.ctx.now)
        {
            return "The team will call you back as soon as they can.".to_owned();
        }
        match schedule.next_opening(self.ctx.holidays, self.ctx.now) {
            Some(opens) => format!(
                "The team will call you back from {}.",
                speech::time_on_weekday_date(&opens)
            ),
            None => "The team will call you back when the line next opens.".to_owned(),
        }
    }
}

/// Tries at each question of a `callback` step before the caller goes on without a request.
const CALL_BACK_TRIES: u32 = 2;
/// Seconds to wait for a key at a `callback` step: long enough to find a number.
const CALL_BACK_TIMEOUT_SECONDS: u8 = 10;

/// What a question at a `callback` step listens for.
#[derive(Clone, Copy)]
enum Listen {
    /// 1 or "yes", 2 or "no".
    YesOrNo,
    /// A phone number, keyed or said.
    Number,
}

/// The digits of a number said ("oh seven nine double one, one two three..."), as the speech
/// recogniser writes it: digits as figures or as words ("oh", "nought" and "zero" for 0),
/// "double" and "triple" before a digit; any other word is passed over.
fn digits_said(speech: &str) -> String {
    let mut digits = String::new();
    let mut repeat = 1;
    for word in speech
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let word = word.to_ascii_lowercase();
        let figures: String = match word.as_str() {
            "double" => {
                repeat = 2;
                continue;
            }
            "triple" => {
                repeat = 3;
                continue;
            }
            "oh" | "o" | "zero" | "nought" => "0".into(),
            "one" => "1".into(),
            "two" => "2".into(),
            "three" => "3".into(),
            "four" => "4".into(),
            "five" => "5".into(),
            "six" => "6".into(),
            "seven" => "7".into(),
            "eight" => "8".into(),
            "nine" => "9".into(),
            other if other.bytes().all(|b| b.is_ascii_digit()) => other.into(),
            _ => {
                repeat = 1;
                continue;
            }
        };
        // "double 1" is 11; "double 12" is 112 (the first digit doubled).
        let mut chars = figures.chars();
        if let Some(first) = chars.next() {
            digits.extend(std::iter::repeat_n(first, repeat));
            digits.extend(chars);
        }
        repeat = 1;
    }
    digits
}

/// Yes (1, "yes"), no (2, "no"), or neither.
fn yes_or_no(input: &CallInput) -> Option<bool> {
    let digits = input.digits.as_deref().map(str::trim).unwrap_or("");
    match digits {
        "1" => return Some(true),
        "2" => return Some(false),
        "" => {}
        _ => return None,
    }
    let speech = normalise_speech(input.speech.as_deref().unwrap_or(""));
    let padded = format!(" {speech} ");
    let yes = [" yes ", " yeah ", " one "]
        .iter()
        .any(|w| padded.contains(w));
    let no = [" no ", " two "].iter().any(|w| padded.contains(w));
    match (yes, no) {
        (true, false) => Some(true),
        (false, true) => Some(false),
        _ => None,
    }
}

/// A UK number written nationally (`07700900123`) or given in E.164 (`+447700900123`), that
/// the numbering plan says can be called; `None` for anything else (international, premium
/// and the like are left to the plan: it refuses what does not exist).
pub fn uk_number(text: &str) -> Option<E164> {
    E164::from_written(text)
        .ok()
        .filter(|n| n.as_str().starts_with("+44"))
}

/// "0 7 7 0 0", the digits said one by one.
fn spoken_digits(digits: &str) -> String {
    let spoken: Vec<String> = digits.chars().map(String::from).collect();
    spoken.join(", ")
}

#[cfg(test)]
mod tests {
    use super::digits_said;

    #[test]
    fn numbers_said_are_read_as_their_digits() {
        assert_eq!(digits_said("07911 123457"), "07911123457");
        assert_eq!(
            digits_said("oh seven nine double one, one two three four five seven"),
            "07911123457"
        );
        assert_eq!(
            digits_said("My number is 0 7 9 1 1 triple 1 2 3 4"),
            "07911111234"
        );
        assert_eq!(
            digits_said("zero seven nine one one. 123457."),
            "07911123457"
        );
        assert_eq!(digits_said("I don't know"), "");
        assert_eq!(digits_said("double trouble"), "");
    }
}
