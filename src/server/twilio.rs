//! A request from Twilio, as the handlers take it: the body read within the limit, the
//! parameters decoded, and `X-Twilio-Signature` checked. Refused requests are a type
//! ([`Refusal`]) that answers for itself.

use std::sync::Arc;

use axum::extract::{FromRequest, MatchedPath, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use super::metrics::Counter;
use super::{App, Auth, PublicUrl, signature};
use crate::phone::Masked;

/// A webhook's parameters: first the body's (a POST's form, or a JSON body's top-level
/// fields), then the query's.
#[derive(Debug, Default)]
pub struct Params {
    all: Vec<(String, String)>,
    /// How many of the first are the POST form's, which the signature covers.
    signed: usize,
    /// Where the query's begin.
    query: usize,
}

impl Params {
    /// A GET's parameters are all in its URL. A POST's body is a form, unless the URL carries
    /// `bodySHA256`: then it is JSON, which the hash covers and the signature does not.
    pub fn of(method: &Method, query: Option<&str>, body: &[u8]) -> Params {
        let decode = |bytes: &[u8]| {
            form_urlencoded::parse(bytes)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect::<Vec<_>>()
        };
        let query = decode(query.unwrap_or("").as_bytes());
        let hashed = query.iter().any(|(k, _)| k == signature::BODY_HASH_PARAM);
        let (mut all, signed) = match (method == Method::POST, hashed) {
            (true, true) => (json_fields(body), 0),
            (true, false) => {
                let form = decode(body);
                let signed = form.len();
                (form, signed)
            }
            (false, _) => (Vec::new(), 0),
        };
        let query_start = all.len();
        all.extend(query);
        Params {
            all,
            signed,
            query: query_start,
        }
    }

    /// The URL's `bodySHA256`, if it carries one.
    pub fn body_hash(&self) -> Option<&str> {
        self.all[self.query..]
            .iter()
            .find(|(k, _)| k == signature::BODY_HASH_PARAM)
            .map(|(_, v)| v.as_str())
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.all
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn all(&self) -> &[(String, String)] {
        &self.all
    }

    /// The parameters Twilio's signature covers.
    pub fn signed(&self) -> &[(String, String)] {
        &self.all[..self.signed]
    }

    /// The CallSid if it looks like one; anything else is not logged as sent.
    pub fn call_sid(&self) -> &str {
        self.get("CallSid").filter(|s| is_sid(s)).unwrap_or("-")
    }

    /// The caller's number, masked for the logs.
    pub fn from(&self) -> Masked<'_> {
        Masked(self.get("From").unwrap_or(""))
    }
}

/// A JSON object's top-level fields with a string, number or boolean value, as parameters.
/// Anything else (a body that is not an object, nested values) gives nothing: the handlers
/// answer a request without the parameters they look for all the same.
fn json_fields(body: &[u8]) -> Vec<(String, String)> {
    let Ok(object) = serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(body)
    else {
        return Vec::new();
    };
    object
        .into_iter()
        .filter_map(|(name, value)| match value {
            serde_json::Value::String(text) => Some((name, text)),
            serde_json::Value::Number(n) => Some((name, n.to_string())),
            serde_json::Value::Bool(b) => Some((name, b.to_string())),
            _ => None,
        })
        .collect()
}

/// Twilio SIDs are two letters and 32 hex digits; anything else is not logged as given.
fn is_sid(text: &str) -> bool {
    (2..=64).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Why a request was not answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    Method,
    Signature,
    BodyTooLarge,
    BrokenBody,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (status, text) = match self {
            Refusal::Method => (StatusCode::METHOD_NOT_ALLOWED, "use POST or GET\n"),
            Refusal::Signature => (
                StatusCode::FORBIDDEN,
                "invalid or missing X-Twilio-Signature\n",
            ),
            Refusal::BodyTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "request body too large\n"),
            Refusal::BrokenBody => (StatusCode::BAD_REQUEST, "request body could not be read\n"),
        };
        let mut response = (status, text).into_response();
        if self == Refusal::Method {
            response
                .headers_mut()
                .insert(header::ALLOW, header::HeaderValue::from_static("GET, POST"));
        }
        response
    }
}

/// A webhook from Twilio, its signature checked (and counted and logged when it fails), but
/// taken either way: only the fallback URL uses it as it is, since it answers whatever.
pub struct TwilioRequest {
    pub uri: Uri,
    pub params: Params,
    pub signed: bool,
}

/// A webhook whose signature is Twilio's; anything else is refused with 403.
pub struct Signed(pub TwilioRequest);

impl FromRequest<Arc<App>> for TwilioRequest {
    type Rejection = Refusal;

    async fn from_request(request: Request, app: &Arc<App>) -> Result<Self, Refusal> {
        let (parts, body) = request.into_parts();
        if !matches!(parts.method, Method::GET | Method::POST) {
            return Err(Refusal::Method);
        }
        // The limit is the body-limit layer's; a body it cuts off is an error here.
        let body = axum::body::to_bytes(body, usize::MAX)
            .await
            .map_err(|error| refuse_body(&error))?;
        let params = Params::of(&parts.method, parts.uri.query(), &body);
        let signed = signature_holds(app, &parts, &params, &body);
        Ok(TwilioRequest {
            uri: parts.uri,
            params,
            signed,
        })
    }
}

impl FromRequest<Arc<App>> for Signed {
    type Rejection = Refusal;

    async fn from_request(request: Request, app: &Arc<App>) -> Result<Self, Refusal> {
        let request = TwilioRequest::from_request(request, app).await?;
        if request.signed {
            Ok(Signed(request))
        } else {
            Err(Refusal::Signature)
        }
    }
}

fn refuse_body(error: &axum::Error) -> Refusal {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = cause {
        if error.is::<http_body_util::LengthLimitError>() {
            return Refusal::BodyTooLarge;
        }
        cause = error.source();
    }
    Refusal::BrokenBody
}

/// Whether `X-Twilio-Signature` is Twilio's for this request; a failure is counted and
/// logged, by endpoint and reason.
fn signature_holds(app: &App, parts: &Parts, params: &Params, body: &[u8]) -> bool {
    let Auth::Twilio(secrets) = &app.auth else {
        return true;
    };
    let header = |name| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let checked = secrets.check(&signature::Signed {
        url: &signed_url_parts(app.public_url.as_ref(), &parts.headers, &parts.uri),
        params: params.signed(),
        signature: header(signature::HEADER_NAME),
        settings: header(signature::SETTINGS_HEADER_NAME),
        body_hash: params.body_hash().map(|hash| (hash, body)),
    });
    let Err(problem) = checked else {
        return true;
    };
    let endpoint = endpoint(parts);
    app.metrics.add(
        Counter::SignatureFailures,
        &[("endpoint", endpoint), ("reason", problem.as_str())],
    );
    tracing::warn!(
        endpoint,
        reason = problem.as_str(),
        "refused a request whose signature does not hold: {}",
        problem.explain()
    );
    false
}

/// The webhook's name for metrics and logs, from the route it matched.
fn endpoint(parts: &Parts) -> &'static str {
    let route = parts
        .extensions
        .get::<MatchedPath>()
        .map_or("", MatchedPath::as_str);
    match route.trim_start_matches('/').split('/').next() {
        Some("status") => "status",
        Some("fallback") => "fallback",
        _ => "voice",
    }
}

/// The URL Twilio signed, in pieces: the public URL's origin and prefix, then the path and
/// query received.
fn signed_url_parts<'a>(
    public: Option<&'a PublicUrl>,
    headers: &'a HeaderMap,
    uri: &'a Uri,
) -> [&'a str; 3] {
    let path_and_query = uri.path_and_query().map_or("/", |p| p.as_str());
    match public {
        Some(public) => [&public.origin, &public.prefix, path_and_query],
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("localhost");
            ["http://", host, path_and_query]
        }
    }
}
