//! oceanid-core's integration tests: one binary, one module per area.

mod bridge_emulator;
mod bridge_mock;
mod bridge_mock_server;
mod bridge_openapi;
mod cloudflare_client;
mod cloudflare_emulator;
mod cloudflare_fixture;
mod cloudflare_group_commit;
mod cloudflare_split_tunnel_writer;
mod http_executor;
mod http_request_limit;
#[cfg(feature = "kubernetes")]
mod kubernetes;
mod postgres;
