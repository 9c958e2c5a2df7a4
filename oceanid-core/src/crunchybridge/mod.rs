//! The Crunchy Bridge REST client: a [`Bridge`] handle and one handler per API area.
//!
//! ```
//! use std::time::Duration;
//! use futures::TryStreamExt;
//! use oceanid_core::crunchybridge::{Bridge, CreateFirewallRule, Deletion};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // A local stand-in for the API; in production, keep the default base URL.
//! let emulator = oceanid_emulator::Emulator::start(Default::default()).await?;
//! let bridge = Bridge::builder()
//!     .api_key(emulator.api_key())
//!     .base_url(emulator.base_url())
//!     .build()?;
//! // Every call through this handle, retries and waits included, ends within 30 s.
//! let bridge = bridge.with_timeout(Duration::from_secs(30));
//!
//! let account = bridge.account().get().await?;
//! let clusters: Vec<_> = bridge.clusters().stream().try_collect().await?; // every page
//! assert!(!clusters.is_empty());
//!
//! let network = &bridge.networks().list_all().await?[0];
//! let firewall = bridge.firewall(&network.id);
//! // A new network allows everything; that rule must go before single addresses can be added.
//! for rule in firewall.list().await? {
//!     if rule.rule == "0.0.0.0/0" {
//!         firewall.delete(&rule.id).await?;
//!     }
//! }
//! let rule = firewall
//!     .create(&CreateFirewallRule::new("203.0.113.7/32").description("worker-1"))
//!     .await?;
//! assert_eq!(rule.description(), Some("worker-1"));
//! assert_eq!(firewall.delete(&rule.id).await?, Deletion::Deleted);
//! assert_eq!(firewall.delete(&rule.id).await?, Deletion::AlreadyGone);
//! # let _ = account;
//! # Ok(()) }
//! ```
//!
//! Behaviour worth knowing:
//! - **Retries**: GET, PUT and DELETE are retried on 429 (after `Retry-After`), 5xx, answers
//!   marked `is_transient`, and connection failures, with jittered exponential backoff
//!   ([`RetryPolicy`]). POST and PATCH are retried only with an `Idempotency-Key`, which every
//!   create and update here sends (a fresh UUID per call, the same on each of its retries; pass
//!   your own with the `*_with_key` methods).
//! - **Deadlines**: [`Bridge::with_deadline`] / [`Bridge::with_timeout`] return a handle whose
//!   calls end by then with [`Error::Timeout`], carrying the last underlying error.
//! - **Errors**: one [`Error`] type; see its predicates (`is_not_found`, `is_retryable`,
//!   `is_maybe_sent`, `request_id`, `status`). Deletes map 404/410 to [`Deletion::AlreadyGone`].
//! - **Decoding** is lenient: unknown fields are ignored, unknown enum values kept
//!   (`ClusterState::Other("…")`), and a decode failure names the JSON path.
//! - **Secrets**: the API key is sent only in the `Authorization` header (marked sensitive),
//!   never logged, and redacted from `Debug` and error messages; role passwords and URIs are
//!   [`SecretString`]s.

mod account;
mod clusters;
pub mod error;
mod firewall;
pub mod ids;
mod networks;
mod open_enum;
mod postgres_versions;
mod providers;
pub mod request;
mod roles;
mod teams;

use std::fmt;
use std::time::{Duration, Instant};

use futures::Stream;
use reqwest::{Method, Url};
pub use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;

pub use self::account::{Account, AccountHandler};
pub use self::clusters::{
    Cluster, ClusterOperation, ClusterState, ClusterStatus, ClusterUpgrade, ClustersHandler,
    CreateCluster, DiskUsage, FirewallMode, KeyUse, OperationFlavor, OperationState,
    PostgresVersionSelector, UpdateCluster, UpgradeCluster,
};
pub use self::error::{ApiError, Error};
pub use self::firewall::{
    CreateFirewallRule, FirewallHandler, FirewallRule, FirewallRuleKind, UpdateFirewallRule,
};
pub use self::ids::{
    AccountId, ClusterId, FirewallRuleId, IdempotencyKey, NetworkId, PlanId, PostgresVersionId,
    ProviderId, RegionId, RoleName, TeamId, is_eid,
};
pub use self::networks::{Network, NetworksHandler};
pub use self::postgres_versions::{PostgresVersion, PostgresVersionsHandler};
pub use self::providers::{Plan, Provider, ProviderDisk, ProvidersHandler, Region};
pub use self::request::{ApiRequest, BridgeApi, RawResponse, Response};
pub use self::roles::{Role, RoleFlavor, RolesHandler, UpsertRole};
pub use self::teams::{Team, TeamRole, TeamsHandler};
use crate::http::{Executor, ExecutorBuilder};
pub use crate::http::{Page, RetryPolicy};

/// The production API.
pub const DEFAULT_BASE_URL: &str = "https://api.crunchybridge.com";
/// The environment variables that hold an API key, in the order the provider and the CLI read
/// them.
pub const API_KEY_ENV: [&str; 2] = ["CRUNCHYBRIDGE_API_KEY", "CB_API_KEY"];
/// The environment variable that points a client at another API URL (an emulator, say).
pub const API_URL_ENV: &str = "CRUNCHYBRIDGE_API_URL";

/// The default `User-Agent`.
pub const DEFAULT_USER_AGENT: &str = concat!("oceanid/", env!("CARGO_PKG_VERSION"));

/// A Crunchy Bridge client. Cheap to clone (the connection pool and settings are shared); each
/// clone may carry its own deadline.
#[derive(Clone)]
pub struct Bridge {
    inner: Executor<BridgeApi>,
    deadline: Option<Instant>,
}

impl fmt::Debug for Bridge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bridge")
            .field("executor", &self.inner)
            .field("deadline", &self.deadline)
            .finish()
    }
}

impl Bridge {
    /// Start building a client.
    #[must_use]
    pub fn builder() -> BridgeBuilder {
        BridgeBuilder::default()
    }

    /// The base URL requests go to.
    #[must_use]
    pub fn base_url(&self) -> &Url {
        self.inner.base_url()
    }

    /// The most requests this client (every clone and deadline handle of it) keeps on the wire
    /// at once; `None` when uncapped.
    #[must_use]
    pub fn max_concurrent_requests(&self) -> Option<usize> {
        self.inner
            .request_limit()
            .map(crate::http::RequestLimit::max)
    }

    /// How many more requests could go on the wire right now without waiting for a slot;
    /// `None` when uncapped. A snapshot: 0 means requests are queueing for the API.
    #[must_use]
    pub fn free_request_slots(&self) -> Option<usize> {
        self.inner
            .request_limit()
            .map(crate::http::RequestLimit::available)
    }

    /// Waits until a request could go on the wire without queueing behind others (at once
    /// when uncapped).
    pub async fn until_free_request_slot(&self) {
        if let Some(limit) = self.inner.request_limit() {
            limit.until_free().await;
        }
    }

    /// The deadline of this handle, if it has one.
    #[must_use]
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// A handle whose every call (retries and backoff waits included) ends by `deadline`, with
    /// [`Error::Timeout`] if it has not finished. Shares this client's connection pool.
    #[must_use]
    pub fn with_deadline(&self, deadline: Instant) -> Bridge {
        Bridge {
            inner: self.inner.clone(),
            deadline: Some(deadline),
        }
    }

    /// [`Bridge::with_deadline`] at `timeout` from now.
    #[must_use]
    pub fn with_timeout(&self, timeout: Duration) -> Bridge {
        let now = Instant::now();
        self.with_deadline(
            now.checked_add(timeout)
                .unwrap_or(now + Duration::from_secs(365 * 24 * 3600)),
        )
    }

    /// A handle without a deadline (retries then end by the retry policy's attempt cap).
    #[must_use]
    pub fn without_deadline(&self) -> Bridge {
        Bridge {
            inner: self.inner.clone(),
            deadline: None,
        }
    }

    /// The authenticated account.
    #[must_use]
    pub fn account(&self) -> AccountHandler {
        AccountHandler::new(self.clone())
    }

    /// Teams and their certificates.
    #[must_use]
    pub fn teams(&self) -> TeamsHandler {
        TeamsHandler::new(self.clone())
    }

    /// Cloud providers with their plans and regions.
    #[must_use]
    pub fn providers(&self) -> ProvidersHandler {
        ProvidersHandler::new(self.clone())
    }

    /// Available Postgres versions.
    #[must_use]
    pub fn postgres_versions(&self) -> PostgresVersionsHandler {
        PostgresVersionsHandler::new(self.clone())
    }

    /// Clusters: list, create, update, delete, status, upgrades, HA.
    #[must_use]
    pub fn clusters(&self) -> ClustersHandler {
        ClustersHandler::new(self.clone())
    }

    /// Networks: list, get, rename.
    #[must_use]
    pub fn networks(&self) -> NetworksHandler {
        NetworksHandler::new(self.clone())
    }

    /// The firewall rules of one network.
    #[must_use]
    pub fn firewall(&self, network: &NetworkId) -> FirewallHandler {
        FirewallHandler::new(self.clone(), network.clone())
    }

    /// The Postgres roles of one cluster.
    #[must_use]
    pub fn roles(&self, cluster: &ClusterId) -> RolesHandler {
        RolesHandler::new(self.clone(), cluster.clone())
    }

    /// A low-level request to `path` (relative to the base URL, such as `/clusters/abc/status`;
    /// each `/`-separated part is percent-encoded as one path segment). Use it for endpoints
    /// the handlers do not cover; it has the same retries, deadline and errors.
    pub fn request(&self, method: Method, path: &str) -> ApiRequest {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        ApiRequest::new(self.clone(), method, &segments)
    }

    pub(crate) fn call(&self, method: Method, segments: &[&str]) -> ApiRequest {
        ApiRequest::new(self.clone(), method, segments)
    }

    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        segments: &[&str],
    ) -> Result<T, Error> {
        self.call(Method::GET, segments).send().await
    }

    pub(crate) async fn get_opt_json<T: DeserializeOwned>(
        &self,
        segments: &[&str],
    ) -> Result<Option<T>, Error> {
        match self.get_json(segments).await {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub(crate) async fn delete_at(&self, segments: &[&str]) -> Result<Deletion, Error> {
        match self.call(Method::DELETE, segments).send_raw().await {
            Ok(_) => Ok(Deletion::Deleted),
            Err(e) if e.is_not_found() => Ok(Deletion::AlreadyGone),
            Err(e) => Err(e),
        }
    }

    pub(crate) async fn list_page<L, T>(
        &self,
        segments: &[&str],
        params: &ListParams,
    ) -> Result<Page<T>, Error>
    where
        L: DeserializeOwned + Into<Page<T>>,
    {
        let list: L = params
            .apply(self.call(Method::GET, segments))
            .send()
            .await?;
        Ok(list.into())
    }

    pub(crate) fn list_stream<L, T>(
        &self,
        segments: Vec<String>,
        params: ListParams,
    ) -> impl Stream<Item = Result<T, Error>> + Send + 'static
    where
        L: DeserializeOwned + Into<Page<T>> + Send + 'static,
        T: Send + 'static,
    {
        let bridge = self.clone();
        crate::http::paginate(move |cursor| {
            let bridge = bridge.clone();
            let segments = segments.clone();
            let params = ListParams {
                cursor: cursor.or_else(|| params.cursor.clone()),
                ..params.clone()
            };
            async move {
                let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
                bridge.list_page::<L, T>(&segs, &params).await
            }
        })
    }
}

/// Builds a [`Bridge`]: an [`ExecutorBuilder`] for [`BridgeApi`] with Bridge's defaults.
#[derive(Debug)]
pub struct BridgeBuilder {
    executor: ExecutorBuilder<BridgeApi>,
}

impl Default for BridgeBuilder {
    fn default() -> Self {
        Self {
            executor: Executor::builder(BridgeApi, DEFAULT_BASE_URL).user_agent(DEFAULT_USER_AGENT),
        }
    }
}

impl BridgeBuilder {
    fn with(
        self,
        f: impl FnOnce(ExecutorBuilder<BridgeApi>) -> ExecutorBuilder<BridgeApi>,
    ) -> Self {
        Self {
            executor: f(self.executor),
        }
    }

    /// The API key (`cbkey_…`), sent as `Authorization: Bearer`. Without one, only the anonymous
    /// endpoints (providers, Postgres versions) answer.
    #[must_use]
    pub fn api_key(self, key: impl Into<String>) -> Self {
        self.api_key_secret(SecretString::from(key.into()))
    }

    /// The API key as a secret already.
    #[must_use]
    pub fn api_key_secret(self, key: SecretString) -> Self {
        self.with(|e| e.token(Some(key)))
    }

    /// The base URL (default [`DEFAULT_BASE_URL`]); point it at an emulator in tests. Plain
    /// `http://` is accepted for loopback hosts only.
    #[must_use]
    pub fn base_url(self, url: &str) -> Self {
        self.with(|e| e.base_url(url))
    }

    /// The `User-Agent` (default [`DEFAULT_USER_AGENT`]).
    #[must_use]
    pub fn user_agent(self, ua: impl Into<String>) -> Self {
        self.with(|e| e.user_agent(ua))
    }

    /// The retry policy (default [`RetryPolicy::default`]).
    #[must_use]
    pub fn retry(self, policy: RetryPolicy) -> Self {
        self.with(|e| e.retry(policy))
    }

    /// At most `max` requests on the wire at once, shared by every clone of the client
    /// (default [`DEFAULT_MAX_CONCURRENT_REQUESTS`](crate::http::DEFAULT_MAX_CONCURRENT_REQUESTS),
    /// 10; 0 is taken as 1). A request waiting for `Retry-After` or a backoff delay holds no slot.
    #[must_use]
    pub fn max_concurrent_requests(self, max: usize) -> Self {
        self.with(|e| e.max_concurrent_requests(max))
    }

    /// How long one connection attempt may take (default 10 s).
    #[must_use]
    pub fn connect_timeout(self, d: Duration) -> Self {
        self.with(|e| e.connect_timeout(d))
    }

    /// How long one attempt may take before it counts as a (retryable, outcome-unknown) failure
    /// (default 60 s; `None`: only the deadline limits it).
    #[must_use]
    pub fn attempt_timeout(self, d: Option<Duration>) -> Self {
        self.with(|e| e.attempt_timeout(d))
    }

    /// Use this `reqwest` client (and its connection pool) instead of building one; the user
    /// agent, timeouts and redirect policy are then the client's own.
    #[must_use]
    pub fn http_client(self, client: reqwest::Client) -> Self {
        self.with(|e| e.http_client(client))
    }

    /// Build the client.
    ///
    /// # Errors
    /// [`Error::Config`] when the base URL is not an absolute `https://` URL (plain `http://` is
    /// accepted for loopback hosts only, such as a local emulator) or carries credentials, the
    /// API key is not a valid header value (no message ever includes it), or the HTTP client
    /// cannot be built.
    pub fn build(self) -> Result<Bridge, Error> {
        Ok(Bridge {
            inner: self.executor.build()?,
            deadline: None,
        })
    }
}

/// What a delete found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deletion {
    /// The object existed and is now deleted.
    Deleted,
    /// The object was already gone (404 or 410): for a provider, the same as deleted.
    AlreadyGone,
}

/// The direction a list is ordered in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// Ascending (the API's default).
    Asc,
    /// Descending.
    Desc,
}

/// Parameters of one list page.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListParams {
    /// The `next_cursor` of the preceding page.
    pub cursor: Option<String>,
    /// Items per page (1-200; the API's default is 100).
    pub limit: Option<u32>,
    /// Ordering direction.
    pub order: Option<Order>,
    /// Field to order by (`id`, `name`, ... depending on the list).
    pub order_field: Option<String>,
    /// Only this team's objects (clusters, networks).
    pub team_id: Option<TeamId>,
}

impl ListParams {
    /// No parameters: the API's defaults.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Items per page.
    #[must_use]
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Start after this cursor.
    #[must_use]
    pub fn cursor(mut self, cursor: impl Into<String>) -> Self {
        self.cursor = Some(cursor.into());
        self
    }

    /// Order direction.
    #[must_use]
    pub fn order(mut self, order: Order) -> Self {
        self.order = Some(order);
        self
    }

    /// Order field.
    #[must_use]
    pub fn order_field(mut self, field: impl Into<String>) -> Self {
        self.order_field = Some(field.into());
        self
    }

    /// Only one team's objects.
    #[must_use]
    pub fn team(mut self, team: &TeamId) -> Self {
        self.team_id = Some(team.clone());
        self
    }

    fn apply(&self, mut req: ApiRequest) -> ApiRequest {
        if let Some(c) = &self.cursor {
            req = req.query("cursor", c);
        }
        if let Some(l) = self.limit {
            req = req.query("limit", &l.to_string());
        }
        if let Some(o) = self.order {
            req = req.query(
                "order",
                match o {
                    Order::Asc => "asc",
                    Order::Desc => "desc",
                },
            );
        }
        if let Some(f) = &self.order_field {
            req = req.query("order_field", f);
        }
        if let Some(t) = &self.team_id {
            req = req.query("team_id", t.as_str());
        }
        req
    }
}

/// Decoding helper for list bodies: `{<items>, has_more?, next_cursor?}`.
macro_rules! list_body {
    ($name:ident, $field:ident, $item:ty) => {
        #[derive(serde::Deserialize)]
        pub(crate) struct $name {
            $field: Vec<$item>,
            #[serde(default)]
            has_more: Option<bool>,
            #[serde(default)]
            next_cursor: Option<String>,
        }

        impl From<$name> for $crate::http::Page<$item> {
            fn from(l: $name) -> Self {
                $crate::http::Page::from_parts(l.$field, l.has_more, l.next_cursor)
            }
        }
    };
}
pub(crate) use list_body;

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>(_: &T) {}
    fn assert_send<T: Send>(_: T) {}

    /// The provider runs calls on a multi-threaded runtime: handles and futures must be `Send`.
    #[test]
    fn handles_and_futures_are_send() {
        let bridge = Bridge::builder().build().expect("default client");
        assert_send_sync(&bridge);
        let cluster = ClusterId::new("c");
        let network = NetworkId::new("n");
        assert_send(bridge.account().get());
        assert_send(bridge.clusters().get(&cluster));
        assert_send(bridge.clusters().stream());
        assert_send(bridge.clusters().list_all());
        assert_send(bridge.clusters().create(&CreateCluster::default()));
        assert_send(bridge.firewall(&network).list());
        assert_send(
            bridge
                .firewall(&network)
                .create(&CreateFirewallRule::new("10.0.0.0/8")),
        );
        assert_send(bridge.roles(&cluster).get(&RoleName::postgres()));
        assert_send(bridge.networks().stream());
        assert_send(bridge.teams().certificate(&TeamId::new("t")));
    }

    #[test]
    fn debug_never_shows_the_key() {
        let bridge = Bridge::builder()
            .api_key("cbkey_Quiet-Otter-93")
            .build()
            .expect("client");
        let text = format!(
            "{bridge:?} {:?}",
            Bridge::builder().api_key("cbkey_Quiet-Otter-93")
        );
        assert!(!text.contains("Quiet-Otter"), "{text}");
        assert_eq!(bridge.base_url().as_str(), "https://api.crunchybridge.com/");
        let later = bridge.with_timeout(Duration::from_secs(5));
        assert!(later.deadline().is_some() && bridge.deadline().is_none());
        assert!(later.without_deadline().deadline().is_none());
    }

    #[test]
    fn bad_keys_are_config_errors_that_do_not_show_the_key() {
        let err = Bridge::builder()
            .api_key("cbkey_Line\nBreak")
            .build()
            .expect_err("a newline cannot be sent in a header");
        assert!(matches!(err, Error::Config(_)));
        assert!(!err.to_string().contains("Line"), "{err}");
    }
}
