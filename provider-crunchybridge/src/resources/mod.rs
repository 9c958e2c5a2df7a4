//! The resources, one file each.

pub mod cluster;
pub mod database;
pub mod firewall_allowlist;
pub mod firewall_rule;
mod import_command;
pub mod list_rounds;
pub mod role;
mod team_chain;
pub mod urn;
