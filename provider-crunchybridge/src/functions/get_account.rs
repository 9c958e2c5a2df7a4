//! `crunchybridge:index:getAccount`: the account the API key belongs to.

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::clients::{BridgeOf, Clients};
use crate::pulumi::{Context, Function, ResourceError};

/// `getAccount` takes no arguments.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
pub struct GetAccountArgs {}

/// The account behind the provider's API key.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GetAccountResult {
    /// The account's id (its `u_<id>` role is the `user` role of every cluster).
    pub id: String,
    /// The account's email address.
    pub email: String,
    /// The account holder's name.
    pub name: String,
    /// The account's default team, when one is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_team_id: Option<String>,
    /// The team the account's own resources go to: the default team, or else the personal
    /// team (whose id is the account id). Use it as a Cluster's `teamId`.
    pub team_id: String,
    /// The account's own Postgres role name on every cluster, `u_<id>` (what the role name
    /// `user` stands for).
    pub role_name: String,
    /// Whether the account signs in through single sign-on.
    pub has_sso: bool,
    /// Whether multi-factor authentication is on.
    pub multi_factor_enabled: bool,
    /// When the account was created (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
}

/// `crunchybridge:index:getAccount`.
#[derive(Clone, Copy, Debug, Default)]
pub struct GetAccount;

#[async_trait]
impl Function for GetAccount {
    type Client = Clients;
    type Args = GetAccountArgs;
    type Output = GetAccountResult;

    const TOKEN: &'static str = "crunchybridge:index:getAccount";
    const DESCRIPTION: &'static str = "The Crunchy Bridge account the provider's API key \
        belongs to: its id, email, name, and the team its resources go to.";

    async fn invoke(
        &self,
        cx: &Context<Clients>,
        _args: GetAccountArgs,
    ) -> Result<GetAccountResult, ResourceError> {
        let bridge = cx.bridge()?;
        let account = bridge
            .account()
            .get()
            .await
            .map_err(|e| ResourceError::msg(format!("cannot read the account: {e}")))?;
        let id = account
            .id
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        Ok(GetAccountResult {
            team_id: account
                .effective_team_id()
                .map(|t| t.to_string())
                .unwrap_or_default(),
            role_name: if id.is_empty() {
                String::new()
            } else {
                format!("u_{id}")
            },
            id,
            email: account.email,
            name: account.name,
            default_team_id: account.default_team_id.map(|t| t.to_string()),
            has_sso: account.has_sso,
            multi_factor_enabled: account.multi_factor_enabled,
            created_at: account.created_at,
        })
    }
}
