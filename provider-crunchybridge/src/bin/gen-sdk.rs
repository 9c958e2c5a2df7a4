//! `gen-sdk`: writes the TypeScript SDK (`@oceanid/crunchybridge`) from the provider's
//! package schema.
//!
//! ```text
//! cargo run -p provider-crunchybridge --bin gen-sdk [-- [--check] [OUT_DIR]]
//! ```
//! `OUT_DIR` defaults to the repository's `sdk/nodejs`. Files whose contents change are
//! rewritten, generated files that no longer belong are removed; `package-lock.json`,
//! `node_modules/`, `bin/` and the hand-written `tests/` are never touched. With `--check`
//! nothing is written: the differences are listed and the exit status is 1 when there are any.

use std::path::PathBuf;
use std::process::ExitCode;

use provider_crunchybridge::provider::CrunchyBridge;
use provider_crunchybridge::pulumi::sdk_nodejs;

const USAGE: &str = "usage: gen-sdk [--check] [OUT_DIR]   (OUT_DIR defaults to sdk/nodejs)";

fn main() -> ExitCode {
    let mut check = false;
    let mut out_dir: Option<PathBuf> = None;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--check" => check = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            a if a.starts_with('-') || out_dir.is_some() => {
                eprintln!("error: unexpected argument `{a}`\n{USAGE}");
                return ExitCode::from(2);
            }
            a => out_dir = Some(PathBuf::from(a)),
        }
    }
    let out_dir = out_dir.unwrap_or_else(|| {
        let crate_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        crate_dir.parent().unwrap_or(crate_dir).join("sdk/nodejs")
    });
    match run(&out_dir, check) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(out_dir: &std::path::Path, check: bool) -> Result<ExitCode, String> {
    let schema_json = CrunchyBridge::provider()
        .schema_json()
        .map_err(|e| format!("the provider's schema cannot be written as JSON: {e}"))?;
    let schema: serde_json::Value = serde_json::from_str(&schema_json)
        .map_err(|e| format!("the provider's schema is not JSON: {e}"))?;
    let files = sdk_nodejs::generate(&schema).map_err(|e| format!("cannot generate: {e}"))?;
    let shown = out_dir.display();
    if check {
        let drift = sdk_nodejs::check_sdk(out_dir, &files)
            .map_err(|e| format!("cannot read {shown}: {e}"))?;
        if drift.is_empty() {
            println!("{shown} is up to date ({} files)", files.len());
            return Ok(ExitCode::SUCCESS);
        }
        for d in &drift {
            println!("{d}");
        }
        println!("run: cargo run -p provider-crunchybridge --bin gen-sdk");
        return Ok(ExitCode::FAILURE);
    }
    let report =
        sdk_nodejs::write_sdk(out_dir, &files).map_err(|e| format!("cannot write {shown}: {e}"))?;
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
