//! One split-tunnel entry as oceanid declares it, checked before anything is written: exactly
//! one of an address (normalised; never `0.0.0.0/0` or `::/0`) and a host (a bare domain, no
//! scheme or path), a description of at most 100 characters, and no overlap with a protected
//! CIDR. Its [`EntryKey`] is what identifies it in a list.

use std::fmt;

use ipnet::IpNet;

use super::split_tunnel::{MAX_DESCRIPTION_CHARS, SplitTunnelEntry, SplitTunnelTarget};
use crate::cidr::normalize_cidr;

/// Why a declared entry cannot be written; the message says what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidEntry(String);

impl InvalidEntry {
    /// `net` overlaps the protected network `protected`.
    #[must_use]
    pub fn protected(net: &IpNet, protected: &IpNet) -> InvalidEntry {
        InvalidEntry(format!(
            "address `{net}` overlaps the protected network `{protected}` \
             (protectedSplitTunnelAddresses): oceanid never creates, changes or deletes an entry \
             there; choose a range outside it"
        ))
    }
}

/// What identifies an entry in one list: its normalised address, or its host in lower case.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntryKey {
    /// A network (`10.42.0.0/16`, `192.168.2.10/32`).
    Address(IpNet),
    /// A domain name, lower case.
    Host(String),
}

impl EntryKey {
    /// The key of an entry read from Cloudflare; `None` for an address that does not parse
    /// (such an entry is foreign and left alone).
    #[must_use]
    pub fn of(entry: &SplitTunnelEntry) -> Option<EntryKey> {
        match &entry.target {
            SplitTunnelTarget::Address(a) => normalize_cidr(a).ok().map(EntryKey::Address),
            SplitTunnelTarget::Host(h) => Some(EntryKey::Host(h.trim().to_ascii_lowercase())),
        }
    }

    /// The target as written to Cloudflare.
    #[must_use]
    pub fn target(&self) -> SplitTunnelTarget {
        match self {
            EntryKey::Address(net) => SplitTunnelTarget::Address(net.to_string()),
            EntryKey::Host(h) => SplitTunnelTarget::Host(h.clone()),
        }
    }
}

impl fmt::Display for EntryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntryKey::Address(net) => write!(f, "{net}"),
            EntryKey::Host(h) => f.write_str(h),
        }
    }
}

/// CIDRs nothing may create, change or delete anything overlapping (another team's networks).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProtectedCidrs(Vec<IpNet>);

impl ProtectedCidrs {
    /// Parse the configured list.
    ///
    /// # Errors
    /// [`InvalidEntry`] naming the entry that is not a CIDR.
    pub fn parse<S: AsRef<str>>(cidrs: &[S]) -> Result<ProtectedCidrs, InvalidEntry> {
        cidrs
            .iter()
            .map(|c| {
                normalize_cidr(c.as_ref()).map_err(|e| {
                    InvalidEntry(format!(
                        "protectedSplitTunnelAddresses: `{}` is not a CIDR: {e}",
                        c.as_ref()
                    ))
                })
            })
            .collect::<Result<_, _>>()
            .map(ProtectedCidrs)
    }

    /// The protected network `net` overlaps, if any.
    #[must_use]
    pub fn overlapping(&self, net: &IpNet) -> Option<&IpNet> {
        self.0
            .iter()
            .find(|p| p.contains(&net.network()) || net.contains(&p.network()))
    }

    /// Whether an entry read from Cloudflare is protected (its address overlaps the list).
    #[must_use]
    pub fn protects(&self, entry: &SplitTunnelEntry) -> bool {
        matches!(EntryKey::of(entry), Some(EntryKey::Address(net)) if self.overlapping(&net).is_some())
    }

    /// The protected networks.
    #[must_use]
    pub fn networks(&self) -> &[IpNet] {
        &self.0
    }
}

/// A split-tunnel entry as declared: a valid key and description.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeclaredEntry {
    /// What identifies it in the list.
    pub key: EntryKey,
    /// Its description.
    pub description: String,
}

impl DeclaredEntry {
    /// Check a declared entry: exactly one of `address` and `host`, a description of at most 100
    /// characters, and an address that overlaps no protected CIDR.
    ///
    /// # Errors
    /// [`InvalidEntry`] saying what is wrong and what to write instead.
    pub fn new(
        address: Option<&str>,
        host: Option<&str>,
        description: &str,
        protected: &ProtectedCidrs,
    ) -> Result<DeclaredEntry, InvalidEntry> {
        let key = match (
            address.filter(|a| !a.trim().is_empty()),
            host.filter(|h| !h.trim().is_empty()),
        ) {
            (Some(_), Some(_)) => {
                return Err(InvalidEntry(
                    "give exactly one of `address` and `host`, not both: a split-tunnel entry \
                     routes a network or a domain"
                        .into(),
                ));
            }
            (None, None) => {
                return Err(InvalidEntry(
                    "give one of `address` (a CIDR or IP, e.g. `10.42.0.0/16`) or `host` (a \
                     domain, e.g. `intranet.example.com`)"
                        .into(),
                ));
            }
            (Some(address), None) => EntryKey::Address(address_key(address, protected)?),
            (None, Some(host)) => EntryKey::Host(host_key(host)?),
        };
        let chars = description.chars().count();
        if chars > MAX_DESCRIPTION_CHARS {
            return Err(InvalidEntry(format!(
                "the description is {chars} characters; Cloudflare accepts at most \
                 {MAX_DESCRIPTION_CHARS}: shorten it"
            )));
        }
        Ok(DeclaredEntry {
            key,
            description: description.to_owned(),
        })
    }
}

fn address_key(address: &str, protected: &ProtectedCidrs) -> Result<IpNet, InvalidEntry> {
    let net = normalize_cidr(address).map_err(|e| InvalidEntry(format!("address: {e}")))?;
    if net.prefix_len() == 0 {
        return Err(InvalidEntry(format!(
            "address `{net}` would send every destination through WARP (or none): declare the \
             networks you mean, e.g. `10.42.0.0/16`"
        )));
    }
    if let Some(p) = protected.overlapping(&net) {
        return Err(InvalidEntry::protected(&net, p));
    }
    Ok(net)
}

fn host_key(host: &str) -> Result<String, InvalidEntry> {
    let host = host.trim();
    if host.contains("://") {
        return Err(InvalidEntry(format!(
            "host `{host}` has a scheme: give the bare domain, e.g. `intranet.example.com`"
        )));
    }
    let valid = host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '*')
        });
    if !valid {
        return Err(InvalidEntry(format!(
            "host `{host}` is not a domain name: give the bare domain, e.g. \
             `intranet.example.com` (no path, port or spaces)"
        )));
    }
    Ok(host.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn protected() -> ProtectedCidrs {
        ProtectedCidrs::parse(&["172.20.0.0/16", "172.21.0.0/16"]).unwrap()
    }

    fn check(
        address: Option<&str>,
        host: Option<&str>,
        description: &str,
    ) -> Result<DeclaredEntry, String> {
        DeclaredEntry::new(address, host, description, &protected()).map_err(|e| e.to_string())
    }

    #[test]
    fn good_entries_are_normalised() {
        let e = check(Some(" 192.168.2.10 "), None, "gpu").unwrap();
        assert_eq!(e.key.to_string(), "192.168.2.10/32");
        let h = check(None, Some("Intranet.Example.com"), "").unwrap();
        assert_eq!(h.key, EntryKey::Host("intranet.example.com".into()));
    }

    #[test]
    fn bad_input_is_refused_with_the_reason() {
        assert!(
            check(Some("10.0.0.0/8"), Some("a.example"), "")
                .unwrap_err()
                .contains("not both")
        );
        assert!(
            check(None, None, "")
                .unwrap_err()
                .contains("one of `address`")
        );
        assert!(
            check(Some("0.0.0.0/0"), None, "")
                .unwrap_err()
                .contains("every destination")
        );
        assert!(
            check(Some("::/0"), None, "")
                .unwrap_err()
                .contains("every destination")
        );
        assert!(
            check(None, Some("https://a.example"), "")
                .unwrap_err()
                .contains("scheme")
        );
        assert!(
            check(None, Some("a.example/path"), "")
                .unwrap_err()
                .contains("not a domain")
        );
        let long = "x".repeat(101);
        assert!(
            check(Some("10.1.0.0/16"), None, &long)
                .unwrap_err()
                .contains("101 characters")
        );
        assert!(check(Some("10.1.0.0/16"), None, &"x".repeat(100)).is_ok());
        assert!(
            check(Some("10.1.0.1/16"), None, "")
                .unwrap_err()
                .contains("host bits")
        );
    }

    #[test]
    fn any_overlap_with_a_protected_network_is_refused() {
        for overlapping in [
            "172.20.0.0/16",
            "172.20.5.0/24",
            "172.16.0.0/12",
            "172.21.9.9",
        ] {
            let error = check(Some(overlapping), None, "").unwrap_err();
            assert!(
                error.contains("protected network"),
                "{overlapping}: {error}"
            );
        }
        assert!(check(Some("172.22.0.0/16"), None, "").is_ok());
        assert!(protected().protects(&SplitTunnelEntry::address("172.20.0.0/16", "x")));
        assert!(!protected().protects(&SplitTunnelEntry::host("a.example", "x")));
    }
}
