//! Newtype ids, so a cluster id cannot be passed where a network id is expected.
//!
//! Ids are kept as the server sent them (no validation on decode: a lenient client must not
//! fail on an id format it did not expect). [`is_eid`] checks the documented EID format when a
//! caller wants to validate input.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! string_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wrap an id string as given.
            #[must_use]
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            /// The id as a string slice.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The id as an owned string.
            #[must_use]
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = std::convert::Infallible;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(Self(s.to_owned()))
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(s)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

string_id!(
    /// An account's EID.
    AccountId
);
string_id!(
    /// A team's EID.
    TeamId
);
string_id!(
    /// A cluster's EID.
    ClusterId
);
string_id!(
    /// A network's EID.
    NetworkId
);
string_id!(
    /// A firewall rule's EID.
    FirewallRuleId
);
string_id!(
    /// A provider-specific plan id, such as `hobby-2` or `standard-8`.
    PlanId
);
string_id!(
    /// A cloud provider id: `aws`, `azure` or `gcp`.
    ProviderId
);
string_id!(
    /// A provider-specific region id, such as `us-east-1`.
    RegionId
);
string_id!(
    /// A Postgres version's EID (in responses; requests may also use a major number, see
    /// [`crate::crunchybridge::PostgresVersionSelector`]).
    PostgresVersionId
);
string_id!(
    /// A Postgres role name: `application`, `postgres`, `user` or `u_<account id>`.
    RoleName
);

impl RoleName {
    /// The built-in non-superuser role.
    #[must_use]
    pub fn application() -> Self {
        Self::new("application")
    }

    /// The superuser role.
    #[must_use]
    pub fn postgres() -> Self {
        Self::new("postgres")
    }

    /// The alias of the caller's own `u_<account id>` role.
    #[must_use]
    pub fn user() -> Self {
        Self::new("user")
    }

    /// The role belonging to an account: `u_<account id>`.
    #[must_use]
    pub fn for_account(account: &AccountId) -> Self {
        Self(format!("u_{account}"))
    }

    /// Whether this is a role the API manages itself (`application`, `postgres`, `user`,
    /// `default`), which cannot be deleted.
    #[must_use]
    pub fn is_builtin(&self) -> bool {
        matches!(
            self.0.as_str(),
            "application" | "postgres" | "user" | "default"
        )
    }
}

/// Whether `s` has the documented EID shape: 26 lowercase base32 characters, the last one of
/// `aeimquy4`.
#[must_use]
pub fn is_eid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 26
        && b[..25]
            .iter()
            .all(|c| c.is_ascii_lowercase() || (b'2'..=b'7').contains(c))
        && b"aeimquy4".contains(&b[25])
}

/// The key that makes a POST or PATCH safe to retry: the server replays its stored response
/// for a repeat of the same request with the same key (kept one hour).
///
/// The client sends a fresh key on every create and update and reuses it across that call's
/// retries; pass your own (`create_with_key`) to make a retry *across calls* (say, after a
/// process restart) safe too.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// A fresh random key (a v4 UUID).
    #[must_use]
    pub fn new() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }

    /// The key as a string slice.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for IdempotencyKey {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for IdempotencyKey {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

impl From<String> for IdempotencyKey {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl From<&str> for IdempotencyKey {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

impl From<uuid::Uuid> for IdempotencyKey {
    fn from(u: uuid::Uuid) -> Self {
        Self(u.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_as_plain_strings() {
        let id: ClusterId = "abc".parse().unwrap();
        assert_eq!(id.to_string(), "abc");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"abc\"");
        let back: ClusterId = serde_json::from_str("\"abc\"").unwrap();
        assert_eq!(back, id);
        assert_eq!(id, "abc");
        assert_eq!(String::from(id), "abc");
    }

    #[test]
    fn role_names() {
        let a = AccountId::new("x");
        assert_eq!(RoleName::for_account(&a).as_str(), "u_x");
        assert!(RoleName::postgres().is_builtin());
        assert!(!RoleName::for_account(&a).is_builtin());
    }

    #[test]
    fn eid_shape() {
        assert!(is_eid("rvf73a77ozfsvcttryebfrnlem"));
        assert!(!is_eid("rvf73a77ozfsvcttryebfrnleb"));
        assert!(!is_eid("RVF73A77OZFSVCTTRYEBFRNLEM"));
        assert!(!is_eid("short"));
    }

    #[test]
    fn idempotency_keys_are_fresh_uuids() {
        let a = IdempotencyKey::new();
        assert_ne!(a, IdempotencyKey::new());
        assert!(uuid::Uuid::parse_str(a.as_str()).is_ok());
        assert_eq!(IdempotencyKey::from("k").as_str(), "k");
    }
}
