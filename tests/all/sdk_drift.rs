//! The committed TypeScript SDK (`sdk/nodejs`) is exactly what `gen-sdk` generates from the
//! provider's current schema.

use provider_crunchybridge::provider::CrunchyBridge;
use provider_crunchybridge::pulumi::sdk_nodejs;

use crate::support::repo_root;

#[test]
fn committed_sdk_matches_a_fresh_generation() {
    let schema = CrunchyBridge::provider()
        .schema()
        .expect("the schema is built");
    let files = sdk_nodejs::generate(&schema).expect("the schema generates an SDK");
    let dir = repo_root().join("sdk/nodejs");
    let drift = sdk_nodejs::check_sdk(&dir, &files).expect("sdk/nodejs is readable");
    assert!(
        drift.is_empty(),
        "sdk/nodejs is out of date with the provider's schema:\n  {}\nregenerate it with: \
         cargo run -p provider-crunchybridge --bin gen-sdk",
        drift
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n  ")
    );
}
