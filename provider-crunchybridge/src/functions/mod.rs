//! The functions (`getX`, `verifyDatabase`), one file each.

pub mod check_allowlist;
pub mod get_account;
pub mod get_cluster;
pub mod get_firewall_rules;
pub mod get_network;
pub mod lookup;
pub mod verify_database;
