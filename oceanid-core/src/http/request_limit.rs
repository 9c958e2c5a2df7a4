//! A cap on the requests one client has on the wire at once.
//!
//! The Pulumi engine sends every independent resource operation at once (its `--parallel`
//! defaults to unbounded), so a stack of 500 firewall rules reaches the provider as 500 Creates
//! together. Without a cap the provider would open 500 connections to the API and draw its rate
//! limiter; with one, the API sees at most `N` requests from this process at a time, whatever
//! the engine does.
//!
//! A permit is held only while a request is sent and its answer read: never while waiting for a
//! server's `Retry-After` or a backoff delay, so one caller's wait does not stall the others.

use std::fmt;
use std::sync::Arc;

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

/// The default number of requests an executor keeps on the wire at once.
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 10;

/// The largest cap accepted (a larger number is taken as this one); far above what any API
/// this project talks to tolerates from one client.
pub const MAX_CONCURRENT_REQUESTS_LIMIT: usize = 1_000;

/// A cap on concurrent requests, shareable between executors (clones share the same permits).
///
/// ```
/// use oceanid_core::http::RequestLimit;
///
/// let limit = RequestLimit::new(3);
/// assert_eq!(limit.max(), 3);
/// assert_eq!(limit.available(), 3);
/// assert_eq!(RequestLimit::new(0).max(), 1);
/// ```
#[derive(Clone)]
pub struct RequestLimit {
    permits: Arc<Semaphore>,
    /// Signalled whenever a slot is given back.
    released: Arc<Notify>,
    max: usize,
}

impl fmt::Debug for RequestLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestLimit")
            .field("max", &self.max)
            .field("available", &self.available())
            .finish()
    }
}

impl Default for RequestLimit {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_CONCURRENT_REQUESTS)
    }
}

impl RequestLimit {
    /// At most `max` requests at once: 0 is taken as 1, and anything above
    /// [`MAX_CONCURRENT_REQUESTS_LIMIT`] as that.
    #[must_use]
    pub fn new(max: usize) -> Self {
        let max = max.clamp(1, MAX_CONCURRENT_REQUESTS_LIMIT);
        Self {
            permits: Arc::new(Semaphore::new(max)),
            released: Arc::new(Notify::new()),
            max,
        }
    }

    /// The cap.
    #[must_use]
    pub fn max(&self) -> usize {
        self.max
    }

    /// Permits free right now (the cap minus the requests on the wire).
    #[must_use]
    pub fn available(&self) -> usize {
        self.permits.available_permits()
    }

    /// Waits for a free slot (first come, first served) and holds it until the slot is
    /// dropped.
    pub(crate) async fn acquire(&self) -> Slot {
        match Arc::clone(&self.permits).acquire_owned().await {
            Ok(permit) => Slot {
                permit: Some(permit),
                released: Arc::clone(&self.released),
            },
            // The semaphore is never closed: it lives as long as any clone of this limit.
            Err(_) => unreachable!("the request limit's semaphore is never closed"),
        }
    }

    /// Waits until a request could go on the wire without queueing (a slot is free and nobody
    /// is waiting for one); takes no slot. For work that should start only once the queue has
    /// drained, such as a read shared by everything queued before it.
    pub async fn until_free(&self) {
        loop {
            let released = self.released.notified();
            tokio::pin!(released);
            released.as_mut().enable();
            if self.available() > 0 {
                return;
            }
            released.await;
        }
    }
}

/// A slot on the wire, given back (and [`RequestLimit::until_free`] woken) when dropped.
pub(crate) struct Slot {
    permit: Option<OwnedSemaphorePermit>,
    released: Arc<Notify>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        drop(self.permit.take());
        self.released.notify_waiters();
    }
}

/// Checks a `maxConcurrentRequests` setting as a provider receives it (a number, or its
/// decimal text when it comes from an environment variable or stack config).
///
/// # Errors
/// A message naming the accepted range when the value is not a whole number from 1 to
/// [`MAX_CONCURRENT_REQUESTS_LIMIT`].
///
/// ```
/// use oceanid_core::http::request_limit::parse_max_concurrent_requests;
///
/// assert_eq!(parse_max_concurrent_requests(" 25 "), Ok(25));
/// assert!(parse_max_concurrent_requests("0").unwrap_err().contains("1 to 1000"));
/// assert!(parse_max_concurrent_requests("ten").is_err());
/// ```
pub fn parse_max_concurrent_requests(text: &str) -> Result<usize, String> {
    let shown = crate::http::redact::truncate_input(text.trim(), 40);
    match text.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_CONCURRENT_REQUESTS_LIMIT).contains(&n) => Ok(n),
        _ => Err(format!(
            "`{shown}` is not a number of concurrent API requests: give a whole number from 1 to \
             {MAX_CONCURRENT_REQUESTS_LIMIT} (default {DEFAULT_MAX_CONCURRENT_REQUESTS})"
        )),
    }
}

/// A provider's cap on concurrent requests: its `setting`, else the environment variable
/// `env`, else [`DEFAULT_MAX_CONCURRENT_REQUESTS`].
///
/// # Errors
/// A setting or variable outside 1 to [`MAX_CONCURRENT_REQUESTS_LIMIT`] (the variable's error
/// names it).
pub fn resolve_max_concurrent_requests(setting: Option<u64>, env: &str) -> Result<usize, String> {
    match setting {
        Some(n) => parse_max_concurrent_requests(&n.to_string()),
        None => match std::env::var(env) {
            Ok(v) if !v.trim().is_empty() => {
                parse_max_concurrent_requests(&v).map_err(|r| format!("{env}: {r}"))
            }
            _ => Ok(DEFAULT_MAX_CONCURRENT_REQUESTS),
        },
    }
}

/// For `#[serde(deserialize_with)]` on an optional `maxConcurrentRequests` setting: a number, or
/// its decimal text (stack config reaches a default provider as text), or null. Range checks
/// are [`parse_max_concurrent_requests`]'s, done by the provider's config check so that the
/// failure names the setting.
///
/// # Errors
/// A value that is neither a whole non-negative number nor text.
pub fn deserialize_setting<'de, D>(deserializer: D) -> Result<Option<u64>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Setting {
        Number(u64),
        Fraction(f64),
        Text(String),
    }
    let setting: Option<Setting> = serde::Deserialize::deserialize(deserializer)?;
    match setting {
        None => Ok(None),
        Some(Setting::Number(n)) => Ok(Some(n)),
        // A protobuf Struct carries every number as a double: 12.0 is 12.
        Some(Setting::Fraction(f)) if f.fract() == 0.0 && (0.0..=1e15).contains(&f) => {
            Ok(Some(f as u64))
        }
        Some(Setting::Fraction(f)) => Err(serde::de::Error::custom(format!(
            "`{f}` is not a whole number of concurrent API requests: give one from 1 to \
             {MAX_CONCURRENT_REQUESTS_LIMIT}"
        ))),
        Some(Setting::Text(t)) if t.trim().is_empty() => Ok(None),
        Some(Setting::Text(t)) => parse_max_concurrent_requests(&t)
            .map(|n| Some(n as u64))
            .map_err(serde::de::Error::custom),
    }
}
