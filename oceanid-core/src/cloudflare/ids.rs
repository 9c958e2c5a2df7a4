//! Typed ids, so a tunnel id cannot be passed where a route id is expected: one generic
//! [`Id`] with a marker per kind of object.
//!
//! Ids are kept as Cloudflare sent them (no validation on decode).

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What kind of object an [`Id`] names.
pub trait IdKind {
    /// The name of the id type, as `Debug` shows it (`TunnelId`).
    const NAME: &'static str;
}

/// The id of a Cloudflare object of kind `K`: a string, compared, hashed and serialised as one.
pub struct Id<K> {
    value: String,
    kind: PhantomData<fn() -> K>,
}

impl<K> Id<K> {
    /// Wraps an id string as given.
    #[must_use]
    pub fn new(id: impl Into<String>) -> Self {
        Id {
            value: id.into(),
            kind: PhantomData,
        }
    }

    /// The id as a string slice.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// The id as an owned string.
    #[must_use]
    pub fn into_string(self) -> String {
        self.value
    }
}

impl<K> Clone for Id<K> {
    fn clone(&self) -> Self {
        Id::new(self.value.clone())
    }
}

impl<K> PartialEq for Id<K> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<K> Eq for Id<K> {}

impl<K> PartialOrd for Id<K> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<K> Ord for Id<K> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.value.cmp(&other.value)
    }
}

impl<K> Hash for Id<K> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.value.hash(state);
    }
}

impl<K> PartialEq<str> for Id<K> {
    fn eq(&self, other: &str) -> bool {
        self.value == other
    }
}

impl<K> PartialEq<&str> for Id<K> {
    fn eq(&self, other: &&str) -> bool {
        self.value == *other
    }
}

impl<K: IdKind> fmt::Debug for Id<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple(K::NAME).field(&self.value).finish()
    }
}

impl<K> fmt::Display for Id<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.value)
    }
}

impl<K> AsRef<str> for Id<K> {
    fn as_ref(&self) -> &str {
        &self.value
    }
}

impl<K> From<&str> for Id<K> {
    fn from(id: &str) -> Self {
        Id::new(id)
    }
}

impl<K> From<String> for Id<K> {
    fn from(id: String) -> Self {
        Id::new(id)
    }
}

impl<K> Serialize for Id<K> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.value)
    }
}

impl<'de, K> Deserialize<'de> for Id<K> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Id::new)
    }
}

macro_rules! id_kinds {
    ($($(#[$meta:meta])* $alias:ident => $kind:ident;)*) => {$(
        #[doc = concat!("Marks an [`Id`] as a [`", stringify!($alias), "`].")]
        #[derive(Debug)]
        pub enum $kind {}

        impl IdKind for $kind {
            const NAME: &'static str = stringify!($alias);
        }

        $(#[$meta])*
        pub type $alias = Id<$kind>;
    )*};
}

id_kinds! {
    /// An account (`accounts/{account_id}`), 32 hex digits.
    AccountId => AccountKind;
    /// A custom device settings profile (`devices/policy/{policy_id}`), a UUID.
    PolicyId => PolicyKind;
    /// A cloudflared tunnel (`cfd_tunnel/{tunnel_id}`), a UUID.
    TunnelId => TunnelKind;
    /// A tunnel route (`teamnet/routes/{route_id}`), a UUID.
    RouteId => RouteKind;
    /// A virtual network (`teamnet/virtual_networks/{id}`), a UUID.
    VirtualNetworkId => VirtualNetworkKind;
    /// A zone (`zones/{zone_id}`), 32 hex digits.
    ZoneId => ZoneKind;
    /// A DNS record (`zones/{zone_id}/dns_records/{id}`), 32 hex digits.
    DnsRecordId => DnsRecordKind;
    /// An API token (what `tokens/verify` reports).
    TokenId => TokenKind;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_strings_of_one_kind() {
        let tunnel = TunnelId::new("3d1f0e2a-5c4b-4a9d-8e7f-0ceda1d07071");
        assert_eq!(
            format!("{tunnel:?}"),
            "TunnelId(\"3d1f0e2a-5c4b-4a9d-8e7f-0ceda1d07071\")"
        );
        assert_eq!(tunnel.to_string(), "3d1f0e2a-5c4b-4a9d-8e7f-0ceda1d07071");
        assert_eq!(
            serde_json::to_string(&tunnel).unwrap(),
            "\"3d1f0e2a-5c4b-4a9d-8e7f-0ceda1d07071\""
        );
        let back: TunnelId =
            serde_json::from_str("\"3d1f0e2a-5c4b-4a9d-8e7f-0ceda1d07071\"").unwrap();
        assert_eq!(back, tunnel);
        assert_eq!(back, "3d1f0e2a-5c4b-4a9d-8e7f-0ceda1d07071");
        assert!(RouteId::new("a") < RouteId::new("b"));
        assert_eq!(std::mem::size_of::<ZoneId>(), std::mem::size_of::<String>());
    }
}
