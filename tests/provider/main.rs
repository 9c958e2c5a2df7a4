//! `pulumi-resource-oceanidtest`: a second package on the `pulumi-provider` layer, built only
//! for the conformance suite. It holds the test-only behaviour the product must not carry
//! (a resource whose every operation panics) and proves the layer serves any package: the
//! suite's protocol group runs against it as well as against `pulumi-resource-crunchybridge`.

mod echo;
mod panic_probe;

use async_trait::async_trait;
use pulumi_provider::{CheckFailure, Package, Provider};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Configuration of the test package.
#[derive(Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct TestConfig {
    /// Any text; Check refuses an empty one, so the suite can see a CheckConfig failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    label: Option<String>,
}

/// The `oceanidtest` package: no clients, everything in memory.
struct OceanidTest;

#[async_trait]
impl Package for OceanidTest {
    type Client = ();
    type Config = TestConfig;

    fn name(&self) -> &'static str {
        "oceanidtest"
    }

    fn version(&self) -> &'static str {
        env!("CARGO_PKG_VERSION")
    }

    fn metadata(&self) -> serde_json::Value {
        serde_json::json!({
            "displayName": "oceanid test package",
            "description": "Test-only resources for the conformance suite of the pulumi-provider layer.",
        })
    }

    fn check_config(&self, config: &mut TestConfig) -> Vec<CheckFailure> {
        match &config.label {
            Some(l) if l.trim().is_empty() => vec![CheckFailure::new(
                "label",
                "the label is empty; leave it unset or give it some text",
            )],
            _ => Vec::new(),
        }
    }

    async fn configure(&self, _config: TestConfig) -> Result<(), String> {
        Ok(())
    }
}

const HELP: &str = "\
pulumi-resource-oceanidtest: a test package on the pulumi-provider layer (conformance suite only)
  pulumi-resource-oceanidtest [flags] [ENGINE_ADDRESS] | --version | schema";

fn main() -> std::process::ExitCode {
    Provider::new(OceanidTest)
        .resource(echo::Echo)
        .resource(panic_probe::PanicProbe)
        .main(HELP)
}
