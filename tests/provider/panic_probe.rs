//! `oceanidtest:index:PanicProbe`: every operation panics, so the conformance suite can
//! prove that a panic inside a handler becomes an `Internal` error and the server keeps
//! serving.

use async_trait::async_trait;
use pulumi_provider::{CheckFailure, Context, Created, Resource, ResourceError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Inputs (any).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct PanicProbeArgs {
    /// Ignored.
    #[serde(default)]
    pub anything: Option<f64>,
}

/// The resource.
pub struct PanicProbe;

const PANIC: &str = "deliberate panic from the PanicProbe test resource";

#[async_trait]
impl Resource for PanicProbe {
    type Client = ();
    type Args = PanicProbeArgs;
    type State = PanicProbeArgs;

    const TOKEN: &'static str = "oceanidtest:index:PanicProbe";
    const DESCRIPTION: &'static str = "Every operation panics.";

    fn check(&self, _args: &mut PanicProbeArgs) -> Vec<CheckFailure> {
        panic!("{PANIC}")
    }

    async fn create(
        &self,
        _: &Context<()>,
        _: PanicProbeArgs,
    ) -> Result<Created<PanicProbeArgs>, ResourceError> {
        panic!("{PANIC}")
    }

    async fn read(
        &self,
        _: &Context<()>,
        _: &str,
        _: Option<PanicProbeArgs>,
    ) -> Result<Option<PanicProbeArgs>, ResourceError> {
        panic!("{PANIC}")
    }

    async fn delete(
        &self,
        _: &Context<()>,
        _: &str,
        _: PanicProbeArgs,
    ) -> Result<(), ResourceError> {
        panic!("{PANIC}")
    }
}
