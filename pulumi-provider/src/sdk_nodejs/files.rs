//! Writing an SDK directory and checking it against a fresh generation.

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};

use super::{GENERATED_MARKER, PRESERVED};

/// How a directory differs from a fresh generation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Drift {
    /// A generated file is missing.
    Missing(String),
    /// A generated file has other contents.
    Differs(String),
    /// A file carrying the generated header that generation no longer produces.
    Stale(String),
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Drift::Missing(p) => write!(f, "missing: {p}"),
            Drift::Differs(p) => write!(f, "differs: {p}"),
            Drift::Stale(p) => write!(f, "no longer generated: {p}"),
        }
    }
}

/// What [`write_sdk`] changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Files created or rewritten.
    pub written: Vec<String>,
    /// Files left as they were (already identical).
    pub unchanged: Vec<String>,
    /// Stale generated files removed.
    pub removed: Vec<String>,
}

/// Compares `dir` with `files` (from [`super::generate`]): missing and differing files, and files
/// that carry the generated header but are no longer generated. Never looks into
/// [`PRESERVED`] paths.
///
/// # Errors
/// An I/O error reading `dir`.
pub fn check_sdk(dir: &Path, files: &[(String, String)]) -> io::Result<Vec<Drift>> {
    let mut drift = Vec::new();
    for (path, contents) in files {
        match std::fs::read(dir.join(path)) {
            Ok(bytes) if bytes == contents.as_bytes() => {}
            Ok(_) => drift.push(Drift::Differs(path.clone())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                drift.push(Drift::Missing(path.clone()));
            }
            Err(e) => return Err(e),
        }
    }
    for path in stale_files(dir, files)? {
        drift.push(Drift::Stale(path));
    }
    Ok(drift)
}

/// Writes `files` under `dir` (only those whose contents change) and removes generated files
/// that no longer belong (recognised by their header), then directories that became empty.
/// `package-lock.json`, `node_modules/`, `bin/` and `tests/` are never touched.
///
/// # Errors
/// An I/O error; files already written stay written.
pub fn write_sdk(dir: &Path, files: &[(String, String)]) -> io::Result<WriteReport> {
    let mut report = WriteReport::default();
    for path in stale_files(dir, files)? {
        std::fs::remove_file(dir.join(&path))?;
        let mut parent = Path::new(&path).parent();
        while let Some(p) = parent.filter(|p| !p.as_os_str().is_empty()) {
            let full = dir.join(p);
            if std::fs::read_dir(&full)?.next().is_some() {
                break;
            }
            std::fs::remove_dir(&full)?;
            parent = p.parent();
        }
        report.removed.push(path);
    }
    for (path, contents) in files {
        let full = dir.join(path);
        if std::fs::read(&full).ok().as_deref() == Some(contents.as_bytes()) {
            report.unchanged.push(path.clone());
            continue;
        }
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&full, contents)?;
        report.written.push(path.clone());
    }
    Ok(report)
}

/// Files under `dir` (outside [`PRESERVED`]) whose first line carries the generated marker
/// and that `files` does not contain, as sorted relative paths with `/` separators.
fn stale_files(dir: &Path, files: &[(String, String)]) -> io::Result<Vec<String>> {
    let wanted: BTreeSet<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let entries = match std::fs::read_dir(dir.join(&rel)) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let child = rel.join(&name);
            if rel.as_os_str().is_empty() && PRESERVED.contains(&name.as_str()) {
                continue;
            }
            let ty = entry.file_type()?;
            if ty.is_dir() {
                if name != "node_modules" {
                    stack.push(child);
                }
                continue;
            }
            let rel_str = child
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            if !ty.is_file() || wanted.contains(rel_str.as_str()) {
                continue;
            }
            let text = std::fs::read(entry.path())?;
            let first = text.split(|b| *b == b'\n').next().unwrap_or_default();
            if String::from_utf8_lossy(first).contains(GENERATED_MARKER) {
                out.push(rel_str);
            }
        }
    }
    out.sort();
    Ok(out)
}
