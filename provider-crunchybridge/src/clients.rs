//! The clients every resource and function uses once the provider is configured, and the one
//! way an operation reaches them.

use std::sync::Arc;

use oceanid_core::crunchybridge::{Bridge, Error, FirewallRule, NetworkId};

use crate::pulumi::{Context, ResourceError};
use crate::resources::list_rounds::ListRounds;

/// Single-flight lists of a network's firewall rules (see [`ListRounds`]).
pub type FirewallRuleLists = ListRounds<NetworkId, Vec<FirewallRule>, Error>;

/// The clients every resource and function uses once the provider is configured.
pub struct Clients {
    /// The Crunchy Bridge API client (one shared connection pool).
    pub bridge: Bridge,
    /// The process's shared reads of networks' rule lists: concurrent FirewallRule
    /// verifications on one network share one list call.
    pub firewall_rule_lists: Arc<FirewallRuleLists>,
}

impl Clients {
    /// The Bridge client bounded by the operation's deadline: every call, retries and
    /// back-off included, ends by then.
    pub fn bridge_until(&self, deadline: std::time::Instant) -> Bridge {
        self.bridge.with_deadline(deadline)
    }
}

/// The Bridge client of an operation.
pub trait BridgeOf {
    /// The configured Bridge client, bounded by the operation's deadline.
    ///
    /// # Errors
    /// When the provider is not configured (Configure not called, or it failed).
    fn bridge(&self) -> Result<Bridge, ResourceError>;
}

impl BridgeOf for Context<Clients> {
    fn bridge(&self) -> Result<Bridge, ResourceError> {
        Ok(self.client()?.bridge_until(self.deadline()))
    }
}
