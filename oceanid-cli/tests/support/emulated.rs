//! An `oceanid-emulator` (Bridge, Kubernetes and Cloudflare on one port) with its https
//! kubeconfig in a file, and the emulator's test route that stores Kubernetes objects. Shared by
//! the test binaries that drive `oceanid` against it.

use oceanid_emulator::{Emulator, EmulatorConfig};
use serde_json::Value;

/// A running emulator and the kubeconfig file that reaches it.
pub struct Emulated {
    /// The emulator.
    pub emu: Emulator,
    kubeconfig: tempfile::NamedTempFile,
    /// A client for its API and test routes.
    pub http: reqwest::Client,
}

impl Emulated {
    /// Starts an emulator with `config` and writes its kubeconfig to a temporary file.
    pub async fn start(config: EmulatorConfig) -> Emulated {
        let emu = Emulator::start(config).await.expect("the emulator starts");
        let kubeconfig = tempfile::NamedTempFile::new().expect("temp file");
        std::fs::write(kubeconfig.path(), emu.kubeconfig()).expect("write the kubeconfig");
        Emulated {
            emu,
            kubeconfig,
            http: reqwest::Client::new(),
        }
    }

    /// The kubeconfig file's path.
    pub fn path(&self) -> &str {
        self.kubeconfig.path().to_str().expect("a UTF-8 temp path")
    }

    /// The Kubernetes object `kind` `namespace`/`name` as the emulator holds it.
    pub fn object(&self, kind: &str, namespace: Option<&str>, name: &str) -> Value {
        self.emu.state()["kubernetes"]["objects"]
            .as_array()
            .expect("objects")
            .iter()
            .find(|o| {
                o["kind"] == kind
                    && o["metadata"]["name"] == name
                    && o["metadata"]["namespace"].as_str() == namespace
            })
            .cloned()
            .unwrap_or_else(|| panic!("no {kind} {namespace:?}/{name} in the emulator"))
    }

    /// Creates or replaces a Kubernetes object exactly as given, through the test route.
    pub async fn put(&self, object: &Value) {
        let response = self
            .http
            .post(format!(
                "{}/__emulator/kubernetes/objects",
                self.emu.base_url()
            ))
            .json(object)
            .send()
            .await
            .expect("the emulator answers");
        assert!(
            response.status().is_success(),
            "{}",
            response.text().await.unwrap_or_default()
        );
    }
}
