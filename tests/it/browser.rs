//! The ops console in a real browser: headless Chromium, driven through chromedriver, logs in,
//! reads the lines, throws the emergency switch, hears the Doctor support line closed in a
//! signed webhook, and reopens it. It takes a screenshot of each page on the way (into
//! `target/console-screenshots/`, and into `$SWITCHBOARD_SCREENSHOTS_TO` when set, as the
//! README's are made: `SWITCHBOARD_SCREENSHOTS_TO=docs/console cargo test -- --ignored browser`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::process::{Server, free_address};
use crate::support::*;
use fantoccini::{Client, ClientBuilder, Locator};

/// Wednesday 2 December 2026, in office hours.
const NOW: &str = "2026-12-02T11:00:00Z";
const PASSWORD: &str = "correct horse battery";
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// chromedriver on a port of its own, stopped when dropped.
struct Driver(Child, String);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_driver() -> Driver {
    let address = free_address();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={}", address.port()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(address).is_err() {
        assert!(
            Instant::now() < deadline,
            "chromedriver did not start listening"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Driver(child, format!("http://{address}"))
}

async fn browser(driver: &Driver, profile: &Path) -> Client {
    // As this machine's Chromium must be started: no sandbox as root, and nothing that reaches
    // for the network on its own.
    let options = serde_json::json!({
        "binary": CHROMIUM,
        "args": [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--window-size=1100,1500", format!("--user-data-dir={}", profile.display()),
        ],
    });
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("goog:chromeOptions".into(), options);
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&driver.1)
        .await
        .expect("chromedriver gives a session")
}

struct Shots(Vec<PathBuf>);

impl Shots {
    fn new() -> Shots {
        let mut dirs =
            vec![PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/console-screenshots")];
        if let Some(to) = std::env::var_os("SWITCHBOARD_SCREENSHOTS_TO") {
            dirs.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(to));
        }
        for dir in &dirs {
            std::fs::create_dir_all(dir).unwrap();
        }
        Shots(dirs)
    }

    async fn take(&self, browser: &Client, name: &str) {
        let png = browser.screenshot().await.unwrap();
        assert!(png.starts_with(b"\x89PNG"), "a screenshot is a PNG");
        for dir in &self.0 {
            std::fs::write(dir.join(format!("{name}.png")), &png).unwrap();
        }
    }
}

/// The page's main text; `None` while a page is loading (its element not there yet, or gone).
/// axe-core's script, from `SWITCHBOARD_AXE_JS` (`.ci/run` installs it from npm).
fn axe_script() -> String {
    let path = std::env::var("SWITCHBOARD_AXE_JS").expect(
        "set SWITCHBOARD_AXE_JS to axe-core's axe.min.js (npm install axe-core; .ci/run does)",
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The serious and critical accessibility problems axe-core finds in the page now.
async fn accessibility_problems(browser: &Client, axe: &str) -> Vec<String> {
    browser.execute(axe, vec![]).await.expect("axe-core loads");
    let found = browser
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document).then(r => done(r.violations
                 .filter(v => v.impact === 'serious' || v.impact === 'critical')
                 .map(v => v.impact + ' ' + v.id + ': ' + v.help + ' (' + v.nodes.length + ')')));",
            vec![],
        )
        .await
        .expect("axe-core runs");
    serde_json::from_value(found).unwrap()
}

async fn main_text(browser: &Client) -> Option<String> {
    let main = browser.find(Locator::Css("main")).await.ok()?;
    main.text().await.ok()
}

/// Waits for the page's main text to contain `words`.
async fn wait_for(browser: &Client, words: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = main_text(browser).await.unwrap_or_default();
        if text.contains(words) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "the page never said {words:?}:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Types `text` into the field with the id `id`.
async fn type_into(browser: &Client, id: &str, text: &str) {
    let field = browser.find(Locator::Id(id)).await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// Presses the button that says `words`, as a person would find it.
async fn press(browser: &Client, words: &str) {
    let xpath = format!("//button[contains(., '{words}')]");
    let button = browser.find(Locator::XPath(&xpath)).await.unwrap();
    button.click().await.unwrap();
}

/// Adds a console user, as ops do: `switchboard admin add-user`, the password on stdin.
fn add_user(state: &Path, name: &str, role: &str) {
    let mut add_user = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["admin", "add-user", name, "--role", role, "--state-dir"])
        .arg(state)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    writeln!(add_user.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    assert!(add_user.wait().unwrap().success());
}

async fn log_in_as(browser: &Client, console: &str, user: &str) {
    browser.goto(&format!("{console}/login")).await.unwrap();
    type_into(browser, "username", user).await;
    type_into(browser, "password", PASSWORD).await;
    press(browser, "Log in").await;
    wait_for(browser, "The lines now").await;
}

#[tokio::test]
#[ignore = "needs Debian's chromium and chromium-driver: run with --ignored where they are installed (.ci/run does)"]
async fn a_callers_request_is_claimed_and_called_back_from_a_browser_and_a_viewer_sees_no_number() {
    assert!(
        Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists(),
        "install Debian's chromium and chromium-driver"
    );
    let state = tempfile::tempdir().unwrap();
    add_user(state.path(), "amira", "editor");
    add_user(state.path(), "ben", "viewer");
    let admin = free_address();
    // Saturday 5 December 2026: the Doctor support line is closed.
    let server = Server::start(
        state.path(),
        "2026-12-05T14:00:00Z",
        &["--admin-listen", &admin.to_string()],
    );
    let caller = [
        ("CallSid", "CA0123456789abcdef0123456789abcdef"),
        ("From", "+447911123456"),
        ("To", DOCTOR_SUPPORT),
        ("Digits", "1"),
    ];
    let (status, twiml) = server
        .post("/voice/doctor-support/call-back?attempt=1", &caller)
        .await;
    assert_eq!(status, 200, "{twiml}");
    assert!(twiml.contains("we have your request"), "{twiml}");

    let console = format!("http://{admin}");
    let driver = start_driver();
    let profile = tempfile::tempdir().unwrap();
    let browser = browser(&driver, profile.path()).await;
    let shots = Shots::new();
    log_in_as(&browser, &console, "amira").await;
    press_link(&browser, "Call backs").await;
    let queue = wait_for(&browser, "Request 1: +447911123456").await;
    assert!(queue.contains("Doctor support line"), "{queue}");
    assert!(
        queue.contains("Due Monday 7 December 2026, 11:00am"),
        "{queue}"
    );
    press(&browser, "Take this one on").await;
    wait_for(&browser, "You have request 1").await;
    shots.take(&browser, "call-backs").await;
    press(&browser, "Log out").await;

    // Ben, a viewer, sees who has it, but not the number.
    log_in_as(&browser, &console, "ben").await;
    browser
        .goto(&format!("{console}/call-backs"))
        .await
        .unwrap();
    let seen = wait_for(&browser, "Being called by amira").await;
    assert!(seen.contains("+*********456"), "{seen}");
    assert!(!seen.contains("7911123"), "{seen}");
    let source = browser.source().await.unwrap();
    assert!(
        !source.contains("7911123"),
        "the number is in the page's source"
    );
    assert!(
        !source.contains("Take this one on"),
        "a viewer has no buttons"
    );
    press(&browser, "Log out").await;

    log_in_as(&browser, &console, "amira").await;
    browser
        .goto(&format!("{console}/call-backs"))
        .await
        .unwrap();
    wait_for(&browser, "Request 1").await;
    type_into(
        &browser,
        "note-1",
        "spoke to them; they will call on Monday",
    )
    .await;
    press(&browser, "Called back").await;
    wait_for(&browser, "Nobody is waiting for a call back").await;
    browser.goto(&format!("{console}/audit")).await.unwrap();
    let audit = wait_for(&browser, "call back 1 called back").await;
    assert!(!audit.contains("7911123"), "{audit}");
    browser.close().await.unwrap();
}

/// Follows the link that says `words`.
async fn press_link(browser: &Client, words: &str) {
    let link = browser.find(Locator::LinkText(words)).await.unwrap();
    link.click().await.unwrap();
}

#[tokio::test]
#[ignore = "needs Debian's chromium and chromium-driver: run with --ignored where they are installed (.ci/run does)"]
async fn ops_close_and_reopen_the_doctor_support_line_from_a_browser() {
    assert!(
        Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists(),
        "install Debian's chromium and chromium-driver"
    );
    let state = tempfile::tempdir().unwrap();
    add_user(state.path(), "amira", "editor");
    let admin = free_address();
    let flows = tempfile::tempdir().unwrap();
    for name in ["wellbeing.toml", "doctor-support.toml"] {
        std::fs::copy(shipped_flows_dir().join(name), flows.path().join(name)).unwrap();
    }
    let server = Server::start_in(
        flows.path(),
        state.path(),
        NOW,
        &["--admin-listen", &admin.to_string()],
        &[],
    );
    let console = format!("http://{admin}");
    let driver = start_driver();
    let profile = tempfile::tempdir().unwrap();
    let browser = browser(&driver, profile.path()).await;
    let shots = Shots::new();

    browser.goto(&format!("{console}/")).await.unwrap();
    assert_eq!(browser.current_url().await.unwrap().path(), "/login");
    shots.take(&browser, "login").await;
    type_into(&browser, "username", "amira").await;
    type_into(&browser, "password", PASSWORD).await;
    press(&browser, "Log in").await;
    let dashboard = wait_for(&browser, "The lines now").await;
    assert!(dashboard.contains("Doctor support line"), "{dashboard}");
    assert!(dashboard.contains("OPEN — within its hours"), "{dashboard}");
    shots.take(&browser, "dashboard").await;

    // Throw the switch.
    assert!(
        !server
            .call(DOCTOR_SUPPORT)
            .await
            .contains("has had to close")
    );
    type_into(
        &browser,
        "note-doctor-support",
        "fire alarm: the office is evacuated",
    )
    .await;
    press(&browser, "Close the Doctor support line now").await;
    // Asked first, in callers' words.
    let asked = wait_for(&browser, "Close the Doctor support line now?").await;
    assert!(asked.contains("had to close"), "{asked}");
    shots.take(&browser, "switch-confirm").await;
    press(&browser, "Yes, close it now").await;
    let closed = wait_for(&browser, "The Doctor support line is closed from").await;
    assert!(
        closed.contains("the emergency switch closes it"),
        "{closed}"
    );
    shots.take(&browser, "switch-closed").await;
    let answer = server.call(DOCTOR_SUPPORT).await;
    assert!(answer.contains("has had to close"), "{answer}");

    // And reopen it.
    press(&browser, "Reopen the Doctor support line").await;
    wait_for(&browser, "Reopen the Doctor support line now?").await;
    press(&browser, "Yes, reopen it").await;
    wait_for(&browser, "The Doctor support line was reopened at").await;
    assert!(
        !server
            .call(DOCTOR_SUPPORT)
            .await
            .contains("has had to close")
    );

    // The other pages, as ops see them.
    browser
        .goto(&format!(
            "{console}/lines/doctor-support?at=2026-12-25T10:00:00Z&keys="
        ))
        .await
        .unwrap();
    let line = wait_for(&browser, "Opening hours, the next 14 days").await;
    assert!(line.contains("Christmas Day"), "{line}");
    shots.take(&browser, "line").await;
    let axe = axe_script();
    let mut problems = Vec::new();
    for path in [
        "/",
        "/lines/doctor-support",
        "/lines/wellbeing",
        "/audit",
        "/history",
        "/call-backs",
    ] {
        browser.goto(&format!("{console}{path}")).await.unwrap();
        wait_for(&browser, "").await;
        for problem in accessibility_problems(&browser, &axe).await {
            problems.push(format!("{path}: {problem}"));
        }
    }
    assert!(problems.is_empty(), "axe-core: {problems:#?}");
    browser.goto(&format!("{console}/audit")).await.unwrap();
    let audit = wait_for(&browser, "emergency close doctor-support").await;
    assert!(
        audit.contains("fire alarm: the office is evacuated"),
        "{audit}"
    );
    shots.take(&browser, "audit").await;
    browser.goto(&format!("{console}/history")).await.unwrap();
    wait_for(&browser, "in force").await;
    shots.take(&browser, "history").await;
    // On a phone.
    browser.set_window_size(390, 844).await.unwrap();
    browser.goto(&format!("{console}/")).await.unwrap();
    wait_for(&browser, "The lines now").await;
    shots.take(&browser, "dashboard-phone").await;

    // Logging out ends the session.
    press(&browser, "Log out").await;
    browser.goto(&format!("{console}/")).await.unwrap();
    assert_eq!(browser.current_url().await.unwrap().path(), "/login");
    browser.close().await.unwrap();
}
