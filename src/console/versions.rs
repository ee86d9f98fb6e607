//! The flow versions: every set that went into force, any two compared, and roll-backs.

use super::*;

mod view;

/// Version `version` of the flows as a server would serve it now: checked, with the days
/// added at run time.
pub(super) async fn version_flows(console: &Console, version: &str) -> ops::Result<flow::Flows> {
    let files = console.store.flow_files(version).await?.ok_or_else(|| {
        ops::OpsError::Refused("That version is not kept in the store.".to_owned())
    })?;
    let checked = crate::check::check_named(&files, console.app.clock.now().date_naive());
    let Some(flows) = checked.flows else {
        return Err(ops::OpsError::Refused(
            "That version no longer passes the check, so it cannot be put in force.".to_owned(),
        ));
    };
    let days = console.store.days().await?;
    Ok(flows.with_days(&days).0)
}

/// A version as people know it: "version 3" (its hash is for engineers).
pub(super) async fn version_name(console: &Console, version: &str) -> Result<String, StoreError> {
    Ok(match console.store.version_number(version).await? {
        Some(number) => crate::ops::version_name(number),
        None => "the flow files as read at start".to_owned(),
    })
}

/// For a roll-back to `version`: each line, what a new call hears first now, and after it.
pub(super) async fn heard_after_roll_back(
    console: &Console,
    version: &str,
) -> ops::Result<Vec<view::HeardBeforeAfter>> {
    let target = version_flows(console, version).await?;
    Ok(heard_in(console, &console.app.flows.load(), &target))
}

/// Each line of `before`: what a new call hears first now in it, and in `after`.
pub(super) fn heard_in(
    console: &Console,
    before: &flow::Flows,
    after: &flow::Flows,
) -> Vec<view::HeardBeforeAfter> {
    let app = &console.app;
    let (holidays, emergencies) = (app.holidays.load(), app.emergencies.load());
    let now = app.clock.now();
    let ctx = |flows| Context {
        flows,
        holidays: &holidays,
        emergencies: &emergencies,
        now,
    };
    before
        .lines
        .iter()
        .enumerate()
        .map(|(index, line)| view::HeardBeforeAfter {
            line: line.name.clone(),
            now: first_heard(&ctx(before), index),
            after: after
                .line_index(&line.id)
                .map(|i| first_heard(&ctx(after), i)),
        })
        .collect()
}

#[derive(serde::Deserialize)]
pub(super) struct Compare {
    pub(super) from: Option<String>,
    pub(super) to: Option<String>,
    /// Which page of versions (1 is the newest).
    pub(super) page: Option<usize>,
    /// A line's id: only the versions that changed it.
    pub(super) line: Option<String>,
}

/// How many times versions went into force the page reads, at most (older stay in the store).
pub(super) const VERSIONS_SHOWN: usize = 500;
/// Versions on a page.
pub(super) const PAGE: usize = 50;

pub(super) async fn history_page(
    State(console): State<Arc<Console>>,
    session: Session,
    Query(compare): Query<Compare>,
) -> Result<Response, Denied> {
    let in_force = console.app.flows.load().version.clone();
    // One more than is shown, so the oldest shown can say what changed since the one before.
    let history = console
        .store
        .flow_history(VERSIONS_SHOWN as i64 + 1)
        .await?;
    // Each version once, newest first by its number, with every time it went into force.
    let mut by_number: std::collections::BTreeMap<i64, Vec<&store::InForce>> =
        std::collections::BTreeMap::new();
    for v in history.iter().take(VERSIONS_SHOWN) {
        by_number.entry(v.number).or_default().push(v);
    }
    // Each row says what changed since the version before, in people's words.
    let version_of: std::collections::HashMap<i64, String> = history
        .iter()
        .map(|v| (v.number, v.version.clone()))
        .collect();
    let (mut changes, mut read) = (std::collections::HashMap::new(), FilesRead::default());
    for number in by_number.keys() {
        let said = changes_since(&console, &version_of, *number, &mut read).await?;
        changes.insert(*number, said);
    }
    let flows = console.app.flows.load();
    let lines = crate::reports::lines_of(&flows);
    let line = compare.line.clone().unwrap_or_default();
    // A version changed a line when one of its changes is said of it ("Doctor support line: …").
    let naming = lines
        .iter()
        .find(|(id, _)| *id == line)
        .map(|(_, name)| format!("{name}:"));
    let rows: Vec<view::VersionRow> = by_number
        .iter()
        .rev()
        .map(|(number, times)| view::VersionRow {
            in_force: times[0].version == in_force,
            can_roll_back: times[0].version != in_force,
            version: times[0].version.clone(),
            number: *number,
            at: times[0].at.clone(),
            by: times[0].by.clone(),
            earlier: times[1..].iter().map(|t| t.at.clone()).collect(),
            before: version_of.get(&(number - 1)).cloned(),
            changes: changes.remove(number).unwrap_or_default(),
        })
        .filter(|row| {
            naming
                .as_ref()
                .is_none_or(|name| row.changes.iter().any(|c| c.starts_with(name.as_str())))
        })
        .collect();
    let page = compare.page.unwrap_or(1).max(1);
    let older = rows.len() > page * PAGE;
    let rows: Vec<view::VersionRow> = rows
        .into_iter()
        .skip((page - 1) * PAGE)
        .take(PAGE)
        .collect();
    let compared = match (&compare.from, &compare.to) {
        (Some(from), Some(to)) => {
            // What callers hear in each, where both still pass the check.
            let heard = match (
                version_flows(&console, from).await,
                version_flows(&console, to).await,
            ) {
                (Ok(before), Ok(after)) => heard_in(&console, &before, &after),
                _ => Vec::new(),
            };
            let (from_name, to_name) = (
                version_name(&console, from).await?,
                version_name(&console, to).await?,
            );
            let files = diff(&console.store, (from, to), (&from_name, &to_name)).await?;
            files.map(|diff| view::Compared {
                from: from.clone(),
                to: to.clone(),
                from_name,
                to_name,
                heard,
                diff,
            })
        }
        _ => None,
    };
    let held = held_changes(&console).await?;
    let listed = view::Listed {
        page,
        older,
        line: &line,
        lines: &lines,
        older_not_read: history.len() > VERSIONS_SHOWN,
    };
    Ok(html(view::history(
        &session,
        &rows,
        &listed,
        compared.as_ref(),
        held.as_deref(),
        notice(&console, &session).await?.as_ref(),
    )))
}

/// What the version numbered `number` changed since the one before it, in people's words:
/// both read and compared once, then kept (a version's files never change), so the Versions
/// page does not read and compare hundreds of versions at each view.
async fn changes_since(
    console: &Console,
    version_of: &std::collections::HashMap<i64, String>,
    number: i64,
    read: &mut FilesRead,
) -> Result<Vec<String>, StoreError> {
    let (Some(this), Some(older)) = (version_of.get(&number), version_of.get(&(number - 1))) else {
        // The first version, or one whose predecessor is older than the page reads.
        return Ok(match number {
            1 => vec!["The first version kept.".to_owned()],
            _ => Vec::new(),
        });
    };
    // A version is named by a hash of its files, so two versions' difference never changes.
    let pair = format!("{older} {this}");
    if let Some(kept) = console.described.kept(&pair) {
        return Ok(kept);
    }
    let (older_files, these) = (
        read.files(console, older).await?,
        read.files(console, this).await?,
    );
    let said = flow::changes::described(
        older_files.as_deref().map_or(&[][..], Vec::as_slice),
        these.as_deref().map_or(&[][..], Vec::as_slice),
    );
    // Kept only once both are read: a version not (yet) in the store is read again next time.
    if older_files.is_some() && these.is_some() {
        console.described.keep(&pair, &said);
    }
    Ok(said)
}

/// The versions' files one view has read, so that each is read once (a version is the one
/// after one row and the one before another).
#[derive(Default)]
struct FilesRead(std::collections::HashMap<String, Option<std::sync::Arc<flow::NamedFiles>>>);

impl FilesRead {
    async fn files(
        &mut self,
        console: &Console,
        version: &str,
    ) -> Result<Option<std::sync::Arc<flow::NamedFiles>>, StoreError> {
        if let Some(read) = self.0.get(version) {
            return Ok(read.clone());
        }
        let read = console
            .store
            .flow_files(version)
            .await?
            .map(std::sync::Arc::new);
        self.0.insert(version.to_owned(), read.clone());
        Ok(read)
    }
}

/// What a version changed since another, by the pair's names, as [`changes_since`] said it.
#[derive(Default)]
pub(super) struct Described(std::sync::Mutex<std::collections::HashMap<String, Vec<String>>>);

/// Versions described at most; past it, all are let go at once and described again as viewed.
const DESCRIBED_KEPT: usize = 4096;

impl Described {
    fn kept(&self, pair: &str) -> Option<Vec<String>> {
        self.lock().get(pair).cloned()
    }

    fn keep(&self, pair: &str, said: &[String]) {
        let mut kept = self.lock();
        if kept.len() >= DESCRIBED_KEPT {
            kept.clear();
        }
        kept.insert(pair.to_owned(), said.to_vec());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, Vec<String>>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// While this server's flow files are held back since a roll-back (and differ from the
/// version in force): what putting them in force would change, in people's words.
async fn held_changes(console: &Console) -> Result<Option<Vec<String>>, StoreError> {
    if console.store.flow_files_held().await?.is_none() {
        return Ok(None);
    }
    let Some(held) = console.app.files_read.load_full() else {
        return Ok(None);
    };
    let in_force = console.app.flows.load().version.clone();
    if held.version == in_force {
        return Ok(None);
    }
    let now = console
        .store
        .flow_files(&in_force)
        .await?
        .unwrap_or_default();
    Ok(Some(flow::changes::described(&now, &held.files)))
}

/// What the form that puts held-back flow files in force sends.
#[derive(serde::Deserialize)]
pub(super) struct FilesForm {
    #[serde(default, deserialize_with = "trimmed")]
    note: String,
    #[serde(default)]
    confirmed: String,
}

/// Puts this server's flow files in force after a roll-back held them back: asked first,
/// saying what they would change, with a reason.
pub(super) async fn put_files_in_force(
    State(console): State<Arc<Console>>,
    Change(posted): Change<FilesForm>,
) -> Response {
    let session = &posted.session;
    let FilesForm { note, confirmed } = &posted.form;
    let changes = match held_changes(&console).await {
        Ok(Some(changes)) => changes,
        Ok(None) => {
            let nothing = "The flow files are not held back: they are the version in force, or in force by themselves.";
            return refused(StatusCode::CONFLICT, Some(session), nothing);
        }
        Err(error) => return not_made(session, &error.into()),
    };
    let ask = |problem: Option<&str>| {
        let page = view::confirm_files(session, &changes, note, problem);
        let status = problem.map_or(StatusCode::OK, |_| StatusCode::UNPROCESSABLE_ENTITY);
        (status, html(page)).into_response()
    };
    if !is_yes(confirmed) {
        return ask(None);
    }
    if note.is_empty() {
        return ask(Some("Say why: the reason is for the team and the log."));
    }
    let Some(held) = console.app.files_read.load_full() else {
        return ask(Some("The flow files changed meanwhile: look again."));
    };
    let checked = crate::check::check_named(&held.files, console.app.clock.now().date_naive());
    let Some(flows) = checked.flows else {
        return ask(Some(
            "The flow files no longer pass the check: correct them first.",
        ));
    };
    let set = crate::server::reload::FlowFiles {
        flows,
        files: held.files.clone(),
    };
    let made = crate::server::reload::publish(&console.store, &set, &session.user, note)
        .await
        .map(|revision| ops::Done {
            revision,
            said: "The flow files are in force on every server.".to_owned(),
        })
        .map_err(ops::OpsError::from);
    if made.is_ok() {
        crate::server::reload::note_held(&console.app, false);
    }
    after_change(&console, session, made, "/history", |done| {
        Notice::said(&done.said)
    })
    .await
}

/// What the roll-back forms send.
#[derive(serde::Deserialize)]
pub(super) struct RollBackForm {
    #[serde(default, deserialize_with = "trimmed")]
    version: String,
    #[serde(default, deserialize_with = "trimmed")]
    note: String,
    #[serde(default)]
    confirmed: String,
}

pub(super) async fn roll_back(
    State(console): State<Arc<Console>>,
    Change(posted): Change<RollBackForm>,
) -> Response {
    let session = &posted.session;
    let RollBackForm {
        version,
        note,
        confirmed,
    } = &posted.form;
    let (console, why) = (&console, note);
    // Before the change, and again with the problem if it is refused: what callers will
    // hear, now and after it, and the reason asked for.
    let ask = |problem: Option<String>| async move {
        let asked = async {
            let heard = heard_after_roll_back(console, version).await?;
            let changes = changes_to(console, version).await?;
            Ok::<_, ops::OpsError>((version_name(console, version).await?, heard, changes))
        };
        match asked.await {
            Ok((name, heard, changes)) => {
                let asked = view::RollBackAsked {
                    version,
                    name: &name,
                    in_force: &console.app.flows.load().version,
                    changes: &changes,
                    heard: &heard,
                };
                let page = view::confirm_roll_back(session, &asked, why, problem.as_deref());
                let status = problem.map_or(StatusCode::OK, |_| StatusCode::UNPROCESSABLE_ENTITY);
                (status, html(page)).into_response()
            }
            Err(error) => not_made(session, &error),
        }
    };
    if !is_yes(confirmed) {
        return ask(None).await;
    }
    let before = console.app.flows.load().version.clone();
    // Named first: once the change is made, the notice must not depend on another read.
    let names = async {
        Ok::<_, ops::OpsError>((
            version_name(console, version).await?,
            version_name(console, &before).await?,
        ))
    };
    let (name, before_name) = match names.await {
        Ok(names) => names,
        Err(error) => return not_made(session, &error),
    };
    let made = ops::roll_back(&console.store, &session.user, version, why).await;
    if made.is_ok() {
        // The roll-back held the flow files back: this server says so at once.
        crate::server::reload::note_held(&console.app, true);
    }
    if let Err(error) = &made
        && !error.is_unavailable()
    {
        return ask(Some(error.to_string())).await;
    }
    after_change(console, session, made, "/history", |_| {
        Notice::said(format!(
            "{} is in force on every server; {before_name} was until now.",
            flow::capitalised(&name)
        ))
        .with_undo(
            &format!("Put {before_name} back"),
            "/history/rollback",
            &[("version", before.as_str())],
        )
    })
    .await
}

/// What putting `version` in force would change, from the version in force now, in people's
/// words.
async fn changes_to(console: &Console, version: &str) -> ops::Result<Vec<String>> {
    let in_force = console.app.flows.load().version.clone();
    let store = &console.store;
    let (now, then) = (
        store.flow_files(&in_force).await?,
        store.flow_files(version).await?,
    );
    Ok(match (now, then) {
        (Some(now), Some(then)) => flow::changes::described(&now, &then),
        _ => Vec::new(),
    })
}

/// A unified diff of two kept versions, file by file, each file headed by the name of its
/// version (`labels`, as people know them); `None` if either is not kept.
async fn diff(
    store: &crate::store::Store,
    (from, to): (&str, &str),
    labels: (&str, &str),
) -> crate::store::Result<Option<String>> {
    let (Some(old), Some(new)) = (store.flow_files(from).await?, store.flow_files(to).await?)
    else {
        return Ok(None);
    };
    let mut names: Vec<&String> = old.iter().chain(&new).map(|(n, _)| n).collect();
    names.sort();
    names.dedup();
    let text_of = |files: &[(String, String)], name: &str| {
        files
            .iter()
            .find(|(n, _)| n == name)
            .map_or(String::new(), |(_, t)| t.clone())
    };
    let mut out = String::new();
    for name in names {
        let (a, b) = (text_of(&old, name), text_of(&new, name));
        if a != b {
            let diff = similar::TextDiff::from_lines(&a, &b);
            out.push_str(
                &diff
                    .unified_diff()
                    .context_radius(2)
                    .header(
                        &format!("{name} in {}", labels.0),
                        &format!("{name} in {}", labels.1),
                    )
                    .to_string(),
            );
        }
    }
    Ok(Some(if out.is_empty() {
        "no difference\n".into()
    } else {
        out
    }))
}
