//! oceanid-core: typed clients for Crunchy Bridge and the Postgres logic worth embedding.
#![forbid(unsafe_code)]

#[cfg(feature = "cloudflare")]
pub mod cloudflare;
pub mod crunchybridge;
pub mod http;
pub mod postgres;
