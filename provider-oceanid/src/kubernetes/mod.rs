//! The module `oceanid:kubernetes`: the cluster's nodes, Flux health and the Helm preflight as
//! functions, one file each, returning `oceanid_core::kubernetes`'s reports as they are.

pub mod gate;
pub mod get_flux_health;
pub mod get_nodes;
pub mod get_preflight;
