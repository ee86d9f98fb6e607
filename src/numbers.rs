//! The lines' phone numbers as Twilio holds them (its REST API's IncomingPhoneNumbers), checked
//! against what the servers need, and set: the voice URL, the status callback, and a fallback
//! that does not share the servers' fate (`switchboard fallback`).

use serde::Deserialize;

use crate::flow::Flows;
use crate::twiml::{Verb, tree};

/// Twilio's REST API.
pub const TWILIO_API: &str = "https://api.twilio.com";

/// Connection overrides `configure` puts on the voice URL: a server that does not answer
/// fails over to the fallback in about 5 seconds (connect within 1.5 s, an answer within 3 s,
/// one retry, 5 s in all) instead of Twilio's 15. The first webhook is answered in
/// microseconds. See [`crate::signature::CONNECTION_OVERRIDES`].
pub use crate::signature::CONNECTION_OVERRIDES;

/// Who the API is asked as: the account, and its auth token or an API key and secret.
pub struct Account {
    pub api_url: String,
    pub sid: String,
    /// The user and password of HTTP basic auth: the account SID and auth token, or an API
    /// key's SID and secret.
    pub user: String,
    pub password: String,
    /// For the API and the fallback documents alike.
    client: reqwest::blocking::Client,
}

/// A number as the API gives it: the fields that route its calls.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct Number {
    pub sid: String,
    pub phone_number: String,
    #[serde(default)]
    pub voice_url: Option<String>,
    #[serde(default)]
    pub voice_method: Option<String>,
    #[serde(default)]
    pub voice_fallback_url: Option<String>,
    #[serde(default)]
    pub voice_fallback_method: Option<String>,
    #[serde(default)]
    pub status_callback: Option<String>,
    #[serde(default)]
    pub status_callback_method: Option<String>,
    /// A TwiML app that takes the calls instead of the voice URL.
    #[serde(default)]
    pub voice_application_sid: Option<String>,
    /// A SIP trunk that takes the calls instead.
    #[serde(default)]
    pub trunk_sid: Option<String>,
}

#[derive(Deserialize)]
struct Page {
    incoming_phone_numbers: Vec<Number>,
}

/// What the servers need of a line's number.
pub struct Wanted<'a> {
    /// The servers' public URL (`serve --public-url`).
    pub public_url: &'a str,
    pub flows: &'a Flows,
}

/// One line's number, checked: its problems in words (none: it is set as the servers need).
#[derive(Debug, serde::Serialize)]
pub struct Checked {
    pub line: String,
    pub number: String,
    pub problems: Vec<String>,
}

fn empty(value: &Option<String>) -> bool {
    value.as_deref().is_none_or(str::is_empty)
}

/// The URL without its connection overrides (`#…`), which Twilio never sends.
fn without_fragment(url: &str) -> &str {
    url.split('#').next().unwrap_or(url)
}

/// Whether two URLs are on the same host (and scheme and port).
fn same_origin(a: &str, b: &str) -> bool {
    crate::outbound::origin(a).eq_ignore_ascii_case(crate::outbound::origin(b))
}

impl Account {
    pub fn new(api_url: &str, sid: String, user: String, password: String) -> Account {
        let client = crate::outbound::blocking_client()
            .timeout(std::time::Duration::from_secs(15))
            .build()
            .expect("an HTTP client");
        Account {
            api_url: api_url.to_owned(),
            sid,
            user,
            password,
            client,
        }
    }

    fn numbers_url(&self) -> String {
        format!(
            "{}/2010-04-01/Accounts/{}/IncomingPhoneNumbers",
            self.api_url.trim_end_matches('/'),
            self.sid
        )
    }

    /// The account's number `e164`, if it has it.
    pub fn number(&self, e164: &str) -> Result<Option<Number>, String> {
        let query = form(&[("PhoneNumber", e164)]);
        let url = format!("{}.json?{query}", self.numbers_url());
        let response = self
            .client
            .get(&url)
            .basic_auth(&self.user, Some(&self.password))
            .send()
            .map_err(|e| format!("Twilio's API did not answer: {e}"))?;
        let page: Page = answered(response)?;
        Ok(page
            .incoming_phone_numbers
            .into_iter()
            .find(|n| n.phone_number == e164))
    }

    /// Sets `fields` (the API's names: `VoiceUrl`, …) on the number `sid`: the number as it is
    /// now.
    pub fn update(&self, sid: &str, fields: &[(&str, String)]) -> Result<Number, String> {
        let url = format!("{}/{sid}.json", self.numbers_url());
        let response = self
            .client
            .post(&url)
            .basic_auth(&self.user, Some(&self.password))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(fields))
            .send()
            .map_err(|e| format!("Twilio's API did not answer: {e}"))?;
        answered(response)
    }
}

/// Fields as a form body or query string.
fn form<V: AsRef<str>>(fields: &[(&str, V)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields.iter().map(|(k, v)| (*k, v.as_ref())))
        .finish()
}

/// An API answer read, or its error in words.
fn answered<T: for<'de> Deserialize<'de>>(
    response: reqwest::blocking::Response,
) -> Result<T, String> {
    let status = response.status();
    let text = response
        .text()
        .map_err(|e| format!("Twilio's API answer could not be read: {e}"))?;
    if status.as_u16() == 401 {
        return Err("Twilio's API refused the account's credentials (HTTP 401): check TWILIO_ACCOUNT_SID and the token or API key".into());
    }
    if !status.is_success() {
        let said = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_owned))
            .unwrap_or(text);
        return Err(format!("Twilio's API answered HTTP {status}: {said}"));
    }
    serde_json::from_str(&text)
        .map_err(|e| format!("Twilio's API answer is not what was expected: {e}"))
}

impl Wanted<'_> {
    pub fn voice_url(&self) -> String {
        format!("{}/voice", self.public_url)
    }

    pub fn status_url(&self) -> String {
        format!("{}/status", self.public_url)
    }

    /// The number the line's fallback document should dial now: what `switchboard fallback`
    /// makes from the flows.
    fn fallback_dials(&self, line: usize) -> Option<String> {
        let document = crate::engine::static_fallback(self.flows, line);
        document.verbs.iter().find_map(|verb| match verb {
            Verb::Dial(dial) => Some(dial.number.to_string()),
            _ => None,
        })
    }

    /// What is wrong with `number` (line `line`'s) for the servers: each problem in words.
    pub fn problems(&self, account: &Account, line: usize, number: &Number) -> Vec<String> {
        let mut problems = Vec::new();
        let voice_url = number.voice_url.as_deref().map(without_fragment);
        if !empty(&number.voice_application_sid) {
            problems.push(format!(
                "a TwiML app ({}) takes its calls, not the voice URL: remove the app from the number",
                number.voice_application_sid.as_deref().unwrap_or_default()
            ));
        }
        if !empty(&number.trunk_sid) {
            problems.push(format!(
                "a SIP trunk ({}) takes its calls, not the voice URL: take the number off the trunk",
                number.trunk_sid.as_deref().unwrap_or_default()
            ));
        }
        if voice_url != Some(self.voice_url().as_str()) {
            problems.push(format!(
                "its voice URL is {}, not {}",
                shown(&number.voice_url),
                self.voice_url()
            ));
        }
        if !number
            .voice_method
            .as_deref()
            .is_some_and(|m| m.eq_ignore_ascii_case("POST"))
        {
            problems.push(format!(
                "its voice URL is called by {}, not POST",
                shown(&number.voice_method)
            ));
        }
        if number.status_callback.as_deref() != Some(self.status_url().as_str()) {
            problems.push(format!(
                "its status callback is {}, not {}: without it, reports do not know how calls ended",
                shown(&number.status_callback),
                self.status_url()
            ));
        }
        match number.voice_fallback_url.as_deref().filter(|u| !u.is_empty()) {
            None => problems.push(
                "it has no fallback URL: when no server answers, callers hear an application error and are hung up".into(),
            ),
            Some(fallback) if same_origin(fallback, self.public_url) => problems.push(format!(
                "its fallback URL {fallback} is on the servers' own host: when they cannot answer, neither can it; host `switchboard fallback`'s document elsewhere (a TwiML Bin)"
            )),
            Some(fallback) => {
                let method = number.voice_fallback_method.as_deref().unwrap_or("POST");
                if let Err(problem) = self.fallback_document_dials(account, line, fallback, method) {
                    problems.push(problem);
                }
            }
        }
        problems
    }

    /// Whether the document at `url` (fetched by `method`, as Twilio would) dials the number
    /// the line's fallback should dial now.
    fn fallback_document_dials(
        &self,
        account: &Account,
        line: usize,
        url: &str,
        method: &str,
    ) -> Result<(), String> {
        let client = &account.client;
        let request = if method.eq_ignore_ascii_case("GET") {
            client.get(url)
        } else {
            client
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form(&[("CallStatus", "ringing")]))
        };
        let response = request
            .send()
            .map_err(|e| format!("its fallback document {url} could not be fetched: {e}"))?;
        if !response.status().is_success() {
            return Err(format!(
                "its fallback document {url} answered HTTP {} to {method}",
                response.status()
            ));
        }
        let text = response.text().unwrap_or_default();
        let doc = tree::parse(&text)
            .map_err(|e| format!("its fallback document {url} is not TwiML: {e}"))?;
        let dials: Vec<String> = doc
            .descendants()
            .iter()
            .filter(|e| e.name == "Dial")
            .map(|e| e.text().trim().to_owned())
            .collect();
        let wanted = self.fallback_dials(line).unwrap_or_default();
        match dials.as_slice() {
            [] => Err(format!("its fallback document {url} dials nobody")),
            found if found.contains(&wanted) => Ok(()),
            found => Err(format!(
                "its fallback document {url} dials {}, but the flows dial {wanted} now: make it again with `switchboard fallback`",
                found.join(", ")
            )),
        }
    }
}

fn shown(value: &Option<String>) -> String {
    match value.as_deref() {
        None | Some("") => "not set".to_owned(),
        Some(value) => value.to_owned(),
    }
}

/// Every line's numbers, checked: one entry a number.
pub fn check(account: &Account, wanted: &Wanted<'_>) -> Result<Vec<Checked>, String> {
    let mut checked = Vec::new();
    for (index, line) in wanted.flows.lines.iter().enumerate() {
        for number in &line.numbers {
            let problems = match account.number(number.as_str())? {
                None => vec!["the account has no such number".to_owned()],
                Some(found) => wanted.problems(account, index, &found),
            };
            checked.push(Checked {
                line: line.id.to_string(),
                number: number.to_string(),
                problems,
            });
        }
    }
    Ok(checked)
}

/// The fallback `configure` sets.
pub struct Fallback<'a> {
    pub url: &'a str,
    /// GET (a static file) or POST (a TwiML Bin takes either).
    pub method: &'a str,
}

/// One field `configure` changed on a number: its name, before and after.
#[derive(Debug)]
pub struct Changed {
    pub number: String,
    pub field: &'static str,
    pub before: String,
    pub after: String,
}

/// Sets every line's numbers as the servers need: the voice URL (with the connection
/// overrides that fail over fast), POST, the status callback, the fallback, and no app taking
/// the calls instead. What it changed.
pub fn configure(
    account: &Account,
    wanted: &Wanted<'_>,
    fallback: &Fallback<'_>,
) -> Result<Vec<Changed>, String> {
    if same_origin(fallback.url, wanted.public_url) {
        return Err(format!(
            "the fallback URL {} is on the servers' own host: when they cannot answer, neither can it; host `switchboard fallback`'s document elsewhere (a TwiML Bin)",
            fallback.url
        ));
    }
    let voice_url = format!("{}#{CONNECTION_OVERRIDES}", wanted.voice_url());
    let mut changed = Vec::new();
    for line in &wanted.flows.lines {
        for e164 in &line.numbers {
            let Some(number) = account.number(e164.as_str())? else {
                return Err(format!(
                    "the account has no number {e164} (line {})",
                    line.id
                ));
            };
            let fields: [(&'static str, &'static str, Option<String>, String); 7] = [
                (
                    "VoiceUrl",
                    "voice URL",
                    number.voice_url.clone(),
                    voice_url.clone(),
                ),
                (
                    "VoiceMethod",
                    "voice method",
                    number.voice_method.clone(),
                    "POST".into(),
                ),
                (
                    "StatusCallback",
                    "status callback",
                    number.status_callback.clone(),
                    wanted.status_url(),
                ),
                (
                    "StatusCallbackMethod",
                    "status callback method",
                    number.status_callback_method.clone(),
                    "POST".into(),
                ),
                (
                    "VoiceFallbackUrl",
                    "fallback URL",
                    number.voice_fallback_url.clone(),
                    fallback.url.to_owned(),
                ),
                (
                    "VoiceFallbackMethod",
                    "fallback method",
                    number.voice_fallback_method.clone(),
                    fallback.method.to_owned(),
                ),
                (
                    "VoiceApplicationSid",
                    "TwiML app",
                    number.voice_application_sid.clone(),
                    String::new(),
                ),
            ];
            let mut update = Vec::new();
            for (api_name, field, before, after) in fields {
                if before.as_deref().unwrap_or_default() != after {
                    update.push((api_name, after.clone()));
                    changed.push(Changed {
                        number: e164.to_string(),
                        field,
                        before: shown(&before),
                        after: if after.is_empty() {
                            "none".into()
                        } else {
                            after
                        },
                    });
                }
            }
            if !update.is_empty() {
                account.update(&number.sid, &update)?;
            }
        }
    }
    Ok(changed)
}
