//! The committed TypeScript SDKs (`sdk/nodejs` for `crunchybridge`, `sdk/oceanid` for
//! `oceanid`) are exactly what each provider's `gen-sdk` generates from its current schema.

use provider_crunchybridge::provider::CrunchyBridge;
use provider_crunchybridge::pulumi::package_spec::PackageSpec;
use provider_crunchybridge::pulumi::sdk_nodejs;
use provider_oceanid::provider::Oceanid;

use crate::support::repo_root;

fn assert_sdk_matches(schema: &PackageSpec, dir: &str, package: &str) {
    let files = sdk_nodejs::generate(schema).expect("the schema generates an SDK");
    let drift = sdk_nodejs::check_sdk(&repo_root().join(dir), &files).expect("the SDK is readable");
    assert!(
        drift.is_empty(),
        "{dir} is out of date with the provider's schema:\n  {}\nregenerate it with: \
         cargo run -p {package} --bin gen-sdk",
        drift
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n  ")
    );
}

#[test]
fn committed_sdk_matches_a_fresh_generation() {
    let schema = CrunchyBridge::provider()
        .schema()
        .expect("the schema is built");
    assert_sdk_matches(&schema, "sdk/nodejs", "provider-crunchybridge");
}

#[test]
fn committed_oceanid_sdk_matches_a_fresh_generation() {
    let schema = Oceanid::provider().schema().expect("the schema is built");
    assert_sdk_matches(&schema, "sdk/oceanid", "provider-oceanid");
}
