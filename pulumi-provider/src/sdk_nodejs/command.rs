//! The `gen-sdk` command line for any package: `gen-sdk [--check] [OUT_DIR]` writes (or, with
//! `--check`, compares) the TypeScript SDK generated from a package schema. A package's own
//! `gen-sdk` binary is one call: [`run_command`] with its schema and default directory.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::package_spec::PackageSpec;

use super::{check_sdk, generate, write_sdk};

/// Runs `gen-sdk` with the process's arguments for `schema`; `default_out` is the SDK
/// directory when none is given, `regenerate` the command that rewrites it (shown when
/// `--check` finds drift).
pub fn run_command(schema: &PackageSpec, default_out: &Path, regenerate: &str) -> ExitCode {
    let usage = format!(
        "usage: gen-sdk [--check] [OUT_DIR]   (OUT_DIR defaults to {})",
        default_out.display()
    );
    let mut check = false;
    let mut out_dir: Option<PathBuf> = None;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--check" => check = true,
            "-h" | "--help" => {
                println!("{usage}");
                return ExitCode::SUCCESS;
            }
            a if a.starts_with('-') || out_dir.is_some() => {
                eprintln!("error: unexpected argument `{a}`\n{usage}");
                return ExitCode::from(2);
            }
            a => out_dir = Some(PathBuf::from(a)),
        }
    }
    let out_dir = out_dir.unwrap_or_else(|| default_out.to_path_buf());
    match sync(schema, &out_dir, check, regenerate) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn sync(
    schema: &PackageSpec,
    out_dir: &Path,
    check: bool,
    regenerate: &str,
) -> Result<ExitCode, String> {
    let files = generate(schema).map_err(|e| format!("cannot generate: {e}"))?;
    let shown = out_dir.display();
    if check {
        let drift = check_sdk(out_dir, &files).map_err(|e| format!("cannot read {shown}: {e}"))?;
        if drift.is_empty() {
            println!("{shown} is up to date ({} files)", files.len());
            return Ok(ExitCode::SUCCESS);
        }
        for d in &drift {
            println!("{d}");
        }
        println!("run: {regenerate}");
        return Ok(ExitCode::FAILURE);
    }
    let report = write_sdk(out_dir, &files).map_err(|e| format!("cannot write {shown}: {e}"))?;
    for p in &report.written {
        println!("wrote {p}");
    }
    for p in &report.removed {
        println!("removed {p}");
    }
    println!(
        "{shown}: {} written, {} unchanged, {} removed",
        report.written.len(),
        report.unchanged.len(),
        report.removed.len()
    );
    Ok(ExitCode::SUCCESS)
}
