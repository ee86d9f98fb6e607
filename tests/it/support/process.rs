//! `switchboard serve` run as a real process on loopback, for tests of what only a process
//! shows: startup, signals, logs, files changed while it runs.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use switchboard::signature;

use super::*;

/// An address nothing listens on (yet).
pub fn free_address() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

/// Starts a child on a local port, `first` and then free ones: `start(port)` gives it started,
/// or `None` when the child found that port taken. A port found free can be taken by another
/// test's connection before the child binds it: that costs another port (five tries), not a
/// failed test.
pub fn on_a_free_port<T>(first: u16, mut start: impl FnMut(u16) -> Option<T>) -> T {
    let mut port = first;
    for _ in 0..5 {
        if let Some(started) = start(port) {
            return started;
        }
        eprintln!("port {port} was taken before it was bound: trying another");
        port = free_address().port();
    }
    panic!("no free port in five tries")
}

/// `switchboard serve` as a separate process, its logs kept in a file, killed when dropped.
pub struct Server {
    child: Child,
    pub address: SocketAddr,
    client: reqwest::Client,
    logs: tempfile::NamedTempFile,
}

impl Server {
    pub fn start(state: &Path, now: &str, extra: &[&str]) -> Server {
        Server::start_with_env(state, now, extra, &[("RUST_LOG", "warn")])
    }

    pub fn start_with_env(state: &Path, now: &str, extra: &[&str], env: &[(&str, &str)]) -> Server {
        Server::start_in(&shipped_flows_dir(), state, now, extra, env)
    }

    /// Serving the flows in `flows`.
    pub fn start_in(
        flows: &Path,
        state: &Path,
        now: &str,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Server {
        Server::start_under(&[], flows, state, now, extra, env)
    }

    /// Started by `wrapper` (a program and its arguments, such as `prlimit --nofile=512:512`,
    /// that then runs serve in its own process), or directly when it is empty.
    pub fn start_under(
        wrapper: &[&str],
        flows: &Path,
        state: &Path,
        now: &str,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Server {
        on_a_free_port(free_address().port(), |port| {
            let logs = tempfile::NamedTempFile::new().unwrap();
            let address = SocketAddr::from(([127, 0, 0, 1], port));
            let binary = env!("CARGO_BIN_EXE_switchboard");
            let mut command = match wrapper.split_first() {
                Some((program, args)) => {
                    let mut command = Command::new(program);
                    command.args(args).arg(binary);
                    command
                }
                None => Command::new(binary),
            };
            let child = command
                .args(["serve", "--listen", &address.to_string(), "--now", now])
                .args(["--flows", flows.to_str().unwrap()])
                .args(["--state-dir", state.to_str().unwrap()])
                .args(extra)
                .env("TWILIO_AUTH_TOKEN", TOKEN)
                .envs(env.iter().copied())
                .stdout(Stdio::null())
                .stderr(logs.reopen().unwrap())
                .spawn()
                .unwrap_or_else(|error| panic!("{wrapper:?} {binary} cannot be started: {error}"));
            let mut server = Server {
                child,
                address,
                // A connection idle for a second is not reused: the server closes idle ones
                // after its header timeout, and a request sent as it does is reset.
                client: switchboard::outbound::client()
                    .pool_idle_timeout(Duration::from_secs(1))
                    .build()
                    .unwrap(),
                logs,
            };
            let deadline = Instant::now() + Duration::from_secs(20);
            while std::net::TcpStream::connect(address).is_err() {
                if server.child.try_wait().unwrap().is_some() {
                    let logs = server.logs();
                    assert!(
                        logs.contains("Address already in use"),
                        "serve stopped as it started:\n{logs}"
                    );
                    return None;
                }
                assert!(Instant::now() < deadline, "serve did not start listening");
                std::thread::sleep(Duration::from_millis(20));
            }
            Some(server)
        })
    }

    /// The process's id (the wrapper's, which runs serve in its own process).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The TwiML answering a new call to `to`, signed as Twilio would.
    pub async fn call(&self, to: &str) -> String {
        let params = [
            ("CallSid", "CA0123456789abcdef0123456789abcdef"),
            ("From", CALLER),
            ("To", to),
        ];
        let (status, body) = self.post("/voice", &params).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// POSTs a form to `path_and_query`, signed as Twilio would: the status and body.
    pub async fn post(&self, path_and_query: &str, params: &[(&str, &str)]) -> (u16, String) {
        self.webhooks().post(path_and_query, params).await
    }

    /// A handle on this server's webhooks that tasks of their own can share.
    pub fn webhooks(&self) -> Webhooks {
        Webhooks {
            address: self.address,
            client: self.client.clone(),
        }
    }

    /// POSTs `body` with `headers` as given, signed or not as the caller made them: the status.
    pub async fn post_as_given(
        &self,
        path_and_query: &str,
        headers: &[(&str, String)],
        body: String,
    ) -> u16 {
        let mut request = self.client.post(self.url(path_and_query)).body(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request.send().await.expect("the server answers");
        response.status().as_u16()
    }

    /// The URL of `path_and_query` on this server, as Twilio would call it.
    pub fn url(&self, path_and_query: &str) -> String {
        format!("http://{}{path_and_query}", self.address)
    }

    /// GETs `path_and_query` as Twilio does when a number's webhook is set to GET: the
    /// parameters are in the query, and the signature is over the URL alone.
    pub async fn get_signed(&self, path_and_query: &str) -> (u16, String) {
        let url = format!("http://{}{path_and_query}", self.address);
        let signature = signature::sign(TOKEN, &url, &[]);
        let response = self
            .client
            .get(&url)
            .header(signature::HEADER, signature)
            .send()
            .await
            .expect("the server answers");
        (response.status().as_u16(), response.text().await.unwrap())
    }

    pub async fn get(&self, path: &str) -> String {
        let url = format!("http://{}{path}", self.address);
        let response = self
            .client
            .get(&url)
            .send()
            .await
            .expect("the server answers");
        response.text().await.unwrap()
    }

    /// Sends a signal by name: "TERM", "HUP". Through the shell's own `kill`, which every
    /// machine with a shell has.
    pub fn signal(&self, name: &str) {
        let command = format!("kill -s {name} {}", self.child.id());
        let sent = Command::new("sh").args(["-c", &command]).status().unwrap();
        assert!(sent.success(), "{command}");
    }

    /// Sends SIGTERM and waits (at most `within`) for the process to exit.
    pub fn terminate(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        self.signal("TERM");
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Everything logged so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(self.logs.path()).unwrap()
    }

    /// A new call to `to` that presses `key` at the first menu: the answer to the key press.
    pub async fn press_at_first_menu(&self, to: &str, key: &str) -> String {
        let first = self.call(to).await;
        let action = menu_action(&first);
        let params = [
            ("CallSid", "CA0123456789abcdef0123456789abcdef"),
            ("From", CALLER),
            ("Digits", key),
        ];
        let (status, body) = self.post(&action, &params).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Presses `key` at the first menu of new calls until an answer contains `text`, for up
    /// to `within`; the last answer.
    pub async fn call_until_after_press(
        &self,
        to: &str,
        key: &str,
        text: &str,
        within: Duration,
    ) -> String {
        let deadline = Instant::now() + within;
        loop {
            let twiml = self.press_at_first_menu(to, key).await;
            if twiml.contains(text) || Instant::now() > deadline {
                return twiml;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// How long after `since` a new call to `to` is first answered as `wanted` says (calling
    /// for at most 5 s).
    pub async fn answered_within(
        &self,
        to: &str,
        since: Instant,
        wanted: impl Fn(&str) -> bool,
    ) -> Duration {
        loop {
            let twiml = self.call(to).await;
            if wanted(&twiml) {
                return since.elapsed();
            }
            assert!(
                since.elapsed() < Duration::from_secs(5),
                "never answered as wanted: {twiml}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Calls until an answer contains `text`, for up to `within`.
    pub async fn call_until(&self, to: &str, text: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            let twiml = self.call(to).await;
            if twiml.contains(text) || Instant::now() > deadline {
                return twiml;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let exited = self.child.try_wait().ok().flatten();
        let _ = self.child.kill();
        let _ = self.child.wait();
        // A failed test shows what the server said, and whether it had stopped by itself.
        if std::thread::panicking() {
            eprintln!(
                "server {} ({}) logs:\n{}",
                self.address,
                exited.map_or("still running".to_owned(), |status| format!(
                    "exited {status}"
                )),
                self.logs()
            );
        }
    }
}

/// Where an answer that asks the caller something sends their answer: its Gather's action.
pub fn menu_action(twiml: &str) -> String {
    twiml
        .split("action=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the answer is a menu")
        .replace("&amp;", "&")
}

/// A server's webhooks, called as Twilio would.
#[derive(Clone)]
pub struct Webhooks {
    address: SocketAddr,
    client: reqwest::Client,
}

impl Webhooks {
    /// POSTs a form to `path_and_query`, signed as Twilio would: the status and body.
    pub async fn post(&self, path_and_query: &str, params: &[(&str, &str)]) -> (u16, String) {
        let url = format!("http://{}{path_and_query}", self.address);
        let signature = signature::sign(TOKEN, &url, &owned(params));
        let response = self
            .client
            .post(&url)
            .header(signature::HEADER, signature)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(params))
            .send()
            .await
            .expect("the server answers");
        (response.status().as_u16(), response.text().await.unwrap())
    }
}

/// A server's ops console, driven over HTTP as a browser would (cookies by hand, redirects
/// not followed).
pub struct ConsoleSite {
    base: String,
    client: reqwest::Client,
}

pub struct Page {
    pub status: u16,
    pub cookie: String,
    pub body: String,
}

impl ConsoleSite {
    pub fn at(address: SocketAddr) -> ConsoleSite {
        let client = switchboard::outbound::client()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap();
        ConsoleSite {
            base: format!("http://{address}"),
            client,
        }
    }

    async fn page(request: reqwest::RequestBuilder) -> Page {
        let response = request.send().await.expect("the console answers");
        let cookies = response.headers().get_all(reqwest::header::SET_COOKIE);
        let cookie = super::set_cookie(cookies.iter().filter_map(|v| v.to_str().ok()));
        let cookie = cookie.split(';').next().unwrap_or_default().to_owned();
        Page {
            status: response.status().as_u16(),
            cookie,
            body: response.text().await.unwrap(),
        }
    }

    pub async fn get(&self, path: &str, cookie: &str) -> Page {
        let request = self.client.get(format!("{}{path}", self.base));
        ConsoleSite::page(request.header(reqwest::header::COOKIE, cookie)).await
    }

    pub async fn post(&self, path: &str, cookie: &str, fields: &[(&str, &str)]) -> Page {
        let request = self
            .client
            .post(format!("{}{path}", self.base))
            .header(reqwest::header::COOKIE, cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(fields));
        ConsoleSite::page(request).await
    }

    /// Tries a log-in: the answer, whose `cookie` is the session's on success (303).
    pub async fn try_log_in(&self, user: &str, password: &str) -> Page {
        let form = self.get("/login", "").await;
        let (cookie, token) = login_form_token(&form.cookie, &form.body);
        let fields = [
            ("login", token.as_str()),
            ("username", user),
            ("password", password),
        ];
        self.post("/login", &cookie, &fields).await
    }

    /// The CSRF token of the session `cookie` names, from the forms of its front page.
    pub async fn csrf(&self, cookie: &str) -> String {
        let page = self.get("/", cookie).await;
        page.body
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("no CSRF token: a page for no session? {}", page.body))
            .to_owned()
    }
}
