//! Whether an address is globally routable: the rule that keeps a private or CGNAT address from
//! ever being guessed as the egress address Crunchy Bridge sees.
//!
//! An address is globally routable unless it falls in one of the IANA special-purpose blocks
//! listed in [`NOT_GLOBAL`] (RFC 6890 and its updates): private (RFC 1918, IPv6 ULA), shared
//! address space/CGNAT (100.64.0.0/10, as Tailscale and carrier NAT use), loopback, link-local,
//! "this network", IETF protocol assignments, documentation (TEST-NET-1/2/3, 2001:db8::/32,
//! 3fff::/20), benchmarking, reserved (240.0.0.0/4), broadcast, multicast, discard-only,
//! NAT64 and 6to4/Teredo transition prefixes. An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is
//! judged as its IPv4 address. `std`'s `IpAddr::is_global` would do this but is not stable, so
//! the table is spelled out here, once.

use std::net::IpAddr;
use std::sync::LazyLock;

use ipnet::IpNet;

/// The special-purpose blocks whose addresses are never taken to be globally routable, with
/// why.
pub const NOT_GLOBAL: &[(&str, &str)] = &[
    ("0.0.0.0/8", "\"this network\""),
    ("10.0.0.0/8", "private (RFC 1918)"),
    ("100.64.0.0/10", "shared address space / CGNAT (RFC 6598)"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("172.16.0.0/12", "private (RFC 1918)"),
    ("192.0.0.0/24", "IETF protocol assignments"),
    ("192.0.2.0/24", "documentation (TEST-NET-1)"),
    ("192.88.99.0/24", "6to4 relay anycast (deprecated)"),
    ("192.168.0.0/16", "private (RFC 1918)"),
    ("198.18.0.0/15", "benchmarking"),
    ("198.51.100.0/24", "documentation (TEST-NET-2)"),
    ("203.0.113.0/24", "documentation (TEST-NET-3)"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved (and broadcast)"),
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("64:ff9b::/96", "NAT64"),
    ("64:ff9b:1::/48", "local NAT64"),
    ("100::/64", "discard-only"),
    (
        "2001::/23",
        "IETF protocol assignments (Teredo, benchmarking, ORCHID)",
    ),
    ("2001:db8::/32", "documentation"),
    ("2002::/16", "6to4"),
    ("3fff::/20", "documentation"),
    ("fc00::/7", "unique local (private)"),
    ("fe80::/10", "link-local"),
    ("ff00::/8", "multicast"),
];

static BLOCKS: LazyLock<Vec<(IpNet, &'static str)>> = LazyLock::new(|| {
    NOT_GLOBAL
        .iter()
        .filter_map(|(net, why)| net.parse::<IpNet>().ok().map(|n| (n, *why)))
        .collect()
});

/// Why `addr` is not globally routable, or `None` when it is.
pub fn non_global_reason(addr: IpAddr) -> Option<&'static str> {
    let addr = match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(addr),
        v4 => v4,
    };
    BLOCKS
        .iter()
        .find(|(net, _)| net.contains(&addr))
        .map(|(_, why)| *why)
}

/// True when `addr` is in no special-purpose block (see the module docs).
pub fn is_globally_routable(addr: IpAddr) -> bool {
    non_global_reason(addr).is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn global(s: &str) -> bool {
        is_globally_routable(s.parse().expect("test address"))
    }

    #[test]
    fn every_listed_block_parses() {
        assert_eq!(BLOCKS.len(), NOT_GLOBAL.len());
    }

    #[test]
    fn public_addresses_are_global() {
        for a in [
            "157.173.210.123",
            "191.101.1.3",
            "8.8.8.8",
            "2a02:c207::1",
            "100.63.255.255",
            "100.128.0.1",
        ] {
            assert!(global(a), "{a}");
        }
    }

    #[test]
    fn private_cgnat_loopback_link_local_and_documentation_are_not() {
        for a in [
            "192.168.2.10",
            "10.42.0.5",
            "172.16.0.1",
            "172.31.255.255",
            "100.64.0.1",
            "100.127.255.254",
            "127.0.0.1",
            "169.254.1.1",
            "192.0.2.7",
            "198.51.100.1",
            "203.0.113.9",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "fe80::1",
            "fd00::1",
            "2001:db8::1",
            "::ffff:192.168.1.1",
            "224.0.0.1",
        ] {
            assert!(!global(a), "{a}");
        }
        assert_eq!(
            non_global_reason("100.100.1.1".parse().expect("addr")),
            Some("shared address space / CGNAT (RFC 6598)")
        );
    }
}
