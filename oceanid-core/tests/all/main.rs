//! oceanid-core's integration tests: one binary, one module per area.

mod bridge_emulator;
mod bridge_mock;
mod bridge_mock_server;
mod bridge_openapi;
mod http_executor;
mod cloudflare_emulator;
#[cfg(feature = "kubernetes")]
mod kubernetes;
mod postgres;
