//! A number a caller keyed in travels sealed in the next action URL, never in clear: proxies'
//! and ingresses' access logs keep URLs, and a URL must not hold a caller's number.
//!
//! Calls are stateless on the server (any server answers any step), so the number cannot be
//! kept in one server's memory, and no webhook waits on the store; it travels in the URL as
//! Twilio's signature protects the rest, but encrypted with a key every server shares. The
//! construction is deterministic authenticated encryption in the SIV shape, from HMAC-SHA-256
//! alone: the tag is a MAC of the digits, and the tag is also the nonce of the keystream that
//! hides them. The same number seals the same way under one key (so recorded calls replay),
//! and a sealed value changed by anyone fails to open.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as BASE64URL;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The keys of this process: those [`install`]ed at start, or [`Keys::unkeyed`]. Process-wide,
/// as the auth token is: action URLs are written deep in the TwiML writer and read where a
/// webhook's URL is parsed, and every server of a deployment must seal alike.
static KEYS: std::sync::OnceLock<Keys> = std::sync::OnceLock::new();

/// Seals and opens numbers with `keys` from now on; false if some were in use already.
pub fn install(keys: Keys) -> bool {
    KEYS.set(keys).is_ok()
}

/// The keys numbers are sealed and opened with.
pub fn keys() -> &'static Keys {
    KEYS.get_or_init(Keys::unkeyed)
}

/// Bytes of the tag: a forgery passes with odds of one in 2^96.
const TAG_BYTES: usize = 12;
/// The longest number sealed: an E.164 number has at most 15 digits.
const MOST_DIGITS: usize = 15;

/// The keys numbers are sealed with: the first seals, any opens (so a token rotated on some
/// servers before others still opens what the others sealed).
#[derive(Clone)]
pub struct Keys(Vec<[u8; 32]>);

/// Never the keys themselves.
impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Keys({} kept)", self.0.len())
    }
}

impl Default for Keys {
    fn default() -> Keys {
        Keys::unkeyed()
    }
}

impl Keys {
    /// Keys made from the secrets every server shares (the Twilio auth tokens), each turned
    /// into a key of its own purpose, so the token itself never encrypts anything.
    pub fn from_secrets<'a>(secrets: impl IntoIterator<Item = &'a [u8]>) -> Keys {
        let keys: Vec<[u8; 32]> = secrets
            .into_iter()
            .map(|secret| prf(secret, &[b"switchboard: a keyed number, sealed"]))
            .collect();
        if keys.is_empty() {
            return Keys::unkeyed();
        }
        Keys(keys)
    }

    /// The key of a server with no secret (`--insecure-skip-signature`), of replays and of
    /// tests: the number is still not in clear, but anyone with this code can open it.
    pub fn unkeyed() -> Keys {
        Keys(vec![prf(b"switchboard: no secret", &[])])
    }

    /// `digits` (ASCII digits, at most 15) sealed, in base64url.
    pub fn seal(&self, digits: &str) -> String {
        let key = &self.0[0];
        let tag = &prf(key, &[b"tag", digits.as_bytes()])[..TAG_BYTES];
        let mut sealed = Vec::with_capacity(TAG_BYTES + digits.len());
        sealed.extend_from_slice(tag);
        sealed.extend(xor_stream(key, tag, digits.as_bytes()));
        BASE64URL.encode(sealed)
    }

    /// The digits `sealed` holds, if one of the keys sealed it and nobody changed it.
    pub fn open(&self, sealed: &str) -> Option<String> {
        use subtle::ConstantTimeEq as _;
        let bytes = BASE64URL.decode(sealed).ok()?;
        if bytes.len() <= TAG_BYTES || bytes.len() > TAG_BYTES + MOST_DIGITS {
            return None;
        }
        let (tag, hidden) = bytes.split_at(TAG_BYTES);
        self.0.iter().find_map(|key| {
            let digits = xor_stream(key, tag, hidden);
            let expected = &prf(key, &[b"tag", &digits])[..TAG_BYTES];
            let genuine: bool = expected.ct_eq(tag).into();
            (genuine && digits.iter().all(u8::is_ascii_digit))
                .then(|| String::from_utf8(digits).expect("ASCII digits"))
        })
    }
}

/// `text` with each sealed number in it (`number=…` in a URL) opened, by this process's keys
/// or the unkeyed ones: so a replay compares the numbers, not how each server sealed them.
pub fn opened_in(text: &str) -> String {
    const FIELD: &str = "number=";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(FIELD) {
        let (before, after) = rest.split_at(at + FIELD.len());
        out.push_str(before);
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .unwrap_or(after.len());
        let (value, tail) = after.split_at(end);
        let opened = keys().open(value).or_else(|| Keys::unkeyed().open(value));
        out.push_str(opened.as_deref().unwrap_or(value));
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// HMAC-SHA-256 of `parts` one after another, under `key`.
fn prf(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// `data` (at most 32 bytes) XORed with the keystream for `nonce`.
fn xor_stream(key: &[u8; 32], nonce: &[u8], data: &[u8]) -> Vec<u8> {
    let stream = prf(key, &[b"stream", nonce]);
    data.iter().zip(stream).map(|(d, s)| d ^ s).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_number_opens_to_itself_and_shows_no_digit_run() {
        let keys = Keys::from_secrets([b"a token".as_slice()]);
        for digits in ["07911123457", "447911123457", "12345678"] {
            let sealed = keys.seal(digits);
            assert!(!sealed.contains(&digits[digits.len() - 6..]), "{sealed}");
            assert_eq!(keys.open(&sealed).as_deref(), Some(digits));
            // The same number seals the same way, so recorded calls replay.
            assert_eq!(keys.seal(digits), sealed);
        }
        assert_ne!(keys.seal("07911123457"), keys.seal("07911123458"));
    }

    #[test]
    fn a_changed_sealed_number_or_another_key_opens_nothing() {
        let keys = Keys::from_secrets([b"a token".as_slice()]);
        let sealed = keys.seal("07911123457");
        let mut bytes = BASE64URL.decode(&sealed).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert_eq!(keys.open(&BASE64URL.encode(&bytes)), None);
        assert_eq!(
            Keys::from_secrets([b"another".as_slice()]).open(&sealed),
            None
        );
        assert_eq!(Keys::unkeyed().open(&sealed), None);
        for junk in ["", "07911123457", "!!!", &"A".repeat(200)] {
            assert_eq!(keys.open(junk), None, "{junk}");
        }
    }

    #[test]
    fn sealed_numbers_in_a_document_are_opened_for_comparing() {
        let sealed = Keys::unkeyed().seal("07911123457");
        let text = format!("<Redirect>/voice/l/s?attempt=1&amp;number={sealed}</Redirect>");
        assert_eq!(
            opened_in(&text),
            "<Redirect>/voice/l/s?attempt=1&amp;number=07911123457</Redirect>"
        );
        assert_eq!(opened_in("number=junk&x"), "number=junk&x");
    }

    #[test]
    fn a_server_with_both_tokens_opens_what_either_sealed() {
        let old = Keys::from_secrets([b"old token".as_slice()]);
        let new = Keys::from_secrets([b"new token".as_slice()]);
        let rotating = Keys::from_secrets([b"new token".as_slice(), b"old token".as_slice()]);
        for sealed in [old.seal("07911123457"), new.seal("07911123457")] {
            assert_eq!(rotating.open(&sealed).as_deref(), Some("07911123457"));
        }
    }
}
