//! `switchboard replay`: recorded calls played again, in process or against a server.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use switchboard::calendar::BankHolidays;
use switchboard::fixture::{self, coverage::Coverage, replay::Target, replay::Verdict};
use switchboard::flow;

use super::{Done, FlowsDir, load};

#[derive(clap::Args)]
pub struct Args {
    /// Fixture files, or directories of them.
    #[arg(default_value = fixture::DEFAULT_DIR)]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    flows: FlowsDir,
    /// Replay against the server at this URL (its public URL), each webhook signed with
    /// TWILIO_AUTH_TOKEN, instead of in process.
    #[arg(long)]
    against: Option<String>,
    /// Write the answers the replay got into the fixtures that differ, to review with git.
    #[arg(long)]
    update: bool,
    /// Report the steps and branches of each line the fixtures reach, and those they miss.
    #[arg(long)]
    coverage: bool,
}

impl Args {
    pub fn execute(self) -> anyhow::Result<Done> {
        let clean = replay(
            &self.paths,
            &self.flows.dir,
            self.against.as_deref(),
            self.update,
            self.coverage,
        )?;
        Ok(if clean { Done::Ok } else { Done::Found })
    }
}

/// Replays the fixtures; `Ok(false)` when any differs or cannot be replayed.
fn replay(
    paths: &[PathBuf],
    dir: &Path,
    against: Option<&str>,
    update: bool,
    with_coverage: bool,
) -> anyhow::Result<bool> {
    let files = fixture::files(paths)?;
    if files.is_empty() {
        bail!(
            "no fixtures (*.toml) in {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let flows = load(dir)?;
    let holidays = BankHolidays::builtin();
    let target = match against {
        None => Target::InProcess {
            flows: &flows,
            holidays: &holidays,
        },
        Some(_) if with_coverage => bail!("--coverage needs an in-process replay, not --against"),
        Some(url) => {
            let token = super::secrets::secret(super::secrets::AUTH_TOKEN)?.context(
                "set TWILIO_AUTH_TOKEN (or TWILIO_AUTH_TOKEN_FILE) to the token the server checks signatures with",
            )?;
            // The server seals keyed numbers with keys from its token: so does this replay.
            let keys = switchboard::seal::Keys::from_secrets([token.as_bytes()]);
            switchboard::seal::install(keys);
            Target::http(url, &token)?
        }
    };
    let progress = indicatif::ProgressBar::new(files.len() as u64).with_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {wide_msg}")
            .expect("a valid template"),
    );
    let mut coverage = Coverage::default();
    let (mut passed, mut differ, mut broken, mut skipped, mut updated) = (0, 0, 0, 0, 0);
    let say = |text: String| progress.suspend(|| print!("{text}"));
    fixture::replay::replay_files(
        &files,
        &target,
        with_coverage.then_some(&mut coverage),
        |report| {
            progress.inc(1);
            progress.set_message(report.path.display().to_string());
            let path = report.path.display();
            match report.verdict {
                Verdict::Passed { exchanges } => {
                    passed += 1;
                    say(format!(
                        "ok       {path} ({})\n",
                        flow::plural(exchanges as u32, "exchange", "exchanges")
                    ));
                }
                Verdict::Skipped(why) => {
                    skipped += 1;
                    say(format!("skipped  {path}: {why}\n"));
                }
                Verdict::Broken(why) => {
                    broken += 1;
                    say(format!("BROKEN   {why}\n"));
                }
                Verdict::Differs(differences) => {
                    let mut text = format!("DIFFERS  {path}\n");
                    for d in &differences {
                        let which = d
                            .exchange
                            .map_or("the call".to_owned(), |n| format!("exchange {n}"));
                        text.push_str(&format!("  {which}: {}\n", d.about));
                        for line in d.detail.lines() {
                            text.push_str(&format!("    {line}\n"));
                        }
                    }
                    if update {
                        match fixture::replay::update(&report.path, &differences) {
                            Ok(()) => {
                                updated += 1;
                                text.push_str(&format!("  updated {path}\n"));
                            }
                            Err(error) => {
                                broken += 1;
                                text.push_str(&format!("  could not update it: {error}\n"));
                            }
                        }
                    } else {
                        differ += 1;
                    }
                    say(text);
                }
            }
        },
    );
    progress.finish_and_clear();
    if with_coverage {
        out!();
        for line in coverage.lines(&flows) {
            super::print(&line.to_string())?;
        }
    }
    out!();
    let mut summary = format!(
        "{} fixtures: {passed} passed, {differ} differ, {broken} broken",
        files.len()
    );
    if skipped > 0 {
        summary.push_str(&format!(", {skipped} skipped"));
    }
    if update {
        summary.push_str(&format!(", {updated} updated"));
    }
    out!("{summary}");
    Ok(differ == 0 && broken == 0)
}
