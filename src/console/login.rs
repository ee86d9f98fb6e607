//! The login page, logging in (the throttle, the password checks, the form's token) and out.

use super::*;
use axum_extra::extract::cookie::Cookie;

mod view;

/// The login form, with a fresh token in its cookie and in the form: see [`auth::LOGIN_COOKIE`].
pub(super) async fn login_page(
    State(console): State<Arc<Console>>,
    cookies: CookieJar,
) -> Response {
    if session(&console, &cookies).await.is_ok() {
        return Redirect::to("/").into_response();
    }
    login_form(&console, StatusCode::OK, None)
}

/// The login form with `problem` said above it, answered with `status`.
pub(super) fn login_form(console: &Console, status: StatusCode, problem: Option<&str>) -> Response {
    let token = auth::random_token();
    let page = html(view::login(&token, problem));
    let cookies = CookieJar::new().add(auth::login_cookie(token, console.secure_cookies));
    (status, cookies, page).into_response()
}

/// What the login form sends.
#[derive(serde::Deserialize)]
pub(super) struct LoginForm {
    /// The form's token, the same as its cookie's.
    #[serde(default)]
    login: String,
    #[serde(default, deserialize_with = "trimmed")]
    username: String,
    #[serde(default)]
    password: String,
}

pub(super) async fn log_in(
    State(console): State<Arc<Console>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    cookies: CookieJar,
    Form(form): Form<LoginForm>,
) -> Result<Response, Denied> {
    let kept = cookies.get(auth::LOGIN_COOKIE).map_or("", |c| c.value());
    if kept.is_empty() || !auth::same_secret(&form.login, kept) {
        tracing::warn!(from = %peer.ip(), "console login refused: the form did not come from this console");
        let problem = "This form has expired or did not come from this console. Try again.";
        return Ok(login_form(&console, StatusCode::FORBIDDEN, Some(problem)));
    }
    let LoginForm {
        username: name,
        password,
        ..
    } = form;
    let from = peer.ip().to_string();
    let store = &console.store;
    // Counted before it is checked: concurrent guesses cannot all slip under the limit.
    let tried = store
        .login_try(&name, &from, auth::LOCKED_FOR, auth::MAX_TRIES)
        .await?;
    match auth::verdict(tried) {
        Verdict::Locked => {
            tracing::warn!(%from, "console login refused: too many wrong passwords for one name");
            let problem = "Too many wrong passwords for this user from here. Wait 15 minutes, or ask an editor to set a new password.";
            return Ok(login_form(
                &console,
                StatusCode::TOO_MANY_REQUESTS,
                Some(problem),
            ));
        }
        Verdict::After(wait) => tokio::time::sleep(wait).await,
    }
    let all = store.users().await?;
    let known = all.iter().any(|u| u.name == name);
    let (who, secret) = (name.clone(), password);
    let checked = console
        .passwords
        .run(move |verifier| verifier.verify(&all, &who, &secret))
        .await;
    let Ok(role) = checked else {
        tracing::warn!(%from, "console login put off: passwords are being checked for others");
        let problem = "Many people are logging in at once. Try again in a few seconds.";
        let mut answer = login_form(&console, StatusCode::TOO_MANY_REQUESTS, Some(problem));
        let retry = auth::TURN_WITHIN.as_secs().to_string();
        answer.headers_mut().insert(
            header::RETRY_AFTER,
            header::HeaderValue::from_str(&retry).expect("digits"),
        );
        return Ok(answer);
    };
    let Some(role) = role else {
        // A name typed is logged only if it is a user's: what else is typed there may be a
        // password put in the wrong field.
        let user = if known { name.as_str() } else { "(not a user)" };
        tracing::warn!(user, %from, "console login refused: wrong user name or password");
        let problem = "Wrong user name or password.";
        return Ok(login_form(
            &console,
            StatusCode::UNAUTHORIZED,
            Some(problem),
        ));
    };
    let token = auth::random_token();
    store.login_succeeded(&name, &from).await?;
    let csrf = auth::random_token();
    store
        .start_session(&token, &name, &csrf, auth::IDLE, auth::LONGEST)
        .await?;
    tracing::info!(user = %name, role = role.as_str(), "console login");
    // The login form's token has done its work.
    let used = Cookie::build(auth::LOGIN_COOKIE).path("/login");
    let cookies = cookies
        .remove(used)
        .add(auth::session_cookie(token, console.secure_cookies));
    Ok((cookies, Redirect::to("/")).into_response())
}

/// A form with nothing in it but its CSRF token.
#[derive(serde::Deserialize)]
pub(super) struct NoFields {}

pub(super) async fn log_out(
    State(console): State<Arc<Console>>,
    cookies: CookieJar,
    posted: Posted<NoFields>,
) -> Result<Response, Denied> {
    console.store.end_session(&posted.session.token).await?;
    let ended = auth::session_cookie(String::new(), console.secure_cookies);
    Ok((cookies.remove(ended), Redirect::to("/login")).into_response())
}
