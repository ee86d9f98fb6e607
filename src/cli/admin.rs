//! `switchboard admin`: the ops console's users, kept in the store.

use std::io::{BufRead as _, IsTerminal as _};

use anyhow::{Context as _, bail};
use switchboard::store::{Role, User};

use super::{Done, StateDir};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
    #[command(flatten)]
    state: StateDir,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Add a user, or give one a new role and password. The password is read from stdin
    /// (asked for, not echoed, on a terminal); at least 12 characters.
    AddUser {
        name: String,
        #[arg(long, value_enum)]
        role: Role,
    },
    /// Remove a user; their sessions end at once.
    RemoveUser { name: String },
    /// List the users and their roles.
    ListUsers,
}

impl Args {
    pub fn execute(self) -> anyhow::Result<Done> {
        let runtime = super::runtime()?;
        let store = self.state.open(&runtime)?;
        let by = super::cli_user();
        runtime.block_on(async {
            match self.action {
                Action::AddUser { name, role } => {
                    let password = read_password()?;
                    let user = User::new(&name, role, &password)?;
                    let mut change = store.change(&by).await?;
                    let new = change.put_user(&user).await?;
                    let (what, before) = if new {
                        (
                            format!("add console user {name}"),
                            "no such user".to_owned(),
                        )
                    } else {
                        (
                            format!("change console user {name}"),
                            format!("{name}: a user"),
                        )
                    };
                    change
                        .audit(&what, "", &before, &format!("{name}: {}", role.as_str()))
                        .await?;
                    change.commit().await?;
                    out!(
                        "{} {name} ({}) in the store {}",
                        if new { "added" } else { "changed" },
                        role.as_str(),
                        store.url()
                    );
                }
                Action::RemoveUser { name } => {
                    let mut change = store.change(&by).await?;
                    if !change.remove_user(&name).await? {
                        bail!("there is no user {name:?}");
                    }
                    change
                        .audit(
                            &format!("remove console user {name}"),
                            "",
                            &name,
                            "no such user",
                        )
                        .await?;
                    change.commit().await?;
                    out!("removed {name}; their sessions have ended");
                }
                Action::ListUsers => {
                    let all = store.users().await?;
                    if all.is_empty() {
                        out!("no users in the store {}", store.url());
                    }
                    for user in all {
                        out!("{}\t{}", user.name, user.role.as_str());
                    }
                }
            }
            Ok(Done::Ok)
        })
    }
}

fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let again = rpassword::prompt_password("The same again: ")?;
        if first != again {
            bail!("the two passwords differ");
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from stdin")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}
