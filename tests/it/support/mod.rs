//! A stand-in for Twilio: drives the real router in-process, signing every request, following
//! the action URLs of each answer the way Twilio does, and reading back what the caller heard.

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{DateTime, Utc};
use http_body_util::BodyExt;
use tower::ServiceExt;

use switchboard::flow::Flows;
use switchboard::server::{self, App, Auth, Clock};
use switchboard::signature;
use switchboard::twiml::tree::{self, Element};

pub mod postgres;
pub mod process;

pub const TOKEN: &str = "test-auth-token";
pub const PUBLIC_URL: &str = "https://switchboard.example.org";
pub const WELLBEING: &str = "+443301231245";
pub const DOCTOR_SUPPORT: &str = "+442073836707";
pub const COUNSELLING: &str = "+442079460101";
pub const PEER_SUPPORT: &str = "+442079460102";
pub const DOCTOR_SUPPORT_TEAM: &str = "+442079460103";
pub const CALLER: &str = "+447700900123";

pub fn shipped_flows_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("call-flows")
}

/// The shipped flow files as (path, text), named `call-flows/NAME.toml`, with `file`'s text
/// passed through `edit`, which must change it. With `file` empty, nothing is edited.
pub fn shipped_sources(file: &str, edit: impl Fn(&str) -> String) -> Vec<(PathBuf, String)> {
    let mut names: Vec<String> = std::fs::read_dir(shipped_flows_dir())
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".toml"))
        .collect();
    names.sort();
    assert!(
        file.is_empty() || names.iter().any(|n| n == file),
        "no {file}"
    );
    names
        .into_iter()
        .map(|name| {
            let original = std::fs::read_to_string(shipped_flows_dir().join(&name)).unwrap();
            let text = if name == file {
                let edited = edit(&original);
                assert_ne!(edited, original, "the edit of {file} changed nothing");
                edited
            } else {
                original
            };
            (PathBuf::from("call-flows").join(name), text)
        })
        .collect()
}

/// A copy of the shipped flows with one file's text edited by `edit`.
pub fn edited_flows(file: &str, edit: impl Fn(&str) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in shipped_sources(file, edit) {
        std::fs::write(dir.path().join(path.file_name().unwrap()), text).unwrap();
    }
    dir
}

/// A command's output as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn shipped_flows() -> Flows {
    switchboard::check::load_dir(&shipped_flows_dir())
        .unwrap_or_else(|d| panic!("the shipped flows must load:\n{d}"))
}

pub fn instant(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("an RFC 3339 instant")
        .with_timezone(&Utc)
}

/// The server's state: `flows`, the clock pinned at `now`, holidays by rule, no emergency.
pub fn app_state(flows: Flows, now: &str) -> App {
    App::new(
        flows,
        Clock::Fixed(instant(now)),
        Auth::token(TOKEN),
        Some(PUBLIC_URL.parse().unwrap()),
    )
}

pub fn app_with(flows: Flows, now: &str) -> axum::Router {
    server::router(Arc::new(app_state(flows, now)))
}

/// The router on the shipped flows with the clock pinned at `now`.
pub fn app(now: &str) -> axum::Router {
    app_with(shipped_flows(), now)
}

pub struct Reply {
    pub status: StatusCode,
    pub content_type: String,
    pub body: String,
}

impl Reply {
    pub fn twiml(&self) -> Element {
        assert_eq!(self.status, StatusCode::OK, "body: {}", self.body);
        assert!(
            self.content_type.starts_with("text/xml"),
            "content type {}",
            self.content_type
        );
        tree::parse(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// POSTs a form to `path_and_query`, signed as Twilio would sign it (or with `signature`).
pub async fn post(
    router: &axum::Router,
    path_and_query: &str,
    params: &[(&str, &str)],
    signature: Option<&str>,
) -> Reply {
    let body = form(params);
    let signature = match signature {
        Some(s) => s.to_owned(),
        None => signature::sign(
            TOKEN,
            &format!("{PUBLIC_URL}{path_and_query}"),
            &owned(params),
        ),
    };
    let request = Request::post(path_and_query)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(signature::HEADER, signature)
        .body(Body::from(body))
        .unwrap();
    send(router, request).await
}

pub async fn send(router: &axum::Router, request: Request<Body>) -> Reply {
    let response = router
        .clone()
        .oneshot(request)
        .await
        .expect("the router always answers");
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        content_type,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

/// The router's whole response, headers included.
pub async fn send_raw(router: &axum::Router, request: Request<Body>) -> axum::response::Response {
    router
        .clone()
        .oneshot(request)
        .await
        .expect("the router always answers")
}

pub async fn body_text(response: axum::response::Response) -> String {
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8_lossy(&bytes).into_owned()
}

pub fn owned(params: &[(&str, &str)]) -> Vec<(String, String)> {
    params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub fn form(params: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish()
}

/// One call in progress, as Twilio sees it.
pub struct Call {
    router: axum::Router,
    to: String,
    /// Twilio's `From`: the caller's number, or "anonymous" when it is withheld.
    from: String,
    /// The latest answer.
    pub twiml: Element,
    /// Every number dialled so far, in order.
    pub dialled: Vec<String>,
    /// Every webhook of the call so far and its answer, as Twilio's Call Events would list them.
    pub webhooks: Vec<Webhook>,
}

/// One webhook Twilio made, and the answer's body.
pub struct Webhook {
    pub path_and_query: String,
    pub params: Vec<(String, String)>,
    pub answer: String,
}

impl Call {
    pub async fn start(router: &axum::Router, to: &str) -> Call {
        Call::start_from(router, CALLER, to).await
    }

    /// A call from `from` ("anonymous" for a withheld number, as Twilio sends it).
    pub async fn start_from(router: &axum::Router, from: &str, to: &str) -> Call {
        let params = base_params(from, to);
        let reply = post(router, "/voice", &params, None).await;
        let mut call = Call {
            router: router.clone(),
            to: to.to_owned(),
            from: from.to_owned(),
            twiml: reply.twiml(),
            dialled: Vec::new(),
            webhooks: vec![Webhook {
                path_and_query: "/voice".into(),
                params: owned(&params),
                answer: reply.body.clone(),
            }],
        };
        call.note_dials();
        call
    }

    /// All the text said in the latest answer, inside a Gather or not.
    pub fn heard(&self) -> String {
        self.twiml
            .descendants()
            .into_iter()
            .filter(|e| e.name == "Say")
            .map(|e| e.text().trim().to_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn find(&self, name: &str) -> Option<&Element> {
        self.twiml
            .descendants()
            .into_iter()
            .find(|e| e.name == name)
    }

    pub fn gather(&self) -> Option<&Element> {
        self.find("Gather")
    }

    pub fn dial(&self) -> Option<&Element> {
        self.find("Dial")
    }

    /// The number being dialled by the latest answer, if it dials.
    pub fn dialling(&self) -> Option<String> {
        self.dial().map(|d| d.text().trim().to_owned())
    }

    pub fn hung_up(&self) -> bool {
        self.find("Hangup").is_some()
    }

    /// The step the latest answer waits at, from its action URL.
    pub fn waiting_at(&self) -> String {
        let action = self
            .gather()
            .or(self.dial())
            .expect("the answer waits for something")
            .attribute("action")
            .unwrap();
        action.trim_start_matches("/voice/").to_owned()
    }

    pub async fn press(&mut self, keys: &str) {
        let action = self
            .gather()
            .expect("a menu to press keys at")
            .attribute("action")
            .unwrap()
            .to_owned();
        self.follow(&action, &[("Digits", keys)]).await;
    }

    pub async fn say(&mut self, words: &str) {
        let gather = self.gather().expect("a menu to speak at");
        assert_eq!(
            gather.attribute("input"),
            Some("dtmf speech"),
            "this menu does not listen for speech"
        );
        let action = gather.attribute("action").unwrap().to_owned();
        self.follow(&action, &[("SpeechResult", words), ("Confidence", "0.9")])
            .await;
    }

    /// The caller says nothing: Twilio runs the verb after the Gather, our Redirect.
    pub async fn silence(&mut self) {
        assert!(
            self.gather().is_some(),
            "silence only means something at a menu"
        );
        let redirect = self.twiml.elements().last().expect("an answer with verbs");
        assert_eq!(
            redirect.name, "Redirect",
            "a Gather must be followed by a Redirect: {:?}",
            self.twiml
        );
        let url = redirect.text().trim().to_owned();
        self.follow(&url, &[]).await;
    }

    /// The connection the latest answer dialled ends with Twilio's `DialCallStatus`.
    pub async fn dial_ends(&mut self, status: &str) {
        let action = self
            .dial()
            .expect("a dial to end")
            .attribute("action")
            .unwrap()
            .to_owned();
        self.follow(&action, &[("DialCallStatus", status)]).await;
    }

    async fn follow(&mut self, url: &str, extra: &[(&str, &str)]) {
        let mut params = base_params(&self.from, &self.to);
        params.extend_from_slice(extra);
        let reply = post(&self.router, url, &params, None).await;
        self.twiml = reply.twiml();
        self.webhooks.push(Webhook {
            path_and_query: url.to_owned(),
            params: owned(&params),
            answer: reply.body,
        });
        self.note_dials();
    }

    fn note_dials(&mut self) {
        if let Some(number) = self.dialling() {
            self.dialled.push(number);
        }
    }
}

fn base_params<'a>(from: &'a str, to: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("AccountSid", "AC00000000000000000000000000000000"),
        ("CallSid", "CA11111111111111111111111111111111"),
        ("CallStatus", "in-progress"),
        ("Direction", "inbound"),
        ("From", from),
        ("To", to),
    ]
}

/// A server's link to a store of its own (SQLite in a temporary directory, kept alive by the
/// returned directory): the flows in `dir` published, and a follower keeping `app` current.
pub async fn following_a_store(
    app: &Arc<App>,
    dir: &std::path::Path,
) -> (switchboard::store::Store, tempfile::TempDir) {
    let state = tempfile::tempdir().unwrap();
    let url = switchboard::store::DatabaseUrl::sqlite_in(state.path());
    let store = switchboard::store::Store::open(&url).await.unwrap();
    follow(app, &store, dir).await;
    (store, state)
}

/// Publishes the flows in `dir` to `store` (if new there) and keeps `app` current with it.
pub async fn follow(app: &Arc<App>, store: &switchboard::store::Store, dir: &std::path::Path) {
    use switchboard::server::{follow::Follower, reload};
    let set = reload::read_checked(dir).unwrap_or_else(|_| panic!("{} loads", dir.display()));
    reload::publish_if_new(store, &set, dir).await.unwrap();
    let follower = Follower::start(app.clone(), store.clone(), set.flows, "127.0.0.1:0")
        .await
        .unwrap();
    tokio::spawn(follower.run());
}

/// Of an answer's Set-Cookie values, the session's if it sets one (a login also ends the
/// login form's cookie), else the first; "" if there is none.
pub fn set_cookie<'a>(values: impl Iterator<Item = &'a str>) -> String {
    let values: Vec<&str> = values.collect();
    let session = format!("{}=", switchboard::console::auth::COOKIE);
    let chosen = values.iter().find(|v| v.starts_with(&session));
    chosen
        .or(values.first())
        .copied()
        .unwrap_or_default()
        .to_owned()
}

/// The login form's cookie (`name=value`, from its Set-Cookie) and the token its form carries.
pub fn login_form_token(set_cookie: &str, page: &str) -> (String, String) {
    let cookie = set_cookie.split(';').next().unwrap_or_default().to_owned();
    let token = page
        .split("name=\"login\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no login token in the form: {page}"))
        .to_owned();
    (cookie, token)
}

/// Adds a console user to `store`, audited, as `switchboard admin add-user` does.
pub async fn add_user(
    store: &switchboard::store::Store,
    name: &str,
    role: switchboard::store::Role,
    password: &str,
) {
    let mut change = store.change("test").await.unwrap();
    let user = switchboard::store::User::new(name, role, password).unwrap();
    change.put_user(&user).await.unwrap();
    change
        .audit(&format!("add console user {name}"), "", "", "")
        .await
        .unwrap();
    change.commit().await.unwrap();
}
