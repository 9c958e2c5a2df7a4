//! The one error type of the Cloudflare client: every `{code, message}` Cloudflare sent, the
//! HTTP status and the `cf-ray` of the answer, with predicates for the codes callers act on.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

/// Rate limited: "Please wait and consider throttling your request speed".
pub const CODE_RATE_LIMITED: u32 = 971;
/// DNS: "The record already exists."
pub const CODE_RECORD_EXISTS: u32 = 81057;
/// DNS: "An identical record already exists."
pub const CODE_IDENTICAL_RECORD: u32 = 81058;
/// DNS: "Record does not exist."
pub const CODE_RECORD_MISSING: u32 = 81044;
/// "Authentication error" (a token missing, invalid, or without the permission).
pub const CODE_AUTHENTICATION: u32 = 10000;
/// "Invalid API Token" (from `tokens/verify`).
pub const CODE_INVALID_TOKEN: u32 = 1000;
/// "Unauthorized to access requested resource" / "Invalid access token".
pub const CODE_UNAUTHORIZED: u32 = 9109;

/// One `{code, message}` of an answer's `errors` (or `messages`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ResponseInfo {
    /// Cloudflare's code (≥ 1000, or 971); 0 when the answer had none.
    #[serde(default)]
    pub code: u32,
    /// The message; empty when the answer had none.
    #[serde(default)]
    pub message: String,
}

impl ResponseInfo {
    /// A `{code, message}`.
    #[must_use]
    pub fn new(code: u32, message: impl Into<String>) -> ResponseInfo {
        ResponseInfo {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for ResponseInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.code, self.message)
    }
}

/// What went wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Cloudflare answered with a failure envelope (`success: false`, or an error status).
    Api,
    /// The answer is not Cloudflare's envelope: an HTML page from the edge, an empty or cut
    /// body.
    Unreadable,
    /// The envelope said success but `result` does not have the expected shape.
    Decode,
}

#[derive(Clone, Debug)]
struct Inner {
    kind: ErrorKind,
    status: u16,
    cf_ray: Option<String>,
    errors: Vec<ResponseInfo>,
    retry_after: Option<Duration>,
    /// For [`ErrorKind::Unreadable`]: a short redacted excerpt of the body; for
    /// [`ErrorKind::Decode`]: the JSON path and the reason.
    detail: Option<String>,
}

/// An error from Cloudflare's API, one pointer wide. It carries every `{code, message}` the
/// answer had and its `cf-ray` (quote it to Cloudflare support); it never holds the token.
#[derive(Clone, Debug)]
pub struct CloudflareError(Box<Inner>);

impl CloudflareError {
    pub(super) fn api(
        status: u16,
        cf_ray: Option<String>,
        errors: Vec<ResponseInfo>,
        retry_after: Option<Duration>,
    ) -> CloudflareError {
        CloudflareError(Box::new(Inner {
            kind: ErrorKind::Api,
            status,
            cf_ray,
            errors,
            retry_after,
            detail: None,
        }))
    }

    pub(super) fn unreadable(
        status: u16,
        cf_ray: Option<String>,
        retry_after: Option<Duration>,
        excerpt: String,
    ) -> CloudflareError {
        CloudflareError(Box::new(Inner {
            kind: ErrorKind::Unreadable,
            status,
            cf_ray,
            errors: Vec::new(),
            retry_after,
            detail: Some(excerpt),
        }))
    }

    pub(super) fn decode(status: u16, cf_ray: Option<String>, detail: String) -> CloudflareError {
        CloudflareError(Box::new(Inner {
            kind: ErrorKind::Decode,
            status,
            cf_ray,
            errors: Vec::new(),
            retry_after: None,
            detail: Some(detail),
        }))
    }

    /// What went wrong.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The HTTP status of the answer.
    #[must_use]
    pub fn status(&self) -> u16 {
        self.0.status
    }

    /// The answer's `cf-ray` header, when it had one.
    #[must_use]
    pub fn cf_ray(&self) -> Option<&str> {
        self.0.cf_ray.as_deref()
    }

    /// Every `{code, message}` of the answer's `errors`, in order.
    #[must_use]
    pub fn errors(&self) -> &[ResponseInfo] {
        &self.0.errors
    }

    /// Whether one of the errors has `code`.
    #[must_use]
    pub fn has_code(&self, code: u32) -> bool {
        self.0.errors.iter().any(|e| e.code == code)
    }

    /// How long Cloudflare asked to wait (`Retry-After`), if it did.
    #[must_use]
    pub fn retry_after(&self) -> Option<Duration> {
        self.0.retry_after
    }

    /// Rate limited: HTTP 429 or code 971. Wait ([`retry_after`](Self::retry_after)) and start
    /// the operation again from a fresh read.
    #[must_use]
    pub fn is_rate_limited(&self) -> bool {
        self.0.status == 429 || self.has_code(CODE_RATE_LIMITED)
    }

    /// DNS 81057: the record already exists.
    #[must_use]
    pub fn is_record_exists(&self) -> bool {
        self.has_code(CODE_RECORD_EXISTS)
    }

    /// DNS 81058: an identical record already exists.
    #[must_use]
    pub fn is_identical_record(&self) -> bool {
        self.has_code(CODE_IDENTICAL_RECORD)
    }

    /// DNS 81044: the record does not exist.
    #[must_use]
    pub fn is_record_missing(&self) -> bool {
        self.has_code(CODE_RECORD_MISSING)
    }

    /// HTTP 404, or DNS 81044.
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        self.0.status == 404 || self.is_record_missing()
    }

    /// The token was refused or lacks access: HTTP 401/403 or codes 10000, 1000, 9109.
    #[must_use]
    pub fn is_unauthorized(&self) -> bool {
        matches!(self.0.status, 401 | 403)
            || [CODE_AUTHENTICATION, CODE_INVALID_TOKEN, CODE_UNAUTHORIZED]
                .iter()
                .any(|&c| self.has_code(c))
    }

    /// Worth trying again, from a fresh read: rate limited, 408, 409 or 5xx (as Cloudflare's own
    /// SDK retries). Never replay a split-tunnel PUT body: re-read and merge again.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        self.is_rate_limited() || matches!(self.0.status, 408 | 409 | 500..=599)
    }
}

impl fmt::Display for CloudflareError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.0;
        write!(f, "Cloudflare answered HTTP {}", inner.status)?;
        match inner.kind {
            ErrorKind::Api if inner.errors.is_empty() => f.write_str(" with no error details")?,
            ErrorKind::Api => {
                f.write_str(": ")?;
                for (i, error) in inner.errors.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{error}")?;
                }
            }
            ErrorKind::Unreadable => write!(
                f,
                " with a body that is not Cloudflare's JSON envelope: {}",
                inner.detail.as_deref().unwrap_or("")
            )?,
            ErrorKind::Decode => write!(
                f,
                " success, but its result is not what this client expects: {}",
                inner.detail.as_deref().unwrap_or("")
            )?,
        }
        if let Some(wait) = inner.retry_after {
            write!(f, " (retry after {}s)", wait.as_secs_f64())?;
        }
        if let Some(ray) = &inner.cf_ray {
            write!(f, " (cf-ray {ray})")?;
        }
        Ok(())
    }
}

impl std::error::Error for CloudflareError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_pointer_wide() {
        assert_eq!(
            std::mem::size_of::<CloudflareError>(),
            std::mem::size_of::<usize>()
        );
    }

    #[test]
    fn predicates() {
        let limited = CloudflareError::api(
            429,
            Some("8f1b2c3d4e5f6a7b-AMS".into()),
            vec![ResponseInfo::new(971, "Please wait")],
            Some(Duration::from_secs(7)),
        );
        assert!(limited.is_rate_limited() && limited.is_retryable());
        assert!(!limited.is_unauthorized());
        assert_eq!(limited.retry_after(), Some(Duration::from_secs(7)));
        assert_eq!(
            limited.to_string(),
            "Cloudflare answered HTTP 429: [971] Please wait (retry after 7s) (cf-ray 8f1b2c3d4e5f6a7b-AMS)"
        );
        // 971 in a 200-less body still counts.
        let by_code = CloudflareError::api(400, None, vec![ResponseInfo::new(971, "x")], None);
        assert!(by_code.is_rate_limited());

        let dns = |code| CloudflareError::api(400, None, vec![ResponseInfo::new(code, "m")], None);
        assert!(dns(81057).is_record_exists() && !dns(81057).is_identical_record());
        assert!(dns(81058).is_identical_record() && !dns(81058).is_record_exists());
        assert!(dns(81044).is_record_missing() && dns(81044).is_not_found());
        assert!(!dns(81058).is_retryable());
        assert!(dns(10000).is_unauthorized());
        let forbidden = CloudflareError::api(403, None, Vec::new(), None);
        assert!(forbidden.is_unauthorized());
        assert_eq!(
            forbidden.to_string(),
            "Cloudflare answered HTTP 403 with no error details"
        );
        let down = CloudflareError::unreadable(502, None, None, "<html>".into());
        assert!(down.is_retryable());
        assert_eq!(down.kind(), ErrorKind::Unreadable);
    }
}
