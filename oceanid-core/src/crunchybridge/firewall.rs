//! Network firewall rules: `/networks/{network_id}/firewall-rules[/{rule_id}]`.
//!
//! Rules must not overlap: while a network's allow-all rule (`0.0.0.0/0`) exists, adding another
//! IPv4 rule answers 400. Rules belong to the network, so every cluster in it shares them.

use futures::TryStreamExt;
use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::open_enum::open_enum;
use super::{
    Bridge, Deletion, Error, FirewallRuleId, IdempotencyKey, ListParams, NetworkId, Page, TeamId,
    list_body,
};

open_enum!(
    /// A rule's direction (`FirewallRuleKind`).
    FirewallRuleKind {
        /// Traffic into the network (the default).
        Ingress = "ingress",
        /// Traffic out of the network.
        Egress = "egress",
    }
);

/// A firewall rule (`FirewallRule`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FirewallRule {
    /// The rule's EID.
    pub id: FirewallRuleId,
    /// The network it belongs to.
    #[serde(default)]
    pub network_id: NetworkId,
    /// The IPv4 or IPv6 CIDR.
    pub rule: String,
    /// The owning team.
    #[serde(default)]
    pub team_id: Option<TeamId>,
    /// A note; may be absent, null or empty.
    #[serde(default)]
    pub description: Option<String>,
    /// The direction; null on old rules (which are ingress).
    #[serde(default)]
    pub kind: Option<FirewallRuleKind>,
}

impl FirewallRule {
    /// The description, with an empty one taken as none.
    #[must_use]
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref().filter(|d| !d.is_empty())
    }

    /// The direction, with a missing one taken as ingress (the API's default).
    #[must_use]
    pub fn effective_kind(&self) -> FirewallRuleKind {
        self.kind.clone().unwrap_or(FirewallRuleKind::Ingress)
    }
}

/// The body of a rule create (`FirewallRuleCreateRequest`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CreateFirewallRule {
    /// The IPv4 or IPv6 CIDR (must not overlap another rule).
    pub rule: String,
    /// A note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The direction; ingress when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<FirewallRuleKind>,
}

impl CreateFirewallRule {
    /// A rule for this CIDR, without description or kind.
    #[must_use]
    pub fn new(rule: impl Into<String>) -> Self {
        Self {
            rule: rule.into(),
            ..Self::default()
        }
    }

    /// With a description.
    #[must_use]
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// With a direction.
    #[must_use]
    pub fn kind(mut self, kind: FirewallRuleKind) -> Self {
        self.kind = Some(kind);
        self
    }
}

/// The body of a rule update (`FirewallRuleUpdateRequest`): the kind cannot change.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UpdateFirewallRule {
    /// A new CIDR.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// A new description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

list_body!(FirewallRuleList, firewall_rules, FirewallRule);

/// `bridge.firewall(&network)`: one network's firewall rules.
#[derive(Clone, Debug)]
pub struct FirewallHandler {
    bridge: Bridge,
    network: NetworkId,
}

impl FirewallHandler {
    pub(crate) fn new(bridge: Bridge, network: NetworkId) -> Self {
        Self { bridge, network }
    }

    /// The network this handler works on.
    #[must_use]
    pub fn network(&self) -> &NetworkId {
        &self.network
    }

    /// Every rule of the network (following `next_cursor` when the server sends one), 200 per
    /// page (the API's maximum; its default is 100), so a large network costs half the calls.
    ///
    /// # Errors
    /// 404 for an unknown network; any other [`Error`].
    pub async fn list(&self) -> Result<Vec<FirewallRule>, Error> {
        self.bridge
            .list_stream::<FirewallRuleList, FirewallRule>(
                vec![
                    "networks".into(),
                    self.network.to_string(),
                    "firewall-rules".into(),
                ],
                ListParams::new().limit(200),
            )
            .try_collect()
            .await
    }

    /// One page of rules.
    ///
    /// # Errors
    /// Any [`Error`].
    pub async fn page(&self, params: &ListParams) -> Result<Page<FirewallRule>, Error> {
        self.bridge
            .list_page::<FirewallRuleList, FirewallRule>(
                &["networks", self.network.as_str(), "firewall-rules"],
                params,
            )
            .await
    }

    /// One rule.
    ///
    /// # Errors
    /// 404 when unknown ([`Error::is_not_found`]); any other [`Error`].
    pub async fn get(&self, id: &FirewallRuleId) -> Result<FirewallRule, Error> {
        self.bridge
            .get_json(&[
                "networks",
                self.network.as_str(),
                "firewall-rules",
                id.as_str(),
            ])
            .await
    }

    /// One rule, or `None` when it does not exist.
    ///
    /// # Errors
    /// Any [`Error`] but not-found.
    pub async fn get_opt(&self, id: &FirewallRuleId) -> Result<Option<FirewallRule>, Error> {
        self.bridge
            .get_opt_json(&[
                "networks",
                self.network.as_str(),
                "firewall-rules",
                id.as_str(),
            ])
            .await
    }

    /// Add a rule (201). Sent with a fresh idempotency key, so retries cannot add it twice.
    ///
    /// # Errors
    /// 400 when it overlaps another rule (such as the allow-all rule); any other [`Error`].
    pub async fn create(&self, req: &CreateFirewallRule) -> Result<FirewallRule, Error> {
        self.create_with_key(req, &IdempotencyKey::new()).await
    }

    /// [`Self::create`] with the caller's idempotency key.
    ///
    /// # Errors
    /// As [`Self::create`].
    pub async fn create_with_key(
        &self,
        req: &CreateFirewallRule,
        key: &IdempotencyKey,
    ) -> Result<FirewallRule, Error> {
        self.bridge
            .call(
                Method::POST,
                &["networks", self.network.as_str(), "firewall-rules"],
            )
            .json(req)
            .idempotency_key(key.clone())
            .send()
            .await
    }

    /// Change a rule's CIDR or description.
    ///
    /// # Errors
    /// 404 when unknown, 400 on overlap; any other [`Error`].
    pub async fn update(
        &self,
        id: &FirewallRuleId,
        req: &UpdateFirewallRule,
    ) -> Result<FirewallRule, Error> {
        self.update_with_key(id, req, &IdempotencyKey::new()).await
    }

    /// [`Self::update`] with the caller's idempotency key.
    ///
    /// # Errors
    /// As [`Self::update`].
    pub async fn update_with_key(
        &self,
        id: &FirewallRuleId,
        req: &UpdateFirewallRule,
        key: &IdempotencyKey,
    ) -> Result<FirewallRule, Error> {
        self.bridge
            .call(
                Method::PATCH,
                &[
                    "networks",
                    self.network.as_str(),
                    "firewall-rules",
                    id.as_str(),
                ],
            )
            .json(req)
            .idempotency_key(key.clone())
            .send()
            .await
    }

    /// Delete a rule; an unknown or already deleted one is [`Deletion::AlreadyGone`].
    ///
    /// # Errors
    /// Any [`Error`] but not-found.
    pub async fn delete(&self, id: &FirewallRuleId) -> Result<Deletion, Error> {
        self.bridge
            .delete_at(&[
                "networks",
                self.network.as_str(),
                "firewall-rules",
                id.as_str(),
            ])
            .await
    }
}
