//! Addresses and CIDRs as users write them, normalised to the one form a network API stores.
//!
//! One rule for every place that takes an address range (a Bridge firewall rule, an allowlist, a
//! split-tunnel entry): a bare address is a single-address network (`/32`, `/128`); host bits
//! set after the prefix are refused with the network meant; an IPv4-mapped IPv6 address or range
//! (`::ffff:203.0.113.7`, `::ffff:203.0.113.0/120`) is written in its IPv4 form, because a rule
//! kept as IPv6 would never match the IPv4 client it names. Pure: no I/O, no feature needed.

use std::net::IpAddr;

use ipnet::{IpNet, Ipv4Net};

/// The prefix length of `::ffff:0:0/96`, the IPv4-mapped IPv6 range.
const MAPPED_PREFIX: u8 = 96;

/// Why a text is not a usable address or CIDR; the message says what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidCidr(String);

/// `text` (an IPv4 or IPv6 address or CIDR, surrounding spaces ignored) as the network it names:
/// `203.0.113.7` is `203.0.113.7/32`, `::ffff:203.0.113.7` is `203.0.113.7/32`,
/// `::ffff:203.0.113.0/120` is `203.0.113.0/24`.
///
/// # Errors
/// [`InvalidCidr`] for an empty text, one that is no address or CIDR, a CIDR with host bits set
/// (proposing the network), and an IPv4-mapped range wider than the mapped space (a prefix
/// shorter than /96, which has no IPv4 form).
pub fn normalize_cidr(text: &str) -> Result<IpNet, InvalidCidr> {
    let text = text.trim();
    if text.is_empty() {
        return Err(InvalidCidr(
            "the rule is empty; give an IPv4 or IPv6 address or CIDR, e.g. `203.0.113.7` or \
             `203.0.113.0/24`"
                .into(),
        ));
    }
    let shown = shorten(text);
    let net = if text.contains('/') {
        text.parse::<IpNet>().map_err(|_| {
            InvalidCidr(format!(
                "`{shown}` is not an IPv4 or IPv6 CIDR; write it as e.g. `203.0.113.0/24` or \
                 `2001:db8::/48`"
            ))
        })?
    } else {
        let addr: IpAddr = text.parse().map_err(|_| {
            InvalidCidr(format!(
                "`{shown}` is not an IP address or CIDR; write it as e.g. `203.0.113.7` or \
                 `203.0.113.0/24`"
            ))
        })?;
        IpNet::from(addr)
    };
    let net = unmap(net, shown)?;
    let network = net.trunc();
    if network != net {
        return Err(InvalidCidr(format!(
            "`{shown}` has host bits set: did you mean `{network}`? (or `{}/{}` for just that \
             address)",
            net.addr(),
            net.max_prefix_len()
        )));
    }
    Ok(net)
}

/// An IPv4-mapped IPv6 network in its IPv4 form; any other network as it is.
fn unmap(net: IpNet, shown: &str) -> Result<IpNet, InvalidCidr> {
    let IpNet::V6(v6) = net else { return Ok(net) };
    let Some(v4) = v6.addr().to_ipv4_mapped() else {
        return Ok(net);
    };
    if v6.prefix_len() < MAPPED_PREFIX {
        return Err(InvalidCidr(format!(
            "`{shown}` is an IPv4-mapped IPv6 range wider than the mapped space (prefix shorter \
             than /96), so it has no IPv4 form and, kept as IPv6, would match no IPv4 client: \
             write the IPv4 range you mean instead, e.g. `{v4}/32` or `0.0.0.0/0` for every \
             IPv4 address"
        )));
    }
    let v4 = Ipv4Net::new(v4, v6.prefix_len() - MAPPED_PREFIX)
        .map_err(|_| InvalidCidr(format!("`{shown}` has a prefix length longer than /128")))?;
    Ok(IpNet::V4(v4))
}

/// At most 64 characters of what the user wrote, for an error message.
fn shorten(text: &str) -> &str {
    match text.char_indices().nth(64) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> String {
        normalize_cidr(text).unwrap().to_string()
    }

    fn err(text: &str) -> String {
        normalize_cidr(text).unwrap_err().to_string()
    }

    #[test]
    fn addresses_and_networks_are_normalised() {
        assert_eq!(ok("203.0.113.7"), "203.0.113.7/32");
        assert_eq!(ok(" 2001:db8::1 "), "2001:db8::1/128");
        assert_eq!(ok("10.0.0.0/8"), "10.0.0.0/8");
        assert_eq!(ok("0.0.0.0/0"), "0.0.0.0/0");
        assert_eq!(ok("::/0"), "::/0");
    }

    #[test]
    fn ipv4_mapped_ipv6_becomes_ipv4() {
        assert_eq!(ok("::ffff:203.0.113.7"), "203.0.113.7/32");
        assert_eq!(ok("::FFFF:cb00:7107"), "203.0.113.7/32");
        assert_eq!(ok("::ffff:203.0.113.7/128"), "203.0.113.7/32");
        assert_eq!(ok("::ffff:203.0.113.0/120"), "203.0.113.0/24");
        assert_eq!(ok("::ffff:0.0.0.0/96"), "0.0.0.0/0");
        // Host bits are judged in the IPv4 form, and the proposal is IPv4.
        let e = err("::ffff:203.0.113.7/120");
        assert!(e.contains("did you mean `203.0.113.0/24`"), "{e}");
        // Wider than the mapped space: no IPv4 form.
        let e = err("::ffff:0.0.0.0/95");
        assert!(e.contains("prefix shorter than /96"), "{e}");
        assert!(e.contains("IPv4 range"), "{e}");
        // Not mapped: stays IPv6 (IPv4-compatible and NAT64 addresses are other things).
        assert_eq!(ok("64:ff9b::cb00:7107"), "64:ff9b::cb00:7107/128");
    }

    #[test]
    fn bad_input_is_explained_and_truncated() {
        assert!(err("").contains("empty"));
        assert!(err("10.1.2.3/16").contains("did you mean `10.1.0.0/16`"));
        assert!(err("2001:db8::5/64").contains("`2001:db8::/64`"));
        assert!(err("10.0.0.0/33").contains("not an IPv4 or IPv6 CIDR"));
        assert!(err("example.com").contains("not an IP address"));
        let long = "x".repeat(10_000);
        assert!(err(&long).len() < 300);
    }
}
