//! What the login page looks like.

use maud::{Markup, html};

use crate::console::layout::page;

/// The login form; `token` is the one its cookie holds too.
pub fn login(token: &str, problem: Option<&str>) -> Markup {
    page(
        "Log in",
        None,
        html! {
            @if let Some(problem) = problem { p.problem role="alert" { (problem) } }
            form method="post" action="/login" {
                input type="hidden" name="login" value=(token);
                label for="username" { "User name" }
                input type="text" id="username" name="username" autocomplete="username" required autofocus;
                label for="password" { "Password" }
                input type="password" id="password" name="password" autocomplete="current-password" required;
                p { button type="submit" { "Log in" } }
            }
        },
    )
}
