//! Examples for oceanid.
//!
//! - `walkthrough` (`scripts/demo`, built from [`walkthrough`]): both plugins,
//!   `pulumi-resource-crunchybridge` and `pulumi-resource-oceanid`, driven with the same gRPC
//!   calls the Pulumi engine makes for preview, up, refresh and destroy, against one
//!   `oceanid-emulator` with a throwaway PostgreSQL: the `examples/oceanid-cloud` stack (rules,
//!   role, database verified), then the cluster side: the nodes' egress addresses kept in a
//!   `FirewallAllowlist` as nodes join and leave, and the operators' WARP split-tunnel entries
//!   beside another team's protected ones, with a foreign writer racing an `up`.
//! - `allowlist`: embedding `oceanid-core` directly: make a Bridge network's firewall match a
//!   list of node addresses.

pub mod walkthrough;
