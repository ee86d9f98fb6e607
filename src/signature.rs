//! Twilio's request signatures, checked as its own SDKs check them (twilio-python 9.13's
//! `RequestValidator`): an HMAC of the URL and then each POST parameter's name and value,
//! sorted, in base64 in `X-Twilio-Signature`.
//!
//! Without `X-Twilio-Webhooks-Signature-Settings` the HMAC is SHA-1 keyed by the account's
//! auth token (either of two, while it is being rotated). With it, a Webhooks Rule signed the
//! request with the shared key it names (`key=<id>,algorithm=HMAC_SHA256`), and only that
//! key's secret will do. A JSON body is not signed itself: the URL carries `bodySHA256`, the
//! hex SHA-256 of the body, and the signature covers the URL alone.

use std::sync::Arc;

use axum::http::Uri;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// The header Twilio signs every webhook with.
pub const HEADER: &str = "X-Twilio-Signature";

/// [`HEADER`] as a header name, to look it up without parsing the name for every request.
pub const HEADER_NAME: axum::http::HeaderName =
    axum::http::HeaderName::from_static("x-twilio-signature");

/// The header that says which shared key and algorithm signed a request.
pub const SETTINGS_HEADER: &str = "X-Twilio-Webhooks-Signature-Settings";

/// [`SETTINGS_HEADER`] as a header name.
pub const SETTINGS_HEADER_NAME: axum::http::HeaderName =
    axum::http::HeaderName::from_static("x-twilio-webhooks-signature-settings");

/// The query parameter that carries a JSON body's SHA-256.
pub const BODY_HASH_PARAM: &str = "bodySHA256";

/// The HMACs Twilio signs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    Sha1,
    Sha256,
}

impl Algorithm {
    /// As the settings header names it, in any case: `HMAC_SHA1` or `HMAC_SHA256`.
    pub fn parse(name: &str) -> Option<Algorithm> {
        match name.trim().to_ascii_uppercase().as_str() {
            "HMAC_SHA1" => Some(Algorithm::Sha1),
            "HMAC_SHA256" => Some(Algorithm::Sha256),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Sha1 => "HMAC_SHA1",
            Algorithm::Sha256 => "HMAC_SHA256",
        }
    }
}

/// A secret that signs requests (an auth token or a shared key's secret), made ready once to
/// sign and check many, and shared by every request that checks with it.
#[derive(Clone)]
pub struct Key(Arc<Macs>);

struct Macs {
    sha1: Hmac<Sha1>,
    sha256: Hmac<Sha256>,
}

impl Key {
    pub fn new(secret: &str) -> Self {
        let secret = secret.as_bytes();
        Key(Arc::new(Macs {
            sha1: Hmac::new_from_slice(secret).expect("HMAC takes keys of any length"),
            sha256: Hmac::new_from_slice(secret).expect("HMAC takes keys of any length"),
        }))
    }

    /// The HMAC-SHA1 signature Twilio would send for `url` and the POST `params`, as it signs
    /// with an auth token.
    pub fn sign<K: AsRef<str>, V: AsRef<str>>(&self, url: &str, params: &[(K, V)]) -> String {
        self.sign_with(Algorithm::Sha1, url, params)
    }

    /// The signature Twilio would send for `url` and the POST `params` with `algorithm`.
    pub fn sign_with<K: AsRef<str>, V: AsRef<str>>(
        &self,
        algorithm: Algorithm,
        url: &str,
        params: &[(K, V)],
    ) -> String {
        let (url, sorted) = ([url], sorted(params));
        match algorithm {
            Algorithm::Sha1 => {
                BASE64.encode(fed(&self.0.sha1, &url, &sorted).finalize().into_bytes())
            }
            Algorithm::Sha256 => {
                BASE64.encode(fed(&self.0.sha256, &url, &sorted).finalize().into_bytes())
            }
        }
    }

    /// Whether the HMAC-SHA1 `signature` is this key's for `url` in any of the forms Twilio
    /// may have signed (see [`other_url_form`]).
    pub fn is_valid<K: AsRef<str>, V: AsRef<str>>(
        &self,
        url: &str,
        params: &[(K, V)],
        signature: &str,
    ) -> bool {
        let Some(claimed) = Claimed::decode(signature) else {
            return false;
        };
        self.matches(Algorithm::Sha1, &[url], &sorted(params), claimed.bytes())
    }

    /// Whether `claimed` is this key's MAC for the URL (given in pieces, which a server need
    /// not copy into one string for every request) in any form Twilio may have signed.
    fn matches(
        &self,
        algorithm: Algorithm,
        url: &[&str],
        sorted: &[(&str, &str)],
        claimed: &[u8],
    ) -> bool {
        // The hmac crate compares in constant time, and a claim of the wrong length never matches.
        let verifies = |url: &[&str]| match algorithm {
            Algorithm::Sha1 => fed(&self.0.sha1, url, sorted).verify_slice(claimed).is_ok(),
            Algorithm::Sha256 => fed(&self.0.sha256, url, sorted)
                .verify_slice(claimed)
                .is_ok(),
        };
        verifies(url)
            || other_url_form(&url.concat()).is_some_and(|other| verifies(&[&other]))
            || with_overrides(url).is_some_and(|pieces| verifies(&pieces))
    }
}

/// The connection overrides `switchboard twilio configure` puts on each number's voice URL,
/// as a fragment: connect within 1.5 s, an answer within 3 s, one retry, 5 s in all, so that
/// Twilio fails over to the fallback in about 5 s when no server answers, not 15.
pub const CONNECTION_OVERRIDES: &str = "ct=1500&rt=3000&tt=5000&rc=1";

/// The URL with [`CONNECTION_OVERRIDES`] as its fragment. A fragment never reaches the server,
/// and Twilio's documentation does not say whether its signature covers the one on a number's
/// URL: a request signed over the URL with it is accepted too (a URL that has a fragment
/// already is left as it is).
fn with_overrides<'a>(url: &[&'a str]) -> Option<Vec<&'a str>> {
    if url.iter().any(|piece| piece.contains('#')) {
        return None;
    }
    let mut pieces = url.to_vec();
    pieces.extend(["#", CONNECTION_OVERRIDES]);
    Some(pieces)
}

/// `mac` (kept as the key made it) fed the URL, then each parameter's name and value.
fn fed<M: Mac + Clone>(mac: &M, url: &[&str], sorted: &[(&str, &str)]) -> M {
    let mut mac = mac.clone();
    for part in url {
        mac.update(part.as_bytes());
    }
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    mac
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(..)")
    }
}

/// A claimed MAC, decoded without allocating: at most a SHA-256's 32 bytes.
struct Claimed {
    buffer: [u8; 48],
    length: usize,
}

impl Claimed {
    /// `None` for anything that is not base64 of at most 32 bytes.
    fn decode(signature: &str) -> Option<Claimed> {
        let mut buffer = [0; 48];
        let length = BASE64.decode_slice(signature.trim(), &mut buffer).ok()?;
        (length <= 32).then_some(Claimed { buffer, length })
    }

    fn bytes(&self) -> &[u8] {
        &self.buffer[..self.length]
    }
}

/// As Twilio's own validators do: names in order, each name's distinct values in order.
fn sorted<K: AsRef<str>, V: AsRef<str>>(params: &[(K, V)]) -> Vec<(&str, &str)> {
    let mut sorted: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_ref(), v.as_ref()))
        .collect();
    sorted.sort_unstable();
    sorted.dedup();
    sorted
}

/// The signature Twilio would send for `url` and the POST `params`, keyed by an auth token.
pub fn sign(token: &str, url: &str, params: &[(String, String)]) -> String {
    Key::new(token).sign(url, params)
}

/// Whether `signature` is Twilio's for this request, keyed by the auth token `token`.
pub fn is_valid(token: &str, url: &str, params: &[(String, String)], signature: &str) -> bool {
    Key::new(token).is_valid(url, params, signature)
}

/// The hex SHA-256 of a body, as Twilio puts it in `bodySHA256`.
pub fn body_hash(body: &[u8]) -> String {
    Sha256::digest(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The other form of `url` that Twilio's SDKs also accept a signature over: with its port
/// removed if it has one (whatever the port), or with its scheme's default port (443 or 80)
/// added if it has none. Together with the URL as received, these are twilio-python's
/// `remove_port` and `add_port`.
fn other_url_form(url: &str) -> Option<String> {
    let uri = url.parse::<Uri>().ok()?;
    let (scheme, authority) = (uri.scheme_str()?, uri.authority()?);
    let rest = uri.path_and_query().map_or("", |p| p.as_str());
    let rest = if url.ends_with(rest) { rest } else { "" };
    let host = authority.host();
    match authority.port_u16() {
        None => {
            let default_port = if scheme == "https" { 443 } else { 80 };
            Some(format!("{scheme}://{host}:{default_port}{rest}"))
        }
        Some(_) => Some(format!("{scheme}://{host}{rest}")),
    }
}

/// Why a request's signature was refused: the reasons are a fixed list, so they can label a
/// metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    /// No `X-Twilio-Signature`.
    Missing,
    /// It matches none of the secrets that could have signed the request.
    Mismatch,
    /// The settings header names an algorithm Twilio's SDKs do not know.
    UnsupportedAlgorithm,
    /// The settings header names no key, or a key not configured here.
    UnknownKey,
    /// Made with the auth token, though the settings header names a shared key.
    AuthTokenForKey,
    /// The body does not hash to the URL's `bodySHA256`.
    BodyHash,
}

impl Problem {
    pub fn as_str(self) -> &'static str {
        match self {
            Problem::Missing => "missing",
            Problem::Mismatch => "mismatch",
            Problem::UnsupportedAlgorithm => "algorithm",
            Problem::UnknownKey => "unknown-key",
            Problem::AuthTokenForKey => "auth-token-for-key",
            Problem::BodyHash => "body-hash",
        }
    }

    /// What ops should read in the log.
    pub fn explain(self) -> &'static str {
        match self {
            Problem::Missing => "no X-Twilio-Signature",
            Problem::Mismatch => "X-Twilio-Signature matches none of the configured secrets",
            Problem::UnsupportedAlgorithm => {
                "X-Twilio-Webhooks-Signature-Settings names an algorithm other than HMAC_SHA1 or HMAC_SHA256"
            }
            Problem::UnknownKey => {
                "X-Twilio-Webhooks-Signature-Settings names a shared key not in TWILIO_SHARED_KEYS"
            }
            Problem::AuthTokenForKey => {
                "signed with the auth token, though X-Twilio-Webhooks-Signature-Settings names a shared key"
            }
            Problem::BodyHash => "the body does not hash to the URL's bodySHA256",
        }
    }
}

/// A request as its signature is checked.
pub struct Signed<'a> {
    /// The URL Twilio called, in pieces.
    pub url: &'a [&'a str],
    /// The POST form's parameters (none for a GET or a JSON body).
    pub params: &'a [(String, String)],
    /// `X-Twilio-Signature`, if sent.
    pub signature: Option<&'a str>,
    /// `X-Twilio-Webhooks-Signature-Settings`, if sent.
    pub settings: Option<&'a str>,
    /// The URL's `bodySHA256` and the body it should be the hash of.
    pub body_hash: Option<(&'a str, &'a [u8])>,
}

/// Every secret whose signatures are accepted.
#[derive(Clone, Debug, Default)]
pub struct Secrets {
    /// The account's auth token, and during a rotation its secondary too.
    auth_tokens: Vec<Key>,
    /// Shared keys by id, as Webhooks Rules sign with them.
    shared_keys: Vec<(String, Key)>,
    /// The keys a number a caller keyed travels sealed with, made from the same secrets.
    seal: crate::seal::Keys,
}

impl Secrets {
    pub fn new(auth_tokens: &[&str], shared_keys: &[(String, String)]) -> Secrets {
        let every = auth_tokens
            .iter()
            .copied()
            .chain(shared_keys.iter().map(|(_, s)| s.as_str()));
        Secrets {
            auth_tokens: auth_tokens.iter().map(|t| Key::new(t)).collect(),
            shared_keys: shared_keys
                .iter()
                .map(|(id, secret)| (id.clone(), Key::new(secret)))
                .collect(),
            seal: crate::seal::Keys::from_secrets(every.map(str::as_bytes)),
        }
    }

    /// The keys numbers are sealed with, made from these secrets.
    pub fn seal_keys(&self) -> &crate::seal::Keys {
        &self.seal
    }

    pub fn is_empty(&self) -> bool {
        self.auth_tokens.is_empty() && self.shared_keys.is_empty()
    }

    /// Whether the request is signed by a secret that may sign it, and if not, why not.
    pub fn check(&self, request: &Signed<'_>) -> Result<(), Problem> {
        let claimed = request.signature.ok_or(Problem::Missing)?;
        let claimed = Claimed::decode(claimed).ok_or(Problem::Mismatch)?;
        let claimed = claimed.bytes();
        // The hash of a body is no secret: a plain comparison will do.
        if let Some((expected, body)) = request.body_hash
            && !body_hash(body).eq_ignore_ascii_case(expected)
        {
            return Err(Problem::BodyHash);
        }
        let sorted = sorted(request.params);
        let signs = |key: &Key, algorithm| key.matches(algorithm, request.url, &sorted, claimed);
        // An empty header says nothing, as twilio-python reads it: the auth token signed.
        let settings = request.settings.filter(|h| !h.trim().is_empty());
        let Some(settings) = settings.map(Settings::parse) else {
            return match self.auth_tokens.iter().any(|t| signs(t, Algorithm::Sha1)) {
                true => Ok(()),
                false => Err(Problem::Mismatch),
            };
        };
        let algorithm = settings.algorithm.ok_or(Problem::UnsupportedAlgorithm)?;
        let key = self
            .shared_keys
            .iter()
            .find(|(id, _)| Some(id.as_str()) == settings.key)
            .map(|(_, key)| key);
        if key.is_some_and(|key| signs(key, algorithm)) {
            return Ok(());
        }
        // Told apart only to say it in the log: either way the request is refused.
        let by_token = [algorithm, Algorithm::Sha1]
            .into_iter()
            .any(|a| self.auth_tokens.iter().any(|t| signs(t, a)));
        Err(match (by_token, key) {
            (true, _) => Problem::AuthTokenForKey,
            (false, None) => Problem::UnknownKey,
            (false, Some(_)) => Problem::Mismatch,
        })
    }
}

/// `X-Twilio-Webhooks-Signature-Settings`, read as twilio-python reads it.
#[derive(Debug, PartialEq, Eq)]
pub struct Settings<'a> {
    /// The shared key's id, if named.
    pub key: Option<&'a str>,
    /// `None` when it names an algorithm there is no such HMAC for; HMAC-SHA1 when it names
    /// none.
    pub algorithm: Option<Algorithm>,
}

impl<'a> Settings<'a> {
    pub fn parse(header: &'a str) -> Settings<'a> {
        let mut settings = Settings {
            key: None,
            algorithm: Some(Algorithm::Sha1),
        };
        for part in header.split(',') {
            match part.split_once('=').map(|(n, v)| (n.trim(), v.trim())) {
                Some(("key", id)) if !id.is_empty() => settings.key = Some(id),
                Some(("algorithm", name)) if !name.is_empty() => {
                    settings.algorithm = Algorithm::parse(name);
                }
                _ => {}
            }
        }
        settings
    }
}

/// `bytes` random bytes from the system, in hex: tokens and keys.
pub fn random_hex(bytes: usize) -> String {
    let mut random = vec![0u8; bytes];
    getrandom::fill(&mut random).expect("the system's random numbers");
    random.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn published_params() -> Vec<(String, String)> {
        [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675309"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";

    #[test]
    fn matches_twilios_published_example() {
        assert_eq!(
            sign("12345", URL, &published_params()),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        );
        assert!(is_valid(
            "12345",
            URL,
            &published_params(),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
    }

    #[test]
    fn refuses_a_wrong_token_parameter_or_signature() {
        let mut params = published_params();
        assert!(!is_valid(
            "54321",
            URL,
            &params,
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
        assert!(!is_valid("12345", URL, &params, "not base64!"));
        assert!(!is_valid("12345", URL, &params, ""));
        params[2].1 = "1235".to_owned();
        assert!(!is_valid(
            "12345",
            URL,
            &params,
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
    }

    #[test]
    fn accepts_the_url_signed_with_or_without_its_port_whatever_the_port() {
        let params = published_params();
        let with_port = sign(
            "12345",
            "https://mycompany.com:443/myapp.php?foo=1&bar=2",
            &params,
        );
        assert!(is_valid("12345", URL, &params, &with_port));
        let without = sign("12345", URL, &params);
        assert!(is_valid(
            "12345",
            "https://mycompany.com:443/myapp.php?foo=1&bar=2",
            &params,
            &without
        ));
        // Received on another port, signed without one: accepted, as the SDKs accept it.
        assert!(is_valid(
            "12345",
            "https://mycompany.com:8443/myapp.php?foo=1&bar=2",
            &params,
            &without
        ));
        // But a URL with another port than the one received is another URL.
        let other = sign(
            "12345",
            "https://mycompany.com:8443/myapp.php?foo=1&bar=2",
            &params,
        );
        assert!(!is_valid("12345", URL, &params, &other));
        assert!(!is_valid(
            "12345",
            "https://mycompany.com:9443/myapp.php?foo=1&bar=2",
            &params,
            &other
        ));
    }

    #[test]
    fn a_url_in_pieces_is_checked_as_the_whole_url() {
        let secrets = Secrets::new(&["12345"], &[]);
        let params = published_params();
        let good = sign("12345", URL, &params);
        let check = |url: &[&str], signature: &str| {
            secrets.check(&Signed {
                url,
                params: &params,
                signature: Some(signature),
                settings: None,
                body_hash: None,
            })
        };
        let pieces = ["https://mycompany.com", "", "/myapp.php?foo=1&bar=2"];
        assert_eq!(check(&pieces, &good), Ok(()));
        let with_port = ["https://mycompany.com:443", "", "/myapp.php?foo=1&bar=2"];
        assert_eq!(check(&with_port, &good), Ok(()));
        let elsewhere = ["https://mycompany.com", "/other", "/myapp.php?foo=1&bar=2"];
        assert_eq!(check(&elsewhere, &good), Err(Problem::Mismatch));
        // A claim longer than any HMAC (here, the signature twice over) is refused.
        assert_eq!(
            check(&pieces, &format!("{good}{good}")),
            Err(Problem::Mismatch)
        );
        assert_eq!(
            check(&pieces, &BASE64.encode([7; 200])),
            Err(Problem::Mismatch)
        );
    }

    #[test]
    fn the_header_names_are_the_headers() {
        assert_eq!(HEADER_NAME, HEADER);
        assert_eq!(SETTINGS_HEADER_NAME, SETTINGS_HEADER);
    }

    #[test]
    fn repeated_names_sort_their_values() {
        let a = vec![
            ("K".to_owned(), "b".to_owned()),
            ("K".to_owned(), "a".to_owned()),
        ];
        let b = vec![
            ("K".to_owned(), "a".to_owned()),
            ("K".to_owned(), "b".to_owned()),
        ];
        assert_eq!(
            sign("t", "https://x.org/", &a),
            sign("t", "https://x.org/", &b)
        );
    }

    #[test]
    fn the_settings_header_is_read_as_twilio_python_reads_it() {
        let read = Settings::parse("key=KS123, algorithm=hmac_sha256");
        assert_eq!(read.key, Some("KS123"));
        assert_eq!(read.algorithm, Some(Algorithm::Sha256));
        assert_eq!(Settings::parse("key=KS1").algorithm, Some(Algorithm::Sha1));
        assert_eq!(Settings::parse("algorithm=HMAC_MD5").algorithm, None);
        assert_eq!(Settings::parse("").key, None);
    }

    fn check_with_settings(
        secrets: &Secrets,
        signature: &str,
        settings: Option<&str>,
    ) -> Result<(), Problem> {
        secrets.check(&Signed {
            url: &[URL],
            params: &published_params(),
            signature: Some(signature),
            settings,
            body_hash: None,
        })
    }

    #[test]
    fn a_shared_key_signs_only_when_the_settings_header_names_it() {
        let secrets = Secrets::new(
            &["token", "second-token"],
            &[
                ("KSone".to_owned(), "one-secret".to_owned()),
                ("KStwo".to_owned(), "two-secret".to_owned()),
            ],
        );
        let params = published_params();
        let by = |secret: &str, algorithm| Key::new(secret).sign_with(algorithm, URL, &params);
        let sha256 = Some("key=KStwo,algorithm=HMAC_SHA256");
        // Both keys of a rotation, either algorithm, the algorithm in any case.
        assert_eq!(
            check_with_settings(&secrets, &by("two-secret", Algorithm::Sha256), sha256),
            Ok(())
        );
        assert_eq!(
            check_with_settings(
                &secrets,
                &by("one-secret", Algorithm::Sha1),
                Some("key=KSone,algorithm=hmac_sha1")
            ),
            Ok(())
        );
        // Both auth tokens, without the header (or with an empty one).
        for token in ["token", "second-token"] {
            for settings in [None, Some(""), Some(" ")] {
                assert_eq!(
                    check_with_settings(&secrets, &by(token, Algorithm::Sha1), settings),
                    Ok(())
                );
            }
        }
        // Refused, each for its own reason.
        let cases = [
            (
                by("one-secret", Algorithm::Sha256),
                sha256,
                Problem::Mismatch,
            ),
            (
                by("token", Algorithm::Sha256),
                sha256,
                Problem::AuthTokenForKey,
            ),
            (
                by("token", Algorithm::Sha1),
                sha256,
                Problem::AuthTokenForKey,
            ),
            (
                by("two-secret", Algorithm::Sha256),
                Some("key=KSthree,algorithm=HMAC_SHA256"),
                Problem::UnknownKey,
            ),
            (
                by("two-secret", Algorithm::Sha256),
                Some("algorithm=HMAC_SHA256"),
                Problem::UnknownKey,
            ),
            (
                by("two-secret", Algorithm::Sha256),
                Some("key=KStwo,algorithm=HMAC_SHA512"),
                Problem::UnsupportedAlgorithm,
            ),
            // A shared key's signature without the header is not the auth token's.
            (by("two-secret", Algorithm::Sha1), None, Problem::Mismatch),
            // SHA-256 is only ever a shared key's.
            (by("token", Algorithm::Sha256), None, Problem::Mismatch),
        ];
        for (signature, settings, problem) in cases {
            assert_eq!(
                check_with_settings(&secrets, &signature, settings),
                Err(problem),
                "{settings:?}"
            );
        }
    }

    #[test]
    fn a_json_body_must_hash_to_the_urls_body_sha256() {
        let secrets = Secrets::new(&["token"], &[]);
        let body = br#"{"CallSid":"CA1","CallStatus":"completed"}"#;
        let url = format!("https://x.org/status?{BODY_HASH_PARAM}={}", body_hash(body));
        let signature = sign("token", &url, &[]);
        let check = |body: &[u8]| {
            secrets.check(&Signed {
                url: &[&url],
                params: &[],
                signature: Some(&signature),
                settings: None,
                body_hash: Some((url.rsplit('=').next().unwrap(), body)),
            })
        };
        assert_eq!(check(body), Ok(()));
        assert_eq!(
            check(br#"{"CallSid":"CA1","CallStatus":"failed"}"#),
            Err(Problem::BodyHash)
        );
        // A body as Python's hashlib hashes it.
        assert_eq!(
            body_hash(b"{\"property\": \"value\", \"boolean\": true}"),
            "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
        );
    }
}
