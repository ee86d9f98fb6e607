//! `switchboard simulate`: a call played through the flows, as a caller would live it.

use anyhow::bail;
use chrono::{DateTime, Utc};
use clap::ArgMatches;
use switchboard::calendar::parse_instant;
use switchboard::engine::Context;
use switchboard::phone::E164;
use switchboard::simulate::{self, CallerAction};

use super::{Done, FlowsDir, StateDir, load};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    flows: FlowsDir,
    /// The number dialled, as people write it: 020 7383 6707, 0330 123 1245, +443301231245.
    #[arg(long, value_parser = written_number)]
    to: E164,
    /// Play the call on the default line when no line claims --to (as a real call would be).
    #[arg(long)]
    default_line: bool,
    /// The instant of the call (RFC 3339), e.g. 2026-12-25T10:00:00Z.
    #[arg(long, value_parser = parse_instant)]
    at: DateTime<Utc>,
    /// Keys pressed at the next menu; repeat for later menus.
    #[arg(long)]
    press: Vec<String>,
    /// Words said at the next menu; repeat for later menus.
    #[arg(long)]
    say: Vec<String>,
    /// How the next connection ends: completed, answered, busy, no-answer, failed, canceled.
    #[arg(long, value_parser = ["completed", "answered", "busy", "no-answer", "failed", "canceled"])]
    dial: Vec<String>,
    #[command(flatten)]
    state: StateDir,
}

impl Args {
    pub fn execute(self, matches: &ArgMatches) -> anyhow::Result<Done> {
        let actions = caller_actions(matches);
        simulate(&self, &actions)?;
        Ok(Done::Ok)
    }
}

/// --press, --say and --dial in the order given on the command line.
fn caller_actions(matches: &ArgMatches) -> Vec<CallerAction> {
    let mut actions: Vec<(usize, CallerAction)> = Vec::new();
    type MakeAction = fn(String) -> CallerAction;
    let kinds: [(&str, MakeAction); 3] = [
        ("press", CallerAction::Press),
        ("say", CallerAction::Say),
        ("dial", CallerAction::Dial),
    ];
    for (id, make) in kinds {
        if let (Some(values), Some(indices)) =
            (matches.get_many::<String>(id), matches.indices_of(id))
        {
            actions.extend(indices.zip(values).map(|(i, v)| (i, make(v.clone()))));
        }
    }
    actions.sort_by_key(|(i, _)| *i);
    actions.into_iter().map(|(_, a)| a).collect()
}

fn simulate(args: &Args, actions: &[CallerAction]) -> anyhow::Result<()> {
    let served = super::served(&args.state, &load(&args.flows.dir)?)?;
    let (flows, holidays, emergencies) = (&served.flows, &served.holidays, &served.emergencies);
    if flows.line_claiming(args.to.as_str()).is_none() && !args.default_line {
        bail!(
            "no line answers {}: the lines' numbers are {}; pass --default-line to hear what a call to it gets ({})",
            args.to,
            super::numbers_of_lines(flows),
            flows.line(flows.default_line()).id
        );
    }
    let ctx = Context {
        flows,
        holidays,
        emergencies,
        now: args.at,
    };
    let transcript = simulate::call(&ctx, args.to.as_str(), actions);
    super::print(&transcript.text())?;
    for action in &transcript.unused {
        let (flag, value) = match action {
            CallerAction::Press(keys) => ("--press", keys),
            CallerAction::Say(words) => ("--say", words),
            CallerAction::Dial(status) => ("--dial", status),
        };
        out!("not used: {flag} {value:?} (the call never came to it)");
    }
    Ok(())
}

/// `--to` as people write it.
fn written_number(text: &str) -> Result<E164, String> {
    E164::from_written(text).map_err(|e| e.to_string())
}
