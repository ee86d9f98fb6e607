//! `switchboard holidays`: a division's bank holidays, offline.

use anyhow::bail;
use switchboard::calendar::{Division, hours};

use super::{Done, StateDir};

#[derive(clap::Args)]
pub struct Args {
    /// england-and-wales, scotland or northern-ireland.
    #[arg(long)]
    division: Division,
    /// The first year, e.g. 2026.
    #[arg(long)]
    from: i32,
    /// The last year, included.
    #[arg(long)]
    to: i32,
    #[command(flatten)]
    state: StateDir,
}

impl Args {
    pub fn execute(self) -> anyhow::Result<Done> {
        holidays(self.division, self.from, self.to, &self.state)?;
        Ok(Done::Ok)
    }
}

fn holidays(division: Division, from: i32, to: i32, state: &StateDir) -> anyhow::Result<()> {
    use switchboard::calendar::holidays::{FIRST_YEAR, LAST_YEAR};
    if !(FIRST_YEAR..=LAST_YEAR).contains(&from) || !(FIRST_YEAR..=LAST_YEAR).contains(&to) {
        bail!(
            "the calendar covers {FIRST_YEAR} to {LAST_YEAR}; --from {from} --to {to} is outside it"
        );
    }
    if from > to {
        bail!("--from {from} is after --to {to}");
    }
    let runtime = super::runtime()?;
    let holidays = match state.open_existing(&runtime)? {
        Some(store) => runtime.block_on(super::holidays_in(&store))?,
        None => switchboard::calendar::BankHolidays::builtin(),
    };
    super::print(&hours::holidays_csv(&holidays, division, from, to))?;
    Ok(())
}
