//! When to retry and how long to wait.
//!
//! [`RetryPolicy`] describes jittered exponential backoff (the delays come from
//! [`backon`]'s exponential backoff) with an attempt cap; the caller's deadline bounds the whole
//! operation on top of it. `Retry-After` is honoured: the wait before the next attempt is never
//! shorter than what the server asked for.
//!
//! Which requests may be retried is decided by the method: GET, HEAD, OPTIONS, PUT and DELETE are
//! idempotent and retried on 429, 5xx, transient errors and connection failures; POST and PATCH
//! only when they carry an `Idempotency-Key` (see [`may_retry_method`]).

use std::time::{Duration, SystemTime};

use backon::{BackoffBuilder, ExponentialBuilder};
use reqwest::Method;
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// How a client retries: jittered exponential backoff with an attempt cap.
///
/// The defaults (first delay 250 ms, factor 2, at most 8 s between attempts, at most 10 attempts,
/// a `Retry-After` of up to 5 minutes honoured) suit an API that rate-limits in seconds. A
/// server's `Retry-After` replaces the backoff delay for that attempt (see
/// [`RetryPolicy::next_delay`]).
///
/// ```
/// use std::time::Duration;
/// use oceanid_core::http::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .with_min_delay(Duration::from_millis(100))
///     .with_max_attempts(Some(5));
/// let delays: Vec<Duration> = policy.backoff().take(3).collect();
/// assert!(delays[0] >= Duration::from_millis(100) && delays[0] <= Duration::from_millis(200));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    min_delay: Duration,
    max_delay: Duration,
    factor: f32,
    max_attempts: Option<u32>,
    max_retry_after: Duration,
    jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            min_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
            factor: 2.0,
            max_attempts: Some(10),
            max_retry_after: Duration::from_secs(300),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// The default policy (same as [`RetryPolicy::default`]).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A policy that never retries: every call makes exactly one attempt.
    #[must_use]
    pub fn never() -> Self {
        Self {
            max_attempts: Some(1),
            ..Self::default()
        }
    }

    /// The first delay before jitter (jitter adds up to the same again).
    #[must_use]
    pub fn with_min_delay(mut self, d: Duration) -> Self {
        self.min_delay = d;
        if self.max_delay < d {
            self.max_delay = d;
        }
        self
    }

    /// The largest delay before jitter.
    #[must_use]
    pub fn with_max_delay(mut self, d: Duration) -> Self {
        self.max_delay = d.max(self.min_delay);
        self
    }

    /// The growth factor between delays (values below 1 are taken as 1).
    #[must_use]
    pub fn with_factor(mut self, factor: f32) -> Self {
        self.factor = if factor.is_finite() {
            factor.max(1.0)
        } else {
            1.0
        };
        self
    }

    /// The most attempts per call, the first included; `None` retries until the deadline.
    /// `Some(0)` is taken as `Some(1)`.
    #[must_use]
    pub fn with_max_attempts(mut self, n: Option<u32>) -> Self {
        self.max_attempts = n.map(|n| n.max(1));
        self
    }

    /// The longest `Retry-After` honoured; a server asking for longer gets its error returned.
    #[must_use]
    pub fn with_max_retry_after(mut self, d: Duration) -> Self {
        self.max_retry_after = d;
        self
    }

    /// Turn jitter off (tests that need exact delays; not recommended otherwise).
    #[must_use]
    pub fn without_jitter(mut self) -> Self {
        self.jitter = false;
        self
    }

    /// The most attempts per call, the first included (`None`: until the deadline).
    #[must_use]
    pub fn max_attempts(&self) -> Option<u32> {
        self.max_attempts
    }

    /// The longest `Retry-After` this policy honours.
    #[must_use]
    pub fn max_retry_after(&self) -> Duration {
        self.max_retry_after
    }

    /// Whether another attempt is allowed after `attempts_made` attempts.
    #[must_use]
    pub fn allows_attempt(&self, attempts_made: u32) -> bool {
        self.max_attempts.is_none_or(|max| attempts_made < max)
    }

    /// A fresh sequence of delays for one logical call (never ends; the attempt cap and the
    /// deadline end the call).
    #[must_use]
    pub fn backoff(&self) -> Backoff {
        let mut builder = ExponentialBuilder::default()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_factor(self.factor)
            .without_max_times();
        if self.jitter {
            builder = builder.with_jitter();
        }
        Backoff {
            inner: builder.build(),
            floor: self.min_delay,
        }
    }

    /// The wait before the next attempt. When the server says how long (`Retry-After`), that
    /// is the wait, plus a small jitter (up to a hundredth of it, and up to 5 ms more): the
    /// server knows its own limits better than an exponential guess, and `Retry-After: 0`
    /// means "now". The jitter only has to break ties: callers told the same thing were
    /// answered at different moments (their requests arrived apart), so their retries are
    /// already as spread as their first attempts were, and the executor's [`RequestLimit`]
    /// keeps at most its cap on the wire whatever they do; what remains is callers answered in
    /// the same instant, which a few milliseconds (many server round trips on a LAN) part.
    /// Each millisecond more is paid by every retry (a 429 storm of 200 retries at 10 in
    /// flight pays 20 of them in sequence). Without `Retry-After`, the next jittered
    /// exponential backoff delay. `None` when the server asks for more than
    /// [`Self::max_retry_after`].
    ///
    /// [`RequestLimit`]: super::RequestLimit
    #[must_use]
    pub fn next_delay(
        &self,
        backoff: &mut Backoff,
        retry_after: Option<Duration>,
    ) -> Option<Duration> {
        match retry_after {
            Some(ra) if ra > self.max_retry_after => None,
            Some(ra) => {
                let spread = if self.jitter {
                    (ra / 100 + RETRY_AFTER_SPREAD).mul_f64(rand::random::<f64>())
                } else {
                    Duration::ZERO
                };
                Some(ra + spread)
            }
            None => Some(backoff.next().unwrap_or(self.max_delay)),
        }
    }
}

/// The fixed part of the jitter added to a server's `Retry-After`.
const RETRY_AFTER_SPREAD: Duration = Duration::from_millis(5);

/// The delays of one call's retries, from [`RetryPolicy::backoff`].
#[derive(Debug)]
pub struct Backoff {
    inner: <ExponentialBuilder as BackoffBuilder>::Backoff,
    floor: Duration,
}

impl Iterator for Backoff {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        Some(self.inner.next().unwrap_or(self.floor))
    }
}

/// Whether `method` is idempotent by definition (GET, HEAD, OPTIONS, PUT, DELETE, TRACE).
#[must_use]
pub fn is_idempotent_method(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE | Method::TRACE
    )
}

/// Whether a request with this method may be sent again after a retryable failure: idempotent
/// methods always, POST and PATCH (and anything else) only with an idempotency key.
#[must_use]
pub fn may_retry_method(method: &Method, has_idempotency_key: bool) -> bool {
    is_idempotent_method(method) || has_idempotency_key
}

/// Whether an HTTP status is worth retrying: 408, 429 and every 5xx except 501 and 505
/// (which will not change on a retry).
#[must_use]
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429) || ((500..600).contains(&status) && !matches!(status, 501 | 505))
}

/// The `Retry-After` of a response: integer seconds or an HTTP date (relative to `now`).
#[must_use]
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    parse_retry_after(value, now)
}

/// Parse a `Retry-After` value: integer (or decimal) seconds, or an HTTP date.
#[must_use]
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>() {
        return Duration::try_from_secs_f64(secs).ok();
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_caps() {
        let policy = RetryPolicy::default()
            .with_min_delay(Duration::from_millis(100))
            .with_max_delay(Duration::from_millis(400));
        let d: Vec<_> = policy.backoff().take(6).collect();
        let ms = |x: Duration| x.as_millis();
        assert!((100..=200).contains(&ms(d[0])), "{d:?}");
        assert!((200..=400).contains(&ms(d[1])), "{d:?}");
        assert!((400..=800).contains(&ms(d[2])), "{d:?}");
        for x in &d[3..] {
            assert!((400..=800).contains(&ms(*x)), "{d:?}");
        }
    }

    #[test]
    fn without_jitter_is_exact() {
        let policy = RetryPolicy::default()
            .with_min_delay(Duration::from_millis(10))
            .without_jitter();
        let d: Vec<u64> = policy
            .backoff()
            .take(3)
            .map(|d| (d.as_secs_f64() * 1000.0).round() as u64)
            .collect();
        assert_eq!(d, [10, 20, 40]);
    }

    #[test]
    fn retry_after_is_the_wait_and_is_capped() {
        let policy = RetryPolicy::default()
            .with_min_delay(Duration::from_millis(10))
            .with_max_retry_after(Duration::from_secs(30))
            .without_jitter();
        let mut b = policy.backoff();
        assert_eq!(
            policy.next_delay(&mut b, Some(Duration::from_secs(2))),
            Some(Duration::from_secs(2))
        );
        // The server's answer does not use up the exponential sequence.
        assert_eq!(
            policy.next_delay(&mut b, None),
            Some(Duration::from_millis(10))
        );
        assert_eq!(
            policy.next_delay(&mut b, Some(Duration::from_secs(31))),
            None
        );
    }

    #[test]
    fn retry_after_gets_a_small_spread_not_an_exponential_wait() {
        let policy = RetryPolicy::default();
        let mut spread = Vec::new();
        for _ in 0..200 {
            let mut b = policy.backoff();
            let now = policy.next_delay(&mut b, Some(Duration::ZERO)).unwrap();
            assert!(now <= Duration::from_millis(5), "{now:?}");
            let later = policy
                .next_delay(&mut b, Some(Duration::from_secs(1)))
                .unwrap();
            assert!(
                later >= Duration::from_secs(1) && later <= Duration::from_millis(1015),
                "{later:?}"
            );
            spread.push(later);
        }
        // Still a spread: callers told the same thing do not all come back at one instant.
        spread.sort();
        assert!(
            spread[spread.len() - 1] - spread[0] >= Duration::from_millis(5),
            "{spread:?}"
        );
    }

    #[test]
    fn attempts_are_capped() {
        let p = RetryPolicy::default().with_max_attempts(Some(2));
        assert!(p.allows_attempt(1));
        assert!(!p.allows_attempt(2));
        assert!(RetryPolicy::never().max_attempts() == Some(1));
        assert!(
            RetryPolicy::default()
                .with_max_attempts(None)
                .allows_attempt(1_000)
        );
    }

    #[test]
    fn parses_retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after(" 0.5 ", now),
            Some(Duration::from_millis(500))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(7));
        assert_eq!(parse_retry_after(&later, now), Some(Duration::from_secs(7)));
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(7));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }

    #[test]
    fn method_and_status_rules() {
        assert!(may_retry_method(&Method::GET, false));
        assert!(may_retry_method(&Method::PUT, false));
        assert!(may_retry_method(&Method::DELETE, false));
        assert!(!may_retry_method(&Method::POST, false));
        assert!(!may_retry_method(&Method::PATCH, false));
        assert!(may_retry_method(&Method::POST, true));
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(is_retryable_status(s), "{s}");
        }
        for s in [200, 400, 401, 404, 409, 410, 501, 505] {
            assert!(!is_retryable_status(s), "{s}");
        }
    }
}
