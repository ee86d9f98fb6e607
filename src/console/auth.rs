//! Who is using the console: sessions kept in the store (a random token in an HttpOnly,
//! SameSite=Strict cookie; the store keeps only its hash), a CSRF token per session for every
//! form that changes something, and a throttle on wrong passwords for each user and address,
//! counted across every server.

use std::time::Duration;

use crate::store::Role;

/// The session cookie's name.
pub const COOKIE: &str = "switchboard_console";

/// A session unused this long has ended.
pub const IDLE: Duration = Duration::from_secs(30 * 60);
/// And every session ends this long after its login, used or not.
pub const LONGEST: Duration = Duration::from_secs(12 * 60 * 60);

/// Wrong passwords for one user from one address before each further try is slowed.
const FREE_TRIES: u32 = 3;
/// Wrong passwords after which that user and address are refused for [`LOCKED_FOR`].
const MAX_TRIES: u32 = 6;
pub const LOCKED_FOR: Duration = Duration::from_secs(15 * 60);

#[derive(Clone, Debug)]
pub struct Session {
    pub user: String,
    pub role: Role,
    /// Every form that changes something carries it back.
    pub csrf: String,
    /// The cookie's token: what the store knows the session by (as a hash).
    pub token: String,
}

/// 32 random bytes, in hex.
pub fn random_token() -> String {
    crate::signature::random_hex(32)
}

/// The session token in a request's Cookie headers.
pub fn token_of(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == COOKIE).then(|| value.to_owned())
        })
}

/// The Set-Cookie value that starts (or, with an empty token, ends) a session.
pub fn cookie(token: &str, secure: bool) -> String {
    let ends = if token.is_empty() { "; Max-Age=0" } else { "" };
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{secure}{ends}")
}

/// Whether two secrets are equal, in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq as _;
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// What the throttle says of a login attempt.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Try it, after this wait (zero for the first few tries).
    After(Duration),
    /// Refused until the lock ends.
    Locked,
}

/// The verdict on a login, given the wrong passwords for that user and address, the last
/// within [`LOCKED_FOR`], as the store counts them across every server.
pub fn verdict(failures: u32) -> Verdict {
    match failures {
        count if count >= MAX_TRIES => Verdict::Locked,
        count if count >= FREE_TRIES => Verdict::After(Duration::from_millis(
            500 * u64::from(count - FREE_TRIES + 1),
        )),
        _ => Verdict::After(Duration::ZERO),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_passwords_slow_and_then_lock() {
        assert_eq!(verdict(0), Verdict::After(Duration::ZERO));
        assert_eq!(verdict(FREE_TRIES - 1), Verdict::After(Duration::ZERO));
        assert!(matches!(verdict(FREE_TRIES), Verdict::After(d) if d > Duration::ZERO));
        assert_eq!(verdict(MAX_TRIES), Verdict::Locked);
    }

    #[test]
    fn tokens_are_unguessable() {
        let (a, b) = (random_token(), random_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }
}
