//! oceanid-core: typed clients for Crunchy Bridge and the Postgres logic worth embedding.
//!
//! One cargo feature per client, so an embedder compiles only what it uses:
//!
//! | feature | module | pulls in |
//! |---|---|---|
//! | `crunchybridge` (default) | [`crunchybridge`] | `http` |
//! | `postgres` (default) | [`postgres`] | tokio-postgres, rustls |
//! | `cloudflare` (default) | [`cloudflare`] | `http` |
//! | `kubernetes` | `kubernetes`: nodes and egress addresses, crash loops, Flux health, Helm preflight | kube-rs, k8s-openapi (no `v1_*` feature: the final binary picks one) |
//! | `http` | [`http`]: the request executor every HTTP client is built on | reqwest (rustls) |
//!
//! The clients are on by default. `default-features = false, features = ["crunchybridge"]`
//! builds the Bridge client without tokio-postgres; `features = ["postgres"]` the SQL side
//! without reqwest.
#![forbid(unsafe_code)]

pub mod allowlist;
pub mod cidr;
#[cfg(feature = "cloudflare")]
pub mod cloudflare;
#[cfg(feature = "crunchybridge")]
pub mod crunchybridge;
#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "kubernetes")]
pub mod kubernetes;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(any(feature = "kubernetes", feature = "cloudflare"))]
pub mod report;
