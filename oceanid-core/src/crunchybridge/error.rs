//! The one error type of the Crunchy Bridge client: the executor's [`Error`], whose messages
//! name Crunchy Bridge (see [`crate::http::error`] for what each variant says).

pub use crate::http::error::{ApiError, ConnectFailure, Error};
