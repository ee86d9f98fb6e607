//! What changed between two flow versions kept in the store: a unified diff, file by file.

use crate::store::Store;

/// A unified diff of two kept versions, file by file, each file headed by the name of its
/// version (`labels`, as people know them); `None` if either is not kept.
pub async fn diff(
    store: &Store,
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
