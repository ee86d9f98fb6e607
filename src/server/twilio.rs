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

/// A webhook's parameters: first the ones Twilio signs (a POST's form), then the query's.
#[derive(Debug, Default)]
pub struct Params {
    all: Vec<(String, String)>,
    signed: usize,
}

impl Params {
    /// The POST form (a GET's parameters are in its URL), then the query's parameters.
    pub fn of(method: &Method, query: Option<&str>, body: &[u8]) -> Params {
        let decode = |bytes: &[u8]| {
            form_urlencoded::parse(bytes)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect::<Vec<_>>()
        };
        let mut all = if method == Method::POST {
            decode(body)
        } else {
            Vec::new()
        };
        let signed = all.len();
        all.extend(decode(query.unwrap_or("").as_bytes()));
        Params { all, signed }
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
        let signed = signature_holds(app, &parts, &params);
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
/// logged, by endpoint.
fn signature_holds(app: &App, parts: &Parts, params: &Params) -> bool {
    let Auth::Token(key) = &app.auth else {
        return true;
    };
    let url = signed_url_parts(app.public_url.as_ref(), &parts.headers, &parts.uri);
    let claimed = parts
        .headers
        .get(signature::HEADER_NAME)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if key.is_valid_for_parts(&url, params.signed(), claimed) {
        return true;
    }
    let endpoint = endpoint(parts);
    app.metrics
        .add(Counter::SignatureFailures, &[("endpoint", endpoint)]);
    tracing::warn!(
        endpoint,
        "refused a request whose X-Twilio-Signature does not match"
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
