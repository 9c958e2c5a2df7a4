//! `crunchybridge:index:PanicProbe`: a resource that exists only when the environment
//! variable `OCEANID_TEST_HOOKS` is set, so the conformance suite can prove that a panic
//! inside a handler becomes an `Internal` error and the server keeps serving. Never
//! registered otherwise.

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::provider::Clients;
use crate::pulumi::{CheckFailure, Context, Created, Resource, ResourceError};

/// The environment variable that registers this resource.
pub const TEST_HOOKS_ENV: &str = "OCEANID_TEST_HOOKS";

/// Inputs (any).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct PanicProbeArgs {
    /// Ignored.
    #[serde(default)]
    pub anything: Option<f64>,
}

/// `crunchybridge:index:PanicProbe`.
#[derive(Clone, Copy, Debug, Default)]
pub struct PanicProbe;

#[async_trait]
impl Resource for PanicProbe {
    type Client = Clients;
    type Args = PanicProbeArgs;
    type State = PanicProbeArgs;

    const TOKEN: &'static str = "crunchybridge:index:PanicProbe";
    const DESCRIPTION: &'static str = "Test hook: every operation panics.";

    fn check(&self, _args: &mut PanicProbeArgs) -> Vec<CheckFailure> {
        panic!("deliberate panic from the PanicProbe test hook")
    }

    async fn create(
        &self,
        _: &Context<Clients>,
        _: PanicProbeArgs,
    ) -> Result<Created<PanicProbeArgs>, ResourceError> {
        panic!("deliberate panic from the PanicProbe test hook")
    }

    async fn read(
        &self,
        _: &Context<Clients>,
        _: &str,
        _: Option<PanicProbeArgs>,
    ) -> Result<Option<PanicProbeArgs>, ResourceError> {
        panic!("deliberate panic from the PanicProbe test hook")
    }

    async fn delete(
        &self,
        _: &Context<Clients>,
        _: &str,
        _: PanicProbeArgs,
    ) -> Result<(), ResourceError> {
        panic!("deliberate panic from the PanicProbe test hook")
    }
}
