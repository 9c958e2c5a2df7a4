//! `GET /account`: the account behind the API key.

use serde::{Deserialize, Serialize};

use super::{AccountId, Bridge, Error, TeamId};

/// A user account (`Account` in the OpenAPI description).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Account {
    /// The account's EID (absent on synthetic SSO accounts).
    #[serde(default)]
    pub id: Option<AccountId>,
    /// Email address.
    #[serde(default)]
    pub email: String,
    /// Full name.
    #[serde(default)]
    pub name: String,
    /// The default team; `None` means the personal team (whose id is the account id).
    #[serde(default)]
    pub default_team_id: Option<TeamId>,
    /// Whether the account has a password.
    #[serde(default)]
    pub has_password: bool,
    /// Whether the account has a federated SSO identity.
    #[serde(default)]
    pub has_sso: bool,
    /// Whether multi-factor authentication is on.
    #[serde(default)]
    pub multi_factor_enabled: bool,
    /// Whether notifications are on.
    #[serde(default)]
    pub notifications_enabled: bool,
    /// When the account was created.
    #[serde(default)]
    pub created_at: Option<String>,
    /// When the account was last updated.
    #[serde(default)]
    pub updated_at: Option<String>,
    /// When the account was last seen.
    #[serde(default)]
    pub last_seen_at: Option<String>,
}

impl Account {
    /// The team that owns the account's own resources: the default team, else the personal
    /// team (whose id is the account id).
    #[must_use]
    pub fn effective_team_id(&self) -> Option<TeamId> {
        self.default_team_id
            .clone()
            .or_else(|| self.id.as_ref().map(|id| TeamId::new(id.as_str())))
    }
}

/// `bridge.account()`: the authenticated account.
#[derive(Clone, Debug)]
pub struct AccountHandler {
    bridge: Bridge,
}

impl AccountHandler {
    pub(crate) fn new(bridge: Bridge) -> Self {
        Self { bridge }
    }

    /// The account the API key belongs to.
    ///
    /// # Errors
    /// [`Error::Unauthorized`] for a missing or wrong key; otherwise any [`Error`].
    pub async fn get(&self) -> Result<Account, Error> {
        self.bridge.get_json(&["account"]).await
    }
}
