//! The ops console in a real browser: headless Chromium, driven through chromedriver, does
//! each ops task as a person would, on a desktop and then on a phone: closes the Doctor support
//! line with the emergency switch and undoes it, adds a closure day and removes it, tries a
//! call, rolls the flows back; each asked first and heard in signed webhooks to the running
//! server. axe-core checks every page on the way; a viewer finds nothing to change; a call back
//! is taken and called back. It takes a screenshot of each page (into
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
    let queue = wait_for(&browser, "Request 1: 07911 123456").await;
    assert!(queue.contains("Doctor support line"), "{queue}");
    assert!(
        queue.contains("Due Monday 7 December 2026, 11:00am"),
        "{queue}"
    );
    let dials = browser
        .find(Locator::Css(r#"a[href="tel:+447911123456"]"#))
        .await;
    assert!(dials.is_ok(), "the number is a link that dials");
    press(&browser, "Take this one on").await;
    wait_for(
        &browser,
        "You have taken on the request from the number ending 456",
    )
    .await;
    shots.take(&browser, "call-backs").await;
    press(&browser, "Log out").await;

    // Ben, a viewer, sees who has it, but not the number.
    log_in_as(&browser, &console, "ben").await;
    browser
        .goto(&format!("{console}/call-backs"))
        .await
        .unwrap();
    let seen = wait_for(&browser, "Being called by amira").await;
    assert!(seen.contains("number ending 456"), "{seen}");
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
    // Called back: asked first, in words; nothing changes until it is confirmed.
    press(&browser, "Called back").await;
    wait_for(
        &browser,
        "Mark the request from the number ending 456 as called back?",
    )
    .await;
    shots.take(&browser, "call-back-asked").await;
    type_into(&browser, "note", "spoke to them; they will call on Monday").await;
    press(&browser, "Yes, mark it called back").await;
    wait_for(&browser, "Nobody is waiting for a call back").await;
    // Undone from the notice, it is back in the queue; then called back again.
    press(&browser, "Reopen it").await;
    wait_for(&browser, "Reopened: the request from the number ending 456").await;
    wait_for(&browser, "Waiting (1)").await;
    press(&browser, "Called back").await;
    wait_for(&browser, "as called back?").await;
    type_into(&browser, "note", "spoke to them again").await;
    press(&browser, "Yes, mark it called back").await;
    // The Done list keeps who did what, and when.
    let done = wait_for(&browser, "Called back by amira, ").await;
    assert!(done.contains("Note: spoke to them again"), "{done}");
    shots.take(&browser, "call-backs-done").await;
    browser.goto(&format!("{console}/audit")).await.unwrap();
    let audit = wait_for(&browser, "call back 1 reopened").await;
    assert!(audit.contains("call back 1 called back"), "{audit}");
    assert!(!audit.contains("7911123"), "{audit}");
    browser.close().await.unwrap();
}

/// Follows the link that says `words`.
async fn press_link(browser: &Client, words: &str) {
    let link = browser.find(Locator::LinkText(words)).await.unwrap();
    link.click().await.unwrap();
}

/// A browser window's size: a desktop, or a phone held upright.
#[derive(Clone, Copy, PartialEq)]
enum Screen {
    Desktop,
    Phone,
}

impl Screen {
    /// What its screenshots' names end with.
    fn suffix(self) -> &'static str {
        match self {
            Screen::Desktop => "",
            Screen::Phone => "-phone",
        }
    }
}

/// Where one run of the ops tasks happens, and what it found wrong with the pages' access.
struct Ops<'a> {
    browser: &'a Client,
    console: &'a str,
    server: &'a Server,
    shots: &'a Shots,
    axe: String,
    problems: Vec<String>,
    screen: Screen,
}

impl Ops<'_> {
    async fn goto(&self, path: &str) {
        self.browser
            .goto(&format!("{}{path}", self.console))
            .await
            .unwrap();
    }

    /// Takes a screenshot of the page, and checks its accessibility and, on a phone, that the
    /// page as a whole does not scroll sideways (a wide table may, inside its own box).
    async fn look(&mut self, name: &str) {
        let name = format!("{name}{}", self.screen.suffix());
        self.shots.take(self.browser, &name).await;
        for problem in accessibility_problems(self.browser, &self.axe).await {
            self.problems.push(format!("{name}: {problem}"));
        }
        if self.screen == Screen::Phone {
            let widths = self
                .browser
                .execute(
                    "return [document.documentElement.scrollWidth, window.innerWidth];",
                    vec![],
                )
                .await
                .unwrap();
            let (page, window) = (widths[0].as_u64().unwrap(), widths[1].as_u64().unwrap());
            if page > window {
                self.problems.push(format!(
                    "{name}: the page is {page} px wide in a {window} px window"
                ));
            }
        }
    }

    /// What a new call to the Doctor support line hears first, from the running server.
    async fn doctor_support_heard(&self) -> String {
        self.server.call(DOCTOR_SUPPORT).await
    }

    /// The pages no task above ends on, looked at.
    async fn every_other_page(&mut self) {
        for (path, name) in [
            ("/lines/wellbeing", "line-wellbeing"),
            ("/history", "versions"),
            ("/audit", "changes"),
            ("/call-backs", "call-backs-queue"),
        ] {
            self.goto(path).await;
            wait_for(self.browser, "").await;
            self.look(name).await;
        }
    }

    /// Closes the Doctor support line with the switch, asked first; then undoes it from the
    /// notice, asked again.
    async fn close_and_reopen_the_line(&mut self) {
        self.goto("/").await;
        wait_for(self.browser, "The lines now").await;
        if self.screen == Screen::Phone {
            // On a phone the switch is the first thing on the page.
            let switch = self.browser.find(Locator::Id("switch")).await.unwrap();
            let first_line = self
                .browser
                .find(Locator::Css("section.line"))
                .await
                .unwrap();
            let (_, switch_at, _, _) = switch.rectangle().await.unwrap();
            let (_, line_at, _, _) = first_line.rectangle().await.unwrap();
            assert!(
                switch_at < line_at,
                "on a phone the switch ({switch_at}px down) comes before the lines ({line_at}px)"
            );
        }
        self.look("dashboard").await;
        assert!(
            !self
                .doctor_support_heard()
                .await
                .contains("has had to close")
        );
        type_into(
            self.browser,
            "note-doctor-support",
            "fire alarm: the office is evacuated",
        )
        .await;
        press(self.browser, "Close the Doctor support line now").await;
        // Asked first, in callers' words.
        let asked = wait_for(self.browser, "Close the Doctor support line now?").await;
        assert!(asked.contains("had to close"), "{asked}");
        self.look("switch-confirm").await;
        press(self.browser, "Yes, close it now").await;
        let closed = wait_for(self.browser, "The Doctor support line is closed from").await;
        assert!(
            closed.contains("the emergency switch closes it"),
            "{closed}"
        );
        self.look("switch-closed").await;
        assert!(
            self.doctor_support_heard()
                .await
                .contains("has had to close")
        );
        // The notice's undo, asked first too.
        press(self.browser, "Reopen it").await;
        wait_for(self.browser, "Reopen the Doctor support line now?").await;
        press(self.browser, "Yes, reopen it").await;
        wait_for(self.browser, "The Doctor support line was reopened at").await;
        assert!(
            !self
                .doctor_support_heard()
                .await
                .contains("has had to close")
        );
    }

    /// Closes the line for today with a reason, asked first with the reason as callers will
    /// hear it; then removes the day, asked again.
    async fn add_and_remove_a_closure_day(&mut self) {
        const REASON: &str = "the office is closed for staff training";
        self.goto("/lines/doctor-support").await;
        wait_for(self.browser, "Closure days").await;
        // A date field's typing depends on the browser's locale; its value does not.
        self.browser
            .execute(
                "document.getElementById(arguments[0]).value = arguments[1];",
                vec!["date-closure-doctor-support".into(), "2026-12-02".into()],
            )
            .await
            .unwrap();
        type_into(self.browser, "value-closure-doctor-support", REASON).await;
        press(self.browser, "Add the closure day").await;
        let asked = wait_for(
            self.browser,
            "Add a closure day on Wednesday 2 December 2026?",
        )
        .await;
        assert!(asked.contains(REASON), "{asked}");
        self.look("day-confirm").await;
        press(self.browser, "Yes, add it").await;
        let added = wait_for(
            self.browser,
            "Added to the Doctor support line: closure day on Wednesday 2 December 2026.",
        )
        .await;
        assert!(
            added.contains(&format!("Wednesday 2 December 2026: {REASON}")),
            "{added}"
        );
        self.look("day-added").await;
        assert!(self.doctor_support_heard().await.contains(REASON));
        press(self.browser, "Remove Wednesday 2 December 2026").await;
        wait_for(
            self.browser,
            "Remove the closure day of Wednesday 2 December 2026?",
        )
        .await;
        press(self.browser, "Yes, remove it").await;
        wait_for(
            self.browser,
            "Removed from the Doctor support line: closure day on Wednesday 2 December 2026.",
        )
        .await;
        assert!(!self.doctor_support_heard().await.contains(REASON));
    }

    /// Sets a date field (its typing depends on the browser's locale; its value does not).
    async fn set_date(&self, id: &str, date: &str) {
        self.browser
            .execute(
                "document.getElementById(arguments[0]).value = arguments[1];",
                vec![id.into(), date.into()],
            )
            .await
            .unwrap();
    }

    /// Asks to add a closure day on `date` with `reason`: the page's words once they say
    /// `expected`.
    async fn ask_for_a_closure(&self, date: &str, reason: &str, expected: &str) -> String {
        self.goto("/lines/doctor-support").await;
        wait_for(self.browser, "Closure days").await;
        self.set_date("date-closure-doctor-support", date).await;
        type_into(self.browser, "value-closure-doctor-support", reason).await;
        press(self.browser, "Add the closure day").await;
        wait_for(self.browser, expected).await
    }

    /// Special hours previewed at the moments they change; days said before anything is
    /// asked; a listed day's reason corrected in place.
    async fn days_said_before_asking(&mut self) {
        // Christmas Eve, 10am to 1pm, with a reason: the 1:30pm caller is told the line is
        // closed, and why.
        self.goto("/lines/doctor-support").await;
        wait_for(self.browser, "Special hours").await;
        self.set_date("date-special_hours-doctor-support", "2026-12-24")
            .await;
        type_into(
            self.browser,
            "value-special_hours-doctor-support",
            "10am to 1pm",
        )
        .await;
        type_into(
            self.browser,
            "reason-special_hours-doctor-support",
            "the office closes at 1pm on Christmas Eve",
        )
        .await;
        press(self.browser, "Add the special hours").await;
        let asked = wait_for(self.browser, "at 1:30pm hears first").await;
        let after = asked
            .split("at 1:30pm hears first")
            .nth(1)
            .unwrap_or_default();
        assert!(
            after.contains("We are closed now: the office closes at 1pm on Christmas Eve."),
            "{asked}"
        );
        self.look("special-hours-confirm").await;
        press_link(self.browser, "Cancel: change nothing").await;
        wait_for(self.browser, "Closure days").await;
        // A past day: said at once, nothing asked.
        let past = self
            .ask_for_a_closure("2026-12-01", "a team day", "is in the past")
            .await;
        assert!(
            past.contains("Tuesday 1 December 2026 is in the past"),
            "{past}"
        );
        assert!(!past.contains("Yes, add it"), "{past}");
        // A Saturday: asked, with the warning.
        let saturday = self
            .ask_for_a_closure("2026-12-19", "a team day", "Add a closure day on Saturday")
            .await;
        assert!(
            saturday.contains("is a Saturday, when the line is usually closed"),
            "{saturday}"
        );
        press_link(self.browser, "Cancel: change nothing").await;
        // A listed day: said at once; its reason corrected in place.
        self.ask_for_a_closure("2026-12-16", "a team day", "Add a closure day on Wednesday")
            .await;
        press(self.browser, "Yes, add it").await;
        wait_for(self.browser, "Added to the Doctor support line").await;
        let listed = self
            .ask_for_a_closure("2026-12-16", "a team day", "already has a closure day")
            .await;
        assert!(
            listed.contains("Wednesday 16 December 2026 already has a closure day"),
            "{listed}"
        );
        let field = "change-closure-doctor-support-2026-12-16";
        let input = self.browser.find(Locator::Id(field)).await.unwrap();
        input.clear().await.unwrap();
        input
            .send_keys("the team is away for training")
            .await
            .unwrap();
        press(self.browser, "Change Wednesday 16 December 2026").await;
        wait_for(
            self.browser,
            "Change the closure day of Wednesday 16 December 2026?",
        )
        .await;
        press(self.browser, "Yes, change it").await;
        let changed = wait_for(self.browser, "now says “the team is away for training”").await;
        assert!(changed.contains("Change it back"), "{changed}");
        press(self.browser, "Remove Wednesday 16 December 2026").await;
        wait_for(
            self.browser,
            "Remove the closure day of Wednesday 16 December 2026?",
        )
        .await;
        press(self.browser, "Yes, remove it").await;
        wait_for(self.browser, "Removed from the Doctor support line").await;
    }

    /// Plays a call now (the time left blank), pressing 1: the answer comes first on the page.
    async fn try_a_call(&mut self) {
        self.goto("/lines/wellbeing").await;
        wait_for(self.browser, "Try a call").await;
        type_into(self.browser, "does", "1").await;
        press(self.browser, "Play the call").await;
        let heard = wait_for(self.browser, "What the caller hears").await;
        assert!(
            heard.find("What the caller hears") < heard.find("Try a call"),
            "the answer is at the top: {heard}"
        );
        assert!(
            heard.contains("020 7946 0101"),
            "pressing 1 reaches counselling, said as people write the number: {heard}"
        );
        self.look("try-a-call").await;
        // The diagram is drawn, and can be made larger without a script.
        let larger = self
            .browser
            .find(Locator::Css("label[for=zoom-large]"))
            .await
            .unwrap();
        let picture = self
            .browser
            .find(Locator::Css(".diagram svg"))
            .await
            .unwrap();
        let (_, _, fit, _) = picture.rectangle().await.unwrap();
        larger.click().await.unwrap();
        let (_, _, zoomed, _) = picture.rectangle().await.unwrap();
        assert!(
            zoomed > fit,
            "Larger draws it larger: {fit}px, then {zoomed}px"
        );
        let choices = serde_json::to_value(&larger).unwrap();
        self.browser
            .execute("arguments[0].scrollIntoView();", vec![choices])
            .await
            .unwrap();
        self.look("diagram-larger").await;
    }

    /// Reads how the lines were used: the calls this test made are there, charted.
    async fn read_the_reports(&mut self) {
        self.goto("/reports").await;
        let reports = wait_for(self.browser, "Calls by hour of the week").await;
        assert!(reports.contains("Doctor support line"), "{reports}");
        let charts = self
            .browser
            .find_all(Locator::Css("svg.chart"))
            .await
            .unwrap();
        assert_eq!(charts.len(), 3, "{reports}");
        self.look("reports").await;
    }

    /// Puts back the version before the one in force, asked first with a reason.
    async fn roll_back(&mut self) {
        let before = self.server.call(WELLBEING).await;
        self.goto("/history").await;
        let history = wait_for(self.browser, "in force").await;
        assert!(
            history.contains("Wellbeing support line: what callers hear at “Welcome” changes to: “Hello, this is the wellbeing support line"),
            "{history}"
        );
        self.look("history").await;
        // On the desktop, back to the first version, before the edit of both files.
        let first_round = self.screen == Screen::Desktop;
        press(
            self.browser,
            if first_round {
                "Roll back to version 1"
            } else {
                "Roll back to"
            },
        )
        .await;
        let asked = wait_for(self.browser, "back in force?").await;
        if first_round {
            // What changes, in people's terms: both numbers as people write them.
            assert!(
                asked.contains("the number “Team” puts callers through to changes from 020 7946 0113 to 020 7946 0103"),
                "{asked}"
            );
            assert!(
                asked.contains("The files' difference, for engineers"),
                "{asked}"
            );
        }
        type_into(self.browser, "note", "the new welcome confused callers").await;
        self.look("roll-back-confirm").await;
        press(self.browser, "Yes, put version").await;
        wait_for(self.browser, "is in force on every server").await;
        if first_round {
            // The files still hold the change: said, with what putting them in force would bring back.
            self.goto("/history").await;
            let held = wait_for(self.browser, "The flow files are held back").await;
            assert!(
                held.contains("changes from 020 7946 0103 to 020 7946 0113"),
                "{held}"
            );
            self.look("files-held").await;
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.server.call(WELLBEING).await == before {
            assert!(
                Instant::now() < deadline,
                "callers never heard the version put back"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[tokio::test]
#[ignore = "needs Debian's chromium and chromium-driver: run with --ignored where they are installed (.ci/run does)"]
async fn ops_do_every_task_from_a_browser_on_a_desktop_and_on_a_phone() {
    assert!(
        Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists(),
        "install Debian's chromium and chromium-driver"
    );
    let state = tempfile::tempdir().unwrap();
    add_user(state.path(), "amira", "editor");
    add_user(state.path(), "ben", "viewer");
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
    // A second version of the flows, as an edit to a file puts one in force: a roll-back
    // has somewhere to go.
    let wellbeing = flows.path().join("wellbeing.toml");
    let edited = std::fs::read_to_string(&wellbeing).unwrap().replace(
        "Welcome to the wellbeing support line:",
        "Hello, this is the wellbeing support line:",
    );
    // And the Doctor support team's number, in the same moment.
    let doctor_support = flows.path().join("doctor-support.toml");
    let team = std::fs::read_to_string(&doctor_support)
        .unwrap()
        .replace("+442079460103", "+442079460113");
    std::fs::write(&doctor_support, team).unwrap();
    std::fs::write(&wellbeing, edited).unwrap();
    server
        .call_until(
            WELLBEING,
            "Hello, this is the wellbeing support line",
            Duration::from_secs(10),
        )
        .await;

    let console = format!("http://{admin}");
    let driver = start_driver();
    let profile = tempfile::tempdir().unwrap();
    let browser = browser(&driver, profile.path()).await;
    let shots = Shots::new();
    browser.goto(&format!("{console}/")).await.unwrap();
    assert_eq!(browser.current_url().await.unwrap().path(), "/login");
    shots.take(&browser, "login").await;
    log_in_as(&browser, &console, "amira").await;

    let mut ops = Ops {
        browser: &browser,
        console: &console,
        server: &server,
        shots: &shots,
        axe: axe_script(),
        problems: Vec::new(),
        screen: Screen::Desktop,
    };
    for screen in [Screen::Desktop, Screen::Phone] {
        match screen {
            Screen::Phone => browser.set_window_size(390, 844).await.unwrap(),
            Screen::Desktop => browser.set_window_size(1366, 1500).await.unwrap(),
        }
        ops.screen = screen;
        ops.close_and_reopen_the_line().await;
        ops.add_and_remove_a_closure_day().await;
        ops.days_said_before_asking().await;
        ops.try_a_call().await;
        ops.roll_back().await;
        ops.read_the_reports().await;
        ops.every_other_page().await;
    }
    // The rest on a desktop again.
    browser.set_window_size(1100, 1500).await.unwrap();
    ops.screen = Screen::Desktop;
    // Every change is in the audit, with its reason.
    ops.goto("/audit").await;
    let audit = wait_for(
        &browser,
        "closed the Doctor support line with the emergency switch",
    )
    .await;
    assert!(
        audit.contains("fire alarm: the office is evacuated"),
        "{audit}"
    );
    assert!(
        audit.contains("the new welcome confused callers"),
        "{audit}"
    );
    ops.look("audit").await;
    for (path, name) in [
        ("/lines/doctor-support", "line"),
        ("/call-backs", "call-backs-none"),
    ] {
        ops.goto(path).await;
        wait_for(&browser, "").await;
        ops.look(name).await;
    }
    press(&browser, "Log out").await;

    // A viewer is told the pages are read-only, and has no control that would change anything.
    log_in_as(&browser, &console, "ben").await;
    for path in ["/lines/doctor-support", "/history", "/"] {
        ops.goto(path).await;
        let page = wait_for(&browser, "You can look but not change anything").await;
        assert!(
            !page.contains("Close the Doctor support line now"),
            "{page}"
        );
        assert!(!page.contains("Add the closure day"), "{page}");
        assert!(!page.contains("Roll back to"), "{page}");
    }
    ops.look("viewer").await;
    assert!(ops.problems.is_empty(), "axe-core: {:#?}", ops.problems);
    // Logging out ends the session.
    press(&browser, "Log out").await;
    ops.goto("/").await;
    assert_eq!(browser.current_url().await.unwrap().path(), "/login");
    browser.close().await.unwrap();
}
