//! Who is using the console: sessions kept in memory (a random token in an HttpOnly,
//! SameSite=Strict cookie), a CSRF token per session for every form that changes something,
//! and a throttle on wrong passwords for each user and address.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::users::Role;

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
/// Users and addresses remembered at most: past it, the longest quiet is forgotten, so a flood
/// of made-up names cannot grow the map without end.
const MAX_REMEMBERED: usize = 10_000;

#[derive(Clone, Debug)]
pub struct Session {
    pub user: String,
    pub role: Role,
    /// Every form that changes something carries it back.
    pub csrf: String,
    started: Instant,
    last_used: Instant,
}

/// 32 random bytes, in hex.
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the system's random numbers");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Default)]
pub struct Sessions(Mutex<HashMap<String, Session>>);

impl Sessions {
    /// Starts a session: its token, for the cookie.
    pub fn start(&self, user: &str, role: Role) -> String {
        let token = random_token();
        let now = Instant::now();
        let session = Session {
            user: user.to_owned(),
            role,
            csrf: random_token(),
            started: now,
            last_used: now,
        };
        let mut sessions = self.0.lock().unwrap_or_else(|p| p.into_inner());
        sessions.retain(|_, s| alive(s, now));
        sessions.insert(token.clone(), session);
        token
    }

    /// The session the token belongs to, if it is one and has not ended.
    pub fn get(&self, token: &str) -> Option<Session> {
        let now = Instant::now();
        let mut sessions = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let session = sessions.get_mut(token)?;
        if !alive(session, now) {
            sessions.remove(token);
            return None;
        }
        session.last_used = now;
        Some(session.clone())
    }

    pub fn end(&self, token: &str) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(token);
    }
}

fn alive(session: &Session, now: Instant) -> bool {
    now.duration_since(session.last_used) < IDLE && now.duration_since(session.started) < LONGEST
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

/// Wrong passwords, by user name and address.
#[derive(Default)]
pub struct Throttle(Mutex<HashMap<(String, IpAddr), Failures>>);

#[derive(Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

/// What the throttle says of a login attempt.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Try it, after this wait (zero for the first few tries).
    After(Duration),
    /// Refused until the lock ends.
    Locked,
}

impl Throttle {
    pub fn before_try(&self, user: &str, from: IpAddr) -> Verdict {
        let failures = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match failures.get(&(user.to_owned(), from)) {
            Some(f) if f.last.elapsed() >= LOCKED_FOR => Verdict::After(Duration::ZERO),
            Some(f) if f.count >= MAX_TRIES => Verdict::Locked,
            Some(f) if f.count >= FREE_TRIES => Verdict::After(Duration::from_millis(
                500 * u64::from(f.count - FREE_TRIES + 1),
            )),
            _ => Verdict::After(Duration::ZERO),
        }
    }

    pub fn failed(&self, user: &str, from: IpAddr) {
        let mut failures = self.0.lock().unwrap_or_else(|p| p.into_inner());
        // Kept bounded: entries older than the lock are forgotten, and past the cap the
        // quietest one.
        failures.retain(|_, f| f.last.elapsed() < LOCKED_FOR);
        if failures.len() >= MAX_REMEMBERED
            && let Some(quietest) = failures
                .iter()
                .min_by_key(|(_, f)| f.last)
                .map(|(k, _)| k.clone())
        {
            failures.remove(&quietest);
        }
        let entry = failures.entry((user.to_owned(), from)).or_insert(Failures {
            count: 0,
            last: Instant::now(),
        });
        entry.count += 1;
        entry.last = Instant::now();
    }

    pub fn succeeded(&self, user: &str, from: IpAddr) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&(user.to_owned(), from));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_passwords_slow_and_then_lock_one_user_and_address() {
        let throttle = Throttle::default();
        let (here, there) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        for _ in 0..FREE_TRIES {
            assert_eq!(
                throttle.before_try("amira", here),
                Verdict::After(Duration::ZERO)
            );
            throttle.failed("amira", here);
        }
        assert!(
            matches!(throttle.before_try("amira", here), Verdict::After(d) if d > Duration::ZERO)
        );
        for _ in FREE_TRIES..MAX_TRIES {
            throttle.failed("amira", here);
        }
        assert_eq!(throttle.before_try("amira", here), Verdict::Locked);
        // Another address, or another user, is not held up.
        assert_eq!(
            throttle.before_try("amira", there),
            Verdict::After(Duration::ZERO)
        );
        assert_eq!(
            throttle.before_try("ben", here),
            Verdict::After(Duration::ZERO)
        );
    }

    #[test]
    fn a_flood_of_made_up_names_is_remembered_only_up_to_the_cap() {
        let throttle = Throttle::default();
        let from = "10.0.0.1".parse().unwrap();
        for n in 0..MAX_REMEMBERED + 50 {
            throttle.failed(&format!("made-up-{n}"), from);
        }
        let remembered = throttle.0.lock().unwrap().len();
        assert_eq!(remembered, MAX_REMEMBERED);
    }

    #[test]
    fn sessions_end_at_logout_and_tokens_are_unguessable() {
        let sessions = Sessions::default();
        let token = sessions.start("amira", Role::Editor);
        assert_eq!(token.len(), 64);
        assert_eq!(sessions.get(&token).unwrap().user, "amira");
        assert!(sessions.get("0".repeat(64).as_str()).is_none());
        sessions.end(&token);
        assert!(sessions.get(&token).is_none());
    }
}
