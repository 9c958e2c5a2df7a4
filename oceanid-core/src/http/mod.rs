//! One request executor for every HTTP API client: deadline, retries (429, 5xx, transient
//! answers and connection failures; `Retry-After` in seconds or as an HTTP date; jitter),
//! a cap on the requests on the wire at once ([`RequestLimit`]), "maybe sent" tracking,
//! idempotency keys for POST and PATCH, request-id capture, redaction,
//! capped body reads, no redirects, TLS except on loopback, and pagination strategies.
//!
//! Each API describes itself with an [`ApiDescription`]: its name, how a token becomes an
//! `Authorization` header, how an error body decodes, which response headers carry the request
//! id, whether it honours an idempotency key, what counts as transient, and how large a body
//! may be. An [`Executor`] runs [`Request`]s against it; the Crunchy Bridge client
//! ([`crate::crunchybridge`]) is a thin layer of typed handlers over one.
//!
//! Describing an API (here one shaped as Cloudflare's v4: an envelope with `errors:
//! [{code, message}]`, the request id in `cf-ray`, code 971 when rate-limited):
//!
//! ```no_run
//! use oceanid_core::http::{ApiDescription, ErrorBody, Executor};
//!
//! #[derive(Debug)]
//! struct Cloudflare;
//!
//! impl ApiDescription for Cloudflare {
//!     fn name(&self) -> &'static str {
//!         "Cloudflare"
//!     }
//!     fn credentials_hint(&self) -> &'static str {
//!         "check the API token (CLOUDFLARE_API_TOKEN) and its permissions"
//!     }
//!     fn decode_error(&self, _status: u16, body: &[u8]) -> Option<ErrorBody> {
//!         #[derive(serde::Deserialize)]
//!         struct Envelope { errors: Vec<Item> }
//!         #[derive(serde::Deserialize)]
//!         struct Item { code: i64, message: String }
//!         let e: Envelope = serde_json::from_slice(body).ok()?;
//!         let first = e.errors.first()?;
//!         Some(ErrorBody {
//!             code: Some(first.code.to_string()),
//!             message: Some(e.errors.iter().map(|i| i.message.as_str()).collect::<Vec<_>>().join("; ")),
//!             request_id: None,
//!             is_transient: first.code == 971,
//!         })
//!     }
//!     fn request_id_headers(&self) -> &'static [&'static str] {
//!         &["cf-ray"]
//!     }
//!     fn request_id_header_to_send(&self) -> Option<&'static str> {
//!         None
//!     }
//! }
//!
//! # async fn f() -> Result<(), oceanid_core::http::Error> {
//! let cloudflare = Executor::builder(Cloudflare, "https://api.cloudflare.com/client/v4")
//!     .token(Some("a-token".to_owned().into()))
//!     .build()?;
//! let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
//! let request = cloudflare
//!     .request(reqwest::Method::GET, &["accounts", "abc", "devices", "policies"])
//!     .query("per_page", "50");
//! let body: serde_json::Value = cloudflare.send_json(request, Some(deadline)).await?.value;
//! # let _ = body; Ok(()) }
//! ```
//!
//! Nothing here knows a particular API: Bridge's `Idempotency-Replay` header and its
//! `has_more`/`next_cursor` lists live in its description and handlers.

mod api;
mod body;
mod builder;
pub mod error;
mod executor;
pub mod pagination;
pub mod redact;
mod request;
pub mod request_id;
pub mod request_limit;
pub mod retry;
pub mod transport;

pub use api::{ApiDescription, DEFAULT_BODY_LIMIT, ErrorBody};
pub use builder::ExecutorBuilder;
pub use error::{ApiError, ConnectFailure, Error};
pub use executor::Executor;
pub use pagination::{Page, PageInfo, paginate, paginate_numbered};
pub use request::{RawResponse, Request, Response};
pub use request_id::{IDEMPOTENCY_KEY, X_REQUEST_ID, new_request_id};
pub use request_limit::{DEFAULT_MAX_CONCURRENT_REQUESTS, RequestLimit};
pub use retry::{Backoff, RetryPolicy};
