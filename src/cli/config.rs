//! One configuration file for every command: `--config FILE` (or `SWITCHBOARD_CONFIG`) names a
//! TOML file whose keys are the commands' long flags (`flows`, `state-dir`, `listen`,
//! `public-url`, ...). A flag on the command line wins, then a `SWITCHBOARD_*` variable, then
//! the file, then the built-in default. Relative paths in the file are taken from the file's
//! own directory, so every command run with it reads the same directories.
//!
//! ```toml
//! flows = "/etc/switchboard/call-flows"
//! state-dir = "/var/lib/switchboard"
//! listen = "0.0.0.0:8080"
//! public-url = "https://ivr.example.org"
//! ```

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

/// The settings whose values are paths, resolved against the file's directory.
const PATHS: [&str; 3] = ["flows", "state-dir", "record"];

/// The file named by `--config FILE`, `--config=FILE` or `SWITCHBOARD_CONFIG`, if any.
fn named(args: &[String]) -> Option<PathBuf> {
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if arg == "--config" {
            return args.next().map(PathBuf::from);
        }
        if let Some(path) = arg.strip_prefix("--config=") {
            return Some(PathBuf::from(path));
        }
    }
    std::env::var_os("SWITCHBOARD_CONFIG")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// `command` with the configuration file's settings as its defaults, every subcommand's.
pub fn apply(command: clap::Command, args: &[String]) -> anyhow::Result<clap::Command> {
    let Some(file) = named(args) else {
        return Ok(command);
    };
    let text = std::fs::read_to_string(&file)
        .with_context(|| format!("reading the configuration file {}", file.display()))?;
    let table: toml::Table = toml::from_str(&text).map_err(|e| {
        let line = e
            .span()
            .map_or(1, |s| text[..s.start].matches('\n').count() + 1);
        anyhow::anyhow!("{}:{line}: {}", file.display(), e.message().trim_end())
    })?;
    let base = std::path::absolute(&file)?
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_owned);
    let known: Vec<String> = command
        .get_subcommands()
        .flat_map(|c| c.get_arguments())
        .chain(command.get_arguments())
        .filter_map(|a| a.get_long().map(str::to_owned))
        .filter(|long| long != "config" && long != "help")
        .collect();
    let mut command = command;
    for (key, value) in &table {
        if !known.contains(key) {
            let line = text
                .lines()
                .position(|l| l.trim_start().starts_with(key.as_str()));
            bail!(
                "{}:{}: `{key}` is not a setting{}",
                file.display(),
                line.map_or(1, |l| l + 1),
                switchboard::flow::did_you_mean(key, known.iter().map(String::as_str))
            );
        }
        let value = match value {
            toml::Value::String(s) if PATHS.contains(&key.as_str()) => {
                base.join(s).display().to_string()
            }
            toml::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        command = command.mut_subcommands(|sub| {
            let has = sub.get_arguments().any(|a| a.get_long() == Some(key));
            if has {
                sub.mut_args(|a| {
                    if a.get_long() == Some(key) {
                        a.default_value(value.clone())
                    } else {
                        a
                    }
                })
            } else {
                sub
            }
        });
    }
    Ok(command)
}
