//! Shared helpers for the integration tests.

use std::path::PathBuf;

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The Python of the conformance venv (with PyPI `pulumi`): `$OCEANID_PYTHON`, else
/// `.venv/bin/python` at the repository root. Panics (the test fails, never skips) when it
/// is missing, saying how to create it.
pub fn venv_python() -> PathBuf {
    let path = std::env::var_os("OCEANID_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".venv/bin/python"));
    assert!(
        path.exists(),
        "{} is missing: run scripts/test (it creates the venv with tests/conformance/requirements.txt)",
        path.display()
    );
    path
}
