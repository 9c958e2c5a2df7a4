//! The clients every resource and function uses once the provider is configured, and the one
//! way an operation reaches them.

use oceanid_core::crunchybridge::Bridge;

use crate::pulumi::{Context, ResourceError};

/// The clients every resource and function uses once the provider is configured.
pub struct Clients {
    /// The Crunchy Bridge API client (one shared connection pool).
    pub bridge: Bridge,
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
