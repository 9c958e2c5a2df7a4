//! oceanid-core: typed clients for Crunchy Bridge and the Postgres logic worth embedding.
//!
//! One cargo feature per client, so an embedder compiles only what it uses:
//!
//! | feature | module | pulls in |
//! |---|---|---|
//! | `crunchybridge` (default) | [`crunchybridge`] | `http` |
//! | `postgres` (default) | [`postgres`] | tokio-postgres, rustls |
//! | `cloudflare` (default) | [`cloudflare`] | `http` |
//! | `http` | [`http`]: the request executor every HTTP client is built on | reqwest (rustls) |
//!
//! The clients are on by default. `default-features = false, features = ["crunchybridge"]`
//! builds the Bridge client without tokio-postgres; `features = ["postgres"]` the SQL side
//! without reqwest.
#![forbid(unsafe_code)]

pub mod cidr;
#[cfg(feature = "cloudflare")]
pub mod cloudflare;
#[cfg(feature = "crunchybridge")]
pub mod crunchybridge;
#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "postgres")]
pub mod postgres;
