//! The emulator's test-only admin routes (`/__emulator/…`) the walkthrough uses to change the
//! world underneath the stack: nodes joining and leaving the cluster, added latency.

use anyhow::{Context as _, ensure};
use serde_json::{Value, json};

/// A client of one emulator's `/__emulator/…` routes (they need no authentication).
#[derive(Clone)]
pub struct EmulatorAdmin {
    http: reqwest::Client,
    base_url: String,
}

impl EmulatorAdmin {
    /// A client of the emulator at `base_url` (`http://127.0.0.1:PORT`).
    #[must_use]
    pub fn new(base_url: &str) -> EmulatorAdmin {
        EmulatorAdmin {
            http: reqwest::Client::new(),
            base_url: base_url.trim_end_matches('/').to_owned(),
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder, what: &str) -> anyhow::Result<Value> {
        let answer = request.send().await.with_context(|| what.to_owned())?;
        let status = answer.status();
        let body = answer.text().await.with_context(|| what.to_owned())?;
        ensure!(
            status.is_success(),
            "{what}: the emulator answered {status}: {body}"
        );
        Ok(serde_json::from_str(&body).unwrap_or(Value::Null))
    }

    /// Stores a Kubernetes object exactly as given (a node joining, say).
    ///
    /// # Errors
    /// When the emulator refuses it.
    pub async fn put_kubernetes_object(&self, object: &Value) -> anyhow::Result<()> {
        let url = format!("{}/__emulator/kubernetes/objects", self.base_url);
        self.send(
            self.http.post(url).json(object),
            "storing a Kubernetes object",
        )
        .await
        .map(drop)
    }

    /// Removes a node from the cluster (the node leaving).
    ///
    /// # Errors
    /// When the emulator refuses, e.g. there is no such node.
    pub async fn remove_node(&self, name: &str) -> anyhow::Result<()> {
        let url = format!("{}/__emulator/kubernetes/objects", self.base_url);
        let target = json!({"apiVersion": "v1", "kind": "Node", "name": name});
        self.send(self.http.delete(url).json(&target), "removing a node")
            .await
            .map(drop)
    }

    /// Injects a fault (`{"method", "path", "latency_ms" | "status", …}`); its id.
    ///
    /// # Errors
    /// When the emulator refuses the fault.
    pub async fn add_fault(&self, fault: &Value) -> anyhow::Result<String> {
        let url = format!("{}/__emulator/faults", self.base_url);
        let made = self
            .send(self.http.post(url).json(fault), "injecting a fault")
            .await?;
        Ok(made["id"].as_str().unwrap_or_default().to_owned())
    }

    /// Removes every injected fault.
    ///
    /// # Errors
    /// When the emulator does not answer.
    pub async fn clear_faults(&self) -> anyhow::Result<()> {
        let url = format!("{}/__emulator/faults", self.base_url);
        self.send(self.http.delete(url), "clearing the faults")
            .await
            .map(drop)
    }
}
