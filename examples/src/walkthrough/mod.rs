//! The walkthrough (`scripts/demo`): the main job with no account and no Pulumi CLI. Both
//! plugins are launched as the Pulumi engine launches them and driven with the gRPC calls the
//! engine makes for `preview`, `up`, `refresh` and `destroy`, against one `oceanid-emulator`
//! (Crunchy Bridge, Kubernetes and Cloudflare on one port, with a throwaway PostgreSQL).
//!
//! The stages, each printing what happened and the state read back from the emulator (and
//! PostgreSQL), each failing the walkthrough when what it reads back is not what it should be:
//! 1. [`oceanid_cloud`]: the `examples/oceanid-cloud` stack through
//!    `pulumi-resource-crunchybridge`: firewall rules, a role, a database verified as its owner.
//! 2. [`kubernetes_allowlist`]: the cluster's nodes (`oceanid:kubernetes:getNodes`) kept in a
//!    `FirewallAllowlist`, checked with `checkAllowlist`; nodes joining and leaving.
//! 3. [`cloudflare_warp`]: the operators' WARP split-tunnel entries next to another team's
//!    protected ones, with a foreign writer racing an `up`.
//!
//! The parts shared by every stage: [`plugin`] (the engine's Engine service, launching and
//! shutting down a plugin), [`driver`] (the resource and function calls), [`show`] (printing),
//! [`emulator_admin`] (the emulator's `/__emulator/…` routes).

pub mod cloudflare_warp;
pub mod driver;
pub mod emulator_admin;
pub mod kubernetes_allowlist;
pub mod oceanid_cloud;
pub mod plugin;
pub mod show;
