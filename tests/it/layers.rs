//! The house is one-way: a module uses only modules on its own floor or below, so the store
//! never reaches into the server, nor the server into the console. Read off the source, every
//! `crate::` path outside comments.

use std::path::Path;

/// The floors, lowest first. A module uses modules on floors below it, and ones on its own
/// floor that do not use it back: no two modules use each other (see below).
const FLOORS: &[&[&str]] = &[
    &[
        "phone",
        "seal",
        "next_step",
        "signature",
        "outbound",
        "state",
    ],
    &["twiml", "logs"],
    &["calendar", "flow"],
    &["engine"],
    &[
        "check", "explore", "simulate", "fixture", "probe", "numbers",
    ],
    &["store"],
    &["ops", "reports", "server"],
    &["console"],
    &["service"],
    &["cli"],
];

fn floor(module: &str) -> usize {
    FLOORS
        .iter()
        .position(|floor| floor.contains(&module))
        .unwrap_or_else(|| panic!("module {module} is on no floor: add it to FLOORS"))
}

/// `(file, line number, module used)` for every `crate::module` in code (not comments).
fn uses(dir: &Path, found: &mut Vec<(String, usize, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            uses(&path, found);
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let source = std::fs::read_to_string(&path).unwrap();
        for (number, line) in source.lines().enumerate() {
            let code = line.split("//").next().unwrap();
            for (at, _) in code.match_indices("crate::") {
                let rest = &code[at + "crate::".len()..];
                // `crate::{a, b::c}` uses a and b.
                let paths = match rest.strip_prefix('{') {
                    Some(list) => list.split('}').next().unwrap().split(',').collect(),
                    None => vec![rest],
                };
                for path_text in paths {
                    let module: String = path_text
                        .trim()
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    found.push((path.display().to_string(), number + 1, module));
                }
            }
        }
    }
}

/// The top module a source file belongs to: `src/server/follow.rs` is in `server`.
fn module_of(file: &str) -> String {
    let inside = file.split("src/").last().unwrap();
    let first = inside.split('/').next().unwrap();
    first.trim_end_matches(".rs").to_owned()
}

#[test]
fn no_module_uses_one_on_a_higher_floor() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    uses(&src, &mut found);
    assert!(found.len() > 50, "too few uses read: {found:?}");
    let upward: Vec<String> = found
        .iter()
        .filter(|(file, _, _)| !file.ends_with("src/main.rs") && !file.ends_with("src/lib.rs"))
        .filter(|(file, _, used)| floor(&module_of(file)) < floor(used))
        .map(|(file, line, used)| format!("{file}:{line} uses crate::{used}"))
        .collect();
    assert!(
        upward.is_empty(),
        "uses up the house:\n{}",
        upward.join("\n")
    );
}

#[test]
fn no_two_modules_use_each_other() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    uses(&src, &mut found);
    let pairs: std::collections::BTreeSet<(String, String)> = found
        .iter()
        .filter(|(file, _, _)| !file.ends_with("src/main.rs") && !file.ends_with("src/lib.rs"))
        .map(|(file, _, used)| (module_of(file), used.clone()))
        .filter(|(from, to)| from != to)
        .collect();
    let circles: Vec<String> = pairs
        .iter()
        .filter(|(from, to)| from < to && pairs.contains(&(to.clone(), from.clone())))
        .map(|(from, to)| format!("{from} <-> {to}"))
        .collect();
    assert!(
        circles.is_empty(),
        "modules that use each other: {circles:?}"
    );
}

#[test]
fn no_source_file_is_over_a_thousand_lines() {
    fn walk(dir: &Path, long: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, long);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let lines = std::fs::read_to_string(&path).unwrap().lines().count();
                if lines > 1000 {
                    long.push(format!("{}: {lines} lines", path.display()));
                }
            }
        }
    }
    let mut long = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut long,
    );
    assert!(long.is_empty(), "split these: {long:?}");
}

#[test]
fn the_store_reads_every_column_by_name() {
    let mut by_position = Vec::new();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/store");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let source = std::fs::read_to_string(&path).unwrap();
        for (number, line) in source.lines().enumerate() {
            let code = line.split("//").next().unwrap();
            // `row.get(0)` or `row.get::<T, _>(0)`: a column by its place.
            let positional = code.match_indices(".get").any(|(at, _)| {
                let rest = &code[at + ".get".len()..];
                let rest = match rest.strip_prefix("::<") {
                    Some(generic) => generic.split_once(">(").map_or("", |(_, r)| r),
                    None => rest.strip_prefix('(').unwrap_or(""),
                };
                rest.starts_with(|c: char| c.is_ascii_digit())
            });
            let star = code.contains("SELECT *");
            if positional || star {
                by_position.push(format!(
                    "{}:{}: {}",
                    path.display(),
                    number + 1,
                    line.trim()
                ));
            }
        }
    }
    assert!(
        by_position.is_empty(),
        "columns read by place:\n{}",
        by_position.join("\n")
    );
}
