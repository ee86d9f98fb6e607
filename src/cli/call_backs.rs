//! `switchboard callbacks`: the requests for a call back that callers left, for the team that
//! calls them. Numbers are masked to their last three digits unless `--show-numbers`.

use clap::Subcommand;
use switchboard::ops;
use switchboard::store::call_backs::{CallBack, Closing};

use super::{Done, Format, StateDir};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
    #[command(flatten)]
    state: StateDir,
}

#[derive(Subcommand)]
enum Action {
    /// The open requests, oldest first (or every request with --all, newest first).
    List {
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Show each number in full (to call it back); masked to its last three digits otherwise.
        #[arg(long)]
        show_numbers: bool,
        /// Closed requests too.
        #[arg(long)]
        all: bool,
    },
    /// Mark a request called back (or closed without a call, with --closed).
    Done {
        /// The request's number, as `list` shows it.
        id: i64,
        /// What happened, for the team.
        #[arg(long)]
        note: String,
        /// Closed without calling back (a wrong number, a duplicate, asked not to).
        #[arg(long)]
        closed: bool,
    },
}

fn shown(request: &CallBack, show_numbers: bool) -> String {
    if show_numbers {
        request.number.clone()
    } else {
        request.masked()
    }
}

impl Args {
    pub fn execute(self) -> anyhow::Result<Done> {
        let runtime = super::runtime()?;
        let store = self.state.open(&runtime)?;
        runtime.block_on(async {
            match self.action {
                Action::List {
                    format,
                    show_numbers,
                    all,
                } => {
                    let requests = store.call_backs(!all).await?;
                    match format {
                        Format::Json => {
                            let rows: Vec<serde_json::Value> = requests
                                .iter()
                                .map(|r| {
                                    let mut row = serde_json::to_value(r).expect("plain data");
                                    row["number"] = shown(r, show_numbers).into();
                                    row["asked_at"] =
                                        switchboard::store::instant(r.asked_ms).into();
                                    row
                                })
                                .collect();
                            out!("{}", serde_json::Value::Array(rows));
                        }
                        Format::Text => {
                            if requests.is_empty() {
                                out!("no requests for a call back");
                            }
                            for r in &requests {
                                let state = match (&r.outcome, &r.claimed_by) {
                                    (Some(outcome), _) => outcome.clone(),
                                    (None, Some(who)) => format!("claimed by {who}"),
                                    (None, None) => "open".to_owned(),
                                };
                                out!(
                                    "{}\t{}\t{}\tasked {}\t{state}",
                                    r.id,
                                    shown(r, show_numbers),
                                    r.line,
                                    switchboard::store::instant(r.asked_ms)
                                );
                            }
                        }
                    }
                }
                Action::Done { id, note, closed } => {
                    let how = if closed {
                        Closing::Closed
                    } else {
                        Closing::CalledBack
                    };
                    let action = ops::CallBackAction::Close(how);
                    let done = ops::act_on_call_back(&store, &super::cli_user(), id, action, &note)
                        .await?;
                    out!("{}", done.said);
                }
            }
            Ok(Done::Ok)
        })
    }
}
