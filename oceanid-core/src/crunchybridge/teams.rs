//! Teams: `GET /teams`, `GET /teams/{id}`, and the team certificate `GET /teams/{id}.pem`.

use futures::TryStreamExt;
use serde::{Deserialize, Serialize};

use super::open_enum::open_enum;
use super::{Bridge, Error, ListParams, Page, RoleFlavor, TeamId, list_body};

open_enum!(
    /// The caller's role on a team.
    TeamRole {
        /// Administers the team.
        Admin = "admin",
        /// Manages clusters.
        Manager = "manager",
        /// A member.
        Member = "member",
    }
);

/// A team (`Team`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Team {
    /// The team's EID.
    pub id: TeamId,
    /// The team's name.
    #[serde(default)]
    pub name: String,
    /// Whether this is the caller's default team.
    #[serde(default)]
    pub is_default: bool,
    /// Whether this is the caller's personal team.
    #[serde(default)]
    pub is_personal: Option<bool>,
    /// The caller's role (`None` on a personal team).
    #[serde(default)]
    pub role: Option<TeamRole>,
    /// Default flavor of database roles made for team accounts.
    #[serde(default)]
    pub default_role_flavor: Option<RoleFlavor>,
    /// Support tier (`standard`, `business`, `premium`), if one is selected.
    #[serde(default)]
    pub support_tier: Option<String>,
    /// Whether members must use multi-factor authentication.
    #[serde(default)]
    pub enforce_mfa: Option<bool>,
    /// Whether members must use SSO.
    #[serde(default)]
    pub enforce_sso: Option<bool>,
    /// Billing email.
    #[serde(default)]
    pub billing_email: Option<String>,
    /// Technical email.
    #[serde(default)]
    pub technical_email: Option<String>,
    /// When the team was created.
    #[serde(default)]
    pub created_at: Option<String>,
    /// When the team was last updated.
    #[serde(default)]
    pub updated_at: Option<String>,
}

list_body!(TeamList, teams, Team);

/// `bridge.teams()`: teams visible to the caller.
#[derive(Clone, Debug)]
pub struct TeamsHandler {
    bridge: Bridge,
}

impl TeamsHandler {
    pub(crate) fn new(bridge: Bridge) -> Self {
        Self { bridge }
    }

    /// Every team, all pages.
    ///
    /// # Errors
    /// Any [`Error`] from a page.
    pub async fn list(&self) -> Result<Vec<Team>, Error> {
        self.bridge
            .list_stream::<TeamList, Team>(vec!["teams".into()], ListParams::default())
            .try_collect()
            .await
    }

    /// One page of teams.
    ///
    /// # Errors
    /// Any [`Error`].
    pub async fn page(&self, params: &ListParams) -> Result<Page<Team>, Error> {
        self.bridge
            .list_page::<TeamList, Team>(&["teams"], params)
            .await
    }

    /// One team.
    ///
    /// # Errors
    /// 404 when the team is unknown ([`Error::is_not_found`]); any other [`Error`].
    pub async fn get(&self, id: &TeamId) -> Result<Team, Error> {
        self.bridge.get_json(&["teams", id.as_str()]).await
    }

    /// One team, or `None` when it does not exist.
    ///
    /// # Errors
    /// Any [`Error`] but not-found.
    pub async fn get_opt(&self, id: &TeamId) -> Result<Option<Team>, Error> {
        self.bridge.get_opt_json(&["teams", id.as_str()]).await
    }

    /// The team's CA certificate chain (PEM), for `sslmode=verify-ca`.
    ///
    /// # Errors
    /// Any [`Error`]; [`Error::Config`] is not possible here.
    pub async fn certificate(&self, id: &TeamId) -> Result<String, Error> {
        let file = format!("{id}.pem");
        self.bridge
            .call(reqwest::Method::GET, &["teams", &file])
            .accept("application/pem-certificate-chain, application/x-pem-file, text/plain, */*")
            .send_text()
            .await
    }
}
