//! Loading call-flow files: TOML in, a validated [`Flows`] or every problem found out.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::NaiveDate;
use chrono_tz::Tz;

use super::diagnostic::{Diagnostic, Diagnostics, Source, did_you_mean};
use super::file::{FlowFile, OptionSection, ScheduleSection, StepSection, Text};
use super::keys::{
    STEP_TYPES, allowed_keys, article, present_keys, unknown_key_message, why_needed,
};
use super::words::{longest_spoken, normalise_speech, parse_openings, push_text};
use super::{
    Dial, Flows, HoursExits, Id, Line, Menu, MenuOption, Message, Piece, Step, StepKind, StepRef,
};
use crate::calendar::{BankHolidays, Division, Opening, Schedule, SpecialHours, speech};
use crate::phone::E164;
use crate::twiml::{self, Language, Voice};

const MAX_ATTEMPTS: i64 = 10;

/// The call-flow files of `dir` (its `*.toml` files), in name order.
pub fn flow_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
        .collect();
    paths.sort();
    Ok(paths)
}

/// Each call-flow file of `dir` with its text, as [`check_sources`] takes them.
pub fn read_sources(dir: &Path) -> Result<Vec<(PathBuf, String)>, Diagnostics> {
    let whole_dir = |message: String| {
        Diagnostics(vec![Diagnostic {
            path: dir.to_owned(),
            line: 1,
            column: 1,
            severity: super::Severity::Error,
            message,
        }])
    };
    let paths =
        flow_files(dir).map_err(|e| whole_dir(format!("cannot read the flow directory: {e}")))?;
    let mut sources = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| whole_dir(format!("cannot read {}: {e}", path.display())))?;
        sources.push((path, text));
    }
    if sources.is_empty() {
        return Err(whole_dir("no call-flow files (*.toml) here".to_owned()));
    }
    Ok(sources)
}

/// A set of flow files as the store keeps them: each file's name (`wellbeing.toml`) and text.
pub type NamedFiles = Vec<(String, String)>;

/// Each call-flow file of `dir` by its name, as the store keeps them.
pub fn read_named(dir: &Path) -> Result<NamedFiles, Diagnostics> {
    Ok(read_sources(dir)?
        .into_iter()
        .map(|(path, text)| {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            (name.unwrap_or_default(), text)
        })
        .collect())
}

/// The first 12 hex digits of SHA-1 over each file's name and text.
pub(crate) fn version(sources: &[(PathBuf, String)]) -> String {
    use sha1::{Digest, Sha1};
    let mut hash = Sha1::new();
    for (path, text) in sources {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        hash.update(name.as_bytes());
        hash.update([0]);
        hash.update(text.as_bytes());
        hash.update([0]);
    }
    hash.finalize()[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The files of a set as they were read: each file's source, its line id and its parsed
/// contents, for the checks that look at the files themselves (`check::lint`).
pub(crate) type ReadFiles<'a> = Vec<(Source<'a>, String, FlowFile)>;

/// Reads (path, text) pairs as one set; the path's file stem is the line's id. The flows, if
/// they could be built; every problem found in `found`; and the files as read.
pub(crate) fn build<'a>(
    sources: &'a [(PathBuf, String)],
    found: &mut Vec<Diagnostic>,
) -> (Option<Flows>, ReadFiles<'a>) {
    let mut files = Vec::new();
    let mut unreadable = Vec::new();
    for (path, text) in sources {
        let source = Source { path, text };
        let id = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        if !is_name(&id) {
            found.push(source.error(0..0, format!("the file name {id:?} must be lower-case letters, digits and dashes, as it names the line")));
            continue;
        }
        match toml::from_str::<FlowFile>(text) {
            Ok(file) => files.push((source, id, file)),
            Err(e) => {
                let span = e.span().unwrap_or(0..0);
                let message = unknown_key_message(text, span.start, e.message())
                    .unwrap_or_else(|| e.message().trim_end().to_owned());
                found.push(source.error(span, message));
                unreadable.push(id);
            }
        }
    }
    let flows = Loader::new(&files, unreadable, found).build(&files);
    (flows, files)
}

/// Names that appear in URLs: lower-case letters, digits and dashes.
fn is_name(name: &str) -> bool {
    Id::parse(name).is_ok()
}

struct Loader<'a> {
    found: &'a mut Vec<Diagnostic>,
    line_ids: Vec<String>,
    /// Lines whose file could not be read: references to them are not reported again.
    unreadable: Vec<String>,
    step_ids: Vec<HashMap<String, usize>>,
    schedules: Vec<Schedule>,
    schedule_by_name: HashMap<String, usize>,
    /// Schedules defined with errors: references to them are not reported again.
    broken_schedules: Vec<String>,
    /// The line whose file defines each schedule.
    schedule_lines: Vec<usize>,
}

impl<'a> Loader<'a> {
    fn new(
        files: &[(Source<'_>, String, FlowFile)],
        unreadable: Vec<String>,
        found: &'a mut Vec<Diagnostic>,
    ) -> Self {
        let mut loader = Loader {
            found,
            line_ids: files.iter().map(|(_, id, _)| id.clone()).collect(),
            unreadable,
            step_ids: Vec::new(),
            schedules: Vec::new(),
            schedule_by_name: HashMap::new(),
            broken_schedules: Vec::new(),
            schedule_lines: Vec::new(),
        };
        for (file_index, (source, _, file)) in files.iter().enumerate() {
            let mut ids = HashMap::new();
            for (index, name) in file.steps.keys().enumerate() {
                if !is_name(name.get_ref()) {
                    loader.found.push(source.error(
                        name.span(),
                        format!(
                            "step name {:?} must be lower-case letters, digits and dashes",
                            name.get_ref()
                        ),
                    ));
                }
                ids.insert(name.get_ref().clone(), index);
            }
            loader.step_ids.push(ids);
            for (name, section) in &file.schedules {
                if loader.schedule_by_name.contains_key(name.get_ref()) {
                    loader.found.push(source.error(
                        name.span(),
                        format!("schedule {:?} is defined twice", name.get_ref()),
                    ));
                } else if let Some(schedule) = loader.schedule(source, name, section) {
                    loader
                        .schedule_by_name
                        .insert(name.get_ref().clone(), loader.schedules.len());
                    loader.schedules.push(schedule);
                    loader.schedule_lines.push(file_index);
                } else {
                    loader.broken_schedules.push(name.get_ref().clone());
                }
            }
        }
        loader
    }

    fn error(&mut self, source: &Source<'_>, span: Range<usize>, message: impl Into<String>) {
        self.found.push(source.error(span, message));
    }

    fn build(mut self, files: &[(Source<'_>, String, FlowFile)]) -> Option<Flows> {
        let mut lines = Vec::new();
        for (index, (source, id, file)) in files.iter().enumerate() {
            if let Some(line) = self.line(index, source, id, file) {
                lines.push(line);
            }
        }
        if lines.len() != files.len() {
            return None;
        }
        let mut line_by_number = HashMap::new();
        for (index, (source, _, file)) in files.iter().enumerate() {
            for number in &file.line.numbers {
                if let Some(other) = line_by_number.insert(number.get_ref().clone(), index) {
                    let message = format!(
                        "{} is also a number of line {:?}",
                        number.get_ref(),
                        self.line_ids[other]
                    );
                    self.error(source, number.span(), message);
                }
            }
        }
        let defaults: Vec<usize> = files
            .iter()
            .enumerate()
            .filter(|(_, f)| f.2.line.default)
            .map(|(i, _)| i)
            .collect();
        let default_line = match defaults.as_slice() {
            [one] => *one,
            [] => {
                let (source, _, file) = files.first()?;
                let message = "no line has `default = true`: one line must answer calls to numbers no line claims";
                self.error(source, file.line.name.span(), message);
                return None;
            }
            [_, rest @ ..] => {
                for &index in rest {
                    let (source, _, file) = &files[index];
                    self.error(
                        source,
                        file.line.name.span(),
                        "only one line may have `default = true`",
                    );
                }
                return None;
            }
        };
        let line_by_id = self
            .line_ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.clone(), i))
            .collect();
        let flows = Flows {
            lines,
            schedules: self.schedules,
            schedule_lines: self.schedule_lines,
            version: String::new(),
            default_line,
            line_by_number,
            line_by_id,
        };
        for (index, (source, _, file)) in files.iter().enumerate() {
            check_no_silent_loops(&flows, index, source, file, self.found);
            // The error path must connect the caller to people, with nothing that could fail.
            if !matches!(
                flows.step(flows.lines[index].on_error).kind,
                StepKind::Dial(_)
            ) {
                let message = format!(
                    "`on_error` must name a dial step, not {:?}",
                    file.line.on_error.get_ref()
                );
                self.found
                    .push(source.error(file.line.on_error.span(), message));
            }
        }
        Some(flows)
    }

    fn line(
        &mut self,
        index: usize,
        source: &Source<'_>,
        id: &str,
        file: &FlowFile,
    ) -> Option<Line> {
        let section = &file.line;
        let voice = Voice::parse(section.voice.get_ref())
            .map_err(|e| self.error(source, section.voice.span(), e.to_string()));
        let language = Language::parse(section.language.get_ref())
            .map_err(|e| self.error(source, section.language.span(), e.to_string()));
        let mut numbers = Vec::new();
        for number in &section.numbers {
            match E164::parse(number.get_ref()) {
                Ok(n) => numbers.push(n),
                Err(e) => self.error(source, number.span(), e.to_string()),
            }
        }
        let start = self.resolve(source, index, &section.start);
        let on_error = self.resolve(source, index, &section.on_error);
        let mut steps = Vec::new();
        for (name, step) in &file.steps {
            if let Some(step) = self.step(source, index, name, step) {
                steps.push(step);
            }
        }
        let complete = steps.len() == file.steps.len() && numbers.len() == section.numbers.len();
        let line = Line {
            id: Id::parse(id).ok()?,
            name: self.text(source, &section.name)?,
            path: source.path.to_owned(),
            numbers,
            voice: voice.ok()?,
            language: language.ok()?,
            start: start?,
            on_error: on_error?,
            open_24_7: section.open_24_7,
            steps,
            step_by_id: self.step_ids[index].clone(),
        };
        complete.then_some(line)
    }

    fn step(
        &mut self,
        source: &Source<'_>,
        line: usize,
        name: &Text,
        section: &StepSection,
    ) -> Option<Step> {
        let Some(kind) = &section.kind else {
            let message = format!(
                "step {:?} needs a `type`: one of {}",
                name.get_ref(),
                STEP_TYPES.join(", ")
            );
            self.error(source, name.span(), message);
            return None;
        };
        let kind_name = kind.get_ref().as_str();
        let Some(allowed) = allowed_keys(kind_name) else {
            let message = format!(
                "{kind_name:?} is not a step type: use one of {}{}",
                STEP_TYPES.join(", "),
                did_you_mean(kind_name, STEP_TYPES)
            );
            self.error(source, kind.span(), message);
            return None;
        };
        let mut fits = true;
        for (key, span) in present_keys(section) {
            if !allowed.contains(&key) {
                self.error(
                    source,
                    span,
                    format!("a {kind_name} step does not take `{key}`"),
                );
                fits = false;
            }
        }
        let schedule = match &section.schedule {
            Some(name) => Some(self.schedule_ref(source, name)?),
            None => None,
        };
        let schedule_data = schedule.map(|i| self.schedules[i].clone());
        let schedule_data = schedule_data.as_ref();
        let need = |key: &str, value: Option<&Text>, this: &mut Self| -> Option<Text> {
            if value.is_none() {
                this.error(
                    source,
                    name.span(),
                    format!(
                        "{} {kind_name} step needs `{key}`{}",
                        article(kind_name),
                        why_needed(key)
                    ),
                );
            }
            value.cloned()
        };
        let kind = match kind_name {
            "say" => {
                let say = need("say", section.say.as_ref(), self);
                let next = need("next", section.next.as_ref(), self);
                let message = self.message(source, &say?, schedule_data);
                StepKind::Say {
                    message: message?,
                    next: self.resolve(source, line, &next?)?,
                }
            }
            "menu" => StepKind::Menu(self.menu(source, line, name, section, schedule_data)?),
            "dial" => {
                let number = need("number", section.number.as_ref(), self);
                let after = need("after_attempts", section.after_attempts.as_ref(), self);
                let message = self.optional_message(source, section.say.as_ref(), schedule_data)?;
                let mut words = |text: &Option<Text>| {
                    self.optional_message(source, text.as_ref(), schedule_data)
                };
                let retry = words(&section.retry_say)?;
                let busy = words(&section.busy_say)?;
                let no_answer = words(&section.no_answer_say)?;
                let failed = words(&section.failed_say)?;
                let number = number?;
                let parsed = E164::parse(number.get_ref())
                    .map_err(|e| self.error(source, number.span(), e.to_string()));
                StepKind::Dial(Dial {
                    message,
                    number: parsed.ok()?,
                    ring_seconds: self.bounded(
                        source,
                        section.ring_seconds.as_ref(),
                        "ring_seconds",
                        5..=120,
                        30,
                    )? as u8,
                    attempts: self.bounded(
                        source,
                        section.attempts.as_ref(),
                        "attempts",
                        1..=MAX_ATTEMPTS,
                        1,
                    )? as u32,
                    retry,
                    busy,
                    no_answer,
                    failed,
                    after_attempts: self.resolve(source, line, &after?)?,
                })
            }
            "hours" => {
                let open = need("open", section.open.as_ref(), self);
                let closed = need("closed", section.closed.as_ref(), self);
                // No default: a closed message saying when the line reopens would be wrong
                // while nobody knows when the emergency ends.
                let emergency = need("emergency", section.emergency.as_ref(), self);
                if schedule.is_none() {
                    self.error(
                        source,
                        name.span(),
                        "an hours step needs `schedule`: the name of a [schedules.NAME] table",
                    );
                }
                let open = self.resolve(source, line, &open?);
                let emergency = self.resolve(source, line, &emergency?);
                let closed = self.resolve(source, line, &closed?)?;
                let mut or_closed = |branch: &Option<Text>| match branch {
                    Some(step) => self.resolve(source, line, step),
                    None => Some(closed),
                };
                let holiday = or_closed(&section.holiday);
                let closure = or_closed(&section.closure);
                let special_hours = or_closed(&section.special_hours);
                schedule?;
                StepKind::Hours(HoursExits {
                    open: open?,
                    closed,
                    holiday: holiday?,
                    closure: closure?,
                    emergency: emergency?,
                    special_hours: special_hours?,
                })
            }
            "origin" => {
                let from_24_7 = need("from_24_7", section.from_24_7.as_ref(), self);
                let otherwise = need("otherwise", section.otherwise.as_ref(), self);
                let from_24_7 = self.resolve(source, line, &from_24_7?);
                StepKind::Origin {
                    from_24_7: from_24_7?,
                    otherwise: self.resolve(source, line, &otherwise?)?,
                }
            }
            "hangup" => StepKind::Hangup {
                message: self.optional_message(source, section.say.as_ref(), schedule_data)?,
            },
            "callback" => {
                let next = need("next", section.next.as_ref(), self);
                let not_taken = need("not_taken", section.not_taken.as_ref(), self);
                if schedule.is_none() {
                    self.error(
                        source,
                        name.span(),
                        "a callback step needs `schedule`: the team calls back from its next opening",
                    );
                }
                let next = self.resolve(source, line, &next?);
                let not_taken = self.resolve(source, line, &not_taken?)?;
                schedule?;
                StepKind::CallBack {
                    next: next?,
                    not_taken,
                }
            }
            _ => unreachable!("allowed_keys knows every type"),
        };
        // A name that is not an id was reported when the line's steps were first listed.
        let id = Id::parse(name.get_ref()).ok()?;
        fits.then(|| Step {
            qualified_id: format!("{}/{}", self.line_ids[line], id),
            id,
            schedule,
            kind,
        })
    }

    fn menu(
        &mut self,
        source: &Source<'_>,
        line: usize,
        name: &Text,
        section: &StepSection,
        schedule: Option<&Schedule>,
    ) -> Option<Menu> {
        let (Some(say), Some(after)) = (&section.say, &section.after_attempts) else {
            self.error(source, name.span(), "a menu step needs `say` (the choices) and `after_attempts` (where a caller goes who has not chosen)");
            return None;
        };
        let options_given = section.options.as_deref().unwrap_or_default();
        if options_given.is_empty() && section.any_key.is_none() {
            self.error(
                source,
                name.span(),
                "a menu step needs `options`, `any_key`, or both",
            );
            return None;
        }
        let mut options = Vec::new();
        for given in options_given {
            if let Some(option) = self.option(source, line, given.get_ref()) {
                if options.iter().any(|o: &MenuOption| o.key == option.key) {
                    self.error(
                        source,
                        given.get_ref().key.span(),
                        format!("key {:?} is used twice in this menu", option.key),
                    );
                    return None;
                }
                options.push(option);
            }
        }
        let any_key = match &section.any_key {
            Some(target) => Some(self.resolve(source, line, target)?),
            None => None,
        };
        let every_option_ok = options.len() == options_given.len();
        let words: Vec<&str> = options
            .iter()
            .flat_map(|o| o.speech.iter().map(String::as_str))
            .collect();
        // Phrases are letters, digits and spaces by now, so they are always valid text.
        let hints = (!words.is_empty())
            .then(|| twiml::Text::new(&words.join(", ")).expect("normalised words"));
        let menu = Menu {
            prompt: self.message(source, say, schedule)?,
            options,
            any_key,
            attempts: self.bounded(
                source,
                section.attempts.as_ref(),
                "attempts",
                1..=MAX_ATTEMPTS,
                3,
            )? as u32,
            after_attempts: self.resolve(source, line, after)?,
            no_input: self.optional_message(source, section.no_input_say.as_ref(), schedule)?,
            invalid: self.optional_message(source, section.invalid_say.as_ref(), schedule)?,
            timeout_seconds: self.bounded(source, section.timeout.as_ref(), "timeout", 1..=30, 5)?
                as u8,
            hints,
        };
        every_option_ok.then_some(menu)
    }

    fn option(
        &mut self,
        source: &Source<'_>,
        line: usize,
        option: &OptionSection,
    ) -> Option<MenuOption> {
        let key = option.key.get_ref();
        let key = match key.as_str() {
            k if k.len() == 1 && "0123456789*#".contains(k) => k.chars().next()?,
            k => {
                self.error(
                    source,
                    option.key.span(),
                    format!("{k:?} is not a key: use one of 0-9, * or #"),
                );
                return None;
            }
        };
        let mut speech = Vec::new();
        for phrase in &option.speech {
            let words = normalise_speech(phrase.get_ref());
            if words.is_empty() {
                self.error(
                    source,
                    phrase.span(),
                    "a speech phrase needs at least one letter or digit",
                );
                return None;
            }
            speech.push(words);
        }
        Some(MenuOption {
            key,
            speech,
            next: self.resolve(source, line, &option.next)?,
        })
    }

    fn bounded(
        &mut self,
        source: &Source<'_>,
        value: Option<&toml::Spanned<i64>>,
        key: &str,
        range: std::ops::RangeInclusive<i64>,
        default: i64,
    ) -> Option<i64> {
        match value {
            None => Some(default),
            Some(v) if range.contains(v.get_ref()) => Some(*v.get_ref()),
            Some(v) => {
                self.error(
                    source,
                    v.span(),
                    format!("`{key}` must be from {} to {}", range.start(), range.end()),
                );
                None
            }
        }
    }

    /// A step named by `target`: `step` on this line, or `line/step` on another.
    fn resolve(&mut self, source: &Source<'_>, line: usize, target: &Text) -> Option<StepRef> {
        let text = target.get_ref();
        let (line_index, step_name) = match text.split_once('/') {
            None => (line, text.as_str()),
            Some((line_id, step)) => match self.line_ids.iter().position(|id| id == line_id) {
                Some(index) => (index, step),
                None if self.unreadable.iter().any(|id| id == line_id) => return None,
                None => {
                    let message = format!(
                        "line {line_id:?} is not defined{}",
                        did_you_mean(line_id, self.line_ids.iter().map(String::as_str))
                    );
                    self.error(source, target.span(), message);
                    return None;
                }
            },
        };
        match self.step_ids[line_index].get(step_name) {
            Some(&step) => Some(StepRef {
                line: line_index,
                step,
            }),
            None => {
                let known = self.step_ids[line_index].keys().map(String::as_str);
                let message = format!(
                    "step {step_name:?} is not defined{}",
                    did_you_mean(step_name, known)
                );
                self.error(source, target.span(), message);
                None
            }
        }
    }

    fn schedule_ref(&mut self, source: &Source<'_>, name: &Text) -> Option<usize> {
        let found = self.schedule_by_name.get(name.get_ref()).copied();
        // A file that could not be read may well define it: that file's error is the one.
        let maybe_unread = !self.unreadable.is_empty();
        if found.is_none() && !self.broken_schedules.contains(name.get_ref()) && !maybe_unread {
            let known = self.schedule_by_name.keys().map(String::as_str);
            let message = format!(
                "schedule {:?} is not defined{}",
                name.get_ref(),
                did_you_mean(name.get_ref(), known)
            );
            self.error(source, name.span(), message);
        }
        found
    }

    /// A reason callers hear on a one-off day, or `None` with the error said.
    fn reason(&mut self, source: &Source<'_>, text: &Text) -> Option<String> {
        let reason = crate::calendar::plain_reason(&self.text(source, text)?);
        reason
            .map_err(|why| self.error(source, text.span(), why))
            .ok()
    }

    fn text(&mut self, source: &Source<'_>, text: &Text) -> Option<String> {
        let spoken = text
            .get_ref()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        match twiml::Text::new(&spoken) {
            Ok(_) if !spoken.is_empty() => Some(spoken),
            Ok(_) => {
                self.error(source, text.span(), "this text is empty");
                None
            }
            Err(e) => {
                self.error(source, text.span(), e.to_string());
                None
            }
        }
    }

    fn optional_message(
        &mut self,
        source: &Source<'_>,
        text: Option<&Text>,
        schedule: Option<&Schedule>,
    ) -> Option<Option<Message>> {
        match text {
            None => Some(None),
            Some(text) => self.message(source, text, schedule).map(Some),
        }
    }

    /// Spoken text, white space folded so ops can wrap long lines, with `{placeholders}`.
    fn message(
        &mut self,
        source: &Source<'_>,
        text: &Text,
        schedule: Option<&Schedule>,
    ) -> Option<Message> {
        let spoken = self.text(source, text)?;
        let mut pieces = Vec::new();
        let mut rest = spoken.as_str();
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}') else {
                self.error(source, text.span(), "a `{` has no matching `}`");
                return None;
            };
            push_text(&mut pieces, &rest[..open]);
            let placeholder = &rest[open + 1..open + close];
            let Some(schedule) = schedule else {
                let message = format!("{{{placeholder}}} needs the step to name a `schedule`");
                self.error(source, text.span(), message);
                return None;
            };
            match placeholder {
                "opening_hours" => push_text(&mut pieces, &speech::weekly_hours(schedule)),
                "next_opening" => pieces.push(Piece::NextOpening),
                "holiday" => pieces.push(Piece::Holiday),
                "closure_reason" => pieces.push(Piece::ClosureReason),
                "special_hours_reason" => pieces.push(Piece::SpecialHoursReason),
                other => {
                    let known = [
                        "opening_hours",
                        "next_opening",
                        "holiday",
                        "closure_reason",
                        "special_hours_reason",
                    ];
                    let message = format!(
                        "{{{other}}} is not a placeholder: use {{opening_hours}}, {{next_opening}}, {{holiday}}, {{closure_reason}} or {{special_hours_reason}}{}",
                        did_you_mean(other, known)
                    );
                    self.error(source, text.span(), message);
                    return None;
                }
            }
            rest = &rest[open + close + 1..];
        }
        push_text(&mut pieces, rest);
        let longest = longest_spoken(&pieces);
        if longest > crate::twiml::SAY_MAX_CHARS {
            let message = format!(
                "this text would be {longest} characters when said; Twilio refuses to say more than {} at once, so the call would fail: shorten it or split it over steps",
                crate::twiml::SAY_MAX_CHARS
            );
            self.error(source, text.span(), message);
            return None;
        }
        Some(Message::new(pieces))
    }

    fn date(&mut self, source: &Source<'_>, text: &Text) -> Option<NaiveDate> {
        let date = NaiveDate::parse_from_str(text.get_ref(), "%Y-%m-%d").ok();
        if date.is_none() {
            let message = format!("{:?} is not a date like 2026-12-24", text.get_ref());
            self.error(source, text.span(), message);
        }
        date
    }

    fn schedule(
        &mut self,
        source: &Source<'_>,
        name: &Text,
        section: &ScheduleSection,
    ) -> Option<Schedule> {
        if !is_name(name.get_ref()) {
            self.error(
                source,
                name.span(),
                "schedule names must be lower-case letters, digits and dashes",
            );
        }
        let timezone = Tz::from_str(section.timezone.get_ref()).map_err(|_| {
            self.error(
                source,
                section.timezone.span(),
                format!(
                    "{:?} is not a time zone like Europe/London",
                    section.timezone.get_ref()
                ),
            )
        });
        let holidays = Division::from_str(section.holidays.get_ref())
            .map_err(|e| self.error(source, section.holidays.span(), e.to_string()));
        let days = [
            &section.monday,
            &section.tuesday,
            &section.wednesday,
            &section.thursday,
            &section.friday,
            &section.saturday,
            &section.sunday,
        ];
        let mut weekly: [Vec<Opening>; 7] = Default::default();
        let mut days_ok = true;
        for (slot, day) in weekly.iter_mut().zip(days) {
            if let Some(text) = day {
                match parse_openings(text.get_ref()) {
                    Ok(openings) => *slot = openings,
                    Err(message) => {
                        self.error(source, text.span(), message);
                        days_ok = false;
                    }
                }
            }
        }
        let mut closures = BTreeMap::new();
        for closure in &section.closures {
            let closure = closure.get_ref();
            let Some(date) = self.date(source, &closure.date) else {
                continue;
            };
            let Some(reason) = self.reason(source, &closure.reason) else {
                continue;
            };
            if closures.insert(date, reason).is_some() {
                self.error(
                    source,
                    closure.date.span(),
                    format!("{date} is closed twice"),
                );
            }
        }
        let mut special_hours = BTreeMap::new();
        for special in &section.special_hours {
            let special = special.get_ref();
            let Some(date) = self.date(source, &special.date) else {
                days_ok = false;
                continue;
            };
            let reason = match &special.reason {
                Some(text) => match self.reason(source, text) {
                    Some(reason) => Some(reason),
                    None => {
                        days_ok = false;
                        continue;
                    }
                },
                None => None,
            };
            match parse_openings(special.hours.get_ref()) {
                Ok(openings) => {
                    let day = SpecialHours { openings, reason };
                    if special_hours.insert(date, day).is_some() {
                        self.error(
                            source,
                            special.date.span(),
                            format!("{date} has special hours twice"),
                        );
                    }
                    if closures.contains_key(&date) {
                        self.error(
                            source,
                            special.date.span(),
                            format!("{date} is both a closure and a day with special hours"),
                        );
                    }
                    let holiday = holidays
                        .as_ref()
                        .ok()
                        .and_then(|division| BankHolidays::builtin().on(*division, date).cloned());
                    if let Some(holiday) = holiday {
                        self.error(
                            source,
                            special.date.span(),
                            format!(
                                "{date} is a bank holiday ({}), and a bank holiday closes the line whatever its special hours say",
                                holiday.name
                            ),
                        );
                    }
                }
                Err(message) => {
                    self.error(source, special.hours.span(), message);
                    days_ok = false;
                }
            }
        }
        days_ok.then_some(())?;
        Some(Schedule {
            name: name.get_ref().clone(),
            timezone: timezone.ok()?,
            holidays: holidays.ok()?,
            weekly,
            closures,
            special_hours,
        })
    }
}

/// Say and hours steps pass the caller on at once; a cycle of them would loop forever
/// without asking the caller anything, so it is refused.
fn check_no_silent_loops(
    flows: &Flows,
    line: usize,
    source: &Source<'_>,
    file: &FlowFile,
    found: &mut Vec<Diagnostic>,
) {
    let passes_on = |at: StepRef| -> Vec<StepRef> {
        match &flows.step(at).kind {
            kind @ (StepKind::Say { .. } | StepKind::Hours(_) | StepKind::Origin { .. }) => {
                kind.exits().into_iter().map(|exit| exit.to).collect()
            }
            _ => Vec::new(),
        }
    };
    // Any cycle through a step is found within (number of steps) hops.
    let total: usize = flows.lines.iter().map(|l| l.steps.len()).sum();
    for (step, name) in file.steps.keys().enumerate() {
        let first = StepRef { line, step };
        let mut frontier = passes_on(first);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..total {
            if frontier.contains(&first) {
                let message = format!(
                    "step {:?} loops back to itself without asking the caller anything",
                    name.get_ref()
                );
                found.push(source.error(name.span(), message));
                break;
            }
            frontier = frontier
                .into_iter()
                .filter(|s| seen.insert(*s))
                .flat_map(passes_on)
                .collect();
            if frontier.is_empty() {
                break;
            }
        }
    }
}
