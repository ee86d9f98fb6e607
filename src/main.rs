//! The `switchboard` command: serve webhooks, check flows, simulate calls, and the calendar
//! tools ops use (holidays, hours, the emergency switch). This file parses the command line
//! and maps the outcome to an exit status; each subcommand is in `cli/`.

/// `println!` for a command's output. The reader may go away (`switchboard hours | head`):
/// that is an error the command returns, not a panic.
macro_rules! out {
    () => {
        crate::cli::print("\n")?
    };
    ($($arg:tt)*) => {
        crate::cli::print(&format!("{}\n", format_args!($($arg)*)))?
    };
}

mod cli;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser};

#[derive(Parser)]
#[command(
    name = "switchboard",
    version,
    about = "IVR routing for the UK doctors' wellbeing helplines"
)]
struct Cli {
    #[command(subcommand)]
    command: cli::Command,
    /// A TOML file of settings for every command, keyed by their long flags (see README).
    #[arg(long, global = true, env = "SWITCHBOARD_CONFIG")]
    config: Option<std::path::PathBuf>,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let command = match cli::config::apply(Cli::command(), &args) {
        Ok(command) => command,
        Err(e) => {
            eprintln!("switchboard: {e:#}");
            return ExitCode::from(2);
        }
    };
    let matches = command.get_matches_from(&args);
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    match cli.command.execute(&matches) {
        Ok(cli::Done::Ok) => ExitCode::SUCCESS,
        Ok(cli::Done::Found) => ExitCode::FAILURE,
        Err(e) if cli::reader_gone(&e) => {
            eprintln!("switchboard: the output was closed before all of it was written");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("switchboard: {e:#}");
            ExitCode::from(2)
        }
    }
}
