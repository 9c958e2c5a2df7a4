//! Shared HTTP plumbing for the typed clients: the retry policy (jittered exponential backoff that
//! honours `Retry-After` and stops at a deadline), cursor pagination, request ids and redaction.
//!
//! Nothing here knows about a particular API; the Crunchy Bridge client in
//! [`crate::crunchybridge`] is built on these pieces, and later clients can be too.

pub mod pagination;
pub mod redact;
pub mod request_id;
pub mod retry;

pub use pagination::{Page, paginate};
pub use request_id::{IDEMPOTENCY_KEY, IDEMPOTENCY_REPLAY, X_REQUEST_ID, new_request_id};
pub use retry::{Backoff, RetryPolicy};
