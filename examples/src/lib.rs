//! Examples for oceanid.
//!
//! - `walkthrough` (`scripts/demo`): the example stack of `examples/oceanid-cloud` driven through
//!   the provider with the same gRPC calls the Pulumi engine makes for preview, up, refresh
//!   and destroy, against `oceanid-emulator` with a throwaway PostgreSQL.
//! - `allowlist`: embedding `oceanid-core` directly: make a Bridge network's firewall match a
//!   list of node addresses.
