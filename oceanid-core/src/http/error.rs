//! The one error type of the request executor, shared by every client built on it.
//!
//! Each variant says what is known: the API answered with an error (status, `code`, message,
//! request id, transience); it rejected the credentials; it rate-limited the call; the request
//! was **not sent** (safe to try again, with the reason the connection failed) or **may have
//! been sent** (the outcome of a write is unknown); the API answered with a redirect (never
//! followed); the body was larger than the limit; the response could not be decoded (with the
//! JSON path and a short, redacted excerpt of the body); or the caller's deadline passed (with
//! the last underlying error). Every message names the request id when there is one, and none
//! ever contains a credential.

use std::fmt;
use std::time::Duration;

use super::retry::is_retryable_status;

/// An error answer from the API: what the status line and the error body said.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    /// The API that answered, as its description names it (`Crunchy Bridge`, `Cloudflare`).
    pub api: &'static str,
    /// What to check when the API rejects the credentials (from the API's description).
    pub credentials_hint: &'static str,
    /// The request, as `METHOD /path` (ids only, never a secret).
    pub request: String,
    /// The HTTP status code.
    pub status: u16,
    /// The machine-readable error code, when the body had one (`maintenance_mode`, `971`, ...).
    pub code: Option<String>,
    /// The human-readable message: the body's message, or a description of an unreadable
    /// body (an HTML error page, say) with a short excerpt.
    pub message: String,
    /// The request id: the body's, else the one a response header carried, else the one sent.
    pub request_id: Option<String>,
    /// Whether the API says retrying the same request may succeed.
    pub is_transient: bool,
    /// How long the server asked the client to wait (`Retry-After`), if it did.
    pub retry_after: Option<Duration>,
    /// Whether the answer is a stored one replayed for the request's idempotency key (Bridge's
    /// `Idempotency-Replay: true`) rather than the outcome of this request.
    pub replayed: bool,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} answered HTTP {}", self.request, self.status)?;
        if let Some(reason) = reqwest::StatusCode::from_u16(self.status)
            .ok()
            .and_then(|s| s.canonical_reason())
        {
            write!(f, " {reason}")?;
        }
        if let Some(code) = &self.code {
            write!(f, " [{code}]")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(ra) = self.retry_after {
            write!(f, " (retry after {}s)", ra.as_secs_f64())?;
        }
        write_request_id(f, self.request_id.as_deref())
    }
}

/// Why a connection could not be made (the request was then never sent).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectFailure {
    /// The host's name did not resolve.
    Dns,
    /// The host refused the connection (nothing listens on that port).
    Refused,
    /// The TLS handshake failed (certificate, protocol).
    Tls,
    /// The connection was not established within the connect timeout.
    Timeout,
    /// Another connection failure (unreachable network, reset during connect).
    Other,
}

impl fmt::Display for ConnectFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Dns => "the host name did not resolve (DNS)",
            Self::Refused => "the connection was refused",
            Self::Tls => "the TLS handshake failed",
            Self::Timeout => "the connection timed out",
            Self::Other => "the connection failed",
        })
    }
}

fn write_request_id(f: &mut fmt::Formatter<'_>, id: Option<&str>) -> fmt::Result {
    match id {
        Some(id) => write!(f, " (request id {id})"),
        None => Ok(()),
    }
}

struct RequestIdSuffix<'a>(&'a Option<String>);

impl fmt::Display for RequestIdSuffix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_request_id(f, self.0.as_deref())
    }
}

struct LastError<'a>(&'a Option<Box<Error>>);

impl fmt::Display for LastError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(e) => write!(f, "; last error: {e}"),
            None => f.write_str("; no attempt finished before it"),
        }
    }
}

/// " (no attempt reached the server)" when that is provably so.
struct NotSentNote<'a>(bool, &'a Option<Box<Error>>);

impl fmt::Display for NotSentNote<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if none_reached_the_server(self.0, self.1) {
            f.write_str(" (no attempt reached the server)")
        } else {
            Ok(())
        }
    }
}

fn none_reached_the_server(maybe_sent: bool, last: &Option<Box<Error>>) -> bool {
    !maybe_sent && last.as_ref().is_none_or(|e| e.is_not_sent())
}

/// Everything that can go wrong calling an API through the executor.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The API answered with an error status (other than 401 and 429).
    #[error("{api}: {0}", api = .0.api)]
    Api(Box<ApiError>),

    /// The API rejected the credentials (401): the key or token is missing, wrong or revoked.
    #[error("{api} rejected the credentials; {hint}: {0}", api = .0.api, hint = .0.credentials_hint)]
    Unauthorized(Box<ApiError>),

    /// The API rate-limited the call (429) and the retries allowed did not get through.
    #[error("{api} rate limit: {0}", api = .0.api)]
    RateLimited(Box<ApiError>),

    /// The request was not sent: the connection to `target` could not be made. Nothing happened
    /// on the server; trying again is safe for any request.
    #[error("{request} was not sent: could not connect to {target}: {cause}: {source}{}", RequestIdSuffix(.request_id))]
    NotSent {
        /// The request, as `METHOD /path`.
        request: String,
        /// The request id the attempt carried.
        request_id: Option<String>,
        /// The `host:port` the connection was for.
        target: String,
        /// Why the connection failed.
        cause: ConnectFailure,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },

    /// The request may have been sent, but no complete response came back (connection dropped,
    /// per-attempt timeout, unreadable body): the outcome of a write is unknown.
    #[error("{request} may have been sent, but no complete response came back (outcome unknown): {source}{}", RequestIdSuffix(.request_id))]
    MaybeSent {
        /// The request, as `METHOD /path`.
        request: String,
        /// The request id the attempt carried (or the server echoed).
        request_id: Option<String>,
        /// The HTTP status, when the headers arrived but the body did not.
        status: Option<u16>,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },

    /// The API answered with a redirect. Redirects are never followed: an API moved elsewhere
    /// is a configuration error, and following would re-send the body (and the credentials'
    /// effect) to another origin.
    #[error("{request} answered HTTP {status} redirecting to {location}; redirects from the API are not followed: check the API URL{}", RequestIdSuffix(.request_id))]
    Redirect {
        /// The request, as `METHOD /path`.
        request: String,
        /// The 3xx status.
        status: u16,
        /// The origin (`scheme://host:port`) of the `Location`, or a note that there was none.
        location: String,
        /// The request id of the response.
        request_id: Option<String>,
    },

    /// The response body was larger than the limit; reading stopped at the limit.
    #[error("the response to {request} from {url} (HTTP {status}) is larger than the limit of {limit} bytes; reading stopped there (a wrong API URL or a proxy page?){}", RequestIdSuffix(.request_id))]
    BodyTooLarge {
        /// The request, as `METHOD /path`.
        request: String,
        /// The URL, without credentials or query.
        url: String,
        /// The HTTP status of the response.
        status: u16,
        /// The limit in bytes.
        limit: usize,
        /// The request id of the response.
        request_id: Option<String>,
    },

    /// A success response whose body is not what the API documents.
    #[error("could not decode the response to {request} (HTTP {status}) at `{json_path}`: {source}; body starts: {excerpt}{}", RequestIdSuffix(.request_id))]
    Decode {
        /// The request, as `METHOD /path`.
        request: String,
        /// The HTTP status of the response.
        status: u16,
        /// The request id of the response.
        request_id: Option<String>,
        /// Where in the JSON document decoding failed (`clusters[3].state`; `.` for the root).
        json_path: String,
        /// The first characters of the body, with secrets redacted.
        excerpt: String,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },

    /// The caller's deadline passed before the call finished (retries and waits included).
    #[error("{request}: deadline exceeded after {attempts} attempt(s){}{}{}", NotSentNote(*.maybe_sent, .last), RequestIdSuffix(.request_id), LastError(.last))]
    Timeout {
        /// The request, as `METHOD /path`.
        request: String,
        /// Attempts started, the one cut short included.
        attempts: u32,
        /// The id of the last attempt.
        request_id: Option<String>,
        /// Whether any attempt may have reached the server without an answer (the outcome of a
        /// write is unknown).
        maybe_sent: bool,
        /// The error of the last finished attempt, if one finished.
        #[source]
        last: Option<Box<Error>>,
    },

    /// The client could not be built or the request could not be formed (bad base URL, a key
    /// that is not a valid header value, a body that does not serialize).
    #[error("client configuration: {0}")]
    Config(String),
}

impl Error {
    /// The API's error answer, for [`Error::Api`], [`Error::Unauthorized`] and
    /// [`Error::RateLimited`].
    #[must_use]
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Self::Api(e) | Self::Unauthorized(e) | Self::RateLimited(e) => Some(e),
            _ => None,
        }
    }

    /// The HTTP status of the response this error came from, if one arrived (for a timeout, the
    /// last attempt's).
    #[must_use]
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api(e) | Self::Unauthorized(e) | Self::RateLimited(e) => Some(e.status),
            Self::MaybeSent { status, .. } => *status,
            Self::Decode { status, .. }
            | Self::Redirect { status, .. }
            | Self::BodyTooLarge { status, .. } => Some(*status),
            Self::Timeout { last, .. } => last.as_ref().and_then(|e| e.status()),
            Self::NotSent { .. } | Self::Config(_) => None,
        }
    }

    /// The API's error code, when it sent one.
    #[must_use]
    pub fn code(&self) -> Option<&str> {
        self.api().and_then(|e| e.code.as_deref())
    }

    /// The request id to quote to support, when there is one.
    #[must_use]
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::Api(e) | Self::Unauthorized(e) | Self::RateLimited(e) => e.request_id.as_deref(),
            Self::NotSent { request_id, .. }
            | Self::MaybeSent { request_id, .. }
            | Self::Redirect { request_id, .. }
            | Self::BodyTooLarge { request_id, .. }
            | Self::Decode { request_id, .. }
            | Self::Timeout { request_id, .. } => request_id.as_deref(),
            Self::Config(_) => None,
        }
    }

    /// Whether the object is absent: 404 (never existed) or 410 (already deleted).
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Api(e) if matches!(e.status, 404 | 410))
    }

    /// Whether the API said the object was already deleted (410).
    #[must_use]
    pub fn is_gone(&self) -> bool {
        matches!(self, Self::Api(e) if e.status == 410)
    }

    /// Whether this is [`Error::Unauthorized`].
    #[must_use]
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, Self::Unauthorized(_))
    }

    /// Whether this is [`Error::Timeout`].
    #[must_use]
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. })
    }

    /// Whether the request provably never reached the server ([`Error::NotSent`], or a
    /// timeout none of whose attempts may have been sent).
    #[must_use]
    pub fn is_not_sent(&self) -> bool {
        match self {
            Self::NotSent { .. } => true,
            Self::Timeout {
                maybe_sent, last, ..
            } => none_reached_the_server(*maybe_sent, last),
            _ => false,
        }
    }

    /// Whether the same request may succeed if sent again: 429, 408, 5xx (but 501/505), a
    /// transient answer, or a transport failure. (Whether it *may* be sent again also depends
    /// on the method: see [`crate::http::retry::may_retry_method`].)
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::RateLimited(_) | Self::NotSent { .. } | Self::MaybeSent { .. } => true,
            Self::Api(e) => e.is_transient || is_retryable_status(e.status),
            Self::Unauthorized(_)
            | Self::Redirect { .. }
            | Self::BodyTooLarge { .. }
            | Self::Decode { .. }
            | Self::Timeout { .. }
            | Self::Config(_) => false,
        }
    }

    /// Whether the outcome of the request is unknown: it may have reached the server and been
    /// carried out although no answer says so (a dropped connection, a per-attempt or overall
    /// timeout during an attempt, a gateway error). A caller that sees this after a create
    /// should look for the object (or retry with the same idempotency key) before making another.
    #[must_use]
    pub fn is_maybe_sent(&self) -> bool {
        match self {
            Self::MaybeSent { .. } => true,
            Self::Timeout {
                maybe_sent, last, ..
            } => *maybe_sent || last.as_ref().is_some_and(|e| e.is_maybe_sent()),
            Self::Api(e) => matches!(e.status, 500 | 502 | 504),
            _ => false,
        }
    }

    /// How long the server asked to wait before retrying, if it did.
    #[must_use]
    pub fn retry_after(&self) -> Option<Duration> {
        self.api().and_then(|e| e.retry_after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16) -> ApiError {
        ApiError {
            api: "Test API",
            credentials_hint: "check the token",
            request: "GET /clusters/x".into(),
            status,
            code: None,
            message: "nope".into(),
            request_id: Some("rid-1".into()),
            is_transient: false,
            retry_after: None,
            replayed: false,
        }
    }

    #[test]
    fn predicates() {
        assert!(Error::Api(Box::new(api(404))).is_not_found());
        assert!(Error::Api(Box::new(api(410))).is_not_found());
        assert!(Error::Api(Box::new(api(410))).is_gone());
        assert!(!Error::Api(Box::new(api(400))).is_not_found());
        assert!(Error::Api(Box::new(api(503))).is_retryable());
        assert!(!Error::Api(Box::new(api(400))).is_retryable());
        let mut t = api(400);
        t.is_transient = true;
        assert!(Error::Api(Box::new(t)).is_retryable());
        assert!(Error::RateLimited(Box::new(api(429))).is_retryable());
        assert!(!Error::Unauthorized(Box::new(api(401))).is_retryable());
        assert!(Error::Api(Box::new(api(502))).is_maybe_sent());
        assert!(!Error::Api(Box::new(api(503))).is_maybe_sent());
    }

    #[test]
    fn messages_carry_the_api_and_the_request_id() {
        let e = Error::Api(Box::new(api(404)));
        assert_eq!(e.request_id(), Some("rid-1"));
        assert_eq!(e.status(), Some(404));
        let s = e.to_string();
        assert!(
            s.starts_with("Test API: ")
                && s.contains("rid-1")
                && s.contains("404 Not Found")
                && s.contains("GET /clusters/x"),
            "{s}"
        );
        let s = Error::Unauthorized(Box::new(api(401))).to_string();
        assert!(
            s.contains("Test API rejected the credentials; check the token"),
            "{s}"
        );
        let t = Error::Timeout {
            request: "GET /x".into(),
            attempts: 3,
            request_id: Some("rid-3".into()),
            maybe_sent: false,
            last: Some(Box::new(e)),
        };
        let s = t.to_string();
        assert!(
            s.contains("rid-3") && s.contains("last error") && s.contains("rid-1"),
            "{s}"
        );
        assert!(!s.contains("no attempt reached"), "a 404 is an answer: {s}");
        assert!(!t.is_not_sent());
        assert_eq!(t.status(), Some(404));
        assert!(!t.is_retryable());
        let never = Error::Timeout {
            request: "GET /x".into(),
            attempts: 0,
            request_id: None,
            maybe_sent: false,
            last: None,
        };
        assert!(never.is_not_sent() && !never.is_maybe_sent());
        assert!(never.to_string().contains("no attempt reached the server"));
    }
}
