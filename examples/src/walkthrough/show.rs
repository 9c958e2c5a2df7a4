//! How the walkthrough prints: stage headings, property values (secrets and unknowns marked,
//! certificates shortened) and the small builders of input maps.

use anyhow::{anyhow, bail};
use pulumi_provider::value::{PropertyMap, Value};

/// Prints a stage or step heading.
pub fn heading(text: &str) {
    println!("\n== {text}");
}

/// Prints the heading of a stage of several steps.
pub fn stage(text: &str) {
    let rule = "=".repeat(text.chars().count().min(96) + 6);
    println!("\n{rule}\n== {text} ==\n{rule}");
}

/// A value as the Pulumi CLI would show it: `[secret]`, `<computed>`, a PEM chain by its first
/// line.
pub fn show(v: &Value) -> String {
    match v {
        Value::Secret(_) => "[secret]".into(),
        Value::Unknown(_) => "<computed>".into(),
        // A PEM certificate chain: its first line stands for it.
        Value::String(s) if s.starts_with("-----BEGIN") => {
            format!("{}…", s.lines().next().unwrap_or_default())
        }
        Value::String(s) => s.clone(),
        Value::Array(a) => format!("[{}]", a.iter().map(show).collect::<Vec<_>>().join(", ")),
        Value::Object(o) => format!(
            "{{{}}}",
            o.iter()
                .map(|(k, v)| format!("{k}: {}", show(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => format!("{other:?}"),
    }
}

/// A property map, `key=value` pairs separated by two spaces.
pub fn show_map(m: &PropertyMap) -> String {
    m.iter()
        .map(|(k, v)| format!("{k}={}", show(v)))
        .collect::<Vec<_>>()
        .join("  ")
}

/// A string value.
pub fn s(v: &str) -> Value {
    Value::String(v.to_owned())
}

/// A property map from pairs.
pub fn props<const N: usize>(pairs: [(&str, Value); N]) -> PropertyMap {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// A property that must be there.
///
/// # Errors
/// When `key` is missing, showing the map.
pub fn get<'a>(m: &'a PropertyMap, key: &str) -> anyhow::Result<&'a Value> {
    m.get(key)
        .ok_or_else(|| anyhow!("no `{key}` in {}", show_map(m)))
}

/// A property that must be a string (secret or not).
///
/// # Errors
/// When `key` is missing or not a string.
pub fn plain_str(m: &PropertyMap, key: &str) -> anyhow::Result<String> {
    match get(m, key)?.to_plain().json {
        serde_json::Value::String(s) => Ok(s),
        other => bail!("`{key}` is {other}, not a string"),
    }
}

/// A property as plain JSON (secrets unwrapped): what a program would read from the output.
///
/// # Errors
/// When `key` is missing.
pub fn plain_json(m: &PropertyMap, key: &str) -> anyhow::Result<serde_json::Value> {
    Ok(get(m, key)?.to_plain().json)
}

/// Prints the `checks` of a check function's report (`{name, ok, detail}` each), failures
/// marked, and returns the names of the failed ones.
///
/// # Errors
/// When the report has no `checks` array.
pub fn print_checks(report: &PropertyMap) -> anyhow::Result<Vec<String>> {
    let serde_json::Value::Array(checks) = plain_json(report, "checks")? else {
        bail!("the report's `checks` is not a list");
    };
    let mut failed = Vec::new();
    for c in &checks {
        let name = c["name"].as_str().unwrap_or_default();
        let ok = c["ok"].as_bool().unwrap_or(false);
        let detail = c["detail"].as_str().unwrap_or_default();
        println!(
            "      [{}] {name}: {detail}",
            if ok { "ok" } else { "FAIL" }
        );
        if !ok {
            failed.push(name.to_owned());
        }
    }
    Ok(failed)
}
