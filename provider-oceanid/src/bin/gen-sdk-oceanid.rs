//! `gen-sdk-oceanid`: writes the TypeScript SDK of the `oceanid` package (`@oceanid/oceanid`) from the
//! provider's package schema; functions land in modules (`oceanid.kubernetes.getNodes`).
//!
//! ```text
//! cargo run -p provider-oceanid --bin gen-sdk-oceanid [-- [--check] [OUT_DIR]]
//! ```
//! `OUT_DIR` defaults to the repository's `sdk/oceanid`. Files whose contents change are
//! rewritten, generated files that no longer belong are removed; `package-lock.json`,
//! `node_modules/`, `bin/` and the hand-written `tests/` are never touched. With `--check`
//! nothing is written: the differences are listed and the exit status is 1 when there are any.

use std::process::ExitCode;

use provider_oceanid::provider::Oceanid;
use provider_oceanid::pulumi::sdk_nodejs;

fn main() -> ExitCode {
    let schema = match Oceanid::provider().schema() {
        Ok(schema) => schema,
        Err(e) => {
            eprintln!("error: the provider's schema cannot be built: {e}");
            return ExitCode::FAILURE;
        }
    };
    let crate_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let default_out = crate_dir.parent().unwrap_or(crate_dir).join("sdk/oceanid");
    sdk_nodejs::run_command(
        &schema,
        &default_out,
        "cargo run -p provider-oceanid --bin gen-sdk-oceanid",
    )
}
