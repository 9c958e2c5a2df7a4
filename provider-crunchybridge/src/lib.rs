//! The Crunchy Bridge Pulumi provider: `pulumi-resource-crunchybridge`.
//!
//! [`pulumi`] is the protocol layer (the `pulumi-provider` crate, generic over any package);
//! [`provider`] is the
//! `crunchybridge` package: its configuration and the list of its resources and functions;
//! [`resources`] holds one file per resource and [`functions`] one file per function.
//!
//! ```no_run
//! use provider_crunchybridge::provider::CrunchyBridge;
//!
//! # async fn run() -> std::io::Result<()> {
//! // What the binary does: print the port, serve until SIGINT/SIGTERM.
//! CrunchyBridge::provider().serve(None).await
//! # }
//! ```
#![forbid(unsafe_code)]

pub mod clients;
pub mod functions;
pub mod provider;
pub mod resources;

/// The protocol layer this provider is built on (the `pulumi-provider` crate).
pub use pulumi_provider as pulumi;
