//! A call from outside (`switchboard probe`): for each line, a signed call played to the
//! servers' public URL as Twilio makes one, following the menus (by the flows) to the step
//! that puts the caller through. It passes only if every line answers valid TwiML that reaches
//! a person within the deadline; otherwise it names the line, the step and what went wrong.
//!
//! A probe's CallSid starts with [`PROBE_CALL_SID`] (never a real one: Twilio's are "CA" and
//! hex digits), under the signature, which only a holder of the token can make: the servers
//! answer it as any call, but never count it as one (no call record, no call metric, no
//! recording).

use std::collections::{HashSet, VecDeque};
use std::time::{Duration, Instant};

use crate::flow::{Flows, StepKind, StepRef};
use crate::signature;
use crate::twiml::tree;

/// How a probe's CallSid starts: "p" is no hex digit, so no call Twilio makes has it.
pub const PROBE_CALL_SID: &str = "CAprobe";

/// Whether a webhook with this CallSid is a probe's.
pub fn is_probe(call_sid: &str) -> bool {
    call_sid.starts_with(PROBE_CALL_SID)
}

/// Webhooks in one probe call, at most: a caller reaches a person in two or three.
const MOST_WEBHOOKS: usize = 8;

/// The number a probe calls from, in the range Ofcom keeps for drama: no one's.
const PROBE_FROM: &str = "+447700900000";

/// Who plays the probe calls.
pub struct Prober<'a> {
    /// The servers' public URL, as `serve --public-url` has it (webhooks are signed over it).
    pub public_url: &'a str,
    pub key: signature::Key,
    /// The flows the servers serve, to choose at each menu the way to a person.
    pub flows: &'a Flows,
    /// How long a line may take to reach a person.
    pub within: Duration,
}

/// A line that reached a person.
#[derive(Debug)]
pub struct Reached {
    pub line: String,
    /// The step that put the caller through, and the number it dials.
    pub step: String,
    pub number: String,
    pub webhooks: usize,
    pub took: Duration,
}

/// A line that did not, where, and why.
#[derive(Debug)]
pub struct Failed {
    pub line: String,
    /// The step the call was at (`line/step`), or `start` before its first answer.
    pub step: String,
    pub what: String,
}

impl Prober<'_> {
    /// A call to the line `line`'s first number.
    pub fn call(&self, line: usize) -> Result<Reached, Failed> {
        let flow = self.flows.line(line);
        let id = flow.id.to_string();
        let fail = |step: &str, what: String| Failed {
            line: id.clone(),
            step: step.to_owned(),
            what,
        };
        let Some(to) = flow.numbers.first().map(|n| n.to_string()) else {
            return Err(fail("start", "the line has no number to call".into()));
        };
        let client = crate::outbound::blocking_client()
            .no_proxy()
            .build()
            .map_err(|e| fail("start", format!("no HTTP client: {e}")))?;
        let call_sid = format!("{PROBE_CALL_SID}{}", signature::random_hex(14));
        let started = Instant::now();
        let (mut url, mut step) = (format!("{}/voice", self.public_url), "start".to_owned());
        let mut answer: Vec<(&str, String)> = Vec::new();
        for webhook in 1..=MOST_WEBHOOKS {
            let left = self.within.saturating_sub(started.elapsed());
            if left.is_zero() {
                let within = humantime::format_duration(self.within);
                return Err(fail(&step, format!("no person reached within {within}")));
            }
            let mut params: Vec<(&str, String)> = vec![
                ("CallSid", call_sid.clone()),
                ("From", PROBE_FROM.to_owned()),
                ("To", to.clone()),
                ("CallStatus", "in-progress".to_owned()),
                ("Direction", "inbound".to_owned()),
            ];
            params.append(&mut answer);
            let body = self
                .post(&client, &url, &params, left)
                .map_err(|w| fail(&step, w))?;
            let doc = tree::parse(&body).map_err(|e| fail(&step, format!("invalid TwiML: {e}")))?;
            if doc.name != "Response" {
                return Err(fail(
                    &step,
                    format!("invalid TwiML: <{}>, not <Response>", doc.name),
                ));
            }
            let all = doc.descendants();
            if let Some(dial) = all.iter().find(|e| e.name == "Dial") {
                let number = dial.text().trim().to_owned();
                if number.is_empty() {
                    return Err(fail(&step, "a <Dial> with no number".into()));
                }
                let dialled_at = dial.attribute("action").and_then(step_of);
                return Ok(Reached {
                    line: id,
                    step: dialled_at.unwrap_or(step),
                    number,
                    webhooks: webhook,
                    took: started.elapsed(),
                });
            }
            if let Some(gather) = all.iter().find(|e| e.name == "Gather") {
                let action = gather.attribute("action").unwrap_or_default();
                step = step_of(action).unwrap_or_else(|| action.to_owned());
                let key = self
                    .key_to_a_person(&step)
                    .ok_or_else(|| fail(&step, "no choice here leads to a person".into()))?;
                url = self.absolute(action);
                answer = vec![("Digits", key.to_string())];
                continue;
            }
            if let Some(redirect) = all.iter().find(|e| e.name == "Redirect") {
                let to = redirect.text().trim().to_owned();
                step = step_of(&to).unwrap_or_else(|| to.clone());
                url = self.absolute(&to);
                continue;
            }
            let what = if all.iter().any(|e| e.name == "Hangup") {
                "hung up before a person answered"
            } else {
                "the answer neither puts the caller through nor asks anything"
            };
            return Err(fail(&step, what.into()));
        }
        Err(fail(
            &step,
            format!("no person reached in {MOST_WEBHOOKS} webhooks"),
        ))
    }

    /// POSTs a webhook, signed as Twilio signs it: the answer's body, or what went wrong.
    fn post(
        &self,
        client: &reqwest::blocking::Client,
        url: &str,
        params: &[(&str, String)],
        within: Duration,
    ) -> Result<String, String> {
        let signature = self.key.sign(url, params);
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        let response = client
            .post(url)
            .timeout(within)
            .header(signature::HEADER, signature)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .map_err(|e| crate::outbound::why_unanswered(&e, within))?;
        let status = response.status();
        match status.as_u16() {
            200 => response
                .text()
                .map_err(|e| crate::outbound::why_unanswered(&e, within)),
            403 => Err(format!(
                "HTTP 403 from {url}: the server refused the signature (is TWILIO_AUTH_TOKEN the servers' token, and --public-url the URL they serve?)"
            )),
            _ => Err(format!("HTTP {status} from {url}")),
        }
    }

    /// A URL an answer gives (`/voice/...`, or in full), in full.
    fn absolute(&self, url: &str) -> String {
        if url.starts_with("http://") || url.starts_with("https://") {
            return url.to_owned();
        }
        // The answers' paths carry the public URL's own path already: join them to its origin.
        format!("{}{url}", crate::outbound::origin(self.public_url))
    }

    /// At menu `step` (`line/step`), the key whose way reaches a dial soonest (never a call
    /// back: a probe leaves no request).
    fn key_to_a_person(&self, step: &str) -> Option<char> {
        let (line, id) = step.split_once('/')?;
        let at = self.flows.find_step(line, id)?;
        let StepKind::Menu(menu) = &self.flows.step(at).kind else {
            return None;
        };
        menu.options
            .iter()
            .filter_map(|o| Some((menus_to_a_person(self.flows, o.next)?, o.key)))
            .min_by_key(|(menus, _)| *menus)
            .map(|(_, key)| key)
    }
}

/// Menus a caller passes from `from` to the nearest dial, every branch of the hours followed.
fn menus_to_a_person(flows: &Flows, from: StepRef) -> Option<usize> {
    let mut queue = VecDeque::from([(from, 0)]);
    let mut seen = HashSet::new();
    while let Some((at, menus)) = queue.pop_front() {
        if !seen.insert(at) {
            continue;
        }
        match &flows.step(at).kind {
            StepKind::Dial(_) => return Some(menus),
            // A probe presses keys; it never waits out a menu or leaves a call-back request.
            StepKind::Menu(menu) => {
                queue.extend(menu.options.iter().map(|o| (o.next, menus + 1)));
            }
            StepKind::CallBack { .. } => {}
            other => queue.extend(other.exits().into_iter().map(|e| (e.to, menus))),
        }
    }
    None
}

/// `line/step` from an action URL (`/voice/line/step?attempt=1`).
fn step_of(url: &str) -> Option<String> {
    let path = url.split('?').next()?;
    let after = &path[path.find("/voice/")? + "/voice/".len()..];
    Some(after.to_owned())
}
