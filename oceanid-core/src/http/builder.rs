//! Building an [`Executor`]: base URL (checked), token, retry policy, timeouts, and a
//! `reqwest` client that never follows redirects.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};

use super::api::ApiDescription;
use super::error::Error;
use super::executor::{Executor, Inner};
use super::redact::REDACTED;
use super::request_limit::RequestLimit;
use super::retry::RetryPolicy;
use super::transport::parse_base_url;

/// Builds an [`Executor`].
pub struct ExecutorBuilder<D> {
    api: D,
    base_url: String,
    token: Option<SecretString>,
    user_agent: String,
    retry: RetryPolicy,
    connect_timeout: Duration,
    attempt_timeout: Option<Duration>,
    http: Option<reqwest::Client>,
    limit: Option<RequestLimit>,
}

impl<D: ApiDescription> fmt::Debug for ExecutorBuilder<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExecutorBuilder")
            .field("api", &self.api)
            .field("token", &self.token.as_ref().map(|_| REDACTED))
            .field("retry", &self.retry)
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

impl<D: ApiDescription> ExecutorBuilder<D> {
    /// A builder for `api` at `base_url` (checked by
    /// [`parse_base_url`](super::transport::parse_base_url) when built). Defaults: no token,
    /// [`RetryPolicy::default`], connect timeout 10 s, attempt timeout 60 s, at most
    /// [`DEFAULT_MAX_CONCURRENT_REQUESTS`](super::request_limit::DEFAULT_MAX_CONCURRENT_REQUESTS)
    /// requests on the wire at once.
    pub fn new(api: D, base_url: impl Into<String>) -> Self {
        Self {
            api,
            base_url: base_url.into(),
            token: None,
            user_agent: concat!("oceanid/", env!("CARGO_PKG_VERSION")).to_owned(),
            retry: RetryPolicy::default(),
            connect_timeout: Duration::from_secs(10),
            attempt_timeout: Some(Duration::from_secs(60)),
            http: None,
            limit: Some(RequestLimit::default()),
        }
    }

    /// The base URL (checked when built).
    #[must_use]
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// The key or token, sent as the description's `Authorization` value.
    #[must_use]
    pub fn token(mut self, token: Option<SecretString>) -> Self {
        self.token = token;
        self
    }

    /// The `User-Agent`.
    #[must_use]
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = ua.into();
        self
    }

    /// The retry policy.
    #[must_use]
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// How long one connection attempt may take.
    #[must_use]
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = d;
        self
    }

    /// How long one attempt may take (`None`: only the deadline limits it).
    #[must_use]
    pub fn attempt_timeout(mut self, d: Option<Duration>) -> Self {
        self.attempt_timeout = d;
        self
    }

    /// At most `max` requests of this executor on the wire at once (0 is taken as 1); a
    /// request waiting for a `Retry-After` or a backoff delay holds no slot.
    #[must_use]
    pub fn max_concurrent_requests(mut self, max: usize) -> Self {
        self.limit = Some(RequestLimit::new(max));
        self
    }

    /// Share `limit` with other executors (clients of one API that must stay under one cap
    /// together); `None` removes the cap.
    #[must_use]
    pub fn request_limit(mut self, limit: Option<RequestLimit>) -> Self {
        self.limit = limit;
        self
    }

    /// Use this `reqwest` client instead of building one; its own timeouts, user agent and
    /// redirect policy then apply (build it with `redirect::Policy::none()`: the executor
    /// reports a 3xx as [`Error::Redirect`] only when the client does not follow it).
    #[must_use]
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Build the executor.
    ///
    /// # Errors
    /// [`Error::Config`] when the base URL is refused (see
    /// [`parse_base_url`](super::transport::parse_base_url)), the token is not a valid header
    /// value (the message never includes it), or the HTTP client cannot be built.
    pub fn build(self) -> Result<Executor<D>, Error> {
        let name = self.api.name();
        let base_url = parse_base_url(&self.base_url)
            .map_err(|e| Error::Config(format!("{name} base URL: {e}")))?;
        let auth_header = match &self.token {
            Some(token) => {
                let mut v =
                    HeaderValue::from_str(&self.api.authorization(token.expose_secret().trim()))
                        .map_err(|_| {
                            Error::Config(format!(
                                "the {name} key or token contains characters that cannot be sent \
                                 in a header"
                            ))
                        })?;
                v.set_sensitive(true);
                Some(v)
            }
            None => None,
        };
        let http = match self.http {
            Some(client) => client,
            None => {
                let mut b = reqwest::Client::builder()
                    .user_agent(self.user_agent)
                    .connect_timeout(self.connect_timeout)
                    .redirect(reqwest::redirect::Policy::none())
                    .pool_idle_timeout(Duration::from_secs(60));
                if let Some(t) = self.attempt_timeout {
                    b = b.timeout(t);
                }
                b.build()
                    .map_err(|e| Error::Config(format!("could not build the HTTP client: {e}")))?
            }
        };
        Ok(Executor {
            inner: Arc::new(Inner {
                api: self.api,
                http,
                base_url,
                token: self.token,
                auth_header,
                retry: self.retry,
                limit: self.limit,
            }),
        })
    }
}
