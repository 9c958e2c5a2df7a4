//! The Cloudflare v4 client on the shared executor: token verification, device profiles and
//! their split-tunnel lists, tunnel routes, virtual networks, cloudflared tunnels and DNS
//! records. Every answer goes through the lenient envelope decoder; every failure is a
//! [`ClientError`] carrying Cloudflare's codes, messages and `cf-ray`.
//!
//! A split-tunnel `PUT` is sent once and never retried by the executor: a retried body could be
//! stale. Callers start again from a read (the [writer](super::SplitTunnelWriter) does).

use std::time::{Duration, Instant};

use futures::TryStreamExt;
use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderValue};
use secrecy::SecretString;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::http::{
    Executor, PageInfo, RawResponse, Request, RequestLimit, RetryPolicy, paginate_numbered,
};

use super::api::CloudflareApi;
use super::client_error::ClientError;
use super::envelope::{Answer, CF_RAY, ResultInfo, decode, decode_list};
use super::ids::{AccountId, DnsRecordId, PolicyId, RouteId, TunnelId, ZoneId};
use super::split_tunnel::{DeviceProfile, Mode, SplitTunnelEntry};
use super::teamnet::{RouteChange, TunnelRoute, VirtualNetwork};
use super::token::{ApiToken, TokenVerification};
use super::tunnels::{Tunnel, TunnelClient};
use super::{DnsRecord, DnsRecordChange};

/// Cloudflare's API base URL.
pub const DEFAULT_API_URL: &str = "https://api.cloudflare.com/client/v4";

/// How long one call may take, retries and waits included, unless the builder says otherwise.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// Items asked for per page of a paged list (routes, DNS records).
pub const DEFAULT_PAGE_SIZE: u32 = 50;

const ZERO_TRUST_READ: &str = "Zero Trust Read";
const ZERO_TRUST_WRITE: &str = "Zero Trust Write";
const NETWORKS_READ: &str = "Cloudflare One Networks Read";
const NETWORKS_WRITE: &str = "Cloudflare One Networks Write";
const TUNNEL_READ: &str = "Cloudflare Tunnel Read";
const DNS_READ: &str = "DNS Read";
const DNS_WRITE: &str = "DNS Write";
const TOKEN_VERIFY: &str = "(none: any valid token may verify itself)";

/// A Cloudflare client for one account. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Cloudflare {
    /// One executor: reads and DELETEs are retried on 429 (code 971) and 5xx; split-tunnel
    /// PUTs, POSTs and PATCHes are sent once ([`Request::send_once`]), so a stale body is never
    /// replayed.
    executor: Executor<CloudflareApi>,
    account: AccountId,
    call_timeout: Duration,
    page_size: u32,
}

/// Builds a [`Cloudflare`] client.
#[derive(Debug)]
pub struct CloudflareBuilder {
    token: Option<ApiToken>,
    account: Option<AccountId>,
    base_url: String,
    retry: RetryPolicy,
    call_timeout: Duration,
    page_size: u32,
    limit: RequestLimit,
}

impl Cloudflare {
    /// Start building a client.
    #[must_use]
    pub fn builder() -> CloudflareBuilder {
        CloudflareBuilder {
            token: None,
            account: None,
            base_url: DEFAULT_API_URL.to_owned(),
            retry: RetryPolicy::new(),
            call_timeout: DEFAULT_CALL_TIMEOUT,
            page_size: DEFAULT_PAGE_SIZE,
            limit: RequestLimit::default(),
        }
    }

    /// The cap on this client's requests on the wire at once (reads and writes together).
    #[must_use]
    pub fn request_limit(&self) -> Option<&RequestLimit> {
        self.executor.request_limit()
    }

    /// The account this client works in.
    #[must_use]
    pub fn account(&self) -> &AccountId {
        &self.account
    }

    /// The same client (token, URL, pools) working in another account.
    #[must_use]
    pub fn for_account(&self, account: AccountId) -> Cloudflare {
        Cloudflare {
            account,
            ..self.clone()
        }
    }

    fn deadline(&self) -> Instant {
        Instant::now() + self.call_timeout
    }

    fn account_path<'a>(&'a self, rest: &[&'a str]) -> Vec<&'a str> {
        let mut path = vec!["accounts", self.account.as_str()];
        path.extend_from_slice(rest);
        path
    }

    async fn raw(
        &self,
        request: Request,
        permission: &'static str,
    ) -> Result<(String, RawResponse), ClientError> {
        let display = request.display().to_owned();
        let raw = self
            .executor
            .send(request, Some(self.deadline()))
            .await
            .map_err(|e| ClientError::from_http(e, permission))?;
        Ok((display, raw))
    }

    async fn one<T: DeserializeOwned>(
        &self,
        request: Request,
        permission: &'static str,
    ) -> Result<Answer<T>, ClientError> {
        let (request, raw) = self.raw(request, permission).await?;
        decode(raw.status, &ray_headers(&raw), &raw.body)
            .map_err(|source| ClientError::from_cloudflare(request, source, permission))
    }

    async fn list<T: DeserializeOwned>(
        &self,
        request: Request,
        permission: &'static str,
    ) -> Result<Answer<Vec<T>>, ClientError> {
        let (request, raw) = self.raw(request, permission).await?;
        decode_list(raw.status, &ray_headers(&raw), &raw.body)
            .map_err(|source| ClientError::from_cloudflare(request, source, permission))
    }

    /// Every item of a page-numbered list under the account, with `filters`.
    async fn paged<T: DeserializeOwned>(
        &self,
        path: &[&str],
        filters: &[(&str, &str)],
        permission: &'static str,
    ) -> Result<Vec<T>, ClientError> {
        let per_page = self.page_size.to_string();
        paginate_numbered(|page| {
            let page = page.to_string();
            let mut request = self
                .executor
                .request(Method::GET, path)
                .query("page", &page)
                .query("per_page", &per_page);
            for (key, value) in filters {
                request = request.query(key, value);
            }
            async move {
                let answer = self.list::<T>(request, permission).await?;
                Ok::<_, ClientError>((answer.result, answer.result_info.map(page_info)))
            }
        })
        .try_collect()
        .await
    }

    /// Check the token: the account endpoint first (account-owned tokens get 401 from the user
    /// endpoint), then the user endpoint.
    ///
    /// # Errors
    /// The user endpoint's error when neither endpoint accepts the token.
    pub async fn verify_token(&self) -> Result<TokenVerification, ClientError> {
        let account = self
            .executor
            .request(Method::GET, &self.account_path(&["tokens", "verify"]));
        match self.one(account, TOKEN_VERIFY).await {
            Ok(answer) => Ok(answer.result),
            Err(first) => {
                tracing::debug!(error = %first, "the account token endpoint refused the token; trying the user endpoint");
                let user = self
                    .executor
                    .request(Method::GET, &["user", "tokens", "verify"]);
                Ok(self.one(user, TOKEN_VERIFY).await?.result)
            }
        }
    }

    fn policy_path<'a>(&'a self, policy: Option<&'a PolicyId>, rest: &[&'a str]) -> Vec<&'a str> {
        let mut path = self.account_path(&["devices", "policy"]);
        if let Some(policy) = policy {
            path.push(policy.as_str());
        }
        path.extend_from_slice(rest);
        path
    }

    /// A device profile: the default one (`policy` `None`) or a custom one.
    ///
    /// # Errors
    /// [`ClientError::is_not_found`] for an unknown policy id.
    pub async fn profile(&self, policy: Option<&PolicyId>) -> Result<DeviceProfile, ClientError> {
        let request = self
            .executor
            .request(Method::GET, &self.policy_path(policy, &[]));
        Ok(self.one(request, ZERO_TRUST_READ).await?.result)
    }

    /// The custom device profiles.
    ///
    /// # Errors
    /// Any [`ClientError`].
    pub async fn custom_profiles(&self) -> Result<Vec<DeviceProfile>, ClientError> {
        let request = self
            .executor
            .request(Method::GET, &self.account_path(&["devices", "policies"]));
        Ok(self.list(request, ZERO_TRUST_READ).await?.result)
    }

    /// A profile's include or exclude list, in Cloudflare's order (`null` is empty).
    ///
    /// # Errors
    /// Any [`ClientError`].
    pub async fn split_tunnel(
        &self,
        policy: Option<&PolicyId>,
        mode: Mode,
    ) -> Result<Vec<SplitTunnelEntry>, ClientError> {
        let request = self
            .executor
            .request(Method::GET, &self.policy_path(policy, &[mode.as_str()]));
        Ok(self.list(request, ZERO_TRUST_READ).await?.result)
    }

    /// Replace a profile's include or exclude list with `entries`; returns the list stored.
    /// Sent once: on any failure, read again before writing again.
    ///
    /// # Errors
    /// Any [`ClientError`]; [`ClientError::MissingPermission`] naming "Zero Trust Write".
    pub async fn put_split_tunnel(
        &self,
        policy: Option<&PolicyId>,
        mode: Mode,
        entries: &[SplitTunnelEntry],
    ) -> Result<Vec<SplitTunnelEntry>, ClientError> {
        let request = self
            .executor
            .request(Method::PUT, &self.policy_path(policy, &[mode.as_str()]))
            .json(entries)
            .send_once();
        let (request, raw) = self.raw(request, ZERO_TRUST_WRITE).await?;
        decode_list(raw.status, &ray_headers(&raw), &raw.body)
            .map(|a| a.result)
            .map_err(|source| ClientError::from_cloudflare(request, source, ZERO_TRUST_WRITE))
    }

    /// Live tunnel routes (`is_deleted=false`), every page.
    ///
    /// # Errors
    /// Any [`ClientError`].
    pub async fn routes(&self) -> Result<Vec<TunnelRoute>, ClientError> {
        self.paged(
            &self.account_path(&["teamnet", "routes"]),
            &[("is_deleted", "false")],
            NETWORKS_READ,
        )
        .await
    }

    /// One tunnel route.
    ///
    /// # Errors
    /// Any [`ClientError`].
    pub async fn route(&self, id: &RouteId) -> Result<TunnelRoute, ClientError> {
        let request = self.executor.request(
            Method::GET,
            &self.account_path(&["teamnet", "routes", id.as_str()]),
        );
        Ok(self.one(request, NETWORKS_READ).await?.result)
    }

    /// The route that serves `ip`.
    ///
    /// # Errors
    /// [`ClientError::is_not_found`] when no route covers it.
    pub async fn route_for_ip(&self, ip: &str) -> Result<TunnelRoute, ClientError> {
        let request = self.executor.request(
            Method::GET,
            &self.account_path(&["teamnet", "routes", "ip", ip]),
        );
        Ok(self.one(request, NETWORKS_READ).await?.result)
    }

    /// Create a tunnel route (`network` and `tunnel_id` required). Not retried.
    ///
    /// # Errors
    /// Any [`ClientError`].
    pub async fn create_route(&self, route: &RouteChange) -> Result<TunnelRoute, ClientError> {
        self.write(
            Method::POST,
            &self.account_path(&["teamnet", "routes"]),
            route,
            NETWORKS_WRITE,
        )
        .await
    }

    /// Change a tunnel route. Not retried.
    ///
    /// # Errors
    /// Any [`ClientError`].
    pub async fn patch_route(
        &self,
        id: &RouteId,
        change: &RouteChange,
    ) -> Result<TunnelRoute, ClientError> {
        self.write(
            Method::PATCH,
            &self.account_path(&["teamnet", "routes", id.as_str()]),
            change,
            NETWORKS_WRITE,
        )
        .await
    }

    /// Delete a tunnel route.
    ///
    /// # Errors
    /// Any [`ClientError`].
    pub async fn delete_route(&self, id: &RouteId) -> Result<(), ClientError> {
        let request = self.executor.request(
            Method::DELETE,
            &self.account_path(&["teamnet", "routes", id.as_str()]),
        );
        self.one::<serde_json::Value>(request, NETWORKS_WRITE)
            .await
            .map(drop)
    }

    /// The virtual networks.
    ///
    /// # Errors
    /// Any [`ClientError`].
    pub async fn virtual_networks(&self) -> Result<Vec<VirtualNetwork>, ClientError> {
        let request = self.executor.request(
            Method::GET,
            &self.account_path(&["teamnet", "virtual_networks"]),
        );
        Ok(self.list(request, NETWORKS_READ).await?.result)
    }

    /// The cloudflared tunnels that are not deleted.
    ///
    /// # Errors
    /// Any [`ClientError`].
    pub async fn tunnels(&self) -> Result<Vec<Tunnel>, ClientError> {
        let request = self
            .executor
            .request(Method::GET, &self.account_path(&["cfd_tunnel"]))
            .query("is_deleted", "false");
        Ok(self.list(request, TUNNEL_READ).await?.result)
    }

    /// One cloudflared tunnel, with its status and connections.
    ///
    /// # Errors
    /// Any [`ClientError`].
    pub async fn tunnel(&self, id: &TunnelId) -> Result<Tunnel, ClientError> {
        let request = self.executor.request(
            Method::GET,
            &self.account_path(&["cfd_tunnel", id.as_str()]),
        );
        Ok(self.one(request, TUNNEL_READ).await?.result)
    }

    /// A tunnel's connected cloudflared clients and their connections.
    ///
    /// # Errors
    /// Any [`ClientError`].
    pub async fn tunnel_connections(
        &self,
        id: &TunnelId,
    ) -> Result<Vec<TunnelClient>, ClientError> {
        let request = self.executor.request(
            Method::GET,
            &self.account_path(&["cfd_tunnel", id.as_str(), "connections"]),
        );
        Ok(self.list(request, TUNNEL_READ).await?.result)
    }

    /// A zone's DNS records, every page.
    ///
    /// # Errors
    /// Any [`ClientError`].
    pub async fn dns_records(&self, zone: &ZoneId) -> Result<Vec<DnsRecord>, ClientError> {
        self.paged(&["zones", zone.as_str(), "dns_records"], &[], DNS_READ)
            .await
    }

    /// Create a DNS record. Not retried.
    ///
    /// # Errors
    /// A duplicate is [`CloudflareError::is_record_exists`](super::CloudflareError::is_record_exists)
    /// or [`is_identical_record`](super::CloudflareError::is_identical_record).
    pub async fn create_dns_record(
        &self,
        zone: &ZoneId,
        record: &DnsRecordChange,
    ) -> Result<DnsRecord, ClientError> {
        self.write(
            Method::POST,
            &["zones", zone.as_str(), "dns_records"],
            record,
            DNS_WRITE,
        )
        .await
    }

    /// Change a DNS record. Not retried.
    ///
    /// # Errors
    /// A missing record is [`CloudflareError::is_record_missing`](super::CloudflareError::is_record_missing).
    pub async fn patch_dns_record(
        &self,
        zone: &ZoneId,
        id: &DnsRecordId,
        change: &DnsRecordChange,
    ) -> Result<DnsRecord, ClientError> {
        self.write(
            Method::PATCH,
            &["zones", zone.as_str(), "dns_records", id.as_str()],
            change,
            DNS_WRITE,
        )
        .await
    }

    /// Delete a DNS record.
    ///
    /// # Errors
    /// A missing record is [`CloudflareError::is_record_missing`](super::CloudflareError::is_record_missing).
    pub async fn delete_dns_record(
        &self,
        zone: &ZoneId,
        id: &DnsRecordId,
    ) -> Result<(), ClientError> {
        let request = self.executor.request(
            Method::DELETE,
            &["zones", zone.as_str(), "dns_records", id.as_str()],
        );
        self.one::<serde_json::Value>(request, DNS_WRITE)
            .await
            .map(drop)
    }

    async fn write<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &[&str],
        body: &B,
        permission: &'static str,
    ) -> Result<T, ClientError> {
        let request = self.executor.request(method, path).json(body).send_once();
        Ok(self.one(request, permission).await?.result)
    }
}

impl CloudflareBuilder {
    /// The API token (`Authorization: Bearer`).
    #[must_use]
    pub fn token(mut self, token: ApiToken) -> Self {
        self.token = Some(token);
        self
    }

    /// The account id every account call goes to.
    #[must_use]
    pub fn account(mut self, account: AccountId) -> Self {
        self.account = Some(account);
        self
    }

    /// The API base URL (default [`DEFAULT_API_URL`]; the emulator's is `<base>/client/v4`).
    #[must_use]
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// The retry policy of reads (writes are sent once).
    #[must_use]
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// At most `max` requests on the wire at once, reads and writes together (default 10; 0 is
    /// taken as 1).
    #[must_use]
    pub fn max_concurrent_requests(mut self, max: usize) -> Self {
        self.limit = RequestLimit::new(max);
        self
    }

    /// Share `limit` with other clients (e.g. one per account, built per operation, that must
    /// stay under one cap together).
    #[must_use]
    pub fn request_limit(mut self, limit: RequestLimit) -> Self {
        self.limit = limit;
        self
    }

    /// How long one call may take, retries included.
    #[must_use]
    pub fn call_timeout(mut self, timeout: Duration) -> Self {
        self.call_timeout = timeout;
        self
    }

    /// Items per page of paged lists (1 to 1000).
    #[must_use]
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = size.clamp(1, 1000);
        self
    }

    /// Build the client.
    ///
    /// # Errors
    /// [`ClientError::Http`] with a configuration error naming what is missing: no token, a blank
    /// token, no account id, a base URL that does not parse.
    pub fn build(self) -> Result<Cloudflare, ClientError> {
        let config = |m: &str| ClientError::Http(crate::http::Error::Config(m.to_owned()));
        let token = self.token.ok_or_else(|| {
            config("no Cloudflare API token: set CLOUDFLARE_API_TOKEN (or the provider's cloudflareApiToken)")
        })?;
        if token.is_blank() {
            return Err(config(
                "the Cloudflare API token is blank: set CLOUDFLARE_API_TOKEN to a token with Zero Trust permissions",
            ));
        }
        let account = self
            .account
            .filter(|a| !a.as_str().trim().is_empty())
            .ok_or_else(|| {
                config("no Cloudflare account id: set CLOUDFLARE_ACCOUNT_ID (or the provider's cloudflareAccountId)")
            })?;
        let secret = || Some(SecretString::from(token.expose().to_owned()));
        let executor = Executor::builder(CloudflareApi, self.base_url.clone())
            .token(secret())
            .retry(self.retry.clone())
            .request_limit(Some(self.limit.clone()))
            .build()
            .map_err(ClientError::Http)?;
        Ok(Cloudflare {
            executor,
            account,
            call_timeout: self.call_timeout,
            page_size: self.page_size,
        })
    }
}

/// A header map holding the answer's `cf-ray`, for the envelope decoder.
fn ray_headers(raw: &RawResponse) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Some(ray) = raw
        .request_id
        .as_deref()
        .and_then(|r| HeaderValue::from_str(r).ok())
    {
        headers.insert(CF_RAY, ray);
    }
    headers
}

fn page_info(info: ResultInfo) -> PageInfo {
    PageInfo {
        page: info.page,
        per_page: info.per_page,
        count: info.count,
        total_count: info.total_count,
        total_pages: info.total_pages,
    }
}
