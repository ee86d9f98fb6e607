//! The `switchboard` command: serve webhooks, check flows, simulate calls, and the calendar
//! tools ops use (holidays, hours, the emergency switch). This file parses the command line
//! and maps the outcome to an exit status; each subcommand is in `cli/`.

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
}

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    match cli.command.execute(&matches) {
        Ok(cli::Done::Ok) => ExitCode::SUCCESS,
        Ok(cli::Done::Found) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("switchboard: {e:#}");
            ExitCode::from(2)
        }
    }
}
