//! Twilio's request signature: HMAC-SHA1 of the URL and sorted POST parameters, in base64.

use axum::http::Uri;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

type HmacSha1 = Hmac<Sha1>;

/// The header Twilio signs every webhook with.
pub const HEADER: &str = "X-Twilio-Signature";

/// [`HEADER`] as a header name, to look it up without parsing the name for every request.
pub const HEADER_NAME: axum::http::HeaderName =
    axum::http::HeaderName::from_static("x-twilio-signature");

/// An account's auth token, made ready once to sign and check many requests.
#[derive(Clone)]
pub struct Key(HmacSha1);

impl Key {
    pub fn new(token: &str) -> Self {
        Key(HmacSha1::new_from_slice(token.as_bytes()).expect("HMAC takes keys of any length"))
    }

    /// The signature Twilio would send for `url` and the POST `params` (empty for GET).
    pub fn sign<K: AsRef<str>, V: AsRef<str>>(&self, url: &str, params: &[(K, V)]) -> String {
        BASE64.encode(self.mac(&[url], &sorted(params)).finalize().into_bytes())
    }

    /// Whether `signature` is Twilio's for this request. Twilio may have signed the URL with
    /// or without an explicit default port: the URL as received is tried first, the other
    /// form only if it fails. Each comparison is in constant time.
    pub fn is_valid<K: AsRef<str>, V: AsRef<str>>(
        &self,
        url: &str,
        params: &[(K, V)],
        signature: &str,
    ) -> bool {
        self.is_valid_for_parts(&[url], params, signature)
    }

    /// As [`Key::is_valid`], for a URL given in pieces (origin, path prefix, path and query),
    /// which a server need not copy into one string for every request.
    pub fn is_valid_for_parts<K: AsRef<str>, V: AsRef<str>>(
        &self,
        url: &[&str],
        params: &[(K, V)],
        signature: &str,
    ) -> bool {
        // An HMAC-SHA1 is 20 bytes: a longer claim cannot match and is refused here.
        let mut claimed = [0; 32];
        let Ok(length) = BASE64.decode_slice(signature.trim(), &mut claimed) else {
            return false;
        };
        let params = sorted(params);
        let matches = |url: &[&str]| {
            self.mac(url, &params)
                .verify_slice(&claimed[..length])
                .is_ok()
        };
        matches(url) || other_url_form(&url.concat()).is_some_and(|other| matches(&[&other]))
    }

    fn mac(&self, url: &[&str], sorted: &[(&str, &str)]) -> HmacSha1 {
        let mut mac = self.0.clone();
        for part in url {
            mac.update(part.as_bytes());
        }
        for (name, value) in sorted {
            mac.update(name.as_bytes());
            mac.update(value.as_bytes());
        }
        mac
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(..)")
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

/// The signature Twilio would send for `url` and the POST `params` (empty for GET).
pub fn sign(token: &str, url: &str, params: &[(String, String)]) -> String {
    Key::new(token).sign(url, params)
}

/// Whether `signature` is Twilio's for this request, keyed by `token`.
pub fn is_valid(token: &str, url: &str, params: &[(String, String)], signature: &str) -> bool {
    Key::new(token).is_valid(url, params, signature)
}

/// The URL with its scheme's default port (443 or 80) added, or removed if it has it.
fn other_url_form(url: &str) -> Option<String> {
    let uri = url.parse::<Uri>().ok()?;
    let (scheme, authority) = (uri.scheme_str()?, uri.authority()?);
    let rest = uri.path_and_query().map_or("", |p| p.as_str());
    let rest = if url.ends_with(rest) { rest } else { "" };
    let host = authority.host();
    let default_port = if scheme == "https" { 443 } else { 80 };
    match authority.port_u16() {
        None => Some(format!("{scheme}://{host}:{default_port}{rest}")),
        Some(port) if port == default_port => Some(format!("{scheme}://{host}{rest}")),
        Some(_) => None,
    }
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
    fn accepts_the_url_signed_with_or_without_its_default_port() {
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
        // A different port is a different URL.
        let other = sign(
            "12345",
            "https://mycompany.com:8443/myapp.php?foo=1&bar=2",
            &params,
        );
        assert!(!is_valid("12345", URL, &params, &other));
    }

    #[test]
    fn a_url_in_pieces_is_checked_as_the_whole_url() {
        let key = Key::new("12345");
        let params = published_params();
        let good = key.sign(URL, &params);
        let pieces = ["https://mycompany.com", "", "/myapp.php?foo=1&bar=2"];
        assert!(key.is_valid_for_parts(&pieces, &params, &good));
        let with_port = ["https://mycompany.com:443", "", "/myapp.php?foo=1&bar=2"];
        assert!(key.is_valid_for_parts(&with_port, &params, &good));
        let elsewhere = ["https://mycompany.com", "/other", "/myapp.php?foo=1&bar=2"];
        assert!(!key.is_valid_for_parts(&elsewhere, &params, &good));
        // A claim longer than any HMAC-SHA1 (here, the signature twice over) is refused.
        assert!(!key.is_valid_for_parts(&pieces, &params, &format!("{good}{good}")));
        assert!(!key.is_valid_for_parts(&pieces, &params, &BASE64.encode([7; 200])));
    }

    #[test]
    fn the_header_name_is_the_header() {
        assert_eq!(HEADER_NAME, HEADER);
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
}
