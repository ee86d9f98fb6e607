//! Who is using the console: sessions kept in the store (a random token in an HttpOnly,
//! SameSite=Strict cookie; the store keeps only its hash), a CSRF token per session for every
//! form that changes something, and a throttle on wrong passwords for each user and address,
//! counted across every server.

use std::time::Duration;

use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

use crate::store::Role;
use crate::store::users::Verifier;

/// The session cookie's name.
pub const COOKIE: &str = "switchboard_console";
/// The login form's cookie: a random token the form carries back too (a double-submitted
/// token), so no other site can post a login in a user's browser.
pub const LOGIN_COOKIE: &str = "switchboard_login";

/// A session unused this long has ended.
pub const IDLE: Duration = Duration::from_secs(30 * 60);
/// And every session ends this long after its login, used or not.
pub const LONGEST: Duration = Duration::from_secs(12 * 60 * 60);

/// Wrong passwords for one user from one address before each further try is slowed.
const FREE_TRIES: u32 = 3;
/// Wrong passwords after which that user and address are refused for [`LOCKED_FOR`].
pub const MAX_TRIES: u32 = 6;
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

/// The session token a request's cookies carry.
pub fn token_of(cookies: &CookieJar) -> Option<String> {
    cookies.get(COOKIE).map(|c| c.value().to_owned())
}

/// The cookie that carries a session's token: to this console alone, never to a script.
pub fn session_cookie(token: String, secure: bool) -> Cookie<'static> {
    Cookie::build((COOKIE, token))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .build()
}

/// The login form's token, for the login alone, for an hour.
pub fn login_cookie(token: String, secure: bool) -> Cookie<'static> {
    Cookie::build((LOGIN_COOKIE, token))
        .path("/login")
        .max_age(cookie::time::Duration::hours(1))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .build()
}

/// Whether two secrets are equal, in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq as _;
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// Checks passwords on threads of their own, a few at a time: Argon2id takes 19 MiB and tens
/// of milliseconds of CPU for each, so a burst of logins must queue rather than take the
/// process's memory, and the threads are always the same few so their memory is reused.
pub struct PasswordChecks {
    jobs: std::sync::Mutex<std::sync::mpsc::Sender<Job>>,
    turns: tokio::sync::Semaphore,
}

/// A check, given the thread's own verifier (and so its memory).
type Job = Box<dyn FnOnce(&mut Verifier) + Send>;

/// How long a login waits for its turn before it is told to try again (429).
pub const TURN_WITHIN: Duration = Duration::from_secs(5);

/// A login that found the checks busy for [`TURN_WITHIN`].
#[derive(Debug)]
pub struct Busy;

impl PasswordChecks {
    /// `threads` threads, each checking one password at a time.
    pub fn new(threads: usize) -> PasswordChecks {
        let (sender, jobs) = std::sync::mpsc::channel::<Job>();
        let jobs = std::sync::Arc::new(std::sync::Mutex::new(jobs));
        for index in 0..threads {
            let jobs = jobs.clone();
            std::thread::Builder::new()
                .name(format!("switchboard-passwords-{index}"))
                .spawn(move || {
                    let mut verifier = Verifier::default();
                    loop {
                        // The lock is held only to take the next job, not to run it.
                        let job = jobs.lock().map(|jobs| jobs.recv());
                        match job {
                            Ok(Ok(job)) => job(&mut verifier),
                            _ => break,
                        }
                    }
                })
                .expect("a thread to check passwords on");
        }
        PasswordChecks {
            jobs: std::sync::Mutex::new(sender),
            turns: tokio::sync::Semaphore::new(threads),
        }
    }

    /// As many threads as half the cores, at least one: the other half answers calls.
    pub fn for_this_machine() -> PasswordChecks {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        PasswordChecks::new((cores / 2).max(1))
    }

    /// Runs `check` on one of the threads once one is free, waiting at most [`TURN_WITHIN`].
    pub async fn run<T: Send + 'static>(
        &self,
        check: impl FnOnce(&mut Verifier) -> T + Send + 'static,
    ) -> Result<T, Busy> {
        let _turn = tokio::time::timeout(TURN_WITHIN, self.turns.acquire())
            .await
            .map_err(|_| Busy)?
            .expect("the semaphore is never closed");
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |verifier| {
            let _ = done.send(check(verifier));
        });
        self.jobs
            .lock()
            .map_err(|_| Busy)?
            .send(job)
            .map_err(|_| Busy)?;
        result.await.map_err(|_| Busy)
    }
}

/// What the throttle says of a login attempt.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Try it, after this wait (zero for the first few tries).
    After(Duration),
    /// Refused until the lock ends.
    Locked,
}

/// The verdict on a login, given the tries before it for that user and address that were not
/// right (or are still being checked), the last within [`LOCKED_FOR`], as the store counts them
/// across every server; `None` when the store refused to count another ([`MAX_TRIES`] reached).
pub fn verdict(failures: Option<u32>) -> Verdict {
    match failures {
        None => Verdict::Locked,
        Some(count) if count >= MAX_TRIES => Verdict::Locked,
        Some(count) if count >= FREE_TRIES => Verdict::After(Duration::from_millis(
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
        assert_eq!(verdict(Some(0)), Verdict::After(Duration::ZERO));
        assert_eq!(
            verdict(Some(FREE_TRIES - 1)),
            Verdict::After(Duration::ZERO)
        );
        assert!(matches!(verdict(Some(FREE_TRIES)), Verdict::After(d) if d > Duration::ZERO));
        assert_eq!(verdict(Some(MAX_TRIES)), Verdict::Locked);
        assert_eq!(verdict(None), Verdict::Locked);
    }

    #[tokio::test]
    async fn password_checks_run_one_at_a_time_on_one_thread_and_say_when_busy() {
        let checks = std::sync::Arc::new(PasswordChecks::new(1));
        let running = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let most = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (checks, running, most) = (checks.clone(), running.clone(), most.clone());
                tokio::spawn(async move {
                    checks
                        .run(move |_| {
                            use std::sync::atomic::Ordering::SeqCst;
                            let now = running.fetch_add(1, SeqCst) + 1;
                            most.fetch_max(now, SeqCst);
                            std::thread::sleep(Duration::from_millis(5));
                            running.fetch_sub(1, SeqCst);
                        })
                        .await
                })
            })
            .collect();
        for task in tasks {
            assert!(task.await.unwrap().is_ok());
        }
        assert_eq!(most.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[test]
    fn tokens_are_unguessable() {
        let (a, b) = (random_token(), random_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }
}
