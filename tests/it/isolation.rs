//! Nothing done to the console can take the calls down: its connections are capped and timed
//! out inside the process's open-file limit, and logins are checked a few at a time.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::support::process::{ConsoleSite, Server, free_address};
use crate::support::*;

const NOW: &str = "2026-12-07T10:00:00Z";

/// A server with a console, started by `wrapper` (see [`Server::start_under`]).
fn with_console(state: &std::path::Path, wrapper: &[&str], extra: &[&str]) -> (Server, SocketAddr) {
    let admin = free_address();
    let mut args = vec!["--admin-listen".to_owned(), admin.to_string()];
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = Server::start_under(
        wrapper,
        &shipped_flows_dir(),
        state,
        NOW,
        &args,
        &[("RUST_LOG", "warn")],
    );
    (server, admin)
}

/// A new call to the wellbeing line is answered with its menu within a second.
async fn answered_within_a_second(server: &Server) {
    let started = Instant::now();
    let answer = tokio::time::timeout(Duration::from_secs(1), server.call(WELLBEING))
        .await
        .unwrap_or_else(|_| panic!("a webhook was not answered within a second"));
    assert!(answer.contains("<Gather"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(1));
}

/// The value of one series in the server's metrics.
async fn metric(server: &Server, series: &str) -> f64 {
    let text = server.get("/metrics").await;
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {series} in\n{text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_connections_to_the_file_limit_leave_the_webhooks_answering() {
    // This test holds thousands of connections itself.
    switchboard::server::listen::raise_open_file_limit();
    let state = tempfile::tempdir().unwrap();
    // systemd's default is 1,024 open files; half that, so the flood overshoots it by far.
    let (server, admin) = with_console(
        state.path(),
        &["prlimit", "--nofile=512:512", "--"],
        &["--header-timeout", "1s"],
    );
    let mut held = Vec::new();
    for _ in 0..2500 {
        if let Ok(stream) = std::net::TcpStream::connect_timeout(&admin, Duration::from_millis(200))
        {
            held.push(stream);
        }
    }
    assert!(held.len() > 1024, "only {} connections opened", held.len());
    for _ in 0..20 {
        answered_within_a_second(&server).await;
    }
    let refused = r#"switchboard_refused_connections_total{listener="console",reason="full"}"#;
    assert!(metric(&server, refused).await > 0.0);
    // The silent connections the console took are closed after the header timeout, so the
    // console serves again once the flood waiting to be accepted is through, while the flood
    // is still held open.
    let client = switchboard::outbound::client().build().unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let page = client.get(format!("http://{admin}/login")).send().await;
        if page.is_ok_and(|p| p.status() == 200) {
            break;
        }
        assert!(Instant::now() < deadline, "the console never served again");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let logs = server.logs();
    assert!(!logs.contains("Too many open files"), "{logs}");
    drop(held);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_connection_that_sends_nothing_is_closed_after_the_header_timeout() {
    use std::io::Read as _;
    let state = tempfile::tempdir().unwrap();
    let (_server, admin) = with_console(state.path(), &[], &["--header-timeout", "1s"]);
    let mut silent = std::net::TcpStream::connect(admin).unwrap();
    silent
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let started = Instant::now();
    let read = silent.read(&mut [0; 16]);
    let closed = match &read {
        Ok(0) => true,
        Err(error) => error.kind() == std::io::ErrorKind::ConnectionReset,
        Ok(_) => false,
    };
    assert!(closed, "{read:?}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

/// The most the process has held in memory, from the kernel's own count.
fn peak_memory_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status");
    kib * 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_logins_at_once_stay_under_128_mib_while_webhooks_answer_within_a_second() {
    let state = tempfile::tempdir().unwrap();
    let (server, admin) = with_console(state.path(), &[], &[]);
    let logins: Vec<_> = (0..64)
        .map(|n| {
            tokio::spawn(async move {
                let site = ConsoleSite::at(admin);
                let page = site
                    .try_log_in(&format!("nobody-{n}"), "not anybody's password")
                    .await;
                page.status
            })
        })
        .collect();
    let mut answered = 0;
    while !logins.iter().all(|l| l.is_finished()) {
        answered_within_a_second(&server).await;
        answered += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for login in logins {
        let status = login.await.unwrap();
        // Refused as wrong, or asked to try again while others are checked: never a failure.
        assert!(status == 401 || status == 429, "{status}");
    }
    assert!(answered > 0);
    let peak = peak_memory_bytes(server.pid());
    assert!(
        peak < 128 * 1024 * 1024,
        "peak {} MiB",
        peak / (1024 * 1024)
    );
}

#[tokio::test]
async fn serve_runs_the_console_alone_with_no_token_and_no_webhook_listener() {
    let state = tempfile::tempdir().unwrap();
    let (admin, webhooks) = (free_address(), free_address());
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["serve", "--role", "console", "--now", NOW])
        .args(["--admin-listen", &admin.to_string()])
        .args(["--listen", &webhooks.to_string()])
        .args(["--flows", shipped_flows_dir().to_str().unwrap()])
        .args(["--state-dir", state.path().to_str().unwrap()])
        .env_remove("TWILIO_AUTH_TOKEN")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(admin).is_err() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "serve --role console stopped"
        );
        assert!(Instant::now() < deadline, "the console never listened");
        std::thread::sleep(Duration::from_millis(20));
    }
    let site = ConsoleSite::at(admin);
    assert_eq!(site.get("/healthz", "").await.status, 200);
    assert_eq!(site.get("/login", "").await.status, 200);
    assert!(
        std::net::TcpStream::connect(webhooks).is_err(),
        "a console-only server listened for webhooks"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn serve_refuses_a_console_address_for_a_webhooks_only_server_and_no_address_for_a_console() {
    let state = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
            .arg("serve")
            .args(args)
            .args(["--state-dir", state.path().to_str().unwrap()])
            .env("TWILIO_AUTH_TOKEN", TOKEN)
            .output()
            .unwrap()
    };
    let both = run(&["--role", "webhooks", "--admin-listen", "127.0.0.1:0"]);
    assert!(!both.status.success());
    assert!(text(&both.stderr).contains("--role webhooks serves no console"));
    let none = run(&["--role", "console"]);
    assert!(!none.status.success());
    assert!(text(&none.stderr).contains("--role console needs --admin-listen"));
}
