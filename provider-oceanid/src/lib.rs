//! The `oceanid` Pulumi provider: `pulumi-resource-oceanid`.
//!
//! [`provider`] is the `oceanid` package: its configuration and the list of its functions and
//! resources; [`clients`] holds what they use once configured (the Kubernetes handle, built on
//! first use, and the Cloudflare settings); [`kubernetes`] holds the module
//! `oceanid:kubernetes:*`, one file per function. The `oceanid:cloudflare:*` module goes in
//! `src/cloudflare/`.
//!
//! ```no_run
//! use provider_oceanid::provider::Oceanid;
//!
//! # async fn run() -> std::io::Result<()> {
//! // What the binary does: print the port, serve until SIGINT/SIGTERM.
//! Oceanid::provider().serve(None).await
//! # }
//! ```
#![forbid(unsafe_code)]

pub mod clients;
pub mod cloudflare;
pub mod config;
pub mod kubernetes;
pub mod provider;

/// The protocol layer this provider is built on (the `pulumi-provider` crate).
pub use pulumi_provider as pulumi;
