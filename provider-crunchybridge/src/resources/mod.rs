//! The resources, one file each.

pub mod cluster;
pub mod database;
pub mod firewall_allowlist;
pub mod firewall_rule;
pub mod role;
