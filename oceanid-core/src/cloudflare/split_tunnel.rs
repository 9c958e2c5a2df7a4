//! WARP device settings profiles and their split-tunnel lists.
//!
//! A profile has no `mode` field: its mode is whichever of `include` and `exclude` it shows
//! ([`DeviceProfile::mode`]). An entry is exactly one of an address (CIDR or IP) and a host,
//! with an optional description; entries keep any field this client does not know, so a list
//! read and written back is unchanged apart from what the caller changed.

use std::fmt;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::ids::PolicyId;

/// The longest description Cloudflare accepts on an entry.
pub const MAX_DESCRIPTION_CHARS: usize = 100;

/// Which list of a profile is in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Only the listed destinations go through WARP.
    Include,
    /// Everything but the listed destinations goes through WARP.
    Exclude,
}

impl Mode {
    /// `include` or `exclude`: the list's path segment and field name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Include => "include",
            Mode::Exclude => "exclude",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an entry routes: an address or a host, never both.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SplitTunnelTarget {
    /// A CIDR or IP address, as written (`10.42.0.0/16`).
    Address(String),
    /// A domain name (`intranet.example.com`).
    Host(String),
}

impl fmt::Display for SplitTunnelTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SplitTunnelTarget::Address(a) => write!(f, "address {a}"),
            SplitTunnelTarget::Host(h) => write!(f, "host {h}"),
        }
    }
}

/// One split-tunnel entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitTunnelEntry {
    /// The address or host.
    pub target: SplitTunnelTarget,
    /// The description, when the entry has one (at most [`MAX_DESCRIPTION_CHARS`]).
    pub description: Option<String>,
    /// Fields this client does not know, kept to be written back as read.
    pub other: Map<String, Value>,
}

impl SplitTunnelEntry {
    /// An address entry with a description.
    #[must_use]
    pub fn address(address: impl Into<String>, description: impl Into<String>) -> Self {
        SplitTunnelEntry {
            target: SplitTunnelTarget::Address(address.into()),
            description: Some(description.into()),
            other: Map::new(),
        }
    }

    /// A host entry with a description.
    #[must_use]
    pub fn host(host: impl Into<String>, description: impl Into<String>) -> Self {
        SplitTunnelEntry {
            target: SplitTunnelTarget::Host(host.into()),
            description: Some(description.into()),
            other: Map::new(),
        }
    }
}

/// The wire form: `{"address"|"host", "description"?, ...}`.
#[derive(Serialize, Deserialize)]
struct WireEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(flatten)]
    other: Map<String, Value>,
}

impl Serialize for SplitTunnelEntry {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (address, host) = match &self.target {
            SplitTunnelTarget::Address(a) => (Some(a.clone()), None),
            SplitTunnelTarget::Host(h) => (None, Some(h.clone())),
        };
        WireEntry {
            address,
            host,
            description: self.description.clone(),
            other: self.other.clone(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for SplitTunnelEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = WireEntry::deserialize(deserializer)?;
        let target = match (wire.address, wire.host) {
            (Some(address), None) => SplitTunnelTarget::Address(address),
            (None, Some(host)) => SplitTunnelTarget::Host(host),
            (Some(address), Some(host)) => {
                return Err(D::Error::custom(format!(
                    "a split-tunnel entry has both address {address:?} and host {host:?}; \
                     Cloudflare allows one"
                )));
            }
            (None, None) => {
                return Err(D::Error::custom(
                    "a split-tunnel entry has neither `address` nor `host`",
                ));
            }
        };
        Ok(SplitTunnelEntry {
            target,
            description: wire.description,
            other: wire.other,
        })
    }
}

/// A device settings profile: the account's default one, or a custom one (`policy_id`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct DeviceProfile {
    /// The custom profile's id; `None` for the default profile.
    #[serde(default)]
    pub policy_id: Option<PolicyId>,
    /// Whether this is the default profile.
    #[serde(default)]
    pub default: bool,
    /// The profile's name.
    #[serde(default)]
    pub name: Option<String>,
    /// Whether it is enabled.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// The expression choosing the devices it applies to (custom profiles).
    #[serde(default, rename = "match")]
    pub match_rule: Option<String>,
    /// Its precedence among custom profiles.
    #[serde(default)]
    pub precedence: Option<i64>,
    /// The include list, when the profile shows one (`null` reads as `None`).
    #[serde(default)]
    pub include: Option<Vec<SplitTunnelEntry>>,
    /// The exclude list, when the profile shows one.
    #[serde(default)]
    pub exclude: Option<Vec<SplitTunnelEntry>>,
}

impl DeviceProfile {
    /// The profile's mode: `Include` when it shows an include list and no exclude list,
    /// `Exclude` the other way round, `None` when it shows both or neither (the mode is not
    /// positively known: do not write).
    #[must_use]
    pub fn mode(&self) -> Option<Mode> {
        match (&self.include, &self.exclude) {
            (Some(_), None) => Some(Mode::Include),
            (None, Some(_)) => Some(Mode::Exclude),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_byte_for_byte() {
        let raw = r#"[{"address":"172.20.0.0/16","description":"Manowar network (do not modify)"},{"host":"intranet.example.com","description":"wiki","created_at":"2024-01-01T00:00:00Z"},{"address":"10.9.0.1"}]"#;
        let entries: Vec<SplitTunnelEntry> = serde_json::from_str(raw).unwrap();
        assert_eq!(
            entries[0],
            SplitTunnelEntry::address("172.20.0.0/16", "Manowar network (do not modify)")
        );
        assert_eq!(
            entries[1].target,
            SplitTunnelTarget::Host("intranet.example.com".into())
        );
        assert_eq!(entries[1].other["created_at"], "2024-01-01T00:00:00Z");
        assert_eq!(entries[2].description, None);
        assert_eq!(serde_json::to_string(&entries).unwrap(), raw);
    }

    #[test]
    fn entries_are_address_xor_host() {
        let both = serde_json::from_str::<SplitTunnelEntry>(
            r#"{"address":"10.0.0.0/8","host":"a.example"}"#,
        )
        .unwrap_err();
        assert!(both.to_string().contains("both address"), "{both}");
        let neither =
            serde_json::from_str::<SplitTunnelEntry>(r#"{"description":"x"}"#).unwrap_err();
        assert!(neither.to_string().contains("neither"), "{neither}");
    }

    #[test]
    fn the_mode_is_the_list_the_profile_shows() {
        let profile = |json: &str| serde_json::from_str::<DeviceProfile>(json).unwrap();
        let default = profile(
            r#"{"default":true,"enabled":true,"include":[{"address":"10.42.0.0/16","description":"pods"}],"service_mode_v2":{"mode":"warp"}}"#,
        );
        assert_eq!(default.mode(), Some(Mode::Include));
        assert!(default.policy_id.is_none());
        let custom = profile(
            r#"{"policy_id":"6c0a1f5e-3b2d-4f8e-9a71-0ceda1d00001","match":"identity.email == \"a@b\"","precedence":100,"exclude":[],"include":null}"#,
        );
        assert_eq!(custom.mode(), Some(Mode::Exclude));
        assert_eq!(
            custom.policy_id.as_ref().map(PolicyId::as_str),
            Some("6c0a1f5e-3b2d-4f8e-9a71-0ceda1d00001")
        );
        assert_eq!(profile(r#"{"include":[],"exclude":[]}"#).mode(), None);
        assert_eq!(profile(r#"{}"#).mode(), None);
        assert_eq!(Mode::Include.to_string(), "include");
    }
}
