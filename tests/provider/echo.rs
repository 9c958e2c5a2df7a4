//! `oceanidtest:index:Echo`: a resource with no cloud behind it. Its state is its inputs and
//! its id is its `name`; `text` updates in place, a new `name` replaces it. Enough for the
//! protocol group (Check, Diff, large messages, unknown types) to run on a second package.

use async_trait::async_trait;
use pulumi_provider::{CheckFailure, Context, Created, Resource, ResourceError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Inputs, also the state.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EchoArgs {
    /// The id of the object; changing it replaces the resource.
    #[schemars(extend("x-replace" = true))]
    pub name: String,
    /// Any text, kept as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// The resource.
pub struct Echo;

#[async_trait]
impl Resource for Echo {
    type Client = ();
    type Args = EchoArgs;
    type State = EchoArgs;

    const TOKEN: &'static str = "oceanidtest:index:Echo";
    const DESCRIPTION: &'static str = "Keeps its inputs as its state; nothing outside changes.";

    fn check(&self, args: &mut EchoArgs) -> Vec<CheckFailure> {
        if args.name.trim().is_empty() {
            return vec![CheckFailure::new(
                "name",
                "the name is empty; give it some text",
            )];
        }
        Vec::new()
    }

    async fn create(
        &self,
        _: &Context<()>,
        args: EchoArgs,
    ) -> Result<Created<EchoArgs>, ResourceError> {
        Ok(Created {
            id: args.name.clone(),
            state: args,
        })
    }

    async fn read(
        &self,
        _: &Context<()>,
        _: &str,
        prior: Option<EchoArgs>,
    ) -> Result<Option<EchoArgs>, ResourceError> {
        Ok(prior)
    }

    async fn update(
        &self,
        _: &Context<()>,
        _: &str,
        _: EchoArgs,
        news: EchoArgs,
    ) -> Result<EchoArgs, ResourceError> {
        Ok(news)
    }

    async fn delete(&self, _: &Context<()>, _: &str, _: EchoArgs) -> Result<(), ResourceError> {
        Ok(())
    }
}
