//! Integration tests of the emulator over HTTP. Every answer the harness receives from a Bridge
//! route is checked against `openapi/crunchybridge-openapi.yaml`.

mod account;
mod admin;
mod binary;
mod cloudflare;
mod clusters;
mod faults;
mod firewall;
mod harness;
mod idempotency;
mod kubernetes;
mod networks;
mod openapi;
mod pagination;
mod postgres;
mod roles;
mod upgrades;
