//! A native Pulumi resource-provider layer: everything about the engine's wire protocol and
//! nothing about any one cloud API. A provider is a [`Package`] with typed [`Resource`]s and
//! [`Function`]s; the adapters here do decoding, Check, Diff, preview, secrets, Read
//! semantics, timeouts, cancellation and errors once for all of them.
#![forbid(unsafe_code)]

mod adapter;
pub mod context;
mod function;
pub mod launch;
pub mod package;
pub mod package_spec;
pub mod proto;
mod provider;
pub mod resource;
pub mod schema;
pub mod sdk_nodejs;
pub mod server;
pub mod value;

pub use context::{Context, EngineLog};
pub use function::Function;
pub use package::Package;
pub use provider::Provider;
pub use resource::{CheckFailure, Created, Resource, ResourceError};
