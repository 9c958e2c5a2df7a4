//! oceanid-core: typed clients for Crunchy Bridge and the Postgres logic worth embedding.
#![forbid(unsafe_code)]

pub mod crunchybridge;
pub mod http;
#[cfg(feature = "kubernetes")]
pub mod kubernetes;
pub mod postgres;
