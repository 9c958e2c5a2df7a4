//! The module `oceanid:cloudflare`: the WARP split tunnel as it stands and the private-access
//! checks, one file each, on `oceanid_core::cloudflare`.

pub mod connect;
pub mod get_split_tunnel;
pub mod split_tunnel_entry;
pub mod verify_private_access;
