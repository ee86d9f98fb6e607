//! `switchboard admin`: the ops console's users, kept in the state directory.

use std::io::{BufRead as _, IsTerminal as _};

use anyhow::{Context as _, bail};
use switchboard::console::users::{self, Role};

use super::{Done, StateDir, in_full};

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
    /// Remove a user; their sessions end when the server next checks them.
    RemoveUser { name: String },
    /// List the users and their roles.
    ListUsers,
}

impl Args {
    pub fn execute(self) -> anyhow::Result<Done> {
        let dir = &self.state.dir;
        match self.action {
            Action::AddUser { name, role } => {
                let password = read_password()?;
                let new = users::add(dir, &name, role, &password)?;
                println!(
                    "{} {name} ({}) in {}",
                    if new { "added" } else { "changed" },
                    role.as_str(),
                    in_full(&users::users_file(dir)).display()
                );
            }
            Action::RemoveUser { name } => {
                users::remove(dir, &name)?;
                println!("removed {name}");
            }
            Action::ListUsers => {
                let all = users::load(dir)?;
                if all.is_empty() {
                    println!("no users in {}", in_full(&users::users_file(dir)).display());
                }
                for user in all {
                    println!("{}\t{}", user.name, user.role.as_str());
                }
            }
        }
        Ok(Done::Ok)
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
